#include "dsl/source_file.h"

#include <fstream>
#include <sstream>

#include "dsl/ast.h"

namespace kijun::dsl {

SourceFile::SourceFile(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

std::string_view SourceFile::Line(uint32_t line) const {
  if (line == 0 || line > line_starts_.size()) return {};
  size_t begin = line_starts_[line - 1];
  size_t end = line < line_starts_.size() ? line_starts_[line] - 1 : text_.size();
  std::string_view view(text_.data() + begin, end - begin);
  if (!view.empty() && view.back() == '\r') view.remove_suffix(1);
  return view;
}

SourceManager::SourceManager() = default;
SourceManager::~SourceManager() = default;

const ast::RuleFile* SourceManager::ParsedModule(const std::string& path,
                                                 std::string_view text) const {
  for (const auto& [kept_path, module] : modules_) {
    if (kept_path == path && module->source->text() == text) return module.get();
  }
  return nullptr;
}

void SourceManager::KeepParsedModule(const std::string& path,
                                     std::unique_ptr<ast::RuleFile> module) {
  modules_.emplace_back(path, std::move(module));
}

const SourceFile* SourceManager::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return Add(path, buffer.str());
}

const SourceFile* SourceManager::Add(std::string path, std::string text) {
  files_.push_back(std::make_unique<SourceFile>(std::move(path), std::move(text)));
  return files_.back().get();
}

namespace {

// Decodes one code point starting at `i`, advancing `i`. Invalid bytes count
// as one code point each so that bad input never loops.
char32_t NextCodePoint(std::string_view s, size_t& i) {
  auto byte = static_cast<unsigned char>(s[i]);
  int extra = byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : byte >= 0xC0 ? 1 : 0;
  char32_t cp = extra == 0 ? byte : byte & (0x3F >> extra);
  ++i;
  for (int k = 0; k < extra && i < s.size(); ++k, ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  }
  return cp;
}

bool IsWide(char32_t cp) {
  if (cp >= 0xFF61 && cp <= 0xFF9F) return false;  // half-width katakana
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

}  // namespace

uint32_t DisplayWidth(std::string_view utf8) {
  uint32_t width = 0;
  for (size_t i = 0; i < utf8.size();) {
    char32_t cp = NextCodePoint(utf8, i);
    width += cp == '\t' ? 1 : IsWide(cp) ? 2 : 1;
  }
  return width;
}

std::string_view PrefixCodePoints(std::string_view utf8, uint32_t count) {
  size_t i = 0;
  for (uint32_t n = 0; n < count && i < utf8.size(); ++n) NextCodePoint(utf8, i);
  return utf8.substr(0, i);
}

uint32_t CodePointCount(std::string_view utf8) {
  uint32_t n = 0;
  for (size_t i = 0; i < utf8.size(); ++n) NextCodePoint(utf8, i);
  return n;
}

namespace {

// Length of the valid UTF-8 sequence at `i`, or 0 when it is invalid.
size_t ValidSequence(std::string_view s, size_t i) {
  auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return 1;
  size_t n = b0 >= 0xC2 && b0 <= 0xDF   ? 2
             : b0 >= 0xE0 && b0 <= 0xEF ? 3
             : b0 >= 0xF0 && b0 <= 0xF4 ? 4
                                        : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  }
  auto b1 = static_cast<unsigned char>(s[i + 1]);
  if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F) || (b0 == 0xF0 && b1 < 0x90) ||
      (b0 == 0xF4 && b1 > 0x8F)) {
    return 0;  // overlong, surrogate or beyond U+10FFFF
  }
  return n;
}

}  // namespace

std::optional<size_t> FirstInvalidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    size_t n = ValidSequence(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::nullopt;
}

std::string ReplaceInvalidUtf8(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    size_t n = ValidSequence(text, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace kijun::dsl
