#include "engine/form_schema.h"

#include "dsl/calendar.h"

namespace kijun::engine {

using nlohmann::ordered_json;

const char* ItemKindName(ir::ItemKind kind) {
  switch (kind) {
    case ir::ItemKind::kInteger:
      return "integer";
    case ir::ItemKind::kDecimal:
      return "decimal";
    case ir::ItemKind::kAnswer:
      return "answer";
    case ir::ItemKind::kYesNo:
      return "yesno";
    case ir::ItemKind::kChoice:
      return "choice";
    case ir::ItemKind::kChoices:
      return "choices";
    case ir::ItemKind::kDate:
      return "date";
    case ir::ItemKind::kYearMonth:
      return "year_month";
    case ir::ItemKind::kText:
      return "text";
    case ir::ItemKind::kList:
      return "list";
    case ir::ItemKind::kGroup:
      return "group";
  }
  return "?";
}

namespace {

ordered_json SchemaToJson(const ir::ItemSchema& s) {
  ordered_json out;
  out["type"] = ItemKindName(s.kind);
  auto bound = [&](const std::optional<double>& v) -> ordered_json {
    if (!v) return nullptr;
    if (s.kind == ir::ItemKind::kDate) return dsl::FormatDate(int64_t(*v));
    if (s.kind == ir::ItemKind::kYearMonth) return dsl::FormatYearMonth(int64_t(*v));
    return *v;
  };
  if (s.min) out["min"] = bound(s.min);
  if (s.max) out["max"] = bound(s.max);
  if (s.kind == ir::ItemKind::kDecimal) out["places"] = s.places;
  if (!s.unit.empty()) out["unit"] = s.unit;
  if (!s.options.empty()) {
    ordered_json options = ordered_json::array();
    for (const auto& o : s.options) {
      options.push_back({{"code", o.code}, {"label", o.label}, {"label_en", o.label_en}});
    }
    out["options"] = options;
  }
  if (s.max_chars > 0) out["max_chars"] = s.max_chars;
  if (s.max_lines > 0) out["max_lines"] = s.max_lines;
  if (s.kind == ir::ItemKind::kList) {
    out["size"] = s.list_size;
    if (!s.element_schema.empty()) out["element"] = SchemaToJson(s.element_schema[0]);
  }
  return out;
}

}  // namespace

ordered_json FormSchemaToJson(const ir::RuleSet& rules) {
  ordered_json out;
  out["disease"] = rules.DiseaseKey();
  out["name"] = rules.name_ja;
  out["name_en"] = rules.name_en;
  if (rules.revision) out["revision"] = *rules.revision;
  if (rules.effective) out["effective"] = dsl::FormatDate(*rules.effective);
  out["variants"] = rules.variants;
  out["content_hash"] = rules.content_hash;
  ordered_json sections = ordered_json::array();
  for (const auto& item : rules.items) {
    if (item.group >= 0) continue;  // listed under their group
    if (sections.empty() || sections.back()["name"] != item.section) {
      sections.push_back({{"name", item.section}, {"items", ordered_json::array()}});
      if (!item.only_variant.empty()) sections.back()["only_variant"] = item.only_variant;
    }
    ordered_json j;
    j["name"] = item.name;
    j["label"] = item.label;
    if (!item.label_en.empty()) j["label_en"] = item.label_en;
    j.update(SchemaToJson(item.schema));
    if (item.required) {
      j["required"] = item.required_variants.empty() ? ordered_json(true)
                                                     : ordered_json(item.required_variants);
    }
    if (item.asked_when) j["asked_when"] = item.asked_when->text;
    sections.back()["items"].push_back(j);
  }
  out["sections"] = sections;
  ordered_json groups = ordered_json::array();
  for (const auto& g : rules.groups) {
    ordered_json columns = ordered_json::array();
    for (int slot : g.items) {
      const ir::Item& column = rules.items[size_t(slot)];
      ordered_json c = {{"name", column.name}, {"label", column.label}};
      c.update(SchemaToJson(column.schema));
      columns.push_back(c);
    }
    groups.push_back({{"name", g.name},
                      {"label", g.label},
                      {"min_entries", g.min_entries},
                      {"max_entries", g.max_entries},
                      {"columns", columns}});
  }
  out["groups"] = groups;
  return out;
}

}  // namespace kijun::engine
