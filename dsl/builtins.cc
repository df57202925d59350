#include "dsl/builtins.h"

namespace kijun::dsl {

const std::vector<Builtin>& Builtins() {
  static const std::vector<Builtin> kBuiltins = {
      {"sum", "合計", "sum of numbers or of a list",
       "sum(a, b, …) / sum(list) / sum(i in 1..N : 式)", true},
      {"count", "該当する数", "number of true conditions, or of group entries",
       "count(条件, …) / count(group) / count(i in 1..N : 条件)", true},
      {"avg", "平均", "average of numbers or of a list", "avg(a, b, …) / avg(list)", true},
      {"min", "最小値", "smallest value", "min(a, b, …)", true},
      {"max", "最大値", "largest value", "max(a, b, …)", true},
      {"any", "いずれかが該当", "true when any is true", "any(条件, …)", true},
      {"all", "すべて該当", "true when all are true", "all(条件, …)", true},
      {"round", "四捨五入", "round half away from zero to n decimal places", "round(x, 桁数)",
       false},
      {"floor", "切り捨て", "round down to an integer", "floor(x)", false},
      {"abs", "絶対値", "absolute value", "abs(x)", false},
      {"age", "満年齢", "completed years from a birth date to a date", "age(生年月日, 日付)",
       false},
      {"months_between", "経過月数", "whole months from one date or year-month to another",
       "months_between(開始, 終了)", false},
      {"add_months", "月の加算", "a year-month moved by n months", "add_months(年月, 月数)", false},
      {"year_month", "年月", "the year-month of a date", "year_month(日付)", false},
      {"variant", "様式の区分", "the form's variant (新規 / 更新) as text", "variant()", false},
      {"form_date", "記載日", "the date the form was written (the form's \"date\")", "form_date()",
       false},
      {"answered", "記入あり (未記入・不明なら不明)",
       "true when answered; unknown (never false) when missing or 不明", "answered(項目)", false},
      {"known", "記入あり", "true when the value is known (not missing, not 不明)", "known(項目)",
       false},
      {"contains", "選択あり", "true when a multiple choice includes an option",
       "contains(複数選択, \"ラベル\")", false},
  };
  return kBuiltins;
}

const Builtin* FindBuiltin(const std::string& name) {
  for (const auto& builtin : Builtins()) {
    if (name == builtin.name) return &builtin;
  }
  return nullptr;
}

std::vector<std::string> BuiltinNames() {
  std::vector<std::string> names;
  for (const auto& builtin : Builtins()) names.emplace_back(builtin.name);
  return names;
}

}  // namespace kijun::dsl
