#include "dsl/ast_clone.h"

namespace kijun::dsl {

namespace {

using namespace ast;

ExprPtr CloneExpr(const ExprPtr& e) {
  if (!e) return nullptr;
  auto copy = std::make_unique<Expr>();
  copy->kind = e->kind;
  copy->where = e->where;
  copy->text = e->text;
  copy->integer_value = e->integer_value;
  copy->decimal_value = e->decimal_value;
  copy->decimal_places = e->decimal_places;
  copy->boolean_value = e->boolean_value;
  copy->string_value = e->string_value;
  copy->op = e->op;
  copy->name = e->name;
  copy->loop_variable = e->loop_variable;
  copy->args.reserve(e->args.size());
  for (const auto& a : e->args) copy->args.push_back(CloneExpr(a));
  return copy;
}

ItemType CloneItemType(const ItemType& t) {
  ItemType copy;
  copy.kind = t.kind;
  copy.min = t.min;
  copy.max = t.max;
  copy.places = t.places;
  copy.unit = t.unit;
  copy.options = t.options;
  copy.max_chars = t.max_chars;
  copy.max_lines = t.max_lines;
  copy.list_size = t.list_size;
  if (t.element) copy.element = std::make_unique<ItemType>(CloneItemType(*t.element));
  copy.where = t.where;
  return copy;
}

std::unique_ptr<Item> CloneItem(const Item& item, const Section* section, const Group* group) {
  auto copy = std::make_unique<Item>();
  copy->name = item.name;
  copy->where = item.where;
  copy->label = item.label;
  copy->label_en = item.label_en;
  copy->type = CloneItemType(item.type);
  copy->required = item.required;
  copy->required_variants = item.required_variants;
  copy->required_variant_where = item.required_variant_where;
  copy->required_where = item.required_where;
  copy->asked_when = CloneExpr(item.asked_when);
  copy->section = section;
  copy->group = group;
  copy->module = item.module;
  return copy;
}

std::unique_ptr<Section> CloneSection(const Section& s) {
  auto copy = std::make_unique<Section>();
  copy->name = s.name;
  copy->where = s.where;
  copy->label = s.label;
  copy->label_en = s.label_en;
  copy->only_variant = s.only_variant;
  copy->only_where = s.only_where;
  for (const auto& item : s.items) copy->items.push_back(CloneItem(*item, copy.get(), nullptr));
  for (const auto& g : s.groups) {
    auto group = std::make_unique<Group>();
    group->name = g->name;
    group->where = g->where;
    group->label = g->label;
    group->label_en = g->label_en;
    group->min_entries = g->min_entries;
    group->max_entries = g->max_entries;
    group->section = copy.get();
    for (const auto& item : g->items) {
      group->items.push_back(CloneItem(*item, copy.get(), group.get()));
    }
    copy->groups.push_back(std::move(group));
  }
  return copy;
}

std::unique_ptr<Calc> CloneCalc(const Calc& c) {
  auto copy = std::make_unique<Calc>();
  copy->name = c.name;
  copy->where = c.where;
  copy->label = c.label;
  copy->label_en = c.label_en;
  copy->declared = c.declared;
  copy->places = c.places;
  copy->unit = c.unit;
  copy->type_where = c.type_where;
  copy->expr = CloneExpr(c.expr);
  copy->module = c.module;
  return copy;
}

std::unique_ptr<Check> CloneCheck(const Check& c) {
  auto copy = std::make_unique<Check>();
  copy->name = c.name;
  copy->where = c.where;
  copy->is_error = c.is_error;
  copy->message_ja = c.message_ja;
  copy->message_en = c.message_en;
  copy->condition = CloneExpr(c.condition);
  copy->module = c.module;
  return copy;
}

std::unique_ptr<Classification> CloneClassification(const Classification& c) {
  auto copy = std::make_unique<Classification>();
  copy->kind = c.kind;
  copy->name = c.name;
  copy->where = c.where;
  copy->label = c.label;
  copy->label_en = c.label_en;
  for (const auto& l : c.levels) {
    auto level = std::make_unique<Level>();
    level->name = l->name;
    level->where = l->where;
    level->label = l->label;
    level->label_en = l->label_en;
    level->condition = CloneExpr(l->condition);
    copy->levels.push_back(std::move(level));
  }
  copy->qualifying = c.qualifying;
  copy->qualifying_where = c.qualifying_where;
  copy->module = c.module;
  return copy;
}

}  // namespace

std::unique_ptr<ast::RuleFile> CloneParsedFile(const ast::RuleFile& f) {
  auto copy = std::make_unique<RuleFile>();
  copy->source = f.source;
  copy->is_module = f.is_module;
  copy->header_where = f.header_where;
  copy->programme = f.programme;
  copy->number = f.number;
  copy->module_name = f.module_name;
  copy->name_ja = f.name_ja;
  copy->name_en = f.name_en;
  copy->revision = f.revision;
  copy->effective = f.effective;
  copy->sources = f.sources;
  copy->variants = f.variants;
  copy->variant_where = f.variant_where;
  for (const auto& import : f.imports) copy->imports.push_back({import.path, import.where, {}});
  for (const auto& s : f.sections) copy->sections.push_back(CloneSection(*s));
  for (const auto& c : f.calcs) copy->calcs.push_back(CloneCalc(*c));
  for (const auto& c : f.checks) copy->checks.push_back(CloneCheck(*c));
  for (const auto& c : f.classifications) copy->classifications.push_back(CloneClassification(*c));
  for (const auto& t : f.tables) copy->tables.push_back(std::make_unique<Table>(*t));
  copy->tests = f.tests;
  copy->comments = f.comments;
  copy->order = f.order;
  copy->order_lines = f.order_lines;
  copy->order_end_lines = f.order_end_lines;
  return copy;
}

}  // namespace kijun::dsl
