// Access keys: format, randomness and normalisation.

#include "server/access_key.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace kijun::server {
namespace {

TEST(AccessKey, FourGroupsOfCrockfordBase32) {
  std::regex shape("[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string key = NewAccessKey();
    EXPECT_TRUE(std::regex_match(key, shape)) << key;
    seen.insert(key);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(AccessKey, NormalisesCaseSpacesAndDashes) {
  std::string key = " 7k2m qx9d-4tab hr6e ";
  ASSERT_TRUE(NormaliseAccessKey(key));
  EXPECT_EQ(key, "7K2M-QX9D-4TAB-HR6E");
  std::string bad = "7K2M-QX9D-4TAB-HR6";  // 15 characters
  EXPECT_FALSE(NormaliseAccessKey(bad));
  bad = "7K2M-QX9D-4TAB-HR6U";  // U is not in the alphabet
  EXPECT_FALSE(NormaliseAccessKey(bad));
  bad = "'; DROP TABLE x; --";
  EXPECT_FALSE(NormaliseAccessKey(bad));
}

}  // namespace
}  // namespace kijun::server
