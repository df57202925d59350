// check_cycles: a calculation must not depend on itself, directly or through
// other calculations. Orders calculations so each follows what it reads.

#include <map>

#include "dsl/pass.h"

namespace kijun::dsl {

namespace {

class CheckCycles : public Pass {
 public:
  std::string_view name() const override { return "check_cycles"; }

  void Run(Program& program, Diagnostics& diagnostics) override {
    program.calc_order.clear();
    std::map<const ast::Calc*, int> state;  // 0 new, 1 on stack, 2 done
    std::vector<ast::Calc*> stack;
    for (auto* calc : program.calcs) Visit(calc, program, diagnostics, state, stack);
    CheckClassificationOrder(program, diagnostics);
  }

 private:
  // Calculations are evaluated before classifications, and classifications
  // in the order written, so a calculation may not read a classification and
  // a classification may read only those written before it.
  static void CheckClassificationOrder(Program& program, Diagnostics& diagnostics) {
    for (auto* calc : program.calcs) {
      if (!calc->expr) continue;
      ForEachSubExpr(*calc->expr, [&](ast::Expr& e) {
        if (e.symbol == ast::SymbolKind::kClassification) {
          diagnostics.Error(
              e.where, "K303",
              "計算「" + calc->name + "」から区分「" + e.name + "」は参照できません",
              "calculation '" + calc->name + "' cannot read classification '" + e.name + "'",
              "区分の条件の中で直接使ってください",
              "use the classification directly in a level condition");
        }
      });
    }
    for (size_t i = 0; i < program.classifications.size(); ++i) {
      auto* c = program.classifications[i];
      for (auto& level : c->levels) {
        if (!level->condition) continue;
        ForEachSubExpr(*level->condition, [&](ast::Expr& e) {
          if (e.symbol != ast::SymbolKind::kClassification || e.classification == nullptr) return;
          if (e.classification == c) {
            diagnostics.Error(e.where, "K304", "区分「" + c->name + "」が自分自身を参照しています",
                              "classification '" + c->name + "' reads itself",
                              "条件は項目・計算・前に書かれた区分で書いてください",
                              "write the conditions with items, calculations and earlier "
                              "classifications");
          } else if (e.classification->index > c->index) {
            diagnostics.Error(
                e.where, "K302",
                "区分「" + c->name + "」は、後に書かれた区分「" + e.name + "」を参照できません",
                "classification '" + c->name + "' reads '" + e.name +
                    "', which is not written before it",
                "「" + e.name + "」を先に書いてください",
                "write '" + e.name + "' before '" + c->name + "'");
          }
        });
      }
    }
  }

  static std::vector<ast::Calc*> Reads(ast::Calc& calc) {
    std::vector<ast::Calc*> reads;
    if (!calc.expr) return reads;
    ForEachSubExpr(*calc.expr, [&](ast::Expr& e) {
      if (e.symbol == ast::SymbolKind::kCalc && e.calc != nullptr) {
        reads.push_back(const_cast<ast::Calc*>(e.calc));
      }
    });
    return reads;
  }

  void Visit(ast::Calc* calc, Program& program, Diagnostics& diagnostics,
             std::map<const ast::Calc*, int>& state, std::vector<ast::Calc*>& stack) {
    if (state[calc] == 2) return;
    if (state[calc] == 1) {
      std::string path;
      bool in_cycle = false;
      for (auto* c : stack) {
        if (c == calc) in_cycle = true;
        if (in_cycle) path += c->name + " → ";
      }
      path += calc->name;
      diagnostics.Error(calc->where, "K301", "計算が循環しています: " + path,
                        "calculations depend on each other in a cycle: " + path,
                        "どれかの計算を入力項目から直接求めるようにしてください",
                        "compute one of them from form items only");
      return;
    }
    state[calc] = 1;
    stack.push_back(calc);
    for (auto* read : Reads(*calc)) Visit(read, program, diagnostics, state, stack);
    stack.pop_back();
    state[calc] = 2;
    program.calc_order.push_back(calc);
  }
};

}  // namespace

std::unique_ptr<Pass> MakeCheckCycles() { return std::make_unique<CheckCycles>(); }

}  // namespace kijun::dsl
