// check_levels: classifications must be well formed: unique level names,
// nothing after `otherwise`, no level that can never be reached because an
// earlier one has the same or an always-true condition, and a `qualifying`
// list for diagnosis and severity.

#include <map>

#include "dsl/pass.h"

namespace kijun::dsl {

namespace {

class CheckLevels : public Pass {
 public:
  std::string_view name() const override { return "check_levels"; }

  void Run(Program& program, Diagnostics& diagnostics) override {
    for (auto* c : program.classifications) Check(*c, diagnostics);
  }

 private:
  static void Check(const ast::Classification& c, Diagnostics& d) {
    std::map<std::string, const ast::Level*> names;
    std::map<std::string, const ast::Level*> conditions;
    const ast::Level* catch_all = nullptr;
    for (const auto& level : c.levels) {
      if (auto [it, inserted] = names.emplace(level->name, level.get()); !inserted) {
        d.Error(level->where, "K410", "区分「" + level->name + "」が二度書かれています",
                "level '" + level->name + "' appears twice in '" + c.name + "'",
                "最初の「" + level->name + "」は " + std::to_string(it->second->where.line) +
                    " 行目です。名前を変えるか一つにまとめてください",
                "the first is on line " + std::to_string(it->second->where.line) +
                    "; rename one or merge them");
      }
      if (catch_all != nullptr) {
        d.Error(level->where, "K411",
                "区分「" + level->name + "」には到達しません (前の「" + catch_all->name +
                    "」が常に成り立ちます)",
                "level '" + level->name + "' can never be reached: '" + catch_all->name +
                    "' before it always holds",
                "「otherwise」は最後の区分にだけ使ってください",
                "only the last level may be 'otherwise'");
        continue;
      }
      if (!level->condition) {
        catch_all = level.get();
        continue;
      }
      if (level->condition->kind == ast::ExprKind::kBoolean && level->condition->boolean_value) {
        catch_all = level.get();
        continue;
      }
      // Whitespace-insensitive comparison of the condition as written.
      std::string key;
      for (char ch : level->condition->text) {
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') key += ch;
      }
      if (auto [it, inserted] = conditions.emplace(key, level.get()); !inserted) {
        d.Warning(
            level->where, "K412",
            "区分「" + level->name + "」は「" + it->second->name + "」と同じ条件なので到達しません",
            "level '" + level->name + "' has the same condition as '" + it->second->name +
                "' and is never reached",
            "条件を見直してください", "review the conditions");
      }
    }
    bool needs_qualifying = c.kind != ast::ClassificationKind::kOutcome;
    if (needs_qualifying && c.qualifying.empty()) {
      d.Error(c.where, "K413", "「" + c.name + "」に助成の対象となる区分 (qualifying) がありません",
              "'" + c.name + "' does not say which levels qualify",
              "最後に「qualifying 区分名, ...」を書いてください",
              "end it with 'qualifying Level, ...'");
    }
  }
};

}  // namespace

std::unique_ptr<Pass> MakeCheckLevels() { return std::make_unique<CheckLevels>(); }

}  // namespace kijun::dsl
