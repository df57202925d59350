#include "engine/form_binding.h"

#include <cmath>

#include "dsl/calendar.h"
#include "dsl/diagnostic.h"
#include "dsl/source_file.h"

namespace kijun::engine {

using nlohmann::json;

namespace {

std::string ItemTitle(const ir::Item& item) {
  if (item.label.empty() || item.label == item.name) return "「" + item.name + "」";
  return "「" + item.name + " " + item.label + "」";
}

class Binder {
 public:
  Binder(const ir::RuleSet& rules, BoundForm& out) : rules_(rules), out_(out) {}

  void Bind(const json& items) {
    out_.values.clear();
    out_.states.assign(rules_.items.size(), AnswerState::kMissing);
    for (const auto& item : rules_.items) out_.values.push_back(UnknownValueOf(item.schema));
    out_.group_entries.assign(rules_.groups.size(), 0);
    if (!items.is_object()) {
      if (!items.is_null()) {
        Error("items", "「items」は項目名と値のオブジェクトにしてください",
              "\"items\" must be an object of item names and values", MessageSource::kForm);
      }
      return;
    }
    std::vector<std::string> names;
    for (const auto& item : rules_.items) {
      if (item.group < 0) names.push_back(item.name);
    }
    for (const auto& group : rules_.groups) names.push_back(group.name);
    for (const auto& [key, answer] : items.items()) {
      int slot = rules_.FindItem(key);
      if (slot >= 0 && rules_.items[slot].group < 0) {
        BindItem(slot, answer);
        continue;
      }
      int group = FindGroup(key);
      if (group >= 0) {
        BindGroup(group, answer);
        continue;
      }
      std::string close = dsl::ClosestName(key, names);
      Warning(key,
              "この疾病の様式に項目「" + key + "」はありません" +
                  (close.empty() ? "" : " (「" + close + "」のことですか？)"),
              "this disease's form has no item '" + key + "'" +
                  (close.empty() ? "" : " (did you mean '" + close + "'?)"));
    }
  }

 private:
  int FindGroup(const std::string& name) const {
    for (size_t g = 0; g < rules_.groups.size(); ++g) {
      if (rules_.groups[g].name == name) return int(g);
    }
    return -1;
  }

  // Messages about a list element or a group entry ("費用[3]",
  // "治療歴[2].薬剤") are named after the list or group, which is what tests
  // and callers can refer to; the text says which element.
  static std::string MessageName(const std::string& name) { return name.substr(0, name.find('[')); }

  void Error(const std::string& name, std::string ja, std::string en,
             MessageSource source = MessageSource::kItem) {
    out_.messages.push_back({true, source, MessageName(name), std::move(ja), std::move(en)});
  }
  void Warning(const std::string& name, std::string ja, std::string en) {
    out_.messages.push_back(
        {false, MessageSource::kItem, MessageName(name), std::move(ja), std::move(en)});
  }

  void UnknownEntryItem(const std::string& at, const std::string& key) {
    std::string ja = "「";
    ja.append(at).append("」に項目「").append(key).append("」はありません");
    std::string en = "'";
    en.append(at).append("' has no item '").append(key).append("'");
    Warning(at + "." + key, std::move(ja), std::move(en));
  }

  static bool IsUnknownWord(const json& v) {
    return v.is_string() && v.get<std::string>() == "不明";
  }

  void BindItem(int slot, const json& answer) {
    const ir::Item& item = rules_.items[slot];
    if (answer.is_null()) return;
    if (IsUnknownWord(answer) && item.schema.kind != ir::ItemKind::kText) {
      out_.states[slot] = AnswerState::kUnknown;
      return;
    }
    Value value;
    if (BindValue(item, item.schema, answer, value, "")) {
      out_.values[slot] = std::move(value);
      out_.states[slot] = AnswerState::kGiven;
    } else {
      out_.states[slot] = AnswerState::kInvalid;
    }
  }

  void BindGroup(int g, const json& answer) {
    const ir::Group& group = rules_.groups[g];
    if (answer.is_null()) return;
    if (!answer.is_array()) {
      Error(group.name, "「" + group.name + "」は行の配列にしてください",
            "'" + group.name + "' must be an array of entries");
      return;
    }
    auto n = int64_t(answer.size());
    out_.group_entries[g] = n;
    if (n < group.min_entries || n > group.max_entries) {
      Error(group.name,
            "「" + group.name + "」の行数 " + std::to_string(n) + " は " +
                std::to_string(group.min_entries) + "〜" + std::to_string(group.max_entries) +
                " の範囲外です",
            "'" + group.name + "' has " + std::to_string(n) + " entries; allowed " +
                std::to_string(group.min_entries) + " to " + std::to_string(group.max_entries));
    }
    for (size_t e = 0; e < answer.size(); ++e) {
      const json& entry = answer[e];
      std::string at = group.name + "[" + std::to_string(e + 1) + "]";
      if (!entry.is_object()) {
        Error(at, "「" + at + "」は項目のオブジェクトにしてください",
              "'" + at + "' must be an object");
        continue;
      }
      for (int slot : group.items) {
        const ir::Item& item = rules_.items[slot];
        auto it = entry.find(item.name);
        bool missing = it == entry.end() || it->is_null();
        if (missing) {
          if (item.required) {
            Error(at + "." + item.name, "必須項目" + ItemTitle(item) + "が未記入です (" + at + ")",
                  "required item '" + item.name + "' is missing in " + at);
          }
          continue;
        }
        if (IsUnknownWord(*it)) continue;
        Value ignored;
        BindValue(item, item.schema, *it, ignored, at + ".");
      }
      for (const auto& [key, v] : entry.items()) {
        bool known = false;
        for (int slot : group.items) known = known || rules_.items[slot].name == key;
        if (!known) UnknownEntryItem(at, key);
      }
    }
  }

  bool Range(const ir::Item& item, const ir::ItemSchema& s, double v, const std::string& at) {
    if ((s.min && v < *s.min) || (s.max && v > *s.max)) {
      std::string range =
          (s.min ? FormatNumber(*s.min) : "") + "〜" + (s.max ? FormatNumber(*s.max) : "");
      std::string range_en =
          (s.min ? FormatNumber(*s.min) : "") + ".." + (s.max ? FormatNumber(*s.max) : "");
      Error(at + item.name,
            ItemTitle(item) + "の値 " + FormatNumber(v) + s.unit + " は範囲 " + range + s.unit +
                " の外です",
            "'" + item.name + "' = " + FormatNumber(v) + " is outside " + range_en +
                (s.unit.empty() ? "" : " " + s.unit));
      return false;
    }
    return true;
  }

  void TypeError(const ir::Item& item, const std::string& at, const std::string& want_ja,
                 const std::string& want_en, const json& got) {
    Error(at + item.name,
          ItemTitle(item) + "は" + want_ja + "で記入してください (値: " + got.dump() + ")",
          "'" + item.name + "' must be " + want_en + " (got " + got.dump() + ")");
  }

  const ir::ChoiceOption* FindOption(const ir::ItemSchema& s, const json& v) {
    for (const auto& o : s.options) {
      if (v.is_number_integer() && v.get<int64_t>() == o.code) return &o;
      if (v.is_string() && (v.get<std::string>() == o.label ||
                            (!o.label_en.empty() && v.get<std::string>() == o.label_en))) {
        return &o;
      }
    }
    return nullptr;
  }

  bool BindValue(const ir::Item& item, const ir::ItemSchema& s, const json& v, Value& out,
                 const std::string& at) {
    switch (s.kind) {
      case ir::ItemKind::kInteger: {
        double d = 0;
        if (v.is_number_integer()) {
          d = double(v.get<int64_t>());
        } else if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()) {
          d = v.get<double>();
        } else {
          TypeError(item, at, "整数", "a whole number", v);
          return false;
        }
        if (std::fabs(d) > 9007199254740992.0) {
          TypeError(item, at, "2^53 以下の整数", "at most 2^53 in size", v);
          return false;
        }
        if (!Range(item, s, d, at)) return false;
        out = Value::OfNumber(Number::Exact(d));
        return true;
      }
      case ir::ItemKind::kDecimal: {
        if (!v.is_number()) {
          TypeError(item, at, "数値", "a number", v);
          return false;
        }
        double d = v.get<double>();
        if (std::fabs(RoundHalfAway(d, s.places) - d) > 1e-9 * std::max(1.0, std::fabs(d))) {
          Error(at + item.name,
                ItemTitle(item) + "は小数点以下 " + std::to_string(s.places) +
                    " 桁までです (値: " + v.dump() + ")",
                "'" + item.name + "' takes at most " + std::to_string(s.places) +
                    " decimal places (got " + v.dump() + ")");
          return false;
        }
        if (!Range(item, s, d, at)) return false;
        out = Value::OfNumber(Number::Exact(d));
        return true;
      }
      case ir::ItemKind::kAnswer: {
        Truth t = Truth::kUnknown;
        if (v.is_boolean()) {
          t = v.get<bool>() ? Truth::kTrue : Truth::kFalse;
        } else if (v == 1 || v == "該当") {
          t = Truth::kTrue;
        } else if (v == 2 || v == "非該当") {
          t = Truth::kFalse;
        } else if (v == 3) {
          t = Truth::kUnknown;
        } else {
          TypeError(item, at, "1.該当 2.非該当 3.不明 のいずれか",
                    "1 (該当), 2 (非該当) or 3 (不明)", v);
          return false;
        }
        out = Value::OfTruth(t);
        return true;
      }
      case ir::ItemKind::kYesNo: {
        Truth t = Truth::kUnknown;
        if (v.is_boolean()) {
          t = v.get<bool>() ? Truth::kTrue : Truth::kFalse;
        } else if (v == 1 || v == "あり") {
          t = Truth::kTrue;
        } else if (v == 2 || v == "なし") {
          t = Truth::kFalse;
        } else if (v == 3) {
          t = Truth::kUnknown;
        } else {
          TypeError(item, at, "あり / なし / 不明 のいずれか", "あり (yes), なし (no) or 不明", v);
          return false;
        }
        out = Value::OfTruth(t);
        return true;
      }
      case ir::ItemKind::kChoice: {
        const ir::ChoiceOption* o = FindOption(s, v);
        if (o == nullptr) {
          std::string options;
          for (const auto& opt : s.options) {
            options += (options.empty() ? "" : ", ") + std::to_string(opt.code) + " " + opt.label;
          }
          TypeError(item, at, "選択肢 (" + options + ") のいずれか",
                    "one of the options (" + options + ")", v);
          return false;
        }
        out = Value::OfNumber(Number::Exact(double(o->code)));
        return true;
      }
      case ir::ItemKind::kChoices: {
        if (!v.is_array()) {
          TypeError(item, at, "選択肢の配列", "an array of options", v);
          return false;
        }
        Value list;
        list.kind = ir::ValueKind::kList;
        list.list_known = true;
        for (const auto& el : v) {
          const ir::ChoiceOption* o = FindOption(s, el);
          if (o == nullptr) {
            TypeError(item, at, "選択肢の配列", "an array of options", v);
            return false;
          }
          list.list.push_back(Value::OfNumber(Number::Exact(double(o->code))));
        }
        out = std::move(list);
        return true;
      }
      case ir::ItemKind::kDate: {
        auto days = v.is_string() ? dsl::ParseDate(v.get<std::string>()) : std::nullopt;
        if (!days) {
          TypeError(item, at, "実在する日付 (YYYY-MM-DD)", "a real date as \"YYYY-MM-DD\"", v);
          return false;
        }
        out = Value::OfNumber(Number::Exact(double(*days)));
        return true;
      }
      case ir::ItemKind::kYearMonth: {
        auto months = v.is_string() ? dsl::ParseYearMonth(v.get<std::string>()) : std::nullopt;
        if (!months) {
          TypeError(item, at, "年月 (YYYY-MM)", "a year-month as \"YYYY-MM\"", v);
          return false;
        }
        out = Value::OfNumber(Number::Exact(double(*months)));
        return true;
      }
      case ir::ItemKind::kText: {
        if (!v.is_string()) {
          TypeError(item, at, "文字列", "text", v);
          return false;
        }
        const std::string& text = v.get_ref<const std::string&>();
        uint32_t chars = dsl::CodePointCount(text);
        int lines = 1;
        for (char ch : text) lines += ch == '\n' ? 1 : 0;
        if (s.max_chars > 0 && chars > uint32_t(s.max_chars)) {
          Error(at + item.name,
                ItemTitle(item) + "は " + std::to_string(s.max_chars) + " 文字以内です (" +
                    std::to_string(chars) + " 文字)",
                "'" + item.name + "' allows " + std::to_string(s.max_chars) + " characters (got " +
                    std::to_string(chars) + ")");
          return false;
        }
        if (s.max_lines > 0 && lines > s.max_lines) {
          Error(at + item.name,
                ItemTitle(item) + "は " + std::to_string(s.max_lines) + " 行以内です (" +
                    std::to_string(lines) + " 行)",
                "'" + item.name + "' allows " + std::to_string(s.max_lines) + " lines (got " +
                    std::to_string(lines) + ")");
          return false;
        }
        out = Value::OfText(text);
        return true;
      }
      case ir::ItemKind::kList: {
        if (!v.is_array() || int(v.size()) != s.list_size) {
          TypeError(item, at, std::to_string(s.list_size) + " 個の値の配列",
                    "an array of " + std::to_string(s.list_size) + " values", v);
          return false;
        }
        const ir::ItemSchema& element = s.element_schema.front();
        Value list;
        list.kind = ir::ValueKind::kList;
        list.list_known = true;
        bool ok = true;
        for (size_t i = 0; i < v.size(); ++i) {
          Value el = UnknownValueOf(element);
          if (!v[i].is_null() && !IsUnknownWord(v[i])) {
            ir::Item element_item = item;
            element_item.name = item.name + "[" + std::to_string(i + 1) + "]";
            Value bound;
            if (BindValue(element_item, element, v[i], bound, at)) {
              el = std::move(bound);
            } else {
              ok = false;
            }
          }
          list.list.push_back(std::move(el));
        }
        out = std::move(list);
        return ok;
      }
      case ir::ItemKind::kGroup:
        return false;
    }
    return false;
  }

  const ir::RuleSet& rules_;
  BoundForm& out_;
};

}  // namespace

Value UnknownValueOf(const ir::ItemSchema& s) {
  switch (s.kind) {
    case ir::ItemKind::kAnswer:
    case ir::ItemKind::kYesNo:
      return Value::UnknownOf(ir::ValueKind::kTruth);
    case ir::ItemKind::kText:
      return Value::UnknownOf(ir::ValueKind::kText);
    case ir::ItemKind::kChoice: {
      Number n = Number::Unknown();
      if (!s.options.empty()) {
        n.lo = n.hi = double(s.options.front().code);
        for (const auto& o : s.options) {
          n.lo = std::min(n.lo, double(o.code));
          n.hi = std::max(n.hi, double(o.code));
        }
        // A single option would look known; an unanswered choice is not.
        if (n.lo == n.hi) n = Number::Unknown();
      }
      return Value::OfNumber(n);
    }
    case ir::ItemKind::kChoices:
      return Value::UnknownOf(ir::ValueKind::kList);
    case ir::ItemKind::kList: {
      Value list;
      list.kind = ir::ValueKind::kList;
      list.list_known = true;  // the length is fixed; the elements are unknown
      for (int i = 0; i < s.list_size; ++i)
        list.list.push_back(UnknownValueOf(s.element_schema.front()));
      return list;
    }
    default: {
      Number n = Number::Unknown();
      if (s.min) n.lo = *s.min;
      if (s.max) n.hi = *s.max;
      if (n.lo == n.hi) n = Number::Unknown();
      return Value::OfNumber(n);
    }
  }
}

std::string ShowItemValue(const ir::ItemSchema& s, const Value& v, AnswerState state) {
  if (state == AnswerState::kMissing) return "未記入";
  if (state == AnswerState::kInvalid) return "不正な値";
  if (state == AnswerState::kUnknown || !v.known()) return "不明";
  switch (s.kind) {
    case ir::ItemKind::kAnswer:
      return v.truth == Truth::kTrue ? "該当" : "非該当";
    case ir::ItemKind::kYesNo:
      return v.truth == Truth::kTrue ? "あり" : "なし";
    case ir::ItemKind::kChoice:
      for (const auto& o : s.options) {
        if (double(o.code) == v.number.lo) return std::to_string(o.code) + " " + o.label;
      }
      return FormatNumber(v.number.lo);
    case ir::ItemKind::kDate:
      return dsl::FormatDate(int64_t(v.number.lo));
    case ir::ItemKind::kYearMonth:
      return dsl::FormatYearMonth(int64_t(v.number.lo));
    case ir::ItemKind::kText:
      return v.text;
    case ir::ItemKind::kChoices:
    case ir::ItemKind::kList: {
      std::string out = "[";
      for (size_t i = 0; i < v.list.size(); ++i) {
        const ir::ItemSchema& element =
            s.kind == ir::ItemKind::kList ? s.element_schema.front() : s;
        ir::ItemSchema choice = element;
        if (s.kind == ir::ItemKind::kChoices) choice.kind = ir::ItemKind::kChoice;
        out += (i ? ", " : "") +
               ShowItemValue(choice, v.list[i],
                             v.list[i].known() ? AnswerState::kGiven : AnswerState::kUnknown);
      }
      return out + "]";
    }
    default:
      return FormatNumber(v.number.lo) + s.unit;
  }
}

}  // namespace kijun::engine

namespace kijun::engine {

BoundForm BindForm(const ir::RuleSet& rules, const nlohmann::json& items) {
  BoundForm out;
  Binder(rules, out).Bind(items);
  return out;
}

}  // namespace kijun::engine
