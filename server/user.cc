#include "server/user.h"

namespace kijun::server {

namespace {

struct RoleEntry {
  Role role;
  const char* name;
};

constexpr RoleEntry kRoles[] = {
    {Role::kPhysician, "physician"},
    {Role::kClerk, "clerk"},
    {Role::kInstitutionAdmin, "institution_admin"},
    {Role::kMunicipalityReviewer, "municipality_reviewer"},
    {Role::kOperator, "operator"},
    {Role::kAnalyst, "analyst"},
};

}  // namespace

const char* RoleName(Role role) {
  for (const auto& r : kRoles) {
    if (r.role == role) return r.name;
  }
  return "?";
}

bool ParseRole(const std::string& name, Role& role) {
  for (const auto& r : kRoles) {
    if (name == r.name) {
      role = r.role;
      return true;
    }
  }
  return false;
}

}  // namespace kijun::server
