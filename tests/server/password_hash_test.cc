// scrypt password hashes: round trip, salting, the encoding, and refusal of
// malformed or hostile stored strings.

#include "server/password_hash.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

namespace kijun::server {
namespace {

std::string Base64(const std::vector<unsigned char>& bytes) {
  std::vector<unsigned char> out(4 * ((bytes.size() + 2) / 3) + 1);
  int n = EVP_EncodeBlock(out.data(), bytes.data(), static_cast<int>(bytes.size()));
  return {reinterpret_cast<const char*>(out.data()), static_cast<size_t>(n)};
}

// An encoding made outside HashPassword, with the given parameters.
std::string EncodeWith(const std::string& password, int log2_n, int r, int p) {
  std::vector<unsigned char> salt = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  std::vector<unsigned char> key(32);
  EXPECT_EQ(EVP_PBE_scrypt(password.data(), password.size(), salt.data(), salt.size(),
                           uint64_t{1} << log2_n, static_cast<uint64_t>(r),
                           static_cast<uint64_t>(p), uint64_t{64} << 20, key.data(), key.size()),
            1);
  return "scrypt$" + std::to_string(log2_n) + "$" + std::to_string(r) + "$" + std::to_string(p) +
         "$" + Base64(salt) + "$" + Base64(key);
}

TEST(PasswordHashTest, RoundTrip) {
  std::string encoded = HashPassword("correct horse battery staple");
  EXPECT_TRUE(VerifyPassword("correct horse battery staple", encoded));
}

TEST(PasswordHashTest, EncodingShape) {
  std::string encoded = HashPassword("pw");
  ASSERT_EQ(encoded.rfind("scrypt$15$8$1$", 0), 0U) << encoded;
  // 16-byte salt -> 24 base64 characters, 32-byte key -> 44.
  std::string rest = encoded.substr(std::string("scrypt$15$8$1$").size());
  size_t dollar = rest.find('$');
  ASSERT_NE(dollar, std::string::npos);
  EXPECT_EQ(dollar, 24U);
  EXPECT_EQ(rest.size() - dollar - 1, 44U);
  EXPECT_EQ(encoded.find('\n'), std::string::npos);
}

TEST(PasswordHashTest, WrongPasswordRefused) {
  std::string encoded = HashPassword("secret");
  EXPECT_FALSE(VerifyPassword("Secret", encoded));
  EXPECT_FALSE(VerifyPassword("secret ", encoded));
  EXPECT_FALSE(VerifyPassword("", encoded));
}

TEST(PasswordHashTest, EmptyPasswordRoundTrips) {
  std::string encoded = HashPassword("");
  EXPECT_TRUE(VerifyPassword("", encoded));
  EXPECT_FALSE(VerifyPassword("x", encoded));
}

TEST(PasswordHashTest, SameInputDifferentSalt) {
  std::string a = HashPassword("same");
  std::string b = HashPassword("same");
  EXPECT_NE(a, b);
  EXPECT_TRUE(VerifyPassword("same", a));
  EXPECT_TRUE(VerifyPassword("same", b));
}

TEST(PasswordHashTest, OtherParametersStillVerify) {
  std::string encoded = EncodeWith("pw", 10, 8, 1);
  EXPECT_TRUE(VerifyPassword("pw", encoded));
  EXPECT_FALSE(VerifyPassword("px", encoded));
  EXPECT_TRUE(VerifyPassword("pw", EncodeWith("pw", 12, 4, 2)));
}

TEST(PasswordHashTest, MalformedEncodingsRefused) {
  std::string good = EncodeWith("pw", 10, 8, 1);
  ASSERT_TRUE(VerifyPassword("pw", good));
  size_t salt_start = std::string("scrypt$10$8$1$").size();
  std::string salt_and_hash = good.substr(salt_start);

  std::vector<std::string> bad = {
      "",
      "scrypt",
      "scrypt$",
      "$$$$$",
      "bcrypt$10$8$1$" + salt_and_hash,
      "SCRYPT$10$8$1$" + salt_and_hash,
      "scrypt$10$8$1$" + salt_and_hash + "$extra",
      "scrypt$10$8$" + salt_and_hash,
      "scrypt$$8$1$" + salt_and_hash,
      "scrypt$x$8$1$" + salt_and_hash,
      "scrypt$-10$8$1$" + salt_and_hash,
      "scrypt$+10$8$1$" + salt_and_hash,
      "scrypt$10 $8$1$" + salt_and_hash,
      // Absurd or out-of-bounds parameters.
      "scrypt$40$8$1$" + salt_and_hash,
      "scrypt$9$8$1$" + salt_and_hash,
      "scrypt$21$8$1$" + salt_and_hash,
      "scrypt$99999999999999999999$8$1$" + salt_and_hash,
      "scrypt$10$0$1$" + salt_and_hash,
      "scrypt$10$17$1$" + salt_and_hash,
      "scrypt$10$8$0$" + salt_and_hash,
      "scrypt$10$8$5$" + salt_and_hash,
      // Bad base64.
      "scrypt$10$8$1$!!!!$" + salt_and_hash.substr(salt_and_hash.find('$') + 1),
      "scrypt$10$8$1$" + salt_and_hash.substr(0, salt_and_hash.find('$')) + "$abc",
      "scrypt$10$8$1$" + salt_and_hash.substr(0, salt_and_hash.find('$')) + "$",
      "scrypt$10$8$1$$" + salt_and_hash.substr(salt_and_hash.find('$') + 1),
      "scrypt$10$8$1$" + salt_and_hash + "=",
      // Too short a salt (4 bytes) and too short a hash (3 bytes).
      "scrypt$10$8$1$AAAAAA==$" + salt_and_hash.substr(salt_and_hash.find('$') + 1),
      "scrypt$10$8$1$" + salt_and_hash.substr(0, salt_and_hash.find('$')) + "$AAAA",
  };
  for (const std::string& encoded : bad) {
    EXPECT_FALSE(VerifyPassword("pw", encoded)) << encoded;
  }
  // Embedded NUL and high bytes.
  EXPECT_FALSE(VerifyPassword("pw", std::string("scrypt\0$10$8$1$", 15) + salt_and_hash));
  EXPECT_FALSE(VerifyPassword("pw", "scrypt$10$8$1$\xff\xfe\xfd\xfc$" + salt_and_hash));
}

TEST(PasswordHashTest, TamperedHashRefused) {
  std::string good = EncodeWith("pw", 10, 8, 1);
  std::string tampered = good;
  char& last_data_char = tampered[tampered.size() - 2];  // before the '=' padding
  last_data_char = last_data_char == 'A' ? 'E' : 'A';
  EXPECT_FALSE(VerifyPassword("pw", tampered));
}

TEST(PasswordHashTest, MemoryCapRefusesHugeParametersWithinBounds) {
  // log2 N 20 with r 16 would need 2 GiB: within the syntactic bounds but
  // over the 64 MiB memory cap, so refused without allocating it.
  std::string good = EncodeWith("pw", 10, 8, 1);
  std::string rest = good.substr(std::string("scrypt$10$8$1$").size());
  EXPECT_FALSE(VerifyPassword("pw", "scrypt$20$16$4$" + rest));
}

}  // namespace
}  // namespace kijun::server
