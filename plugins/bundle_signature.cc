#include "plugins/bundle_signature.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "dsl/sha256.h"
#include "plugins/rule_bundle.h"

namespace kijun::plugins {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The parts one after another (one allocation pattern, no temporaries).
template <typename... Parts>
std::string Cat(const Parts&... parts) {
  std::string out;
  ((out += parts), ...);
  return out;
}

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// The most recent OpenSSL error, and clears the queue.
std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// Never prompts for a passphrase: encrypted keys are refused.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return -1; }

bool ReadWholeFile(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

// A PEM key from `text`: a private key when `want_private`, else a public
// key (SubjectPublicKeyInfo). Only Ed25519 keys are accepted.
Pkey ParseKey(const std::string& text, bool want_private, std::string& error) {
  Bio bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) {
    error = OpenSslError();
    return nullptr;
  }
  Pkey key(want_private ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr)
                        : PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    error = std::string(want_private ? "秘密鍵" : "公開鍵") + "の PEM として読めません / not a " +
            (want_private ? "private" : "public") + " key PEM (" + OpenSslError() + ")";
    return nullptr;
  }
  if (EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) {
    error = "Ed25519 の鍵ではありません / not an Ed25519 key";
    return nullptr;
  }
  return key;
}

Pkey LoadKeyFile(const std::string& path, bool want_private, std::string& error) {
  std::string text;
  if (!ReadWholeFile(path, text)) {
    error = "「" + path + "」を読めません / cannot read '" + path + "'";
    return nullptr;
  }
  std::string why;
  Pkey key = ParseKey(text, want_private, why);
  if (!key) error = "「" + path + "」: " + why;
  return key;
}

// "sha256:<hex>" of the DER SubjectPublicKeyInfo of `key`.
std::string KeyId(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(key, &der);
  if (length <= 0) return "";
  std::string id = "sha256:" + dsl::Sha256Hex(std::string_view(reinterpret_cast<const char*>(der),
                                                               static_cast<size_t>(length)));
  OPENSSL_free(der);
  return id;
}

std::string Base64(const std::vector<unsigned char>& data) {
  std::vector<unsigned char> out(4 * ((data.size() + 2) / 3) + 1);
  int written = EVP_EncodeBlock(out.data(), data.data(), static_cast<int>(data.size()));
  return std::string(reinterpret_cast<const char*>(out.data()), static_cast<size_t>(written));
}

// Strict base64 (with padding, no whitespace); false when malformed.
bool FromBase64(const std::string& text, std::vector<unsigned char>& out) {
  if (text.empty() || text.size() % 4 != 0) return false;
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool alphabet = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/';
    if (c == '=') {
      if (i + 2 < text.size()) return false;
      ++padding;
    } else if (!alphabet || padding > 0) {
      return false;
    }
  }
  out.assign(text.size() / 4 * 3, 0);
  int written = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (written < 0 || static_cast<size_t>(written) < padding) return false;
  out.resize(static_cast<size_t>(written) - padding);
  return true;
}

bool Sign(EVP_PKEY* key, const std::string& data, std::vector<unsigned char>& signature,
          std::string& error) {
  MdCtx ctx(EVP_MD_CTX_new());
  size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    error = "署名できません / cannot sign: " + OpenSslError();
    return false;
  }
  signature.assign(length, 0);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    error = "署名できません / cannot sign: " + OpenSslError();
    return false;
  }
  signature.resize(length);
  return true;
}

bool Verify(EVP_PKEY* key, const std::string& data, const std::vector<unsigned char>& signature) {
  MdCtx ctx(EVP_MD_CTX_new());
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) == 1 &&
            EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  ERR_clear_error();
  return ok;
}

// Writes `text` to a new file `path` (which must not exist) with `mode`.
bool WriteNewFile(const std::string& path, const std::string& text, mode_t mode,
                  std::string& error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    error = "「" + path + "」を作れません / cannot create '" + path + "': " + std::strerror(errno);
    return false;
  }
  bool ok = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (ok && done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) ok = false;
  if (!ok) {
    error = "「" + path + "」に書けません / cannot write '" + path + "'";
    ::unlink(path.c_str());
  }
  return ok;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long length = BIO_get_mem_data(bio, &data);
  return length > 0 ? std::string(data, static_cast<size_t>(length)) : std::string();
}

// The parts of a signed bundle file.
struct SignedFile {
  std::string bundle;
  json signatures = json::array();
};

enum class Parsed { kSigned, kPlain, kMalformed };

// Classifies `text`: a signed bundle file (its parts in `out`), a plain
// bundle (any JSON object whose format is kijun-bundle/1) or neither.
Parsed ParseSignedFile(const std::string& text, SignedFile& out, std::string& error) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    error = "JSON として読めません / not valid JSON: " + std::string(e.what());
    return Parsed::kMalformed;
  }
  auto format = root.is_object() ? root.find("format") : root.end();
  if (!root.is_object() || format == root.end() || !format->is_string()) {
    error = "format のある JSON オブジェクトではありません / not a JSON object with a \"format\"";
    return Parsed::kMalformed;
  }
  if (*format == kBundleFormat) return Parsed::kPlain;
  if (*format != kSignedBundleFormat) {
    error = "知らない形式「" + format->get<std::string>() + "」/ unknown format '" +
            format->get<std::string>() + "' (expected " + kSignedBundleFormat + " or " +
            kBundleFormat + ")";
    return Parsed::kMalformed;
  }
  auto bundle = root.find("bundle");
  if (bundle == root.end() || !bundle->is_string()) {
    error =
        "署名つきバンドルに bundle の文字列がありません / signed bundle has no \"bundle\" string";
    return Parsed::kMalformed;
  }
  out.bundle = bundle->get<std::string>();
  auto signatures = root.find("signatures");
  if (signatures == root.end() || !signatures->is_array()) {
    error =
        "署名つきバンドルに signatures の配列がありません / signed bundle has no "
        "\"signatures\" array";
    return Parsed::kMalformed;
  }
  for (size_t i = 0; i < signatures->size(); ++i) {
    const json& s = (*signatures)[i];
    std::string where = "signatures[" + std::to_string(i) + "]";
    if (!s.is_object()) {
      error = Cat(where, " がオブジェクトではありません / ", where, " is not an object");
      return Parsed::kMalformed;
    }
    for (const char* key : {"algorithm", "key_id", "signature"}) {
      auto it = s.find(key);
      if (it == s.end() || !it->is_string()) {
        error = Cat(where, ".", key, " がないか文字列ではありません / ", where, ".", key,
                    " is missing or not a string");
        return Parsed::kMalformed;
      }
    }
  }
  out.signatures = *signatures;
  return Parsed::kSigned;
}

struct TrustedKey {
  std::string path;
  std::string id;
  Pkey key;
};

// Every Ed25519 public key `*.pem` in `dir`; files that are not are named in
// `skipped`.
std::vector<TrustedKey> LoadTrustedKeys(const std::string& dir, std::string& skipped) {
  std::vector<TrustedKey> keys;
  std::error_code ec;
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".pem" && entry.is_regular_file()) {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& path : paths) {
    std::string why;
    Pkey key = LoadKeyFile(path, false, why);
    if (!key) {
      skipped += "\n  " + why;
      continue;
    }
    std::string id = KeyId(key.get());
    keys.push_back(TrustedKey{path, id, std::move(key)});
  }
  return keys;
}

}  // namespace

const char* SignatureStatusName(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::kValid:
      return "valid";
    case SignatureStatus::kUnsigned:
      return "unsigned";
    case SignatureStatus::kBadSignature:
      return "bad signature";
    case SignatureStatus::kUnknownKey:
      return "unknown key";
    case SignatureStatus::kMalformed:
      return "malformed";
  }
  return "malformed";
}

bool GenerateSigningKey(const std::string& private_pem_path, const std::string& public_pem_path,
                        std::string& error) {
  std::error_code ec;
  for (const auto& path : {private_pem_path, public_pem_path}) {
    if (fs::exists(path, ec)) {
      error = Cat("「", path, "」はもうあります。上書きしません / '", path,
                  "' already exists; not overwriting a key");
      return false;
    }
  }
  if (private_pem_path == public_pem_path) {
    error =
        "秘密鍵と公開鍵は別のファイルにしてください / the private and public key files must "
        "differ";
    return false;
  }
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) {
    error = "鍵を作れません / cannot generate a key: " + OpenSslError();
    return false;
  }
  Bio private_bio(BIO_new(BIO_s_mem()));
  Bio public_bio(BIO_new(BIO_s_mem()));
  if (!private_bio || !public_bio ||
      PEM_write_bio_PrivateKey(private_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1 ||
      PEM_write_bio_PUBKEY(public_bio.get(), key.get()) != 1) {
    error = "鍵を PEM にできません / cannot encode the key: " + OpenSslError();
    return false;
  }
  if (!WriteNewFile(private_pem_path, BioText(private_bio.get()), 0600, error)) return false;
  if (!WriteNewFile(public_pem_path, BioText(public_bio.get()), 0644, error)) {
    ::unlink(private_pem_path.c_str());
    return false;
  }
  return true;
}

std::string KeyIdOfPemFile(const std::string& path, std::string& error) {
  std::string text;
  if (!ReadWholeFile(path, text)) {
    error = "「" + path + "」を読めません / cannot read '" + path + "'";
    return "";
  }
  std::string why;
  Pkey key = ParseKey(text, false, why);
  if (!key) key = ParseKey(text, true, why);
  if (!key) {
    error = "「" + path + "」: " + why;
    return "";
  }
  return KeyId(key.get());
}

bool SignBundle(const std::string& bundle_text, const std::string& private_pem_path,
                std::string& signed_text, std::string& error) {
  SignedFile file;
  std::string why;
  switch (ParseSignedFile(bundle_text, file, why)) {
    case Parsed::kMalformed:
      error = "バンドルではありません / not a bundle: " + why;
      return false;
    case Parsed::kPlain:
      file.bundle = bundle_text;
      break;
    case Parsed::kSigned:
      break;
  }
  RuleBundle bundle;
  if (!ReadBundle(file.bundle, bundle, why)) {
    error = "正しいバンドルではないので署名しません / not signing an invalid bundle: " + why;
    return false;
  }
  Pkey key = LoadKeyFile(private_pem_path, true, error);
  if (!key) return false;
  std::vector<unsigned char> signature;
  if (!Sign(key.get(), file.bundle, signature, error)) return false;
  std::string id = KeyId(key.get());
  nlohmann::ordered_json entry;
  entry["algorithm"] = "ed25519";
  entry["key_id"] = id;
  entry["signature"] = Base64(signature);
  nlohmann::ordered_json signatures = nlohmann::ordered_json::array();
  bool replaced = false;
  for (const auto& s : file.signatures) {
    if (s["key_id"] == id && s["algorithm"] == "ed25519") {
      signatures.push_back(entry);  // the same key signs once
      replaced = true;
    } else {
      nlohmann::ordered_json kept;
      for (const char* field : {"algorithm", "key_id", "signature"}) kept[field] = s[field];
      signatures.push_back(std::move(kept));
    }
  }
  if (!replaced) signatures.push_back(entry);
  nlohmann::ordered_json out;
  out["format"] = kSignedBundleFormat;
  out["bundle"] = file.bundle;
  out["signatures"] = std::move(signatures);
  signed_text = out.dump(1) + '\n';
  return true;
}

SignatureStatus VerifyBundle(const std::string& file_text, const std::string& trusted_keys_dir,
                             std::string& bundle_text, std::string& key_id, std::string& error) {
  key_id.clear();
  bundle_text.clear();
  SignedFile file;
  std::string why;
  switch (ParseSignedFile(file_text, file, why)) {
    case Parsed::kMalformed:
      error = "署名つきバンドルとして読めません / malformed bundle file: " + why;
      return SignatureStatus::kMalformed;
    case Parsed::kPlain:
      bundle_text = file_text;
      error = "バンドルに署名がありません / the bundle is not signed";
      return SignatureStatus::kUnsigned;
    case Parsed::kSigned:
      break;
  }
  bundle_text = file.bundle;
  if (file.signatures.empty()) {
    error = "バンドルに署名がありません / the bundle has no signatures";
    return SignatureStatus::kUnsigned;
  }
  std::error_code ec;
  if (!fs::is_directory(trusted_keys_dir, ec)) {
    error = "信頼する鍵のフォルダ「" + trusted_keys_dir + "」がありません / trusted keys folder '" +
            trusted_keys_dir + "' does not exist";
    return SignatureStatus::kUnknownKey;
  }
  std::string skipped;
  std::vector<TrustedKey> trusted = LoadTrustedKeys(trusted_keys_dir, skipped);
  std::string valid_id, bad;
  std::vector<std::string> unknown;
  for (size_t i = 0; i < file.signatures.size(); ++i) {
    const json& s = file.signatures[i];
    std::string id = s["key_id"].get<std::string>();
    auto key = std::find_if(trusted.begin(), trusted.end(),
                            [&](const TrustedKey& k) { return k.id == id; });
    if (key == trusted.end()) {
      unknown.push_back(id);
      continue;
    }
    std::string where = "signatures[" + std::to_string(i) + "] (" + id + ", " + key->path + ")";
    std::vector<unsigned char> signature;
    if (s["algorithm"] != "ed25519") {
      bad += "\n  " + where + ": 知らないアルゴリズム / unsupported algorithm '" +
             s["algorithm"].get<std::string>() + "'";
    } else if (!FromBase64(s["signature"].get<std::string>(), signature)) {
      bad += "\n  " + where + ": 署名が base64 ではありません / signature is not base64";
    } else if (!Verify(key->key.get(), file.bundle, signature)) {
      bad += "\n  " + where +
             ": 署名が合いません (バンドルが改ざんされています) / signature does not verify (the "
             "bundle text was changed)";
    } else if (valid_id.empty()) {
      valid_id = id;
    }
  }
  if (!bad.empty()) {
    error = "信頼する鍵の署名が正しくありません / a trusted key's signature is bad:" + bad;
    return SignatureStatus::kBadSignature;
  }
  if (!valid_id.empty()) {
    key_id = valid_id;
    error.clear();
    return SignatureStatus::kValid;
  }
  error = "信頼する鍵による署名がありません / no signature by a trusted key (signed by";
  for (const auto& id : unknown) error += " " + id;
  error += "; " + std::to_string(trusted.size()) + " trusted keys in '" + trusted_keys_dir + "')";
  if (!skipped.empty()) error += "\n鍵として読めないファイル / files that are not keys:" + skipped;
  return SignatureStatus::kUnknownKey;
}

}  // namespace kijun::plugins
