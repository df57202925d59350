// TOTP (RFC 6238) and base32 (RFC 4648): the RFCs' test vectors, the
// verification window, replay protection and input validation.

#include "server/totp.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kijun::server {
namespace {

// RFC 6238 appendix B, SHA-1: the secret is the ASCII string
// "12345678901234567890".
std::string RfcSecret() { return Base32Encode("12345678901234567890"); }

TEST(Base32Test, Rfc4648Vectors) {
  std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "MY"},
      {"fo", "MZXQ"},
      {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base32Encode(plain), encoded) << plain;
    std::optional<std::string> decoded = Base32Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, plain);
  }
}

TEST(Base32Test, DecodeIsLenientOnCaseSpacesAndPadding) {
  EXPECT_EQ(Base32Decode("mzxw6ytboi"), "foobar");
  EXPECT_EQ(Base32Decode("MZXW 6YTB OI"), "foobar");
  EXPECT_EQ(Base32Decode("MZXW6YQ="), "foob");
  EXPECT_EQ(Base32Decode("MY======"), "f");
}

TEST(Base32Test, DecodeRejectsBadInput) {
  EXPECT_FALSE(Base32Decode("MZXW1").has_value());  // '1' is not base32
  EXPECT_FALSE(Base32Decode("MZXW8").has_value());  // nor '8'
  EXPECT_FALSE(Base32Decode("MZ-XW").has_value());
  EXPECT_FALSE(Base32Decode("MZ=XW").has_value());  // data after padding
  EXPECT_FALSE(Base32Decode("M").has_value());      // impossible lengths
  EXPECT_FALSE(Base32Decode("MZX").has_value());
  EXPECT_FALSE(Base32Decode("MZXW6Y").has_value());
  EXPECT_FALSE(Base32Decode("MZXW\t6").has_value());
  EXPECT_FALSE(Base32Decode("MZ\xc3\x89W").has_value());
}

TEST(Base32Test, RoundTripAllByteValues) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (size_t n = 0; n <= bytes.size(); n += 7) {
    std::string part = bytes.substr(0, n);
    EXPECT_EQ(Base32Decode(Base32Encode(part)), part) << n;
  }
}

TEST(TotpTest, Rfc6238Sha1Vectors) {
  std::string secret = RfcSecret();
  EXPECT_EQ(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_EQ(TotpCode(secret, 59), "287082");
  EXPECT_EQ(TotpCode(secret, 1111111109), "081804");
  EXPECT_EQ(TotpCode(secret, 1111111111), "050471");
  EXPECT_EQ(TotpCode(secret, 1234567890), "005924");
  EXPECT_EQ(TotpCode(secret, 2000000000), "279037");
  EXPECT_EQ(TotpCode(secret, 20000000000), "353130");
}

TEST(TotpTest, SameStepSameCode) {
  std::string secret = RfcSecret();
  EXPECT_EQ(TotpCode(secret, 30), TotpCode(secret, 59));
  EXPECT_NE(TotpCode(secret, 59), TotpCode(secret, 60));
}

TEST(TotpTest, BadSecretGivesNoCode) {
  EXPECT_EQ(TotpCode("not base32!", 59), "");
  EXPECT_EQ(TotpCode("", 59), "");
  EXPECT_FALSE(VerifyTotp("", "000000", 59, nullptr));
  EXPECT_FALSE(VerifyTotp("not base32!", "287082", 59, nullptr));
}

TEST(TotpTest, NewSecretIs20RandomBytes) {
  std::set<std::string> seen;
  for (int i = 0; i < 8; ++i) {
    std::string secret = NewTotpSecret();
    EXPECT_EQ(secret.size(), 32U);  // 160 bits / 5, no padding
    std::optional<std::string> bytes = Base32Decode(secret);
    ASSERT_TRUE(bytes.has_value());
    EXPECT_EQ(bytes->size(), 20U);
    seen.insert(secret);
  }
  EXPECT_EQ(seen.size(), 8U);
}

TEST(TotpTest, WindowIsOneStepEitherSide) {
  std::string secret = RfcSecret();
  const int64_t now = 1234567890;  // step 41152263
  std::string code = TotpCode(secret, now);
  EXPECT_TRUE(VerifyTotp(secret, code, now, nullptr));
  EXPECT_TRUE(VerifyTotp(secret, code, now - 30, nullptr));  // clock ahead by a step
  EXPECT_TRUE(VerifyTotp(secret, code, now + 30, nullptr));  // clock behind by a step
  EXPECT_FALSE(VerifyTotp(secret, code, now - 60, nullptr));
  EXPECT_FALSE(VerifyTotp(secret, code, now + 60, nullptr));
  EXPECT_TRUE(VerifyTotp(secret, TotpCode(secret, now - 30), now, nullptr));
  EXPECT_TRUE(VerifyTotp(secret, TotpCode(secret, now + 30), now, nullptr));
  EXPECT_FALSE(VerifyTotp(secret, TotpCode(secret, now - 60), now, nullptr));
  EXPECT_FALSE(VerifyTotp(secret, TotpCode(secret, now + 60), now, nullptr));
}

TEST(TotpTest, ReplayRefused) {
  std::string secret = RfcSecret();
  const int64_t now = 1234567890;
  const int64_t step = now / 30;
  int64_t last_used = -1;
  std::string code = TotpCode(secret, now);
  EXPECT_TRUE(VerifyTotp(secret, code, now, &last_used));
  EXPECT_EQ(last_used, step);
  // The same code again, now or a step later (still within the window).
  EXPECT_FALSE(VerifyTotp(secret, code, now, &last_used));
  EXPECT_FALSE(VerifyTotp(secret, code, now + 30, &last_used));
  EXPECT_EQ(last_used, step);
  // An older code that is still within the window is refused too.
  EXPECT_FALSE(VerifyTotp(secret, TotpCode(secret, now - 30), now, &last_used));
  // The next step's code is fine, once.
  std::string next = TotpCode(secret, now + 30);
  EXPECT_TRUE(VerifyTotp(secret, next, now + 30, &last_used));
  EXPECT_EQ(last_used, step + 1);
  EXPECT_FALSE(VerifyTotp(secret, next, now + 30, &last_used));
}

TEST(TotpTest, FailureLeavesLastUsedStepAlone) {
  std::string secret = RfcSecret();
  const int64_t now = 1234567890;
  int64_t last_used = 5;
  EXPECT_FALSE(VerifyTotp(secret, TotpCode(secret, now - 90), now, &last_used));
  EXPECT_EQ(last_used, 5);
}

TEST(TotpTest, MalformedCodesRefused) {
  std::string secret = RfcSecret();
  const int64_t now = 1234567890;
  std::string code = TotpCode(secret, now);
  ASSERT_EQ(code, "005924");
  EXPECT_FALSE(VerifyTotp(secret, "05924", now, nullptr));     // 5 digits
  EXPECT_FALSE(VerifyTotp(secret, "0005924", now, nullptr));   // 7 digits
  EXPECT_FALSE(VerifyTotp(secret, "89005924", now, nullptr));  // the 8-digit code
  EXPECT_FALSE(VerifyTotp(secret, "", now, nullptr));
  EXPECT_FALSE(VerifyTotp(secret, "00592a", now, nullptr));
  EXPECT_FALSE(VerifyTotp(secret, " 05924", now, nullptr));
  EXPECT_FALSE(VerifyTotp(secret, "+05924", now, nullptr));
  EXPECT_FALSE(VerifyTotp(secret, "abcdef", now, nullptr));
  EXPECT_FALSE(VerifyTotp(secret, std::string("00592\0", 6), now, nullptr));
}

TEST(TotpTest, Uri) {
  EXPECT_EQ(TotpUri("JBSWY3DPEHPK3PXP", "alice@example.org"),
            "otpauth://totp/Kijun:alice%40example.org?secret=JBSWY3DPEHPK3PXP&issuer=Kijun"
            "&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(TotpUri("JBSWY3DPEHPK3PXP", "Dr. Ünal/ward 3", "Kijun Test"),
            "otpauth://totp/Kijun%20Test:Dr.%20%C3%9Cnal%2Fward%203?secret=JBSWY3DPEHPK3PXP"
            "&issuer=Kijun%20Test&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(TotpUri("ABC", "a:b", ""),
            "otpauth://totp/a%3Ab?secret=ABC&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace kijun::server
