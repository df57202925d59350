#pragma once

#include <string>

namespace kijun::dsl {

namespace ast {
struct Item;
struct Classification;
}  // namespace ast

enum class TypeKind {
  kError,  // already reported; suppresses follow-on errors
  kTruth,  // true / false / unknown (answers and yes/no read as truths)
  kInteger,
  kDecimal,
  kText,
  kDate,
  kYearMonth,
  kChoice,   // a single-choice item: compares with its codes or labels
  kChoices,  // a multiple-choice item: use contains()
  kList,     // a fixed-size list item
  kLevel,    // a classification: compares with its level names
  kGroup,    // a repeated group: count entries with count()
};

// The static type of an expression. Numbers carry a unit ("" = none).
struct Type {
  TypeKind kind = TypeKind::kError;
  std::string unit;
  const ast::Item* choice_item = nullptr;               // kChoice, kChoices
  const ast::Classification* classification = nullptr;  // kLevel
  TypeKind element = TypeKind::kError;                  // kList
  int list_size = 0;                                    // kList

  static Type Of(TypeKind kind, std::string unit = {}) {
    Type t;
    t.kind = kind;
    t.unit = std::move(unit);
    return t;
  }
  bool IsNumber() const { return kind == TypeKind::kInteger || kind == TypeKind::kDecimal; }
  bool IsError() const { return kind == TypeKind::kError; }
};

// The type's name in Japanese and English, for diagnostics.
std::string TypeNameJa(const Type& type);
std::string TypeNameEn(const Type& type);

}  // namespace kijun::dsl
