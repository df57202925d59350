// The payload envelope (server/envelope.h, docs/envelope.md) against the
// development PKI of scripts/dev_pki.sh and certificates made here: the
// format as documented, a byte-exact round trip, and every refusal with
// its code — tampered ciphertext and tag, another recipient, forged and
// foreign signers, revocation, expiry, swapped content, a signature naming
// another certificate, missing designation numbers, other algorithms.

#include "server/envelope.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kijun::server {
namespace {

using Code = EnvelopeErrorCode;

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using Bio = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using Cms = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo_free>>;
using X509Owned = std::unique_ptr<X509, Deleter<X509_free>>;
using KeyOwned = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using NameOwned = std::unique_ptr<X509_NAME, Deleter<X509_NAME_free>>;
using ExtensionOwned = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;
using CrlOwned = std::unique_ptr<X509_CRL, Deleter<X509_CRL_free>>;
using BigNumber = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using EssOwned = std::unique_ptr<ESS_SIGNING_CERT_V2, Deleter<ESS_SIGNING_CERT_V2_free>>;
using TimeOwned = std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME_free>>;

// A form payload with what text conversions would break: Japanese, CRLF,
// a lone LF, no final newline.
const std::string kPayload =
    "{\"disease\":\"パーキンソン病\",\"physician\":\"13-0001\",\"note\":"
    "\"一行目\\r\\n\r\n二行目\n\"}";

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return {data, static_cast<size_t>(length)};
}

std::string Der(CMS_ContentInfo* cms) {
  unsigned char* out = nullptr;
  int length = i2d_CMS_ContentInfo(cms, &out);
  EXPECT_GT(length, 0);
  std::string der(reinterpret_cast<char*>(out), static_cast<size_t>(length));
  OPENSSL_free(out);
  return der;
}

Cms ParseDer(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  return Cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
}

Bio BytesBio(const std::string& bytes) {
  return Bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

Certificate AsCertificate(X509* x509) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), x509);
  return Certificate::FromPem(BioText(bio.get()));
}

PrivateKey AsPrivateKey(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return PrivateKey::FromPem(BioText(bio.get()));
}

KeyOwned NewEcKey() { return KeyOwned(EVP_EC_gen("P-256")); }

// What a test certificate says; the defaults make a physician's.
struct CertificateSpec {
  std::vector<std::pair<std::string, std::string>> subject = {
      {"O", "Kijun Demo Hospital"}, {"CN", "佐藤 一郎"}, {"serialNumber", "13-0001"}};
  long not_before_days = -1;
  long not_after_days = 365;
  std::string key_usage = "critical,digitalSignature,nonRepudiation";
  std::string extended_key_usage = "emailProtection";
  bool authority = false;
};

// A certificate for `key`, signed by `issuer` (self-signed when null).
X509Owned Issue(const CertificateSpec& spec, EVP_PKEY* key, const CertifiedKey* issuer) {
  X509Owned x509(X509_new());
  X509_set_version(x509.get(), 2);
  BigNumber serial(BN_new());
  BN_rand(serial.get(), 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x509.get()));
  NameOwned name(X509_NAME_new());
  for (const auto& [field, value] : spec.subject) {
    X509_NAME_add_entry_by_txt(name.get(), field.c_str(), MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0);
  }
  X509_set_subject_name(x509.get(), name.get());
  X509_set_issuer_name(x509.get(), issuer != nullptr
                                       ? X509_get_subject_name(issuer->certificate().get())
                                       : name.get());
  X509_gmtime_adj(X509_getm_notBefore(x509.get()), spec.not_before_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(x509.get()), spec.not_after_days * 86400);
  X509_set_pubkey(x509.get(), key);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer != nullptr ? issuer->certificate().get() : x509.get(), x509.get(),
                 nullptr, nullptr, 0);
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, spec.authority ? "critical,CA:TRUE" : "critical,CA:FALSE"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid"}};
  if (!spec.key_usage.empty()) extensions.emplace_back(NID_key_usage, spec.key_usage);
  if (!spec.extended_key_usage.empty()) {
    extensions.emplace_back(NID_ext_key_usage, spec.extended_key_usage);
  }
  for (const auto& [nid, value] : extensions) {
    ExtensionOwned extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    EXPECT_TRUE(extension) << value;
    X509_add_ext(x509.get(), extension.get(), -1);
  }
  EXPECT_GT(X509_sign(x509.get(), issuer != nullptr ? issuer->key().get() : key, EVP_sha256()), 0);
  return x509;
}

// A new key and a certificate for it.
CertifiedKey NewCredential(const CertificateSpec& spec, const CertifiedKey* issuer) {
  KeyOwned key = NewEcKey();
  X509Owned x509 = Issue(spec, key.get(), issuer);
  return {AsCertificate(x509.get()), AsPrivateKey(key.get())};
}

// A CRL of `issuer` that lists `revoked`, valid from an hour ago for
// `next_update_hours` (negative: already stale).
RevocationList MakeCrl(const CertifiedKey& issuer, long next_update_hours,
                       const std::vector<const Certificate*>& revoked = {}) {
  CrlOwned crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.certificate().get()));
  TimeOwned last(X509_gmtime_adj(nullptr, -2L * 3600 + std::min(next_update_hours, 0L) * 7200));
  TimeOwned next(X509_gmtime_adj(nullptr, next_update_hours * 3600));
  X509_CRL_set1_lastUpdate(crl.get(), last.get());
  X509_CRL_set1_nextUpdate(crl.get(), next.get());
  for (const Certificate* certificate : revoked) {
    X509_REVOKED* entry = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(certificate->get()));
    X509_REVOKED_set_revocationDate(entry, last.get());
    X509_CRL_add0_revoked(crl.get(), entry);
  }
  X509_CRL_sort(crl.get());
  EXPECT_GT(X509_CRL_sign(crl.get(), issuer.key().get(), EVP_sha256()), 0);
  Bio bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_CRL(bio.get(), crl.get());
  return RevocationList::FromPem(BioText(bio.get()));
}

// A SignedData made here rather than by Seal, so that a test can change
// what Seal would never produce.
struct SignOptions {
  unsigned flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP | CMS_CADES;
  const EVP_MD* digest = EVP_sha256();
  // After the signer is added, before the signature is made.
  std::function<void(CMS_ContentInfo*, CMS_SignerInfo*)> before_signing = nullptr;
  // After signing, before encoding.
  std::function<void(CMS_ContentInfo*)> after_signing = nullptr;
};

std::string SignedData(const std::string& payload, const CertifiedKey& signer,
                       const SignOptions& options = {}) {
  Bio content = BytesBio(payload);
  Cms cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, options.flags));
  EXPECT_TRUE(cms);
  CMS_SignerInfo* info = CMS_add1_signer(cms.get(), signer.certificate().get(), signer.key().get(),
                                         options.digest, options.flags);
  EXPECT_NE(info, nullptr);
  if (options.before_signing) options.before_signing(cms.get(), info);
  EXPECT_EQ(CMS_final(cms.get(), content.get(), nullptr, options.flags), 1);
  if (options.after_signing) options.after_signing(cms.get());
  return Der(cms.get());
}

struct EncryptOptions {
  const EVP_CIPHER* cipher = EVP_aes_256_gcm();
  const EVP_MD* kdf = EVP_sha256();  // null: OpenSSL's default (SHA-1)
};

// Encrypts `inner` to `recipient` as Seal does, or with other algorithms.
std::string EncryptTo(const std::string& inner, const Certificate& recipient,
                      const EncryptOptions& options = {}) {
  bool aead = (EVP_CIPHER_get_flags(options.cipher) & EVP_CIPH_FLAG_AEAD_CIPHER) != 0;
  Cms cms(aead ? CMS_AuthEnvelopedData_create(options.cipher)
               : CMS_EnvelopedData_create(options.cipher));
  CMS_RecipientInfo* info = CMS_add1_recipient_cert(cms.get(), recipient.get(), CMS_KEY_PARAM);
  EXPECT_NE(info, nullptr);
  if (options.kdf != nullptr) {
    EXPECT_GT(EVP_PKEY_CTX_set_ecdh_kdf_md(CMS_RecipientInfo_get0_pkey_ctx(info), options.kdf), 0);
  }
  CMS_set_detached(cms.get(), 0);
  Bio content = BytesBio(inner);
  EXPECT_EQ(CMS_final(cms.get(), content.get(), nullptr, CMS_BINARY), 1);
  return Der(cms.get());
}

class EnvelopeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Idempotent and locked per folder: every test process may call it.
    std::string command = std::string("bash '") + KIJUN_SOURCE_DIR + "/scripts/dev_pki.sh' '" +
                          KIJUN_ENVELOPE_PKI_DIR + "' >/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }

  static std::string Pki(const std::string& name) {
    return std::string(KIJUN_ENVELOPE_PKI_DIR) + "/" + name;
  }
  static CertifiedKey Credential(const std::string& name) {
    return CertifiedKey::ReadPemFiles(Pki(name + ".crt"), Pki(name + ".key"));
  }

  void SetUp() override {
    ERR_clear_error();
    server_ = Credential("server");
    ca_ = Credential("ca");
    physician_ = Credential("physician-1");
    trust_.authorities = Certificate::ReadPemBundle(Pki("ca.crt"));
    trust_.revocation_lists = RevocationList::ReadPemFile(Pki("crl.pem"));
  }

  // The code Open refuses `envelope` with (nullopt when it opens), and
  // that OpenSSL's error queue is left empty either way.
  std::optional<Code> Refusal(const std::string& envelope) const {
    return Refusal(envelope, trust_);
  }
  std::optional<Code> Refusal(const std::string& envelope, const SignerTrust& trust) const {
    std::optional<Code> code;
    try {
      Open(envelope, *server_, trust);
    } catch (const EnvelopeError& e) {
      code = e.code();
      last_message_ = e.what();
    }
    EXPECT_EQ(ERR_peek_error(), 0UL) << "OpenSSL errors left on the queue";
    return code;
  }

  // Signs and seals as the physician `signer`, to the server.
  std::string SealAs(const CertifiedKey& signer, const std::string& payload = kPayload) const {
    return Seal(payload, signer, server_->certificate()).der;
  }

  std::optional<CertifiedKey> server_, ca_, physician_;
  SignerTrust trust_;
  mutable std::string last_message_;
};

// --- the format and the round trip ---------------------------------------------

TEST_F(EnvelopeTest, RoundTripKeepsThePayloadByteForByte) {
  auto before = std::chrono::system_clock::now();
  SealedEnvelope sealed = Seal(kPayload, *physician_, server_->certificate());
  OpenedEnvelope opened = Open(sealed.der, *server_, trust_);
  EXPECT_EQ(opened.payload, kPayload);
  EXPECT_EQ(opened.signer.designation_number, "13-0001");
  EXPECT_EQ(opened.signer.name, "佐藤 一郎");
  EXPECT_EQ(opened.signer.institution, "Kijun Demo Hospital");
  EXPECT_EQ(opened.signer.subject, "serialNumber=13-0001,CN=佐藤 一郎,O=Kijun Demo Hospital");
  EXPECT_EQ(opened.signer.issuer, "CN=Kijun Dev Registry CA,O=Kijun Development");
  BigNumber serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(physician_->certificate().get()), nullptr));
  char* hex = BN_bn2hex(serial.get());
  EXPECT_EQ(opened.signer.certificate_serial, hex);
  OPENSSL_free(hex);
  EXPECT_TRUE(opened.revocation_checked);
  // signingTime has whole seconds, from OpenSSL's time(), which reads the
  // coarse real-time clock: near a second boundary it can lag
  // system_clock::now() by one second.
  auto signed_at = opened.signing_time;
  EXPECT_GE(signed_at, std::chrono::floor<std::chrono::seconds>(before) - std::chrono::seconds(1));
  EXPECT_LE(signed_at, std::chrono::system_clock::now());
  EXPECT_GT(opened.signer.not_after, signed_at);
  EXPECT_EQ(ERR_peek_error(), 0UL);
}

TEST_F(EnvelopeTest, EveryByteValueAndLargeAndEmptyPayloadsRoundTrip) {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  std::string large(1 << 20, 'x');
  for (size_t i = 0; i < large.size(); i += 97) large[i] = '\n';
  for (const std::string& payload : {all_bytes, large, std::string()}) {
    EXPECT_EQ(Open(SealAs(*physician_, payload), *server_, trust_).payload, payload)
        << payload.size() << " bytes";
  }
}

TEST_F(EnvelopeTest, SecondPhysicianFromAnotherInstitution) {
  OpenedEnvelope opened = Open(SealAs(Credential("physician-2")), *server_, trust_);
  EXPECT_EQ(opened.signer.designation_number, "27-0002");
  EXPECT_EQ(opened.signer.name, "高橋 六郎");
  EXPECT_EQ(opened.signer.institution, "Kijun Demo Clinic Osaka");
}

TEST_F(EnvelopeTest, PemArmourOpensLikeDer) {
  SealedEnvelope sealed = Seal(kPayload, *physician_, server_->certificate());
  std::string pem = sealed.Pem();
  EXPECT_EQ(pem.rfind("-----BEGIN CMS-----\n", 0), 0U) << pem;
  EXPECT_NE(pem.find("-----END CMS-----\n"), std::string::npos);
  EXPECT_EQ(Open(pem, *server_, trust_).payload, kPayload);
  EXPECT_EQ(Open("\n  " + pem, *server_, trust_).payload, kPayload);
}

TEST_F(EnvelopeTest, SealedStructureIsTheDocumentedOne) {
  std::string der = SealAs(*physician_);
  Cms envelope = ParseDer(der);
  ASSERT_TRUE(envelope);
  EXPECT_EQ(OBJ_obj2nid(CMS_get0_type(envelope.get())), NID_id_smime_ct_authEnvelopedData);
  EXPECT_EQ(OBJ_obj2nid(CMS_get0_eContentType(envelope.get())), NID_pkcs7_data);
  // The GCM tag is the last field: OCTET STRING, 16 bytes.
  ASSERT_GT(der.size(), 18U);
  EXPECT_EQ(der.substr(der.size() - 18, 2), std::string("\x04\x10", 2));
  STACK_OF(CMS_RecipientInfo)* recipients = CMS_get0_RecipientInfos(envelope.get());
  ASSERT_EQ(sk_CMS_RecipientInfo_num(recipients), 1);
  CMS_RecipientInfo* recipient = sk_CMS_RecipientInfo_value(recipients, 0);
  ASSERT_EQ(CMS_RecipientInfo_type(recipient), CMS_RECIPINFO_AGREE);
  X509_ALGOR* agreement = nullptr;
  ASN1_OCTET_STRING* ukm = nullptr;
  ASSERT_EQ(CMS_RecipientInfo_kari_get0_alg(recipient, &agreement, &ukm), 1);
  const ASN1_OBJECT* oid = nullptr;
  X509_ALGOR_get0(&oid, nullptr, nullptr, agreement);
  EXPECT_EQ(OBJ_obj2nid(oid), NID_dhSinglePass_stdDH_sha256kdf_scheme);
  STACK_OF(CMS_RecipientEncryptedKey)* keys = CMS_RecipientInfo_kari_get0_reks(recipient);
  ASSERT_EQ(sk_CMS_RecipientEncryptedKey_num(keys), 1);
  EXPECT_EQ(CMS_RecipientEncryptedKey_cert_cmp(sk_CMS_RecipientEncryptedKey_value(keys, 0),
                                               server_->certificate().get()),
            0);

  // Inside: a SignedData ContentInfo, with the payload, one signer, its
  // certificate, and the signed attributes of docs/envelope.md.
  Bio inner(BIO_new(BIO_s_mem()));
  ASSERT_EQ(CMS_decrypt(envelope.get(), server_->key().get(), server_->certificate().get(), nullptr,
                        inner.get(), CMS_BINARY),
            1);
  Cms signed_data = ParseDer(BioText(inner.get()));
  ASSERT_TRUE(signed_data);
  EXPECT_EQ(OBJ_obj2nid(CMS_get0_type(signed_data.get())), NID_pkcs7_signed);
  EXPECT_EQ(OBJ_obj2nid(CMS_get0_eContentType(signed_data.get())), NID_pkcs7_data);
  ASN1_OCTET_STRING** content = CMS_get0_content(signed_data.get());
  ASSERT_TRUE(content != nullptr && *content != nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*content)),
                        static_cast<size_t>(ASN1_STRING_length(*content))),
            kPayload);
  STACK_OF(CMS_SignerInfo)* signers = CMS_get0_SignerInfos(signed_data.get());
  ASSERT_EQ(sk_CMS_SignerInfo_num(signers), 1);
  CMS_SignerInfo* signer = sk_CMS_SignerInfo_value(signers, 0);
  EXPECT_EQ(CMS_SignerInfo_cert_cmp(signer, physician_->certificate().get()), 0);
  STACK_OF(X509)* certificates = CMS_get1_certs(signed_data.get());
  EXPECT_EQ(sk_X509_num(certificates), 1);
  sk_X509_pop_free(certificates, X509_free);
  std::set<int> attributes;
  for (int i = 0; i < CMS_signed_get_attr_count(signer); ++i) {
    attributes.insert(OBJ_obj2nid(X509_ATTRIBUTE_get0_object(CMS_signed_get_attr(signer, i))));
  }
  EXPECT_EQ(attributes,
            (std::set<int>{NID_pkcs9_contentType, NID_pkcs9_messageDigest, NID_pkcs9_signingTime,
                           NID_id_smime_aa_signingCertificateV2}));
  X509_ALGOR* digest = nullptr;
  CMS_SignerInfo_get0_algs(signer, nullptr, nullptr, &digest, nullptr);
  X509_ALGOR_get0(&oid, nullptr, nullptr, digest);
  EXPECT_EQ(OBJ_obj2nid(oid), NID_sha256);
}

// --- encryption ----------------------------------------------------------------

TEST_F(EnvelopeTest, FlippedCiphertextByteFailsDecryption) {
  std::string der = SealAs(*physician_);
  Cms envelope = ParseDer(der);
  ASN1_OCTET_STRING** ciphertext = CMS_get0_content(envelope.get());
  ASSERT_TRUE(ciphertext != nullptr && *ciphertext != nullptr);
  std::string encrypted(reinterpret_cast<const char*>(ASN1_STRING_get0_data(*ciphertext)),
                        static_cast<size_t>(ASN1_STRING_length(*ciphertext)));
  size_t at = der.find(encrypted);
  ASSERT_NE(at, std::string::npos);
  for (size_t offset : {size_t{0}, encrypted.size() / 2, encrypted.size() - 1}) {
    std::string tampered = der;
    tampered[at + offset] = static_cast<char>(tampered[at + offset] ^ 0x01);
    EXPECT_EQ(Refusal(tampered), Code::kDecryptionFailed) << "offset " << offset;
  }
}

TEST_F(EnvelopeTest, FlippedTagByteFailsDecryption) {
  std::string tampered = SealAs(*physician_);
  tampered.back() = static_cast<char>(tampered.back() ^ 0x80);
  EXPECT_EQ(Refusal(tampered), Code::kDecryptionFailed);
  EXPECT_NE(last_message_.find("復号できません"), std::string::npos) << last_message_;
  EXPECT_NE(last_message_.find("does not decrypt"), std::string::npos) << last_message_;
}

TEST_F(EnvelopeTest, EverySingleByteChangeIsRefusedOrChangesNothing) {
  // Some fields are not protected by anything and need not be (a version
  // number OpenSSL ignores, the order of recipient infos, and so on). What
  // must hold: no change anywhere yields another payload or another signer.
  std::string der = SealAs(*physician_);
  std::map<Code, int> refusals;
  int unchanged = 0;
  for (size_t i = 0; i < der.size(); ++i) {
    std::string changed = der;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    try {
      OpenedEnvelope opened = Open(changed, *server_, trust_);
      EXPECT_EQ(opened.payload, kPayload) << "byte " << i;
      EXPECT_EQ(opened.signer.designation_number, "13-0001") << "byte " << i;
      ++unchanged;
    } catch (const EnvelopeError& e) {
      ++refusals[e.code()];
    }
    ASSERT_EQ(ERR_peek_error(), 0UL) << "byte " << i;
  }
  EXPECT_GT(refusals[Code::kDecryptionFailed], static_cast<int>(der.size() / 2));
  EXPECT_GT(refusals[Code::kNotAnEnvelope], 0);
  EXPECT_GT(refusals[Code::kNotForThisRecipient], 0);
  EXPECT_LT(unchanged, 20) << "too many bytes nobody checks";
}

TEST_F(EnvelopeTest, SealedToAnotherCertificateIsNotForThisRecipient) {
  std::string to_terminal = Seal(kPayload, *physician_, Credential("terminal-2").certificate()).der;
  EXPECT_EQ(Refusal(to_terminal), Code::kNotForThisRecipient);
  // Also when the other certificate has the very subject of the server's.
  CertifiedKey twin = NewCredential(
      {.subject = {{"CN", "localhost"}}, .key_usage = "", .extended_key_usage = "serverAuth"},
      &*ca_);
  EXPECT_EQ(Refusal(Seal(kPayload, *physician_, twin.certificate()).der),
            Code::kNotForThisRecipient);
}

TEST_F(EnvelopeTest, OtherCiphersAndKdfsAreRefused) {
  std::string inner = SignedData(kPayload, *physician_);
  EXPECT_EQ(Refusal(EncryptTo(inner, server_->certificate())), std::nullopt);
  EXPECT_EQ(Refusal(EncryptTo(inner, server_->certificate(), {.cipher = EVP_aes_128_gcm()})),
            Code::kUnsupportedAlgorithm);
  EXPECT_EQ(Refusal(EncryptTo(inner, server_->certificate(), {.kdf = nullptr})),
            Code::kUnsupportedAlgorithm);
  EXPECT_NE(last_message_.find("sha256kdf"), std::string::npos) << last_message_;
  // EnvelopedData has no integrity protection at all.
  EXPECT_EQ(Refusal(EncryptTo(inner, server_->certificate(), {.cipher = EVP_aes_256_cbc()})),
            Code::kNotAnEnvelope);
}

TEST_F(EnvelopeTest, WhatIsNotAnEnvelope) {
  std::string sealed = SealAs(*physician_);
  EXPECT_EQ(Refusal(""), Code::kNotAnEnvelope);
  EXPECT_EQ(Refusal("{\"disease\":\"json, not an envelope\"}"), Code::kNotAnEnvelope);
  EXPECT_EQ(Refusal(sealed.substr(0, sealed.size() / 2)), Code::kNotAnEnvelope);
  EXPECT_EQ(Refusal(sealed + '\0'), Code::kNotAnEnvelope);
  EXPECT_NE(last_message_.find("after its end"), std::string::npos) << last_message_;
  // A signature alone is not encrypted.
  EXPECT_EQ(Refusal(SignedData(kPayload, *physician_)), Code::kNotAnEnvelope);
  std::string pem = SealedEnvelope{sealed}.Pem();
  std::string relabelled = pem;
  for (std::string_view from : {"BEGIN CMS", "END CMS"}) {
    relabelled.replace(relabelled.find(from), from.size(),
                       std::string(from.substr(0, from.find(' '))) + " PKCS7");
  }
  EXPECT_EQ(Refusal(relabelled), Code::kNotAnEnvelope);
  // Encrypted, but the content is not a SignedData.
  EXPECT_EQ(Refusal(EncryptTo(kPayload, server_->certificate())), Code::kNotAnEnvelope);
}

// --- the signature -------------------------------------------------------------

TEST_F(EnvelopeTest, ContentSwappedUnderTheSignatureIsABadSignature) {
  // The physician's signature over one payload, carried with another.
  std::string other = kPayload;
  other.replace(other.find("13-0001"), 7, "13-9999");
  std::string inner = SignedData(
      kPayload, *physician_, {.after_signing = [&](CMS_ContentInfo* cms) {
        ASN1_OCTET_STRING** content = CMS_get0_content(cms);
        ASN1_OCTET_STRING_set(*content, reinterpret_cast<const unsigned char*>(other.data()),
                              static_cast<int>(other.size()));
      }});
  EXPECT_EQ(Refusal(EncryptTo(inner, server_->certificate())), Code::kBadSignature);
  EXPECT_NE(last_message_.find("署名が内容と一致しません"), std::string::npos) << last_message_;
}

TEST_F(EnvelopeTest, SignedAttributeChangedAfterSigningIsABadSignature) {
  std::string inner = SignedData(
      kPayload, *physician_, {.after_signing = [](CMS_ContentInfo* cms) {
        CMS_SignerInfo* info = sk_CMS_SignerInfo_value(CMS_get0_SignerInfos(cms), 0);
        int index = CMS_signed_get_attr_by_NID(info, NID_pkcs9_signingTime, -1);
        X509_ATTRIBUTE_free(CMS_signed_delete_attr(info, index));
        TimeOwned earlier(X509_gmtime_adj(nullptr, -86400L * 30));
        CMS_signed_add1_attr_by_NID(info, NID_pkcs9_signingTime, earlier->type, earlier.get(), -1);
      }});
  EXPECT_EQ(Refusal(EncryptTo(inner, server_->certificate())), Code::kBadSignature);
}

TEST_F(EnvelopeTest, SignatureNamingAnotherCertificateIsABadSignature) {
  // A second certificate for physician-1's key, issued by the registry CA
  // with another designation number: the signature binds the first one
  // (ESS signingCertificateV2), so it cannot be presented with the second.
  CertificateSpec other_identity;
  other_identity.subject = {
      {"O", "Kijun Demo Hospital"}, {"CN", "佐藤 一郎"}, {"serialNumber", "13-0099"}};
  X509Owned second = Issue(other_identity, physician_->key().get(), &*ca_);
  CertifiedKey second_credential(AsCertificate(second.get()), physician_->key());
  EXPECT_EQ(Refusal(SealAs(second_credential)), std::nullopt);  // on its own it is fine
  std::string inner = SignedData(
      kPayload, second_credential,
      {.flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP,
       .before_signing = [&](CMS_ContentInfo*, CMS_SignerInfo* info) {
         EssOwned named(OSSL_ESS_signing_cert_v2_new_init(
             EVP_sha256(), physician_->certificate().get(), nullptr, 1));
         unsigned char* der = nullptr;
         int length = i2d_ESS_SIGNING_CERT_V2(named.get(), &der);
         ASSERT_GT(length, 0);
         EXPECT_EQ(CMS_signed_add1_attr_by_NID(info, NID_id_smime_aa_signingCertificateV2,
                                               V_ASN1_SEQUENCE, der, length),
                   1);
         OPENSSL_free(der);
       }});
  EXPECT_EQ(Refusal(EncryptTo(inner, server_->certificate())), Code::kBadSignature);
  EXPECT_NE(last_message_.find("names another certificate"), std::string::npos) << last_message_;
}

TEST_F(EnvelopeTest, SignaturesOutsideTheFormatAreRefused) {
  auto sealed = [&](const SignOptions& options) {
    return EncryptTo(SignedData(kPayload, *physician_, options), server_->certificate());
  };
  // No ESS signingCertificateV2 (openssl cms -sign without -cades).
  EXPECT_EQ(Refusal(sealed({.flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP})),
            Code::kNotAnEnvelope);
  EXPECT_NE(last_message_.find("-cades"), std::string::npos) << last_message_;
  // No signed attributes at all: no signing time.
  EXPECT_EQ(Refusal(sealed({.flags = CMS_BINARY | CMS_PARTIAL | CMS_NOATTR})),
            Code::kNotAnEnvelope);
  // The signer's certificate left out.
  EXPECT_EQ(Refusal(sealed(
                {.flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP | CMS_CADES | CMS_NOCERTS})),
            Code::kNotAnEnvelope);
  // Detached: the payload is not inside.
  EXPECT_EQ(Refusal(sealed(
                {.flags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP | CMS_CADES | CMS_DETACHED})),
            Code::kNotAnEnvelope);
  // Another digest.
  EXPECT_EQ(Refusal(sealed({.digest = EVP_sha384()})), Code::kUnsupportedAlgorithm);
  // Two signers.
  CertifiedKey second = Credential("physician-2");
  EXPECT_EQ(Refusal(sealed({.before_signing =
                                [&](CMS_ContentInfo* cms, CMS_SignerInfo*) {
                                  CMS_add1_signer(cms, second.certificate().get(),
                                                  second.key().get(), EVP_sha256(),
                                                  CMS_BINARY | CMS_PARTIAL | CMS_CADES);
                                }})),
            Code::kNotAnEnvelope);
}

// --- the signer ------------------------------------------------------------------

TEST_F(EnvelopeTest, ForgedSelfSignedSignerIsNotTrusted) {
  // The same subject as physician-1, vouched for by nobody.
  CertifiedKey forged = NewCredential({}, nullptr);
  EXPECT_EQ(Refusal(SealAs(forged)), Code::kSignerNotTrusted);
  EXPECT_NE(last_message_.find("レジストリの認証局"), std::string::npos) << last_message_;
}

TEST_F(EnvelopeTest, ForgedCaWithTheRegistryCaNameIsNotTrusted) {
  CertificateSpec authority;
  authority.subject = {{"O", "Kijun Development"}, {"CN", "Kijun Dev Registry CA"}};
  authority.key_usage = "critical,keyCertSign,cRLSign";
  authority.extended_key_usage = "";
  authority.authority = true;
  CertifiedKey impostor = NewCredential(authority, nullptr);
  CertifiedKey forged = NewCredential({}, &impostor);
  EXPECT_EQ(Refusal(SealAs(forged)), Code::kSignerNotTrusted);
  // Even with the impostor's own, valid CRL.
  SignerTrust with_crl = trust_;
  with_crl.revocation_lists.push_back(MakeCrl(impostor, 24));
  EXPECT_EQ(Refusal(SealAs(forged), with_crl), Code::kSignerNotTrusted);
}

TEST_F(EnvelopeTest, ForeignCaSignerIsNotTrusted) {
  EXPECT_EQ(Refusal(SealAs(Credential("physician-foreign"))), Code::kSignerNotTrusted);
  EXPECT_NE(last_message_.find("unable to get local issuer certificate"), std::string::npos)
      << last_message_;
}

TEST_F(EnvelopeTest, RevokedSignerIsRefused) {
  std::string sealed = SealAs(Credential("physician-revoked"));
  EXPECT_EQ(Refusal(sealed), Code::kSignerRevoked);
  EXPECT_NE(last_message_.find("失効"), std::string::npos) << last_message_;
  // Only an explicit kSkipped opens it, and says so.
  SignerTrust unchecked = trust_;
  unchecked.revocation_lists.clear();
  unchecked.revocation = RevocationCheck::kSkipped;
  OpenedEnvelope opened = Open(sealed, *server_, unchecked);
  EXPECT_EQ(opened.signer.designation_number, "13-0003");
  EXPECT_FALSE(opened.revocation_checked);
}

TEST_F(EnvelopeTest, RevocationMustBeCheckable) {
  std::string sealed = SealAs(*physician_);
  SignerTrust no_crl = trust_;
  no_crl.revocation_lists.clear();
  EXPECT_EQ(Refusal(sealed, no_crl), Code::kRevocationUnknown);
  SignerTrust stale = trust_;
  stale.revocation_lists = {MakeCrl(*ca_, -1)};
  EXPECT_EQ(Refusal(sealed, stale), Code::kRevocationUnknown);
  CertifiedKey foreign_ca = Credential("foreign-ca");
  SignerTrust foreign_crl = trust_;
  foreign_crl.revocation_lists = {MakeCrl(foreign_ca, 24)};
  EXPECT_EQ(Refusal(sealed, foreign_crl), Code::kRevocationUnknown);
  // A current CRL made here revokes as the dev PKI's does.
  SignerTrust fresh = trust_;
  fresh.revocation_lists = {MakeCrl(*ca_, 24, {&physician_->certificate()})};
  EXPECT_EQ(Refusal(sealed, fresh), Code::kSignerRevoked);
  fresh.revocation_lists = {MakeCrl(*ca_, 24)};
  EXPECT_EQ(Refusal(sealed, fresh), std::nullopt);
}

TEST_F(EnvelopeTest, ExpiredAndNotYetValidSignersAreRefused) {
  CertifiedKey expired = NewCredential({.not_before_days = -800, .not_after_days = -1}, &*ca_);
  EXPECT_EQ(Refusal(SealAs(expired)), Code::kSignerExpired);
  EXPECT_NE(last_message_.find("certificate has expired"), std::string::npos) << last_message_;
  CertifiedKey future = NewCredential({.not_before_days = 2, .not_after_days = 30}, &*ca_);
  EXPECT_EQ(Refusal(SealAs(future)), Code::kSignerExpired);
}

TEST_F(EnvelopeTest, CertificatesNotForSigningAreRefused) {
  // A terminal's TLS certificate: extendedKeyUsage clientAuth only.
  EXPECT_EQ(Refusal(SealAs(Credential("terminal-1"))), Code::kSignerNotForSigning);
  // nonRepudiation alone passes OpenSSL's S/MIME purpose; Kijun wants
  // digitalSignature.
  CertifiedKey repudiation_only = NewCredential({.key_usage = "critical,nonRepudiation"}, &*ca_);
  EXPECT_EQ(Refusal(SealAs(repudiation_only)), Code::kSignerNotForSigning);
  EXPECT_NE(last_message_.find("digitalSignature"), std::string::npos) << last_message_;
  CertifiedKey encipherment = NewCredential({.key_usage = "critical,keyAgreement"}, &*ca_);
  EXPECT_EQ(Refusal(SealAs(encipherment)), Code::kSignerNotForSigning);
  // Without keyUsage and extendedKeyUsage, nothing restricts it.
  CertifiedKey unrestricted = NewCredential({.key_usage = "", .extended_key_usage = ""}, &*ca_);
  EXPECT_EQ(Refusal(SealAs(unrestricted)), std::nullopt);
}

TEST_F(EnvelopeTest, SignerWithoutOneDesignationNumberIsRefused) {
  CertifiedKey none =
      NewCredential({.subject = {{"O", "Kijun Demo Hospital"}, {"CN", "佐藤 一郎"}}}, &*ca_);
  EXPECT_EQ(Refusal(SealAs(none)), Code::kNoDesignation);
  EXPECT_NE(last_message_.find("指定医番号"), std::string::npos) << last_message_;
  CertifiedKey two = NewCredential(
      {.subject = {{"CN", "佐藤 一郎"}, {"serialNumber", "13-0001"}, {"serialNumber", "27-0002"}}},
      &*ca_);
  EXPECT_EQ(Refusal(SealAs(two)), Code::kNoDesignation);
}

TEST_F(EnvelopeTest, ConfirmingPhysicianMustBeTheSigner) {
  OpenedEnvelope opened = Open(SealAs(*physician_), *server_, trust_);
  EXPECT_NO_THROW(RequireConfirmingPhysician(opened, "13-0001"));
  try {
    RequireConfirmingPhysician(opened, "27-0002");
    ADD_FAILURE() << "another physician's form accepted";
  } catch (const EnvelopeError& e) {
    EXPECT_EQ(e.code(), Code::kNotConfirmingPhysician);
    EXPECT_EQ(e.name(), "not_confirming_physician");
    EXPECT_NE(std::string(e.what()).find("13-0001"), std::string::npos) << e.what();
  }
}

// --- credentials and codes ---------------------------------------------------------

TEST_F(EnvelopeTest, CredentialsAreChecked) {
  auto code_of = [](const std::function<void()>& load) {
    try {
      load();
    } catch (const EnvelopeError& e) {
      return std::optional<Code>(e.code());
    }
    return std::optional<Code>();
  };
  EXPECT_EQ(code_of([] { CertifiedKey::ReadPemFiles(Pki("server.crt"), Pki("terminal-1.key")); }),
            Code::kBadCredentials);
  EXPECT_EQ(code_of([] { Certificate::ReadPemFile(Pki("no-such.crt")); }), Code::kBadCredentials);
  EXPECT_EQ(code_of([] { Certificate::ReadPemFile(Pki("server.key")); }), Code::kBadCredentials);
  EXPECT_EQ(code_of([] { RevocationList::ReadPemFile(Pki("ca.crt")); }), Code::kBadCredentials);
  EXPECT_EQ(ERR_peek_error(), 0UL);
  // Opening needs the registry's own key: physician-1's does not decrypt.
  EXPECT_EQ(code_of([&] { Open(SealAs(*physician_), *physician_, trust_); }),
            Code::kNotForThisRecipient);
}

TEST(EnvelopeErrorTest, NamesAreStableAndMessagesBilingual) {
  std::set<std::string_view> names;
  for (Code code :
       {Code::kNotAnEnvelope, Code::kUnsupportedAlgorithm, Code::kNotForThisRecipient,
        Code::kDecryptionFailed, Code::kBadSignature, Code::kSignerNotTrusted, Code::kSignerRevoked,
        Code::kSignerExpired, Code::kRevocationUnknown, Code::kSignerNotForSigning,
        Code::kNoDesignation, Code::kNotConfirmingPhysician, Code::kBadCredentials}) {
    names.insert(EnvelopeErrorName(code));
    EnvelopeError error(code, "detail");
    std::string message = error.what();
    EXPECT_NE(message.find(" / "), std::string::npos) << message;
    EXPECT_GT(std::count_if(message.begin(), message.end(),
                            [](char c) { return (static_cast<unsigned char>(c) & 0x80) != 0; }),
              0)
        << "no Japanese in: " << message;
    EXPECT_EQ(message.substr(message.size() - 8), ": detail");
  }
  EXPECT_EQ(names.size(), 13U);
  EXPECT_EQ(EnvelopeErrorName(Code::kNotAnEnvelope), "not_an_envelope");
  EXPECT_EQ(EnvelopeErrorName(Code::kNotForThisRecipient), "not_for_this_recipient");
  EXPECT_EQ(EnvelopeErrorName(Code::kDecryptionFailed), "decryption_failed");
  EXPECT_EQ(EnvelopeErrorName(Code::kBadSignature), "bad_signature");
  EXPECT_EQ(EnvelopeErrorName(Code::kSignerNotTrusted), "signer_not_trusted");
  EXPECT_EQ(EnvelopeErrorName(Code::kSignerRevoked), "signer_revoked");
  EXPECT_EQ(EnvelopeErrorName(Code::kSignerExpired), "signer_expired");
  EXPECT_EQ(EnvelopeErrorName(Code::kNoDesignation), "no_designation");
}

TEST(EnvelopeFormatTest, FormatUtc) {
  using namespace std::chrono;
  EXPECT_EQ(FormatUtc(sys_days{2026y / April / 1} + 9h + 30min), "2026-04-01T09:30:00Z");
}

}  // namespace
}  // namespace kijun::server
