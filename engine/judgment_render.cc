#include "engine/judgment_render.h"

#include <cmath>
#include <sstream>

namespace kijun::engine {

using nlohmann::ordered_json;

namespace {

const char* KindName(ir::ClassificationKind k) {
  switch (k) {
    case ir::ClassificationKind::kDiagnosis:
      return "diagnosis";
    case ir::ClassificationKind::kSeverity:
      return "severity";
    case ir::ClassificationKind::kOutcome:
      return "outcome";
  }
  return "diagnosis";
}

const char* SourceName(MessageSource s) {
  switch (s) {
    case MessageSource::kItem:
      return "item";
    case MessageSource::kCheck:
      return "check";
    case MessageSource::kCalc:
      return "calc";
    case MessageSource::kForm:
      return "form";
  }
  return "item";
}

ordered_json TruthJson(Truth t) {
  if (t == Truth::kUnknown) return nullptr;
  return t == Truth::kTrue;
}

const char* TruthJa(Truth t) {
  switch (t) {
    case Truth::kTrue:
      return "満たす";
    case Truth::kFalse:
      return "満たさない";
    case Truth::kUnknown:
      return "不明";
  }
  return "不明";
}

const char* TruthEn(Truth t) {
  switch (t) {
    case Truth::kTrue:
      return "met";
    case Truth::kFalse:
      return "not met";
    case Truth::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string LevelTitle(const LevelTrace& l) {
  return l.label.empty() || l.label == l.name ? l.name : l.name + " (" + l.label + ")";
}

}  // namespace

ordered_json CalcValueToJson(const ir::Calc& calc, const Value& v) {
  switch (v.kind) {
    case ir::ValueKind::kTruth:
      return TruthJson(v.truth);
    case ir::ValueKind::kNumber:
      if (!v.number.known()) return nullptr;
      if (calc.integer && std::fabs(v.number.lo) < 9007199254740992.0) {
        return static_cast<int64_t>(v.number.lo);
      }
      return v.number.lo;
    case ir::ValueKind::kText:
      return v.text_known ? ordered_json(v.text) : ordered_json(nullptr);
    case ir::ValueKind::kList:
      return nullptr;
  }
  return nullptr;
}

ordered_json JudgmentToJson(const ir::RuleSet& rules, const Judgment& j) {
  ordered_json out;
  if (!j.id.empty()) out["id"] = j.id;
  out["disease"] = j.disease;
  ordered_json rule;
  rule["name"] = j.rule_name;
  if (j.revision) rule["revision"] = *j.revision;
  rule["hash"] = j.content_hash;
  out["rule"] = rule;
  if (!j.variant.empty()) out["variant"] = j.variant;
  out["status"] = j.HasErrors() ? "errors" : "ok";
  ordered_json messages = ordered_json::array();
  for (const auto& m : j.messages) {
    messages.push_back({{"severity", m.is_error ? "error" : "warning"},
                        {"source", SourceName(m.source)},
                        {"name", m.name},
                        {"ja", m.ja},
                        {"en", m.en}});
  }
  out["messages"] = messages;
  ordered_json values = ordered_json::object();
  for (size_t i = 0; i < j.calcs.size(); ++i) {
    values[j.calcs[i].name] = CalcValueToJson(rules.calcs[i], j.calcs[i].value);
  }
  out["values"] = values;
  ordered_json judgments = ordered_json::array();
  for (const auto& c : j.classifications) {
    ordered_json r;
    r["kind"] = KindName(c.kind);
    r["name"] = c.name;
    r["level"] =
        c.level >= 0 ? ordered_json(c.levels[size_t(c.level)].name) : ordered_json(nullptr);
    if (c.level < 0 && !c.candidates.empty()) {
      ordered_json candidates = ordered_json::array();
      for (int k : c.candidates) candidates.push_back(c.levels[size_t(k)].name);
      r["possible"] = candidates;
    }
    if (c.kind != ir::ClassificationKind::kOutcome) r["qualifies"] = TruthJson(c.qualifies);
    if (!c.deciding_items.empty()) r["insufficient_data"] = c.deciding_items;
    ordered_json levels = ordered_json::array();
    for (const auto& l : c.levels) {
      ordered_json level;
      level["level"] = l.name;
      level["result"] = TruthJson(l.result);
      level["condition"] = l.otherwise ? "otherwise" : l.condition;
      ordered_json clauses = ordered_json::array();
      for (const auto& clause : l.clauses) {
        ordered_json read = ordered_json::object();
        for (const auto& [name, value] : clause.values) read[name] = value;
        clauses.push_back(
            {{"text", clause.text}, {"result", TruthJson(clause.result)}, {"read", read}});
      }
      level["clauses"] = clauses;
      levels.push_back(level);
    }
    r["explanation"] = levels;
    judgments.push_back(r);
  }
  out["judgments"] = judgments;
  return out;
}

std::string ExplainText(const ir::RuleSet& rules, const Judgment& j, const std::string& lang) {
  bool ja = lang != "en";
  std::ostringstream out;
  out << (ja ? "疾病: " : "Disease: ") << j.disease << ' ' << j.rule_name;
  if (j.revision) out << (ja ? " (様式 " : " (form revision ") << *j.revision << ")";
  out << '\n' << (ja ? "規則の版: " : "Rule version: ") << j.content_hash << '\n';
  if (!j.variant.empty()) out << (ja ? "区分: " : "Variant: ") << j.variant << '\n';
  if (!j.messages.empty()) {
    out << '\n' << (ja ? "■ 指摘事項" : "■ Messages") << '\n';
    for (const auto& m : j.messages) {
      out << "  [" << (m.is_error ? (ja ? "エラー" : "error") : (ja ? "警告" : "warning")) << "] "
          << (ja ? m.ja : m.en) << '\n';
    }
  }
  if (!j.calcs.empty()) {
    out << '\n' << (ja ? "■ 自動計算" : "■ Calculations") << '\n';
    for (size_t i = 0; i < j.calcs.size(); ++i) {
      const ir::Calc& calc = rules.calcs[i];
      std::string label = ja ? calc.label : (calc.label_en.empty() ? calc.label : calc.label_en);
      ordered_json v = CalcValueToJson(calc, j.calcs[i].value);
      std::string shown = v.is_null() ? (ja ? "不明" : "unknown")
                          : v.is_boolean()
                              ? (v.get<bool>() ? (ja ? "該当" : "yes") : (ja ? "非該当" : "no"))
                          : v.is_string() ? v.get<std::string>()
                                          : v.dump();
      out << "  " << calc.name << (label.empty() || label == calc.name ? "" : " " + label) << " = "
          << shown << (v.is_number() ? calc.unit : "") << '\n';
    }
  }
  for (const auto& c : j.classifications) {
    out << "\n■ " << c.name << (c.label.empty() || c.label == c.name ? "" : " " + c.label) << ": ";
    if (c.level >= 0) {
      out << LevelTitle(c.levels[size_t(c.level)]);
    } else if (c.candidates.empty()) {
      out << (ja ? "いずれにも該当しない" : "no level applies");
    } else {
      out << (ja ? "判定不能 (データ不足)" : "insufficient data") << " — "
          << (ja ? "可能性: " : "possible: ");
      for (size_t k = 0; k < c.candidates.size(); ++k) {
        out << (k ? ", " : "") << c.levels[size_t(c.candidates[k])].name;
      }
    }
    if (c.kind != ir::ClassificationKind::kOutcome) {
      out << (ja ? "  [助成対象の区分: " : "  [qualifying: ")
          << (c.qualifies == Truth::kTrue    ? (ja ? "はい" : "yes")
              : c.qualifies == Truth::kFalse ? (ja ? "いいえ" : "no")
                                             : (ja ? "不明" : "unknown"))
          << "]";
    }
    out << '\n';
    if (!c.deciding_items.empty()) {
      out << (ja ? "  判定に必要な項目: " : "  items that would decide it: ");
      for (size_t k = 0; k < c.deciding_items.size(); ++k)
        out << (k ? ", " : "") << c.deciding_items[k];
      out << '\n';
    }
    for (const auto& l : c.levels) {
      out << "  " << LevelTitle(l) << ": "
          << (l.otherwise ? (ja ? "その他" : "otherwise")
                          : (ja ? TruthJa(l.result) : TruthEn(l.result)))
          << '\n';
      for (const auto& clause : l.clauses) {
        out << "    - " << clause.text << " → "
            << (ja ? TruthJa(clause.result) : TruthEn(clause.result));
        if (!clause.values.empty()) {
          out << "  (";
          for (size_t k = 0; k < clause.values.size(); ++k) {
            out << (k ? ", " : "") << clause.values[k].first << " = " << clause.values[k].second;
          }
          out << ")";
        }
        out << '\n';
      }
    }
  }
  return out.str();
}

}  // namespace kijun::engine
