#pragma once

// Loading native function plugins: shared libraries with the C ABI of
// plugins/kijun_plugin.h whose functions join the rule language
// (dsl/external_functions.h). A plugin is checked completely before any of
// its functions is registered, and refused as a whole.

#include <string>
#include <vector>

namespace kijun::plugins {

// A plugin that was loaded.
struct NativePlugin {
  std::string path;  // as given
  std::string name;
  std::string version;
  std::vector<std::string> functions;
};

// Loads the shared library at `path` and registers its functions. Refuses,
// with a bilingual `error` ("日本語 / English") naming the file: a library
// that cannot be opened, one without the entry symbol (kijun_plugin_entry),
// an entry that returns null, another ABI version, a missing or malformed
// plugin name or version, a plugin name already loaded from another file, and
// any function with a bad name, no code, a bad argument count, argument kind
// or result kind, or a name that is a builtin's, another function's of the
// same plugin or of a loaded plugin. Loading the same file again does
// nothing and succeeds. A loaded library is never unloaded: rule sets and
// compiled code keep pointers into it. Thread-safe; must happen before the
// rule files that call the functions are loaded, because the checker and
// the content hash read the function table.
bool LoadNativePlugin(const std::string& path, std::string& error);

// LoadNativePlugin for each of `paths`, in order, stopping at the first
// refusal.
bool LoadNativePlugins(const std::vector<std::string>& paths, std::string& error);

// The plugins loaded so far, in the order they were loaded.
std::vector<NativePlugin> LoadedNativePlugins();

}  // namespace kijun::plugins
