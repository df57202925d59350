#include "dsl/external_functions.h"

#include <algorithm>
#include <deque>
#include <mutex>
#include <set>

#include "dsl/builtins.h"

namespace kijun::dsl {

namespace {

// A deque keeps every element where it is as the table grows, so pointers
// handed out by FindExternalFunction stay valid.
struct Table {
  std::mutex mutex;
  std::deque<ExternalFunction> functions;
};

Table& TheTable() {
  static Table table;
  return table;
}

}  // namespace

bool RegisterExternalFunctions(std::vector<ExternalFunction> functions, std::string& error) {
  Table& table = TheTable();
  std::lock_guard<std::mutex> lock(table.mutex);
  std::set<std::string> names;
  for (const auto& f : functions) {
    if (f.name.empty()) {
      error = "名前のない関数があります / a function has no name";
      return false;
    }
    if (FindBuiltin(f.name) != nullptr) {
      error = "関数「" + f.name + "」は組み込み関数と同じ名前です / function '" + f.name +
              "' has the name of a builtin function";
      return false;
    }
    for (const auto& known : table.functions) {
      if (known.name == f.name) {
        error = "関数「" + f.name + "」は " + known.provider + " (" + known.provider_file +
                ") がすでに定義しています / function '" + f.name + "' is already defined by " +
                known.provider + " (" + known.provider_file + ")";
        return false;
      }
    }
    if (!names.insert(f.name).second) {
      error = "関数「" + f.name + "」が二度定義されています / function '" + f.name +
              "' is defined twice";
      return false;
    }
    if (f.arg_units.size() != f.args.size()) {
      error = "関数「" + f.name + "」の引数の単位の数が引数の数と違います / function '" + f.name +
              "' has " + std::to_string(f.arg_units.size()) + " argument units for " +
              std::to_string(f.args.size()) + " arguments";
      return false;
    }
  }
  for (auto& f : functions) table.functions.push_back(std::move(f));
  return true;
}

const ExternalFunction* FindExternalFunction(std::string_view name) {
  Table& table = TheTable();
  std::lock_guard<std::mutex> lock(table.mutex);
  for (const auto& f : table.functions) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<std::string> ExternalFunctionNames() {
  Table& table = TheTable();
  std::lock_guard<std::mutex> lock(table.mutex);
  std::vector<std::string> names;
  for (const auto& f : table.functions) names.push_back(f.name);
  return names;
}

std::vector<std::string> ExternalFunctionProviders() {
  Table& table = TheTable();
  std::lock_guard<std::mutex> lock(table.mutex);
  std::vector<std::string> providers;
  for (const auto& f : table.functions) {
    if (std::find(providers.begin(), providers.end(), f.provider) == providers.end()) {
      providers.push_back(f.provider);
    }
  }
  return providers;
}

}  // namespace kijun::dsl
