#include "dsl/formatter.h"

#include <charconv>
#include <sstream>

#include "dsl/calendar.h"
#include "dsl/expr_printer.h"
#include "dsl/parser.h"

namespace kijun::dsl {

namespace {

std::string FormatNumberText(double v) {
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed);
  return ec == std::errc() ? std::string(buffer, end) : "0";
}

class Formatter {
 public:
  explicit Formatter(const ast::RuleFile& file) : file_(file) {}

  std::string Run() {
    Header();
    for (size_t i = 0; i < file_.order.size(); ++i) {
      const auto& [kind, index] = file_.order[i];
      // One-line declarations of the same kind stay together; everything
      // else is separated by a blank line.
      bool grouped =
          i > 0 && file_.order[i - 1].first == kind &&
          (kind == ast::RuleFile::DeclKind::kCalc || kind == ast::RuleFile::DeclKind::kCheck);
      if (!grouped) out_ << '\n';
      uint32_t line = file_.order_lines[i];
      block_end_ = file_.order_end_lines[i];
      CommentsBefore(line, "");
      switch (kind) {
        case ast::RuleFile::DeclKind::kSection:
          Section(*file_.sections[index], line);
          break;
        case ast::RuleFile::DeclKind::kCalc:
          Calc(*file_.calcs[index], line);
          break;
        case ast::RuleFile::DeclKind::kCheck:
          Check(*file_.checks[index], line);
          break;
        case ast::RuleFile::DeclKind::kClassification:
          Classification(*file_.classifications[index], line);
          break;
        case ast::RuleFile::DeclKind::kTable:
          Table(*file_.tables[index], line);
          break;
        case ast::RuleFile::DeclKind::kTest:
          Test(file_.tests[index], line);
          break;
      }
    }
    CommentsBefore(UINT32_MAX, "");
    return out_.str();
  }

 private:
  // Own-line comments before `line`, at `indent`.
  void CommentsBefore(uint32_t line, const std::string& indent) {
    while (next_ < file_.comments.size() && file_.comments[next_].line < line) {
      const auto& c = file_.comments[next_++];
      out_ << indent << c.text << '\n';
    }
  }

  // Ends a line that began at source line `line`, keeping its trailing comment.
  void EndLine(uint32_t line) {
    if (next_ < file_.comments.size() && file_.comments[next_].line == line &&
        !file_.comments[next_].own_line) {
      out_ << "  " << file_.comments[next_++].text;
    }
    out_ << '\n';
  }

  static std::string Labels(const std::string& ja, const std::string& en) {
    std::string out;
    if (!ja.empty()) out += " " + Quote(ja);
    if (!en.empty()) out += " en " + Quote(en);
    return out;
  }

  void Header() {
    uint32_t line = file_.header_where.line;
    CommentsBefore(line, "");
    if (file_.is_module) {
      out_ << "module " << file_.module_name << Labels(file_.name_ja, file_.name_en);
    } else {
      bool digits = !file_.number.empty() &&
                    file_.number.find_first_not_of("0123456789") == std::string::npos;
      out_ << "disease " << file_.programme << ' ' << (digits ? file_.number : Quote(file_.number))
           << ' ' << Quote(file_.name_ja);
      if (!file_.name_en.empty()) out_ << " en " << Quote(file_.name_en);
    }
    EndLine(line);
    if (file_.revision) out_ << "revision " << *file_.revision << '\n';
    if (file_.effective) out_ << "effective " << FormatDate(*file_.effective) << '\n';
    if (!file_.variants.empty()) {
      out_ << "variants ";
      for (size_t i = 0; i < file_.variants.size(); ++i)
        out_ << (i ? ", " : "") << file_.variants[i];
      out_ << '\n';
    }
    for (const auto& s : file_.sources) {
      CommentsBefore(s.where.line, "");
      out_ << "source " << Quote(s.document);
      if (!s.url.empty()) out_ << " url " << Quote(s.url);
      if (s.dated) out_ << " dated " << FormatDate(*s.dated);
      EndLine(s.where.line);
    }
    if (!file_.imports.empty()) out_ << '\n';
    for (const auto& imp : file_.imports) {
      CommentsBefore(imp.where.line, "");
      out_ << "import " << Quote(imp.path);
      EndLine(imp.where.line);
    }
  }

  static std::string Bound(double v, int places) {
    char buffer[64];
    auto [end, ec] =
        std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed, places);
    return ec == std::errc() ? std::string(buffer, end) : FormatNumberText(v);
  }

  // Decimal bounds keep the item's places: 30.0..45.0 for decimal(1).
  static std::string Range(const ast::ItemType& t) {
    if (!t.min && !t.max) return "";
    int places = t.kind == ast::ItemKind::kDecimal ? t.places : 0;
    return " " + Bound(t.min.value_or(0), places) + ".." + Bound(t.max.value_or(0), places);
  }

  static std::string Options(const std::vector<ast::ChoiceOption>& options) {
    std::string out = " { ";
    for (size_t i = 0; i < options.size(); ++i) {
      out += (i ? ", " : "") + std::to_string(options[i].code) + " " + Quote(options[i].label);
      if (!options[i].label_en.empty()) out += " en " + Quote(options[i].label_en);
    }
    return out + " }";
  }

  static std::string TypeSpec(const ast::ItemType& t) {
    switch (t.kind) {
      case ast::ItemKind::kInteger:
        return "integer" + Range(t) + (t.unit.empty() ? "" : " " + Quote(t.unit));
      case ast::ItemKind::kDecimal:
        return "decimal(" + std::to_string(t.places) + ")" + Range(t) +
               (t.unit.empty() ? "" : " " + Quote(t.unit));
      case ast::ItemKind::kAnswer:
        return "answer";
      case ast::ItemKind::kYesNo:
        return "yesno";
      case ast::ItemKind::kChoice:
        return "choice" + Options(t.options);
      case ast::ItemKind::kChoices:
        return "choices" + Options(t.options);
      case ast::ItemKind::kDate:
        return "date";
      case ast::ItemKind::kYearMonth:
        return "yearmonth";
      case ast::ItemKind::kText:
        return "text max " + std::to_string(t.max_chars) +
               (t.max_lines > 0 ? " lines " + std::to_string(t.max_lines) : "");
      case ast::ItemKind::kList:
        return "list " + std::to_string(t.list_size) + " of " +
               (t.element ? TypeSpec(*t.element) : "integer");
    }
    return "integer";
  }

  void Item(const ast::Item& item, const std::string& indent) {
    CommentsBefore(item.where.line, indent);
    out_ << indent << "item " << item.name << Labels(item.label, item.label_en) << " : "
         << TypeSpec(item.type);
    if (item.required) {
      out_ << ", required";
      for (const auto& v : item.required_variants) out_ << ' ' << v;
    }
    if (item.asked_when) out_ << ", when " << PrintExpr(*item.asked_when);
    EndLine(item.where.line);
  }

  void Section(const ast::Section& s, uint32_t line) {
    out_ << "section " << s.name << Labels(s.label, s.label_en);
    if (!s.only_variant.empty()) out_ << " only " << s.only_variant;
    out_ << " {";
    EndLine(line);
    // Items and groups in source order.
    size_t i = 0, g = 0;
    while (i < s.items.size() || g < s.groups.size()) {
      bool item_first = g >= s.groups.size() ||
                        (i < s.items.size() && s.items[i]->where.line < s.groups[g]->where.line);
      if (item_first) {
        Item(*s.items[i++], "  ");
      } else {
        const auto& group = *s.groups[g++];
        CommentsBefore(group.where.line, "  ");
        out_ << "  group " << group.name << Labels(group.label, group.label_en) << " repeat "
             << group.min_entries << ".." << group.max_entries << " {";
        EndLine(group.where.line);
        for (const auto& item : group.items) Item(*item, "    ");
        out_ << "  }\n";
      }
    }
    CommentsBefore(ClosingLine(line), "  ");
    out_ << "}\n";
  }

  // Comments inside a block are those before its closing brace's line;
  // comments after it belong before the next declaration.
  uint32_t ClosingLine(uint32_t /*line*/) const { return block_end_; }

  void Calc(const ast::Calc& c, uint32_t line) {
    out_ << "calc " << c.name << Labels(c.label, c.label_en);
    switch (c.declared) {
      case ast::CalcTypeKind::kInferred:
        break;
      case ast::CalcTypeKind::kInteger:
        out_ << " : integer" << (c.unit.empty() ? "" : " " + Quote(c.unit));
        break;
      case ast::CalcTypeKind::kDecimal:
        out_ << " : decimal(" << c.places << ")" << (c.unit.empty() ? "" : " " + Quote(c.unit));
        break;
      case ast::CalcTypeKind::kBoolean:
        out_ << " : boolean";
        break;
      case ast::CalcTypeKind::kText:
        out_ << " : text";
        break;
    }
    out_ << " = " << (c.expr ? PrintExpr(*c.expr) : "");
    EndLine(line);
  }

  void Check(const ast::Check& c, uint32_t line) {
    out_ << "check " << c.name << (c.is_error ? " error " : " warning ") << Quote(c.message_ja);
    if (!c.message_en.empty()) out_ << " en " << Quote(c.message_en);
    out_ << " : " << (c.condition ? PrintExpr(*c.condition) : "");
    EndLine(line);
  }

  void Classification(const ast::Classification& c, uint32_t line) {
    const char* kind = c.kind == ast::ClassificationKind::kDiagnosis  ? "diagnosis"
                       : c.kind == ast::ClassificationKind::kSeverity ? "severity"
                                                                      : "outcome";
    out_ << kind << ' ' << c.name << Labels(c.label, c.label_en) << " {";
    EndLine(line);
    for (const auto& level : c.levels) {
      CommentsBefore(level->where.line, "  ");
      out_ << "  level " << level->name << Labels(level->label, level->label_en) << " : "
           << (level->condition ? PrintExpr(*level->condition) : "otherwise");
      EndLine(level->where.line);
    }
    if (!c.qualifying.empty()) {
      CommentsBefore(c.qualifying_where.front().line, "  ");
      out_ << "  qualifying ";
      for (size_t i = 0; i < c.qualifying.size(); ++i) out_ << (i ? ", " : "") << c.qualifying[i];
      EndLine(c.qualifying_where.front().line);
    }
    CommentsBefore(ClosingLine(line), "  ");
    out_ << "}\n";
  }

  static std::string Cell(const ast::TableCell& c) { return c.is_integer ? c.text : Quote(c.text); }

  void Table(const ast::Table& t, uint32_t line) {
    out_ << "table " << t.name << (t.label.empty() ? "" : " " + Quote(t.label)) << " rows (";
    for (size_t i = 0; i < t.rows.size(); ++i) out_ << (i ? ", " : "") << Cell(t.rows[i]);
    out_ << ") columns (";
    for (size_t i = 0; i < t.columns.size(); ++i) out_ << (i ? ", " : "") << Cell(t.columns[i]);
    out_ << ") {";
    EndLine(line);
    for (const auto& row : t.cells) {
      if (!row.empty()) CommentsBefore(row.front().where.line, "  ");
      out_ << " ";
      for (const auto& c : row) out_ << ' ' << Cell(c);
      out_ << ';';
      EndLine(row.empty() ? line : row.front().where.line);
    }
    CommentsBefore(ClosingLine(line), "  ");
    out_ << "}\n";
  }

  void Test(const ast::TestCase& t, uint32_t line) {
    out_ << "test " << Quote(t.name) << " {";
    EndLine(line);
    if (!t.variant.empty()) out_ << "  variant " << t.variant << '\n';
    if (t.date) out_ << "  dated " << FormatDate(*t.date) << '\n';
    if (!t.given.empty()) {
      out_ << "  given {\n";
      // Answers the author wrote on one line stay on one line.
      for (size_t i = 0; i < t.given.size();) {
        uint32_t given_line = t.given[i].where.line;
        CommentsBefore(given_line, "    ");
        out_ << "   ";
        for (; i < t.given.size() && t.given[i].where.line == given_line; ++i) {
          out_ << ' ' << t.given[i].name << ": " << PrintLiteral(t.given[i].value) << ',';
        }
        EndLine(given_line);
      }
      out_ << "  }\n";
    }
    for (const auto& x : t.expectations) {
      CommentsBefore(x.where.line, "  ");
      out_ << "  expect ";
      switch (x.kind) {
        case ast::ExpectationKind::kValue:
          out_ << x.target << " = " << (x.value ? PrintLiteral(*x.value) : x.level);
          break;
        case ast::ExpectationKind::kError:
          out_ << "error " << x.target;
          break;
        case ast::ExpectationKind::kWarning:
          out_ << "warning " << x.target;
          break;
        case ast::ExpectationKind::kNoMessages:
          out_ << "no messages";
          break;
        case ast::ExpectationKind::kInsufficient:
          out_ << "insufficient " << x.target;
          if (!x.deciding_items.empty()) {
            out_ << " (";
            for (size_t i = 0; i < x.deciding_items.size(); ++i)
              out_ << (i ? ", " : "") << x.deciding_items[i];
            out_ << ")";
          }
          break;
      }
      EndLine(x.where.line);
    }
    CommentsBefore(ClosingLine(line), "  ");
    out_ << "}\n";
  }

  const ast::RuleFile& file_;
  std::ostringstream out_;
  size_t next_ = 0;
  uint32_t block_end_ = 0;
};

}  // namespace

bool FormatRuleFile(const SourceFile& source, Diagnostics& diagnostics, std::string& formatted) {
  auto file = ParseRuleFile(source, diagnostics);
  if (diagnostics.HasErrors()) return false;
  formatted = Formatter(*file).Run();
  return true;
}

}  // namespace kijun::dsl
