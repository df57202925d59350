#include "dsl/expr_printer.h"

#include <charconv>

#include "dsl/calendar.h"

namespace kijun::dsl {

namespace {

int Precedence(const ast::Expr& e) {
  switch (e.kind) {
    case ast::ExprKind::kIf:
      return 1;
    case ast::ExprKind::kNot:
      return 4;
    case ast::ExprKind::kNegate:
      return 8;
    case ast::ExprKind::kBinary:
      if (e.op == "or") return 2;
      if (e.op == "and") return 3;
      if (e.op == "+" || e.op == "-") return 6;
      if (e.op == "*" || e.op == "/") return 7;
      if (e.op == "^") return 9;
      return 5;
    default:
      return 10;
  }
}

std::string Decimal(double v, int places) {
  char buffer[64];
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed, places);
  return ec == std::errc() ? std::string(buffer, end) : "0";
}

std::string Operand(const ast::Expr& e, int min_precedence) {
  std::string text = PrintExpr(e);
  return Precedence(e) < min_precedence ? "(" + text + ")" : text;
}

std::string List(const std::vector<ast::ExprPtr>& args, size_t from) {
  std::string out;
  for (size_t i = from; i < args.size(); ++i) out += (i > from ? ", " : "") + PrintExpr(*args[i]);
  return out;
}

}  // namespace

std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

std::string PrintExpr(const ast::Expr& e) {
  switch (e.kind) {
    case ast::ExprKind::kInteger:
      return std::to_string(e.integer_value);
    case ast::ExprKind::kDecimal:
      return Decimal(e.decimal_value, e.decimal_places);
    case ast::ExprKind::kString:
      return Quote(e.string_value);
    case ast::ExprKind::kDate:
      return FormatDate(e.integer_value);
    case ast::ExprKind::kYearMonth:
      return FormatYearMonth(e.integer_value);
    case ast::ExprKind::kUnknown:
      return "不明";
    case ast::ExprKind::kBoolean:
      return e.boolean_value ? "true" : "false";
    case ast::ExprKind::kName:
      return e.name;
    case ast::ExprKind::kIndex:
      return Operand(*e.args[0], 10) + "[" + PrintExpr(*e.args[1]) + "]";
    case ast::ExprKind::kCall:
      return e.name + "(" + List(e.args, 0) + ")";
    case ast::ExprKind::kLoop:
      return e.name + "(" + e.loop_variable + " in " + PrintExpr(*e.args[0]) + ".." +
             PrintExpr(*e.args[1]) + " : " + PrintExpr(*e.args[2]) + ")";
    case ast::ExprKind::kNegate:
      return "-" + Operand(*e.args[0], 9);
    case ast::ExprKind::kNot:
      return "not " + Operand(*e.args[0], 5);
    case ast::ExprKind::kBinary: {
      int p = Precedence(e);
      // Left-associative operators: the right operand needs a tighter binding;
      // '^' is right-associative, so the left one does.
      bool right_assoc = e.op == "^";
      bool comparison = p == 5;
      int left_min = right_assoc || comparison ? p + 1 : p;
      int right_min = right_assoc ? p : p + 1;
      // The grammar reads `x ^ -1.094` as x to the power -1.094.
      if (right_assoc && e.args[1]->kind == ast::ExprKind::kNegate) right_min = 8;
      return Operand(*e.args[0], left_min) + " " + e.op + " " + Operand(*e.args[1], right_min);
    }
    case ast::ExprKind::kIf:
      return "if " + PrintExpr(*e.args[0]) + " then " + PrintExpr(*e.args[1]) + " else " +
             PrintExpr(*e.args[2]);
    case ast::ExprKind::kAtLeast:
      return "at least " + PrintExpr(*e.args[0]) + " of (" + List(e.args, 1) + ")";
    case ast::ExprKind::kAnyOf:
      return "any of (" + List(e.args, 0) + ")";
    case ast::ExprKind::kAllOf:
      return "all of (" + List(e.args, 0) + ")";
    case ast::ExprKind::kCases: {
      std::string out = "cases { ";
      for (size_t i = 0; i + 1 < e.args.size(); i += 2) {
        out += PrintExpr(*e.args[i]) + " -> " + PrintExpr(*e.args[i + 1]) + "; ";
      }
      return out + "else -> " + PrintExpr(*e.args.back()) + " }";
    }
    case ast::ExprKind::kLookup:
      return "lookup " + e.name + "[" + PrintExpr(*e.args[0]) + ", " + PrintExpr(*e.args[1]) + "]";
  }
  return "?";
}

std::string PrintLiteral(const ast::Literal& lit) {
  switch (lit.kind) {
    case ast::LiteralKind::kInteger:
      return std::to_string(lit.integer);
    case ast::LiteralKind::kDecimal: {
      // Keep the places the author wrote.
      std::string text = lit.text;
      return text.empty() ? std::to_string(lit.decimal) : text;
    }
    case ast::LiteralKind::kString:
      return Quote(lit.string);
    case ast::LiteralKind::kDate:
      return FormatDate(lit.integer);
    case ast::LiteralKind::kYearMonth:
      return FormatYearMonth(lit.integer);
    case ast::LiteralKind::kBoolean:
      return lit.boolean ? "true" : "false";
    case ast::LiteralKind::kAnswer:
      return lit.string;
    case ast::LiteralKind::kList: {
      std::string out = "[";
      for (size_t i = 0; i < lit.elements.size(); ++i) {
        out += (i ? ", " : "") + PrintLiteral(lit.elements[i]);
      }
      return out + "]";
    }
  }
  return "?";
}

}  // namespace kijun::dsl
