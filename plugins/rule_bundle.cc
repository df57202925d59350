#include "plugins/rule_bundle.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "dsl/calendar.h"
#include "dsl/diagnostic.h"
#include "dsl/program.h"
#include "plugins/rule_library.h"

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

std::string NowUtc() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

bool ReadWholeFile(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return static_cast<bool>(in) || in.eof();
}

// Each distinct error diagnostic once, sorted, as `kijun check` prints them.
std::string RenderErrors(const dsl::Diagnostics& diagnostics) {
  std::set<std::string> seen;
  std::string out;
  for (const auto& d : diagnostics.Sorted()) {
    if (d.severity != dsl::Severity::kError) continue;
    std::string text = dsl::Render(d);
    if (seen.insert(text).second) out += text + '\n';
  }
  return out;
}

std::string Canonical(const fs::path& path) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  return ec ? path.lexically_normal().string() : canonical.string();
}

// `path` relative to `root` with '/', or "" when it is not inside `root`.
std::string RelativeInside(const std::string& path, const std::string& root) {
  fs::path relative = fs::path(Canonical(path)).lexically_relative(Canonical(root));
  std::string text = relative.generic_string();
  if (text.empty() || text == "." || text.rfind("..", 0) == 0) return "";
  return text;
}

// The files a compiled program read that are not `root`-relative names in
// `allowed`, as a readable list ("" when there are none).
std::string FilesOutside(const CompiledRuleFile& file, const std::string& root,
                         const std::set<std::string>& allowed) {
  std::string outside;
  if (!file.program) return outside;
  for (const auto* rule_file : file.program->AllFiles()) {
    if (rule_file == nullptr || rule_file->source == nullptr) continue;
    std::string relative = RelativeInside(rule_file->source->path(), root);
    if (relative.empty() || allowed.count(relative) == 0) {
      outside += (outside.empty() ? "" : ", ") + rule_file->source->path();
    }
  }
  return outside;
}

// `path`, found under `folder` by FindRuleFiles, relative to it with '/'.
std::string RelativeToFolder(const std::string& path, const std::string& folder) {
  std::string relative = path.rfind(folder, 0) == 0 ? path.substr(folder.size()) : path;
  size_t start = relative.find_first_not_of('/');
  return fs::path(start == std::string::npos ? "" : relative.substr(start)).generic_string();
}

std::string OptionalDate(const std::optional<int64_t>& days) {
  return days ? dsl::FormatDate(*days) : "null";
}

std::string OptionalNumber(const std::optional<int64_t>& number) {
  return number ? std::to_string(*number) : "null";
}

bool IsSha256Hash(const std::string& text) {
  const std::string prefix = "sha256:";
  if (text.size() != prefix.size() + 64 || text.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  return std::all_of(
      text.begin() + static_cast<std::ptrdiff_t>(prefix.size()), text.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0 || (c >= 'a' && c <= 'f');
      });
}

// Reads manifest[index] into `entry`.
bool ReadManifestEntry(const json& value, size_t index, ManifestEntry& entry, std::string& error) {
  std::string where = "manifest[" + std::to_string(index) + "]";
  if (!value.is_object()) {
    error = where + " がオブジェクトではありません / " + where + " is not an object";
    return false;
  }
  for (const char* key : {"disease", "name", "file", "content_hash"}) {
    auto it = value.find(key);
    if (it == value.end() || !it->is_string()) {
      error = Cat(where, ".", key, " がないか文字列ではありません / ", where, ".", key,
                  " is missing or not a string");
      return false;
    }
  }
  entry.disease = value["disease"].get<std::string>();
  entry.name = value["name"].get<std::string>();
  entry.file = value["file"].get<std::string>();
  entry.content_hash = value["content_hash"].get<std::string>();
  if (entry.disease.empty() || entry.disease.find('/') == std::string::npos) {
    error = where + ".disease 「" + entry.disease + "」は「制度/番号」の形ではありません / " +
            where + ".disease '" + entry.disease + "' is not of the form programme/number";
    return false;
  }
  if (!IsSha256Hash(entry.content_hash)) {
    error = where + ".content_hash 「" + entry.content_hash +
            "」は sha256:<16進64桁> ではありません / " + where + ".content_hash '" +
            entry.content_hash + "' is not sha256:<64 hex digits>";
    return false;
  }
  auto revision = value.find("revision");
  if (revision == value.end()) {
    error = where + ".revision がありません (なければ null) / " + where +
            ".revision is missing (null when there is none)";
    return false;
  }
  if (revision->is_number_integer()) {
    entry.revision = revision->get<int64_t>();
  } else if (!revision->is_null()) {
    error =
        where + ".revision は整数か null です / " + where + ".revision must be an integer or null";
    return false;
  }
  auto effective = value.find("effective");
  if (effective == value.end()) {
    error = where + ".effective がありません (なければ null) / " + where +
            ".effective is missing (null when there is none)";
    return false;
  }
  if (effective->is_string()) {
    entry.effective = effective->get<std::string>();
    if (!dsl::ParseDate(*entry.effective)) {
      error = where + ".effective 「" + *entry.effective +
              "」は YYYY-MM-DD の日付ではありません / " + where + ".effective '" +
              *entry.effective + "' is not a YYYY-MM-DD date";
      return false;
    }
  } else if (!effective->is_null()) {
    error = where + ".effective は日付の文字列か null です / " + where +
            ".effective must be a date string or null";
    return false;
  }
  std::string why;
  if (!IsValidBundlePath(entry.file, why)) {
    error = where + ".file 「" + entry.file + "」: " + why;
    return false;
  }
  return true;
}

}  // namespace

bool IsValidBundlePath(const std::string& path, std::string& why) {
  if (path.empty()) {
    why = "空のパスです / empty path";
    return false;
  }
  if (path.find('\\') != std::string::npos) {
    why = "バックスラッシュは使えません / backslashes are not allowed in '" + path + "'";
    return false;
  }
  if (path.front() == '/') {
    why = "絶対パスは使えません / absolute path '" + path + "' is not allowed";
    return false;
  }
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      why = "制御文字は使えません / control characters are not allowed in '" + path + "'";
      return false;
    }
  }
  size_t start = 0;
  bool first = true;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string part =
        path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") {
      why = "「..」は使えません / '..' is not allowed in '" + path + "'";
      return false;
    }
    if (part.empty() || part == ".") {
      why =
          "空の要素や「.」は使えません / empty or '.' components are not allowed in '" + path + "'";
      return false;
    }
    if (first && part.size() >= 2 && part[1] == ':') {
      why = "ドライブ名つきのパスは使えません / drive-qualified path '" + path + "' is not allowed";
      return false;
    }
    first = false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  const std::string extension = ".kijun";
  if (path.size() <= extension.size() ||
      path.compare(path.size() - extension.size(), extension.size(), extension) != 0 ||
      path[path.size() - extension.size() - 1] == '/') {
    why = ".kijun ファイルではありません / '" + path + "' is not a .kijun file";
    return false;
  }
  return true;
}

bool BuildBundle(const std::string& folder, json& bundle, std::string& error) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    error = "「" + folder + "」はフォルダではありません / '" + folder + "' is not a folder";
    return false;
  }
  std::vector<std::string> paths = FindRuleFiles({folder});
  if (paths.empty()) {
    error =
        "「" + folder + "」に .kijun ファイルがありません / no .kijun files in '" + folder + "'";
    return false;
  }
  json files = json::object();
  std::set<std::string> relative_paths;
  for (const auto& path : paths) {
    std::string relative = RelativeToFolder(path, folder);
    std::string why;
    if (!IsValidBundlePath(relative, why)) {
      error = Cat("「", path, "」はバンドルに入れられません / cannot bundle '", path, "': ", why);
      return false;
    }
    std::string text;
    if (!ReadWholeFile(path, text)) {
      error = Cat("「", path, "」を読めません / cannot read '", path, "'");
      return false;
    }
    try {
      (void)json(text).dump();
    } catch (const json::exception&) {
      error = Cat("「", path, "」は UTF-8 ではありません / '", path, "' is not valid UTF-8");
      return false;
    }
    files[relative] = text;
    relative_paths.insert(relative);
  }

  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  json manifest = json::array();
  std::string outside;
  for (const auto& path : paths) {
    size_t before = diagnostics.error_count();
    CompiledRuleFile file = CompileRuleFile(path, sources, diagnostics);
    std::string escaped = FilesOutside(file, folder, relative_paths);
    if (!escaped.empty()) outside += Cat("  ", path, ": ", escaped, '\n');
    if (diagnostics.error_count() > before || !file.rules || file.rules->is_module) continue;
    const engine::ir::RuleSet& rules = *file.rules;
    json entry;
    entry["disease"] = rules.DiseaseKey();
    entry["name"] = rules.name_ja;
    entry["file"] = RelativeToFolder(path, folder);
    entry["revision"] = rules.revision ? json(*rules.revision) : json(nullptr);
    entry["effective"] = rules.effective ? json(dsl::FormatDate(*rules.effective)) : json(nullptr);
    entry["content_hash"] = file.program->content_hash;
    manifest.push_back(std::move(entry));
  }
  if (diagnostics.HasErrors()) {
    error =
        "規則ファイルにエラーがあるためバンドルを作りません / rule files have errors, no "
        "bundle was built:\n" +
        RenderErrors(diagnostics);
    return false;
  }
  if (!outside.empty()) {
    error = "フォルダの外のファイルを import しています / files import files outside '" + folder +
            "':\n" + outside;
    return false;
  }
  bundle = json::object();
  bundle["format"] = kBundleFormat;
  bundle["language"] = dsl::kLanguageVersion;
  bundle["created"] = NowUtc();
  bundle["manifest"] = std::move(manifest);
  bundle["files"] = std::move(files);
  return true;
}

bool ReadBundle(const std::string& text, RuleBundle& out, std::string& error) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    error = "バンドルが JSON として読めません / bundle is not valid JSON: " + std::string(e.what());
    return false;
  }
  if (!root.is_object()) {
    error = "バンドルが JSON オブジェクトではありません / bundle is not a JSON object";
    return false;
  }
  auto format = root.find("format");
  if (format == root.end() || !format->is_string()) {
    error = "バンドルに format がありません / bundle has no \"format\"";
    return false;
  }
  out.format = format->get<std::string>();
  if (out.format == "kijun-signed-bundle/1") {
    error =
        "署名つきバンドルです。中のバンドルを取り出してください (kijun bundle verify) / this is a "
        "signed bundle; verify it to get the bundle inside (kijun bundle verify)";
    return false;
  }
  if (out.format != kBundleFormat) {
    error = "知らないバンドル形式「" + out.format + "」(" + kBundleFormat +
            " のみ) / unknown bundle format '" + out.format + "' (expected " + kBundleFormat + ")";
    return false;
  }
  auto language = root.find("language");
  if (language == root.end() || !language->is_string()) {
    error = "バンドルに language がありません / bundle has no \"language\"";
    return false;
  }
  out.language = language->get<std::string>();
  if (out.language != dsl::kLanguageVersion) {
    error = "バンドルの言語 " + out.language + " はこのレジストリでは使えません (" +
            dsl::kLanguageVersion + " のみ) / bundle language " + out.language +
            " is not supported by this registry (supports " + dsl::kLanguageVersion + ")";
    return false;
  }
  auto created = root.find("created");
  if (created == root.end() || !created->is_string()) {
    error = "バンドルに created がありません / bundle has no \"created\" time";
    return false;
  }
  out.created = created->get<std::string>();

  auto files = root.find("files");
  if (files == root.end() || !files->is_object()) {
    error = "バンドルに files オブジェクトがありません / bundle has no \"files\" object";
    return false;
  }
  out.files.clear();
  for (const auto& [path, content] : files->items()) {
    std::string why;
    if (!IsValidBundlePath(path, why)) {
      error = Cat("files 「", path, "」: ", why);
      return false;
    }
    if (!content.is_string()) {
      error = Cat("files 「", path, "」の中身が文字列ではありません / files['", path,
                  "'] is not a string");
      return false;
    }
    out.files[path] = content.get<std::string>();
  }
  if (out.files.empty()) {
    error = "バンドルにファイルがありません / bundle has no files";
    return false;
  }

  auto manifest = root.find("manifest");
  if (manifest == root.end() || !manifest->is_array()) {
    error = "バンドルに manifest 配列がありません / bundle has no \"manifest\" array";
    return false;
  }
  out.manifest.clear();
  std::set<std::string> listed;
  for (size_t i = 0; i < manifest->size(); ++i) {
    ManifestEntry entry;
    if (!ReadManifestEntry((*manifest)[i], i, entry, error)) return false;
    std::string where = "manifest[" + std::to_string(i) + "]";
    if (out.files.count(entry.file) == 0) {
      error = Cat(where, ".file 「", entry.file, "」が files にありません / ", where, ".file '",
                  entry.file, "' is missing from files");
      return false;
    }
    if (!listed.insert(entry.file).second) {
      error = Cat(where, ".file 「", entry.file, "」が二度載っています / ", where, ".file '",
                  entry.file, "' is listed twice");
      return false;
    }
    out.manifest.push_back(std::move(entry));
  }
  return true;
}

bool ExtractBundle(const RuleBundle& bundle, const std::string& dir, std::string& error) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec)) {
      error = "「" + dir + "」はフォルダではありません / '" + dir + "' is not a folder";
      return false;
    }
    if (!fs::is_empty(dir, ec)) {
      error = "「" + dir + "」は空ではありません / '" + dir +
              "' is not empty (a bundle is extracted into a new or empty folder)";
      return false;
    }
  }
  for (const auto& [path, text] : bundle.files) {
    std::string why;
    if (!IsValidBundlePath(path, why)) {
      error = Cat("files 「", path, "」: ", why);
      return false;
    }
    fs::path target = fs::path(dir) / fs::path(path);
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      error = "「" + target.parent_path().string() + "」を作れません / cannot create '" +
              target.parent_path().string() + "': " + ec.message();
      return false;
    }
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      error = "「" + target.string() + "」に書けません / cannot write '" + target.string() + "'";
      return false;
    }
  }
  return true;
}

bool VerifyManifest(const RuleBundle& bundle, const std::string& extracted_dir,
                    std::string& error) {
  std::set<std::string> bundled;
  for (const auto& [path, text] : bundle.files) bundled.insert(path);
  // The folder holds exactly the bundle's rule files.
  for (const auto& path : FindRuleFiles({extracted_dir})) {
    std::string relative = RelativeInside(path, extracted_dir);
    if (bundled.count(relative) == 0) {
      error = Cat("「", path, "」はバンドルにないファイルです / '", path,
                  "' is not a file of the bundle");
      return false;
    }
  }
  std::map<std::string, const ManifestEntry*> listed;
  for (const auto& entry : bundle.manifest) listed[entry.file] = &entry;

  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  std::string problems;
  std::set<std::string> seen;
  for (const auto& relative : bundled) {
    std::string path = (fs::path(extracted_dir) / fs::path(relative)).string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      problems += "  " + relative + ": 展開されていません / not extracted\n";
      continue;
    }
    size_t before = diagnostics.error_count();
    CompiledRuleFile file = CompileRuleFile(path, sources, diagnostics);
    std::string escaped = FilesOutside(file, extracted_dir, bundled);
    if (!escaped.empty()) {
      problems +=
          Cat("  ", relative,
              ": バンドルの外のファイルを読んでいます / reads files outside the bundle: ", escaped,
              '\n');
    }
    if (diagnostics.error_count() > before || !file.rules) continue;
    const engine::ir::RuleSet& rules = *file.rules;
    auto it = listed.find(relative);
    if (rules.is_module) {
      if (it != listed.end()) {
        problems += "  " + relative +
                    ": モジュールが manifest に載っています / a module is "
                    "listed in the manifest\n";
      }
      continue;
    }
    if (it == listed.end()) {
      problems += "  " + relative +
                  ": 疾病ファイルが manifest にありません / disease file is not " +
                  "in the manifest\n";
      continue;
    }
    seen.insert(relative);
    const ManifestEntry& entry = *it->second;
    auto mismatch = [&](const std::string& field, const std::string& listed_value,
                        const std::string& actual) {
      problems += Cat("  ", relative, ": ", field, " が違います / ", field,
                      " does not match: manifest ", listed_value, ", compiled ", actual, '\n');
    };
    if (entry.content_hash != file.program->content_hash) {
      mismatch("content_hash", entry.content_hash, file.program->content_hash);
    }
    if (entry.disease != rules.DiseaseKey()) mismatch("disease", entry.disease, rules.DiseaseKey());
    if (entry.name != rules.name_ja) mismatch("name", entry.name, rules.name_ja);
    if (OptionalNumber(entry.revision) != OptionalNumber(rules.revision)) {
      mismatch("revision", OptionalNumber(entry.revision), OptionalNumber(rules.revision));
    }
    if (entry.effective.value_or("null") != OptionalDate(rules.effective)) {
      mismatch("effective", entry.effective.value_or("null"), OptionalDate(rules.effective));
    }
  }
  if (diagnostics.HasErrors()) {
    error = "バンドルの規則ファイルにエラーがあります / the bundle's rule files have errors:\n" +
            RenderErrors(diagnostics);
    return false;
  }
  for (const auto& entry : bundle.manifest) {
    if (seen.count(entry.file) == 0 &&
        problems.find("  " + entry.file + ":") == std::string::npos) {
      problems += "  " + entry.file + ": 疾病ファイルではありません / is not a disease file\n";
    }
  }
  if (!problems.empty()) {
    error =
        "manifest と規則ファイルが一致しません / the manifest does not match the rule files:\n" +
        problems;
    return false;
  }
  return true;
}

}  // namespace kijun::plugins
