#include "server/print_view.h"

namespace kijun::server {

std::string EscapeHtml(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// An answer as the paper form shows it: the option's label for choices.
std::string ShowAnswer(const engine::ir::Item& item, const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  if (item.schema.kind == engine::ir::ItemKind::kChoice && value.is_number_integer()) {
    for (const auto& o : item.schema.options) {
      if (o.code == value.get<int64_t>()) return o.label;
    }
  }
  if (value.is_array()) {
    std::string out;
    for (const auto& v : value) out += (out.empty() ? "" : ", ") + ShowAnswer(item, v);
    return out;
  }
  return value.dump();
}

// "sha256:abcd…" → "ABCD EF01 …" (the first 128 bits, in groups of four).
std::string GroupedDigest(const std::string& digest) {
  std::string hex = digest.substr(digest.find(':') + 1, 32);
  std::string out;
  for (size_t i = 0; i < hex.size(); ++i) {
    if (i > 0 && i % 4 == 0) out += ' ';
    out += char(std::toupper(static_cast<unsigned char>(hex[i])));
  }
  return out;
}

}  // namespace

std::string RenderPrintView(const engine::ir::RuleSet& rules, const PrintedForm& f) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">";
  h += "<title>臨床調査個人票 " + EscapeHtml(f.disease_name) + "</title>";
  h += "<style>"
       "body{font-family:'Noto Sans CJK JP','IPAexGothic',sans-serif;margin:12mm;font-size:10pt}"
       "h1{font-size:14pt;border-bottom:2px solid #000;margin:0 0 4mm}"
       "table{border-collapse:collapse;width:100%;margin-bottom:4mm}"
       "th,td{border:1px solid #000;padding:1mm 2mm;text-align:left;vertical-align:top}"
       "th{background:#eee;width:35%}"
       ".key{font-family:monospace;font-size:13pt;letter-spacing:1px}"
       "h2{font-size:11pt;margin:4mm 0 1mm}"
       "@media print{body{margin:8mm}.noprint{display:none}}"
       "</style></head><body>\n";
  h += "<h1>臨床調査個人票 (" + EscapeHtml(f.variant) + ") — " + EscapeHtml(f.disease_name) +
       " <small>" + EscapeHtml(f.disease) + "</small></h1>\n";
  h += "<table><tr><th>アクセスキー</th><td class=\"key\" id=\"access-key\">" +
       EscapeHtml(f.access_key) + "</td></tr>";
  h += "<tr><th>内容の照合コード (SHA-256)</th><td class=\"key\" id=\"digest\">" +
       EscapeHtml(GroupedDigest(f.digest)) + "</td></tr>";
  h += "<tr><th>記載日</th><td>" + EscapeHtml(f.date) + "</td></tr></table>\n";
  h += "<h2>患者</h2><table>";
  h += "<tr><th>氏名</th><td>" + EscapeHtml(f.patient_name) + "</td></tr>";
  h += "<tr><th>ふりがな</th><td>" + EscapeHtml(f.patient_kana) + "</td></tr>";
  h += "<tr><th>生年月日</th><td>" + EscapeHtml(f.birth_date) + "</td></tr>";
  h += "<tr><th>性別</th><td>" + EscapeHtml(f.sex) + "</td></tr></table>\n";
  std::string section;
  for (const auto& item : rules.items) {
    if (item.group >= 0) continue;
    if (item.section != section) {
      if (!section.empty()) h += "</table>\n";
      section = item.section;
      h += "<h2>" + EscapeHtml(section) + "</h2><table>";
    }
    auto value = f.items.find(item.name);
    h += "<tr><th>" + EscapeHtml(item.label.empty() ? item.name : item.label) + "</th><td>" +
         EscapeHtml(value == f.items.end() ? "" : ShowAnswer(item, *value)) +
         (item.schema.unit.empty() || value == f.items.end() ? ""
                                                             : " " + EscapeHtml(item.schema.unit)) +
         "</td></tr>";
  }
  if (!section.empty()) h += "</table>\n";
  h += "<h2>機械判定</h2><table>";
  if (auto c = f.judgment.find("judgments"); c != f.judgment.end()) {
    for (const auto& k : *c) {
      h += "<tr><th>" + EscapeHtml(k.value("name", "")) + "</th><td>" +
           EscapeHtml(k.contains("level") && k["level"].is_string() ? k["level"].get<std::string>()
                                                                    : "判定不能") +
           "</td></tr>";
    }
  }
  h += "</table>\n<h2>指定医</h2><table>";
  h += "<tr><th>氏名</th><td>" + EscapeHtml(f.physician) + "</td></tr>";
  h += "<tr><th>指定医番号</th><td>" + EscapeHtml(f.designation) + "</td></tr></table>\n";
  h += "<p><small>規則の版: " + EscapeHtml(f.rule_hash) + "</small></p>\n";
  h += "<p class=\"noprint\"><button onclick=\"window.print()\">印刷 / PDF</button></p>\n";
  h += "</body></html>\n";
  return h;
}

}  // namespace kijun::server
