#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dsl/diagnostic.h"
#include "dsl/program.h"

namespace kijun::dsl {

// One named step of the front end. Passes run in a fixed order; each may
// rely on the annotations of the ones before it.
class Pass {
 public:
  virtual ~Pass() = default;
  virtual std::string_view name() const = 0;
  // Reports problems to `diagnostics`; annotates `program` in place.
  virtual void Run(Program& program, Diagnostics& diagnostics) = 0;
};

std::unique_ptr<Pass> MakeResolveNames();
std::unique_ptr<Pass> MakeCheckCycles();
std::unique_ptr<Pass> MakeCheckTypes();
std::unique_ptr<Pass> MakeCheckLevels();
std::unique_ptr<Pass> MakeCheckUnused();

// The front-end passes in order: resolve_names, check_cycles, check_types,
// check_levels, check_unused.
std::vector<std::unique_ptr<Pass>> FrontEndPasses();

// The names of the front-end passes, for `kijun dump --after`.
std::vector<std::string> FrontEndPassNames();

// Runs the passes in order, stopping after `stop_after` (when not empty) or
// after the first pass that reports an error, since later passes rely on a
// clean result. Returns true when no pass reported an error.
bool RunFrontEnd(Program& program, Diagnostics& diagnostics, std::string_view stop_after = {});

// Calls `visit` on every expression tree root of the program (calculations,
// checks, levels, asked-when conditions), with a short description of where
// it lives ("calc 合計").
void ForEachRootExpr(Program& program,
                     const std::function<void(ast::Expr&, const std::string& owner)>& visit);

// Calls `visit` on `expr` and every sub-expression, parents first.
void ForEachSubExpr(ast::Expr& expr, const std::function<void(ast::Expr&)>& visit);

}  // namespace kijun::dsl
