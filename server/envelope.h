#pragma once

// The payload envelope (docs/envelope.md): a form payload signed by the
// confirming physician's certificate (CMS SignedData) and then encrypted to
// the registry's certificate (CMS AuthEnvelopedData, AES-256-GCM, ECDH key
// agreement), DER on the wire. This is the second layer under TLS: what a
// hospital system or the offline check tool sends, so that the payload stays
// confidential and attributable to a physician beyond the TLS connection.
//
// The library depends on OpenSSL's libcrypto only, so that the `kijun`
// command can link it without the rest of the server. Every function here is
// thread-safe; the credential types are immutable and cheap to copy.

#include <openssl/types.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kijun::server {

// The media type of an envelope on the wire (RFC 8551 §3.2.2).
inline constexpr std::string_view kEnvelopeMediaType =
    "application/pkcs7-mime; smime-type=authEnveloped-data";

// Why an envelope was refused, or why one could not be made. The names
// (EnvelopeErrorName) are stable: the API and the logs use them.
enum class EnvelopeErrorCode {
  kNotAnEnvelope,           // not DER/PEM CMS, or not the structure of docs/envelope.md
  kUnsupportedAlgorithm,    // CMS, but algorithms other than the format's
  kNotForThisRecipient,     // encrypted to another certificate
  kDecryptionFailed,        // key unwrap or GCM tag failed: ciphertext or tag altered
  kBadSignature,            // payload or signed attributes changed after signing
  kSignerNotTrusted,        // chain does not reach the registry CA
  kSignerRevoked,           // on the CA's revocation list
  kSignerExpired,           // outside its validity period now
  kRevocationUnknown,       // no usable CRL: revocation cannot be checked
  kSignerNotForSigning,     // key usage / extended key usage exclude signing
  kNoDesignation,           // subject lacks exactly one serialNumber (指定医番号)
  kNotConfirmingPhysician,  // signed by another physician than the form names
  kBadCredentials,          // a certificate, key or CRL cannot be read or used
};

// "not_an_envelope", "decryption_failed", ...
std::string_view EnvelopeErrorName(EnvelopeErrorCode code);

// A refused envelope (or a failed seal). what() is bilingual, Japanese then
// English, followed by the specific reason when there is one.
class EnvelopeError : public std::runtime_error {
 public:
  EnvelopeError(EnvelopeErrorCode code, const std::string& detail);
  EnvelopeErrorCode code() const { return code_; }
  std::string_view name() const { return EnvelopeErrorName(code_); }
  // The specific reason alone (English, may be empty).
  const std::string& detail() const { return detail_; }

 private:
  EnvelopeErrorCode code_;
  std::string detail_;
};

// An X.509 certificate. Throws EnvelopeError(kBadCredentials) naming the
// source when the text is not a PEM certificate.
class Certificate {
 public:
  static Certificate FromPem(std::string_view pem, std::string_view source = "certificate");
  static Certificate ReadPemFile(const std::string& path);
  // Every certificate of a PEM bundle (at least one).
  static std::vector<Certificate> ReadPemBundle(const std::string& path);
  X509* get() const { return x509_.get(); }

 private:
  explicit Certificate(std::shared_ptr<X509> x509) : x509_(std::move(x509)) {}
  std::shared_ptr<X509> x509_;
};

// A private key (PEM, unencrypted).
class PrivateKey {
 public:
  static PrivateKey FromPem(std::string_view pem, std::string_view source = "private key");
  static PrivateKey ReadPemFile(const std::string& path);
  EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit PrivateKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// A certificate with its private key: the physician's signing credential
// when sealing, the registry's when opening. Construction checks that the
// key belongs to the certificate (kBadCredentials otherwise).
class CertifiedKey {
 public:
  CertifiedKey(Certificate certificate, PrivateKey key);
  static CertifiedKey ReadPemFiles(const std::string& certificate_path,
                                   const std::string& key_path);
  const Certificate& certificate() const { return certificate_; }
  const PrivateKey& key() const { return key_; }

 private:
  Certificate certificate_;
  PrivateKey key_;
};

// A certificate revocation list (PEM).
class RevocationList {
 public:
  static RevocationList FromPem(std::string_view pem, std::string_view source = "CRL");
  // Every CRL of a PEM file (at least one).
  static std::vector<RevocationList> ReadPemFile(const std::string& path);
  X509_CRL* get() const { return crl_.get(); }

 private:
  explicit RevocationList(std::shared_ptr<X509_CRL> crl) : crl_(std::move(crl)) {}
  std::shared_ptr<X509_CRL> crl_;
};

enum class RevocationCheck {
  kRequired,  // a current CRL from the CA must cover the signer (the server)
  kSkipped,   // no revocation check (an operator's look at an envelope without a CRL)
};

// Whom the registry trusts to sign: its CA certificate(s) and their CRLs.
struct SignerTrust {
  std::vector<Certificate> authorities;
  std::vector<RevocationList> revocation_lists;
  RevocationCheck revocation = RevocationCheck::kRequired;
  // When the chain's validity is judged: now (the server, on receipt), or
  // the signing time (re-checking a stored proof of authorship later, when
  // the certificate may since have expired).
  bool at_signing_time = false;
};

struct SealedEnvelope {
  std::string der;  // the ContentInfo, DER: the bytes on the wire
  // The PEM armour ("-----BEGIN CMS-----"), for files and terminals.
  std::string Pem() const;
};

// Signs `payload` (the form JSON, UTF-8; any bytes are kept as they are)
// with the physician's credential, then encrypts it to the registry's
// certificate, which must have an EC key. It does not judge the signer: a
// certificate without a designation number still seals (tests need that);
// Open refuses it. Throws EnvelopeError(kBadCredentials) when OpenSSL cannot
// seal with these credentials.
SealedEnvelope Seal(std::string_view payload, const CertifiedKey& physician,
                    const Certificate& registry);

// The physician who signed an envelope, from the certificate the signature
// names and the registry CA vouches for.
struct EnvelopeSigner {
  std::string designation_number;  // 指定医番号, the subject's serialNumber, e.g. "13-0001"
  std::string name;                // subject CN
  std::string institution;         // subject O (empty when absent)
  std::string subject;             // the whole subject, RFC 2253, UTF-8
  std::string issuer;              // the issuer, RFC 2253, UTF-8
  std::string certificate_serial;  // hex, upper case
  std::chrono::sys_seconds not_after;
};

struct OpenedEnvelope {
  std::string payload;  // byte for byte what the physician signed
  EnvelopeSigner signer;
  // The signed signingTime attribute: the signer's own claim, protected by
  // the signature but not by any clock of the registry's.
  std::chrono::sys_seconds signing_time;
  bool revocation_checked = false;
  // The decrypted inner ContentInfo(SignedData), DER: the physician's
  // signature as it came, kept as proof of authorship.
  std::string signed_data;
};

// Decrypts `envelope` (DER, or the PEM armour) with the registry's
// credential, then checks the signature, the signer's certificate chain to
// `trust`'s CA, its revocation and validity now, that it may sign, and that
// it carries a designation number, in the order of docs/envelope.md. Throws
// EnvelopeError with the first check that fails; nothing of the payload is
// returned unless all pass.
OpenedEnvelope Open(std::string_view envelope, const CertifiedKey& registry,
                    const SignerTrust& trust);

// Checks a stored SignedData (OpenedEnvelope::signed_data) again: the
// signature, the signing-certificate attribute, the chain to `trust`'s CA,
// the key usage and the designation number, as Open does after decrypting.
OpenedEnvelope VerifySignedData(std::string_view signed_data, const SignerTrust& trust);

// The server's last check: the envelope's signer is the physician the form
// names as confirming it. Throws EnvelopeError(kNotConfirmingPhysician).
void RequireConfirmingPhysician(const OpenedEnvelope& opened, std::string_view designation_number);

// "2026-04-01T09:30:00Z".
std::string FormatUtc(std::chrono::sys_seconds time);

}  // namespace kijun::server
