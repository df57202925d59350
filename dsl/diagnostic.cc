#include "dsl/diagnostic.h"

#include <algorithm>
#include <sstream>

namespace kijun::dsl {

void Diagnostics::Error(const SourceLocation& where, std::string code, std::string ja,
                        std::string en, std::string hint_ja, std::string hint_en) {
  all_.push_back({Severity::kError, std::move(code), where, std::move(ja), std::move(en),
                  std::move(hint_ja), std::move(hint_en)});
  ++error_count_;
}

void Diagnostics::Warning(const SourceLocation& where, std::string code, std::string ja,
                          std::string en, std::string hint_ja, std::string hint_en) {
  all_.push_back({Severity::kWarning, std::move(code), where, std::move(ja), std::move(en),
                  std::move(hint_ja), std::move(hint_en)});
}

void Diagnostics::UnknownName(const SourceLocation& where, std::string code, std::string ja,
                              std::string en, const std::string& misspelt,
                              const std::vector<std::string>& candidates, std::string fallback_ja,
                              std::string fallback_en) {
  std::string close = ClosestName(misspelt, candidates);
  if (close.empty()) {
    Error(where, std::move(code), std::move(ja), std::move(en), std::move(fallback_ja),
          std::move(fallback_en));
  } else {
    Error(where, std::move(code), std::move(ja), std::move(en), "「" + close + "」のことですか？",
          "did you mean '" + close + "'?");
  }
}

std::vector<Diagnostic> Diagnostics::Sorted() const {
  std::vector<Diagnostic> sorted = all_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    std::string pa = a.where.file ? a.where.file->path() : "";
    std::string pb = b.where.file ? b.where.file->path() : "";
    if (pa != pb) return pa < pb;
    if (a.where.line != b.where.line) return a.where.line < b.where.line;
    return a.where.column < b.where.column;
  });
  return sorted;
}

std::string Render(const Diagnostic& d) {
  std::ostringstream out;
  const char* ja_word = d.severity == Severity::kError ? "エラー" : "警告";
  const char* en_word = d.severity == Severity::kError ? "error" : "warning";
  if (d.where.file) {
    out << d.where.file->path() << ':' << d.where.line << ':' << d.where.column << ": ";
  }
  out << ja_word << '[' << d.code << "]: " << d.message_ja << '\n';
  out << "  " << en_word << ": " << d.message_en << '\n';
  if (d.where.file && d.where.line > 0) {
    std::string_view line = d.where.file->Line(d.where.line);
    std::string number = std::to_string(d.where.line);
    std::string gutter(number.size(), ' ');
    out << ' ' << number << " | " << line << '\n';
    std::string_view before = PrefixCodePoints(line, d.where.column - 1);
    std::string_view rest = line.substr(before.size());
    std::string_view marked = PrefixCodePoints(rest, std::max<uint32_t>(d.where.length, 1));
    // Pad with spaces of the same width, keeping tabs so the caret lines up
    // in a terminal whatever its tab width.
    std::string pad;
    for (char ch : before) {
      if (ch == '\t') pad += '\t';
    }
    pad += std::string(DisplayWidth(before) - static_cast<uint32_t>(pad.size()), ' ');
    uint32_t width = std::max<uint32_t>(DisplayWidth(marked), 1);
    out << ' ' << gutter << " | " << pad << '^' << std::string(width - 1, '~') << '\n';
  }
  if (!d.hint_ja.empty()) out << "  ヒント: " << d.hint_ja << '\n';
  if (!d.hint_en.empty()) out << "  hint: " << d.hint_en << '\n';
  return out.str();
}

namespace {

std::vector<char32_t> Decode(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    auto byte = static_cast<unsigned char>(s[i]);
    int extra = byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : byte >= 0xC0 ? 1 : 0;
    char32_t cp = extra == 0 ? byte : byte & (0x3F >> extra);
    ++i;
    for (int k = 0; k < extra && i < s.size(); ++k, ++i) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
    }
    out.push_back(cp);
  }
  return out;
}

size_t EditDistance(const std::vector<char32_t>& a, const std::vector<char32_t>& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string ClosestName(std::string_view misspelt, const std::vector<std::string>& candidates) {
  auto target = Decode(misspelt);
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto& candidate : candidates) {
    size_t distance = EditDistance(target, Decode(candidate));
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  // Allow about one edit in three characters, at least one.
  size_t limit = std::max<size_t>(1, (target.size() + 2) / 3);
  return best_distance <= limit ? best : std::string();
}

}  // namespace kijun::dsl
