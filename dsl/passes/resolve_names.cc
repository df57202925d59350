// resolve_names: builds one scope from the disease file and its modules and
// binds every name in expressions, qualifying lists, tests and variants to
// its declaration. Misspelt names get a "did you mean" hint.

#include <algorithm>
#include <set>

#include "dsl/builtins.h"
#include "dsl/external_functions.h"
#include "dsl/pass.h"

namespace kijun::dsl {

namespace {

class ResolveNames : public Pass {
 public:
  std::string_view name() const override { return "resolve_names"; }

  void Run(Program& program, Diagnostics& diagnostics) override {
    program_ = &program;
    diagnostics_ = &diagnostics;
    program.scope.clear();
    program.items.clear();
    program.groups.clear();
    program.calcs.clear();
    program.checks.clear();
    program.classifications.clear();
    program.tables.clear();
    Declare();
    ResolveVariants();
    ForEachRootExpr(program, [this](ast::Expr& expr, const std::string&) {
      std::vector<std::string> loop_scope;
      Resolve(expr, loop_scope);
    });
    ResolveQualifying();
    for (auto* file : program.AllFiles()) {
      for (auto& test : file->tests) ResolveTest(test);
    }
  }

 private:
  void Define(const std::string& name, Symbol symbol) {
    auto [it, inserted] = program_->scope.emplace(name, symbol);
    if (!inserted) {
      const SourceLocation& first = it->second.where;
      std::string at = first.file ? first.file->path() + ":" + std::to_string(first.line) : "?";
      diagnostics_->Error(symbol.where, "K202", "「" + name + "」は二重に定義されています",
                          "'" + name + "' is defined twice", "最初の定義: " + at,
                          "first defined at " + at);
    }
  }

  void DeclareItem(ast::Item& item, const std::string& module) {
    item.module = module;
    item.index = static_cast<int>(program_->items.size());
    program_->items.push_back(&item);
    Symbol s;
    s.kind = ast::SymbolKind::kItem;
    s.item = &item;
    s.where = item.where;
    Define(item.name, s);
  }

  void Declare() {
    for (auto* file : program_->AllFiles()) {
      std::string module = file->is_module ? file->module_name : "";
      for (auto& section : file->sections) {
        for (auto& item : section->items) DeclareItem(*item, module);
        for (auto& group : section->groups) {
          program_->groups.push_back(group.get());
          Symbol s;
          s.kind = ast::SymbolKind::kItem;
          s.group = group.get();
          s.where = group->where;
          Define(group->name, s);
          for (auto& item : group->items) DeclareItem(*item, module);
        }
      }
      for (auto& calc : file->calcs) {
        calc->module = module;
        calc->index = static_cast<int>(program_->calcs.size());
        program_->calcs.push_back(calc.get());
        Symbol s;
        s.kind = ast::SymbolKind::kCalc;
        s.calc = calc.get();
        s.where = calc->where;
        Define(calc->name, s);
      }
      for (auto& c : file->classifications) {
        c->module = module;
        c->index = static_cast<int>(program_->classifications.size());
        program_->classifications.push_back(c.get());
        Symbol s;
        s.kind = ast::SymbolKind::kClassification;
        s.classification = c.get();
        s.where = c->where;
        Define(c->name, s);
      }
      for (auto& t : file->tables) {
        t->module = module;
        program_->tables.push_back(t.get());
        Symbol s;
        s.table = t.get();
        s.where = t->where;
        Define(t->name, s);
      }
      for (auto& check : file->checks) {
        check->module = module;
        program_->checks.push_back(check.get());
        Symbol s;
        s.check = check.get();
        s.where = check->where;
        Define(check->name, s);
      }
    }
  }

  // `required 新規` and `only 更新` must name a variant the header declares.
  void ResolveVariants() {
    std::vector<std::string> variants;
    for (auto* file : program_->AllFiles()) {
      for (size_t i = 0; i < file->variants.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (file->variants[i] == file->variants[j]) {
            diagnostics_->Error(file->variant_where[i], "K212",
                                "様式の区分「" + file->variants[i] + "」が二度宣言されています",
                                "form variant '" + file->variants[i] + "' is declared twice",
                                "一つにしてください", "declare it once");
          }
        }
        variants.push_back(file->variants[i]);
      }
    }
    auto check = [&](const std::string& variant, const SourceLocation& where) {
      if (variant.empty()) return;
      if (std::find(variants.begin(), variants.end(), variant) != variants.end()) return;
      diagnostics_->UnknownName(where, "K203", "様式の区分「" + variant + "」は宣言されていません",
                                "form variant '" + variant + "' is not declared", variant, variants,
                                "ヘッダに `variants 新規, 更新` のように宣言してください",
                                "declare it in the header, e.g. `variants 新規, 更新`");
    };
    for (auto* item : program_->items) {
      for (size_t i = 0; i < item->required_variants.size(); ++i) {
        check(item->required_variants[i], item->required_variant_where[i]);
      }
    }
    for (auto* file : program_->AllFiles()) {
      for (auto& section : file->sections) check(section->only_variant, section->only_where);
      for (auto& test : file->tests) check(test.variant, test.variant_where);
    }
  }

  std::vector<std::string> ScopeNames(const std::vector<std::string>& loop_scope) const {
    std::vector<std::string> names(loop_scope.begin(), loop_scope.end());
    for (const auto& [n, s] : program_->scope) {
      if (s.check == nullptr && s.table == nullptr) names.push_back(n);
    }
    return names;
  }

  void UnknownName(const ast::Expr& expr, const std::vector<std::string>& loop_scope) {
    const std::string& name = expr.name;
    auto known = program_->scope.find(name);
    if (known != program_->scope.end() && (known->second.check || known->second.table)) {
      bool check = known->second.check != nullptr;
      diagnostics_->Error(
          expr.where, "K210",
          "「" + name + "」は" + (check ? "チェック" : "表") + "の名前で、値としては使えません",
          "'" + name + "' is a " + (check ? "check" : "table") + ", not a value",
          check ? "チェックの条件を計算 (calc) にして、その計算を使ってください"
                : "lookup " + name + "[行, 列] で値を取り出してください",
          check ? "put the check's condition in a calc and use that"
                : "read a cell with lookup " + name + "[row, column]");
      return;
    }
    if (name == "該当" || name == "非該当" || name == "あり" || name == "なし") {
      diagnostics_->Error(
          expr.where, "K211", "「" + name + "」は式の中では使えません",
          "'" + name + "' cannot be used in an expression",
          "回答の項目はそのまま条件になります: 「X = 該当」は「X」、「X = 非該当」は「not "
          "X」と書きます",
          "an answer item is already a condition: write 'X' for 'X = 該当' and 'not X' "
          "for 'X = 非該当'");
      return;
    }
    std::string hint_ja, hint_en;
    // `年齢-1` lexes as one name: suggest the subtraction before a misspelling.
    if (auto dash = name.rfind('-'); dash != std::string::npos) {
      std::string head = name.substr(0, dash);
      if (program_->scope.count(head) != 0 ||
          std::find(loop_scope.begin(), loop_scope.end(), head) != loop_scope.end()) {
        std::string tail = name.substr(dash + 1);
        hint_ja =
            "引き算なら「" + head + " - " + tail + "」のように「-」の前後に空白を入れてください";
        hint_en = "for subtraction put spaces around '-': '" + head + " - " + tail + "'";
      }
    }
    if (hint_ja.empty()) {
      std::string close = ClosestName(name, ScopeNames(loop_scope));
      if (!close.empty()) {
        hint_ja = "「" + close + "」のことですか？";
        hint_en = "did you mean '" + close + "'?";
      }
    }
    if (hint_ja.empty()) {
      hint_ja = "項目・計算・区分は使う前に宣言してください";
      hint_en = "declare the item, calculation or classification first";
    }
    diagnostics_->Error(expr.where, "K201", "「" + name + "」は定義されていません",
                        "unknown name '" + name + "'", hint_ja, hint_en);
  }

  // A call of a function that is neither a builtin nor one of a loaded
  // plugin: it may be a plugin's that was not loaded, so the hint says how to
  // load one and which are loaded.
  void UnknownFunction(const ast::Expr& expr) {
    std::vector<std::string> candidates = BuiltinNames();
    for (auto& name : ExternalFunctionNames()) candidates.push_back(std::move(name));
    std::string close = ClosestName(expr.name, candidates);
    if (!close.empty()) {
      diagnostics_->Error(expr.where, "K204", "関数「" + expr.name + "」はありません",
                          "unknown function '" + expr.name + "'", "「" + close + "」のことですか？",
                          "did you mean '" + close + "'?");
      return;
    }
    std::string loaded;
    for (const auto& provider : ExternalFunctionProviders()) {
      loaded += (loaded.empty() ? "" : ", ") + provider;
    }
    diagnostics_->Error(
        expr.where, "K204", "関数「" + expr.name + "」はありません",
        "unknown function '" + expr.name + "'",
        "使える関数は docs/language.md の「関数」を見てください。プラグインの関数なら、そのプラグイ"
        "ンを --plugin ファイル.so で読み込んでください (読み込み済み: " +
            (loaded.empty() ? std::string("なし") : loaded) + ")",
        "see 'Functions' in docs/language.md; a plugin's function needs its plugin loaded with "
        "--plugin FILE.so (loaded: " +
            (loaded.empty() ? std::string("none") : loaded) + ")");
  }

  bool Bind(ast::Expr& expr, const std::vector<std::string>& loop_scope) {
    for (auto it = loop_scope.rbegin(); it != loop_scope.rend(); ++it) {
      if (*it == expr.name) {
        expr.symbol = ast::SymbolKind::kLoopVariable;
        return true;
      }
    }
    auto it = program_->scope.find(expr.name);
    if (it == program_->scope.end()) return false;
    const Symbol& s = it->second;
    if (s.item != nullptr) {
      expr.symbol = ast::SymbolKind::kItem;
      expr.item = s.item;
    } else if (s.group != nullptr) {
      expr.symbol = ast::SymbolKind::kItem;  // a group; check_types types it
    } else if (s.calc != nullptr) {
      expr.symbol = ast::SymbolKind::kCalc;
      expr.calc = s.calc;
    } else if (s.classification != nullptr) {
      expr.symbol = ast::SymbolKind::kClassification;
      expr.classification = s.classification;
    } else {
      return false;  // checks and tables are not values
    }
    return true;
  }

  // A level name compared with its classification: `重症度 = 重症`.
  bool BindLevel(ast::Expr& expr, const ast::Classification& c) {
    for (size_t i = 0; i < c.levels.size(); ++i) {
      if (c.levels[i]->name == expr.name) {
        expr.symbol = ast::SymbolKind::kLevel;
        expr.classification = &c;
        expr.level = c.levels[i].get();
        expr.level_index = static_cast<int>(i);
        return true;
      }
    }
    return false;
  }

  void Resolve(ast::Expr& expr, std::vector<std::string>& loop_scope) {
    switch (expr.kind) {
      case ast::ExprKind::kName:
        if (!Bind(expr, loop_scope)) UnknownName(expr, loop_scope);
        return;
      case ast::ExprKind::kBinary:
        if ((expr.op == "=" || expr.op == "!=" || expr.op == "<" || expr.op == "<=" ||
             expr.op == ">" || expr.op == ">=") &&
            expr.args.size() == 2) {
          ResolveComparison(expr, loop_scope);
          return;
        }
        break;
      case ast::ExprKind::kCall:
      case ast::ExprKind::kLoop: {
        const Builtin* builtin = FindBuiltin(expr.name);
        const ExternalFunction* external =
            builtin == nullptr ? FindExternalFunction(expr.name) : nullptr;
        if (builtin == nullptr && external == nullptr) {
          UnknownFunction(expr);
        } else if (expr.kind == ast::ExprKind::kLoop && (external != nullptr || !builtin->loop)) {
          diagnostics_->Error(expr.where, "K205",
                              "関数「" + expr.name + "」は繰り返し (i in a..b : 式) に使えません",
                              "function '" + expr.name + "' cannot take a loop (i in a..b : expr)",
                              "sum, count, avg, min, max, any, all が使えます",
                              "use sum, count, avg, min, max, any or all");
        }
        if (expr.kind == ast::ExprKind::kCall) expr.external = external;
        if (expr.kind == ast::ExprKind::kLoop) {
          if (expr.args.size() >= 2) {
            Resolve(*expr.args[0], loop_scope);
            Resolve(*expr.args[1], loop_scope);
          }
          loop_scope.push_back(expr.loop_variable);
          if (expr.args.size() >= 3) Resolve(*expr.args[2], loop_scope);
          loop_scope.pop_back();
          return;
        }
        break;
      }
      case ast::ExprKind::kLookup: {
        auto it = program_->scope.find(expr.name);
        if (it != program_->scope.end() && it->second.table != nullptr) {
          expr.table = it->second.table;
        } else {
          std::vector<std::string> tables;
          for (auto* t : program_->tables) tables.push_back(t->name);
          diagnostics_->UnknownName(expr.where, "K206",
                                    "表「" + expr.name + "」は定義されていません",
                                    "unknown table '" + expr.name + "'", expr.name, tables,
                                    "`table` で表を宣言してください", "declare it with `table`");
        }
        break;
      }
      default:
        break;
    }
    for (auto& arg : expr.args) {
      if (arg) Resolve(*arg, loop_scope);
    }
  }

  void ResolveComparison(ast::Expr& expr, std::vector<std::string>& loop_scope) {
    ast::Expr& lhs = *expr.args[0];
    ast::Expr& rhs = *expr.args[1];
    Resolve(lhs, loop_scope);
    if (lhs.symbol == ast::SymbolKind::kClassification && rhs.kind == ast::ExprKind::kName) {
      if (BindLevel(rhs, *lhs.classification)) return;
      std::vector<std::string> levels;
      for (const auto& l : lhs.classification->levels) levels.push_back(l->name);
      std::string close = ClosestName(rhs.name, levels);
      diagnostics_->Error(
          rhs.where, "K207",
          "「" + lhs.classification->name + "」に区分「" + rhs.name + "」はありません",
          "'" + lhs.classification->name + "' has no level '" + rhs.name + "'",
          close.empty() ? "区分は " + Join(levels) + " のいずれかです"
                        : "「" + close + "」のことですか？",
          close.empty() ? "levels are " + Join(levels) : "did you mean '" + close + "'?");
      return;
    }
    Resolve(rhs, loop_scope);
  }

  static std::string Join(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  }

  void ResolveQualifying() {
    for (auto* c : program_->classifications) {
      c->qualifying_indices.clear();
      std::vector<std::string> levels;
      for (const auto& l : c->levels) levels.push_back(l->name);
      for (size_t q = 0; q < c->qualifying.size(); ++q) {
        int found = -1;
        for (size_t i = 0; i < levels.size(); ++i) {
          if (levels[i] == c->qualifying[q]) found = static_cast<int>(i);
        }
        if (found < 0) {
          std::string close = ClosestName(c->qualifying[q], levels);
          diagnostics_->Error(
              c->qualifying_where[q], "K207",
              "「" + c->name + "」に区分「" + c->qualifying[q] + "」はありません",
              "'" + c->name + "' has no level '" + c->qualifying[q] + "'",
              close.empty() ? "区分は " + Join(levels) + " のいずれかです"
                            : "「" + close + "」のことですか？",
              close.empty() ? "levels are " + Join(levels) : "did you mean '" + close + "'?");
        } else {
          c->qualifying_indices.push_back(found);
        }
      }
    }
  }

  void UnknownTarget(const std::string& name, const SourceLocation& where,
                     const std::vector<std::string>& candidates, const char* what_ja,
                     const char* what_en) {
    std::string close = ClosestName(name, candidates);
    diagnostics_->Error(where, "K208",
                        std::string(what_ja) + "「" + name + "」は定義されていません",
                        std::string("unknown ") + what_en + " '" + name + "'",
                        close.empty() ? "" : "「" + close + "」のことですか？",
                        close.empty() ? "" : "did you mean '" + close + "'?");
  }

  void ResolveTest(ast::TestCase& test) {
    std::vector<std::string> items;
    for (auto* item : program_->items) items.push_back(item->name);
    for (auto* group : program_->groups) items.push_back(group->name);
    std::set<std::string> given;
    for (auto& b : test.given) {
      auto it = program_->scope.find(b.name);
      bool is_input = it != program_->scope.end() &&
                      (it->second.item != nullptr || it->second.group != nullptr);
      if (!is_input) UnknownTarget(b.name, b.where, items, "入力項目", "form item");
      if (!given.insert(b.name).second) {
        diagnostics_->Error(b.where, "K209", "「" + b.name + "」に二度値を与えています",
                            "'" + b.name + "' is given twice in this test",
                            "一つにまとめてください", "keep one value");
      }
    }
    std::vector<std::string> values;
    std::vector<std::string> checks;
    for (const auto& [n, s] : program_->scope) {
      if (s.calc || s.classification) values.push_back(n);
      if (s.check || s.item) checks.push_back(n);
    }
    for (auto& x : test.expectations) {
      switch (x.kind) {
        case ast::ExpectationKind::kValue: {
          auto it = program_->scope.find(x.target);
          if (it == program_->scope.end() || (!it->second.calc && !it->second.classification)) {
            UnknownTarget(x.target, x.target_where, values, "計算・区分",
                          "calculation or classification");
          } else if (it->second.classification && !x.level.empty() && x.level != "不明") {
            ast::Expr probe;
            probe.name = x.level;
            if (!BindLevel(probe, *it->second.classification)) {
              std::vector<std::string> levels;
              for (const auto& l : it->second.classification->levels) levels.push_back(l->name);
              UnknownTarget(x.level, x.level_where, levels, "区分", "level");
            }
          }
          break;
        }
        case ast::ExpectationKind::kError:
        case ast::ExpectationKind::kWarning: {
          auto it = program_->scope.find(x.target);
          if (it == program_->scope.end() || (!it->second.check && !it->second.item)) {
            UnknownTarget(x.target, x.target_where, checks, "チェック・項目", "check or item");
          }
          break;
        }
        case ast::ExpectationKind::kInsufficient: {
          auto it = program_->scope.find(x.target);
          if (it == program_->scope.end() || !it->second.classification) {
            std::vector<std::string> cs;
            for (auto* c : program_->classifications) cs.push_back(c->name);
            UnknownTarget(x.target, x.target_where, cs, "区分", "classification");
          }
          for (size_t i = 0; i < x.deciding_items.size(); ++i) {
            const std::string& d = x.deciding_items[i];
            if (std::find(items.begin(), items.end(), d) == items.end()) {
              UnknownTarget(d, x.deciding_where[i], items, "入力項目", "form item");
            }
          }
          break;
        }
        case ast::ExpectationKind::kNoMessages:
          break;
      }
    }
  }

  Program* program_ = nullptr;
  Diagnostics* diagnostics_ = nullptr;
};

}  // namespace

std::unique_ptr<Pass> MakeResolveNames() { return std::make_unique<ResolveNames>(); }

}  // namespace kijun::dsl
