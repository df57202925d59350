// Native function plugins: the ABI handshake and the loader's refusals, the
// checker's typing of calls, the interpreter and the JIT (also from its
// object cache) on rule files that call plugin functions, and the egfr_jp
// plugin against the rule module it reimplements
// (diseases/scales/shoni_egfr.kijun).
//
// The function table is process-wide and only grows, so every test loads
// what it needs itself (loading a file again is a no-op) and none relies on
// a plugin not being loaded.

#include "plugins/native_plugins.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <bit>
#include <cstdint>
#include <filesystem>

#include "dsl/external_functions.h"
#include "engine/jit/jit_engine.h"
#include "engine/jit/native_judge.h"
#include "engine/judgment_render.h"
#include "plugins/kijun_plugin.h"
#include "plugins/rule_library.h"
#include "tests/test_support.h"

namespace kijun::plugins {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A fresh object cache folder for the JIT, set before its first use (the JIT
// is process-wide and takes the folder once).
class JitCacheEnvironment : public testing::Environment {
 public:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kijun-plugin-jit-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    directory_ = pattern;
    SetJitCacheDirectory(directory_);
    StartJit();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(directory_, ec);
  }

 private:
  std::string directory_;
};
testing::Environment* const kJitCache = testing::AddGlobalTestEnvironment(new JitCacheEnvironment);

void Load(const std::string& path) {
  std::string error;
  ASSERT_TRUE(LoadNativePlugin(path, error)) << error;
}

bool SameBits(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b);
}

// ------------------------------------------------------------ the handshake

TEST(NativePluginAbi, EgfrDescribesItselfWithTheCurrentAbi) {
  void* handle = dlopen(KIJUN_EGFR_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(handle, nullptr) << dlerror();
  auto entry =
      reinterpret_cast<kijun_plugin_entry_function>(dlsym(handle, KIJUN_PLUGIN_ENTRY_SYMBOL));
  ASSERT_NE(entry, nullptr);
  const kijun_plugin* plugin = entry();
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->abi_version, KIJUN_PLUGIN_ABI_VERSION);
  EXPECT_STREQ(plugin->name, "egfr_jp");
  EXPECT_STREQ(plugin->version, "1.0.0");
  ASSERT_EQ(plugin->function_count, 5);
  const char* names[] = {"jspn_ref_creatinine_male", "jspn_ref_creatinine_female",
                         "jspn_egfr_creatinine", "jspn_egfr_cystatin_c", "jspn_egfr_b2mg"};
  const int arg_counts[] = {1, 1, 2, 1, 1};
  const char* results[] = {"mg/dL", "mg/dL", "mL/分/1.73m²", "mL/分/1.73m²", "mL/分/1.73m²"};
  for (int i = 0; i < 5; ++i) {
    const kijun_plugin_function& f = plugin->functions[i];
    EXPECT_STREQ(f.name, names[i]);
    EXPECT_EQ(f.arg_count, arg_counts[i]) << f.name;
    for (int a = 0; a < f.arg_count; ++a) EXPECT_EQ(f.arg_kinds[a], KIJUN_PLUGIN_DECIMAL);
    EXPECT_EQ(f.result_kind, KIJUN_PLUGIN_DECIMAL);
    EXPECT_STREQ(f.result_unit, results[i]);
    EXPECT_EQ(f.pure, 1) << f.name;
    EXPECT_NE(f.call, nullptr);
  }
  EXPECT_STREQ(plugin->functions[0].arg_units[0], "cm");
  EXPECT_STREQ(plugin->functions[2].arg_units[1], "mg/dL");
  EXPECT_STREQ(plugin->functions[3].arg_units[0], "mg/L");
  dlclose(handle);
}

TEST(NativePluginLoader, RegistersTheFunctionsOnceAndLoadingAgainIsANoOp) {
  Load(KIJUN_EGFR_PLUGIN_PATH);
  Load(KIJUN_EGFR_PLUGIN_PATH);
  const dsl::ExternalFunction* f = dsl::FindExternalFunction("jspn_egfr_creatinine");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->provider, "egfr_jp@1.0.0");
  EXPECT_EQ(f->provider_file, KIJUN_EGFR_PLUGIN_PATH);
  ASSERT_EQ(f->args.size(), 2u);
  EXPECT_EQ(f->arg_units[0], "mg/dL");
  EXPECT_EQ(f->result_unit, "mL/分/1.73m²");
  int egfr = 0;
  for (const auto& p : LoadedNativePlugins()) egfr += p.name == "egfr_jp";
  EXPECT_EQ(egfr, 1);
}

// ------------------------------------------------------------ refusals

// The loader refuses `path`; the message names the file in both languages
// and contains every one of `needles`.
void ExpectRefused(const std::string& path, const std::vector<std::string>& needles) {
  std::string error;
  EXPECT_FALSE(LoadNativePlugin(path, error)) << path;
  EXPECT_NE(error.find("プラグイン「" + path + "」を読み込めません"), std::string::npos) << error;
  EXPECT_NE(error.find(" / cannot load plugin '" + path + "'"), std::string::npos) << error;
  for (const auto& needle : needles) {
    EXPECT_NE(error.find(needle), std::string::npos) << "'" << needle << "' not in: " << error;
  }
  for (const auto& p : LoadedNativePlugins()) EXPECT_NE(p.path, path);
}

TEST(NativePluginLoader, RefusesAnotherAbiVersion) {
  ExpectRefused(KIJUN_TEST_PLUGIN_ABI_MISMATCH_PATH,
                {"ABI の版 2 はこの kijun の版 1 と違います",
                 "plugin ABI version 2 does not match this kijun's version 1"});
}

TEST(NativePluginLoader, RefusesALibraryWithoutTheEntrySymbol) {
  ExpectRefused(KIJUN_TEST_PLUGIN_NO_ENTRY_PATH, {"入口の関数 kijun_plugin_entry がありません",
                                                  "it has no kijun_plugin_entry symbol"});
}

TEST(NativePluginLoader, RefusesAFunctionDefinedTwice) {
  ExpectRefused(KIJUN_TEST_PLUGIN_DUPLICATE_PATH,
                {"関数「kt_dup」が二度定義されています", "function 'kt_dup' is defined twice"});
  EXPECT_EQ(dsl::FindExternalFunction("kt_dup"), nullptr);
}

TEST(NativePluginLoader, RefusesTheNameOfABuiltin) {
  ExpectRefused(KIJUN_TEST_PLUGIN_BUILTIN_CLASH_PATH,
                {"関数「round」は組み込み関数と同じ名前です",
                 "function 'round' has the name of a builtin function"});
}

TEST(NativePluginLoader, RefusesTheNameOfAnotherPluginsFunction) {
  Load(KIJUN_EGFR_PLUGIN_PATH);
  ExpectRefused(KIJUN_TEST_PLUGIN_TAKEN_PATH,
                {"関数「jspn_egfr_b2mg」は egfr_jp@1.0.0", "is already defined by egfr_jp@1.0.0"});
  EXPECT_EQ(dsl::FindExternalFunction("jspn_egfr_b2mg")->provider, "egfr_jp@1.0.0");
}

TEST(NativePluginLoader, RefusesAnUnknownArgumentKind) {
  ExpectRefused(KIJUN_TEST_PLUGIN_BAD_KIND_PATH,
                {"第 1 引数の種類 7 は不明です", "argument 1 has the unknown kind 7"});
  EXPECT_EQ(dsl::FindExternalFunction("kt_bad_kind"), nullptr);
}

TEST(NativePluginLoader, RefusesAFileThatIsNotALibrary) {
  ExpectRefused(KIJUN_SOURCE_DIR "/tests/plugins/test_plugin.c",
                {"共有ライブラリとして開けません", "cannot open it as a shared library"});
  ExpectRefused("/nonexistent/libnothing.so", {"cannot open it as a shared library"});
}

TEST(NativePluginLoader, RefusesTheSamePluginNameFromAnotherFile) {
  Load(KIJUN_TEST_PLUGIN_GOOD_PATH);
  ExpectRefused(
      KIJUN_TEST_PLUGIN_GOOD_V2_PATH,
      {"プラグイン「kijun_test」は「" KIJUN_TEST_PLUGIN_GOOD_PATH "」から読み込み済みです",
       "plugin 'kijun_test' is already loaded from '" KIJUN_TEST_PLUGIN_GOOD_PATH "'"});
  EXPECT_EQ(dsl::FindExternalFunction("kt_even")->provider, "kijun_test@1.0");
}

// ------------------------------------------------------------ the checker

std::string WithTestItems(const std::string& body) {
  return testing_support::Disease(R"(
section s "s" {
  item n "n" : integer -100..100
  item d "d" : integer -10..10
  item c "c" : answer
  item 面積 "面積" : decimal(1) -10.0..10.0 "m2"
  item 長さ "長さ" : decimal(1) 0.0..10.0 "cm"
}
)" + body);
}

// The diagnostics' codes, leaving out K450 (items the small test programs
// do not use).
std::vector<std::string> Codes(const testing_support::Compiled& c) {
  std::vector<std::string> codes;
  for (const auto& code : c.Codes()) {
    if (code != "K450") codes.push_back(code);
  }
  return codes;
}

class PluginChecker : public testing::Test {
 protected:
  void SetUp() override { Load(KIJUN_TEST_PLUGIN_GOOD_PATH); }
  static testing_support::Compiled Check(const std::string& body) {
    return testing_support::Compile(WithTestItems(body));
  }
};

TEST_F(PluginChecker, TypesCallsFromTheFunctionTable) {
  auto c = Check(R"(
calc 偶数 : boolean = kt_even(n)
calc 否定 : boolean = kt_not(c)
calc 辺 : decimal(3) "m" = kt_sqrt(面積)
calc 商 = kt_div(n, d) + 1
)");
  ASSERT_TRUE(c.rules) << c.Rendered();
  EXPECT_TRUE(Codes(c).empty()) << c.Rendered();
  ASSERT_EQ(c.rules->externals.size(), 4u);
  EXPECT_EQ(c.rules->externals[0].name, "kt_even");
  EXPECT_EQ(c.rules->externals[0].symbol, "kijun_fn_kt_5feven");
  EXPECT_EQ(c.rules->externals[0].provider, "kijun_test@1.0");
  EXPECT_TRUE(c.rules->calcs[size_t(c.rules->FindCalc("商"))].integer);
}

TEST_F(PluginChecker, RefusesWrongArgumentsWithTheUsage) {
  auto count = Check("calc x : boolean = kt_even(n, d)\n");
  EXPECT_TRUE(count.Has("K337")) << count.Rendered();
  EXPECT_NE(count.Rendered().find("usage: kt_even(n)"), std::string::npos) << count.Rendered();
  EXPECT_TRUE(Check("calc x : boolean = kt_even(面積)\n").Has("K310"));
  EXPECT_TRUE(Check("calc x : boolean = kt_not(n)\n").Has("K310"));
  EXPECT_TRUE(Check("calc x : decimal(1) = kt_sqrt(c)\n").Has("K310"));
  EXPECT_TRUE(Check("calc x : boolean = kt_even(i in 1..3 : i)\n").Has("K205"));
}

TEST_F(PluginChecker, ChecksArgumentAndResultUnits) {
  auto argument = Check("calc x : decimal(1) = kt_sqrt(長さ)\n");
  EXPECT_TRUE(argument.Has("K344")) << argument.Rendered();
  EXPECT_NE(argument.Rendered().find("argument 1 of 'kt_sqrt' is in 'm2', not 'cm'"),
            std::string::npos)
      << argument.Rendered();
  EXPECT_TRUE(Check("calc x : decimal(1) \"cm\" = kt_sqrt(面積)\n").Has("K320"));
  EXPECT_TRUE(Check("calc x : integer = kt_sqrt(面積)\n").Has("K318"));
}

TEST_F(PluginChecker, WarnsAboutAFunctionThatIsNotPure) {
  auto c = Check("calc x : decimal(1) = kt_impure(面積)\n");
  ASSERT_TRUE(c.rules) << c.Rendered();
  ASSERT_EQ(Codes(c), std::vector<std::string>{"K345"});
  EXPECT_FALSE(c.diagnostics.HasErrors());
}

TEST_F(PluginChecker, UnknownFunctionsSuggestPluginFunctionsAndListTheLoadedPlugins) {
  auto misspelt = Check("calc x : boolean = kt_evn(n)\n");
  EXPECT_TRUE(misspelt.Has("K204"));
  EXPECT_NE(misspelt.Rendered().find("did you mean 'kt_even'?"), std::string::npos)
      << misspelt.Rendered();
  auto unknown = Check("calc x : decimal(1) = gfr_from_somewhere_else(面積)\n");
  EXPECT_NE(unknown.Rendered().find("--plugin FILE.so (loaded: "), std::string::npos)
      << unknown.Rendered();
  EXPECT_NE(unknown.Rendered().find("kijun_test@1.0"), std::string::npos) << unknown.Rendered();
}

// ------------------------------------------------------------ both engines

std::string Rendered(const dsl::Diagnostics& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics.Sorted()) out += dsl::Render(d);
  return out;
}

// Judges every form on the interpreter and on the JIT and expects the same
// result line; returns the interpreter's.
std::vector<json> JudgeOnBothEngines(const engine::ir::RuleSet& rules,
                                     const engine::jit::NativeRuleSet& native,
                                     const std::vector<json>& forms) {
  std::vector<json> results;
  engine::jit::NativeJudge judge(rules, native);
  for (const auto& items : forms) {
    engine::FormInput form;
    form.date = 19875;  // 2024-06-01
    std::string interpreted =
        engine::JudgmentToJson(rules, engine::Judge(rules, form, items)).dump();
    std::string compiled =
        engine::JudgmentToJson(rules, engine::Judge(rules, form, items, &judge)).dump();
    EXPECT_EQ(interpreted, compiled) << "on " << items.dump();
    results.push_back(json::parse(interpreted));
  }
  return results;
}

std::unique_ptr<engine::jit::NativeRuleSet> CompileAll(const engine::ir::RuleSet& rules) {
  std::string error;
  engine::jit::JitEngine* jit = engine::jit::JitEngine::Get(&error);
  EXPECT_NE(jit, nullptr) << error;
  if (jit == nullptr) return nullptr;
  auto native = jit->Compile(rules, error);
  EXPECT_NE(native, nullptr) << error;
  if (native != nullptr) {
    EXPECT_EQ(native->compiled(), native->total()) << "every rule runs natively";
  }
  return native;
}

json Messages(const json& result) {
  json all = json::array();
  for (const auto& m : result["messages"])
    all.push_back(m["ja"].get<std::string>() + " / " + m["en"].get<std::string>());
  return all;
}

TEST(PluginCalls, KindsStatusesAndBrokenPromisesAreTheSameOnBothEngines) {
  Load(KIJUN_TEST_PLUGIN_GOOD_PATH);
  auto c = testing_support::Compile(WithTestItems(R"(
calc 偶数 : boolean = kt_even(n)
calc 否定 : boolean = kt_not(c)
calc 辺 : decimal(3) "m" = kt_sqrt(面積)
calc 商 : integer = kt_div(n, d)
calc 半分 : integer = kt_half(n)
calc 非数 : decimal(1) = if d = 1 then kt_nan(面積) else 0
calc 状態 : decimal(1) = if d = 2 then kt_status(面積) else 0
calc 長い : decimal(1) = if d = 3 then kt_long(面積) else 0
check 偶数であること error "n は偶数" en "n is even" : kt_even(n)
diagnosis 区分 "区分" {
  level 偶数で非該当 : kt_even(n) and kt_not(c)
  level その他 : otherwise
  qualifying 偶数で非該当
}
)"));
  ASSERT_TRUE(c.rules) << c.Rendered();
  auto native = CompileAll(*c.rules);
  ASSERT_NE(native, nullptr);
  std::vector<json> forms = {
      {{"n", 4}, {"d", 2}, {"c", "非該当"}, {"面積", 4.0}},
      {{"n", 3}, {"d", 0}, {"c", "該当"}, {"面積", -4.0}},
      {{"n", -7}, {"d", 2}, {"面積", 2.5}},
      {{"d", 1}, {"c", "不明"}},
      {{"n", 8}, {"d", 3}, {"c", "非該当"}, {"面積", 0.0}},
      json::object(),
      {{"d", 1}, {"面積", 1.0}},
  };
  for (int n = -12; n <= 12; n += 3) {
    for (int d = -3; d <= 3; ++d) forms.push_back({{"n", n}, {"d", d}, {"面積", d * 1.5}});
  }
  std::vector<json> r = JudgeOnBothEngines(*c.rules, *native, forms);

  // Truths in and out; a known area's root; floor division.
  EXPECT_EQ(r[0]["values"]["偶数"], true);
  EXPECT_EQ(r[0]["values"]["否定"], true);
  EXPECT_EQ(r[0]["values"]["辺"], 2);
  EXPECT_EQ(r[0]["values"]["商"], 2);
  EXPECT_EQ(r[0]["values"]["半分"], 2);
  EXPECT_EQ(r[0]["judgments"][0]["level"], "偶数で非該当");
  EXPECT_EQ(r[2]["values"]["商"], -4);
  EXPECT_EQ(r[2]["values"]["偶数"], false);
  // A domain error is an error message on the form and an unknown value;
  // "no result" is unknown without a message; a fraction for an integer is
  // the plugin's broken promise.
  EXPECT_EQ(r[1]["values"]["辺"], nullptr);
  EXPECT_EQ(r[1]["values"]["商"], nullptr);
  EXPECT_EQ(r[1]["values"]["半分"], nullptr);
  EXPECT_EQ(
      Messages(r[1]),
      json::array({"「辺」の計算: 関数「kt_sqrt」: 負の数 -4 の平方根はありません / calculation "
                   "of '辺': function 'kt_sqrt': no square root of the negative number -4",
                   "「半分」の計算: 関数「kt_half」の結果 1.5 は整数ではありません / "
                   "calculation of '半分': function 'kt_half' returned 1.5, not an integer",
                   "n は偶数 / n is even"}));
  // Unknown arguments: the function is not called (the area's range
  // includes negative numbers, which would be a domain error) and the result
  // is unknown; an unknown truth is not passed either.
  EXPECT_EQ(r[3]["values"]["辺"], nullptr);
  EXPECT_EQ(r[3]["values"]["否定"], nullptr);
  EXPECT_EQ(r[3]["values"]["偶数"], nullptr);
  EXPECT_EQ(r[3]["judgments"][0]["insufficient_data"], json::array({"n", "c"}));
  EXPECT_EQ(Messages(r[3]), json::array());
  EXPECT_EQ(Messages(r[5]), json::array());
  // A NaN never reaches the judgment.
  EXPECT_EQ(r[6]["values"]["非数"], nullptr);
  EXPECT_EQ(Messages(r[6]),
            json::array({"「非数」の計算: 関数「kt_nan」の結果が有限の数ではありません / "
                         "calculation of '非数': function 'kt_nan' returned a "
                         "value that is not a finite number"}));
  // An undefined status; a message cut inside a character stays valid UTF-8.
  EXPECT_NE(Messages(r[0]).dump().find("function 'kt_status' returned the undefined status 7"),
            std::string::npos);
  std::string long_message = Messages(r[4])[0].get<std::string>();
  EXPECT_NE(long_message.find("「長い」の計算: 関数「kt_long」: ああ"), std::string::npos);
  EXPECT_NE(long_message.find("??? / calculation of '長い': function 'kt_long': long"),
            std::string::npos)
      << long_message;
}

TEST(PluginCalls, TheRuleFileUnderTestsIsJudgedAlikeAndUnknownsStayUnknown) {
  Load(KIJUN_EGFR_PLUGIN_PATH);
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  CompiledRuleFile file = CompileRuleFile(KIJUN_SOURCE_DIR "/tests/plugins/rules/egfr_plugin.kijun",
                                          sources, diagnostics);
  ASSERT_TRUE(file.rules) << Rendered(diagnostics);
  EXPECT_TRUE(diagnostics.all().empty()) << Rendered(diagnostics);
  EXPECT_EQ(file.rules->externals.size(), 5u);
  auto native = CompileAll(*file.rules);
  ASSERT_NE(native, nullptr);
  std::vector<json> forms;
  for (const char* sex : {"男", "女", "性別未決定"}) {
    for (int h10 = 450; h10 <= 1900; h10 += 37) {
      for (int cr100 : {10, 25, 40, 61, 80, 133, 290}) {
        forms.push_back({{"性別", sex},
                         {"身長", h10 / 10.0},
                         {"血清クレアチニン", cr100 / 100.0},
                         {"シスタチンC", (h10 % 200 + 1) / 100.0},
                         {"β2ミクログロブリン", (h10 % 990 + 1) / 100.0}});
      }
    }
  }
  forms.push_back({{"性別", "男"}, {"身長", 120.0}});              // no creatinine
  forms.push_back({{"性別", "男"}, {"血清クレアチニン", 0.40}});   // no height
  forms.push_back({{"身長", 120.0}, {"血清クレアチニン", 0.40}});  // no sex
  forms.push_back({{"性別", "女"}, {"身長", 160.0}, {"血清クレアチニン", "不明"}});  // 不明
  std::vector<json> r = JudgeOnBothEngines(*file.rules, *native, forms);
  size_t last = r.size() - 1;
  EXPECT_EQ(r[last - 3]["values"]["小児eGFR_Cr"], nullptr);
  EXPECT_NE(r[last - 3]["values"]["基準クレアチニン"], nullptr);
  EXPECT_EQ(r[last - 2]["values"]["基準クレアチニン"], nullptr);
  EXPECT_EQ(r[last - 2]["values"]["小児eGFR_Cr"], nullptr);
  EXPECT_EQ(r[last - 1]["values"]["小児eGFR_Cr"], nullptr);
  EXPECT_EQ(r[last]["values"]["基準クレアチニン"], 0.562);
  EXPECT_EQ(r[last]["values"]["小児eGFR_Cr"], nullptr);
  EXPECT_EQ(r[last]["judgments"][0]["insufficient_data"], json::array({"血清クレアチニン"}));
  // The rule file's check says so when the creatinine is known but its
  // reference (from sex and height) is not.
  json cannot =
      json::array({"身長と血清クレアチニンから eGFR を計算できません "
                   "(性別・身長・血清クレアチニン) / eGFR from creatinine cannot be "
                   "calculated"});
  EXPECT_EQ(Messages(r[last - 3]), json::array());
  EXPECT_EQ(Messages(r[last - 2]), cannot);
  EXPECT_EQ(Messages(r[last - 1]), cannot);
  EXPECT_EQ(Messages(r[last]), json::array());
}

TEST(PluginCalls, CodeFromTheJitCacheCallsThePluginByName) {
  Load(KIJUN_EGFR_PLUGIN_PATH);
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  CompiledRuleFile file = CompileRuleFile(KIJUN_SOURCE_DIR "/tests/plugins/rules/egfr_plugin.kijun",
                                          sources, diagnostics);
  ASSERT_TRUE(file.rules) << Rendered(diagnostics);
  engine::jit::JitEngine* jit = engine::jit::JitEngine::Get();
  ASSERT_NE(jit, nullptr);
  auto first = CompileAll(*file.rules);
  int hits = jit->cache_hits();
  auto cached = CompileAll(*file.rules);  // the object compiled above, from disk
  ASSERT_NE(cached, nullptr);
  EXPECT_EQ(jit->cache_hits(), hits + 1);
  std::vector<json> forms = {{{"性別", "男"}, {"身長", 120.0}, {"血清クレアチニン", 0.40}},
                             {{"性別", "女"}, {"身長", 150.0}, {"血清クレアチニン", 0.60}}};
  std::vector<json> r = JudgeOnBothEngines(*file.rules, *cached, forms);
  EXPECT_EQ(r[0]["values"]["小児eGFR_Cr"], 102.4);
  EXPECT_EQ(r[1]["values"]["小児eGFR_Cr"], 94.1);
}

// ------------------------------------------------------------ egfr_jp

// Calls one of egfr_jp's functions the way the engine does.
double Call(const std::string& name, const std::vector<double>& args, int32_t& status) {
  const dsl::ExternalFunction* f = dsl::FindExternalFunction(name);
  EXPECT_NE(f, nullptr) << name;
  if (f == nullptr) return 0;
  std::vector<kijun_plugin_value> packed;
  packed.reserve(args.size());
  for (double a : args) packed.push_back({a, 0, 0});
  kijun_plugin_value result{0, KIJUN_PLUGIN_UNKNOWN, 0};
  kijun_plugin_message message;
  message.ja[0] = message.en[0] = '\0';
  status = reinterpret_cast<kijun_plugin_call>(f->entry)(packed.data(), &result, &message);
  return result.number;
}

// The module's calculations, on the interpreter: once as written (rounded
// to their declared places) and once unrounded, so that the plugin can be
// compared to both.
struct Module {
  engine::ir::RuleSet rounded;
  engine::ir::RuleSet raw;
  int reference = -1, creatinine = -1, cystatin = -1, b2mg = -1;
};

Module LoadModule() {
  Module m;
  std::string error;
  auto rules =
      testing_support::LoadRules(KIJUN_SOURCE_DIR "/diseases/scales/shoni_egfr.kijun", error);
  EXPECT_TRUE(rules) << error;
  if (!rules) return m;
  m.rounded = *rules;
  m.raw = std::move(*rules);
  for (auto& calc : m.raw.calcs) calc.places = -1;
  m.reference = m.rounded.FindCalc("基準クレアチニン");
  m.creatinine = m.rounded.FindCalc("小児eGFR_Cr");
  m.cystatin = m.rounded.FindCalc("小児eGFR_シスタチンC");
  m.b2mg = m.rounded.FindCalc("小児eGFR_β2MG");
  return m;
}

TEST(EgfrJp, GivesTheRuleModulesDoublesOnManyInputs) {
  Load(KIJUN_EGFR_PLUGIN_PATH);
  Module m = LoadModule();
  ASSERT_GE(m.reference, 0);
  ASSERT_GE(m.creatinine, 0);
  ASSERT_GE(m.cystatin, 0);
  ASSERT_GE(m.b2mg, 0);
  engine::FormInput form;
  form.date = 19875;  // 2024-06-01
  int compared = 0, outside = 0;
  int step = 0;
  for (const char* sex : {"男", "女"}) {
    bool male = std::string(sex) == "男";
    // Heights over the item's whole range (20.0..250.0 cm), creatinine,
    // cystatin C and beta-2 microglobulin over theirs.
    for (int h10 = 200; h10 <= 2500; h10 += 7) {
      for (int cr100 : {1, 5, 12, 25, 40, 60, 87, 123, 250, 777, 1500, 3000}) {
        ++step;
        int cys100 = 1 + (step * 37) % 2000;
        int b2_100 = 1 + (step * 53) % 10000;
        json items = {{"性別", sex},
                      {"生年月日", "2015-04-01"},
                      {"身長", h10 / 10.0},
                      {"血清クレアチニン", cr100 / 100.0},
                      {"シスタチンC", cys100 / 100.0},
                      {"β2ミクログロブリン", b2_100 / 100.0}};
        engine::Judgment rounded = engine::Judge(m.rounded, form, items);
        engine::Judgment raw = engine::Judge(m.raw, form, items);
        auto value = [](const engine::Judgment& j, int slot) {
          const engine::Number& n = j.calcs[size_t(slot)].value.number;
          EXPECT_TRUE(n.known());
          return n.lo;
        };
        int32_t status = KIJUN_PLUGIN_OK;
        double reference = Call(male ? "jspn_ref_creatinine_male" : "jspn_ref_creatinine_female",
                                {h10 / 10.0}, status);
        EXPECT_EQ(status, KIJUN_PLUGIN_OK);
        double cystatin = Call("jspn_egfr_cystatin_c", {cys100 / 100.0}, status);
        EXPECT_EQ(status, KIJUN_PLUGIN_OK);
        double b2mg = Call("jspn_egfr_b2mg", {b2_100 / 100.0}, status);
        EXPECT_EQ(status, KIJUN_PLUGIN_OK);
        // The same doubles as the module's expressions...
        EXPECT_TRUE(SameBits(reference, value(raw, m.reference))) << items.dump();
        EXPECT_TRUE(SameBits(cystatin, value(raw, m.cystatin))) << items.dump();
        EXPECT_TRUE(SameBits(b2mg, value(raw, m.b2mg))) << items.dump();
        // ...so the same values once rounded to the module's places.
        EXPECT_EQ(engine::RoundHalfAway(reference, 3), value(rounded, m.reference));
        EXPECT_EQ(engine::RoundHalfAway(cystatin, 1), value(rounded, m.cystatin));
        EXPECT_EQ(engine::RoundHalfAway(b2mg, 1), value(rounded, m.b2mg));
        double egfr = Call("jspn_egfr_creatinine", {reference, cr100 / 100.0}, status);
        if (reference > 0) {
          EXPECT_EQ(status, KIJUN_PLUGIN_OK);
          EXPECT_TRUE(SameBits(egfr, value(raw, m.creatinine))) << items.dump();
          EXPECT_EQ(engine::RoundHalfAway(egfr, 1), value(rounded, m.creatinine));
          ++compared;
        } else {
          // Far above children's heights (girls over 200 cm, boys over
          // 240 cm: the item allows up to 250) the polynomials fall below
          // zero. The module then computes an eGFR of 2.93 or less from the
          // negative reference; the plugin refuses it as out of its domain.
          EXPECT_GT(h10, 2000) << items.dump();
          EXPECT_EQ(status, KIJUN_PLUGIN_DOMAIN_ERROR) << items.dump();
          EXPECT_LE(value(raw, m.creatinine), 2.93) << items.dump();
          ++outside;
        }
        if (HasFailure()) return;
      }
    }
  }
  EXPECT_GT(compared, 6500);
  EXPECT_GT(outside, 0);
}

TEST(EgfrJp, RefusesNonPositiveArgumentsAsDomainErrors) {
  Load(KIJUN_EGFR_PLUGIN_PATH);
  const dsl::ExternalFunction* f = dsl::FindExternalFunction("jspn_egfr_creatinine");
  ASSERT_NE(f, nullptr);
  kijun_plugin_value args[2] = {{0.4, 0, 0}, {0, 0, 0}};
  kijun_plugin_value result{0, KIJUN_PLUGIN_UNKNOWN, 0};
  kijun_plugin_message message;
  message.ja[0] = message.en[0] = '\0';
  EXPECT_EQ(reinterpret_cast<kijun_plugin_call>(f->entry)(args, &result, &message),
            KIJUN_PLUGIN_DOMAIN_ERROR);
  EXPECT_STREQ(message.ja, "血清クレアチニン 0 mg/dL は 0 より大きい値でなければなりません");
  EXPECT_STREQ(message.en, "serum creatinine 0 mg/dL must be greater than 0");
  args[0].number = -1;
  args[1].number = 0.5;
  EXPECT_EQ(reinterpret_cast<kijun_plugin_call>(f->entry)(args, &result, &message),
            KIJUN_PLUGIN_DOMAIN_ERROR);
  EXPECT_STREQ(message.en, "reference serum creatinine -1 mg/dL must be greater than 0");
}

}  // namespace
}  // namespace kijun::plugins
