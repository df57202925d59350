#pragma once

#include <string>
#include <vector>

namespace kijun::cli {

// One disease of the programmes, from diseases/catalog.tsv.
struct CatalogEntry {
  std::string programme;  // 指定難病 / 小慢
  std::string number;     // 告示番号 or 小慢 code
  std::string name_ja;
  std::string name_en;
  std::string group;
};

// Reads the catalog; an empty result with `error` set when it cannot.
std::vector<CatalogEntry> ReadCatalog(const std::string& path, std::string& error);

// `kijun catalog [--rules DIR] [--list]`: coverage of the catalog by the rule
// files, per programme and disease group; --list prints every disease.
int RunCatalog(const std::string& rules_folder, bool list);

}  // namespace kijun::cli
