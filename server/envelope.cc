#include "server/envelope.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

namespace kijun::server {

namespace {

// --- owning OpenSSL pointers ------------------------------------------------

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

// OPENSSL_free and the stack frees are macros; these give them an address.
void FreeOpenSslMemory(void* p) { OPENSSL_free(p); }
void FreeCertificates(STACK_OF(X509) * stack) { sk_X509_pop_free(stack, X509_free); }
// Stacks that borrow their elements (the objects belong to the caller).
void FreeBorrowedCertificates(STACK_OF(X509) * stack) { sk_X509_free(stack); }
void FreeBorrowedCrls(STACK_OF(X509_CRL) * stack) { sk_X509_CRL_free(stack); }

using Bio = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using Cms = std::unique_ptr<CMS_ContentInfo, Deleter<CMS_ContentInfo_free>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreContext = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
using AsnObject = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT_free>>;
using Algorithm = std::unique_ptr<X509_ALGOR, Deleter<X509_ALGOR_free>>;
using SigningCertificateV2 =
    std::unique_ptr<ESS_SIGNING_CERT_V2, Deleter<ESS_SIGNING_CERT_V2_free>>;
using BigNumber = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using OpenSslText = std::unique_ptr<char, Deleter<FreeOpenSslMemory>>;
using OpenSslBytes = std::unique_ptr<unsigned char, Deleter<FreeOpenSslMemory>>;
using CertificateStack = std::unique_ptr<STACK_OF(X509), Deleter<FreeCertificates>>;
using BorrowedCertificates = std::unique_ptr<STACK_OF(X509), Deleter<FreeBorrowedCertificates>>;
using BorrowedCrls = std::unique_ptr<STACK_OF(X509_CRL), Deleter<FreeBorrowedCrls>>;

// OpenSSL reports failures on a per-thread queue. Whatever a call here
// leaves on it is dropped on the way out, so that it cannot be mistaken for
// a later TLS error on the same thread (Poco reads that queue).
struct ClearErrorsOnExit {
  ClearErrorsOnExit() = default;
  ClearErrorsOnExit(const ClearErrorsOnExit&) = delete;
  ClearErrorsOnExit& operator=(const ClearErrorsOnExit&) = delete;
  ~ClearErrorsOnExit() { ERR_clear_error(); }
};

// The reasons on OpenSSL's error queue, oldest first, and empties it.
std::string OpenSslReasons() {
  std::string reasons;
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    std::string text = reason != nullptr ? reason : "error " + std::to_string(ERR_GET_REASON(e));
    if (reasons.find(text) != std::string::npos) continue;
    if (!reasons.empty()) reasons += "; ";
    reasons += text;
  }
  return reasons;
}

[[noreturn]] void Fail(EnvelopeErrorCode code, const std::string& detail) {
  throw EnvelopeError(code, detail);
}

// Fails with `what` and OpenSSL's reasons, when it gave any.
[[noreturn]] void FailWithOpenSsl(EnvelopeErrorCode code, const std::string& what) {
  std::string reasons = OpenSslReasons();
  Fail(code, reasons.empty() ? what : what + " (" + reasons + ")");
}

Bio ReadOnlyBio(std::string_view bytes) {
  // BIO lengths are int; nothing Kijun seals or opens comes near that.
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope, "larger than 2 GiB");
  }
  Bio bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "out of memory");
  return bio;
}

Bio MemoryBio() {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio) FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "out of memory");
  return bio;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return length > 0 ? std::string(data, static_cast<size_t>(length)) : std::string();
}

std::string ReadFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) {
    Fail(EnvelopeErrorCode::kBadCredentials,
         "cannot open " + std::string(what) + " '" + path + "' / 「" + path + "」を開けません");
  }
  return text.str();
}

// A private key never prompts for a passphrase: the server has no terminal.
int NoPassphrase(char* /*buffer*/, int /*size*/, int /*rwflag*/, void* /*user*/) { return 0; }

// --- time ------------------------------------------------------------------

std::chrono::sys_seconds ToSysSeconds(const ASN1_TIME* time) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope, "unreadable time");
  }
  using namespace std::chrono;
  sys_days date{year{tm.tm_year + 1900} / month{static_cast<unsigned>(tm.tm_mon + 1)} /
                day{static_cast<unsigned>(tm.tm_mday)}};
  return date + hours{tm.tm_hour} + minutes{tm.tm_min} + seconds{tm.tm_sec};
}

// --- names -----------------------------------------------------------------

// RFC 2253 with UTF-8 kept as UTF-8 (OpenSSL escapes it by default), so
// that 佐藤 一郎 reads as written.
std::string NameText(const X509_NAME* name) {
  Bio bio = MemoryBio();
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  return BioText(bio.get());
}

std::string EntryText(const X509_NAME* name, int index) {
  unsigned char* utf8 = nullptr;
  int length =
      ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
  OpenSslBytes owned(utf8);
  if (length < 0) return {};
  return {reinterpret_cast<const char*>(utf8), static_cast<size_t>(length)};
}

// The value of the one attribute `nid` of `name`; empty when absent.
// `count` receives how many there are.
std::string AttributeText(const X509_NAME* name, int nid, int& count) {
  count = 0;
  std::string first;
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    if (count++ == 0) first = EntryText(name, i);
  }
  return first;
}

std::string AttributeText(const X509_NAME* name, int nid) {
  int count = 0;
  return AttributeText(name, nid, count);
}

std::string SerialText(X509* certificate) {
  BigNumber serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  OpenSslText hex(serial ? BN_bn2hex(serial.get()) : nullptr);
  return hex ? std::string(hex.get()) : std::string("?");
}

std::string Describe(X509* certificate) {
  return "'" + NameText(X509_get_subject_name(certificate)) + "', serial " +
         SerialText(certificate);
}

// --- encodings -------------------------------------------------------------

std::string Der(CMS_ContentInfo* cms) {
  int length = i2d_CMS_ContentInfo(cms, nullptr);
  if (length <= 0) FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "cannot encode CMS");
  std::string der(static_cast<size_t>(length), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_CMS_ContentInfo(cms, &out) != length) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "cannot encode CMS");
  }
  return der;
}

// The DER inside a PEM armour ("-----BEGIN CMS-----"), or the input itself.
std::string Unarmour(std::string_view envelope) {
  size_t start = envelope.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos || envelope.substr(start).rfind("-----BEGIN ", 0) != 0) {
    return std::string(envelope);
  }
  // PEM_read_bio only recognises the BEGIN line at the start of a line.
  Bio bio = ReadOnlyBio(envelope.substr(start));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  int read = PEM_read_bio(bio.get(), &name, &header, &data, &length);
  OpenSslText owned_name(name), owned_header(header);
  OpenSslBytes owned_data(data);
  if (read != 1) FailWithOpenSsl(EnvelopeErrorCode::kNotAnEnvelope, "unreadable PEM");
  if (std::string_view(name) != "CMS") {
    Fail(EnvelopeErrorCode::kNotAnEnvelope, "PEM label is '" + std::string(name) + "', not 'CMS'");
  }
  return {reinterpret_cast<const char*>(data), static_cast<size_t>(length)};
}

// A whole ContentInfo: every byte of `der` belongs to it.
Cms ParseContentInfo(const std::string& der, const char* what) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  const unsigned char* end = p + der.size();
  if (der.size() > static_cast<size_t>(LONG_MAX))
    Fail(EnvelopeErrorCode::kNotAnEnvelope, "too large");
  Cms cms(d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(der.size())));
  if (!cms) FailWithOpenSsl(EnvelopeErrorCode::kNotAnEnvelope, std::string(what) + " is not CMS");
  if (p != end) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope,
         std::string(what) + " has " + std::to_string(end - p) + " bytes after its end");
  }
  return cms;
}

// A minimal DER reader for the two fields of AuthEnvelopedData that
// OpenSSL's CMS API does not expose: the content-encryption algorithm and
// the length of the GCM tag. The structure has been parsed by OpenSSL
// already; this only walks it.
class DerWalker {
 public:
  DerWalker(const unsigned char* begin, const unsigned char* end) : p_(begin), end_(end) {}

  struct Element {
    int tag = 0;
    int tag_class = 0;
    const unsigned char* begin = nullptr;     // the header
    const unsigned char* contents = nullptr;  // after the header
    long length = 0;
    DerWalker Inside() const { return {contents, contents + length}; }
  };

  bool AtEnd() const { return p_ >= end_; }

  // The next element; nullopt at the end or when it is not definite-length
  // DER (which AuthEnvelopedData must be: RFC 5083 §2.1).
  std::optional<Element> Next() {
    if (AtEnd()) return std::nullopt;
    const unsigned char* q = p_;
    long length = 0;
    int tag = 0, tag_class = 0;
    int info = ASN1_get_object(&q, &length, &tag, &tag_class, end_ - p_);
    if ((info & 0x80) != 0 || (info & 0x01) != 0) return std::nullopt;
    Element element{tag, tag_class, p_, q, length};
    p_ = q + length;
    return element;
  }

  // The next element, which must be universal `tag`.
  std::optional<Element> Next(int tag) {
    auto element = Next();
    if (!element || element->tag_class != V_ASN1_UNIVERSAL || element->tag != tag) {
      return std::nullopt;
    }
    return element;
  }

 private:
  const unsigned char* p_;
  const unsigned char* end_;
};

int ObjectNid(const DerWalker::Element& element) {
  const unsigned char* p = element.begin;
  AsnObject object(d2i_ASN1_OBJECT(nullptr, &p, element.contents + element.length - p));
  return object ? OBJ_obj2nid(object.get()) : NID_undef;
}

struct AuthEnvelopeAlgorithms {
  int content_cipher = NID_undef;
  long tag_length = -1;
};

std::optional<AuthEnvelopeAlgorithms> ReadAuthEnvelopeAlgorithms(const std::string& der) {
  const auto* begin = reinterpret_cast<const unsigned char*>(der.data());
  DerWalker top(begin, begin + der.size());
  auto content_info = top.Next(V_ASN1_SEQUENCE);
  if (!content_info) return std::nullopt;
  DerWalker info = content_info->Inside();
  if (!info.Next(V_ASN1_OBJECT)) return std::nullopt;  // contentType
  auto explicit_content = info.Next();
  if (!explicit_content || explicit_content->tag_class != V_ASN1_CONTEXT_SPECIFIC) {
    return std::nullopt;
  }
  DerWalker wrapper = explicit_content->Inside();
  auto envelope = wrapper.Next(V_ASN1_SEQUENCE);
  if (!envelope) return std::nullopt;
  DerWalker fields = envelope->Inside();
  if (!fields.Next(V_ASN1_INTEGER)) return std::nullopt;  // version
  auto field = fields.Next();
  if (field && field->tag_class == V_ASN1_CONTEXT_SPECIFIC && field->tag == 0) {
    field = fields.Next();  // originatorInfo [0]
  }
  if (!field || field->tag != V_ASN1_SET) return std::nullopt;  // recipientInfos
  auto encrypted = fields.Next(V_ASN1_SEQUENCE);                // authEncryptedContentInfo
  if (!encrypted) return std::nullopt;
  DerWalker content = encrypted->Inside();
  if (!content.Next(V_ASN1_OBJECT)) return std::nullopt;  // contentType
  auto algorithm = content.Next(V_ASN1_SEQUENCE);         // contentEncryptionAlgorithm
  if (!algorithm) return std::nullopt;
  DerWalker identifier = algorithm->Inside();
  auto oid = identifier.Next(V_ASN1_OBJECT);
  if (!oid) return std::nullopt;
  AuthEnvelopeAlgorithms found;
  found.content_cipher = ObjectNid(*oid);
  field = fields.Next();
  if (field && field->tag_class == V_ASN1_CONTEXT_SPECIFIC && field->tag == 1) {
    field = fields.Next();  // authAttrs [1]
  }
  if (!field || field->tag_class != V_ASN1_UNIVERSAL || field->tag != V_ASN1_OCTET_STRING) {
    return std::nullopt;  // mac
  }
  found.tag_length = field->length;
  return found;
}

std::string ObjectName(int nid) {
  const char* name = nid == NID_undef ? nullptr : OBJ_nid2sn(nid);
  return name != nullptr ? name : "an unknown algorithm";
}

std::string ObjectName(const ASN1_OBJECT* object) {
  char text[128];
  int length = OBJ_obj2txt(text, sizeof text, object, 0);
  return length > 0 ? std::string(text) : std::string("?");
}

// --- opening, step by step ---------------------------------------------------

// The envelope is a DER AuthEnvelopedData with AES-256-GCM and a 16-byte
// tag, whose content is a ContentInfo (id-data).
void CheckEnvelopeStructure(CMS_ContentInfo* envelope, const std::string& der) {
  int type = OBJ_obj2nid(CMS_get0_type(envelope));
  if (type != NID_id_smime_ct_authEnvelopedData) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope,
         "the CMS content type is " + ObjectName(type) + ", not id-ct-authEnvelopedData");
  }
  auto algorithms = ReadAuthEnvelopeAlgorithms(der);
  if (!algorithms) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope, "the AuthEnvelopedData is not in DER");
  }
  if (algorithms->content_cipher != NID_aes_256_gcm) {
    Fail(EnvelopeErrorCode::kUnsupportedAlgorithm, "content encrypted with " +
                                                       ObjectName(algorithms->content_cipher) +
                                                       ", the format requires id-aes256-GCM");
  }
  if (algorithms->tag_length != 16) {
    Fail(EnvelopeErrorCode::kUnsupportedAlgorithm,
         "a " + std::to_string(algorithms->tag_length) +
             "-byte GCM tag, the format requires 16 bytes");
  }
  int content = OBJ_obj2nid(CMS_get0_eContentType(envelope));
  if (content != NID_pkcs7_data) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope,
         "the encrypted content type is " + ObjectName(content) + ", not id-data");
  }
}

// The key agreement must be the format's: ECDH with the X9.63 SHA-256 KDF
// and AES-256 key wrap.
void CheckKeyAgreement(CMS_RecipientInfo* recipient) {
  X509_ALGOR* algorithm = nullptr;
  ASN1_OCTET_STRING* ukm = nullptr;
  if (CMS_RecipientInfo_kari_get0_alg(recipient, &algorithm, &ukm) != 1 || algorithm == nullptr) {
    FailWithOpenSsl(EnvelopeErrorCode::kNotAnEnvelope, "unreadable key agreement");
  }
  const ASN1_OBJECT* oid = nullptr;
  int parameter_type = 0;
  const void* parameter = nullptr;
  X509_ALGOR_get0(&oid, &parameter_type, &parameter, algorithm);
  if (OBJ_obj2nid(oid) != NID_dhSinglePass_stdDH_sha256kdf_scheme) {
    Fail(EnvelopeErrorCode::kUnsupportedAlgorithm,
         "key agreement " + ObjectName(oid) +
             ", the format requires dhSinglePass-stdDH-sha256kdf-scheme");
  }
  int wrap = NID_undef;
  if (parameter_type == V_ASN1_SEQUENCE && parameter != nullptr) {
    const auto* sequence = static_cast<const ASN1_STRING*>(parameter);
    const unsigned char* p = ASN1_STRING_get0_data(sequence);
    Algorithm wrap_algorithm(d2i_X509_ALGOR(nullptr, &p, ASN1_STRING_length(sequence)));
    if (wrap_algorithm) {
      const ASN1_OBJECT* wrap_oid = nullptr;
      X509_ALGOR_get0(&wrap_oid, nullptr, nullptr, wrap_algorithm.get());
      wrap = OBJ_obj2nid(wrap_oid);
    }
  }
  if (wrap != NID_id_aes256_wrap) {
    Fail(EnvelopeErrorCode::kUnsupportedAlgorithm,
         "key wrap " + ObjectName(wrap) + ", the format requires id-aes256-wrap");
  }
}

// The recipient info for the registry's certificate (by issuer and serial
// number, or subject key identifier).
void FindRecipient(CMS_ContentInfo* envelope, X509* registry) {
  STACK_OF(CMS_RecipientInfo)* recipients = CMS_get0_RecipientInfos(envelope);
  int count = sk_CMS_RecipientInfo_num(recipients);
  for (int i = 0; i < count; ++i) {
    CMS_RecipientInfo* recipient = sk_CMS_RecipientInfo_value(recipients, i);
    switch (CMS_RecipientInfo_type(recipient)) {
      case CMS_RECIPINFO_AGREE: {
        STACK_OF(CMS_RecipientEncryptedKey)* keys = CMS_RecipientInfo_kari_get0_reks(recipient);
        for (int k = 0; k < sk_CMS_RecipientEncryptedKey_num(keys); ++k) {
          if (CMS_RecipientEncryptedKey_cert_cmp(sk_CMS_RecipientEncryptedKey_value(keys, k),
                                                 registry) == 0) {
            CheckKeyAgreement(recipient);
            return;
          }
        }
        break;
      }
      case CMS_RECIPINFO_TRANS:
        if (CMS_RecipientInfo_ktri_cert_cmp(recipient, registry) == 0) {
          Fail(EnvelopeErrorCode::kUnsupportedAlgorithm,
               "key transport to this registry; the format uses ECDH key agreement");
        }
        break;
      default:
        break;
    }
  }
  Fail(EnvelopeErrorCode::kNotForThisRecipient,
       "none of its " + std::to_string(count) + " recipients is " + Describe(registry));
}

std::string Decrypt(CMS_ContentInfo* envelope, const CertifiedKey& registry) {
  Bio plaintext = MemoryBio();
  if (CMS_decrypt(envelope, registry.key().get(), registry.certificate().get(), nullptr,
                  plaintext.get(), CMS_BINARY) != 1) {
    FailWithOpenSsl(EnvelopeErrorCode::kDecryptionFailed,
                    "the AES key unwrap or the AES-256-GCM tag check failed");
  }
  return BioText(plaintext.get());
}

struct SignatureParts {
  CMS_SignerInfo* signer_info = nullptr;
  X509* signer = nullptr;  // owned by the SignedData
};

// One signer, its certificate included, SHA-256, signed attributes, the
// payload inside (not detached), as id-data.
SignatureParts CheckSignedDataStructure(CMS_ContentInfo* signed_data) {
  int type = OBJ_obj2nid(CMS_get0_type(signed_data));
  if (type != NID_pkcs7_signed) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope,
         "the encrypted content is " + ObjectName(type) + ", not id-signedData");
  }
  int content = OBJ_obj2nid(CMS_get0_eContentType(signed_data));
  if (content != NID_pkcs7_data) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope,
         "the signed content type is " + ObjectName(content) + ", not id-data");
  }
  ASN1_OCTET_STRING** payload = CMS_get0_content(signed_data);
  if (CMS_is_detached(signed_data) == 1 || payload == nullptr || *payload == nullptr) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope, "the signature is detached: no payload inside");
  }
  STACK_OF(CMS_SignerInfo)* signer_infos = CMS_get0_SignerInfos(signed_data);
  int signers = sk_CMS_SignerInfo_num(signer_infos);
  if (signers != 1) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope,
         std::to_string(std::max(signers, 0)) + " signers, the format requires exactly one");
  }
  SignatureParts parts;
  parts.signer_info = sk_CMS_SignerInfo_value(signer_infos, 0);
  // Attaches the included certificate the signer identifier names.
  CMS_set1_signers_certs(signed_data, nullptr, 0);
  X509_ALGOR* digest = nullptr;
  CMS_SignerInfo_get0_algs(parts.signer_info, nullptr, &parts.signer, &digest, nullptr);
  if (parts.signer == nullptr) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope, "the signer's certificate is not included");
  }
  const ASN1_OBJECT* digest_oid = nullptr;
  X509_ALGOR_get0(&digest_oid, nullptr, nullptr, digest);
  if (OBJ_obj2nid(digest_oid) != NID_sha256) {
    Fail(EnvelopeErrorCode::kUnsupportedAlgorithm,
         "digest " + ObjectName(digest_oid) + ", the format requires SHA-256");
  }
  if (CMS_signed_get_attr_count(parts.signer_info) <= 0) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope, "the signature has no signed attributes");
  }
  return parts;
}

// The message digest and the signature over the signed attributes; the
// payload as signed.
std::string VerifySignature(CMS_ContentInfo* signed_data) {
  Bio payload = MemoryBio();
  // The chain is checked separately (CheckSignerTrust), so that its
  // failures get their own codes.
  if (CMS_verify(signed_data, nullptr, nullptr, nullptr, payload.get(),
                 CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadSignature,
                    "the payload's digest or the signature over the signed attributes does not "
                    "verify");
  }
  return BioText(payload.get());
}

// ESS signingCertificateV2 (RFC 5035) binds the signature to the signer's
// certificate itself, not only to its key: the designation number in the
// certificate is then covered by the signature too.
void CheckSigningCertificate(const SignatureParts& parts) {
  const auto* attribute = static_cast<const ASN1_STRING*>(CMS_signed_get0_data_by_OBJ(
      parts.signer_info, OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3, V_ASN1_SEQUENCE));
  if (attribute == nullptr) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope,
         "the signature does not name its certificate (no ESS signingCertificateV2 attribute; "
         "openssl cms -sign needs -cades)");
  }
  const unsigned char* p = ASN1_STRING_get0_data(attribute);
  SigningCertificateV2 named(d2i_ESS_SIGNING_CERT_V2(nullptr, &p, ASN1_STRING_length(attribute)));
  if (!named) FailWithOpenSsl(EnvelopeErrorCode::kNotAnEnvelope, "unreadable signingCertificateV2");
  BorrowedCertificates signer(sk_X509_new_null());
  if (!signer || sk_X509_push(signer.get(), parts.signer) <= 0) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "out of memory");
  }
  if (OSSL_ESS_check_signing_certs(nullptr, named.get(), signer.get(), 1) <= 0) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadSignature,
                    "the signature names another certificate than " + Describe(parts.signer));
  }
}

std::chrono::sys_seconds SigningTime(CMS_SignerInfo* signer_info) {
  int index = CMS_signed_get_attr_by_NID(signer_info, NID_pkcs9_signingTime, -1);
  X509_ATTRIBUTE* attribute = index < 0 ? nullptr : CMS_signed_get_attr(signer_info, index);
  ASN1_TYPE* value = attribute == nullptr ? nullptr : X509_ATTRIBUTE_get0_type(attribute, 0);
  if (value == nullptr ||
      (value->type != V_ASN1_UTCTIME && value->type != V_ASN1_GENERALIZEDTIME)) {
    Fail(EnvelopeErrorCode::kNotAnEnvelope, "the signature has no signingTime attribute");
  }
  return ToSysSeconds(value->value.asn1_string);
}

EnvelopeErrorCode CodeForVerifyError(int error, int depth) {
  switch (error) {
    case X509_V_ERR_CERT_REVOKED:
      return EnvelopeErrorCode::kSignerRevoked;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      // An expired CA is the registry's problem, not the physician's.
      return depth == 0 ? EnvelopeErrorCode::kSignerExpired : EnvelopeErrorCode::kSignerNotTrusted;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE:
    case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
    case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
      return EnvelopeErrorCode::kRevocationUnknown;
    case X509_V_ERR_INVALID_PURPOSE:
      return depth == 0 ? EnvelopeErrorCode::kSignerNotForSigning
                        : EnvelopeErrorCode::kSignerNotTrusted;
    default:
      return EnvelopeErrorCode::kSignerNotTrusted;
  }
}

// The chain from the signer to one of the CAs, the CRL (when required), the
// validity now, and the S/MIME signing purpose (extended key usage
// emailProtection or none), as `openssl cms -verify` checks them.
void CheckSignerTrust(CMS_ContentInfo* signed_data, X509* signer, const SignerTrust& trust,
                      std::chrono::sys_seconds signing_time) {
  Store store(X509_STORE_new());
  if (!store) FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "out of memory");
  for (const auto& authority : trust.authorities) {
    if (X509_STORE_add_cert(store.get(), authority.get()) != 1) {
      FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "cannot use the CA certificate");
    }
  }
  BorrowedCrls crls(sk_X509_CRL_new_null());
  if (!crls) FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "out of memory");
  for (const auto& list : trust.revocation_lists) {
    if (sk_X509_CRL_push(crls.get(), list.get()) <= 0) {
      FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "out of memory");
    }
  }
  // Other certificates in the SignedData may serve as intermediates; only
  // the given CAs are trusted.
  CertificateStack included(CMS_get1_certs(signed_data));
  StoreContext context(X509_STORE_CTX_new());
  if (!context || X509_STORE_CTX_init(context.get(), store.get(), signer, included.get()) != 1 ||
      X509_STORE_CTX_set_default(context.get(), "smime_sign") != 1) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "cannot set up certificate verification");
  }
  // Not owned by the context: `crls` outlives it.
  X509_STORE_CTX_set0_crls(context.get(), crls.get());
  if (trust.revocation == RevocationCheck::kRequired) {
    X509_STORE_CTX_set_flags(context.get(), X509_V_FLAG_CRL_CHECK);
  }
  if (trust.at_signing_time) {
    X509_STORE_CTX_set_time(context.get(), 0,
                            static_cast<time_t>(signing_time.time_since_epoch().count()));
  }
  if (X509_verify_cert(context.get()) != 1) {
    int error = X509_STORE_CTX_get_error(context.get());
    int depth = X509_STORE_CTX_get_error_depth(context.get());
    ERR_clear_error();
    Fail(CodeForVerifyError(error, depth),
         std::string(X509_verify_cert_error_string(error)) + " (" +
             (depth == 0 ? Describe(signer) : "certificate " + std::to_string(depth) + " up") +
             ")");
  }
}

void CheckKeyUsage(X509* signer) {
  // UINT32_MAX when the certificate has no keyUsage extension.
  uint32_t usage = X509_get_key_usage(signer);
  if (usage != UINT32_MAX && (usage & KU_DIGITAL_SIGNATURE) == 0) {
    Fail(EnvelopeErrorCode::kSignerNotForSigning,
         "keyUsage lacks digitalSignature (" + Describe(signer) + ")");
  }
}

EnvelopeSigner DescribeSigner(X509* signer) {
  const X509_NAME* subject = X509_get_subject_name(signer);
  EnvelopeSigner described;
  int designations = 0;
  described.designation_number = AttributeText(subject, NID_serialNumber, designations);
  if (designations == 0 || described.designation_number.empty()) {
    Fail(EnvelopeErrorCode::kNoDesignation, "no serialNumber in " + Describe(signer));
  }
  if (designations > 1) {
    Fail(EnvelopeErrorCode::kNoDesignation,
         std::to_string(designations) + " serialNumber attributes in " + Describe(signer));
  }
  described.name = AttributeText(subject, NID_commonName);
  described.institution = AttributeText(subject, NID_organizationName);
  described.subject = NameText(subject);
  described.issuer = NameText(X509_get_issuer_name(signer));
  described.certificate_serial = SerialText(signer);
  described.not_after = ToSysSeconds(X509_get0_notAfter(signer));
  return described;
}

struct CodeText {
  std::string_view name, japanese, english;
};

CodeText TextOf(EnvelopeErrorCode code) {
  switch (code) {
    case EnvelopeErrorCode::kNotAnEnvelope:
      return {"not_an_envelope", "Kijun の封筒（CMS AuthEnvelopedData）ではありません",
              "not a Kijun envelope (CMS AuthEnvelopedData)"};
    case EnvelopeErrorCode::kUnsupportedAlgorithm:
      return {"unsupported_algorithm", "封筒の暗号方式が Kijun の形式と違います",
              "the envelope uses other algorithms than Kijun's format"};
    case EnvelopeErrorCode::kNotForThisRecipient:
      return {"not_for_this_recipient", "この封筒はこのレジストリ宛てではありません",
              "the envelope is not encrypted to this registry"};
    case EnvelopeErrorCode::kDecryptionFailed:
      return {"decryption_failed", "封筒を復号できません（暗号文か認証タグが改ざんされています）",
              "the envelope does not decrypt: its ciphertext or tag was altered"};
    case EnvelopeErrorCode::kBadSignature:
      return {"bad_signature", "署名が内容と一致しません（署名の後で変更されています）",
              "the signature does not match: the content was changed after signing"};
    case EnvelopeErrorCode::kSignerNotTrusted:
      return {"signer_not_trusted",
              "署名者の証明書はレジストリの認証局が発行したものではありません",
              "the signer's certificate does not chain to the registry CA"};
    case EnvelopeErrorCode::kSignerRevoked:
      return {"signer_revoked", "署名者の証明書は失効しています",
              "the signer's certificate is revoked"};
    case EnvelopeErrorCode::kSignerExpired:
      return {"signer_expired", "署名者の証明書は有効期間外です",
              "the signer's certificate is expired or not yet valid"};
    case EnvelopeErrorCode::kRevocationUnknown:
      return {"revocation_unknown",
              "署名者の証明書の失効を確認できません（有効な CRL がありません）",
              "the signer's revocation cannot be checked: no current CRL from the CA"};
    case EnvelopeErrorCode::kSignerNotForSigning:
      return {"signer_not_for_signing", "署名者の証明書は文書の署名に使えません",
              "the signer's certificate is not for signing documents"};
    case EnvelopeErrorCode::kNoDesignation:
      return {"no_designation", "署名者の証明書に指定医番号（serialNumber）がありません",
              "the signer's certificate carries no designation number (subject serialNumber)"};
    case EnvelopeErrorCode::kNotConfirmingPhysician:
      return {"not_confirming_physician", "署名者は申請書を確認した指定医ではありません",
              "the signer is not the physician who confirmed the form"};
    case EnvelopeErrorCode::kBadCredentials:
      return {"bad_credentials", "証明書・秘密鍵・CRL を読めないか使えません",
              "a certificate, key or CRL cannot be read or used"};
  }
  return {"unknown", "不明なエラー", "unknown error"};
}

std::string Message(EnvelopeErrorCode code, const std::string& detail) {
  CodeText text = TextOf(code);
  std::string message = std::string(text.japanese) + " / " + std::string(text.english);
  return detail.empty() ? message : message + ": " + detail;
}

// Steps 4 to 7 of Open (docs/envelope.md), over the decrypted SignedData.
OpenedEnvelope CheckSignedData(const std::string& der, const char* what, const SignerTrust& trust) {
  // 4. The signed content.
  Cms signed_data = ParseContentInfo(der, what);
  SignatureParts parts = CheckSignedDataStructure(signed_data.get());
  // 5. The signature over the payload and the signed attributes, and the
  //    certificate it names.
  OpenedEnvelope opened;
  opened.payload = VerifySignature(signed_data.get());
  CheckSigningCertificate(parts);
  opened.signing_time = SigningTime(parts.signer_info);
  // 6. Who signed: the registry CA, not revoked, valid (now or when it
  //    signed), for signing.
  CheckSignerTrust(signed_data.get(), parts.signer, trust, opened.signing_time);
  CheckKeyUsage(parts.signer);
  // 7. A physician: the designation number.
  opened.signer = DescribeSigner(parts.signer);
  opened.revocation_checked = trust.revocation == RevocationCheck::kRequired;
  return opened;
}

}  // namespace

std::string_view EnvelopeErrorName(EnvelopeErrorCode code) { return TextOf(code).name; }

EnvelopeError::EnvelopeError(EnvelopeErrorCode code, const std::string& detail)
    : std::runtime_error(Message(code, detail)), code_(code), detail_(detail) {}

// --- credentials ---------------------------------------------------------------

Certificate Certificate::FromPem(std::string_view pem, std::string_view source) {
  ClearErrorsOnExit clear;
  Bio bio = ReadOnlyBio(pem);
  std::shared_ptr<X509> x509(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr),
                             X509_free);
  if (!x509) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials,
                    "'" + std::string(source) + "' is not a PEM certificate");
  }
  return Certificate(std::move(x509));
}

Certificate Certificate::ReadPemFile(const std::string& path) {
  return FromPem(ReadFile(path, "certificate"), path);
}

std::vector<Certificate> Certificate::ReadPemBundle(const std::string& path) {
  ClearErrorsOnExit clear;
  std::string text = ReadFile(path, "certificates");
  Bio bio = ReadOnlyBio(text);
  std::vector<Certificate> certificates;
  while (X509* x509 = PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr)) {
    certificates.push_back(Certificate(std::shared_ptr<X509>(x509, X509_free)));
  }
  if (certificates.empty()) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "'" + path + "' holds no PEM certificate");
  }
  return certificates;
}

PrivateKey PrivateKey::FromPem(std::string_view pem, std::string_view source) {
  ClearErrorsOnExit clear;
  Bio bio = ReadOnlyBio(pem);
  std::shared_ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr),
                                EVP_PKEY_free);
  if (!key) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials,
                    "'" + std::string(source) + "' is not an unencrypted PEM private key");
  }
  return PrivateKey(std::move(key));
}

PrivateKey PrivateKey::ReadPemFile(const std::string& path) {
  return FromPem(ReadFile(path, "private key"), path);
}

CertifiedKey::CertifiedKey(Certificate certificate, PrivateKey key)
    : certificate_(std::move(certificate)), key_(std::move(key)) {
  ClearErrorsOnExit clear;
  if (X509_check_private_key(certificate_.get(), key_.get()) != 1) {
    Fail(EnvelopeErrorCode::kBadCredentials,
         "the private key does not belong to " + Describe(certificate_.get()));
  }
}

CertifiedKey CertifiedKey::ReadPemFiles(const std::string& certificate_path,
                                        const std::string& key_path) {
  return {Certificate::ReadPemFile(certificate_path), PrivateKey::ReadPemFile(key_path)};
}

RevocationList RevocationList::FromPem(std::string_view pem, std::string_view source) {
  ClearErrorsOnExit clear;
  Bio bio = ReadOnlyBio(pem);
  std::shared_ptr<X509_CRL> crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, NoPassphrase, nullptr),
                                X509_CRL_free);
  if (!crl) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials,
                    "'" + std::string(source) + "' is not a PEM CRL");
  }
  return RevocationList(std::move(crl));
}

std::vector<RevocationList> RevocationList::ReadPemFile(const std::string& path) {
  ClearErrorsOnExit clear;
  std::string text = ReadFile(path, "CRL");
  Bio bio = ReadOnlyBio(text);
  std::vector<RevocationList> lists;
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, NoPassphrase, nullptr)) {
    lists.push_back(RevocationList(std::shared_ptr<X509_CRL>(crl, X509_CRL_free)));
  }
  if (lists.empty()) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "'" + path + "' holds no PEM CRL");
  }
  return lists;
}

// --- sealing -----------------------------------------------------------------------

std::string SealedEnvelope::Pem() const {
  ClearErrorsOnExit clear;
  Bio bio = MemoryBio();
  if (PEM_write_bio(bio.get(), "CMS", "", reinterpret_cast<const unsigned char*>(der.data()),
                    static_cast<long>(der.size())) <= 0) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials, "cannot write PEM");
  }
  return BioText(bio.get());
}

SealedEnvelope Seal(std::string_view payload, const CertifiedKey& physician,
                    const Certificate& registry) {
  ClearErrorsOnExit clear;
  EVP_PKEY* registry_key = X509_get0_pubkey(registry.get());
  if (registry_key == nullptr || EVP_PKEY_get_base_id(registry_key) != EVP_PKEY_EC) {
    Fail(EnvelopeErrorCode::kBadCredentials,
         "the registry certificate " + Describe(registry.get()) +
             " must have an EC key (the envelope uses ECDH key agreement)");
  }

  // SignedData: SHA-256, the signer's certificate included, signed
  // attributes contentType, messageDigest, signingTime and ESS
  // signingCertificateV2; binary, so that no line ending is rewritten.
  constexpr unsigned kSignFlags = CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP | CMS_CADES;
  Bio content = ReadOnlyBio(payload);
  Cms signed_data(CMS_sign(nullptr, nullptr, nullptr, nullptr, kSignFlags));
  if (!signed_data ||
      CMS_add1_signer(signed_data.get(), physician.certificate().get(), physician.key().get(),
                      EVP_sha256(), kSignFlags) == nullptr ||
      CMS_final(signed_data.get(), content.get(), nullptr, kSignFlags) != 1) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials,
                    "cannot sign as " + Describe(physician.certificate().get()));
  }
  std::string signed_der = Der(signed_data.get());

  // AuthEnvelopedData: AES-256-GCM; the content key wrapped with AES-256
  // under a key agreed by ephemeral-static ECDH and the X9.63 SHA-256 KDF
  // (OpenSSL's default KDF would be SHA-1).
  Cms envelope(CMS_AuthEnvelopedData_create(EVP_aes_256_gcm()));
  CMS_RecipientInfo* recipient =
      envelope ? CMS_add1_recipient_cert(envelope.get(), registry.get(), CMS_KEY_PARAM) : nullptr;
  EVP_PKEY_CTX* agreement = recipient ? CMS_RecipientInfo_get0_pkey_ctx(recipient) : nullptr;
  Bio inner = ReadOnlyBio(signed_der);
  if (agreement == nullptr || EVP_PKEY_CTX_set_ecdh_kdf_md(agreement, EVP_sha256()) <= 0 ||
      CMS_set_detached(envelope.get(), 0) != 1 ||
      CMS_final(envelope.get(), inner.get(), nullptr, CMS_BINARY) != 1) {
    FailWithOpenSsl(EnvelopeErrorCode::kBadCredentials,
                    "cannot encrypt to " + Describe(registry.get()));
  }
  return {Der(envelope.get())};
}

// --- opening ---------------------------------------------------------------------

OpenedEnvelope Open(std::string_view envelope, const CertifiedKey& registry,
                    const SignerTrust& trust) {
  ClearErrorsOnExit clear;
  // 1. The outer structure and its algorithms.
  std::string der = Unarmour(envelope);
  Cms outer = ParseContentInfo(der, "the envelope");
  CheckEnvelopeStructure(outer.get(), der);
  // 2. Addressed to this registry, with the format's key agreement.
  FindRecipient(outer.get(), registry.certificate().get());
  // 3. Decryption: the GCM tag authenticates the whole ciphertext.
  std::string inner_der = Decrypt(outer.get(), registry);
  OpenedEnvelope opened = CheckSignedData(inner_der, "the decrypted content", trust);
  opened.signed_data = std::move(inner_der);
  return opened;
}

OpenedEnvelope VerifySignedData(std::string_view signed_data, const SignerTrust& trust) {
  ClearErrorsOnExit clear;
  OpenedEnvelope opened = CheckSignedData(std::string(signed_data), "the stored signature", trust);
  opened.signed_data = std::string(signed_data);
  return opened;
}

void RequireConfirmingPhysician(const OpenedEnvelope& opened, std::string_view designation_number) {
  if (opened.signer.designation_number != designation_number) {
    Fail(EnvelopeErrorCode::kNotConfirmingPhysician,
         "signed by " + opened.signer.designation_number + " (" + opened.signer.name +
             "), the form names " + std::string(designation_number));
  }
}

std::string FormatUtc(std::chrono::sys_seconds time) {
  std::time_t seconds = static_cast<std::time_t>(time.time_since_epoch().count());
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return {text, length};
}

}  // namespace kijun::server
