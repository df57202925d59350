#include "dsl/unicode_lexer_dfa.h"

namespace kijun::dsl {

antlr4::dfa::DFAState* UnicodeLexerSimulator::getExistingTargetState(antlr4::dfa::DFAState* s,
                                                                     size_t t) {
  if (t == antlr4::Token::EOF) return nullptr;  // never cached, as in the runtime
  _edgeLock.readLock();
  auto found = s->edges.find(t);
  antlr4::dfa::DFAState* target = found == s->edges.end() ? nullptr : found->second;
  _edgeLock.readUnlock();
  return target;
}

void UnicodeLexerSimulator::addDFAEdge(antlr4::dfa::DFAState* p, size_t t,
                                       antlr4::dfa::DFAState* q) {
  if (t == antlr4::Token::EOF) return;
  _edgeLock.writeLock();
  p->edges[t] = q;
  _edgeLock.writeUnlock();
}

void CacheUnicodeEdges(antlr4::Lexer& lexer) {
  auto* ascii_only = lexer.getInterpreter<antlr4::atn::LexerATNSimulator>();
  auto* unicode = new UnicodeLexerSimulator(&lexer, lexer.getATN(), ascii_only->_decisionToDFA,
                                            ascii_only->getSharedContextCache());
  // setInterpreter deletes the simulator it replaces; the generated lexer
  // deletes the one it holds when destroyed.
  lexer.setInterpreter(unicode);
}

}  // namespace kijun::dsl
