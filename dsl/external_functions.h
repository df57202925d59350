#pragma once

// Functions added to the rule language from outside dsl/: the extension
// point native function plugins register into (plugins/native_plugins.h).
// Name resolution, the type checker and the content hash consult this
// process-wide table; dsl/ never calls the functions (the engine does).

#include <string>
#include <string_view>
#include <vector>

namespace kijun::dsl {

// What an external function takes and gives.
enum class ExternalKind { kDecimal, kInteger, kTruth };

struct ExternalFunction {
  std::string name;  // as called in rule files
  std::string summary_ja;
  std::string summary_en;
  std::string usage;
  std::vector<ExternalKind> args;
  std::vector<std::string> arg_units;  // one per argument; "" = not checked
  ExternalKind result = ExternalKind::kDecimal;
  std::string result_unit;  // "" = none
  bool pure = true;
  // "egfr_jp@1.0.0": part of the content hash of rule files that call it.
  std::string provider;
  std::string provider_file;  // the shared library, for messages
  // The function itself, opaque here: the engine casts it back to the
  // plugin ABI's call type (plugins/kijun_plugin.h).
  using Entry = void (*)();
  Entry entry = nullptr;
};

// Adds `functions` (one plugin's) to the table, all or none. Refuses, with a
// bilingual `error` naming the function, a name that is empty, a builtin's,
// already registered, or given twice in `functions`, and a function whose
// units do not match its arguments. Thread-safe. Registered functions stay
// for the life of the process, so the pointers FindExternalFunction returns
// never dangle.
bool RegisterExternalFunctions(std::vector<ExternalFunction> functions, std::string& error);

// The registered function called `name`, or null. Thread-safe.
const ExternalFunction* FindExternalFunction(std::string_view name);

// Every registered name, in registration order (for "did you mean").
std::vector<std::string> ExternalFunctionNames();

// The distinct providers ("egfr_jp@1.0.0") of registered functions, in
// registration order, for hints about what is loaded.
std::vector<std::string> ExternalFunctionProviders();

}  // namespace kijun::dsl
