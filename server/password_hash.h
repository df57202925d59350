#pragma once

// Password hashing for registry accounts.
//
// Passwords are hashed with scrypt (RFC 7914) through OpenSSL's
// EVP_PBE_scrypt. scrypt is memory-hard: every guess needs about
// 128 * r * N bytes of memory (32 MiB with the parameters below), so an
// attacker who steals the table cannot cheaply run billions of guesses in
// parallel on GPUs or ASICs the way they could against a fast hash such as
// SHA-256, or even against PBKDF2 whose cost is time only.
//
// Parameters: N = 2^15, r = 8, p = 1, a 16-byte random salt per password
// (RAND_bytes) and a 32-byte derived key. That is the commonly recommended
// interactive-login setting: tens of milliseconds and 32 MiB per hash on a
// server. The salt makes equal passwords hash differently, which defeats
// precomputed tables and hides reuse across accounts.
//
// Encoding: "scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>" (standard
// base64, with padding, no newlines). The parameters travel with the hash, so
// they can be raised later: old hashes still verify with the parameters they
// were made with. VerifyPassword only accepts parameters within sane bounds
// (log2 N 10..20, r 1..16, p 1..4) so that a corrupted or hostile stored
// string cannot make the server allocate gigabytes or spin for minutes.
//
// The recomputed key is compared with CRYPTO_memcmp, whose running time does
// not depend on where the first differing byte is; an early-exit memcmp would
// leak, through timing, how much of the hash a guess matches.

#include <string>
#include <string_view>

namespace kijun::server {

// Hashes `password` with a fresh random salt. Throws std::runtime_error if
// OpenSSL fails (no randomness, out of memory).
std::string HashPassword(std::string_view password);

// True when `encoded` (as made by HashPassword, possibly with other
// parameters within bounds) is the hash of `password`. Malformed encodings
// and out-of-bounds parameters give false; never throws.
bool VerifyPassword(std::string_view password, std::string_view encoded);

}  // namespace kijun::server
