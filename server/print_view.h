#pragma once

// The print view of a confirmed form: an HTML page laid out like the
// official 臨床調査個人票, with the access key and the content digest, ready
// for the browser's print to PDF. Every value is HTML-escaped.

#include <nlohmann/json.hpp>
#include <string>

#include "engine/ir.h"

namespace kijun::server {

struct PrintedForm {
  std::string disease;
  std::string disease_name;
  std::string variant;
  std::string date;
  std::string patient_name;
  std::string patient_kana;
  std::string birth_date;
  std::string sex;
  std::string physician;
  std::string designation;
  std::string access_key;
  std::string digest;
  std::string rule_hash;
  nlohmann::json items;
  nlohmann::json judgment;  // engine::JudgmentToJson
};

std::string RenderPrintView(const engine::ir::RuleSet& rules, const PrintedForm& form);

std::string EscapeHtml(const std::string& text);

}  // namespace kijun::server
