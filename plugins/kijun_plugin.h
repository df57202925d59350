/*
 * Kijun native function plugins: the C ABI (version 1).
 *
 * A plugin is a shared library that adds functions to the rule language
 * (docs/language.md, "Native functions from plugins"). It exports one symbol,
 * `kijun_plugin_entry`, returning a description of the plugin and its
 * functions. `kijun --plugin FILE.so` loads it (plugins/native_plugins.h); the
 * checker types calls to its functions from the table, the interpreter calls
 * them through the function pointer and compiled rule code calls the same
 * function directly.
 *
 * Plain C (C99 and C++), no dependencies, so that a plugin can be written in
 * either language and built without Kijun's sources.
 *
 * Values. Numbers are doubles, truths are KIJUN_PLUGIN_FALSE / _TRUE. The
 * engine's numbers may be only partly known (an interval [lo, hi] for an
 * unanswered item); a plugin function is called only when every argument is
 * known exactly. When any argument is unknown the result is unknown and the
 * function is not called, which is always sound, whatever the function is.
 *
 * Errors. A function returns KIJUN_PLUGIN_OK with its result,
 * KIJUN_PLUGIN_NO_RESULT when the result is not known for these arguments
 * (it then reads as 不明, without a message), or KIJUN_PLUGIN_DOMAIN_ERROR with
 * a message in Japanese and English when the arguments are outside its
 * domain; the form then gets an error message, as for a division by zero.
 *
 * Lifetime and threads. A loaded plugin is never unloaded. Every pointer in
 * the description must stay valid for the life of the process, and the
 * functions must be safe to call from several threads at once. A function
 * must not throw, unwind or longjmp out of the call.
 */
#ifndef KIJUN_PLUGIN_H
#define KIJUN_PLUGIN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Raised whenever the layout of anything below changes. `abi_version` stays
 * the first member of `struct kijun_plugin` in every version, so that a
 * mismatch can always be detected and refused. */
#define KIJUN_PLUGIN_ABI_VERSION 1

/* The one symbol a plugin exports. */
#define KIJUN_PLUGIN_ENTRY_SYMBOL "kijun_plugin_entry"

/* At most this many arguments per function. */
#define KIJUN_PLUGIN_MAX_ARGS 8

/* Size of each message buffer, including the terminating NUL. */
#define KIJUN_PLUGIN_MESSAGE_SIZE 256

/* What an argument or a result is. */
enum kijun_plugin_kind {
  /* A number; as an argument it also accepts integers. */
  KIJUN_PLUGIN_DECIMAL = 1,
  /* An integer (exact up to 2^53); as a result it must be integral. */
  KIJUN_PLUGIN_INTEGER = 2,
  /* A truth: `truth` is KIJUN_PLUGIN_FALSE or KIJUN_PLUGIN_TRUE. */
  KIJUN_PLUGIN_TRUTH = 3
};

/* Truth values (the engine's own encoding; unknown never reaches a function). */
enum kijun_plugin_truth { KIJUN_PLUGIN_FALSE = 0, KIJUN_PLUGIN_TRUE = 1, KIJUN_PLUGIN_UNKNOWN = 2 };

/* What a function call returns. */
enum kijun_plugin_status {
  KIJUN_PLUGIN_OK = 0,
  KIJUN_PLUGIN_NO_RESULT = 1,
  KIJUN_PLUGIN_DOMAIN_ERROR = 2
};

/* One argument or result. `number` is meaningful for DECIMAL and INTEGER,
 * `truth` for TRUTH. The engine sets the result to {0, KIJUN_PLUGIN_UNKNOWN, 0}
 * before each call. */
struct kijun_plugin_value {
  double number;
  int32_t truth;
  int32_t reserved; /* 0 */
};

/* A domain error's explanation, UTF-8, NUL-terminated (the engine empties
 * both before each call and reads at most KIJUN_PLUGIN_MESSAGE_SIZE bytes).
 * It becomes "「計算」の計算: 関数「name」: ja" / "calculation of 'x':
 * function 'name': en" on the form; name the argument and its value. */
struct kijun_plugin_message {
  char ja[KIJUN_PLUGIN_MESSAGE_SIZE];
  char en[KIJUN_PLUGIN_MESSAGE_SIZE];
};

/* A function: `args` holds `arg_count` known values, in the kinds declared. */
typedef int32_t (*kijun_plugin_call)(const struct kijun_plugin_value* args,
                                     struct kijun_plugin_value* result,
                                     struct kijun_plugin_message* message);

/* One function the plugin adds to the language. */
struct kijun_plugin_function {
  /* As written in rule files: an identifier of the language (letters, digits
   * and '_', not starting with a digit; UTF-8), unique across the builtins
   * and every loaded plugin. */
  const char* name;
  /* One line each, for documentation and editors. */
  const char* summary_ja;
  const char* summary_en;
  /* How to call it, e.g. "jspn_egfr_cystatin_c(シスタチンC)", shown in hints. */
  const char* usage;
  /* 0 .. KIJUN_PLUGIN_MAX_ARGS, and that many kinds. */
  int32_t arg_count;
  const int32_t* arg_kinds;
  /* NULL, or `arg_count` units ("cm", "mg/dL"); a NULL or "" unit is not
   * checked. The checker refuses an argument in a different unit. */
  const char* const* arg_units;
  int32_t result_kind;
  /* The result's unit, or NULL / "" for none. */
  const char* result_unit;
  /* 1 when the result depends only on the arguments (no state, no clock, no
   * files). Kijun promises the same judgment for the same form and rule
   * version, and may call a function several times per form (explanations
   * evaluate conditions again), so the checker warns about every call to a
   * function that is not pure. */
  int32_t pure;
  kijun_plugin_call call;
};

/* What `kijun_plugin_entry` returns. */
struct kijun_plugin {
  int32_t abi_version; /* KIJUN_PLUGIN_ABI_VERSION; always the first member */
  /* Letters, digits, '_' and '-'; unique among loaded plugins. */
  const char* name;
  /* The plugin's own version ("1.0.0"). "name@version" is part of the
   * content hash of every rule file that calls one of its functions, so
   * change it whenever any function's results change. */
  const char* version;
  int32_t function_count;
  const struct kijun_plugin_function* functions;
};

#if defined(__GNUC__)
#define KIJUN_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define KIJUN_PLUGIN_EXPORT
#endif

/* Defined by each plugin; called once, when the plugin is loaded. */
KIJUN_PLUGIN_EXPORT const struct kijun_plugin* kijun_plugin_entry(void);

typedef const struct kijun_plugin* (*kijun_plugin_entry_function)(void);

#ifdef __cplusplus
}
#endif

#endif /* KIJUN_PLUGIN_H */
