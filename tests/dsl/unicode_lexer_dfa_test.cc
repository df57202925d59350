// The lexer that caches DFA edges for every code point lexes exactly the
// tokens of the runtime's own simulator (which keeps non-ASCII characters in
// the ATN), on every rule file and on inputs made to trip it.

#include "dsl/unicode_lexer_dfa.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "KijunLexer.h"
#include "tests/test_support.h"

namespace kijun::dsl {
namespace {

// One token as the parser and the diagnostics see it.
std::string Describe(const antlr4::Token& token) {
  std::ostringstream out;
  out << token.getType() << ' ' << token.getChannel() << ' ' << token.getStartIndex() << ' '
      << token.getStopIndex() << ' ' << token.getLine() << ':' << token.getCharPositionInLine()
      << ' ' << token.getText();
  return out.str();
}

std::vector<std::string> Lex(const std::string& text, bool unicode_edges) {
  antlr4::ANTLRInputStream input(text);
  KijunLexer lexer(&input);
  lexer.removeErrorListeners();
  // The reference gets a DFA of its own, so nothing the other simulator
  // cached can leak into it.
  static std::vector<antlr4::dfa::DFA> reference_dfa = [&lexer] {
    std::vector<antlr4::dfa::DFA> dfa;
    const antlr4::atn::ATN& atn = lexer.getATN();
    for (size_t i = 0; i < atn.getNumberOfDecisions(); ++i) {
      dfa.emplace_back(atn.getDecisionState(i), i);
    }
    return dfa;
  }();
  static antlr4::atn::PredictionContextCache reference_cache;
  if (unicode_edges) {
    CacheUnicodeEdges(lexer);
  } else {
    lexer.setInterpreter(
        new antlr4::atn::LexerATNSimulator(&lexer, lexer.getATN(), reference_dfa, reference_cache));
  }
  antlr4::CommonTokenStream tokens(&lexer);
  tokens.fill();
  std::vector<std::string> out;
  for (const auto* token : tokens.getTokens()) out.push_back(Describe(*token));
  return out;
}

void ExpectSameTokens(const std::string& text, const std::string& what) {
  // Twice each way: the second pass runs on the DFA the first one built.
  auto reference = Lex(text, false);
  for (int pass = 0; pass < 2; ++pass) {
    auto cached = Lex(text, true);
    ASSERT_EQ(cached.size(), reference.size()) << what;
    for (size_t i = 0; i < cached.size(); ++i) {
      ASSERT_EQ(cached[i], reference[i]) << what << ", token " << i;
    }
  }
}

TEST(UnicodeLexerDfa, EveryRuleFileLexesToTheSameTokens) {
  std::vector<std::string> files = testing_support::RuleFilesInDiseases();
  for (const auto& path : files) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    ExpectSameTokens(text.str(), path);
  }
  EXPECT_GE(files.size(), 60U);
}

TEST(UnicodeLexerDfa, KeywordsInsideNamesAndOddCharacters) {
  // Japanese keywords as whole tokens and as parts of names, full-width
  // characters the parser reports as bad, circled numbers, the ideographic
  // space, names starting with a keyword's first characters, unterminated
  // strings.
  const char* inputs[] = {
      "A かつ B または C",
      "かつて または2 該当者 非該当例 不明熱 ありふれた なしえる",
      "item 年齢（歳） ＝ １２",
      "①重症 Ⅱ度 ・項目 A-1-2 B-12 診断-3",
      "x\u3000y　z",
      "\"未完の文字列\n次の行",
      "# コメント かつ\nlevel 該当",
      "該当 非該当 不明 あり なし 該 非 不 あ な",
  };
  for (const char* text : inputs) ExpectSameTokens(text, text);
}

}  // namespace
}  // namespace kijun::dsl
