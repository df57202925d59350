#include "dsl/pass.h"

namespace kijun::dsl {

std::vector<std::unique_ptr<Pass>> FrontEndPasses() {
  std::vector<std::unique_ptr<Pass>> passes;
  passes.push_back(MakeResolveNames());
  passes.push_back(MakeCheckCycles());
  passes.push_back(MakeCheckTypes());
  passes.push_back(MakeCheckLevels());
  passes.push_back(MakeCheckUnused());
  return passes;
}

std::vector<std::string> FrontEndPassNames() {
  std::vector<std::string> names{"parse"};
  for (const auto& pass : FrontEndPasses()) names.emplace_back(pass->name());
  return names;
}

bool RunFrontEnd(Program& program, Diagnostics& diagnostics, std::string_view stop_after) {
  if (diagnostics.HasErrors()) return false;
  if (stop_after == "parse") return true;
  for (const auto& pass : FrontEndPasses()) {
    size_t before = diagnostics.error_count();
    pass->Run(program, diagnostics);
    if (diagnostics.error_count() > before) return false;
    if (pass->name() == stop_after) break;
  }
  return !diagnostics.HasErrors();
}

void ForEachSubExpr(ast::Expr& expr, const std::function<void(ast::Expr&)>& visit) {
  visit(expr);
  for (auto& arg : expr.args) {
    if (arg) ForEachSubExpr(*arg, visit);
  }
}

void ForEachRootExpr(Program& program,
                     const std::function<void(ast::Expr&, const std::string& owner)>& visit) {
  for (auto* file : program.AllFiles()) {
    for (auto& section : file->sections) {
      for (auto& item : section->items) {
        if (item->asked_when) visit(*item->asked_when, "item " + item->name);
      }
      for (auto& group : section->groups) {
        for (auto& item : group->items) {
          if (item->asked_when) visit(*item->asked_when, "item " + item->name);
        }
      }
    }
    for (auto& calc : file->calcs) {
      if (calc->expr) visit(*calc->expr, "calc " + calc->name);
    }
    for (auto& check : file->checks) {
      if (check->condition) visit(*check->condition, "check " + check->name);
    }
    for (auto& c : file->classifications) {
      for (auto& level : c->levels) {
        if (level->condition) visit(*level->condition, c->name + "." + level->name);
      }
    }
  }
}

}  // namespace kijun::dsl
