// The `kijun` command: check, test, judge, explain, fmt and dump rule files.

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/catalog.h"
#include "cli/envelope_command.h"
#include "dsl/ast_dump.h"
#include "dsl/calendar.h"
#include "dsl/formatter.h"
#include "dsl/pass.h"
#include "engine/batch/batch_envelope.h"
#include "engine/batch/batch_judge.h"
#include "engine/batch/json_line_reader.h"
#include "engine/form_envelope.h"
#include "engine/interpreter.h"
#include "engine/ir_dump.h"
#include "engine/jit/differential.h"
#include "engine/judgment_render.h"
#include "engine/judgment_writer.h"
#include "engine/lower_to_ir.h"
#include "engine/random_forms.h"
#include "engine/rule_coverage.h"
#include "engine/rule_tests.h"
#include "plugins/bundle_signature.h"
#include "plugins/native_plugins.h"
#include "plugins/rule_bundle.h"
#include "plugins/rule_library.h"

namespace kijun::cli {
namespace {

using plugins::CompiledRuleFile;
using plugins::CompileNative;
using plugins::CompileRuleFile;
using plugins::Engine;
using plugins::FindRuleFiles;
using plugins::JitCacheStats;
using plugins::RuleLibrary;
using plugins::SetJitCacheDirectory;
using plugins::StartJit;

using nlohmann::json;

constexpr const char* kUsage = R"(kijun — 指定難病・小慢の診断基準と重症度分類のルールエンジン

usage:
  kijun check PATH...                      check rule files or folders (exit 1 on errors)
  kijun test PATH...                       run the example patients in rule files
  kijun coverage PATH... [--json FILE] [--require PERCENT]
                                           conditions the tests exercise both true and false
  kijun judge --in FORMS.jsonl [--out RESULTS.jsonl] [--rules DIR] [--compact]
                                           judge one form per line (--compact: each level's
                                           and clause's result as letters, docs/forms.md)
  kijun explain [--rules DIR] [--lang ja|en] FORM.json
                                           explain one form's judgment ('-' reads stdin)
  kijun fmt [--check] FILE...              rewrite files in the canonical layout
  kijun catalog [--rules DIR] [--list]     coverage of diseases/catalog.tsv by the rule files
  kijun jit-time [--jit-cache DIR] PATH...  JIT compile time per rule file (cold / from cache)
  kijun forms [--rules DIR] [--disease KEY] [--count N] [--seed S] [--valid | --passing]
                                           random forms of one disease as JSONL (--valid:
                                           every item answered validly, 1 in 20 不明;
                                           --passing: valid forms that also pass every
                                           check, as they come after the instant check)
  kijun difftest [--forms N] [--seed S] PATH...
                                           judge N random forms per rule file with both
                                           engines and compare the whole results
  kijun bundle build DIR --out FILE        compile a rules folder into one bundle file
  kijun bundle keygen --private KEY.pem --public PUB.pem
                                           make an Ed25519 signing key pair
  kijun bundle sign FILE --key KEY.pem [--out FILE]
                                           add a signature (in place by default)
  kijun bundle verify FILE --trusted DIR   check the signature against the public keys
                                           (*.pem) in DIR and the manifest hashes
  kijun bundle list FILE                   the diseases in a bundle
  kijun envelope seal --cert CERT --key KEY --to SERVER_CRT [--pem] IN OUT
                                           sign a payload as a physician and encrypt it to
                                           the registry (docs/envelope.md)
  kijun envelope open --cert SERVER_CRT --key SERVER_KEY --ca CA [--crl CRL] IN OUT
                                           decrypt and check an envelope, write the payload
  kijun envelope verify --cert SERVER_CRT --key SERVER_KEY --ca CA [--crl CRL] IN
                                           check an envelope and show who signed it
  kijun dump --after=PASS FILE             show the tree after a pass
                                           (parse, resolve_names, check_cycles, check_types,
                                            check_levels, check_unused, lower_to_ir)

options for judge, explain and test: --engine jit|interp (jit by default),
  --jit-cache DIR (default ~/.cache/kijun/jit), --no-jit-cache, --jit-stats
options for commands that read rule files: --plugin FILE.so (repeatable) loads a
  native function plugin first (docs/language.md, "Native functions from plugins")
options for envelope open and verify: --physician NUMBER refuses an envelope that
  another physician (指定医番号) signed; without --crl, revocation is not checked
)";

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> options;
  bool Has(const std::string& k) const { return options.count(k) != 0; }
  std::string Get(const std::string& k, const std::string& fallback = {}) const {
    auto it = options.find(k);
    return it == options.end() ? fallback : it->second;
  }
};

Args ParseArgs(int argc, char** argv, int from, const std::vector<std::string>& flags) {
  Args args;
  for (int i = from; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      auto eq = a.find('=');
      std::string key = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (eq != std::string::npos) {
        args.options[key] = a.substr(eq + 1);
      } else if (std::find(flags.begin(), flags.end(), key) != flags.end()) {
        args.options[key] = "1";
      } else if (i + 1 < argc) {
        args.options[key] = argv[++i];
      } else {
        args.options[key] = "";
      }
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

// Every --plugin FILE (or --plugin=FILE), in order: unlike other options it
// may be given several times.
std::vector<std::string> PluginPaths(int argc, char** argv) {
  std::vector<std::string> paths;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--plugin" && i + 1 < argc) {
      paths.emplace_back(argv[++i]);
    } else if (a.rfind("--plugin=", 0) == 0) {
      paths.push_back(a.substr(9));
    }
  }
  return paths;
}

// Prints each distinct diagnostic once: a module imported by several files
// --engine jit|interp (jit by default); false with a message when unknown.
bool EngineOf(const Args& args, Engine& engine) {
  std::string name = args.Get("engine", "jit");
  if (name == "jit") {
    engine = Engine::kJit;
  } else if (name == "interp") {
    engine = Engine::kInterpreter;
  } else {
    std::cerr << "kijun: --engine は jit か interp です / --engine must be jit or interp\n";
    return false;
  }
  return true;
}

// is checked with each of them.
void PrintDiagnostics(const dsl::Diagnostics& diagnostics) {
  std::set<std::string> seen;
  for (const auto& d : diagnostics.Sorted()) {
    std::string text = dsl::Render(d);
    if (seen.insert(text).second) std::cerr << text << '\n';
  }
}

int Check(const Args& args) {
  if (args.positional.empty()) {
    std::cerr << "kijun check: ファイルかフォルダを指定してください / give files or folders\n";
    return 2;
  }
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  auto files = FindRuleFiles(args.positional);
  for (const auto& path : files) CompileRuleFile(path, sources, diagnostics);
  PrintDiagnostics(diagnostics);
  std::set<std::string> errors, warnings;
  for (const auto& d : diagnostics.all()) {
    (d.severity == dsl::Severity::kError ? errors : warnings).insert(dsl::Render(d));
  }
  std::cerr << files.size() << " files checked: " << errors.size() << " errors, " << warnings.size()
            << " warnings\n";
  return diagnostics.HasErrors() ? 1 : 0;
}

int Test(const Args& args) {
  Engine engine = Engine::kJit;
  if (!EngineOf(args, engine)) return 2;
  if (args.positional.empty()) {
    std::cerr << "kijun test: ファイルかフォルダを指定してください / give files or folders\n";
    return 2;
  }
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  int passed = 0, failed = 0, broken = 0;
  for (const auto& path : FindRuleFiles(args.positional)) {
    size_t before = diagnostics.error_count();
    CompiledRuleFile file = CompileRuleFile(path, sources, diagnostics);
    if (!file.rules || diagnostics.error_count() > before) {
      ++broken;
      continue;
    }
    std::unique_ptr<engine::jit::NativeRuleSet> native;
    std::unique_ptr<engine::jit::NativeJudge> judge;
    if (engine == Engine::kJit) {
      native = CompileNative(*file.rules);
      if (native) judge = std::make_unique<engine::jit::NativeJudge>(*file.rules, *native);
    }
    engine::RuleTestReport report = engine::RunRuleTests(*file.program, *file.rules, judge.get());
    for (const auto& f : report.failures) {
      std::cout << f.where << ": FAIL 「" << f.test << "」\n    expected: " << f.expected
                << "\n    actual:   " << f.actual << '\n';
    }
    passed += report.passed;
    failed += report.failed;
  }
  PrintDiagnostics(diagnostics);
  if (broken > 0) std::cout << broken << " files could not be compiled\n";
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed > 0 || broken > 0 ? 1 : 0;
}

// `kijun coverage`: for each rule file, the conditions its tests have seen
// both true and false, and the ones they have not.
int Coverage(const Args& args) {
  if (args.positional.empty()) {
    std::cerr << "kijun coverage: ファイルかフォルダを指定してください / give files or folders\n";
    return 2;
  }
  double require = 0;
  if (args.Has("require")) {
    try {
      require = std::stod(args.Get("require", "0"));
    } catch (const std::exception&) {
      std::cerr << "kijun coverage: --require には 0〜100 の数を指定してください / --require "
                   "takes a percentage\n";
      return 2;
    }
  }
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  json report = json::array();
  int covered = 0, total = 0, broken = 0;
  for (const auto& path : FindRuleFiles(args.positional)) {
    size_t before = diagnostics.error_count();
    CompiledRuleFile file = CompileRuleFile(path, sources, diagnostics);
    if (!file.rules || diagnostics.error_count() > before) {
      ++broken;
      continue;
    }
    engine::FileCoverage c = engine::MeasureRuleCoverage(*file.program, *file.rules);
    covered += c.Covered();
    total += c.Total();
    std::cout << c.path << ": " << c.Covered() << "/" << c.Total() << " conditions both ways, "
              << c.tests << " tests\n";
    for (const auto& k : c.conditions) {
      if (k.Covered()) continue;
      const char* missing = k.seen_true    ? "偽になるテストがありません / never false"
                            : k.seen_false ? "真になるテストがありません / never true"
                                           : "真にも偽にもなっていません / never decided";
      std::cout << "  " << k.where << " " << k.owner << (k.level.empty() ? "" : " " + k.level)
                << (k.whole ? "" : " (条件の一部 / part)") << ": " << k.text << "\n    " << missing
                << "\n";
    }
    report.push_back(engine::CoverageToJson(c));
  }
  PrintDiagnostics(diagnostics);
  double percent = total > 0 ? 100.0 * covered / total : 100.0;
  char line[128];
  std::snprintf(line, sizeof line, "%d/%d conditions exercised both ways (%.1f%%)", covered, total,
                percent);
  std::cout << line << '\n';
  if (args.Has("json")) {
    std::ofstream out(args.Get("json", ""));
    out << json{{"covered", covered}, {"total", total}, {"files", report}}.dump(1) << '\n';
    if (!out) {
      std::cerr << "kijun coverage: " << args.Get("json", "") << " に書けません / cannot write\n";
      return 2;
    }
  }
  if (broken > 0) {
    std::cout << broken << " files could not be compiled\n";
    return 1;
  }
  return percent + 1e-9 < require ? 1 : 0;
}

nlohmann::ordered_json ErrorResult(size_t line, const std::string& id, const std::string& ja,
                                   const std::string& en) {
  nlohmann::ordered_json out;
  out["line"] = line;
  if (!id.empty()) out["id"] = id;
  out["status"] = "invalid";
  out["messages"] = nlohmann::ordered_json::array(
      {{{"severity", "error"}, {"source", "form"}, {"name", "form"}, {"ja", ja}, {"en", en}}});
  return out;
}

bool LoadLibrary(const std::string& folder, RuleLibrary& library, dsl::SourceManager& sources,
                 Engine engine) {
  dsl::Diagnostics diagnostics;
  library.Load(folder, sources, diagnostics, engine);
  if (diagnostics.HasErrors()) {
    PrintDiagnostics(diagnostics);
    std::cerr
        << "kijun: エラーのある規則ファイルは使いません / rule files with errors are not used\n";
  }
  if (library.size() == 0) {
    std::cerr << "kijun: 「" << folder
              << "」に使える疾病ファイルがありません / no usable disease files in '" << folder
              << "'\n";
    return false;
  }
  return true;
}

// The batch path of `kijun judge --compact` (engine/batch/): a line parsed
// by simdjson and judged natively straight from the parse, for the
// diseases that compiled to a fused judge. Lines it does not take go the
// reference way, which writes the same bytes.
class BatchPath {
 public:
  explicit BatchPath(RuleLibrary& library) : library_(library) {}

  bool Judge(simdjson::padded_string_view text, std::string& out) {
    simdjson::dom::element items;
    bool has_items = false;
    if (!engine::batch::ReadBatchLine(parser_, text, form_, items, has_items)) return false;
    const engine::ir::RuleSet* rules = InForce();
    if (rules == nullptr) return false;
    auto it = judges_.find(rules);
    if (it == judges_.end()) {
      const engine::jit::NativeRuleSet* native = library_.Native(rules);
      std::unique_ptr<engine::batch::BatchJudge> judge;
      if (native != nullptr && native->Judge() != nullptr) {
        judge = std::make_unique<engine::batch::BatchJudge>(*rules, *native);
      }
      it = judges_.emplace(rules, std::move(judge)).first;
    }
    return it->second != nullptr && it->second->Judge(form_, has_items ? &items : nullptr, out);
  }

 private:
  // The version in force for the form's disease and date, remembered per
  // disease and date (the library does not change during a run); a run of
  // lines of one disease looks up only the date.
  const engine::ir::RuleSet* InForce() {
    if (by_date_ == nullptr || form_.disease != last_disease_) {
      last_disease_ = form_.disease;
      by_date_ = &in_force_[last_disease_];
    }
    // No date: the version in force today, kept under a key no date has.
    int64_t date = form_.date.value_or(std::numeric_limits<int64_t>::min());
    auto known = by_date_->find(date);
    if (known == by_date_->end()) {
      known = by_date_->emplace(date, library_.Find(form_.disease, form_.date)).first;
    }
    return known->second;
  }

  RuleLibrary& library_;
  simdjson::dom::parser parser_;
  engine::FormInput form_;
  std::string last_disease_;
  std::unordered_map<int64_t, const engine::ir::RuleSet*>* by_date_ = nullptr;
  std::unordered_map<std::string, std::unordered_map<int64_t, const engine::ir::RuleSet*>>
      in_force_;
  std::map<const engine::ir::RuleSet*, std::unique_ptr<engine::batch::BatchJudge>> judges_;
};

int Judge(const Args& args) {
  if (!args.Has("in")) {
    std::cerr << "kijun judge: --in FORMS.jsonl が必要です / --in is required\n";
    return 2;
  }
  dsl::SourceManager sources;
  RuleLibrary library;
  Engine engine = Engine::kJit;
  if (!EngineOf(args, engine)) return 2;
  if (!LoadLibrary(args.Get("rules", "diseases"), library, sources, engine)) return 2;
  std::ifstream in_file;
  std::istream* in = &std::cin;
  if (args.Get("in") != "-") {
    in_file.open(args.Get("in"));
    if (!in_file) {
      std::cerr << "kijun judge: 「" << args.Get("in") << "」を開けません / cannot open\n";
      return 2;
    }
    in = &in_file;
  }
  std::ofstream out_file;
  std::ostream* out = &std::cout;
  if (args.Has("out")) {
    out_file.open(args.Get("out"));
    if (!out_file) {
      std::cerr << "kijun judge: 「" << args.Get("out") << "」に書けません / cannot write\n";
      return 2;
    }
    out = &out_file;
  }
  bool compact = args.Has("compact");
  engine::Explanation explanation =
      compact ? engine::Explanation::kTruths : engine::Explanation::kWorded;
  std::optional<BatchPath> batch;
  if (compact && engine == Engine::kJit) batch.emplace(library);
  bool progress = isatty(STDERR_FILENO) != 0;
  engine::batch::JsonLineReader lines(*in);
  simdjson::padded_string_view text;
  std::string result;
  size_t line_number = 0, judged = 0, invalid = 0, batched = 0;
  auto flush = [&](size_t at_least) {
    if (result.size() < at_least) return;
    out->write(result.data(), std::streamsize(result.size()));
    result.clear();
  };
  while (lines.Next(text)) {
    ++line_number;
    flush(size_t{1} << 20);
    if (text.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (batch && batch->Judge(text, result)) {
      result += '\n';
      ++judged;
      ++batched;
      continue;
    }
    json line = json::parse(text.begin(), text.end(), nullptr, false);
    engine::FormInput form;
    std::string ja, en;
    if (line.is_discarded()) {
      result += ErrorResult(line_number, "", "JSON として読めません", "not valid JSON")
                    .dump(-1, ' ', false);
      result += '\n';
      ++invalid;
      continue;
    }
    if (!engine::ReadFormEnvelope(line, form, ja, en)) {
      result += ErrorResult(line_number, form.id, ja, en).dump(-1, ' ', false);
      result += '\n';
      ++invalid;
      continue;
    }
    const engine::ir::RuleSet* rules = library.Find(form.disease, form.date);
    if (rules == nullptr) {
      result += ErrorResult(line_number, form.id, "疾病「" + form.disease + "」の規則がありません",
                            "no rules for disease '" + form.disease + "' on that date")
                    .dump(-1, ' ', false);
      result += '\n';
      ++invalid;
      continue;
    }
    auto items = line.find("items");
    engine::Judgment j = engine::Judge(*rules, form, items == line.end() ? json(nullptr) : *items,
                                       library.Compiled(rules), explanation);
    engine::WriteJudgmentJson(*rules, j, result, explanation);
    result += '\n';
    ++judged;
    if (progress && line_number % 1000 == 0)
      std::cerr << "\r判定中 / judging: " << line_number << std::flush;
  }
  flush(1);
  out->flush();
  if (progress) std::cerr << '\r';
  std::cerr << judged << " judged, " << invalid << " invalid lines";
  if (batch) std::cerr << " (" << batched << " on the batch path)";
  std::cerr << '\n';
  return 0;
}

int Explain(const Args& args) {
  if (args.positional.size() != 1) {
    std::cerr
        << "kijun explain: フォームの JSON ファイルを一つ指定してください / give one form file\n";
    return 2;
  }
  dsl::SourceManager sources;
  RuleLibrary library;
  Engine engine = Engine::kJit;
  if (!EngineOf(args, engine)) return 2;
  if (!LoadLibrary(args.Get("rules", "diseases"), library, sources, engine)) return 2;
  std::ifstream file;
  std::istream* in = &std::cin;
  if (args.positional[0] != "-") {
    file.open(args.positional[0]);
    if (!file) {
      std::cerr << "kijun explain: 「" << args.positional[0] << "」を開けません / cannot open\n";
      return 2;
    }
    in = &file;
  }
  json form_json = json::parse(*in, nullptr, false);
  engine::FormInput form;
  std::string ja, en;
  if (form_json.is_discarded()) {
    std::cerr << "kijun explain: JSON として読めません / not valid JSON\n";
    return 1;
  }
  if (!engine::ReadFormEnvelope(form_json, form, ja, en)) {
    std::cerr << "kijun explain: " << ja << " / " << en << '\n';
    return 1;
  }
  const engine::ir::RuleSet* rules = library.Find(form.disease, form.date);
  if (rules == nullptr) {
    std::cerr << "kijun explain: 疾病「" << form.disease << "」の規則がありません / no rules\n";
    return 1;
  }
  auto items = form_json.find("items");
  engine::Judgment j = engine::Judge(
      *rules, form, items == form_json.end() ? json(nullptr) : *items, library.Compiled(rules));
  std::cout << engine::ExplainText(*rules, j, args.Get("lang", "ja"));
  return 0;
}

int Dump(const Args& args) {
  if (args.positional.size() != 1 || !args.Has("after")) {
    std::cerr << "kijun dump: --after=PASS FILE\n";
    return 2;
  }
  std::string after = args.Get("after");
  auto names = dsl::FrontEndPassNames();
  if (after != "lower_to_ir" && std::find(names.begin(), names.end(), after) == names.end()) {
    std::cerr << "kijun dump: 知らないパス「" << after << "」/ unknown pass; passes: ";
    for (const auto& n : names) std::cerr << n << ' ';
    std::cerr << "lower_to_ir\n";
    return 2;
  }
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  auto program = dsl::LoadProgram(args.positional[0], sources, diagnostics);
  bool ok = dsl::RunFrontEnd(*program, diagnostics, after == "lower_to_ir" ? "" : after);
  PrintDiagnostics(diagnostics);
  if (!ok && diagnostics.HasErrors()) return 1;
  if (after == "lower_to_ir") {
    std::cout << engine::DumpRuleSet(engine::LowerToIr(*program));
  } else {
    std::cout << dsl::DumpProgram(*program);
  }
  return 0;
}

int DiffTest(const Args& args) {
  if (args.positional.empty()) {
    std::cerr << "kijun difftest: ファイルかフォルダを指定してください / give files or folders\n";
    return 2;
  }
  int forms = std::atoi(args.Get("forms", "10000").c_str());
  uint64_t seed = std::strtoull(args.Get("seed", "1").c_str(), nullptr, 10);
  if (forms <= 0) {
    std::cerr << "kijun difftest: --forms は 1 以上 / --forms must be at least 1\n";
    return 2;
  }
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  int differing = 0;
  long total = 0;
  for (const auto& path : FindRuleFiles(args.positional)) {
    CompiledRuleFile file = CompileRuleFile(path, sources, diagnostics);
    if (!file.rules) continue;
    auto native = CompileNative(*file.rules);
    if (!native) {
      ++differing;
      continue;
    }
    engine::jit::Difference d = engine::jit::CompareEngines(*file.rules, *native, forms, seed);
    total += d.forms;
    if (d.found) {
      ++differing;
      std::cout << path << ": 不一致 / DIFFERENT on " << d.minimal_items.dump() << " (variant '"
                << d.variant << "')\n  interp: " << d.interpreter << "\n  jit:    " << d.jit
                << '\n';
    } else {
      std::cout << path << ": " << d.forms << " forms identical (" << native->compiled() << "/"
                << native->total() << " rules compiled)\n";
    }
  }
  PrintDiagnostics(diagnostics);
  std::cout << total << " forms compared, " << differing << " files differ\n";
  return differing > 0 || diagnostics.HasErrors() ? 1 : 0;
}

// JIT compile time of rule files (front end excluded): cold, or from the
// object cache when --jit-cache holds them from an earlier run.
int JitTime(const Args& args) {
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  std::vector<CompiledRuleFile> files;
  for (const auto& path : FindRuleFiles(
           args.positional.empty() ? std::vector<std::string>{"diseases"} : args.positional)) {
    files.push_back(CompileRuleFile(path, sources, diagnostics));
  }
  StartJit();  // LLVM start-up is not compile time
  auto resident_kb = [] {
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
  };
  long rss_before = resident_kb();
  int compiled = 0;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<engine::jit::NativeRuleSet>> keep;
  for (auto& f : files) {
    if (!f.rules) continue;
    keep.push_back(CompileNative(*f.rules));
    ++compiled;
  }
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  long rss_growth = resident_kb() - rss_before;
  std::cout << compiled << " rule files compiled in " << ms << " ms ("
            << (compiled ? ms / compiled : 0) << " ms per file); resident memory +" << rss_growth
            << " KB (" << (compiled ? rss_growth / compiled : 0) << " KB per loaded module); "
            << JitCacheStats() << '\n';
  return 0;
}

// Random forms of one disease as JSONL (for benchmarks and load tests).
int Forms(const Args& args) {
  dsl::SourceManager sources;
  RuleLibrary library;
  if (!LoadLibrary(args.Get("rules", "diseases"), library, sources, Engine::kInterpreter)) return 2;
  const engine::ir::RuleSet* rules = library.Find(args.Get("disease", "指定難病/6"), std::nullopt);
  if (rules == nullptr) {
    std::cerr << "kijun forms: 疾病「" << args.Get("disease")
              << "」の規則がありません / no rules\n";
    return 2;
  }
  int count = std::atoi(args.Get("count", "1000").c_str());
  engine::RandomForms random(*rules, std::strtoull(args.Get("seed", "1").c_str(), nullptr, 10));
  bool passing = args.Has("passing");
  // A passing form is drawn again until the reference interpreter gives it
  // no error message; the bound keeps a disease whose checks random answers
  // rarely meet from running for ever.
  constexpr int kTriesPerPassingForm = 10000;
  for (int i = 0; i < count; ++i) {
    nlohmann::ordered_json line;
    line["id"] = "F" + std::to_string(i + 1);
    line["disease"] = rules->DiseaseKey();
    engine::FormInput input;
    input.variant = random.Variant();
    input.date = 19900 + i % 400;
    if (!input.variant.empty()) line["variant"] = input.variant;
    line["date"] = dsl::FormatDate(*input.date);
    if (!passing) {
      line["items"] = args.Has("valid") ? random.NextValid() : random.Next();
    } else {
      int tries = 0;
      for (;; ++tries) {
        if (tries == kTriesPerPassingForm) {
          std::cerr
              << "kijun forms: " << kTriesPerPassingForm
              << " 回試しても検査を満たす様式ができません / no random form passed every check in "
              << kTriesPerPassingForm << " tries\n";
          return 1;
        }
        nlohmann::json items = random.NextValid();
        engine::Judgment j = engine::Judge(*rules, input, items);
        if (std::none_of(j.messages.begin(), j.messages.end(),
                         [](const engine::Message& m) { return m.is_error; })) {
          line["items"] = items;
          break;
        }
      }
    }
    std::cout << line.dump(-1, ' ', false) << '\n';
  }
  return 0;
}

int Fmt(const Args& args) {
  if (args.positional.empty()) {
    std::cerr << "kijun fmt: ファイルを指定してください / give files\n";
    return 2;
  }
  bool check_only = args.Has("check");
  int status = 0;
  for (const auto& path : FindRuleFiles(args.positional)) {
    dsl::SourceManager sources;
    dsl::Diagnostics diagnostics;
    const dsl::SourceFile* source = sources.Load(path);
    if (source == nullptr) {
      std::cerr << "kijun fmt: 「" << path << "」を読めません / cannot read\n";
      status = 1;
      continue;
    }
    std::string formatted;
    if (!dsl::FormatRuleFile(*source, diagnostics, formatted)) {
      PrintDiagnostics(diagnostics);
      status = 1;
      continue;
    }
    if (formatted == source->text()) continue;
    if (check_only) {
      std::cout << path << ": 整形されていません / not formatted\n";
      status = 1;
    } else {
      std::ofstream(path, std::ios::binary) << formatted;
      std::cout << path << ": 整形しました / formatted\n";
    }
  }
  return status;
}

// --- kijun bundle: deployable, signed rule bundles ---

bool ReadTextFile(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

// Writes through a temporary file and a rename, so a reader never sees half
// a bundle and a failed write leaves the old file as it was.
bool WriteTextFile(const std::string& path, const std::string& text) {
  std::string temporary = path + ".tmp-" + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::remove(temporary.c_str());
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) std::remove(temporary.c_str());
  return !ec;
}

// Columns on a terminal: CJK and other wide characters take two.
size_t DisplayWidth(const std::string& text) {
  size_t width = 0;
  for (size_t i = 0; i < text.size();) {
    auto lead = static_cast<unsigned char>(text[i]);
    size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    width += length >= 3 ? 2 : 1;
    i += length;
  }
  return width;
}

void PrintManifest(const plugins::RuleBundle& bundle) {
  std::vector<std::vector<std::string>> rows{
      {"disease", "name", "revision", "effective", "file", "content_hash"}};
  for (const auto& e : bundle.manifest) {
    rows.push_back({e.disease, e.name, e.revision ? std::to_string(*e.revision) : "-",
                    e.effective.value_or("-"), e.file, e.content_hash});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(widths[c] - DisplayWidth(row[c]) + 2, ' ');
    }
    std::cout << line << '\n';
  }
  std::cout << bundle.manifest.size() << " diseases, " << bundle.files.size() << " files, "
            << bundle.language << ", created " << bundle.created << '\n';
}

int BundleBuild(const Args& args) {
  if (args.positional.size() != 2 || args.Get("out").empty()) {
    std::cerr << "kijun bundle build: フォルダと --out FILE を指定してください / usage: kijun "
                 "bundle build DIR --out FILE\n";
    return 2;
  }
  json bundle;
  std::string error;
  if (!plugins::BuildBundle(args.positional[1], bundle, error)) {
    std::cerr << "kijun bundle build: " << error << '\n';
    return 1;
  }
  std::string out = args.Get("out");
  if (!WriteTextFile(out, bundle.dump(1) + '\n')) {
    std::cerr << "kijun bundle build: 「" << out << "」に書けません / cannot write '" << out
              << "'\n";
    return 2;
  }
  std::cout << out << ": " << bundle["manifest"].size() << " diseases, " << bundle["files"].size()
            << " files\n";
  return 0;
}

int BundleKeygen(const Args& args) {
  if (args.positional.size() != 1 || args.Get("private").empty() || args.Get("public").empty()) {
    std::cerr << "kijun bundle keygen: --private KEY.pem と --public PUB.pem を指定してください / "
                 "usage: kijun bundle keygen --private KEY.pem --public PUB.pem\n";
    return 2;
  }
  std::string error;
  if (!plugins::GenerateSigningKey(args.Get("private"), args.Get("public"), error)) {
    std::cerr << "kijun bundle keygen: " << error << '\n';
    return 1;
  }
  std::string id = plugins::KeyIdOfPemFile(args.Get("public"), error);
  std::cout
      << "key " << id << "\n  private: " << args.Get("private")
      << " (mode 0600; 秘密にしてください / keep it secret)\n  public:  " << args.Get("public")
      << " (検証する側の信頼する鍵のフォルダへ / put it in the verifiers' trusted keys folder)\n";
  return 0;
}

int BundleSign(const Args& args) {
  if (args.positional.size() != 2 || args.Get("key").empty()) {
    std::cerr << "kijun bundle sign: バンドルと --key KEY.pem を指定してください / usage: kijun "
                 "bundle sign FILE --key KEY.pem [--out FILE]\n";
    return 2;
  }
  const std::string& in = args.positional[1];
  std::string text, signed_text, error;
  if (!ReadTextFile(in, text)) {
    std::cerr << "kijun bundle sign: 「" << in << "」を開けません / cannot open '" << in << "'\n";
    return 2;
  }
  if (!plugins::SignBundle(text, args.Get("key"), signed_text, error)) {
    std::cerr << "kijun bundle sign: " << error << '\n';
    return 1;
  }
  std::string out = args.Get("out", in);
  if (!WriteTextFile(out, signed_text)) {
    std::cerr << "kijun bundle sign: 「" << out << "」に書けません / cannot write '" << out
              << "'\n";
    return 2;
  }
  std::cout << out << ": signed by key " << plugins::KeyIdOfPemFile(args.Get("key"), error) << " ("
            << json::parse(signed_text)["signatures"].size() << " signatures)\n";
  return 0;
}

int BundleVerify(const Args& args) {
  if (args.positional.size() != 2 || args.Get("trusted").empty()) {
    std::cerr << "kijun bundle verify: バンドルと --trusted DIR を指定してください / usage: kijun "
                 "bundle verify FILE --trusted DIR\n";
    return 2;
  }
  const std::string& path = args.positional[1];
  std::string text, bundle_text, key_id, error;
  if (!ReadTextFile(path, text)) {
    std::cerr << "kijun bundle verify: 「" << path << "」を開けません / cannot open '" << path
              << "'\n";
    return 1;
  }
  plugins::SignatureStatus status =
      plugins::VerifyBundle(text, args.Get("trusted"), bundle_text, key_id, error);
  if (status != plugins::SignatureStatus::kValid) {
    std::cerr << "kijun bundle verify: " << error << "\nkijun bundle verify: " << path
              << ": 不合格 / REJECTED (" << plugins::SignatureStatusName(status) << ")\n";
    return 1;
  }
  plugins::RuleBundle bundle;
  if (!plugins::ReadBundle(bundle_text, bundle, error)) {
    std::cerr << "kijun bundle verify: " << error << "\nkijun bundle verify: " << path
              << ": 不合格 / REJECTED (invalid bundle)\n";
    return 1;
  }
  PrintManifest(bundle);
  std::string pattern = (std::filesystem::temp_directory_path() / "kijun-bundle-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::cerr << "kijun bundle verify: 一時フォルダを作れません / cannot create a temporary "
                 "folder\n";
    return 1;
  }
  bool ok = plugins::ExtractBundle(bundle, pattern + "/rules", error) &&
            plugins::VerifyManifest(bundle, pattern + "/rules", error);
  std::error_code ec;
  std::filesystem::remove_all(pattern, ec);
  if (!ok) {
    std::cerr << "kijun bundle verify: " << error << "kijun bundle verify: " << path
              << ": 不合格 / REJECTED (manifest)\n";
    return 1;
  }
  std::cout << "signed by key " << key_id << "\nmanifest verified: " << bundle.manifest.size()
            << " content hashes match\n"
            << path << ": 合格 / OK\n";
  return 0;
}

int BundleList(const Args& args) {
  if (args.positional.size() != 2) {
    std::cerr << "kijun bundle list: バンドルを一つ指定してください / usage: kijun bundle list "
                 "FILE\n";
    return 2;
  }
  const std::string& path = args.positional[1];
  std::string text, error;
  if (!ReadTextFile(path, text)) {
    std::cerr << "kijun bundle list: 「" << path << "」を開けません / cannot open '" << path
              << "'\n";
    return 2;
  }
  // A signed file lists its inner bundle; its signatures are not checked here.
  json outer = json::parse(text, nullptr, false);
  size_t signatures = 0;
  if (outer.is_object() && outer.value("format", "") == plugins::kSignedBundleFormat &&
      outer.contains("bundle") && outer["bundle"].is_string()) {
    text = outer["bundle"].get<std::string>();
    if (outer.contains("signatures") && outer["signatures"].is_array()) {
      signatures = outer["signatures"].size();
    }
  }
  plugins::RuleBundle bundle;
  if (!plugins::ReadBundle(text, bundle, error)) {
    std::cerr << "kijun bundle list: " << path << ": " << error << '\n';
    return 1;
  }
  PrintManifest(bundle);
  if (signatures > 0) {
    std::cout << signatures
              << " signatures (確認していません / not checked; use kijun bundle verify)\n";
  }
  return 0;
}

int Bundle(const Args& args) {
  std::string sub = args.positional.empty() ? "" : args.positional[0];
  if (sub == "build") return BundleBuild(args);
  if (sub == "keygen") return BundleKeygen(args);
  if (sub == "sign") return BundleSign(args);
  if (sub == "verify") return BundleVerify(args);
  if (sub == "list") return BundleList(args);
  std::cerr << "kijun bundle: build, keygen, sign, verify, list のどれかです / subcommands: build, "
               "keygen, sign, verify, list\n"
            << kUsage;
  return 2;
}

}  // namespace
}  // namespace kijun::cli

int main(int argc, char** argv) {
  using namespace kijun::cli;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  std::string command = argv[1];
  // Needs no rule files, plugins or JIT cache.
  if (command == "envelope") {
    return RunEnvelopeCommand(std::vector<std::string>(argv + 2, argv + argc));
  }
  Args args = ParseArgs(
      argc, argv, 2, {"check", "list", "jit-stats", "no-jit-cache", "compact", "valid", "passing"});
  // Compiled rules are cached on disk so a restart does not recompile.
  const char* home = std::getenv("HOME");
  std::string cache =
      args.Get("jit-cache", home != nullptr ? std::string(home) + "/.cache/kijun/jit" : "");
  if (args.Has("no-jit-cache")) cache.clear();
  SetJitCacheDirectory(cache);
  // Before any rule file is read: the checker and the content hash need the
  // plugins' functions.
  std::string plugin_error;
  if (!kijun::plugins::LoadNativePlugins(PluginPaths(argc, argv), plugin_error)) {
    std::cerr << "kijun: " << plugin_error << '\n';
    return 2;
  }
  struct StatsAtExit {
    bool on;
    ~StatsAtExit() {
      if (on) std::cerr << JitCacheStats() << '\n';
    }
  } stats{args.Has("jit-stats")};
  if (command == "check") return Check(args);
  if (command == "test") return Test(args);
  if (command == "coverage") return Coverage(args);
  if (command == "judge") return Judge(args);
  if (command == "explain") return Explain(args);
  if (command == "dump") return Dump(args);
  if (command == "fmt") return Fmt(args);
  if (command == "difftest") return DiffTest(args);
  if (command == "forms") return Forms(args);
  if (command == "jit-time") return JitTime(args);
  if (command == "bundle") return Bundle(args);
  if (command == "catalog") return RunCatalog(args.Get("rules", "diseases"), args.Has("list"));
  std::cerr << "kijun: 知らないコマンド「" << command << "」/ unknown command\n" << kUsage;
  return 2;
}
