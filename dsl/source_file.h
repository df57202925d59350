#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kijun::dsl {

// One rule file's text as read from disk. Immutable after construction.
class SourceFile {
 public:
  SourceFile(std::string path, std::string text);

  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  // The 1-based line `line` without its line break; empty when out of range.
  std::string_view Line(uint32_t line) const;

 private:
  std::string path_;
  std::string text_;
  std::vector<size_t> line_starts_;
};

// A place in a rule file. Lines and columns are 1-based; columns count
// Unicode code points, as rule authors see characters.
struct SourceLocation {
  const SourceFile* file = nullptr;
  uint32_t line = 0;
  uint32_t column = 0;
  uint32_t length = 1;  // in code points, for the caret underline
};

namespace ast {
struct RuleFile;
}

// Owns every SourceFile loaded in one run so locations stay valid, and the
// modules parsed from them, so that a module many disease files import is
// parsed once per run (dsl/program.cc copies it for each program).
class SourceManager {
 public:
  SourceManager();
  ~SourceManager();
  SourceManager(const SourceManager&) = delete;
  SourceManager& operator=(const SourceManager&) = delete;

  // Reads `path`; returns nullptr when it cannot be read.
  const SourceFile* Load(const std::string& path);
  // Adds text that did not come from disk (tests, the editor).
  const SourceFile* Add(std::string path, std::string text);

  // The module kept for `path` when it was parsed from exactly `text`, or
  // null.
  const ast::RuleFile* ParsedModule(const std::string& path, std::string_view text) const;
  // Keeps `module`, parsed from its source without any diagnostic, under
  // `path` (the import's resolved path).
  void KeepParsedModule(const std::string& path, std::unique_ptr<ast::RuleFile> module);

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
  std::vector<std::pair<std::string, std::unique_ptr<ast::RuleFile>>> modules_;
};

// Width of a UTF-8 string in terminal columns: CJK and full-width forms are 2.
uint32_t DisplayWidth(std::string_view utf8);
// The first `count` code points of `utf8`.
std::string_view PrefixCodePoints(std::string_view utf8, uint32_t count);
// Number of code points in `utf8`.
uint32_t CodePointCount(std::string_view utf8);
// Byte offset of the first byte that is not part of valid UTF-8, if any.
std::optional<size_t> FirstInvalidUtf8(std::string_view text);
// `text` with every invalid UTF-8 byte replaced by U+FFFD.
std::string ReplaceInvalidUtf8(std::string_view text);

}  // namespace kijun::dsl
