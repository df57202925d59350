#include "dsl/type.h"

namespace kijun::dsl {

namespace {

// "?" marks a derived unit (a product or power of measurements): not shown.
std::string WithUnit(const std::string& name, const std::string& unit) {
  return unit.empty() || unit == "?" ? name : name + " (" + unit + ")";
}

}  // namespace

std::string TypeNameJa(const Type& type) {
  switch (type.kind) {
    case TypeKind::kError:
      return "不正";
    case TypeKind::kTruth:
      return "真偽 (該当/非該当/不明)";
    case TypeKind::kInteger:
      return WithUnit("整数", type.unit);
    case TypeKind::kDecimal:
      return WithUnit("小数", type.unit);
    case TypeKind::kText:
      return "文字列";
    case TypeKind::kDate:
      return "日付";
    case TypeKind::kYearMonth:
      return "年月";
    case TypeKind::kChoice:
      return "選択肢";
    case TypeKind::kChoices:
      return "複数選択";
    case TypeKind::kList:
      return "リスト";
    case TypeKind::kLevel:
      return "区分";
    case TypeKind::kGroup:
      return "繰り返しグループ";
  }
  return "?";
}

std::string TypeNameEn(const Type& type) {
  switch (type.kind) {
    case TypeKind::kError:
      return "invalid";
    case TypeKind::kTruth:
      return "truth value";
    case TypeKind::kInteger:
      return WithUnit("integer", type.unit);
    case TypeKind::kDecimal:
      return WithUnit("decimal", type.unit);
    case TypeKind::kText:
      return "text";
    case TypeKind::kDate:
      return "date";
    case TypeKind::kYearMonth:
      return "year-month";
    case TypeKind::kChoice:
      return "choice";
    case TypeKind::kChoices:
      return "multiple choice";
    case TypeKind::kList:
      return "list";
    case TypeKind::kLevel:
      return "classification level";
    case TypeKind::kGroup:
      return "repeated group";
  }
  return "?";
}

}  // namespace kijun::dsl
