#include "cli/catalog.h"

#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "dsl/calendar.h"
#include "plugins/rule_library.h"

namespace kijun::cli {

std::vector<CatalogEntry> ReadCatalog(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read " + path;
    return {};
  }
  std::vector<CatalogEntry> entries;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> fields;
    std::stringstream row(line);
    std::string field;
    while (std::getline(row, field, '\t')) fields.push_back(field);
    if (fields.size() < 5) continue;
    entries.push_back({fields[0], fields[1], fields[2], fields[3], fields[4]});
  }
  return entries;
}

namespace {

using plugins::CompiledRuleFile;
using plugins::CompileRuleFile;
using plugins::FindRuleFiles;

// What the rule files say about one disease.
struct Coverage {
  std::vector<std::string> versions;  // "2024-04-01 (2403)"
  int tests = 0;
  bool errors = false;
};

}  // namespace

int RunCatalog(const std::string& rules_folder, bool list) {
  std::string error;
  auto entries = ReadCatalog(rules_folder + "/catalog.tsv", error);
  if (entries.empty()) {
    std::cerr << "kijun catalog: 目録を読めません / " << error << '\n';
    return 2;
  }
  std::map<std::string, Coverage> coverage;  // key "指定難病/6"
  dsl::SourceManager sources;
  for (const auto& path : FindRuleFiles({rules_folder})) {
    dsl::Diagnostics diagnostics;
    CompiledRuleFile file = CompileRuleFile(path, sources, diagnostics);
    const auto* main = file.program->main;
    if (main == nullptr || main->is_module) continue;
    Coverage& c = coverage[main->programme + "/" + main->number];
    std::string version = main->effective ? dsl::FormatDate(*main->effective) : "?";
    if (main->revision) version += " (" + std::to_string(*main->revision) + ")";
    c.versions.push_back(version);
    c.tests += static_cast<int>(main->tests.size());
    c.errors = c.errors || diagnostics.HasErrors();
  }

  struct GroupCount {
    int total = 0;
    int covered = 0;
    int tests = 0;
  };
  std::map<std::string, std::map<std::string, GroupCount>> groups;  // programme → group
  for (const auto& e : entries) {
    GroupCount& g = groups[e.programme][e.group];
    ++g.total;
    auto it = coverage.find(e.programme + "/" + e.number);
    if (it != coverage.end()) {
      ++g.covered;
      g.tests += it->second.tests;
    }
    if (list) {
      std::cout << e.programme << '\t' << e.number << '\t' << e.name_ja << '\t' << e.group << '\t';
      if (it == coverage.end()) {
        std::cout << "-";
      } else {
        std::cout << (it->second.errors ? "エラーあり / errors" : "規則あり / rules") << '\t'
                  << it->second.tests << " tests\t";
        for (size_t v = 0; v < it->second.versions.size(); ++v) {
          std::cout << (v ? ", " : "") << it->second.versions[v];
        }
      }
      std::cout << '\n';
    }
  }
  if (list) return 0;
  for (const auto& [programme, by_group] : groups) {
    GroupCount all;
    std::cout << programme << '\n';
    for (const auto& [group, g] : by_group) {
      std::cout << "  " << group << ": " << g.covered << " / " << g.total << " diseases, "
                << g.tests << " tests\n";
      all.total += g.total;
      all.covered += g.covered;
      all.tests += g.tests;
    }
    std::cout << "  計 / total: " << all.covered << " / " << all.total << " diseases, " << all.tests
              << " tests\n";
  }
  for (const auto& [key, c] : coverage) {
    bool listed = false;
    for (const auto& e : entries) listed = listed || e.programme + "/" + e.number == key;
    if (!listed) std::cout << "目録にない規則 / rules not in the catalog: " << key << '\n';
  }
  return 0;
}

}  // namespace kijun::cli
