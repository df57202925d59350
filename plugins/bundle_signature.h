#pragma once

// Ed25519 signatures over rule bundles (OpenSSL EVP).
//
// A signed bundle file:
//   {"format": "kijun-signed-bundle/1",
//    "bundle": "<the bundle JSON text, exactly the bytes signed>",
//    "signatures": [{"algorithm": "ed25519",
//                    "key_id": "sha256:<hex of the DER SubjectPublicKeyInfo>",
//                    "signature": "<base64>"}, …]}
//
// Keys are PEM files: the private key PKCS#8, the public key
// SubjectPublicKeyInfo. Errors are "日本語 / English".

#include <string>

namespace kijun::plugins {

inline constexpr const char* kSignedBundleFormat = "kijun-signed-bundle/1";

// Makes a new Ed25519 key pair. The private key file is created with mode
// 0600; neither file may exist already.
bool GenerateSigningKey(const std::string& private_pem_path, const std::string& public_pem_path,
                        std::string& error);

// "sha256:<hex>" of the public key in `public_or_private_pem_path` (a public
// key, or the public half of a private key); "" with `error` on failure.
std::string KeyIdOfPemFile(const std::string& public_or_private_pem_path, std::string& error);

// Signs a bundle. `bundle_text` is a plain bundle (which must be a valid
// bundle) or a signed bundle file, to which one more signature over the same
// inner bundle text is added (none when the key has signed it already).
bool SignBundle(const std::string& bundle_text, const std::string& private_pem_path,
                std::string& signed_text, std::string& error);

enum class SignatureStatus {
  kValid,         // signed by a trusted key, and no trusted key's signature fails
  kUnsigned,      // a plain bundle, or a signed file with no signatures
  kBadSignature,  // a trusted key's signature does not verify (tampered text)
  kUnknownKey,    // signatures, but none by a trusted key
  kMalformed,     // not a bundle file at all
};

// Checks the signatures of a bundle file against the trusted keys (every
// `*.pem` public key in `trusted_keys_dir`). Sets `bundle_text` to the inner
// bundle (for kValid, kUnsigned, kBadSignature and kUnknownKey), `key_id` to
// the trusted key that signed (kValid) and `error` to the reason otherwise.
SignatureStatus VerifyBundle(const std::string& file_text, const std::string& trusted_keys_dir,
                             std::string& bundle_text, std::string& key_id, std::string& error);

// "valid", "unsigned", "bad signature", "unknown key", "malformed".
const char* SignatureStatusName(SignatureStatus status);

}  // namespace kijun::plugins
