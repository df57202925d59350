/*
 * egfr_jp: the pediatric eGFR formulas of the Japanese Society for Pediatric
 * Nephrology (日本小児腎臓病学会) as native Kijun functions (the plugin ABI of
 * plugins/kijun_plugin.h).
 *
 * Source, the same as the rule module diseases/scales/shoni_egfr.kijun
 * (its `source` line): 日本小児腎臓病学会 小児の eGFR 計算式,
 * http://www.jspn.jp/sonota/shizai.html
 *
 * The formulas, exactly as that module writes them (H = height in metres):
 *   reference serum creatinine (基準血清クレアチニン, mg/dL)
 *     boys  (男児) −1.259H⁵ + 7.815H⁴ − 18.57H³ + 21.39H² − 11.71H + 2.628
 *     girls (女児) −4.536H⁵ + 27.16H⁴ − 63.47H³ + 72.43H² − 40.06H + 8.778
 *   eGFR(Cr)   = 110.2 × (reference Cr / serum Cr) + 2.93   (2 to 18 years)
 *   eGFR(CysC) = 104.1 / cystatin C − 7.80                   (1 month to 18 years)
 *   eGFR(β2MG) = 149.0 / β2-microglobulin + 9.15
 * The module has no correction below 2 years (none is published) and warns
 * in a check; these functions take no age, so that check stays in the rule
 * file. A sex other than male or female has no reference formula: the rule
 * file then passes 不明, and the engine does not call the function.
 *
 * Arithmetic. Each function performs the operations Kijun's interpreter
 * performs for the module's expression, in the same order, so that both
 * give the same doubles (and a calculation rounds them the same way): a / b
 * is a × (1 / b) and products follow engine/interval_math.cc (Divide,
 * Multiply), powers call the C library's pow (built with -fno-builtin, so the
 * compiler does not turn pow(h, 2) into h × h), sums go from the left, and no
 * multiply-add is fused (-ffp-contract=off).
 *
 * Domain: every argument must be a finite number greater than 0 (heights,
 * concentrations); anything else is a domain error, never a NaN. This is the
 * one place where the plugin differs from the module: far above children's
 * heights (girls above about 200 cm, boys above about 240 cm; the form's
 * item allows up to 250 cm) the polynomials give a reference of zero or
 * less, from which the module computes an eGFR(Cr) of 2.93 or less, while
 * jspn_egfr_creatinine refuses that reference as a domain error.
 */

#include <math.h>
#include <stdio.h>

#include "plugins/kijun_plugin.h"

/* A product of two exact values as the engine computes it (a zero factor
 * gives zero, even against an infinity). */
static double times(double a, double b) { return a == 0 || b == 0 ? 0 : a * b; }

/* a / b as the engine computes it for exact values: a × (1 / b). */
static double quotient(double a, double b) { return times(a, 1 / b); }

/* Refuses a non-positive or non-finite argument with a bilingual message. */
static int positive(double value, const char* what_ja, const char* what_en, const char* unit,
                    struct kijun_plugin_message* message) {
  if (isfinite(value) && value > 0) return 1;
  snprintf(message->ja, sizeof message->ja, "%s %g %s は 0 より大きい値でなければなりません",
           what_ja, value, unit);
  snprintf(message->en, sizeof message->en, "%s %g %s must be greater than 0", what_en, value,
           unit);
  return 0;
}

/* The module's polynomial in H = height / 100, term by term from the left:
 * c5 × H⁵ + c4 × H⁴ − m3 × H³ + c2 × H² − m1 × H + c0. */
static double reference_creatinine(double height_cm, double c5, double c4, double m3, double c2,
                                   double m1, double c0) {
  double h = quotient(height_cm, 100);
  double sum = times(c5, pow(h, 5));
  sum = sum + times(c4, pow(h, 4));
  sum = sum - times(m3, pow(h, 3));
  sum = sum + times(c2, pow(h, 2));
  sum = sum - times(m1, h);
  return sum + c0;
}

static int32_t ref_creatinine_male(const struct kijun_plugin_value* args,
                                   struct kijun_plugin_value* result,
                                   struct kijun_plugin_message* message) {
  if (!positive(args[0].number, "身長", "height", "cm", message)) return KIJUN_PLUGIN_DOMAIN_ERROR;
  result->number = reference_creatinine(args[0].number, -1.259, 7.815, 18.57, 21.39, 11.71, 2.628);
  return KIJUN_PLUGIN_OK;
}

static int32_t ref_creatinine_female(const struct kijun_plugin_value* args,
                                     struct kijun_plugin_value* result,
                                     struct kijun_plugin_message* message) {
  if (!positive(args[0].number, "身長", "height", "cm", message)) return KIJUN_PLUGIN_DOMAIN_ERROR;
  result->number = reference_creatinine(args[0].number, -4.536, 27.16, 63.47, 72.43, 40.06, 8.778);
  return KIJUN_PLUGIN_OK;
}

static int32_t egfr_creatinine(const struct kijun_plugin_value* args,
                               struct kijun_plugin_value* result,
                               struct kijun_plugin_message* message) {
  if (!positive(args[0].number, "基準血清クレアチニン", "reference serum creatinine", "mg/dL",
                message) ||
      !positive(args[1].number, "血清クレアチニン", "serum creatinine", "mg/dL", message)) {
    return KIJUN_PLUGIN_DOMAIN_ERROR;
  }
  result->number = times(110.2, quotient(args[0].number, args[1].number)) + 2.93;
  return KIJUN_PLUGIN_OK;
}

static int32_t egfr_cystatin_c(const struct kijun_plugin_value* args,
                               struct kijun_plugin_value* result,
                               struct kijun_plugin_message* message) {
  if (!positive(args[0].number, "血清シスタチンC", "serum cystatin C", "mg/L", message)) {
    return KIJUN_PLUGIN_DOMAIN_ERROR;
  }
  result->number = quotient(104.1, args[0].number) - 7.80;
  return KIJUN_PLUGIN_OK;
}

static int32_t egfr_b2mg(const struct kijun_plugin_value* args, struct kijun_plugin_value* result,
                         struct kijun_plugin_message* message) {
  if (!positive(args[0].number, "血清β2ミクログロブリン", "serum beta-2 microglobulin", "mg/L",
                message)) {
    return KIJUN_PLUGIN_DOMAIN_ERROR;
  }
  result->number = quotient(149.0, args[0].number) + 9.15;
  return KIJUN_PLUGIN_OK;
}

static const int32_t kOneNumber[] = {KIJUN_PLUGIN_DECIMAL};
static const int32_t kTwoNumbers[] = {KIJUN_PLUGIN_DECIMAL, KIJUN_PLUGIN_DECIMAL};
static const char* const kHeightUnit[] = {"cm"};
static const char* const kCreatinineUnits[] = {"mg/dL", "mg/dL"};
static const char* const kSerumUnit[] = {"mg/L"};

static const struct kijun_plugin_function kFunctions[] = {
    {"jspn_ref_creatinine_male", "基準血清クレアチニン (男児、身長から、日本小児腎臓病学会)",
     "reference serum creatinine of boys from height (JSPN)", "jspn_ref_creatinine_male(身長)", 1,
     kOneNumber, kHeightUnit, KIJUN_PLUGIN_DECIMAL, "mg/dL", 1, ref_creatinine_male},
    {"jspn_ref_creatinine_female", "基準血清クレアチニン (女児、身長から、日本小児腎臓病学会)",
     "reference serum creatinine of girls from height (JSPN)", "jspn_ref_creatinine_female(身長)",
     1, kOneNumber, kHeightUnit, KIJUN_PLUGIN_DECIMAL, "mg/dL", 1, ref_creatinine_female},
    {"jspn_egfr_creatinine", "小児の eGFR (クレアチニン、2 歳以上 18 歳以下)",
     "pediatric eGFR from creatinine (2 to 18 years)",
     "jspn_egfr_creatinine(基準クレアチニン, 血清クレアチニン)", 2, kTwoNumbers, kCreatinineUnits,
     KIJUN_PLUGIN_DECIMAL, "mL/分/1.73m²", 1, egfr_creatinine},
    {"jspn_egfr_cystatin_c", "小児の eGFR (シスタチンC、1 か月〜18 歳)",
     "pediatric eGFR from cystatin C (1 month to 18 years)", "jspn_egfr_cystatin_c(シスタチンC)", 1,
     kOneNumber, kSerumUnit, KIJUN_PLUGIN_DECIMAL, "mL/分/1.73m²", 1, egfr_cystatin_c},
    {"jspn_egfr_b2mg", "小児の eGFR (β2ミクログロブリン)",
     "pediatric eGFR from beta-2 microglobulin", "jspn_egfr_b2mg(β2ミクログロブリン)", 1,
     kOneNumber, kSerumUnit, KIJUN_PLUGIN_DECIMAL, "mL/分/1.73m²", 1, egfr_b2mg},
};

static const struct kijun_plugin kPlugin = {KIJUN_PLUGIN_ABI_VERSION, "egfr_jp", "1.0.0",
                                            (int32_t)(sizeof kFunctions / sizeof kFunctions[0]),
                                            kFunctions};

const struct kijun_plugin* kijun_plugin_entry(void) { return &kPlugin; }
