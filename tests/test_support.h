#pragma once

// Helpers shared by the unit tests: compile rule text in memory and judge
// forms with the reference interpreter.

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dsl/diagnostic.h"
#include "dsl/pass.h"
#include "dsl/program.h"
#include "engine/interpreter.h"
#include "engine/ir.h"
#include "engine/lower_to_ir.h"

namespace kijun::testing_support {

struct Compiled {
  std::unique_ptr<dsl::SourceManager> sources = std::make_unique<dsl::SourceManager>();
  dsl::Diagnostics diagnostics;
  std::unique_ptr<dsl::Program> program;
  std::optional<engine::ir::RuleSet> rules;

  // Codes of all diagnostics, in source order.
  std::vector<std::string> Codes() const {
    std::vector<std::string> codes;
    for (const auto& d : diagnostics.Sorted()) codes.push_back(d.code);
    return codes;
  }
  // Whether any diagnostic has `code`.
  bool Has(const std::string& code) const {
    for (const auto& d : diagnostics.all()) {
      if (d.code == code) return true;
    }
    return false;
  }
  std::string Rendered() const {
    std::string out;
    for (const auto& d : diagnostics.Sorted()) out += dsl::Render(d);
    return out;
  }
};

// Compiles `text` as a file named `path` through every front-end pass (up
// to `stop_after` when given) and lowers it when there are no errors.
inline Compiled Compile(const std::string& text, const std::string& path = "test.kijun",
                        const std::string& stop_after = {}) {
  Compiled c;
  c.program = dsl::LoadProgramFromText(path, text, *c.sources, c.diagnostics);
  bool ok = dsl::RunFrontEnd(*c.program, c.diagnostics, stop_after);
  if (ok && stop_after.empty()) c.rules = engine::LowerToIr(*c.program);
  return c;
}

// A disease header for small test programs.
inline std::string Disease(const std::string& body) {
  return "disease 指定難病 999 \"テスト\"\nvariants 新規, 更新\n" + body;
}

// The IR of the rule file at `path` (with its imports), or nullopt with the
// rendered diagnostics in `error` when it does not compile.
inline std::optional<engine::ir::RuleSet> LoadRules(const std::string& path, std::string& error) {
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  auto program = dsl::LoadProgram(path, sources, diagnostics);
  if (!dsl::RunFrontEnd(*program, diagnostics)) {
    for (const auto& d : diagnostics.Sorted()) error += dsl::Render(d);
    return std::nullopt;
  }
  return engine::LowerToIr(*program);
}

// Every rule file under diseases/ (KIJUN_SOURCE_DIR must be defined by the
// test target), sorted, for tests parameterised over the rule library.
#ifdef KIJUN_SOURCE_DIR
inline std::vector<std::string> RuleFilesInDiseases() {
  std::vector<std::string> files;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(KIJUN_SOURCE_DIR "/diseases")) {
    if (entry.path().extension() == ".kijun") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}
#endif

// A test name made of the letters and digits of a rule file's name.
inline std::string RuleFileTestName(const std::string& path) {
  std::string clean;
  for (char ch : std::filesystem::path(path).stem().string()) {
    if (std::isalnum(static_cast<unsigned char>(ch))) clean += ch;
  }
  return clean;
}

inline engine::Judgment JudgeItems(const engine::ir::RuleSet& rules, const nlohmann::json& items,
                                   const std::string& variant = "",
                                   std::optional<int64_t> date = {}) {
  engine::FormInput form;
  form.variant = variant;
  form.date = date;
  return engine::Judge(rules, form, items);
}

}  // namespace kijun::testing_support
