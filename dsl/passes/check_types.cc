// check_types: gives every expression a type and a unit, and checks that
// operators, functions, conditions, calculations and test values fit them.

#include <algorithm>
#include <cmath>
#include <optional>

#include "dsl/builtins.h"
#include "dsl/external_functions.h"
#include "dsl/pass.h"

namespace kijun::dsl {

namespace {

Type ItemValueType(const ast::ItemType& t) {
  switch (t.kind) {
    case ast::ItemKind::kInteger:
      return Type::Of(TypeKind::kInteger, t.unit);
    case ast::ItemKind::kDecimal:
      return Type::Of(TypeKind::kDecimal, t.unit);
    case ast::ItemKind::kAnswer:
    case ast::ItemKind::kYesNo:
      return Type::Of(TypeKind::kTruth);
    case ast::ItemKind::kChoice:
      return Type::Of(TypeKind::kChoice);
    case ast::ItemKind::kChoices:
      return Type::Of(TypeKind::kChoices);
    case ast::ItemKind::kDate:
      return Type::Of(TypeKind::kDate);
    case ast::ItemKind::kYearMonth:
      return Type::Of(TypeKind::kYearMonth);
    case ast::ItemKind::kText:
      return Type::Of(TypeKind::kText);
    case ast::ItemKind::kList: {
      Type list = Type::Of(TypeKind::kList);
      if (t.element) {
        Type element = ItemValueType(*t.element);
        list.element = element.kind;
        list.unit = element.unit;
      }
      list.list_size = t.list_size;
      return list;
    }
  }
  return {};
}

// Choice codes are ordinal grades on the forms (mRS 0..5, Barthel points),
// so choices take part in comparisons, sums and arithmetic as integers.
bool IsNumeric(const Type& t) { return t.IsNumber() || t.kind == TypeKind::kChoice; }

// The unit of a product, quotient or power of measurements: the language does
// not do unit algebra, so such values are left unchecked.
constexpr const char* kDerivedUnit = "?";

class CheckTypes : public Pass {
 public:
  std::string_view name() const override { return "check_types"; }

  void Run(Program& program, Diagnostics& diagnostics) override {
    program_ = &program;
    d_ = &diagnostics;
    for (auto* item : program.items) CheckItem(*item);
    for (auto* group : program.groups) {
      if (group->min_entries > group->max_entries) {
        d_->Error(group->where, "K323",
                  "繰り返しの回数の下限 (" + std::to_string(group->min_entries) + ") が上限 (" +
                      std::to_string(group->max_entries) + ") より大きくなっています",
                  "group '" + group->name + "' repeats at least " +
                      std::to_string(group->min_entries) + " but at most " +
                      std::to_string(group->max_entries) + " times",
                  "「repeat 下限..上限」の順に書いてください", "write repeat min..max");
      }
    }
    for (auto* calc : program.calc_order) CheckCalc(*calc);
    for (auto* check : program.checks) {
      if (check->condition) ExpectTruth(*check->condition, "チェック", "check");
    }
    for (auto* c : program.classifications) {
      for (auto& level : c->levels) {
        if (level->condition) ExpectTruth(*level->condition, "区分の条件", "level condition");
      }
    }
    for (auto* t : program.tables) CheckTable(*t);
    for (auto* file : program.AllFiles()) {
      for (auto& test : file->tests) CheckTest(test);
    }
  }

 private:
  void Mismatch(const SourceLocation& where, const std::string& what_ja, const std::string& what_en,
                const Type& got, const std::string& want_ja, const std::string& want_en) {
    std::string hint_ja, hint_en;
    if (got.kind == TypeKind::kTruth && want_en.find("number") != std::string::npos) {
      hint_ja = "該当の数を数えるには count(…) を使ってください";
      hint_en = "count the items that hold with count(…)";
    } else if (got.kind == TypeKind::kChoice && want_en.find("multiple") != std::string::npos) {
      hint_ja = "単一選択は「項目 = \"ラベル\"」で比べます";
      hint_en = "compare a single choice with 'item = \"label\"'";
    }
    d_->Error(where, "K310",
              what_ja + "には" + want_ja + "が必要ですが、" + TypeNameJa(got) + "です",
              what_en + " needs " + want_en + " but this is " + TypeNameEn(got), hint_ja, hint_en);
  }

  void ExpectTruth(ast::Expr& e, const std::string& what_ja, const std::string& what_en) {
    Type t = Infer(e);
    if (t.IsError() || t.kind == TypeKind::kTruth) return;
    std::string hint_ja, hint_en;
    if (t.kind == TypeKind::kLevel) {
      // A classification used as a condition means "a qualifying level is reached".
      return;
    }
    if (t.IsNumber()) {
      hint_ja = "「" + e.text + " >= 3」のように比較してください";
      hint_en = "compare it, e.g. '" + e.text + " >= 3'";
    }
    d_->Error(e.where, "K311",
              what_ja + "は該当/非該当で判定できる式でなければなりません (" + TypeNameJa(t) + ")",
              what_en + " must be a condition (true/false), not " + TypeNameEn(t), hint_ja,
              hint_en);
  }

  void CheckItem(ast::Item& item) {
    const ast::ItemType& t = item.type;
    if (t.min && t.max && *t.min > *t.max) {
      d_->Error(t.where, "K312", "範囲の下限が上限より大きくなっています",
                "range minimum is greater than its maximum", "「下限..上限」の順に書いてください",
                "write the range as min..max");
    }
    if (t.kind == ast::ItemKind::kInteger &&
        ((t.min && std::floor(*t.min) != *t.min) || (t.max && std::floor(*t.max) != *t.max))) {
      d_->Error(t.where, "K313", "整数の項目の範囲に小数が書かれています",
                "an integer item's range has a decimal bound",
                "小数を扱うなら decimal(桁数) にしてください",
                "use decimal(places) for decimal values");
    }
    if ((t.kind == ast::ItemKind::kChoice || t.kind == ast::ItemKind::kChoices)) {
      for (size_t i = 0; i < t.options.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          bool same_code = t.options[i].code == t.options[j].code;
          if (same_code || t.options[i].label == t.options[j].label) {
            std::string what = same_code ? "コード " + std::to_string(t.options[i].code)
                                         : "ラベル「" + t.options[i].label + "」";
            std::string what_en = same_code ? "code " + std::to_string(t.options[i].code)
                                            : "label '" + t.options[i].label + "'";
            d_->Error(t.options[i].where, "K314", "選択肢の" + what + "が重複しています",
                      "choice option " + what_en + " appears twice",
                      "最初の選択肢: " + std::to_string(t.options[j].where.line) + " 行 " +
                          std::to_string(t.options[j].where.column) + " 列",
                      "first at line " + std::to_string(t.options[j].where.line) + ", column " +
                          std::to_string(t.options[j].where.column));
          }
        }
      }
    }
    if (t.kind == ast::ItemKind::kList) {
      if (t.list_size <= 0 || t.list_size > 1000) {
        d_->Error(t.where, "K315", "リストの長さは 1〜1000 にしてください",
                  "a list must have 1 to 1000 elements");
      }
      if (t.element &&
          (t.element->kind == ast::ItemKind::kList || t.element->kind == ast::ItemKind::kChoices)) {
        d_->Error(t.where, "K316", "リストの要素にリストや複数選択は使えません",
                  "a list's elements cannot be lists or multiple choices");
      }
    }
    if (t.kind == ast::ItemKind::kText && t.max_chars <= 0) {
      d_->Error(t.where, "K317", "文字数の上限は 1 以上にしてください",
                "a text's maximum length must be at least 1");
    }
    if (t.kind == ast::ItemKind::kDecimal && t.places > 9) {
      d_->Error(t.where, "K322", "小数の桁数は 0〜9 にしてください",
                "decimal places must be 0 to 9");
    }
    if (item.asked_when)
      ExpectTruth(*item.asked_when, "記入条件 (when)", "an asked-when condition");
  }

  void CheckCalc(ast::Calc& calc) {
    if (!calc.expr) return;
    Type t = Infer(*calc.expr);
    if (t.IsError()) {
      calc.type = t;
      return;
    }
    auto reject = [&](const std::string& want_ja, const std::string& want_en,
                      const std::string& hint_ja, const std::string& hint_en) {
      d_->Error(calc.expr->where, "K318",
                "計算「" + calc.name + "」は" + want_ja + "と宣言されていますが、式は" +
                    TypeNameJa(t) + "です",
                "calculation '" + calc.name + "' is declared " + want_en +
                    " but its expression is " + TypeNameEn(t),
                hint_ja, hint_en);
    };
    switch (calc.declared) {
      case ast::CalcTypeKind::kInferred:
        if (t.kind == TypeKind::kDecimal) {
          d_->Error(calc.where, "K319",
                    "小数になる計算「" + calc.name + "」には桁数の宣言が必要です",
                    "calculation '" + calc.name + "' gives a decimal; declare its places",
                    "「calc " + calc.name + " : decimal(1) = ...」のように書いてください",
                    "write 'calc " + calc.name + " : decimal(1) = ...'");
        }
        if (t.kind != TypeKind::kInteger && t.kind != TypeKind::kDecimal &&
            t.kind != TypeKind::kTruth && t.kind != TypeKind::kText && t.kind != TypeKind::kDate &&
            t.kind != TypeKind::kYearMonth) {
          reject("値", "a value", "", "");
        }
        calc.type = t;
        return;
      case ast::CalcTypeKind::kInteger:
        if (t.kind != TypeKind::kInteger) {
          reject("整数", "integer", "round() で丸めるか decimal(桁数) と宣言してください",
                 "round() it or declare decimal(places)");
        }
        calc.type = Type::Of(TypeKind::kInteger, !calc.unit.empty()       ? calc.unit
                                                 : t.unit == kDerivedUnit ? ""
                                                                          : t.unit);
        break;
      case ast::CalcTypeKind::kDecimal:
        if (!t.IsNumber()) reject("小数", "decimal", "", "");
        calc.type = Type::Of(TypeKind::kDecimal, !calc.unit.empty()       ? calc.unit
                                                 : t.unit == kDerivedUnit ? ""
                                                                          : t.unit);
        break;
      case ast::CalcTypeKind::kBoolean:
        if (t.kind != TypeKind::kTruth) reject("真偽", "boolean", "", "");
        calc.type = Type::Of(TypeKind::kTruth);
        return;
      case ast::CalcTypeKind::kText:
        if (t.kind != TypeKind::kText) reject("文字列", "text", "", "");
        calc.type = Type::Of(TypeKind::kText);
        return;
    }
    if (!calc.unit.empty() && !t.unit.empty() && t.unit != kDerivedUnit && calc.unit != t.unit) {
      d_->Error(calc.type_where, "K320",
                "計算「" + calc.name + "」の単位「" + calc.unit + "」が式の単位「" + t.unit +
                    "」と違います",
                "calculation '" + calc.name + "' is declared in '" + calc.unit +
                    "' but its expression is in '" + t.unit + "'",
                "単位をそろえてください", "make the units agree");
    }
  }

  void CheckTable(ast::Table& t) {
    for (const auto& row : t.cells) {
      if (row.size() != t.columns.size()) {
        d_->Error(row.empty() ? t.where : row.front().where, "K321",
                  "表「" + t.name + "」の行の要素数 (" + std::to_string(row.size()) +
                      ") が列の数 (" + std::to_string(t.columns.size()) + ") と違います",
                  "a row of table '" + t.name + "' has " + std::to_string(row.size()) +
                      " cells but there are " + std::to_string(t.columns.size()) + " columns");
      }
    }
    if (t.cells.size() != t.rows.size()) {
      d_->Error(t.where, "K321",
                "表「" + t.name + "」の行数 (" + std::to_string(t.cells.size()) +
                    ") が rows の数 (" + std::to_string(t.rows.size()) + ") と違います",
                "table '" + t.name + "' has " + std::to_string(t.cells.size()) +
                    " rows but declares " + std::to_string(t.rows.size()));
    }
  }

  // Units must agree when both sides have one. A derived unit ("?", from
  // products, quotients and powers of measurements) is not checked.
  bool SameUnit(const Type& a, const Type& b, const ast::Expr& e) {
    if (a.unit.empty() || b.unit.empty() || a.unit == b.unit) return true;
    if (a.unit == kDerivedUnit || b.unit == kDerivedUnit) return true;
    d_->Error(
        e.where, "K330",
        "単位が違う値を「" + e.op + "」で組み合わせています: 「" + a.unit + "」と「" + b.unit +
            "」",
        "'" + e.op + "' combines values in different units: '" + a.unit + "' and '" + b.unit + "'",
        "同じ単位に換算してから計算してください", "convert to one unit first");
    return false;
  }

  Type Numeric(const Type& a, const Type& b) {
    if (!a.IsNumber() && !b.IsNumber()) return Type::Of(TypeKind::kInteger);
    TypeKind kind = a.kind == TypeKind::kDecimal || b.kind == TypeKind::kDecimal
                        ? TypeKind::kDecimal
                        : TypeKind::kInteger;
    return Type::Of(kind, a.unit.empty() ? b.unit : a.unit);
  }

  Type Set(ast::Expr& e, Type t) {
    e.type = t;
    return t;
  }

  Type Error(ast::Expr& e) { return Set(e, Type::Of(TypeKind::kError)); }

  Type Infer(ast::Expr& e) {
    switch (e.kind) {
      case ast::ExprKind::kInteger:
        return Set(e, Type::Of(TypeKind::kInteger));
      case ast::ExprKind::kDecimal:
        return Set(e, Type::Of(TypeKind::kDecimal));
      case ast::ExprKind::kString:
        return Set(e, Type::Of(TypeKind::kText));
      case ast::ExprKind::kDate:
        return Set(e, Type::Of(TypeKind::kDate));
      case ast::ExprKind::kYearMonth:
        return Set(e, Type::Of(TypeKind::kYearMonth));
      case ast::ExprKind::kBoolean:
      case ast::ExprKind::kUnknown:  // a truth unless a branch gives it another type
        return Set(e, Type::Of(TypeKind::kTruth));
      case ast::ExprKind::kName:
        return InferName(e);
      case ast::ExprKind::kIndex:
        return InferIndex(e);
      case ast::ExprKind::kNegate: {
        Type t = Infer(*e.args[0]);
        if (t.IsError()) return Error(e);
        if (!t.IsNumber()) {
          Mismatch(e.where, "「-」", "'-'", t, "数値", "a number");
          return Error(e);
        }
        return Set(e, t);
      }
      case ast::ExprKind::kNot: {
        ExpectTruth(*e.args[0], "「not」の対象", "'not'");
        return Set(e, Type::Of(TypeKind::kTruth));
      }
      case ast::ExprKind::kBinary:
        return InferBinary(e);
      case ast::ExprKind::kIf: {
        ExpectTruth(*e.args[0], "if の条件", "an if condition");
        return Unify(e, {e.args[1].get(), e.args[2].get()});
      }
      case ast::ExprKind::kAtLeast: {
        Type k = Infer(*e.args[0]);
        if (!k.IsError() && k.kind != TypeKind::kInteger) {
          Mismatch(e.args[0]->where, "at least の個数", "'at least'", k, "整数", "an integer");
        }
        for (size_t i = 1; i < e.args.size(); ++i) {
          ExpectTruth(*e.args[i], "at least の各条件", "each 'at least' operand");
        }
        return Set(e, Type::Of(TypeKind::kTruth));
      }
      case ast::ExprKind::kAnyOf:
      case ast::ExprKind::kAllOf:
        for (auto& arg : e.args) ExpectTruth(*arg, "各条件", "each operand");
        return Set(e, Type::Of(TypeKind::kTruth));
      case ast::ExprKind::kCases: {
        std::vector<ast::Expr*> values;
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
          ExpectTruth(*e.args[i], "cases の条件", "a cases condition");
          values.push_back(e.args[i + 1].get());
        }
        values.push_back(e.args.back().get());
        return Unify(e, values);
      }
      case ast::ExprKind::kLookup:
        return InferLookup(e);
      case ast::ExprKind::kCall:
        return InferCall(e);
      case ast::ExprKind::kLoop:
        return InferLoop(e);
    }
    return Error(e);
  }

  Type InferName(ast::Expr& e) {
    switch (e.symbol) {
      case ast::SymbolKind::kItem:
        if (e.item == nullptr) {
          Type group = Type::Of(TypeKind::kGroup);
          return Set(e, group);
        } else {
          Type t = ItemValueType(e.item->type);
          t.choice_item = e.item;
          return Set(e, t);
        }
      case ast::SymbolKind::kCalc:
        return Set(e, e.calc->type);
      case ast::SymbolKind::kClassification: {
        Type t = Type::Of(TypeKind::kLevel);
        t.classification = e.classification;
        return Set(e, t);
      }
      case ast::SymbolKind::kLevel: {
        Type t = Type::Of(TypeKind::kLevel);
        t.classification = e.classification;
        return Set(e, t);
      }
      case ast::SymbolKind::kLoopVariable:
        return Set(e, Type::Of(TypeKind::kInteger));
      case ast::SymbolKind::kUnresolved:
        return Error(e);
    }
    return Error(e);
  }

  Type InferIndex(ast::Expr& e) {
    Type list = Infer(*e.args[0]);
    Type index = Infer(*e.args[1]);
    if (list.IsError() || index.IsError()) return Error(e);
    if (list.kind != TypeKind::kList) {
      Mismatch(e.args[0]->where, "添字 [ ]", "indexing", list, "リスト項目", "a list item");
      return Error(e);
    }
    if (index.kind != TypeKind::kInteger) {
      Mismatch(e.args[1]->where, "添字", "an index", index, "整数", "an integer");
      return Error(e);
    }
    std::optional<int64_t> literal;
    if (e.args[1]->kind == ast::ExprKind::kInteger) literal = e.args[1]->integer_value;
    if (e.args[1]->kind == ast::ExprKind::kNegate &&
        e.args[1]->args[0]->kind == ast::ExprKind::kInteger) {
      literal = -e.args[1]->args[0]->integer_value;
    }
    if (literal && (*literal < 1 || *literal > list.list_size)) {
      d_->Error(
          e.args[1]->where, "K331",
          "添字 " + std::to_string(*literal) + " は範囲外です (1〜" +
              std::to_string(list.list_size) + ")",
          "index " + std::to_string(*literal) + " is outside 1.." + std::to_string(list.list_size),
          "リストの要素は [1] から数えます", "list elements count from [1]");
      return Error(e);
    }
    Type element = Type::Of(list.element, list.unit);
    element.choice_item = list.choice_item;
    return Set(e, element);
  }

  Type Unify(ast::Expr& e, const std::vector<ast::Expr*>& values) {
    Type result;
    bool first = true;
    std::vector<ast::Expr*> unknowns;  // 不明 branches take the others' type
    for (auto* v : values) {
      if (v->kind == ast::ExprKind::kUnknown) {
        unknowns.push_back(v);
        continue;
      }
      Type t = Infer(*v);
      if (t.IsError()) return Error(e);
      if (first) {
        result = t;
        first = false;
        continue;
      }
      if (IsNumeric(result) && IsNumeric(t)) {
        if (!result.unit.empty() && !t.unit.empty() && result.unit != t.unit) {
          d_->Error(
              v->where, "K330",
              "単位が違う値が並んでいます: 「" + result.unit + "」と「" + t.unit + "」",
              "alternatives have different units: '" + result.unit + "' and '" + t.unit + "'");
          return Error(e);
        }
        result = Numeric(result, t);
      } else if (result.kind != t.kind) {
        d_->Error(
            v->where, "K332",
            "分岐の値の型がそろっていません: " + TypeNameJa(result) + " と " + TypeNameJa(t),
            "alternatives have different types: " + TypeNameEn(result) + " and " + TypeNameEn(t));
        return Error(e);
      }
    }
    if (first) {
      d_->Error(e.where, "K343", "すべての分岐が「不明」では値の型が決まりません",
                "every branch is 不明, so the value has no type",
                "少なくとも一つの分岐に値を書いてください", "give a value in at least one branch");
      return Error(e);
    }
    for (auto* u : unknowns) Set(*u, result);
    return Set(e, result);
  }

  // Compares a choice item with a code or a label; checks that it exists.
  bool CheckChoiceOperand(const Type& choice, ast::Expr& other) {
    const ast::Item* item = choice.choice_item;
    if (item == nullptr) return true;
    const ast::ItemType* t = &item->type;
    if (t->kind == ast::ItemKind::kList && t->element) t = t->element.get();
    if (other.kind == ast::ExprKind::kInteger) {
      for (const auto& o : t->options) {
        if (o.code == other.integer_value) return true;
      }
      d_->Error(
          other.where, "K333",
          "「" + item->name + "」にコード " + std::to_string(other.integer_value) +
              " の選択肢はありません",
          "'" + item->name + "' has no option with code " + std::to_string(other.integer_value),
          OptionsHint(*t, true), OptionsHint(*t, false));
      return false;
    }
    if (other.kind == ast::ExprKind::kString) {
      for (const auto& o : t->options) {
        if (o.label == other.string_value ||
            (!o.label_en.empty() && o.label_en == other.string_value)) {
          return true;
        }
      }
      d_->Error(other.where, "K333",
                "「" + item->name + "」に選択肢「" + other.string_value + "」はありません",
                "'" + item->name + "' has no option '" + other.string_value + "'",
                OptionsHint(*t, true), OptionsHint(*t, false));
      return false;
    }
    Type ot = Infer(other);
    if (ot.IsError() || ot.kind == TypeKind::kChoice || ot.kind == TypeKind::kInteger) return true;
    Mismatch(other.where, "選択肢との比較", "comparing with a choice", ot,
             "選択肢のコード (整数) かラベル (文字列)", "an option code or label");
    return false;
  }

  static std::string OptionsHint(const ast::ItemType& t, bool ja) {
    std::string out = ja ? "選択肢: " : "options: ";
    for (size_t i = 0; i < t.options.size(); ++i) {
      out +=
          (i ? ", " : "") + std::to_string(t.options[i].code) + " \"" + t.options[i].label + "\"";
    }
    return out;
  }

  Type InferBinary(ast::Expr& e) {
    const std::string& op = e.op;
    if (op == "and" || op == "or") {
      ExpectTruth(*e.args[0], "「" + op + "」の左側", "the left of '" + op + "'");
      ExpectTruth(*e.args[1], "「" + op + "」の右側", "the right of '" + op + "'");
      return Set(e, Type::Of(TypeKind::kTruth));
    }
    Type a = Infer(*e.args[0]);
    if (a.kind == TypeKind::kChoice && (op == "=" || op == "!=")) {
      CheckChoiceOperand(a, *e.args[1]);
      if (e.args[1]->kind == ast::ExprKind::kString || e.args[1]->kind == ast::ExprKind::kInteger) {
        Infer(*e.args[1]);
      }
      return Set(e, Type::Of(TypeKind::kTruth));
    }
    Type b = Infer(*e.args[1]);
    if (a.IsError() || b.IsError()) return Error(e);
    if ((op == "=" || op == "!=") && e.args[0]->kind == ast::ExprKind::kCall &&
        e.args[0]->name == "variant" && e.args[1]->kind == ast::ExprKind::kString) {
      CheckVariantName(*e.args[1]);
    }
    if (b.kind == TypeKind::kChoice && (op == "=" || op == "!=")) {
      CheckChoiceOperand(b, *e.args[0]);
      return Set(e, Type::Of(TypeKind::kTruth));
    }
    bool comparison = op == "=" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=";
    if (comparison) {
      bool ok = (IsNumeric(a) && IsNumeric(b)) ||
                (a.kind == b.kind && a.kind != TypeKind::kList && a.kind != TypeKind::kChoices &&
                 a.kind != TypeKind::kGroup);
      if (ok && a.kind == TypeKind::kLevel && a.classification != b.classification) ok = false;
      if (ok &&
          (a.kind == TypeKind::kLevel || a.kind == TypeKind::kTruth || a.kind == TypeKind::kText) &&
          op != "=" && op != "!=") {
        bool level = a.kind == TypeKind::kLevel;
        d_->Error(
            e.where, "K334", "「" + op + "」で大小を比べられるのは数値・日付・年月だけです",
            "'" + op + "' orders numbers, dates and year-months only",
            level ? "区分は「重症度分類 = 重症 or 重症度分類 = 中等症」のように = で比べてください"
                  : "等しいかどうかは = と != で比べてください",
            level ? "compare levels with '=', e.g. 'X = 重症 or X = 中等症'" : "use = or != here");
        return Error(e);
      }
      if (!ok) {
        std::string hint_ja, hint_en;
        bool slashes = std::count(e.args[1]->text.begin(), e.args[1]->text.end(), '/') == 2 ||
                       std::count(e.args[0]->text.begin(), e.args[0]->text.end(), '/') == 2;
        if ((a.kind == TypeKind::kDate || b.kind == TypeKind::kDate) && slashes) {
          hint_ja = "日付は 2015-01-01 のように「-」でつないで書きます";
          hint_en = "write dates as 2015-01-01";
        } else if (a.kind == TypeKind::kText || b.kind == TypeKind::kText) {
          hint_ja = "文字列は文字列と、数値は数値と比べてください (数値に \"\" は付けません)";
          hint_en = "compare text with text and numbers with numbers (numbers take no quotes)";
        } else {
          hint_ja = "同じ種類の値どうしを比べてください";
          hint_en = "compare values of the same kind";
        }
        d_->Error(e.where, "K335", TypeNameJa(a) + "と" + TypeNameJa(b) + "は比較できません",
                  "cannot compare " + TypeNameEn(a) + " with " + TypeNameEn(b), hint_ja, hint_en);
        return Error(e);
      }
      if (a.IsNumber()) SameUnit(a, b, e);
      return Set(e, Type::Of(TypeKind::kTruth));
    }
    // Arithmetic.
    if (op == "+" || op == "-") {
      if (a.kind == TypeKind::kDate && b.kind == TypeKind::kInteger) {
        return Set(e, Type::Of(TypeKind::kDate));
      }
      if (a.kind == TypeKind::kYearMonth && b.kind == TypeKind::kInteger) {
        return Set(e, Type::Of(TypeKind::kYearMonth));
      }
      if (op == "-" && a.kind == TypeKind::kDate && b.kind == TypeKind::kDate) {
        return Set(e, Type::Of(TypeKind::kInteger, "日"));
      }
      if (op == "-" && a.kind == TypeKind::kYearMonth && b.kind == TypeKind::kYearMonth) {
        return Set(e, Type::Of(TypeKind::kInteger, "月"));
      }
    }
    if (!IsNumeric(a) || !IsNumeric(b)) {
      const Type& bad = IsNumeric(a) ? b : a;
      const ast::Expr& where = IsNumeric(a) ? *e.args[1] : *e.args[0];
      Mismatch(where.where, "「" + op + "」", "'" + op + "'", bad, "数値", "numbers");
      return Error(e);
    }
    if (op == "+" || op == "-") {
      if (!SameUnit(a, b, e)) return Error(e);
      return Set(e, Numeric(a, b));
    }
    if (op == "*") {
      Type t = Numeric(a, b);
      t.unit = a.unit.empty() ? b.unit : b.unit.empty() ? a.unit : kDerivedUnit;
      return Set(e, t);
    }
    if (op == "/") {
      std::string unit = b.unit.empty()     ? a.unit
                         : a.unit == b.unit ? ""  // a ratio of like quantities
                                            : kDerivedUnit;
      return Set(e, Type::Of(TypeKind::kDecimal, unit));
    }
    // Formulas such as eGFR raise measurements to empirical exponents; the
    // result's unit is derived.
    return Set(e, Type::Of(TypeKind::kDecimal, a.unit.empty() ? "" : kDerivedUnit));
  }

  void CheckVariantName(const ast::Expr& literal) {
    std::vector<std::string> variants;
    for (auto* file : program_->AllFiles()) {
      for (const auto& v : file->variants) variants.push_back(v);
    }
    if (std::find(variants.begin(), variants.end(), literal.string_value) != variants.end()) return;
    d_->UnknownName(
        literal.where, "K341", "様式の区分「" + literal.string_value + "」は宣言されていません",
        "form variant '" + literal.string_value + "' is not declared", literal.string_value,
        variants, "ヘッダの variants に宣言してください", "declare it in the header's variants");
  }

  Type InferLookup(ast::Expr& e) {
    Type row = Infer(*e.args[0]);
    Type column = Infer(*e.args[1]);
    if (e.table == nullptr || row.IsError() || column.IsError()) return Error(e);
    for (const Type* t : {&row, &column}) {
      if (t->kind != TypeKind::kInteger && t->kind != TypeKind::kText) {
        d_->Error(t == &row ? e.args[0]->where : e.args[1]->where, "K336",
                  "表の見出しは文字列か整数で指定してください (" + TypeNameJa(*t) + ")",
                  "table headings are looked up by text or integer, not " + TypeNameEn(*t));
        return Error(e);
      }
    }
    bool all_integer = true;
    for (const auto& r : e.table->cells) {
      for (const auto& c : r) all_integer = all_integer && c.is_integer;
    }
    return Set(e, Type::Of(all_integer ? TypeKind::kInteger : TypeKind::kText));
  }

  bool ArgCount(ast::Expr& e, size_t min, size_t max) {
    if (e.args.size() >= min && e.args.size() <= max) return true;
    std::string want =
        min == max ? std::to_string(min) : std::to_string(min) + "〜" + std::to_string(max);
    const Builtin* builtin = FindBuiltin(e.name);
    std::string usage = builtin                                    ? std::string(builtin->usage)
                        : e.external && !e.external->usage.empty() ? e.external->usage
                                                                   : e.name + "(…)";
    d_->Error(e.where, "K337",
              "関数「" + e.name + "」の引数は " + want + " 個です (" +
                  std::to_string(e.args.size()) + " 個あります)",
              "function '" + e.name + "' takes " + want + " arguments, not " +
                  std::to_string(e.args.size()),
              "書き方: " + usage, "usage: " + usage);
    return false;
  }

  Type InferCall(ast::Expr& e) {
    const std::string& f = e.name;
    std::vector<Type> args;
    for (auto& a : e.args) args.push_back(Infer(*a));
    for (const auto& a : args) {
      if (a.IsError()) return Error(e);
    }
    if (e.external != nullptr) return InferExternal(e, args);
    auto need = [&](size_t i, bool ok, const char* ja, const char* en) {
      if (!ok)
        Mismatch(e.args[i]->where, "関数「" + f + "」の引数", "function '" + f + "'", args[i], ja,
                 en);
      return ok;
    };
    if (f == "sum" || f == "avg" || f == "min" || f == "max") {
      if (!ArgCount(e, 1, 1000)) return Error(e);
      if (args.size() == 1 && args[0].kind == TypeKind::kList) {
        if (args[0].element != TypeKind::kInteger && args[0].element != TypeKind::kDecimal &&
            args[0].element != TypeKind::kChoice) {
          d_->Error(e.where, "K338", "数値のリストではありません", "not a list of numbers",
                    "該当の数は count(i in 1..N : リスト[i]) で数えます",
                    "count true elements with count(i in 1..N : list[i])");
          return Error(e);
        }
        TypeKind element =
            args[0].element == TypeKind::kChoice ? TypeKind::kInteger : args[0].element;
        Type t = Type::Of(f == "avg" ? TypeKind::kDecimal : element, args[0].unit);
        return Set(e, t);
      }
      Type result = args[0];
      bool ordered = f == "min" || f == "max";
      for (size_t i = 0; i < args.size(); ++i) {
        bool ok =
            IsNumeric(args[i]) ||
            (ordered && (args[i].kind == TypeKind::kDate || args[i].kind == TypeKind::kYearMonth) &&
             args[i].kind == args[0].kind);
        if (!need(i, ok, "数値", "numbers")) return Error(e);
        if (IsNumeric(args[i])) {
          if (!SameUnit(result, args[i], e)) return Error(e);
          result = Numeric(result, args[i]);
        }
      }
      if (f == "avg") result.kind = TypeKind::kDecimal;
      return Set(e, result);
    }
    if (f == "count") {
      if (!ArgCount(e, 1, 1000)) return Error(e);
      if (args.size() == 1 && args[0].kind == TypeKind::kGroup) {
        return Set(e, Type::Of(TypeKind::kInteger));
      }
      for (size_t i = 0; i < args.size(); ++i) {
        if (!need(i, args[i].kind == TypeKind::kTruth, "条件 (該当/非該当)", "conditions")) {
          return Error(e);
        }
      }
      return Set(e, Type::Of(TypeKind::kInteger));
    }
    if (f == "any" || f == "all") {
      if (!ArgCount(e, 1, 1000)) return Error(e);
      for (size_t i = 0; i < args.size(); ++i) {
        if (!need(i, args[i].kind == TypeKind::kTruth, "条件", "conditions")) return Error(e);
      }
      return Set(e, Type::Of(TypeKind::kTruth));
    }
    if (f == "round") {
      if (!ArgCount(e, 2, 2)) return Error(e);
      if (!need(0, args[0].IsNumber(), "数値", "a number")) return Error(e);
      if (e.args[1]->kind != ast::ExprKind::kInteger || e.args[1]->integer_value < 0 ||
          e.args[1]->integer_value > 9) {
        d_->Error(e.args[1]->where, "K339", "round の桁数は 0〜9 の整数で書いてください",
                  "round's places must be a literal integer from 0 to 9");
        return Error(e);
      }
      return Set(e,
                 Type::Of(e.args[1]->integer_value == 0 ? TypeKind::kInteger : TypeKind::kDecimal,
                          args[0].unit));
    }
    if (f == "floor" || f == "abs") {
      if (!ArgCount(e, 1, 1)) return Error(e);
      if (!need(0, args[0].IsNumber(), "数値", "a number")) return Error(e);
      return Set(e, Type::Of(f == "floor" ? TypeKind::kInteger : args[0].kind, args[0].unit));
    }
    if (f == "age") {
      if (!ArgCount(e, 2, 2)) return Error(e);
      if (!need(0, args[0].kind == TypeKind::kDate, "日付", "a date")) return Error(e);
      if (!need(1, args[1].kind == TypeKind::kDate, "日付", "a date")) return Error(e);
      return Set(e, Type::Of(TypeKind::kInteger, "歳"));
    }
    if (f == "months_between") {
      if (!ArgCount(e, 2, 2)) return Error(e);
      bool ok = (args[0].kind == TypeKind::kDate || args[0].kind == TypeKind::kYearMonth) &&
                args[1].kind == args[0].kind;
      if (!need(1, ok, "同じ種類の日付か年月", "two dates or two year-months")) return Error(e);
      return Set(e, Type::Of(TypeKind::kInteger, "月"));
    }
    if (f == "add_months") {
      if (!ArgCount(e, 2, 2)) return Error(e);
      bool date = args[0].kind == TypeKind::kDate;
      if (!need(0, date || args[0].kind == TypeKind::kYearMonth, "年月か日付",
                "a year-month or a date")) {
        return Error(e);
      }
      if (!need(1, args[1].kind == TypeKind::kInteger, "整数", "an integer")) return Error(e);
      return Set(e, Type::Of(date ? TypeKind::kDate : TypeKind::kYearMonth));
    }
    if (f == "year_month") {
      if (!ArgCount(e, 1, 1)) return Error(e);
      if (!need(0, args[0].kind == TypeKind::kDate, "日付", "a date")) return Error(e);
      return Set(e, Type::Of(TypeKind::kYearMonth));
    }
    if (f == "variant") {
      if (!ArgCount(e, 0, 0)) return Error(e);
      return Set(e, Type::Of(TypeKind::kText));
    }
    if (f == "form_date") {
      if (!ArgCount(e, 0, 0)) return Error(e);
      return Set(e, Type::Of(TypeKind::kDate));
    }
    if (f == "answered") {
      if (!ArgCount(e, 1, 1)) return Error(e);
      return Set(e, Type::Of(TypeKind::kTruth));
    }
    if (f == "known") {
      if (!ArgCount(e, 1, 1)) return Error(e);
      return Set(e, Type::Of(TypeKind::kTruth));
    }
    if (f == "contains") {
      if (!ArgCount(e, 2, 2)) return Error(e);
      if (!need(0, args[0].kind == TypeKind::kChoices, "複数選択の項目",
                "a multiple-choice item")) {
        return Error(e);
      }
      Type as_choice = args[0];
      as_choice.kind = TypeKind::kChoice;
      if (!CheckChoiceOperand(as_choice, *e.args[1])) return Error(e);
      return Set(e, Type::Of(TypeKind::kTruth));
    }
    return Error(e);
  }

  // A call of a plugin's function: the argument count, kinds and units its
  // table declares. Choices are not numbers here: a plugin cannot know the
  // form's codes.
  Type InferExternal(ast::Expr& e, const std::vector<Type>& args) {
    const ExternalFunction& f = *e.external;
    if (!ArgCount(e, f.args.size(), f.args.size())) return Error(e);
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string what_ja = "関数「" + f.name + "」の第 " + std::to_string(i + 1) + " 引数";
      const std::string what_en = "argument " + std::to_string(i + 1) + " of '" + f.name + "'";
      switch (f.args[i]) {
        case ExternalKind::kDecimal:
          if (!args[i].IsNumber()) {
            Mismatch(e.args[i]->where, what_ja, what_en, args[i], "数値", "a number");
            return Error(e);
          }
          break;
        case ExternalKind::kInteger:
          if (args[i].kind != TypeKind::kInteger) {
            Mismatch(e.args[i]->where, what_ja, what_en, args[i], "整数", "an integer");
            return Error(e);
          }
          break;
        case ExternalKind::kTruth:
          if (args[i].kind != TypeKind::kTruth) {
            Mismatch(e.args[i]->where, what_ja, what_en, args[i], "条件 (該当/非該当)",
                     "a condition");
            return Error(e);
          }
          break;
      }
      const std::string& want = f.arg_units[i];
      const std::string& got = args[i].unit;
      if (!want.empty() && !got.empty() && got != kDerivedUnit && got != want) {
        std::string ja = what_ja;
        ja.append("の単位は「")
            .append(want)
            .append("」ですが、「")
            .append(got)
            .append("」の値です");
        std::string en = what_en;
        en.append(" is in '").append(want).append("', not '").append(got).append("'");
        d_->Error(e.args[i]->where, "K344", ja, en, "「" + want + "」に換算した値を渡してください",
                  "pass the value in '" + want + "'");
        return Error(e);
      }
    }
    if (!f.pure) {
      d_->Warning(e.where, "K345",
                  "関数「" + f.name + "」(" + f.provider +
                      ") は純粋関数ではないため、同じ様式と規則の版でも判定が変わることがあります",
                  "function '" + f.name + "' (" + f.provider +
                      ") is not pure: the same form and rule version may be judged differently",
                  "結果が引数だけで決まる関数を使ってください",
                  "prefer functions whose result depends only on their arguments");
    }
    switch (f.result) {
      case ExternalKind::kDecimal:
        return Set(e, Type::Of(TypeKind::kDecimal, f.result_unit));
      case ExternalKind::kInteger:
        return Set(e, Type::Of(TypeKind::kInteger, f.result_unit));
      case ExternalKind::kTruth:
        return Set(e, Type::Of(TypeKind::kTruth));
    }
    return Error(e);
  }

  Type InferLoop(ast::Expr& e) {
    Type lo = Infer(*e.args[0]);
    Type hi = Infer(*e.args[1]);
    if (lo.IsError() || hi.IsError()) return Error(e);
    if (lo.kind != TypeKind::kInteger || hi.kind != TypeKind::kInteger) {
      Mismatch(e.args[0]->where, "繰り返しの範囲", "a loop range",
               lo.kind != TypeKind::kInteger ? lo : hi, "整数", "integers");
      return Error(e);
    }
    Type body = Infer(*e.args[2]);
    if (body.IsError()) return Error(e);
    const std::string& f = e.name;
    if (f == "count" || f == "any" || f == "all") {
      if (body.kind != TypeKind::kTruth) {
        Mismatch(e.args[2]->where, "「" + f + "」の本体", "the body of '" + f + "'", body, "条件",
                 "a condition");
        return Error(e);
      }
      return Set(e, Type::Of(f == "count" ? TypeKind::kInteger : TypeKind::kTruth));
    }
    if (!IsNumeric(body)) {
      Mismatch(e.args[2]->where, "「" + f + "」の本体", "the body of '" + f + "'", body, "数値",
               "a number");
      return Error(e);
    }
    Type t = body;
    if (t.kind == TypeKind::kChoice) t = Type::Of(TypeKind::kInteger, t.unit);
    if (f == "avg") t.kind = TypeKind::kDecimal;
    return Set(e, t);
  }

  // ------------------------------------------------------------- tests

  bool LiteralFits(const ast::Literal& lit, const ast::ItemType& t) {
    using LK = ast::LiteralKind;
    switch (t.kind) {
      case ast::ItemKind::kInteger:
        return lit.kind == LK::kInteger;
      case ast::ItemKind::kDecimal:
        return lit.kind == LK::kInteger || lit.kind == LK::kDecimal;
      case ast::ItemKind::kAnswer:
        return (lit.kind == LK::kAnswer && lit.string != "あり" && lit.string != "なし") ||
               lit.kind == LK::kInteger;
      case ast::ItemKind::kYesNo:
        return (lit.kind == LK::kAnswer && lit.string != "該当" && lit.string != "非該当") ||
               lit.kind == LK::kBoolean;
      case ast::ItemKind::kChoice:
        return lit.kind == LK::kInteger || lit.kind == LK::kString;
      case ast::ItemKind::kChoices:
        if (lit.kind != LK::kList) return false;
        for (const auto& el : lit.elements) {
          if (el.kind != LK::kInteger && el.kind != LK::kString) return false;
        }
        return true;
      case ast::ItemKind::kDate:
        return lit.kind == LK::kDate;
      case ast::ItemKind::kYearMonth:
        return lit.kind == LK::kYearMonth;
      case ast::ItemKind::kText:
        return lit.kind == LK::kString;
      case ast::ItemKind::kList:
        if (lit.kind != LK::kList || !t.element) return false;
        for (const auto& el : lit.elements) {
          if (!(el.kind == LK::kAnswer && el.string == "不明") && !LiteralFits(el, *t.element)) {
            return false;
          }
        }
        return true;
    }
    return false;
  }

  void CheckTest(ast::TestCase& test) {
    for (auto& b : test.given) {
      auto it = program_->scope.find(b.name);
      if (it == program_->scope.end() || it->second.item == nullptr) continue;
      const ast::Item& item = *it->second.item;
      // 不明 is allowed for every item: it means "the physician answered unknown".
      if (b.value.kind == ast::LiteralKind::kAnswer && b.value.string == "不明") continue;
      if (!LiteralFits(b.value, item.type)) {
        std::string hint_ja, hint_en;
        if (item.type.kind == ast::ItemKind::kAnswer) {
          hint_ja =
              "answer の項目には 該当 / 非該当 / 不明 を書きます (あり / なし は yesno の項目)";
          hint_en = "answer items take 該当 / 非該当 / 不明 (あり / なし are for yesno items)";
        } else if (item.type.kind == ast::ItemKind::kYesNo) {
          hint_ja = "yesno の項目には あり / なし / 不明 を書きます";
          hint_en = "yesno items take あり / なし / 不明";
        }
        d_->Error(b.value.where, "K340",
                  "テストの値「" + b.value.text + "」は項目「" + item.name + "」の型 (" +
                      TypeNameJa(ItemValueType(item.type)) + ") に合いません",
                  "test value '" + b.value.text + "' does not fit item '" + item.name + "' (" +
                      TypeNameEn(ItemValueType(item.type)) + ")",
                  hint_ja, hint_en);
      }
    }
    for (auto& x : test.expectations) {
      if (x.kind != ast::ExpectationKind::kValue || !x.value) continue;
      auto it = program_->scope.find(x.target);
      if (it == program_->scope.end() || it->second.calc == nullptr) continue;
      const Type& t = it->second.calc->type;
      using LK = ast::LiteralKind;
      LK k = x.value->kind;
      bool fits = t.IsError() || (t.IsNumber() && (k == LK::kInteger || k == LK::kDecimal)) ||
                  (t.kind == TypeKind::kTruth && (k == LK::kBoolean || k == LK::kAnswer)) ||
                  (t.kind == TypeKind::kText && k == LK::kString) ||
                  (t.kind == TypeKind::kDate && k == LK::kDate) ||
                  (t.kind == TypeKind::kYearMonth && k == LK::kYearMonth);
      if (!fits) {
        d_->Error(x.level_where, "K342",
                  "期待値「" + x.value->text + "」は計算「" + x.target + "」の型 (" +
                      TypeNameJa(t) + ") に合いません",
                  "expected value '" + x.value->text + "' does not fit calculation '" + x.target +
                      "' (" + TypeNameEn(t) + ")",
                  t.IsNumber() ? "数値は \"\" を付けず、単位も書きません" : "",
                  t.IsNumber() ? "write numbers without quotes or units" : "");
      }
    }
  }

  Program* program_ = nullptr;
  Diagnostics* d_ = nullptr;
};

}  // namespace

std::unique_ptr<Pass> MakeCheckTypes() { return std::make_unique<CheckTypes>(); }

}  // namespace kijun::dsl
