#pragma once

// A signed-in person and what their role lets them do. Roles follow the
// registry's users (docs/api.yaml): 指定医, 事務 (medical clerk), 医療機関管理者,
// 自治体の審査担当, 運用者 (registry operator), 国DB の分析者.

#include <cstdint>
#include <string>

namespace kijun::server {

enum class Role {
  kPhysician,
  kClerk,
  kInstitutionAdmin,
  kMunicipalityReviewer,
  kOperator,
  kAnalyst
};

const char* RoleName(Role role);
bool ParseRole(const std::string& name, Role& role);

struct User {
  int64_t id = 0;
  std::string login;
  std::string display_name;
  Role role = Role::kClerk;
  int64_t institution_id = 0;  // 0 = none
  std::string institution_code;
  std::string municipality_code;  // "" = none
  std::string designation_number;

  bool AtInstitution() const {
    return role == Role::kPhysician || role == Role::kClerk || role == Role::kInstitutionAdmin;
  }
};

}  // namespace kijun::server
