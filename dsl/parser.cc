#include "dsl/parser.h"

#include <antlr4-runtime.h>

#include <charconv>
#include <cstdlib>
#include <set>

#include "KijunLexer.h"
#include "KijunParser.h"
#include "dsl/calendar.h"
#include "dsl/unicode_lexer_dfa.h"

namespace kijun::dsl {

namespace {

using antlr4::ParserRuleContext;
using antlr4::Token;
using G = KijunParser;

// A character an author may type with a Japanese IME, and what the language
// expects instead.
std::string HalfWidthFor(const std::string& text) {
  static const std::pair<const char*, const char*> kPairs[] = {
      {"＝", "="}, {"（", "("}, {"）", ")"}, {"｛", "{"}, {"｝", "}"}, {"：", ":"}, {"，", ","},
      {"、", ","}, {"＜", "<"}, {"＞", ">"}, {"＋", "+"}, {"－", "-"}, {"＊", "*"}, {"／", "/"},
      {"［", "["}, {"］", "]"}, {"“", "\""}, {"”", "\""}, {"；", ";"}, {"．", "."}, {"＃", "#"},
      {"！", "!"}, {"≧", ">="}, {"≦", "<="}, {"≠", "!="}, {"×", "*"},  {"÷", "/"},  {"＾", "^"},
      {"０", "0"}, {"１", "1"}, {"２", "2"}, {"３", "3"}, {"４", "4"}, {"５", "5"}, {"６", "6"},
      {"７", "7"}, {"８", "8"}, {"９", "9"}, {"　", " "}};
  for (const auto& [full, half] : kPairs) {
    if (text == full) return half;
  }
  return {};
}

std::string Describe(const Token* token) {
  if (token == nullptr) return "?";
  if (token->getType() == Token::EOF) return "ファイルの終わり";
  return "「" + token->getText() + "」";
}

std::string DescribeEn(const Token* token) {
  if (token == nullptr) return "?";
  if (token->getType() == Token::EOF) return "end of file";
  return "'" + token->getText() + "'";
}

// Nesting and expression-length limits. Real criteria stay far below them;
// beyond them the recursive tree would exhaust the stack.
constexpr int kMaxNesting = 100;
constexpr size_t kMaxOperatorsPerStatement = 1000;

bool StartsStatement(size_t type) {
  switch (type) {
    case KijunLexer::SECTION:
    case KijunLexer::ITEM:
    case KijunLexer::GROUP:
    case KijunLexer::CALC:
    case KijunLexer::CHECK:
    case KijunLexer::LEVEL:
    case KijunLexer::DIAGNOSIS:
    case KijunLexer::SEVERITY:
    case KijunLexer::OUTCOME:
    case KijunLexer::TABLE:
    case KijunLexer::TEST:
    case KijunLexer::EXPECT:
    case KijunLexer::GIVEN:
    case KijunLexer::IMPORT:
      return true;
    default:
      return false;
  }
}

// Tokens after which a line cannot end: an operator or an opening bracket.
bool NeedsContinuation(const Token* token) {
  static const std::set<std::string> kTexts = {
      "+",    "-",      "*", "/", "^", "=", "!=", "<",    "<=",   ">",  ">=", "and", "or",    "not",
      "かつ", "または", ":", ",", "(", "[", "if", "then", "else", "->", "of", "..",  "least", "in"};
  return kTexts.count(token->getText()) != 0;
}

// Reports a run of characters the lexer could not use (its own error, so
// that the parser's confusion around it is not reported as well). `text` is
// the run (e.g. "１００"); `half` its replacement when every character has one.
void ReportBadCharacters(const Token* first, const std::string& text, const std::string& half,
                         const SourceFile& source, Diagnostics& diagnostics) {
  const Token* token = first;
  SourceLocation where{&source, static_cast<uint32_t>(token->getLine()),
                       static_cast<uint32_t>(token->getCharPositionInLine() + 1),
                       CodePointCount(text)};
  if (!half.empty()) {
    bool full_width = text != "≧" && text != "≦" && text != "≠" && text != "×" && text != "÷";
    diagnostics.Error(where, "K102",
                      (full_width ? "全角文字「" : "記号「") + text + "」は使えません",
                      "character '" + text + "' is not allowed here",
                      "半角の「" + half + "」を使ってください", "write '" + half + "' instead");
  } else if (text == "\"") {
    diagnostics.Error(where, "K103", "文字列が閉じられていません",
                      "string is not closed before the end of the line",
                      "行末までに「\"」で閉じてください",
                      "end the string with '\"' on the same line");
  } else {
    diagnostics.Error(where, "K101", "使えない文字「" + text + "」があります",
                      "unexpected character '" + text + "'", "この文字を削除してください",
                      "remove this character");
  }
}

// Turns ANTLR's syntax errors into located bilingual diagnostics.
class SyntaxErrorListener : public antlr4::BaseErrorListener {
 public:
  SyntaxErrorListener(const SourceFile& source, Diagnostics& diagnostics,
                      std::set<size_t> reported_lines)
      : source_(source), diagnostics_(diagnostics), reported_lines_(std::move(reported_lines)) {}

  void syntaxError(antlr4::Recognizer* recognizer, Token* offending, size_t line, size_t column,
                   const std::string& /*message*/, std::exception_ptr /*error*/) override {
    if (offending != nullptr && offending->getType() == KijunLexer::BAD_CHAR) return;
    SourceLocation where{&source_, static_cast<uint32_t>(line), static_cast<uint32_t>(column + 1),
                         1};
    if (offending != nullptr && offending->getType() != Token::EOF) {
      where.length = std::max<uint32_t>(1, CodePointCount(offending->getText()));
    }
    std::string expected;
    std::vector<std::string> expected_words;
    const Token* previous = nullptr;
    if (auto* parser = dynamic_cast<antlr4::Parser*>(recognizer)) {
      auto set = parser->getExpectedTokens();
      if (set.size() <= 6) expected = set.toString(parser->getVocabulary());
      for (size_t type : set.toList()) {
        std::string word = parser->getVocabulary().getLiteralName(type);
        if (word.size() > 2) expected_words.push_back(word.substr(1, word.size() - 2));
      }
      previous = parser->getTokenStream()->LT(-1);
    }
    // A line that ends after an operator: ANTLR blames the next line's first
    // word; point at the end of the unfinished line instead.
    if (offending != nullptr && previous != nullptr && previous->getType() != Token::EOF &&
        offending->getLine() > previous->getLine() && NeedsContinuation(previous) &&
        reported_lines_.count(previous->getLine()) == 0) {
      SourceLocation end{&source_, static_cast<uint32_t>(previous->getLine()),
                         static_cast<uint32_t>(previous->getCharPositionInLine() + 1 +
                                               CodePointCount(previous->getText())),
                         1};
      diagnostics_.Error(
          end, "K107",
          "行が途中で終わっています (「" + previous->getText() + "」の後に続きが必要です)",
          "the line ends unfinished after '" + previous->getText() + "'",
          expected.empty() ? "この行の書きかけの部分を完成させてください"
                           : "ここには " + expected + " のいずれかが必要です",
          expected.empty() ? "complete this line" : "expected one of " + expected);
      reported_lines_.insert(previous->getLine());
      reported_lines_.insert(line);
      return;
    }
    // One grammar error per line, and none on a line whose bad character was
    // already reported: later ones are usually echoes of the first.
    if (reported_lines_.count(line) != 0) return;
    reported_lines_.insert(line);
    auto [hint_ja, hint_en] = Hint(offending, previous, expected, expected_words);
    diagnostics_.Error(where, "K100", Describe(offending) + "の位置で文法が正しくありません",
                       "syntax error at " + DescribeEn(offending), hint_ja, hint_en);
  }

 private:
  static std::pair<std::string, std::string> Hint(const Token* offending, const Token* previous,
                                                  const std::string& expected,
                                                  const std::vector<std::string>& words) {
    std::string text = offending ? offending->getText() : "";
    if (text == "又は" || text == "或いは" || text == "もしくは") {
      return {"「または」か「or」を使ってください", "write 'または' or 'or'"};
    }
    if (text == "且つ" || text == "及び") {
      return {"「かつ」か「and」を使ってください", "write 'かつ' or 'and'"};
    }
    if (text == "=" && previous != nullptr && previous->getText() == "=") {
      return {"等しいかどうかは「=」一つで書きます", "equality is a single '='"};
    }
    if (std::find(words.begin(), words.end(), "else") != words.end() &&
        std::find(words.begin(), words.end(), "->") == words.end() && text == "}") {
      return {"cases の最後に「else -> 値;」が必要です", "cases needs a final 'else -> value;'"};
    }
    if (offending != nullptr &&
        (offending->getType() == Token::EOF || StartsStatement(offending->getType())) &&
        std::find(words.begin(), words.end(), "}") != words.end()) {
      return {"前の「{」が「}」で閉じられていません", "an earlier '{' is never closed with '}'"};
    }
    if (offending != nullptr && offending->getType() == KijunLexer::IDENT && !words.empty()) {
      std::string close = ClosestName(text, words);
      if (!close.empty()) {
        return {"「" + close + "」のことですか？", "did you mean '" + close + "'?"};
      }
    }
    if (!expected.empty()) {
      return {"ここには " + expected + " のいずれかが必要です", "expected one of " + expected};
    }
    return {"書き方は docs/language.md を参照してください", "see docs/language.md for the syntax"};
  }

  const SourceFile& source_;
  Diagnostics& diagnostics_;
  std::set<size_t> reported_lines_;
};

// Builds the syntax tree from ANTLR's parse tree.
class TreeBuilder {
 public:
  TreeBuilder(const SourceFile& source, antlr4::CharStream& input, Diagnostics& diagnostics)
      : source_(source), input_(input), diagnostics_(diagnostics) {}

  std::unique_ptr<ast::RuleFile> Build(G::RuleFileContext* ctx) {
    auto file = std::make_unique<ast::RuleFile>();
    file->source = &source_;
    if (auto* h = ctx->diseaseHeader()) {
      file->header_where = Where(h);
      if (h->programme) file->programme = NameText(h->programme);
      if (h->number != nullptr && h->number->getType() == KijunLexer::STRING) {
        file->number = Unquote(h->number);
      } else if (h->number != nullptr) {
        file->number = std::to_string(ParseInteger(h->number->getText(), Where(h->number)));
      }
      if (h->nameJa) file->name_ja = Unquote(h->nameJa);
      if (h->nameEn) file->name_en = Unquote(h->nameEn);
      for (auto* field : h->headerField()) HeaderField(*file, field);
    } else if (auto* m = ctx->moduleHeader()) {
      file->is_module = true;
      file->header_where = Where(m);
      if (m->name()) file->module_name = NameText(m->name());
      auto strings = m->STRING();
      if (!strings.empty()) file->name_ja = Unquote(strings[0]->getSymbol());
      if (strings.size() > 1) file->name_en = Unquote(strings[1]->getSymbol());
      for (auto* field : m->headerField()) HeaderField(*file, field);
    }
    for (auto* imp : ctx->importDecl()) {
      if (imp->STRING() == nullptr) continue;
      file->imports.push_back({Unquote(imp->STRING()->getSymbol()), Where(imp), {}});
    }
    for (auto* decl : ctx->declaration()) Declaration(*file, decl);
    return file;
  }

 private:
  SourceLocation Where(ParserRuleContext* ctx) const {
    SourceLocation where = Where(ctx->getStart());
    if (ctx->getStop() != nullptr && ctx->getStop()->getLine() == ctx->getStart()->getLine() &&
        ctx->getStop()->getStopIndex() >= ctx->getStart()->getStartIndex()) {
      where.length = static_cast<uint32_t>(ctx->getStop()->getStopIndex() -
                                           ctx->getStart()->getStartIndex() + 1);
    }
    return where;
  }

  SourceLocation Where(const Token* token) const {
    if (token == nullptr) return {&source_, 0, 0, 1};
    SourceLocation where{&source_, static_cast<uint32_t>(token->getLine()),
                         static_cast<uint32_t>(token->getCharPositionInLine() + 1), 1};
    if (token->getType() != Token::EOF) {
      where.length = std::max<uint32_t>(1, CodePointCount(token->getText()));
    }
    return where;
  }

  std::string Text(ParserRuleContext* ctx) const {
    if (ctx->getStart() == nullptr || ctx->getStop() == nullptr) return ctx->getText();
    size_t a = ctx->getStart()->getStartIndex();
    size_t b = ctx->getStop()->getStopIndex();
    if (b < a || b == static_cast<size_t>(-1)) return ctx->getText();
    return input_.getText(antlr4::misc::Interval(a, b));
  }

  static std::string NameText(G::NameContext* ctx) { return ctx ? ctx->getText() : std::string(); }

  static std::string Unquote(const Token* token) {
    std::string raw = token ? token->getText() : std::string();
    if (raw.size() < 2) return {};
    std::string out;
    for (size_t i = 1; i + 1 < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 2 < raw.size()) {
        ++i;
        out += raw[i] == 'n' ? '\n' : raw[i];
      } else {
        out += raw[i];
      }
    }
    return out;
  }
  static std::string Unquote(antlr4::tree::TerminalNode* node) {
    return node ? Unquote(node->getSymbol()) : std::string();
  }

  int64_t ParseInteger(const std::string& text, const SourceLocation& where) {
    int64_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    // Integers above 2^53 cannot be compared exactly with decimals.
    if (ec != std::errc() || ptr != text.data() + text.size() || value > (int64_t{1} << 53)) {
      diagnostics_.Error(where, "K104", "整数「" + text + "」が大きすぎます",
                         "integer '" + text + "' is too large",
                         "9,007,199,254,740,992 以下の値にしてください",
                         "integers must be at most 2^53 (9,007,199,254,740,992)");
      return 0;
    }
    return value;
  }

  // Sizes and counts (list lengths, decimal places, text limits) must fit an
  // int; a larger number is reported rather than silently truncated.
  int SmallInteger(antlr4::tree::TerminalNode* node) {
    SourceLocation where = Where(node->getSymbol());
    int64_t value = ParseInteger(node->getText(), where);
    if (value > 1000000) {
      diagnostics_.Error(where, "K104", "数「" + node->getText() + "」が大きすぎます",
                         "number '" + node->getText() + "' is too large here",
                         "1,000,000 以下にしてください", "use at most 1,000,000");
      return 1;  // a harmless value, so that no second error follows
    }
    return static_cast<int>(value);
  }

  int64_t ParseDateToken(const Token* token) {
    auto days = ParseDate(token->getText());
    if (!days) {
      diagnostics_.Error(Where(token), "K105", "日付「" + token->getText() + "」は存在しません",
                         "'" + token->getText() + "' is not a valid date",
                         "YYYY-MM-DD 形式の実在する日付を書いてください",
                         "write a real date as YYYY-MM-DD");
      return 0;
    }
    return *days;
  }

  int64_t ParseYearMonthToken(const Token* token) {
    auto months = ParseYearMonth(token->getText());
    if (!months) {
      diagnostics_.Error(Where(token), "K105", "年月「" + token->getText() + "」は存在しません",
                         "'" + token->getText() + "' is not a valid year-month",
                         "YYYY-MM 形式で月は 01〜12 にしてください",
                         "write YYYY-MM with a month from 01 to 12");
      return 0;
    }
    return *months;
  }

  void HeaderField(ast::RuleFile& file, G::HeaderFieldContext* field) {
    if (auto* r = dynamic_cast<G::RevisionFieldContext*>(field)) {
      if (r->INT()) file.revision = ParseInteger(r->INT()->getText(), Where(r->INT()->getSymbol()));
    } else if (auto* e = dynamic_cast<G::EffectiveFieldContext*>(field)) {
      if (e->DATE()) file.effective = ParseDateToken(e->DATE()->getSymbol());
    } else if (auto* s = dynamic_cast<G::SourceFieldContext*>(field)) {
      ast::Source source;
      source.where = Where(s);
      auto strings = s->STRING();
      if (!strings.empty()) source.document = Unquote(strings[0]);
      if (strings.size() > 1) source.url = Unquote(strings[1]);
      if (s->DATE()) source.dated = ParseDateToken(s->DATE()->getSymbol());
      file.sources.push_back(std::move(source));
    } else if (auto* v = dynamic_cast<G::VariantsFieldContext*>(field)) {
      for (auto* n : v->name()) {
        file.variants.push_back(NameText(n));
        file.variant_where.push_back(Where(n));
      }
    }
  }

  void Record(ast::RuleFile& file, ast::RuleFile::DeclKind kind, size_t index,
              ParserRuleContext* ctx) {
    file.order.emplace_back(kind, index);
    file.order_lines.push_back(static_cast<uint32_t>(ctx->getStart()->getLine()));
    const Token* stop = ctx->getStop() != nullptr ? ctx->getStop() : ctx->getStart();
    file.order_end_lines.push_back(static_cast<uint32_t>(stop->getLine()));
  }

  void Declaration(ast::RuleFile& file, G::DeclarationContext* decl) {
    using K = ast::RuleFile::DeclKind;
    if (auto* s = decl->section()) {
      file.sections.push_back(Section(s));
      Record(file, K::kSection, file.sections.size() - 1, s);
    } else if (auto* c = decl->calc()) {
      file.calcs.push_back(Calc(c));
      Record(file, K::kCalc, file.calcs.size() - 1, c);
    } else if (auto* k = decl->check()) {
      file.checks.push_back(Check(k));
      Record(file, K::kCheck, file.checks.size() - 1, k);
    } else if (auto* cl = decl->classification()) {
      file.classifications.push_back(Classification(cl));
      Record(file, K::kClassification, file.classifications.size() - 1, cl);
    } else if (auto* t = decl->table()) {
      file.tables.push_back(Table(t));
      Record(file, K::kTable, file.tables.size() - 1, t);
    } else if (auto* tc = decl->testCase()) {
      file.tests.push_back(Test(tc));
      Record(file, K::kTest, file.tests.size() - 1, tc);
    }
  }

  // Label strings in declarations: the first is Japanese, one after `en` English.
  template <typename Ctx>
  void Labels(Ctx* ctx, std::string& ja, std::string& en) {
    auto strings = ctx->STRING();
    bool has_en = ctx->EN() != nullptr;
    if (has_en && !strings.empty()) {
      en = Unquote(strings.back());
      if (strings.size() > 1) ja = Unquote(strings.front());
    } else if (!strings.empty()) {
      ja = Unquote(strings.front());
    }
  }

  std::unique_ptr<ast::Section> Section(G::SectionContext* ctx) {
    auto section = std::make_unique<ast::Section>();
    auto names = ctx->name();
    if (!names.empty()) {
      section->name = NameText(names[0]);
      section->where = Where(names[0]);
    }
    Labels(ctx, section->label, section->label_en);
    if (ctx->ONLY() && names.size() > 1) {
      section->only_variant = NameText(names[1]);
      section->only_where = Where(names[1]);
    }
    for (auto* member : ctx->sectionMember()) {
      if (auto* i = member->item()) {
        section->items.push_back(Item(i));
        section->items.back()->section = section.get();
      } else if (auto* g = member->group()) {
        auto group = std::make_unique<ast::Group>();
        group->name = NameText(g->name());
        group->where = g->name() ? Where(g->name()) : Where(g);
        Labels(g, group->label, group->label_en);
        auto ints = g->INT();
        if (ints.size() == 2) {
          group->min_entries = ParseInteger(ints[0]->getText(), Where(ints[0]->getSymbol()));
          group->max_entries = ParseInteger(ints[1]->getText(), Where(ints[1]->getSymbol()));
        }
        group->section = section.get();
        for (auto* gi : g->item()) {
          group->items.push_back(Item(gi));
          group->items.back()->section = section.get();
          group->items.back()->group = group.get();
        }
        section->groups.push_back(std::move(group));
      }
    }
    return section;
  }

  std::unique_ptr<ast::Item> Item(G::ItemContext* ctx) {
    auto item = std::make_unique<ast::Item>();
    item->name = NameText(ctx->name());
    item->where = ctx->name() ? Where(ctx->name()) : Where(ctx);
    Labels(ctx, item->label, item->label_en);
    if (ctx->typeSpec()) TypeSpec(ctx->typeSpec(), item->type);
    for (auto* option : ctx->itemOption()) {
      if (auto* r = dynamic_cast<G::RequiredOptionContext*>(option)) {
        item->required = true;
        item->required_where = Where(r);
        if (r->name()) {
          item->required_variants.push_back(NameText(r->name()));
          item->required_variant_where.push_back(Where(r->name()));
        }
      } else if (auto* w = dynamic_cast<G::WhenOptionContext*>(option)) {
        if (w->expr()) item->asked_when = Expr(w->expr());
      }
    }
    return item;
  }

  std::optional<double> SignedNumber(G::SignedNumberContext* ctx) {
    if (ctx == nullptr) return std::nullopt;
    std::string text = ctx->getText();
    return std::strtod(text.c_str(), nullptr);
  }

  void Range(G::RangeContext* ctx, ast::ItemType& type) {
    if (ctx == nullptr) return;
    type.min = SignedNumber(ctx->lo);
    type.max = SignedNumber(ctx->hi);
  }

  void TypeSpec(G::TypeSpecContext* ctx, ast::ItemType& type) {
    type.where = Where(ctx);
    if (auto* l = dynamic_cast<G::ListTypeContext*>(ctx)) {
      type.kind = ast::ItemKind::kList;
      if (l->INT()) {
        type.list_size = SmallInteger(l->INT());
      }
      type.element = std::make_unique<ast::ItemType>();
      if (l->typeSpec()) TypeSpec(l->typeSpec(), *type.element);
    } else if (auto* i = dynamic_cast<G::IntegerTypeContext*>(ctx)) {
      type.kind = ast::ItemKind::kInteger;
      Range(i->range(), type);
      if (i->unit()) type.unit = Unquote(i->unit()->STRING());
    } else if (auto* d = dynamic_cast<G::DecimalTypeContext*>(ctx)) {
      type.kind = ast::ItemKind::kDecimal;
      if (d->INT()) {
        type.places = SmallInteger(d->INT());
      }
      Range(d->range(), type);
      if (d->unit()) type.unit = Unquote(d->unit()->STRING());
    } else if (dynamic_cast<G::AnswerTypeContext*>(ctx)) {
      type.kind = ast::ItemKind::kAnswer;
    } else if (dynamic_cast<G::YesnoTypeContext*>(ctx)) {
      type.kind = ast::ItemKind::kYesNo;
    } else if (auto* c = dynamic_cast<G::ChoiceTypeContext*>(ctx)) {
      type.kind = ast::ItemKind::kChoice;
      for (auto* o : c->option()) type.options.push_back(Option(o));
    } else if (auto* cs = dynamic_cast<G::ChoicesTypeContext*>(ctx)) {
      type.kind = ast::ItemKind::kChoices;
      for (auto* o : cs->option()) type.options.push_back(Option(o));
    } else if (dynamic_cast<G::DateTypeContext*>(ctx)) {
      type.kind = ast::ItemKind::kDate;
    } else if (dynamic_cast<G::YearMonthTypeContext*>(ctx)) {
      type.kind = ast::ItemKind::kYearMonth;
    } else if (auto* t = dynamic_cast<G::TextTypeContext*>(ctx)) {
      type.kind = ast::ItemKind::kText;
      auto ints = t->INT();
      if (!ints.empty()) {
        type.max_chars = SmallInteger(ints[0]);
      }
      if (ints.size() > 1) {
        type.max_lines = SmallInteger(ints[1]);
        if (type.max_lines < 1) {
          diagnostics_.Error(Where(ints[1]->getSymbol()), "K317",
                             "行数の上限は 1 以上にしてください",
                             "a text's maximum number of lines must be at least 1",
                             "行数に制限がなければ lines を書かないでください",
                             "leave out 'lines' when there is no limit");
          type.max_lines = 1;
        }
      }
    }
  }

  ast::ChoiceOption Option(G::OptionContext* ctx) {
    ast::ChoiceOption option;
    option.where = Where(ctx);
    if (ctx->INT())
      option.code = ParseInteger(ctx->INT()->getText(), Where(ctx->INT()->getSymbol()));
    auto strings = ctx->STRING();
    if (!strings.empty()) option.label = Unquote(strings[0]);
    if (strings.size() > 1) option.label_en = Unquote(strings[1]);
    return option;
  }

  std::unique_ptr<ast::Calc> Calc(G::CalcContext* ctx) {
    auto calc = std::make_unique<ast::Calc>();
    calc->name = NameText(ctx->name());
    calc->where = ctx->name() ? Where(ctx->name()) : Where(ctx);
    Labels(ctx, calc->label, calc->label_en);
    if (auto* t = ctx->calcType()) {
      calc->type_where = Where(t);
      if (auto* i = dynamic_cast<G::CalcIntegerContext*>(t)) {
        calc->declared = ast::CalcTypeKind::kInteger;
        if (i->unit()) calc->unit = Unquote(i->unit()->STRING());
      } else if (auto* d = dynamic_cast<G::CalcDecimalContext*>(t)) {
        calc->declared = ast::CalcTypeKind::kDecimal;
        if (d->INT()) {
          calc->places = SmallInteger(d->INT());
        }
        if (d->unit()) calc->unit = Unquote(d->unit()->STRING());
      } else if (dynamic_cast<G::CalcBooleanContext*>(t)) {
        calc->declared = ast::CalcTypeKind::kBoolean;
      } else if (dynamic_cast<G::CalcTextContext*>(t)) {
        calc->declared = ast::CalcTypeKind::kText;
      }
    }
    if (ctx->expr()) calc->expr = Expr(ctx->expr());
    return calc;
  }

  std::unique_ptr<ast::Check> Check(G::CheckContext* ctx) {
    auto check = std::make_unique<ast::Check>();
    check->name = NameText(ctx->name());
    check->where = ctx->name() ? Where(ctx->name()) : Where(ctx);
    check->is_error = ctx->severityWord == nullptr || ctx->severityWord->getType() == G::ERROR;
    auto strings = ctx->STRING();
    if (!strings.empty()) check->message_ja = Unquote(strings[0]);
    if (strings.size() > 1) check->message_en = Unquote(strings[1]);
    if (ctx->expr()) check->condition = Expr(ctx->expr());
    return check;
  }

  std::unique_ptr<ast::Classification> Classification(G::ClassificationContext* ctx) {
    auto c = std::make_unique<ast::Classification>();
    int kind = ctx->kind ? static_cast<int>(ctx->kind->getType()) : G::DIAGNOSIS;
    c->kind = kind == G::SEVERITY  ? ast::ClassificationKind::kSeverity
              : kind == G::OUTCOME ? ast::ClassificationKind::kOutcome
                                   : ast::ClassificationKind::kDiagnosis;
    c->name = NameText(ctx->name());
    c->where = ctx->name() ? Where(ctx->name()) : Where(ctx);
    Labels(ctx, c->label, c->label_en);
    for (auto* l : ctx->level()) {
      auto level = std::make_unique<ast::Level>();
      level->name = NameText(l->name());
      level->where = l->name() ? Where(l->name()) : Where(l);
      Labels(l, level->label, level->label_en);
      if (l->expr()) level->condition = Expr(l->expr());
      c->levels.push_back(std::move(level));
    }
    if (auto* q = ctx->qualifying()) {
      for (auto* n : q->name()) {
        c->qualifying.push_back(NameText(n));
        c->qualifying_where.push_back(Where(n));
      }
    }
    return c;
  }

  ast::TableCell Cell(G::CellContext* ctx) {
    ast::TableCell cell;
    cell.where = Where(ctx);
    if (ctx->INT()) {
      cell.is_integer = true;
      cell.text = ctx->INT()->getText();
      cell.integer = ParseInteger(cell.text, cell.where);
    } else if (ctx->STRING()) {
      cell.text = Unquote(ctx->STRING());
    }
    return cell;
  }

  std::unique_ptr<ast::Table> Table(G::TableContext* ctx) {
    auto table = std::make_unique<ast::Table>();
    table->name = NameText(ctx->name());
    table->where = ctx->name() ? Where(ctx->name()) : Where(ctx);
    if (ctx->STRING()) table->label = Unquote(ctx->STRING());
    // Cells before `columns` are row headers, then column headers, then rows.
    size_t columns_at = ctx->COLUMNS() ? ctx->COLUMNS()->getSymbol()->getTokenIndex() : 0;
    for (auto* c : ctx->cell()) {
      if (c->getStart()->getTokenIndex() < columns_at) {
        table->rows.push_back(Cell(c));
      } else {
        table->columns.push_back(Cell(c));
      }
    }
    for (auto* r : ctx->tableRow()) {
      std::vector<ast::TableCell> row;
      for (auto* c : r->cell()) row.push_back(Cell(c));
      table->cells.push_back(std::move(row));
    }
    return table;
  }

  ast::Literal Literal(G::LiteralContext* ctx) {
    ast::Literal lit;
    lit.where = Where(ctx);
    lit.text = Text(ctx);
    bool negative = !ctx->children.empty() && ctx->children[0]->getText() == "-";
    if (auto* i = dynamic_cast<G::IntLiteralContext*>(ctx)) {
      lit.kind = ast::LiteralKind::kInteger;
      lit.integer = ParseInteger(i->INT()->getText(), lit.where) * (negative ? -1 : 1);
    } else if (auto* d = dynamic_cast<G::DecimalLiteralContext*>(ctx)) {
      lit.kind = ast::LiteralKind::kDecimal;
      lit.decimal = std::strtod(d->DECIMAL_LIT()->getText().c_str(), nullptr) * (negative ? -1 : 1);
    } else if (auto* s = dynamic_cast<G::StringLiteralContext*>(ctx)) {
      lit.kind = ast::LiteralKind::kString;
      lit.string = Unquote(s->STRING());
    } else if (auto* dt = dynamic_cast<G::DateLiteralContext*>(ctx)) {
      lit.kind = ast::LiteralKind::kDate;
      lit.integer = ParseDateToken(dt->DATE()->getSymbol());
    } else if (auto* ym = dynamic_cast<G::YearMonthLiteralContext*>(ctx)) {
      lit.kind = ast::LiteralKind::kYearMonth;
      lit.integer = ParseYearMonthToken(ym->YEARMONTH()->getSymbol());
    } else if (auto* b = dynamic_cast<G::BoolLiteralContext*>(ctx)) {
      lit.kind = ast::LiteralKind::kBoolean;
      lit.boolean = b->TRUE() != nullptr;
    } else if (dynamic_cast<G::AnswerLiteralContext*>(ctx)) {
      lit.kind = ast::LiteralKind::kAnswer;
      lit.string = ctx->getText();
    } else if (auto* l = dynamic_cast<G::ListLiteralContext*>(ctx)) {
      lit.kind = ast::LiteralKind::kList;
      for (auto* e : l->literal()) lit.elements.push_back(Literal(e));
    }
    return lit;
  }

  ast::TestCase Test(G::TestCaseContext* ctx) {
    ast::TestCase test;
    test.where = Where(ctx->getStart());
    if (ctx->STRING()) test.name = Unquote(ctx->STRING());
    for (auto* clause : ctx->testClause()) {
      if (auto* v = dynamic_cast<G::TestVariantContext*>(clause)) {
        test.variant = NameText(v->name());
        test.variant_where = v->name() ? Where(v->name()) : Where(v);
      } else if (auto* d = dynamic_cast<G::TestDateContext*>(clause)) {
        if (d->DATE()) test.date = ParseDateToken(d->DATE()->getSymbol());
      } else if (auto* g = dynamic_cast<G::TestGivenContext*>(clause)) {
        for (auto* b : g->binding()) {
          if (b->name() == nullptr || b->literal() == nullptr) continue;
          test.given.push_back({NameText(b->name()), Where(b->name()), Literal(b->literal())});
        }
      } else if (auto* e = dynamic_cast<G::ExpectValue_Context*>(clause)) {
        ast::Expectation x;
        x.kind = ast::ExpectationKind::kValue;
        x.where = Where(e);
        x.target = NameText(e->name());
        x.target_where = e->name() ? Where(e->name()) : x.where;
        if (auto* expected = e->expectValue()) {
          if (expected->literal()) {
            x.value = Literal(expected->literal());
            x.level_where = x.value->where;
            if (x.value->kind == ast::LiteralKind::kAnswer) {
              // 該当 / 非該当 … may also be level names; 不明 means "undecided".
              x.level = x.value->string;
              if (x.level == "不明") x.value.reset();
            }
          } else if (expected->name()) {
            x.level = NameText(expected->name());
            x.level_where = Where(expected->name());
          }
        }
        test.expectations.push_back(std::move(x));
      } else if (auto* m = dynamic_cast<G::ExpectMessageContext*>(clause)) {
        ast::Expectation x;
        x.kind = m->severityWord && m->severityWord->getType() == G::WARNING
                     ? ast::ExpectationKind::kWarning
                     : ast::ExpectationKind::kError;
        x.where = Where(m);
        x.target = NameText(m->name());
        x.target_where = m->name() ? Where(m->name()) : x.where;
        test.expectations.push_back(std::move(x));
      } else if (auto* n = dynamic_cast<G::ExpectNoMessagesContext*>(clause)) {
        ast::Expectation x;
        x.kind = ast::ExpectationKind::kNoMessages;
        x.where = Where(n);
        test.expectations.push_back(std::move(x));
      } else if (auto* ins = dynamic_cast<G::ExpectInsufficientContext*>(clause)) {
        ast::Expectation x;
        x.kind = ast::ExpectationKind::kInsufficient;
        x.where = Where(ins);
        auto names = ins->name();
        if (!names.empty()) {
          x.target = NameText(names[0]);
          x.target_where = Where(names[0]);
        }
        for (size_t i = 1; i < names.size(); ++i) {
          x.deciding_items.push_back(NameText(names[i]));
          x.deciding_where.push_back(Where(names[i]));
        }
        test.expectations.push_back(std::move(x));
      }
    }
    return test;
  }

  // ------------------------------------------------------------- expressions

  ast::ExprPtr Make(ast::ExprKind kind, ParserRuleContext* ctx) {
    auto e = std::make_unique<ast::Expr>();
    e->kind = kind;
    e->where = Where(ctx);
    e->text = Text(ctx);
    return e;
  }

  ast::ExprPtr Expr(G::ExprContext* ctx) {
    if (ctx == nullptr) {
      auto e = std::make_unique<ast::Expr>();
      e->kind = ast::ExprKind::kBoolean;
      return e;
    }
    if (auto* p = dynamic_cast<G::PrimaryExprContext*>(ctx)) return Primary(p->primary());
    if (auto* ix = dynamic_cast<G::IndexExprContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kIndex, ctx);
      e->args.push_back(Expr(ix->expr(0)));
      e->args.push_back(Expr(ix->expr(1)));
      return e;
    }
    if (auto* pw = dynamic_cast<G::PowExprContext*>(ctx))
      return Binary(ctx, "^", pw->expr(0), pw->expr(1));
    if (auto* n = dynamic_cast<G::NegExprContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kNegate, ctx);
      e->args.push_back(Expr(n->expr()));
      return e;
    }
    if (auto* m = dynamic_cast<G::MulExprContext*>(ctx)) {
      return Binary(ctx, m->op ? m->op->getText() : "*", m->expr(0), m->expr(1));
    }
    if (auto* a = dynamic_cast<G::AddExprContext*>(ctx)) {
      return Binary(ctx, a->op ? a->op->getText() : "+", a->expr(0), a->expr(1));
    }
    if (auto* c = dynamic_cast<G::CompareExprContext*>(ctx)) {
      return Binary(ctx, c->op ? c->op->getText() : "=", c->expr(0), c->expr(1));
    }
    if (auto* n = dynamic_cast<G::NotExprContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kNot, ctx);
      e->args.push_back(Expr(n->expr()));
      return e;
    }
    if (auto* a = dynamic_cast<G::AndExprContext*>(ctx))
      return Binary(ctx, "and", a->expr(0), a->expr(1));
    if (auto* o = dynamic_cast<G::OrExprContext*>(ctx))
      return Binary(ctx, "or", o->expr(0), o->expr(1));
    if (auto* i = dynamic_cast<G::IfExprContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kIf, ctx);
      for (auto* sub : i->expr()) e->args.push_back(Expr(sub));
      while (e->args.size() < 3) e->args.push_back(Expr(nullptr));
      return e;
    }
    return Make(ast::ExprKind::kBoolean, ctx);
  }

  ast::ExprPtr Binary(ParserRuleContext* ctx, std::string op, G::ExprContext* lhs,
                      G::ExprContext* rhs) {
    auto e = Make(ast::ExprKind::kBinary, ctx);
    e->op = std::move(op);
    e->args.push_back(Expr(lhs));
    e->args.push_back(Expr(rhs));
    return e;
  }

  ast::ExprPtr Primary(G::PrimaryContext* ctx) {
    if (ctx == nullptr) return Expr(nullptr);
    if (auto* i = dynamic_cast<G::IntAtomContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kInteger, ctx);
      e->integer_value = ParseInteger(i->INT()->getText(), e->where);
      return e;
    }
    if (auto* d = dynamic_cast<G::DecimalAtomContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kDecimal, ctx);
      std::string text = d->DECIMAL_LIT()->getText();
      e->decimal_value = std::strtod(text.c_str(), nullptr);
      e->decimal_places = static_cast<int>(text.size() - text.find('.') - 1);
      return e;
    }
    if (auto* s = dynamic_cast<G::StringAtomContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kString, ctx);
      e->string_value = Unquote(s->STRING());
      return e;
    }
    if (auto* d = dynamic_cast<G::DateAtomContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kDate, ctx);
      e->integer_value = ParseDateToken(d->DATE()->getSymbol());
      return e;
    }
    if (auto* ym = dynamic_cast<G::YearMonthAtomContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kYearMonth, ctx);
      e->integer_value = ParseYearMonthToken(ym->YEARMONTH()->getSymbol());
      return e;
    }
    if (auto* b = dynamic_cast<G::BoolAtomContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kBoolean, ctx);
      e->boolean_value = b->TRUE() != nullptr;
      return e;
    }
    if (dynamic_cast<G::UnknownAtomContext*>(ctx)) return Make(ast::ExprKind::kUnknown, ctx);
    if (auto* a = dynamic_cast<G::AtLeastAtomContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kAtLeast, ctx);
      for (auto* sub : a->expr()) e->args.push_back(Expr(sub));
      return e;
    }
    if (auto* a = dynamic_cast<G::AnyAllAtomContext*>(ctx)) {
      auto e = Make(a->ANY() ? ast::ExprKind::kAnyOf : ast::ExprKind::kAllOf, ctx);
      for (auto* sub : a->expr()) e->args.push_back(Expr(sub));
      return e;
    }
    if (auto* c = dynamic_cast<G::CasesAtomContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kCases, ctx);
      for (auto* arm : c->caseArm()) {
        e->args.push_back(Expr(arm->expr(0)));
        e->args.push_back(Expr(arm->expr(1)));
      }
      e->args.push_back(Expr(c->expr()));
      return e;
    }
    if (auto* l = dynamic_cast<G::LookupAtomContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kLookup, ctx);
      e->name = NameText(l->name());
      e->args.push_back(Expr(l->expr(0)));
      e->args.push_back(Expr(l->expr(1)));
      return e;
    }
    if (auto* c = dynamic_cast<G::ComprehensionAtomContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kLoop, ctx);
      e->name = NameText(c->name(0));
      e->loop_variable = NameText(c->name(1));
      for (auto* sub : c->expr()) e->args.push_back(Expr(sub));
      while (e->args.size() < 3) e->args.push_back(Expr(nullptr));
      return e;
    }
    if (auto* c = dynamic_cast<G::CallAtomContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kCall, ctx);
      e->name = NameText(c->name());
      for (auto* sub : c->expr()) e->args.push_back(Expr(sub));
      return e;
    }
    if (auto* n = dynamic_cast<G::NameAtomContext*>(ctx)) {
      auto e = Make(ast::ExprKind::kName, ctx);
      e->name = NameText(n->name());
      return e;
    }
    if (auto* p = dynamic_cast<G::ParenAtomContext*>(ctx)) {
      auto inner = Expr(p->expr());
      inner->text = Text(ctx);
      return inner;
    }
    return Make(ast::ExprKind::kBoolean, ctx);
  }

  const SourceFile& source_;
  antlr4::CharStream& input_;
  Diagnostics& diagnostics_;
};

}  // namespace

bool IsIdentifier(std::string_view text) {
  if (text.empty()) return false;
  try {
    antlr4::ANTLRInputStream input{std::string(text)};
    KijunLexer lexer(&input);
    CacheUnicodeEdges(lexer);
    lexer.removeErrorListeners();
    antlr4::CommonTokenStream tokens(&lexer);
    tokens.fill();
    const auto& all = tokens.getTokens();
    // The identifier, then end of input; anything skipped or hidden
    // (spaces, comments) makes it more than a name.
    return all.size() == 2 && all[0]->getType() == KijunLexer::IDENT && all[0]->getText() == text &&
           all[1]->getType() == Token::EOF;
  } catch (const std::exception&) {
    return false;  // not UTF-8
  }
}

std::unique_ptr<ast::RuleFile> ParseRuleFile(const SourceFile& source, Diagnostics& diagnostics) {
  auto empty = [&source] {
    auto file = std::make_unique<ast::RuleFile>();
    file->source = &source;
    return file;
  };
  const std::string& text = source.text();
  if (auto bad = FirstInvalidUtf8(text)) {
    uint32_t line = 1, column = 1;
    for (size_t i = 0; i < *bad; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
        ++column;
      }
    }
    diagnostics.Error({&source, line, column, 1}, "K106", "ファイルが UTF-8 ではありません",
                      "the file is not valid UTF-8",
                      "UTF-8 で保存し直してください (Shift_JIS は使えません)",
                      "save the file as UTF-8 (Shift_JIS is not supported)");
    return empty();
  }
  antlr4::ANTLRInputStream input(text);
  input.name = source.path();
  KijunLexer lexer(&input);
  CacheUnicodeEdges(lexer);
  lexer.removeErrorListeners();
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();

  // Pre-scan the tokens: bad characters, and input nested too deeply to parse.
  std::set<size_t> bad_lines;
  int depth = 0;
  size_t operators = 0;
  const auto& all = tokens.getTokens();
  for (size_t i = 0; i < all.size(); ++i) {
    auto* token = all[i];
    size_t type = token->getType();
    std::string t = token->getText();
    if (type == KijunLexer::BAD_CHAR) {
      // Adjacent bad characters that all have a replacement form one run.
      std::string run = t, half = HalfWidthFor(t);
      while (!half.empty() && i + 1 < all.size() && all[i + 1]->getType() == KijunLexer::BAD_CHAR &&
             all[i + 1]->getStartIndex() == all[i]->getStopIndex() + 1 &&
             !HalfWidthFor(all[i + 1]->getText()).empty()) {
        ++i;
        run += all[i]->getText();
        half += HalfWidthFor(all[i]->getText());
      }
      ReportBadCharacters(token, run, half, source, diagnostics);
      bad_lines.insert(token->getLine());
      continue;
    }
    if (token->getChannel() != Token::DEFAULT_CHANNEL) continue;
    if (StartsStatement(type)) operators = 0;
    if (t == "(" || t == "[" || t == "{") ++depth;
    if (t == ")" || t == "]" || t == "}") depth = std::max(0, depth - 1);
    if (NeedsContinuation(token)) ++operators;
    if (depth > kMaxNesting || operators > kMaxOperatorsPerStatement) {
      SourceLocation where{&source, static_cast<uint32_t>(token->getLine()),
                           static_cast<uint32_t>(token->getCharPositionInLine() + 1), 1};
      diagnostics.Error(where, "K108",
                        depth > kMaxNesting ? "括弧の入れ子が深すぎます (100 段まで)"
                                            : "一つの式が長すぎます (演算子 1000 個まで)",
                        depth > kMaxNesting ? "brackets are nested too deeply (at most 100)"
                                            : "one expression is too long (at most 1000 operators)",
                        "式を計算 (calc) に分けてください",
                        "split the expression into calculations (calc)");
      return empty();
    }
  }
  tokens.seek(0);

  SyntaxErrorListener listener(source, diagnostics, bad_lines);
  KijunParser parser(&tokens);
  parser.removeErrorListeners();

  std::unique_ptr<ast::RuleFile> file;
  try {
    // Two-stage parse: the fast SLL prediction first, which is exact for
    // files without syntax errors; only when it fails, again with full LL
    // prediction and error reporting, so diagnostics are the same as before.
    parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
        antlr4::atn::PredictionMode::SLL);
    parser.setErrorHandler(std::make_shared<antlr4::BailErrorStrategy>());
    KijunParser::RuleFileContext* tree = nullptr;
    try {
      tree = parser.ruleFile();
    } catch (const antlr4::ParseCancellationException&) {
      tokens.seek(0);
      parser.reset();
      parser.addErrorListener(&listener);
      parser.setErrorHandler(std::make_shared<antlr4::DefaultErrorStrategy>());
      parser.getInterpreter<antlr4::atn::ParserATNSimulator>()->setPredictionMode(
          antlr4::atn::PredictionMode::LL);
      tree = parser.ruleFile();
    }
    TreeBuilder builder(source, input, diagnostics);
    file = builder.Build(tree);
  } catch (const std::exception& error) {
    diagnostics.Error({&source, 1, 1, 1}, "K199", "ファイルを読み取れませんでした",
                      std::string("the file could not be parsed: ") + error.what());
    file = empty();
  }
  // Keep comments for `kijun fmt`.
  uint32_t last_code_line = 0;
  for (auto* token : tokens.getTokens()) {
    if (token->getType() == KijunLexer::COMMENT) {
      ast::Comment comment;
      comment.line = static_cast<uint32_t>(token->getLine());
      comment.text = token->getText();
      comment.own_line = comment.line != last_code_line;
      file->comments.push_back(std::move(comment));
    } else if (token->getChannel() == Token::DEFAULT_CHANNEL) {
      last_code_line = static_cast<uint32_t>(token->getLine());
    }
  }
  return file;
}

}  // namespace kijun::dsl
