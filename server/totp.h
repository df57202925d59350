#pragma once

// Time-based one-time passwords (RFC 6238) for second-factor login:
// HMAC-SHA1, 30-second steps counted from the Unix epoch, 6 digits. This is
// what authenticator apps (Google Authenticator, FreeOTP, 1Password, ...)
// implement by default.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kijun::server {

// Base32 (RFC 4648 alphabet A-Z 2-7), without '=' padding.
std::string Base32Encode(std::string_view bytes);

// Decodes base32: case-insensitive, spaces ignored, trailing '=' padding
// accepted. Returns nullopt on any other character or an impossible length.
std::optional<std::string> Base32Decode(std::string_view text);

// A fresh secret: 20 random bytes (RAND_bytes), base32 without padding.
// Throws std::runtime_error if OpenSSL cannot provide randomness.
std::string NewTotpSecret();

// The 6-digit code (zero-padded) for `unix_time`. An undecodable or empty
// secret gives "".
std::string TotpCode(std::string_view secret_base32, int64_t unix_time);

// True when `code` is exactly 6 ASCII digits and matches the code of the
// step containing `unix_time` or of the step just before or after (clock
// drift). Codes are compared in constant time. When `last_used_step` is not
// null, a step <= *last_used_step is refused (a code is good once) and, on
// success, the matching step is stored there.
bool VerifyTotp(std::string_view secret_base32, std::string_view code, int64_t unix_time,
                int64_t* last_used_step);

// otpauth://totp/<issuer>:<account>?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
// for authenticator apps (usually shown as a QR code). Label parts and the
// issuer parameter are percent-encoded.
std::string TotpUri(std::string_view secret, std::string_view account,
                    std::string_view issuer = "Kijun");

}  // namespace kijun::server
