#pragma once

#include <string>
#include <vector>

namespace kijun::dsl {

// A function the rule language provides. Argument checking is done by
// check_types; this table is what name resolution and the docs use.
struct Builtin {
  const char* name;
  const char* summary_ja;
  const char* summary_en;
  const char* usage;
  bool loop;  // usable as name(i in a..b : expr)
};

const std::vector<Builtin>& Builtins();
const Builtin* FindBuiltin(const std::string& name);
std::vector<std::string> BuiltinNames();

}  // namespace kijun::dsl
