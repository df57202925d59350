#include "dsl/ast_dump.h"

#include <sstream>

#include "dsl/expr_printer.h"

namespace kijun::dsl {

namespace {

const char* KindName(ast::ExprKind k) {
  switch (k) {
    case ast::ExprKind::kInteger:
      return "int";
    case ast::ExprKind::kDecimal:
      return "decimal";
    case ast::ExprKind::kString:
      return "string";
    case ast::ExprKind::kDate:
      return "date";
    case ast::ExprKind::kYearMonth:
      return "yearmonth";
    case ast::ExprKind::kUnknown:
      return "unknown";
    case ast::ExprKind::kBoolean:
      return "bool";
    case ast::ExprKind::kName:
      return "name";
    case ast::ExprKind::kIndex:
      return "index";
    case ast::ExprKind::kCall:
      return "call";
    case ast::ExprKind::kLoop:
      return "loop";
    case ast::ExprKind::kNegate:
      return "neg";
    case ast::ExprKind::kNot:
      return "not";
    case ast::ExprKind::kBinary:
      return "binary";
    case ast::ExprKind::kIf:
      return "if";
    case ast::ExprKind::kAtLeast:
      return "at-least";
    case ast::ExprKind::kAnyOf:
      return "any-of";
    case ast::ExprKind::kAllOf:
      return "all-of";
    case ast::ExprKind::kCases:
      return "cases";
    case ast::ExprKind::kLookup:
      return "lookup";
  }
  return "?";
}

const char* SymbolName(ast::SymbolKind s) {
  switch (s) {
    case ast::SymbolKind::kUnresolved:
      return "";
    case ast::SymbolKind::kItem:
      return "item";
    case ast::SymbolKind::kCalc:
      return "calc";
    case ast::SymbolKind::kClassification:
      return "classification";
    case ast::SymbolKind::kLevel:
      return "level";
    case ast::SymbolKind::kLoopVariable:
      return "loop-var";
  }
  return "";
}

void Dump(const ast::Expr& e, std::ostringstream& out) {
  out << '(' << KindName(e.kind);
  if (e.kind == ast::ExprKind::kBinary) out << ' ' << e.op;
  if (!e.name.empty()) out << ' ' << e.name;
  if (e.kind == ast::ExprKind::kLoop) out << " var=" << e.loop_variable;
  if (e.args.empty() && e.kind != ast::ExprKind::kName) out << ' ' << PrintExpr(e);
  if (e.symbol != ast::SymbolKind::kUnresolved) out << " :" << SymbolName(e.symbol);
  if (!e.type.IsError()) out << " :" << TypeNameEn(e.type);
  for (const auto& a : e.args) {
    out << ' ';
    Dump(*a, out);
  }
  out << ')';
}

}  // namespace

std::string DumpProgram(const Program& program) {
  std::ostringstream out;
  out << "program " << program.content_hash << '\n';
  for (const auto* file : program.AllFiles()) {
    out << (file->is_module ? "module " : "disease ") << file->source->path() << '\n';
    for (const auto& s : file->sections) {
      out << "  section " << s->name << '\n';
      for (const auto& item : s->items) {
        out << "    item " << item->name << " #" << item->index;
        if (item->asked_when) {
          out << " when ";
          Dump(*item->asked_when, out);
        }
        out << '\n';
      }
      for (const auto& g : s->groups)
        out << "    group " << g->name << " (" << g->items.size() << " items)\n";
    }
    for (const auto& c : file->calcs) {
      out << "  calc " << c->name << " : " << TypeNameEn(c->type) << " = ";
      if (c->expr) Dump(*c->expr, out);
      out << '\n';
    }
    for (const auto& c : file->checks) {
      out << "  check " << c->name << (c->is_error ? " error " : " warning ");
      if (c->condition) Dump(*c->condition, out);
      out << '\n';
    }
    for (const auto& c : file->classifications) {
      out << "  classification " << c->name << '\n';
      for (const auto& l : c->levels) {
        out << "    level " << l->name << ' ';
        if (l->condition) {
          Dump(*l->condition, out);
        } else {
          out << "otherwise";
        }
        out << '\n';
      }
    }
    for (const auto& t : file->tables)
      out << "  table " << t->name << ' ' << t->rows.size() << 'x' << t->columns.size() << '\n';
    for (const auto& t : file->tests) out << "  test " << Quote(t.name) << '\n';
  }
  if (!program.calc_order.empty()) {
    out << "calculation order:";
    for (const auto* c : program.calc_order) out << ' ' << c->name;
    out << '\n';
  }
  return out.str();
}

}  // namespace kijun::dsl
