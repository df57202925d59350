#pragma once

// The syntax tree of one rule file, as the parser builds it. Passes annotate
// it in place (resolved symbols, types); nothing here evaluates anything.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsl/source_file.h"
#include "dsl/type.h"

namespace kijun::dsl {
struct ExternalFunction;
}  // namespace kijun::dsl

namespace kijun::dsl::ast {

struct Item;
struct Calc;
struct Classification;
struct Level;
struct Table;

// --------------------------------------------------------------- expressions

enum class ExprKind {
  kInteger,
  kDecimal,
  kString,
  kDate,       // integer_value = days since 1970-01-01
  kYearMonth,  // integer_value = year * 12 + (month - 1)
  kBoolean,
  kUnknown,  // 不明: a value not known, of whatever type its branch needs
  kName,     // an item, calculation, classification, level or loop variable
  kIndex,    // args[0][args[1]], 1-based
  kCall,     // name(args...)
  kLoop,     // name(var in args[0] .. args[1] : args[2])
  kNegate,
  kNot,
  kBinary,   // op in + - * / ^ = != < <= > >= and or
  kIf,       // args = condition, then, else
  kAtLeast,  // args[0] = k, rest = operands
  kAnyOf,
  kAllOf,
  kCases,   // args = cond0, value0, cond1, value1, ..., else
  kLookup,  // name = table, args = row, column
};

// What a name in an expression refers to, filled by resolve_names.
enum class SymbolKind { kUnresolved, kItem, kCalc, kClassification, kLevel, kLoopVariable };

struct Expr {
  ExprKind kind = ExprKind::kInteger;
  SourceLocation where;
  std::string text;  // the expression exactly as written, for explanations

  int64_t integer_value = 0;
  double decimal_value = 0;
  int decimal_places = 0;  // digits after the point in a decimal literal
  bool boolean_value = false;
  std::string string_value;
  std::string op;    // binary operator, or "and"/"or" spelled in English
  std::string name;  // kName, kCall, kLoop (function), kLookup (table)
  std::string loop_variable;
  std::vector<std::unique_ptr<Expr>> args;

  // Annotations.
  SymbolKind symbol = SymbolKind::kUnresolved;
  const Item* item = nullptr;
  const Calc* calc = nullptr;
  const Classification* classification = nullptr;
  const Level* level = nullptr;
  const Table* table = nullptr;
  const ExternalFunction* external = nullptr;  // kCall of a plugin's function
  int level_index = -1;
  Type type;
};
using ExprPtr = std::unique_ptr<Expr>;

// --------------------------------------------------------------- form schema

struct ChoiceOption {
  int64_t code = 0;
  std::string label;
  std::string label_en;
  SourceLocation where;
};

enum class ItemKind {
  kInteger,
  kDecimal,
  kAnswer,  // 1.該当 2.非該当 3.不明
  kYesNo,   // あり / なし / 不明
  kChoice,
  kChoices,  // multiple choice
  kDate,
  kYearMonth,
  kText,
  kList,
};

struct ItemType {
  ItemKind kind = ItemKind::kInteger;
  std::optional<double> min;
  std::optional<double> max;
  int places = 0;  // decimals
  std::string unit;
  std::vector<ChoiceOption> options;
  int max_chars = 0;                  // text
  int max_lines = 0;                  // text, 0 = no limit
  int list_size = 0;                  // list
  std::unique_ptr<ItemType> element;  // list
  SourceLocation where;
};

struct Section;
struct Group;

// A form item the physician fills in.
struct Item {
  std::string name;  // the item code or name used in rules: A-1, 年齢
  SourceLocation where;
  std::string label;
  std::string label_en;
  ItemType type;
  bool required = false;
  std::vector<std::string> required_variants;  // empty with required = all variants
  std::vector<SourceLocation> required_variant_where;
  SourceLocation required_where;
  ExprPtr asked_when;  // asked only when this holds
  const Section* section = nullptr;
  const Group* group = nullptr;
  std::string module;  // the module that declared it, "" for the disease file
  int index = -1;      // position in the program's item list
};

// A repeated group of items (e.g. 治療歴 rows). Entries are validated item by
// item; rules may count entries.
struct Group {
  std::string name;
  SourceLocation where;
  std::string label;
  std::string label_en;
  int64_t min_entries = 0;
  int64_t max_entries = 0;
  std::vector<std::unique_ptr<Item>> items;
  const Section* section = nullptr;
};

struct Section {
  std::string name;
  SourceLocation where;
  std::string label;
  std::string label_en;
  std::string only_variant;  // "" = every variant
  SourceLocation only_where;
  std::vector<std::unique_ptr<Item>> items;
  std::vector<std::unique_ptr<Group>> groups;
};

// --------------------------------------------------------------- rules

enum class CalcTypeKind { kInferred, kInteger, kDecimal, kBoolean, kText };

// An automatic calculation (自動計算).
struct Calc {
  std::string name;
  SourceLocation where;
  std::string label;
  std::string label_en;
  CalcTypeKind declared = CalcTypeKind::kInferred;
  int places = 0;
  std::string unit;
  SourceLocation type_where;
  ExprPtr expr;
  std::string module;
  int index = -1;
  Type type;  // after check_types
};

// A cross-item consistency check: `condition` must hold; when it is false
// the message is reported. Unknown conditions report nothing.
struct Check {
  std::string name;
  SourceLocation where;
  bool is_error = true;
  std::string message_ja;
  std::string message_en;
  ExprPtr condition;
  std::string module;
};

struct Level {
  std::string name;
  SourceLocation where;
  std::string label;
  std::string label_en;
  ExprPtr condition;  // null for `otherwise`
};

enum class ClassificationKind { kDiagnosis, kSeverity, kOutcome };

// Ordered levels; the first whose condition holds is the answer.
struct Classification {
  ClassificationKind kind = ClassificationKind::kDiagnosis;
  std::string name;
  SourceLocation where;
  std::string label;
  std::string label_en;
  std::vector<std::unique_ptr<Level>> levels;
  std::vector<std::string> qualifying;
  std::vector<SourceLocation> qualifying_where;
  std::vector<int> qualifying_indices;  // after resolve_names
  std::string module;
  int index = -1;
};

struct TableCell {
  std::string text;
  bool is_integer = false;
  int64_t integer = 0;
  SourceLocation where;
};

// A two-dimensional look-up table (e.g. the CKD heat map).
struct Table {
  std::string name;
  SourceLocation where;
  std::string label;
  std::vector<TableCell> rows;
  std::vector<TableCell> columns;
  std::vector<std::vector<TableCell>> cells;
  std::string module;
};

// --------------------------------------------------------------- tests

enum class LiteralKind { kInteger, kDecimal, kString, kDate, kYearMonth, kBoolean, kAnswer, kList };

struct Literal {
  LiteralKind kind = LiteralKind::kInteger;
  SourceLocation where;
  std::string text;
  int64_t integer = 0;  // also dates and year-months, as in Expr
  double decimal = 0;
  std::string string;  // strings; answers: 該当 非該当 不明 あり なし
  bool boolean = false;
  std::vector<Literal> elements;
};

struct Binding {
  std::string name;
  SourceLocation where;
  Literal value;
};

enum class ExpectationKind { kValue, kError, kWarning, kNoMessages, kInsufficient };

struct Expectation {
  ExpectationKind kind = ExpectationKind::kValue;
  SourceLocation where;
  std::string target;  // calc / classification / check / item name
  SourceLocation target_where;
  std::optional<Literal> value;  // a literal expected value
  std::string level;             // or a level name (or 不明)
  SourceLocation level_where;
  std::vector<std::string> deciding_items;  // kInsufficient
  std::vector<SourceLocation> deciding_where;
};

// A named example patient with the expected judgment.
struct TestCase {
  std::string name;
  SourceLocation where;
  std::string variant;
  SourceLocation variant_where;
  std::optional<int64_t> date;  // days since 1970-01-01
  std::vector<Binding> given;
  std::vector<Expectation> expectations;
};

// --------------------------------------------------------------- files

struct Source {
  std::string document;
  std::string url;
  std::optional<int64_t> dated;
  SourceLocation where;
};

struct Import {
  std::string path;  // as written, relative to the importing file's folder
  SourceLocation where;
  std::string resolved_path;
};

struct Comment {
  uint32_t line = 0;
  std::string text;  // including the leading '#'
  bool own_line = true;
};

// One parsed `.kijun` file: a disease or a shared module.
struct RuleFile {
  const SourceFile* source = nullptr;
  bool is_module = false;
  SourceLocation header_where;
  std::string programme;  // 指定難病 / 小慢 (diseases only)
  std::string number;     // 告示番号 (指定難病 6) or the 小慢 code ("11_27_080")
  std::string module_name;
  std::string name_ja;
  std::string name_en;
  std::optional<int64_t> revision;
  std::optional<int64_t> effective;  // days since 1970-01-01
  std::vector<Source> sources;
  std::vector<std::string> variants;  // e.g. 新規, 更新
  std::vector<SourceLocation> variant_where;
  std::vector<Import> imports;
  std::vector<std::unique_ptr<Section>> sections;
  std::vector<std::unique_ptr<Calc>> calcs;
  std::vector<std::unique_ptr<Check>> checks;
  std::vector<std::unique_ptr<Classification>> classifications;
  std::vector<std::unique_ptr<Table>> tables;
  std::vector<TestCase> tests;
  std::vector<Comment> comments;
  // Order of top-level declarations as written, for `kijun fmt`.
  enum class DeclKind { kSection, kCalc, kCheck, kClassification, kTable, kTest };
  std::vector<std::pair<DeclKind, size_t>> order;
  std::vector<uint32_t> order_lines;
  std::vector<uint32_t> order_end_lines;  // the line of each declaration's last token
};

}  // namespace kijun::dsl::ast
