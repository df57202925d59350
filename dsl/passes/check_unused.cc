// check_unused: warns about form items of the disease file that no rule,
// check, calculation or asked-when condition reads. Free-text items are
// exempt (they are for the reviewer, not the rules), and so are items that
// modules declare (a disease need not use every item of a shared scale).

#include <set>

#include "dsl/pass.h"

namespace kijun::dsl {

namespace {

class CheckUnused : public Pass {
 public:
  std::string_view name() const override { return "check_unused"; }

  void Run(Program& program, Diagnostics& diagnostics) override {
    std::set<const ast::Item*> read;
    std::set<const ast::Group*> groups_read;
    ForEachRootExpr(program, [&](ast::Expr& root, const std::string&) {
      ForEachSubExpr(root, [&](ast::Expr& e) {
        if (e.symbol == ast::SymbolKind::kItem && e.item != nullptr) read.insert(e.item);
      });
    });
    for (auto* item : program.items) {
      if (!item->module.empty() || item->group != nullptr) continue;
      if (item->type.kind == ast::ItemKind::kText) continue;
      if (read.count(item) != 0) continue;
      diagnostics.Warning(
          item->where, "K450", "項目「" + item->name + "」はどの規則にも使われていません",
          "item '" + item->name + "' is not used by any rule",
          "記録だけの項目なら問題ありません。規則に使うはずなら条件を見直してください",
          "fine for record-only items; otherwise check the rules that should read it");
    }
  }
};

}  // namespace

std::unique_ptr<Pass> MakeCheckUnused() { return std::make_unique<CheckUnused>(); }

}  // namespace kijun::dsl
