#include "plugins/native_plugins.h"

#include <dlfcn.h>

#include <filesystem>
#include <mutex>

#include "dsl/builtins.h"
#include "dsl/external_functions.h"
#include "dsl/parser.h"
#include "plugins/kijun_plugin.h"

namespace kijun::plugins {

namespace {

namespace fs = std::filesystem;

struct Loaded {
  NativePlugin plugin;
  std::string canonical;
};

struct State {
  std::mutex mutex;
  std::vector<Loaded> loaded;
};

State& TheState() {
  static State state;
  return state;
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  auto canonical = fs::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

// Plugin names and versions go into content hashes as "name@version" and
// into messages, so they are kept to plain, unambiguous characters.
bool PlainWord(const char* text, bool version) {
  if (text == nullptr || *text == '\0') return false;
  size_t length = 0;
  for (const char* p = text; *p != '\0'; ++p, ++length) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || (version && (c == '.' || c == '+'));
    if (!ok || length >= 64) return false;
  }
  return true;
}

bool ValidKind(int32_t kind) {
  return kind == KIJUN_PLUGIN_DECIMAL || kind == KIJUN_PLUGIN_INTEGER || kind == KIJUN_PLUGIN_TRUTH;
}

dsl::ExternalKind KindOf(int32_t kind) {
  switch (kind) {
    case KIJUN_PLUGIN_INTEGER:
      return dsl::ExternalKind::kInteger;
    case KIJUN_PLUGIN_TRUTH:
      return dsl::ExternalKind::kTruth;
    default:
      return dsl::ExternalKind::kDecimal;
  }
}

std::string Text(const char* text) { return text == nullptr ? std::string() : std::string(text); }

// Why a plugin is refused, in both languages.
struct Problem {
  std::string ja;
  std::string en;
};

// Checks one function of the table and converts it; `problem` says why
// when it is refused.
bool ReadFunction(const kijun_plugin_function& f, size_t index, const std::string& provider,
                  const std::string& path, dsl::ExternalFunction& out, Problem& problem) {
  std::string which = "関数 " + std::to_string(index + 1);
  std::string which_en = "function " + std::to_string(index + 1);
  if (f.name == nullptr || !dsl::IsIdentifier(f.name)) {
    problem = {which + " の名前「" + Text(f.name) + "」は規則の言語の名前として使えません",
               which_en + ": '" + Text(f.name) +
                   "' is not a name of the rule language (letters, digits and '_', not a "
                   "keyword)"};
    return false;
  }
  std::string name = f.name;
  which = "関数「" + name + "」";
  which_en = "function '" + name + "'";
  if (dsl::FindBuiltin(name) != nullptr) {
    problem = {which + "は組み込み関数と同じ名前です",
               which_en + " has the name of a builtin function"};
    return false;
  }
  if (f.call == nullptr) {
    problem = {which + "に関数のポインタがありません", which_en + " has no function pointer"};
    return false;
  }
  if (f.summary_ja == nullptr || f.summary_en == nullptr || *f.summary_ja == '\0' ||
      *f.summary_en == '\0') {
    problem = {which + "に説明 (日本語・英語) がありません",
               which_en + " has no summary in Japanese and English"};
    return false;
  }
  if (f.arg_count < 0 || f.arg_count > KIJUN_PLUGIN_MAX_ARGS ||
      (f.arg_count > 0 && f.arg_kinds == nullptr)) {
    problem = {which + "の引数の数 " + std::to_string(f.arg_count) + " は 0〜" +
                   std::to_string(KIJUN_PLUGIN_MAX_ARGS) + " (と種類の表) ではありません",
               which_en + " declares " + std::to_string(f.arg_count) + " arguments; 0 to " +
                   std::to_string(KIJUN_PLUGIN_MAX_ARGS) + " with their kinds are allowed"};
    return false;
  }
  out = {};
  out.name = name;
  out.summary_ja = f.summary_ja;
  out.summary_en = f.summary_en;
  out.usage = f.usage != nullptr && *f.usage != '\0' ? std::string(f.usage) : name + "(…)";
  for (int32_t i = 0; i < f.arg_count; ++i) {
    if (!ValidKind(f.arg_kinds[i])) {
      problem = {which + "の第 " + std::to_string(i + 1) + " 引数の種類 " +
                     std::to_string(f.arg_kinds[i]) + " は不明です",
                 which_en + ": argument " + std::to_string(i + 1) + " has the unknown kind " +
                     std::to_string(f.arg_kinds[i])};
      return false;
    }
    out.args.push_back(KindOf(f.arg_kinds[i]));
    out.arg_units.push_back(f.arg_units != nullptr ? Text(f.arg_units[i]) : std::string());
  }
  if (!ValidKind(f.result_kind)) {
    problem = {which + "の結果の種類 " + std::to_string(f.result_kind) + " は不明です",
               which_en + " has the unknown result kind " + std::to_string(f.result_kind)};
    return false;
  }
  out.result = KindOf(f.result_kind);
  out.result_unit = f.result_kind == KIJUN_PLUGIN_TRUTH ? std::string() : Text(f.result_unit);
  out.pure = f.pure != 0;
  out.provider = provider;
  out.provider_file = path;
  out.entry = reinterpret_cast<dsl::ExternalFunction::Entry>(f.call);
  return true;
}

// Checks the plugin's description apart from its functions. The ABI
// version first: nothing else of the struct can be trusted under another
// version.
bool ReadHeader(const kijun_plugin& plugin, Problem& problem) {
  if (plugin.abi_version != KIJUN_PLUGIN_ABI_VERSION) {
    problem = {"プラグインの ABI の版 " + std::to_string(plugin.abi_version) +
                   " はこの kijun の版 " + std::to_string(KIJUN_PLUGIN_ABI_VERSION) + " と違います",
               "plugin ABI version " + std::to_string(plugin.abi_version) +
                   " does not match this kijun's version " +
                   std::to_string(KIJUN_PLUGIN_ABI_VERSION)};
    return false;
  }
  if (!PlainWord(plugin.name, false) || !PlainWord(plugin.version, true)) {
    problem = {"プラグインの名前「" + Text(plugin.name) + "」か版「" + Text(plugin.version) +
                   "」が不正です (英数字と _ - 、版には . + も使えます。64 文字まで)",
               "the plugin's name '" + Text(plugin.name) + "' or version '" + Text(plugin.version) +
                   "' is malformed (letters, digits, '_' and '-', and '.' '+' in versions; at "
                   "most 64)"};
    return false;
  }
  if (plugin.function_count < 0 || plugin.function_count > 1000 ||
      (plugin.function_count > 0 && plugin.functions == nullptr)) {
    problem = {"関数の数 " + std::to_string(plugin.function_count) + " が不正です",
               "bad function count " + std::to_string(plugin.function_count)};
    return false;
  }
  return true;
}

// Reads the function table; every function is checked before any is
// registered.
bool ReadFunctions(const kijun_plugin& plugin, const std::string& path,
                   std::vector<dsl::ExternalFunction>& functions, Problem& problem) {
  std::string provider = std::string(plugin.name) + "@" + plugin.version;
  for (int32_t i = 0; i < plugin.function_count; ++i) {
    dsl::ExternalFunction f;
    if (!ReadFunction(plugin.functions[i], size_t(i), provider, path, f, problem)) return false;
    for (const auto& earlier : functions) {
      if (earlier.name == f.name) {
        problem = {"関数「" + f.name + "」が二度定義されています",
                   "function '" + f.name + "' is defined twice"};
        return false;
      }
    }
    if (const dsl::ExternalFunction* known = dsl::FindExternalFunction(f.name)) {
      problem = {"関数「" + f.name + "」は " + known->provider + " (" + known->provider_file +
                     ") がすでに定義しています",
                 "function '" + f.name + "' is already defined by " + known->provider + " (" +
                     known->provider_file + ")"};
      return false;
    }
    functions.push_back(std::move(f));
  }
  return true;
}

}  // namespace

bool LoadNativePlugin(const std::string& path, std::string& error) {
  State& state = TheState();
  std::lock_guard<std::mutex> lock(state.mutex);
  std::string canonical = Canonical(path);
  for (const auto& l : state.loaded) {
    if (l.canonical == canonical) return true;
  }
  void* handle = nullptr;
  auto refuse = [&](const Problem& problem) {
    if (handle != nullptr) dlclose(handle);
    error = "プラグイン「" + path + "」を読み込めません: " + problem.ja +
            " / cannot load plugin '" + path + "': " + problem.en;
    return false;
  };
  // RTLD_LOCAL: one plugin's symbols never satisfy another's; RTLD_NOW:
  // a library with unresolved symbols fails here, not in the middle of a
  // judgment.
  handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    std::string reason = why != nullptr ? why : "?";
    return refuse({"共有ライブラリとして開けません (" + reason + ")",
                   "cannot open it as a shared library (" + reason + ")"});
  }
  dlerror();
  void* symbol = dlsym(handle, KIJUN_PLUGIN_ENTRY_SYMBOL);
  const std::string entry_name = KIJUN_PLUGIN_ENTRY_SYMBOL;
  if (symbol == nullptr) {
    return refuse({"入口の関数 " + entry_name + " がありません (Kijun のプラグインではありません)",
                   "it has no " + entry_name + " symbol (not a Kijun plugin)"});
  }
  auto entry = reinterpret_cast<kijun_plugin_entry_function>(symbol);
  const kijun_plugin* plugin = entry();
  if (plugin == nullptr) {
    return refuse({entry_name + " が null を返しました", entry_name + " returned null"});
  }
  Problem problem;
  if (!ReadHeader(*plugin, problem)) return refuse(problem);
  for (const auto& l : state.loaded) {
    if (l.plugin.name == plugin->name) {
      return refuse(
          {"プラグイン「" + l.plugin.name + "」は「" + l.plugin.path + "」から読み込み済みです",
           "plugin '" + l.plugin.name + "' is already loaded from '" + l.plugin.path + "'"});
    }
  }
  std::vector<dsl::ExternalFunction> functions;
  if (!ReadFunctions(*plugin, path, functions, problem)) return refuse(problem);
  NativePlugin loaded{path, plugin->name, plugin->version, {}};
  for (const auto& f : functions) loaded.functions.push_back(f.name);
  std::string registry_error;
  if (!dsl::RegisterExternalFunctions(std::move(functions), registry_error)) {
    // Only when something registered functions behind the loader's back.
    auto slash = registry_error.find(" / ");
    return refuse({registry_error.substr(0, slash),
                   slash == std::string::npos ? registry_error : registry_error.substr(slash + 3)});
  }
  // The handle stays open for the life of the process (see the header).
  state.loaded.push_back({std::move(loaded), canonical});
  return true;
}

bool LoadNativePlugins(const std::vector<std::string>& paths, std::string& error) {
  for (const auto& path : paths) {
    if (!LoadNativePlugin(path, error)) return false;
  }
  return true;
}

std::vector<NativePlugin> LoadedNativePlugins() {
  State& state = TheState();
  std::lock_guard<std::mutex> lock(state.mutex);
  std::vector<NativePlugin> plugins;
  for (const auto& l : state.loaded) plugins.push_back(l.plugin);
  return plugins;
}

}  // namespace kijun::plugins
