#include "server/key_folder.h"

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "server/field_cipher.h"

namespace kijun::server {

namespace fs = std::filesystem;

namespace {

std::runtime_error KeyError(const std::string& ja, const std::string& en) {
  return std::runtime_error(ja + " / " + en);
}

// Refuses a key folder or file that anyone but its owner can read: a KEK
// readable by other accounts on the host is no longer outside the database's
// reach.
void RequirePrivate(const std::string& path, bool folder) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    throw KeyError("鍵「" + path + "」がありません", "key path '" + path + "' does not exist");
  }
  if (folder != S_ISDIR(info.st_mode)) {
    throw KeyError("「" + path + "」は" + (folder ? "フォルダ" : "ファイル") + "ではありません",
                   "'" + path + "' is not a " + (folder ? "folder" : "file"));
  }
  if ((info.st_mode & 077) != 0) {
    throw KeyError("鍵「" + path + "」のアクセス権が緩すぎます (chmod " + (folder ? "700" : "600") +
                       " にしてください)",
                   "key path '" + path + "' is accessible to group or others (chmod " +
                       (folder ? "700" : "600") + " it)");
  }
}

std::string Hex(std::string_view bytes) {
  std::string h = ToByteaHex(bytes);
  return h.substr(2);
}

std::string ReadKeyFile(const std::string& path) {
  RequirePrivate(path, false);
  std::ifstream in(path);
  std::string text;
  in >> text;
  try {
    std::string key = FromByteaHex("\\x" + text);
    if (key.size() == kDataKeyBytes) return key;
  } catch (const DecryptionError&) {
  }
  throw KeyError("鍵ファイル「" + path + "」の形が違います (16進 64 桁)",
                 "key file '" + path + "' is malformed (64 hex digits expected)");
}

// Writes `text` to `path` through a temporary file and a rename, so a
// reader never sees half a file and a crash leaves the old one.
void WriteAtomically(const std::string& path, const std::string& text) {
  std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text << '\n';
    out.close();
    if (!out)
      throw KeyError("「" + temporary + "」に書けません", "cannot write '" + temporary + "'");
  }
  fs::permissions(temporary, fs::perms::owner_read | fs::perms::owner_write);
  fs::rename(temporary, path);
}

std::string NewKeyId() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  return std::string(stamp) + "-" + Hex(RandomBytes(3));
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

}  // namespace

KeyFolder::KeyFolder(std::string folder) : folder_(std::move(folder)) {
  RequirePrivate(folder_, true);
  std::lock_guard lock(mutex_);
  ReadIndexKeys();
  ReadCurrent();
  Kek(current_);
}

bool KeyFolder::Initialise(const std::string& folder) {
  if (fs::exists(folder)) return false;
  fs::create_directories(folder);
  fs::permissions(folder, fs::perms::owner_all);
  WriteAtomically(folder + "/index.key", Hex(RandomBytes(kDataKeyBytes)));
  std::string id = NewKeyId();
  WriteAtomically(folder + "/kek-" + id + ".key", Hex(RandomBytes(kDataKeyBytes)));
  WriteAtomically(folder + "/current", id);
  return true;
}

void KeyFolder::ReadCurrent() {
  std::ifstream in(folder_ + "/current");
  std::string id;
  in >> id;
  if (!ValidId(id)) {
    throw KeyError("鍵フォルダ「" + folder_ + "」の current がありません",
                   "key folder '" + folder_ + "' has no valid 'current' file");
  }
  current_ = id;
  current_checked_ = std::chrono::steady_clock::now();
}

const std::string& KeyFolder::Kek(const std::string& id) {
  auto it = keks_.find(id);
  if (it != keks_.end()) return it->second;
  if (!ValidId(id)) throw KeyError("鍵の名前が違います", "bad KEK id '" + id + "'");
  return keks_[id] = ReadKeyFile(folder_ + "/kek-" + id + ".key");
}

WrappedKey KeyFolder::Wrap(std::string_view data_key, std::string_view place) {
  std::lock_guard lock(mutex_);
  if (std::chrono::steady_clock::now() - current_checked_ > std::chrono::seconds(1)) {
    ReadCurrent();
  }
  const std::string& kek = Kek(current_);
  return {current_, Seal(kek, data_key, "data-key/" + std::string(place))};
}

std::string KeyFolder::Unwrap(const WrappedKey& wrapped, std::string_view place) {
  std::string kek;
  {
    std::lock_guard lock(mutex_);
    kek = Kek(wrapped.kek_id);
  }
  return Open(kek, wrapped.bytes, "data-key/" + std::string(place));
}

std::string KeyFolder::CurrentId() {
  std::lock_guard lock(mutex_);
  ReadCurrent();
  return current_;
}

std::string KeyFolder::IndexKeyFile(const std::string& id) const {
  return id == kOriginalIndexKeyId ? folder_ + "/index.key" : folder_ + "/index-" + id + ".key";
}

void KeyFolder::ReadIndexKeys() {
  std::string current = kOriginalIndexKeyId;
  if (fs::exists(folder_ + "/index-current")) {
    std::ifstream in(folder_ + "/index-current");
    in >> current;
    if (!ValidId(current)) {
      throw KeyError("鍵フォルダ「" + folder_ + "」の index-current が正しくありません",
                     "key folder '" + folder_ + "' has a malformed 'index-current' file");
    }
  }
  // The index key files present; a key read once is not read again.
  std::map<std::string, std::string> present;
  for (const auto& entry : fs::directory_iterator(folder_)) {
    std::string name = entry.path().filename().string();
    std::string id;
    if (name == "index.key") {
      id = kOriginalIndexKeyId;
    } else if (name.rfind("index-", 0) == 0 && name.size() > 10 &&
               name.substr(name.size() - 4) == ".key") {
      id = name.substr(6, name.size() - 10);
      if (!ValidId(id) || id == kOriginalIndexKeyId) continue;
    } else {
      continue;
    }
    auto known = index_keys_.find(id);
    present[id] = known != index_keys_.end() ? known->second : ReadKeyFile(IndexKeyFile(id));
  }
  if (present.count(current) == 0) {
    throw KeyError("鍵フォルダ「" + folder_ + "」に索引鍵「" + current + "」(" +
                       IndexKeyFile(current) + ") がありません",
                   "key folder '" + folder_ + "' has no blind-index key '" + current + "' (" +
                       IndexKeyFile(current) + ")");
  }
  index_keys_ = std::move(present);
  index_current_ = current;
  index_checked_ = std::chrono::steady_clock::now();
}

void KeyFolder::RefreshIndexKeys() {
  if (std::chrono::steady_clock::now() - index_checked_ > std::chrono::seconds(1)) {
    ReadIndexKeys();
  }
}

BlindIndexKey KeyFolder::CurrentBlindIndexKey() {
  std::lock_guard lock(mutex_);
  RefreshIndexKeys();
  return {index_current_, index_keys_.at(index_current_)};
}

std::vector<BlindIndexKey> KeyFolder::BlindIndexKeys() {
  std::lock_guard lock(mutex_);
  RefreshIndexKeys();
  std::vector<BlindIndexKey> keys = {{index_current_, index_keys_.at(index_current_)}};
  for (const auto& [id, key] : index_keys_) {
    if (id != index_current_) keys.push_back({id, key});
  }
  return keys;
}

std::string KeyFolder::CreateIndexKey() {
  std::string id = NewKeyId();
  WriteAtomically(IndexKeyFile(id), Hex(RandomBytes(kDataKeyBytes)));
  return id;
}

void KeyFolder::SetCurrentIndexKey(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (!ValidId(id)) throw KeyError("索引鍵の名前が違います", "bad index key id '" + id + "'");
  ReadKeyFile(IndexKeyFile(id));  // refuse an id without a key file
  WriteAtomically(folder_ + "/index-current", id);
  ReadIndexKeys();
}

std::string KeyFolder::IndexRotationTarget() const {
  std::ifstream in(folder_ + "/index-rotating");
  std::string id;
  in >> id;
  return ValidId(id) ? id : "";
}

void KeyFolder::SetIndexRotationTarget(const std::string& id) {
  if (id.empty()) {
    fs::remove(folder_ + "/index-rotating");
  } else {
    WriteAtomically(folder_ + "/index-rotating", id);
  }
}

std::string KeyFolder::CreateKek() {
  std::string id = NewKeyId();
  WriteAtomically(folder_ + "/kek-" + id + ".key", Hex(RandomBytes(kDataKeyBytes)));
  return id;
}

void KeyFolder::SetCurrent(const std::string& id) {
  std::lock_guard lock(mutex_);
  Kek(id);  // refuse an id without a key file
  WriteAtomically(folder_ + "/current", id);
  current_ = id;
  current_checked_ = std::chrono::steady_clock::now();
}

std::string KeyFolder::RotationTarget() const {
  std::ifstream in(folder_ + "/rotating");
  std::string id;
  in >> id;
  return ValidId(id) ? id : "";
}

void KeyFolder::SetRotationTarget(const std::string& id) {
  if (id.empty()) {
    fs::remove(folder_ + "/rotating");
  } else {
    WriteAtomically(folder_ + "/rotating", id);
  }
}

}  // namespace kijun::server
