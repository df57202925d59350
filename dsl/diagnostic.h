#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dsl/source_file.h"

namespace kijun::dsl {

enum class Severity { kError, kWarning };

// One problem in a rule file, told in Japanese and English, with a hint.
// `code` is stable (K1xx syntax, K2xx names, K3xx types and units,
// K4xx structure, K5xx tests) so golden files and the editor can key on it.
struct Diagnostic {
  Severity severity = Severity::kError;
  std::string code;
  SourceLocation where;
  std::string message_ja;
  std::string message_en;
  std::string hint_ja;
  std::string hint_en;
};

// Collects all diagnostics of a run so authors see every problem at once.
class Diagnostics {
 public:
  void Error(const SourceLocation& where, std::string code, std::string ja, std::string en,
             std::string hint_ja = {}, std::string hint_en = {});
  void Warning(const SourceLocation& where, std::string code, std::string ja, std::string en,
               std::string hint_ja = {}, std::string hint_en = {});

  // An error about a name that does not exist: the hint is "did you mean"
  // the closest of `candidates`, or the fallback hint when none is close.
  void UnknownName(const SourceLocation& where, std::string code, std::string ja, std::string en,
                   const std::string& misspelt, const std::vector<std::string>& candidates,
                   std::string fallback_ja, std::string fallback_en);

  bool HasErrors() const { return error_count_ > 0; }
  size_t error_count() const { return error_count_; }
  const std::vector<Diagnostic>& all() const { return all_; }
  // Sorted by file, line, column; stable for equal positions.
  std::vector<Diagnostic> Sorted() const;

 private:
  std::vector<Diagnostic> all_;
  size_t error_count_ = 0;
};

// Renders one diagnostic: `file:line:col`, both messages, the source line with
// a caret under the problem, and the hint.
std::string Render(const Diagnostic& diagnostic);

// The candidate closest to `misspelt` by edit distance, or "" when none is
// close enough to be a plausible misspelling.
std::string ClosestName(std::string_view misspelt, const std::vector<std::string>& candidates);

}  // namespace kijun::dsl
