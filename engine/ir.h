#pragma once

// The typed intermediate representation both executors consume: the
// reference interpreter here and the JIT. Names are resolved to slots, every
// node has its result kind, and every condition keeps the text it was
// written as, for explanations. Built by LowerToIr; immutable afterwards.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace kijun::engine::ir {

// What a value is at run time. Dates, year-months, choice codes and
// classification levels are numbers (see docs/language.md, "Values").
enum class ValueKind : uint8_t { kTruth, kNumber, kText, kList };

enum class Op : uint8_t {
  kNumber,        // number
  kText,          // text
  kTruth,         // number != 0
  kUnknownValue,  // 不明 of the node's kind
  kItem,          // slot = item
  kCalc,          // slot = calculation
  kLoopVar,       // slot = loop depth
  kQualifies,     // slot = classification: a qualifying level reached
  kLevelIs,       // slot = classification, number = level index
  kIndex,         // a[0] list, a[1] 1-based index
  kNeg,
  kNot,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kPow,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kIf,       // a[0] ? a[1] : a[2]
  kAtLeast,  // a[0] = k, then conditions
  kAnyOf,
  kAllOf,
  kCases,   // cond, value, cond, value, ..., else
  kLookup,  // slot = table; a[0] row, a[1] column
  kSum,
  kCount,
  kAvg,
  kMin,
  kMax,           // over operands, or over one list operand
  kCountEntries,  // slot = group: number of entries
  kLoop,          // loop_op over kLoopVar slot in a[0]..a[1] of a[2]
  kRound,         // number = places
  kFloor,
  kAbs,
  kAge,
  kMonthsBetweenDates,
  kMonthsBetweenYearMonths,
  kAddMonths,
  kAddMonthsToDate,
  kYearMonthOf,
  kKnown,
  kAnswered,  // true when known, unknown otherwise (never false)
  kVariant,   // the form's variant as text
  kFormDate,  // the form's date
  kContains,  // a[0] choices item, number = code
  kExternal,  // slot = RuleSet::externals: a plugin's function of the args
};

struct Node {
  Op op = Op::kNumber;
  ValueKind kind = ValueKind::kNumber;
  Op loop_op = Op::kSum;  // kLoop: which aggregate
  int slot = -1;
  double number = 0;
  std::string text;  // kText value; for conditions, the source text
  std::vector<Node> args;
  // Every item the node reads, directly or through calculations, sorted.
  std::vector<int> reads;
};

enum class ItemKind : uint8_t {
  kInteger,
  kDecimal,
  kAnswer,
  kYesNo,
  kChoice,
  kChoices,
  kDate,
  kYearMonth,
  kText,
  kList,
  kGroup
};

struct ChoiceOption {
  int64_t code = 0;
  std::string label;
  std::string label_en;
};

struct ItemSchema {
  ItemKind kind = ItemKind::kInteger;
  std::optional<double> min;
  std::optional<double> max;
  int places = 0;
  std::string unit;
  std::vector<ChoiceOption> options;
  int max_chars = 0;
  int max_lines = 0;
  int list_size = 0;
  ItemKind element = ItemKind::kInteger;   // lists: the element's schema is
  std::vector<ItemSchema> element_schema;  // element_schema[0]
};

struct Item {
  std::string name;
  std::string label;
  std::string label_en;
  std::string section;
  std::string only_variant;  // section only asked on this variant
  ItemSchema schema;
  bool required = false;
  std::vector<std::string> required_variants;  // empty = every variant
  std::optional<Node> asked_when;
  int group = -1;  // the group slot for items inside a repeated group
};

struct Group {
  std::string name;
  std::string label;
  int64_t min_entries = 0;
  int64_t max_entries = 0;
  std::vector<int> items;  // item slots of the group's columns
};

struct Calc {
  std::string name;
  std::string label;
  std::string label_en;
  ValueKind kind = ValueKind::kNumber;
  bool integer = false;
  int places = -1;  // decimal places to round to; -1 = not rounded
  std::string unit;
  Node expr;
};

struct Check {
  std::string name;
  bool is_error = true;
  std::string message_ja;
  std::string message_en;
  Node condition;
};

struct Level {
  std::string name;
  std::string label;
  std::string label_en;
  std::optional<Node> condition;  // none = otherwise
};

enum class ClassificationKind : uint8_t { kDiagnosis, kSeverity, kOutcome };

struct Classification {
  ClassificationKind kind = ClassificationKind::kDiagnosis;
  std::string name;
  std::string label;
  std::string label_en;
  std::vector<Level> levels;
  std::vector<bool> qualifying;  // per level
};

struct Table {
  std::string name;
  std::vector<std::string> rows;
  std::vector<std::string> columns;
  bool integer = false;
  std::vector<std::vector<std::string>> cells;
};

// What a plugin function gives (plugins/kijun_plugin.h); kDecimal and
// kInteger are numbers, kInteger results must be integral.
enum class ExternalKind : uint8_t { kDecimal, kInteger, kTruth };

// A native plugin's function that the rules call (see engine/external_call.h).
struct External {
  std::string name;      // as called in rule files
  std::string provider;  // "egfr_jp@1.0.0"
  // The name compiled code calls it by: the JIT defines it in each rule
  // set's JITDylib, so cached objects never hold a process's addresses.
  std::string symbol;
  ExternalKind result = ExternalKind::kDecimal;
  bool pure = true;
  // The plugin's kijun_plugin_call, opaque here.
  void (*entry)() = nullptr;
};

// One disease version (or a module run on its own), ready to execute.
struct RuleSet {
  bool is_module = false;
  std::string programme;
  std::string number;
  std::string name_ja;
  std::string name_en;
  std::optional<int64_t> revision;
  std::optional<int64_t> effective;  // days since 1970-01-01
  std::vector<std::string> variants;
  std::string content_hash;
  std::string path;

  std::vector<Item> items;
  std::vector<Group> groups;
  std::vector<Calc> calcs;  // in evaluation order
  std::vector<Check> checks;
  std::vector<Classification> classifications;  // in evaluation order
  std::vector<Table> tables;
  std::vector<External> externals;  // plugin functions called, by first use

  // "指定難病/6": how forms name the disease.
  std::string DiseaseKey() const { return programme + "/" + number; }
  int FindItem(const std::string& name) const;
  int FindCalc(const std::string& name) const;
  int FindClassification(const std::string& name) const;
};

}  // namespace kijun::engine::ir
