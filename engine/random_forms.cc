#include "engine/random_forms.h"

#include <cmath>

#include "dsl/calendar.h"
#include "engine/value.h"

namespace kijun::engine {

using nlohmann::json;

namespace {

// Dates around the programme's present: 1920 … 2030.
constexpr int64_t kFirstDay = -18262;  // 1920-01-01
constexpr int64_t kLastDay = 21914;    // 2030-01-01

}  // namespace

RandomForms::RandomForms(const ir::RuleSet& rules, uint64_t seed) : rules_(rules), rng_(seed) {}

double RandomForms::Between(double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng_);
}

std::string RandomForms::Variant() {
  if (rules_.variants.empty()) return "";
  return rules_.variants[rng_() % rules_.variants.size()];
}

json RandomForms::Next() {
  json items = json::object();
  for (size_t slot = 0; slot < rules_.items.size(); ++slot) {
    const ir::Item& item = rules_.items[slot];
    if (item.group >= 0) continue;
    auto roll = rng_() % 100;
    if (roll < 12) continue;  // missing
    items[item.name] = Answer(item.schema, 0);
  }
  for (const auto& group : rules_.groups) {
    if (rng_() % 3 == 0) continue;
    json entries = json::array();
    int64_t n =
        group.min_entries + int64_t(rng_() % uint64_t(group.max_entries - group.min_entries + 2));
    for (int64_t e = 0; e < n; ++e) {
      json entry = json::object();
      for (int slot : group.items)
        entry[rules_.items[size_t(slot)].name] = Answer(rules_.items[size_t(slot)].schema, 0);
      entries.push_back(entry);
    }
    items[group.name] = entries;
  }
  if (rng_() % 20 == 0) items["存在しない項目"] = 1;
  return items;
}

json RandomForms::NextValid() {
  json items = json::object();
  for (size_t slot = 0; slot < rules_.items.size(); ++slot) {
    const ir::Item& item = rules_.items[slot];
    if (item.group >= 0) continue;
    items[item.name] = rng_() % 20 == 0 ? json("不明") : ValidValue(item.schema);
  }
  return items;
}

json RandomForms::ValidAnswer(int slot) { return ValidValue(rules_.items[size_t(slot)].schema); }

json RandomForms::Answer(const ir::ItemSchema& schema, int depth) {
  auto roll = rng_() % 100;
  if (roll < 8) return "不明";
  if (roll < 11) return nullptr;
  if (roll < 15 && depth == 0) return WrongType(schema);
  if (roll < 35) return BoundaryValue(schema);
  if (schema.kind == ir::ItemKind::kList) {
    json list = json::array();
    int size = schema.list_size + (rng_() % 25 == 0 ? 1 : 0);  // sometimes a wrong length
    for (int i = 0; i < size; ++i) list.push_back(Answer(schema.element_schema.front(), depth + 1));
    return list;
  }
  return ValidValue(schema);
}

json RandomForms::ValidValue(const ir::ItemSchema& s) {
  switch (s.kind) {
    case ir::ItemKind::kInteger: {
      double lo = s.min.value_or(-1000), hi = s.max.value_or(1000);
      return static_cast<int64_t>(std::floor(Between(lo, hi + 1)));
    }
    case ir::ItemKind::kDecimal: {
      double lo = s.min.value_or(-1000), hi = s.max.value_or(1000);
      double v = RoundHalfAway(Between(lo, hi), s.places);
      return std::min(std::max(v, lo), hi);
    }
    case ir::ItemKind::kAnswer: {
      static const char* kAnswers[] = {"該当", "非該当"};
      return kAnswers[rng_() % 2];
    }
    case ir::ItemKind::kYesNo: {
      static const char* kAnswers[] = {"あり", "なし"};
      return kAnswers[rng_() % 2];
    }
    case ir::ItemKind::kChoice: {
      const auto& o = s.options[rng_() % s.options.size()];
      if (rng_() % 2 == 0) return o.code;
      return o.label;
    }
    case ir::ItemKind::kChoices: {
      json list = json::array();
      for (const auto& o : s.options) {
        if (rng_() % 2 == 0) list.push_back(o.code);
      }
      return list;
    }
    case ir::ItemKind::kDate:
      return dsl::FormatDate(kFirstDay + int64_t(rng_() % uint64_t(kLastDay - kFirstDay)));
    case ir::ItemKind::kYearMonth:
      return dsl::FormatYearMonth(int64_t{1920} * 12 + int64_t(rng_() % uint64_t{1320}));
    case ir::ItemKind::kText: {
      std::string text;
      int n = int(rng_() % uint64_t(std::max(1, s.max_chars)));
      for (int i = 0; i < n && i < 40; ++i) text += "あ";
      return text;
    }
    case ir::ItemKind::kList: {
      json list = json::array();
      for (int i = 0; i < s.list_size; ++i) list.push_back(ValidValue(s.element_schema.front()));
      return list;
    }
    case ir::ItemKind::kGroup:
      return nullptr;
  }
  return nullptr;
}

json RandomForms::BoundaryValue(const ir::ItemSchema& s) {
  switch (s.kind) {
    case ir::ItemKind::kInteger:
    case ir::ItemKind::kDecimal: {
      double step = s.kind == ir::ItemKind::kInteger ? 1 : std::pow(10.0, -s.places);
      double edge = rng_() % 2 == 0 ? s.min.value_or(0) : s.max.value_or(0);
      double v = RoundHalfAway(edge + step * double(int(rng_() % 3) - 1), s.places);
      if (s.kind == ir::ItemKind::kInteger) return static_cast<int64_t>(v);
      return v;
    }
    case ir::ItemKind::kChoice: {
      int64_t code = s.options.empty() ? 0 : s.options[rng_() % s.options.size()].code;
      return code + (rng_() % 2 == 0 ? 1 : -1);  // maybe not an option
    }
    case ir::ItemKind::kAnswer:
    case ir::ItemKind::kYesNo:
      return int64_t(rng_() % 4);  // 0 is invalid, 3 is 不明
    case ir::ItemKind::kDate:
      return rng_() % 2 == 0 ? "2024-02-29" : "2023-02-29";
    case ir::ItemKind::kYearMonth:
      return rng_() % 2 == 0 ? "2024-12" : "2024-13";
    case ir::ItemKind::kText:
      return std::string(size_t(std::max(0, s.max_chars)) + 1, 'x');
    default:
      return ValidValue(s);
  }
}

json RandomForms::WrongType(const ir::ItemSchema& s) {
  switch (rng_() % 5) {
    case 0:
      return "abc";
    case 1:
      return json::array({1, 2});
    case 2:
      return json::object({{"x", 1}});
    case 3:
      return true;
    default:
      return s.kind == ir::ItemKind::kText ? json(12) : json(1.5);
  }
}

}  // namespace kijun::engine
