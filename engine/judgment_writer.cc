#include "engine/judgment_writer.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace kijun::engine {

const char* ClassificationKindName(ir::ClassificationKind k) {
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

const char* TruthText(Truth t) {
  return t == Truth::kUnknown ? "null" : t == Truth::kTrue ? "true" : "false";
}

namespace {

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

// `"key":` — keys here are fixed ASCII words.
void Key(const char* key, std::string& out) {
  out += '"';
  out += key;
  out += "\":";
}

}  // namespace

void WriteCalcValueJson(const ir::Calc& calc, const Value& v, std::string& out) {
  switch (v.kind) {
    case ir::ValueKind::kTruth:
      out += TruthText(v.truth);
      return;
    case ir::ValueKind::kNumber:
      if (!v.number.known()) {
        out += "null";
      } else if (calc.integer && std::fabs(v.number.lo) < 9007199254740992.0) {
        out += std::to_string(static_cast<int64_t>(v.number.lo));
      } else {
        // nlohmann's shortest round-trip form (and null for inf/NaN), so
        // the bytes stay those of the document rendering.
        out += nlohmann::json(v.number.lo).dump();
      }
      return;
    case ir::ValueKind::kText:
      if (v.text_known) {
        WriteJsonString(v.text, out);
      } else {
        out += "null";
      }
      return;
    case ir::ValueKind::kList:
      out += "null";
      return;
  }
  out += "null";
}

void WriteMessageJson(const Message& m, std::string& out) {
  out += "{\"severity\":";
  out += m.is_error ? "\"error\"" : "\"warning\"";
  out += ",\"source\":\"";
  out += SourceName(m.source);
  out += "\",\"name\":";
  WriteJsonString(m.name, out);
  out += ",\"ja\":";
  WriteJsonString(m.ja, out);
  out += ",\"en\":";
  WriteJsonString(m.en, out);
  out += '}';
}

void WriteJsonString(const std::string& text, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  const char* run = text.data();
  const char* end = text.data() + text.size();
  for (const char* p = run; p != end; ++p) {
    auto byte = static_cast<unsigned char>(*p);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out.append(run, p);
    run = p + 1;
    switch (byte) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[byte >> 4];
        out += kHex[byte & 0xF];
    }
  }
  out.append(run, end);
  out += '"';
}

void WriteJudgmentJson(const ir::RuleSet& rules, const Judgment& j, std::string& out,
                       Explanation explanation) {
  out += '{';
  if (!j.id.empty()) {
    Key("id", out);
    WriteJsonString(j.id, out);
    out += ',';
  }
  Key("disease", out);
  WriteJsonString(j.disease, out);
  out += ",\"rule\":{\"name\":";
  WriteJsonString(j.rule_name, out);
  if (j.revision) {
    out += ",\"revision\":";
    out += std::to_string(*j.revision);
  }
  out += ",\"hash\":";
  WriteJsonString(j.content_hash, out);
  out += '}';
  if (!j.variant.empty()) {
    out += ",\"variant\":";
    WriteJsonString(j.variant, out);
  }
  out += ",\"status\":";
  out += j.HasErrors() ? "\"errors\"" : "\"ok\"";
  out += ",\"messages\":[";
  for (size_t i = 0; i < j.messages.size(); ++i) {
    if (i > 0) out += ',';
    WriteMessageJson(j.messages[i], out);
  }
  out += "],\"values\":{";
  for (size_t i = 0; i < j.calcs.size(); ++i) {
    if (i > 0) out += ',';
    WriteJsonString(j.calcs[i].name, out);
    out += ':';
    WriteCalcValueJson(rules.calcs[i], j.calcs[i].value, out);
  }
  out += "},\"judgments\":[";
  for (size_t n = 0; n < j.classifications.size(); ++n) {
    const ClassificationResult& c = j.classifications[n];
    if (n > 0) out += ',';
    out += "{\"kind\":\"";
    out += ClassificationKindName(c.kind);
    out += "\",\"name\":";
    WriteJsonString(c.name, out);
    out += ",\"level\":";
    if (c.level >= 0) {
      WriteJsonString(c.levels[size_t(c.level)].name, out);
    } else {
      out += "null";
    }
    if (c.level < 0 && !c.candidates.empty()) {
      out += ",\"possible\":[";
      for (size_t k = 0; k < c.candidates.size(); ++k) {
        if (k > 0) out += ',';
        WriteJsonString(c.levels[size_t(c.candidates[k])].name, out);
      }
      out += ']';
    }
    if (c.kind != ir::ClassificationKind::kOutcome) {
      out += ",\"qualifies\":";
      out += TruthText(c.qualifies);
    }
    if (!c.deciding_items.empty()) {
      out += ",\"insufficient_data\":[";
      for (size_t k = 0; k < c.deciding_items.size(); ++k) {
        if (k > 0) out += ',';
        WriteJsonString(c.deciding_items[k], out);
      }
      out += ']';
    }
    if (explanation == Explanation::kTruths) {
      out += ",\"truths\":\"";
      for (size_t l = 0; l < c.levels.size(); ++l) {
        const LevelTrace& level = c.levels[l];
        if (l > 0) out += ' ';
        out += TruthLetter(level.result);
        if (level.otherwise) continue;
        out += ':';
        for (const ClauseTrace& clause : level.clauses) out += TruthLetter(clause.result);
      }
      out += "\"}";
      continue;
    }
    out += ",\"explanation\":[";
    for (size_t l = 0; l < c.levels.size(); ++l) {
      const LevelTrace& level = c.levels[l];
      if (l > 0) out += ',';
      out += "{\"level\":";
      WriteJsonString(level.name, out);
      out += ",\"result\":";
      out += TruthText(level.result);
      out += ",\"condition\":";
      WriteJsonString(level.otherwise ? std::string("otherwise") : level.condition, out);
      out += ",\"clauses\":[";
      for (size_t k = 0; k < level.clauses.size(); ++k) {
        const ClauseTrace& clause = level.clauses[k];
        if (k > 0) out += ',';
        out += "{\"text\":";
        WriteJsonString(clause.text, out);
        out += ",\"result\":";
        out += TruthText(clause.result);
        out += ",\"read\":{";
        for (size_t r = 0; r < clause.values.size(); ++r) {
          if (r > 0) out += ',';
          WriteJsonString(clause.values[r].first, out);
          out += ':';
          WriteJsonString(clause.values[r].second, out);
        }
        out += "}}";
      }
      out += "]}";
    }
    out += "]}";
  }
  out += "]}";
}

}  // namespace kijun::engine
