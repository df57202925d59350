#include "plugins/version_source.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "plugins/rule_library.h"

namespace kijun::plugins {

namespace fs = std::filesystem;

namespace {

// The deepest folder holding every file, so that the copies keep the
// layout the disease file's relative imports ("../scales/…") rely on.
fs::path CommonFolder(const std::vector<VersionSource::File>& files) {
  fs::path common = fs::path(files.front().path).parent_path();
  for (const auto& file : files) {
    fs::path folder = fs::path(file.path).parent_path();
    fs::path shared;
    for (auto a = common.begin(), b = folder.begin();
         a != common.end() && b != folder.end() && *a == *b; ++a, ++b) {
      shared /= *a;
    }
    common = shared;
  }
  return common;
}

// A private folder (mode 0700) holding copies of a version's files, removed
// when it goes out of scope. The front end reads a disease file's imports
// from disk, relative to the file (dsl/program.cc), so the kept text is laid
// out there for the time of one compilation.
class MirroredFiles {
 public:
  ~MirroredFiles() {
    std::error_code ec;
    if (!folder_.empty()) fs::remove_all(folder_, ec);
  }

  // Writes `source`'s files; the copy of the disease file in `main`.
  bool Write(const VersionSource& source, std::string& main, std::string& error) {
    std::error_code ec;
    fs::path temporary = fs::temp_directory_path(ec);
    if (ec) {
      error = "一時フォルダがありません / no temporary folder: " + ec.message();
      return false;
    }
    std::string pattern = (temporary / "kijun-version-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      error = "一時フォルダを作れません / cannot make a temporary folder in " + temporary.string() +
              ": " + std::strerror(errno);
      return false;
    }
    folder_ = pattern;
    fs::path common = CommonFolder(source.files);
    for (const auto& file : source.files) {
      fs::path copy = folder_ / fs::path(file.path).lexically_relative(common);
      fs::create_directories(copy.parent_path(), ec);
      std::ofstream out(copy, std::ios::binary | std::ios::trunc);
      out.write(file.text->data(), static_cast<std::streamsize>(file.text->size()));
      if (!out) {
        error = "一時ファイルを書けません / cannot write a temporary file: " + copy.string();
        return false;
      }
      if (&file == &source.files.front()) main = copy.string();
    }
    return true;
  }

 private:
  fs::path folder_;
};

std::string AbsolutePath(const std::string& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec);
  return (ec ? fs::path(path) : absolute).lexically_normal().string();
}

}  // namespace

std::shared_ptr<const std::string> SourceTexts::Share(const std::string& path,
                                                      const std::string& text) {
  auto& shared = texts_[path];
  if (shared == nullptr || *shared != text) shared = std::make_shared<const std::string>(text);
  return shared;
}

VersionSource CaptureSource(const dsl::Program& program, SourceTexts& texts) {
  VersionSource source;
  source.content_hash = program.content_hash;
  if (program.main != nullptr && program.main->source != nullptr) {
    source.path = program.main->source->path();
  }
  // The disease file first (AllFiles() puts it last), then its modules.
  std::vector<dsl::ast::RuleFile*> files = program.AllFiles();
  if (!files.empty()) std::rotate(files.begin(), files.end() - 1, files.end());
  for (const auto* file : files) {
    if (file->source == nullptr) continue;
    source.files.push_back({AbsolutePath(file->source->path()),
                            texts.Share(file->source->path(), file->source->text())});
  }
  return source;
}

std::optional<engine::ir::RuleSet> CompileFromSource(const VersionSource& source,
                                                     std::string& error) {
  if (source.files.empty()) {
    error = "版の原文がありません / the version's source was not kept";
    return std::nullopt;
  }
  MirroredFiles mirror;
  std::string main;
  if (!mirror.Write(source, main, error)) return std::nullopt;
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  CompiledRuleFile file = CompileRuleFile(main, sources, diagnostics);
  if (!file.rules || diagnostics.HasErrors()) {
    error = "コンパイルできません / does not compile";
    for (const auto& d : diagnostics.Sorted()) {
      if (d.severity != dsl::Severity::kError) continue;
      error += ": " + d.code + " " + d.message_ja + " / " + d.message_en;
      break;
    }
    return std::nullopt;
  }
  if (file.program->content_hash != source.content_hash) {
    // Only a plugin function changing under the rules can do this (its
    // version is part of the hash): the rules would no longer be the ones
    // published, so they must not judge in their name.
    error = "内容ハッシュが公開時と違います / the content hash differs from the published one (" +
            file.program->content_hash + ")";
    return std::nullopt;
  }
  file.rules->path = source.path;
  return std::move(file.rules);
}

}  // namespace kijun::plugins
