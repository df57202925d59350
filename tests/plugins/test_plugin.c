/*
 * Small native function plugins for tests/plugins/native_plugins_test.cc and
 * native_plugins_cli_test.sh, built from this one file (tests/CMakeLists.txt):
 * the working plugin "kijun_test" (in two versions, KIJUN_TEST_PLUGIN_VERSION)
 * whose functions exercise every kind, status and broken promise, and
 * variants that are each wrong in one way the loader must refuse.
 */

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plugins/kijun_plugin.h"

#ifndef KIJUN_TEST_PLUGIN_VERSION
#define KIJUN_TEST_PLUGIN_VERSION "1.0"
#endif

typedef struct kijun_plugin_value value;
typedef struct kijun_plugin_message message;

/* kt_even(integer) -> truth: whether the integer is even. */
static int32_t even(const value* args, value* result, message* m) {
  (void)m;
  result->truth = fmod(args[0].number, 2) == 0 ? KIJUN_PLUGIN_TRUE : KIJUN_PLUGIN_FALSE;
  return KIJUN_PLUGIN_OK;
}

/* kt_not(truth) -> truth. */
static int32_t negate(const value* args, value* result, message* m) {
  (void)m;
  result->truth = args[0].truth == KIJUN_PLUGIN_TRUE ? KIJUN_PLUGIN_FALSE : KIJUN_PLUGIN_TRUE;
  return KIJUN_PLUGIN_OK;
}

/* kt_sqrt(decimal "m2") -> decimal "m": a domain error below zero. */
static int32_t square_root(const value* args, value* result, message* m) {
  if (args[0].number < 0) {
    snprintf(m->ja, sizeof m->ja, "負の数 %g の平方根はありません", args[0].number);
    snprintf(m->en, sizeof m->en, "no square root of the negative number %g", args[0].number);
    return KIJUN_PLUGIN_DOMAIN_ERROR;
  }
  result->number = sqrt(args[0].number);
  return KIJUN_PLUGIN_OK;
}

/* kt_div(integer, integer) -> integer: floor division; no result by zero. */
static int32_t divide(const value* args, value* result, message* m) {
  (void)m;
  if (args[1].number == 0) return KIJUN_PLUGIN_NO_RESULT;
  result->number = floor(args[0].number / args[1].number);
  return KIJUN_PLUGIN_OK;
}

/* kt_half(integer) -> integer: breaks its promise for odd numbers. */
static int32_t half(const value* args, value* result, message* m) {
  (void)m;
  result->number = args[0].number / 2;
  return KIJUN_PLUGIN_OK;
}

/* kt_nan(decimal) -> decimal: always a NaN. */
static int32_t not_a_number(const value* args, value* result, message* m) {
  (void)args;
  (void)m;
  result->number = nan("");
  return KIJUN_PLUGIN_OK;
}

/* kt_status(decimal) -> decimal: a status the ABI does not define. */
static int32_t bad_status(const value* args, value* result, message* m) {
  (void)args;
  (void)result;
  (void)m;
  return 7;
}

/* kt_long(decimal) -> decimal: a domain error whose message fills the buffer
 * and is cut in the middle of a three-byte character. */
static int32_t long_message(const value* args, value* result, message* m) {
  size_t i;
  (void)args;
  (void)result;
  for (i = 0; i + 3 <= sizeof m->ja; i += 3) memcpy(m->ja + i, "あ", 3);
  m->ja[sizeof m->ja - 2] = (char)0xE3; /* a lead byte with its continuations cut off */
  m->ja[sizeof m->ja - 1] = '\0';
  snprintf(m->en, sizeof m->en, "long");
  return KIJUN_PLUGIN_DOMAIN_ERROR;
}

/* kt_impure(decimal) -> decimal: returns its argument, but says it is not pure. */
static int32_t identity(const value* args, value* result, message* m) {
  (void)m;
  result->number = args[0].number;
  return KIJUN_PLUGIN_OK;
}

static const int32_t kInteger[] = {KIJUN_PLUGIN_INTEGER};
static const int32_t kIntegers[] = {KIJUN_PLUGIN_INTEGER, KIJUN_PLUGIN_INTEGER};
static const int32_t kTruth[] = {KIJUN_PLUGIN_TRUTH};
static const int32_t kDecimal[] = {KIJUN_PLUGIN_DECIMAL};
static const int32_t kBadKind[] = {7};
static const char* const kSquareMetres[] = {"m2"};

#if defined(KIJUN_TEST_PLUGIN_DUPLICATE)
#define NAME "duplicate"
static const struct kijun_plugin_function kFunctions[] = {
    {"kt_dup", "一つめ", "first", "kt_dup(x)", 1, kDecimal, NULL, KIJUN_PLUGIN_DECIMAL, NULL, 1,
     identity},
    {"kt_dup", "二つめ", "second", "kt_dup(x)", 1, kDecimal, NULL, KIJUN_PLUGIN_DECIMAL, NULL, 1,
     identity},
};
#elif defined(KIJUN_TEST_PLUGIN_BUILTIN_CLASH)
#define NAME "builtin_clash"
static const struct kijun_plugin_function kFunctions[] = {
    {"round", "組み込みと同名", "named like a builtin", "round(x)", 1, kDecimal, NULL,
     KIJUN_PLUGIN_DECIMAL, NULL, 1, identity},
};
#elif defined(KIJUN_TEST_PLUGIN_TAKEN)
#define NAME "taken"
static const struct kijun_plugin_function kFunctions[] = {
    {"jspn_egfr_b2mg", "egfr_jp と同名", "named like egfr_jp's", "jspn_egfr_b2mg(x)", 1, kDecimal,
     NULL, KIJUN_PLUGIN_DECIMAL, NULL, 1, identity},
};
#elif defined(KIJUN_TEST_PLUGIN_BAD_KIND)
#define NAME "bad_kind"
static const struct kijun_plugin_function kFunctions[] = {
    {"kt_bad_kind", "種類が不正", "a bad kind", "kt_bad_kind(x)", 1, kBadKind, NULL,
     KIJUN_PLUGIN_DECIMAL, NULL, 1, identity},
};
#else
#define NAME "kijun_test"
static const struct kijun_plugin_function kFunctions[] = {
    {"kt_even", "偶数か", "whether an integer is even", "kt_even(n)", 1, kInteger, NULL,
     KIJUN_PLUGIN_TRUTH, NULL, 1, even},
    {"kt_not", "否定", "negation", "kt_not(c)", 1, kTruth, NULL, KIJUN_PLUGIN_TRUTH, NULL, 1,
     negate},
    {"kt_sqrt", "平方根", "square root", "kt_sqrt(面積)", 1, kDecimal, kSquareMetres,
     KIJUN_PLUGIN_DECIMAL, "m", 1, square_root},
    {"kt_div", "切り捨ての商", "floor division", "kt_div(a, b)", 2, kIntegers, NULL,
     KIJUN_PLUGIN_INTEGER, NULL, 1, divide},
    {"kt_half", "半分 (奇数では約束違反)", "half (breaks its promise for odd numbers)",
     "kt_half(n)", 1, kInteger, NULL, KIJUN_PLUGIN_INTEGER, NULL, 1, half},
    {"kt_nan", "NaN を返す", "returns a NaN", "kt_nan(x)", 1, kDecimal, NULL, KIJUN_PLUGIN_DECIMAL,
     NULL, 1, not_a_number},
    {"kt_status", "未定義の状態を返す", "returns an undefined status", "kt_status(x)", 1, kDecimal,
     NULL, KIJUN_PLUGIN_DECIMAL, NULL, 1, bad_status},
    {"kt_long", "長いメッセージ", "a long message", "kt_long(x)", 1, kDecimal, NULL,
     KIJUN_PLUGIN_DECIMAL, NULL, 1, long_message},
    {"kt_impure", "純粋でない", "not pure", "kt_impure(x)", 1, kDecimal, NULL, KIJUN_PLUGIN_DECIMAL,
     NULL, 0, identity},
};
#endif

#if !defined(KIJUN_TEST_PLUGIN_NO_ENTRY)
#if defined(KIJUN_TEST_PLUGIN_ABI_MISMATCH)
static const struct kijun_plugin kPlugin = {KIJUN_PLUGIN_ABI_VERSION + 1, "abi_mismatch", "1.0", 0,
                                            NULL};
#else
static const struct kijun_plugin kPlugin = {
    KIJUN_PLUGIN_ABI_VERSION, NAME, KIJUN_TEST_PLUGIN_VERSION,
    (int32_t)(sizeof kFunctions / sizeof kFunctions[0]), kFunctions};
#endif
const struct kijun_plugin* kijun_plugin_entry(void) { return &kPlugin; }
#else
/* Exports something, but not the entry. */
KIJUN_PLUGIN_EXPORT int kijun_not_the_entry(void);
int kijun_not_the_entry(void) { return 1; }
#endif
