// The lexer's DFA, extended to characters beyond ASCII.
//
// The ANTLR 4.9 C++ runtime caches lexer DFA edges only for code points
// 0..127 ("forces unicode to stay in ATN"), so every Japanese character of a
// rule file is matched by a fresh ATN closure: lexing was 69 % of loading
// diseases/. The edges live in a sparse map, so nothing needs the bound; a
// simulator that caches every edge lexes the same tokens (the DFA is a cache
// of the ATN; edges reached through predicates are never cached, as before).
#pragma once

#include <antlr4-runtime.h>

namespace kijun::dsl {

class UnicodeLexerSimulator : public antlr4::atn::LexerATNSimulator {
 public:
  using LexerATNSimulator::LexerATNSimulator;

 protected:
  antlr4::dfa::DFAState* getExistingTargetState(antlr4::dfa::DFAState* s, size_t t) override;
  void addDFAEdge(antlr4::dfa::DFAState* p, size_t t, antlr4::dfa::DFAState* q) override;
  using LexerATNSimulator::addDFAEdge;
};

// Replaces the lexer's simulator with one that caches edges for every code
// point, sharing the lexer's DFA and context cache (so all lexers of the
// grammar share what any of them learnt).
void CacheUnicodeEdges(antlr4::Lexer& lexer);

}  // namespace kijun::dsl
