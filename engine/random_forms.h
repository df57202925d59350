#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "engine/ir.h"

namespace kijun::engine {

// Makes random forms for one disease version, to test the engines against
// each other and against the language's laws. Each answer is drawn from a
// mix chosen to reach every path: valid values, the range boundaries and
// the values just outside them, wrong types, missing answers and 不明.
// Deterministic for a given seed.
class RandomForms {
 public:
  RandomForms(const ir::RuleSet& rules, uint64_t seed);

  // The "items" object of a random form.
  nlohmann::json Next();

  // The "items" object of a form as a clinic would send it: every item
  // outside a repeated group answered with a valid value, about one in 20
  // 不明.
  nlohmann::json NextValid();

  // A valid answer for item `slot` (never missing, never 不明, never out of
  // range), for refining a form's unknown answers.
  nlohmann::json ValidAnswer(int slot);

  // A random variant of the rules ("" when the rules declare none).
  std::string Variant();

 private:
  nlohmann::json Answer(const ir::ItemSchema& schema, int depth);
  nlohmann::json ValidValue(const ir::ItemSchema& schema);
  nlohmann::json BoundaryValue(const ir::ItemSchema& schema);
  nlohmann::json WrongType(const ir::ItemSchema& schema);
  double Between(double lo, double hi);

  const ir::RuleSet& rules_;
  std::mt19937_64 rng_;
};

}  // namespace kijun::engine
