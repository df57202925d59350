// Golden diagnostics: every `*.kijun` file in tests/golden/diagnostics is a
// bad rule file; the `.expected` file beside it holds the exact diagnostics
// `kijun check` must print for it. Run with KIJUN_UPDATE_GOLDEN=1 to rewrite
// the expected files (then review every change by hand).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dsl/pass.h"
#include "dsl/program.h"

namespace kijun {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> GoldenFiles() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(".")) {
    if (entry.path().extension() == ".kijun") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string Diagnose(const std::string& name) {
  dsl::SourceManager sources;
  dsl::Diagnostics diagnostics;
  auto program = dsl::LoadProgramFromText(name, ReadFile(name), sources, diagnostics);
  dsl::RunFrontEnd(*program, diagnostics);
  std::string out;
  for (const auto& d : diagnostics.Sorted()) out += dsl::Render(d) + "\n";
  return out;
}

class GoldenDiagnostics : public testing::TestWithParam<std::string> {};

TEST_P(GoldenDiagnostics, MatchesExpected) {
  const std::string name = GetParam();
  const std::string actual = Diagnose(name);
  const fs::path expected_path = fs::path(name).replace_extension(".expected");
  if (std::getenv("KIJUN_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(expected_path, std::ios::binary) << actual;
  }
  ASSERT_TRUE(fs::exists(expected_path)) << "missing " << expected_path;
  EXPECT_EQ(ReadFile(expected_path), actual) << "diagnostics of " << name << " changed";
  // Every golden file is a bad file: it must produce at least one diagnostic,
  // and every diagnostic must be located and bilingual.
  EXPECT_FALSE(actual.empty()) << name << " produced no diagnostics";
}

TEST(GoldenDiagnosticsSet, HasAtLeastFortyDistinctBadFiles) {
  EXPECT_GE(GoldenFiles().size(), 40u);
}

INSTANTIATE_TEST_SUITE_P(Files, GoldenDiagnostics, testing::ValuesIn(GoldenFiles()),
                         [](const testing::TestParamInfo<std::string>& param) {
                           std::string id;
                           for (char ch : param.param) {
                             if (std::isalnum(static_cast<unsigned char>(ch))) id += ch;
                           }
                           return id;
                         });

}  // namespace
}  // namespace kijun
