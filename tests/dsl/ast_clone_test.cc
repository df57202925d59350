// A module imported by many disease files is parsed once per run
// (dsl/ast_clone.h, SourceManager::KeepParsedModule): each program gets its
// own copy, checked and annotated exactly as a fresh parse would be.

#include "dsl/ast_clone.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "dsl/ast_dump.h"
#include "dsl/pass.h"
#include "dsl/program.h"
#include "engine/form_schema.h"
#include "engine/ir_dump.h"
#include "engine/lower_to_ir.h"
#include "tests/test_support.h"

namespace kijun::dsl {
namespace {

namespace fs = std::filesystem;

struct Loaded {
  std::unique_ptr<Program> program;
  Diagnostics diagnostics;
  std::string dump;
};

Loaded LoadAndCheck(const std::string& path, SourceManager& sources) {
  Loaded l;
  l.program = LoadProgram(path, sources, l.diagnostics);
  bool ok = RunFrontEnd(*l.program, l.diagnostics);
  // The checked tree, and what the engine makes of it: the IR and the form
  // schema (labels, options, ranges, units, sections).
  l.dump = DumpProgram(*l.program);
  if (ok) {
    engine::ir::RuleSet rules = engine::LowerToIr(*l.program);
    l.dump += engine::DumpRuleSet(rules) + engine::FormSchemaToJson(rules).dump();
  }
  return l;
}

// Every rule file, loaded after every other one with the same SourceManager
// (so its modules come from the kept parses), gives the same checked
// program, IR, form schema, content hash and diagnostics as when loaded
// alone.
TEST(ParsedModules, ACopyChecksAsAFreshParse) {
  std::vector<std::string> files = testing_support::RuleFilesInDiseases();
  SourceManager shared;
  for (const auto& path : files) LoadAndCheck(path, shared);
  size_t copies = 0;
  for (const auto& path : files) {
    SourceManager alone;
    Loaded fresh = LoadAndCheck(path, alone);
    Loaded copied = LoadAndCheck(path, shared);
    EXPECT_EQ(copied.dump, fresh.dump) << path;
    EXPECT_EQ(copied.program->content_hash, fresh.program->content_hash) << path;
    EXPECT_EQ(copied.diagnostics.all().size(), fresh.diagnostics.all().size()) << path;
    for (const auto* module : copied.program->modules) {
      if (shared.ParsedModule(module->source->path(), module->source->text()) != nullptr) {
        ++copies;
      }
    }
  }
  EXPECT_GT(copies, files.size()) << "the disease files' modules must come from kept parses";
}

// Every construct a module can hold, so that a field the copy forgot shows.
constexpr const char* kEveryConstruct = R"kijun(module 全部 "全部" en "everything"
source "文書" url "https://example.org/a" dated 2024-01-31
section 基本 "基本" en "basic" {
  item 体温 "体温" en "temperature" : decimal(1) 30.0..45.0 "℃", required 新規
  item 回数 "回数" : integer 0..100 "回/日", when 体温 >= 38.0
  item 所見 "所見" : answer
  item 症状 "症状" : yesno
  item 部位 "部位" : choice { 1 "上肢" en "arm", 2 "下肢" en "leg" }
  item 部位複数 "部位 (複数)" : choices { 1 "顔", 2 "手" }
  item 発症 "発症" : yearmonth
  item 診断日 "診断日" : date
  item 備考 "備考" : text max 40 lines 2
  item 月額 "月額" : list 3 of integer 0..1000000 "円"
}
section 更新時 "更新時" only 更新 {
  group 治療歴 "治療歴" repeat 1..5 {
    item 薬剤 "薬剤" : text max 20, required
  }
}
table 表 "表" rows ("G1", "G2") columns ("A1", 2) {
  "緑" "黄";
  "黄" "赤";
}
calc 合計 "合計" en "total" : integer "円" = sum(i in 1..3 : 月額[i])
calc 色 : text = lookup 表["G1", 2]
calc 平均 : decimal(2) "円" = 合計 / 3
check 順序 warning "発症が診断より後です" en "onset after diagnosis" : 発症 <= year_month(診断日)
severity 重さ "重さ" en "severity" {
  level 重症 "重症" en "severe" : 所見 and (症状 or 回数 > 3) and count(治療歴) >= 1
  level 軽症 : otherwise
  qualifying 重症
}
)kijun";

// The disease files of the on-disk tests, importing the module m.kijun.
constexpr const char* kImporter = "import \"m.kijun\"\ncalc y : integer = x + 1\n";

class ParsedModulesOnDisk : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("kijun_parsed_modules_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    for (const char* name : {"d1.kijun", "d2.kijun"}) {
      Write(name, testing_support::Disease(kImporter));
    }
  }
  void TearDown() override { fs::remove_all(dir_); }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(ParsedModulesOnDisk, ACopyOfEveryConstructChecksAsAFreshParse) {
  Write("m.kijun", kEveryConstruct);
  for (const char* name : {"d1.kijun", "d2.kijun"}) {
    Write(name, testing_support::Disease("import \"m.kijun\"\n"));
  }
  SourceManager shared;
  Loaded first = LoadAndCheck(Path("d1.kijun"), shared);
  ASSERT_FALSE(first.diagnostics.HasErrors()) << first.dump;
  ASSERT_NE(shared.ParsedModule(Path("m.kijun"), kEveryConstruct), nullptr);
  Loaded copied = LoadAndCheck(Path("d2.kijun"), shared);
  SourceManager alone;
  Loaded fresh = LoadAndCheck(Path("d2.kijun"), alone);
  EXPECT_EQ(copied.dump, fresh.dump);
  EXPECT_EQ(copied.diagnostics.all().size(), fresh.diagnostics.all().size());
  // What neither dump shows.
  const ast::RuleFile& module = *copied.program->modules.at(0);
  ASSERT_EQ(module.sources.size(), 1U);
  EXPECT_EQ(module.sources[0].dated, fresh.program->modules.at(0)->sources[0].dated);
  EXPECT_EQ(module.sections.at(1)->only_variant, "更新");
  EXPECT_EQ(module.sections.at(1)->groups.at(0)->min_entries, 1);
  EXPECT_EQ(module.sections.at(1)->groups.at(0)->max_entries, 5);
  EXPECT_EQ(module.sections.at(1)->groups.at(0)->items.at(0)->group,
            module.sections.at(1)->groups.at(0).get());
  EXPECT_EQ(module.sections.at(0)->items.at(0)->section, module.sections.at(0).get());
  EXPECT_EQ(module.sections.at(1)->groups.at(0)->section, module.sections.at(1).get());
  EXPECT_EQ(module.sections.at(0)->items.at(0)->type.places, 1);
}

// A module changed on disk between two programs of one run is parsed again.
TEST_F(ParsedModulesOnDisk, AChangedModuleIsParsedAgain) {
  Write("m.kijun", "module m \"m\"\nsection s \"s\" { item x \"旧\" : integer }\n");
  SourceManager sources;
  Loaded first = LoadAndCheck(Path("d1.kijun"), sources);
  ASSERT_FALSE(first.diagnostics.HasErrors());
  Write("m.kijun", "module m \"m\"\nsection s \"s\" { item x \"新\" : integer }\n");
  Loaded second = LoadAndCheck(Path("d2.kijun"), sources);
  ASSERT_FALSE(second.diagnostics.HasErrors());
  EXPECT_EQ(first.program->items.at(0)->label, "旧");
  EXPECT_EQ(second.program->items.at(0)->label, "新");
  EXPECT_NE(first.program->content_hash, second.program->content_hash);
}

// A module with a syntax error is not kept: every program importing it is
// told.
TEST_F(ParsedModulesOnDisk, AModuleWithAnErrorIsReportedToEveryProgram) {
  Write("m.kijun", "module m \"m\"\nsection s \"s\" { item x \"x\" : integer\n");
  SourceManager sources;
  Loaded first = LoadAndCheck(Path("d1.kijun"), sources);
  Loaded second = LoadAndCheck(Path("d2.kijun"), sources);
  EXPECT_TRUE(first.diagnostics.HasErrors());
  EXPECT_TRUE(second.diagnostics.HasErrors());
  EXPECT_EQ(sources.ParsedModule(Path("m.kijun"), first.program->modules.empty()
                                                      ? std::string_view()
                                                      : first.program->modules[0]->source->text()),
            nullptr);
}

}  // namespace
}  // namespace kijun::dsl
