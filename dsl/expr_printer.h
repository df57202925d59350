#pragma once

#include <string>

#include "dsl/ast.h"

namespace kijun::dsl {

// An expression in canonical layout: single spaces around operators,
// parentheses only where precedence needs them. Re-parsing the result gives
// the same tree.
std::string PrintExpr(const ast::Expr& expr);

// A test literal in canonical layout.
std::string PrintLiteral(const ast::Literal& literal);

// A string literal with quotes and escapes.
std::string Quote(const std::string& text);

}  // namespace kijun::dsl
