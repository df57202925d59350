#include "engine/rule_tests.h"

#include <algorithm>
#include <cmath>

#include "dsl/calendar.h"
#include "engine/interpreter.h"
#include "engine/judgment_render.h"

namespace kijun::engine {

namespace ast = dsl::ast;
using nlohmann::json;

namespace {

json LiteralToJson(const ast::Literal& lit) {
  switch (lit.kind) {
    case ast::LiteralKind::kInteger:
      return lit.integer;
    case ast::LiteralKind::kDecimal:
      return lit.decimal;
    case ast::LiteralKind::kString:
    case ast::LiteralKind::kAnswer:
      return lit.string;
    case ast::LiteralKind::kDate:
      return dsl::FormatDate(lit.integer);
    case ast::LiteralKind::kYearMonth:
      return dsl::FormatYearMonth(lit.integer);
    case ast::LiteralKind::kBoolean:
      return lit.boolean;
    case ast::LiteralKind::kList: {
      json array = json::array();
      for (const auto& el : lit.elements) array.push_back(LiteralToJson(el));
      return array;
    }
  }
  return nullptr;
}

std::string Where(const ast::Expectation& x) {
  const auto& w = x.where;
  return (w.file ? w.file->path() : std::string("?")) + ":" + std::to_string(w.line);
}

std::string ShowLevel(const ClassificationResult& c) {
  if (c.level >= 0) return c.levels[size_t(c.level)].name;
  if (c.candidates.empty()) return "(いずれにも該当しない / none)";
  std::string out = "不明 (";
  for (size_t k = 0; k < c.candidates.size(); ++k) {
    out += (k ? ", " : "") + c.levels[size_t(c.candidates[k])].name;
  }
  return out + ")";
}

std::string ShowMessages(const Judgment& j) {
  if (j.messages.empty()) return "(no messages)";
  std::string out;
  for (const auto& m : j.messages) {
    out += std::string(out.empty() ? "" : "; ") + (m.is_error ? "error " : "warning ") + m.name +
           ": " + m.ja;
  }
  return out;
}

// Compares one expectation; on failure fills expected/actual.
bool Holds(const ast::Expectation& x, const ir::RuleSet& rules, const Judgment& j,
           std::string& expected, std::string& actual) {
  switch (x.kind) {
    case ast::ExpectationKind::kValue: {
      if (const ClassificationResult* c = j.Find(x.target)) {
        expected = x.target + " = " + (x.level.empty() ? "?" : x.level);
        actual = x.target + " = " + ShowLevel(*c);
        if (x.level == "不明") return c->level < 0 && !c->candidates.empty();
        return c->level >= 0 && c->levels[size_t(c->level)].name == x.level;
      }
      int slot = rules.FindCalc(x.target);
      if (slot < 0) {
        expected = x.target;
        actual = "no such calculation";
        return false;
      }
      json got = CalcValueToJson(rules.calcs[size_t(slot)], j.calcs[size_t(slot)].value);
      actual = x.target + " = " + (got.is_null() ? "不明" : got.dump());
      if (!x.value) {
        expected = x.target + " = " + x.level;
        return x.level == "不明" && got.is_null();
      }
      expected = x.target + " = " + x.value->text;
      const ast::Literal& want = *x.value;
      if (got.is_number() &&
          (want.kind == ast::LiteralKind::kInteger || want.kind == ast::LiteralKind::kDecimal)) {
        double w = want.kind == ast::LiteralKind::kInteger ? double(want.integer) : want.decimal;
        double g = got.get<double>();
        return std::fabs(g - w) <= 1e-9 * std::max(1.0, std::fabs(w));
      }
      if (got.is_boolean()) {
        if (want.kind == ast::LiteralKind::kBoolean) return got.get<bool>() == want.boolean;
        if (want.kind == ast::LiteralKind::kAnswer) {
          return got.get<bool>() == (want.string == "該当" || want.string == "あり");
        }
        return false;
      }
      if (got.is_string())
        return want.kind == ast::LiteralKind::kString && got.get<std::string>() == want.string;
      if (got.is_number() &&
          (want.kind == ast::LiteralKind::kDate || want.kind == ast::LiteralKind::kYearMonth)) {
        return got.get<double>() == double(want.integer);
      }
      return false;
    }
    case ast::ExpectationKind::kError:
    case ast::ExpectationKind::kWarning: {
      bool want_error = x.kind == ast::ExpectationKind::kError;
      expected = std::string(want_error ? "error " : "warning ") + x.target;
      actual = ShowMessages(j);
      for (const auto& m : j.messages) {
        if (m.is_error == want_error && m.name == x.target) return true;
      }
      return false;
    }
    case ast::ExpectationKind::kNoMessages:
      expected = "no messages";
      actual = ShowMessages(j);
      return j.messages.empty();
    case ast::ExpectationKind::kInsufficient: {
      const ClassificationResult* c = j.Find(x.target);
      std::string want_items;
      for (const auto& d : x.deciding_items) want_items += (want_items.empty() ? "" : ", ") + d;
      expected = x.target + " insufficient (" + want_items + ")";
      if (c == nullptr) {
        actual = "no such classification";
        return false;
      }
      std::string got_items;
      for (const auto& d : c->deciding_items) got_items += (got_items.empty() ? "" : ", ") + d;
      actual = x.target + " = " + ShowLevel(*c) + " (" + got_items + ")";
      if (c->level >= 0 || c->candidates.empty()) return false;
      if (x.deciding_items.empty()) return true;
      std::vector<std::string> a = x.deciding_items, b = c->deciding_items;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      return a == b;
    }
  }
  return false;
}

}  // namespace

FormInput TestCaseForm(const dsl::ast::TestCase& test, nlohmann::json& items) {
  items = json::object();
  for (const auto& b : test.given) items[b.name] = LiteralToJson(b.value);
  FormInput form;
  form.id = test.name;
  form.variant = test.variant;
  form.date = test.date;
  return form;
}

RuleTestReport RunRuleTests(const dsl::Program& program, const ir::RuleSet& rules,
                            CompiledRules* compiled) {
  RuleTestReport report;
  for (const auto& test : program.main->tests) {
    json items;
    FormInput form = TestCaseForm(test, items);
    Judgment j = Judge(rules, form, items, compiled);
    bool ok = true;
    for (const auto& x : test.expectations) {
      std::string expected, actual;
      if (!Holds(x, rules, j, expected, actual)) {
        ok = false;
        report.failures.push_back({Where(x), test.name, expected, actual});
      }
    }
    ok ? ++report.passed : ++report.failed;
  }
  return report;
}

}  // namespace kijun::engine
