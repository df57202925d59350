#include "engine/external_call.h"

#include <cmath>
#include <cstring>

namespace kijun::engine {

namespace {

// Integers are exact up to 2^53 (docs/language.md, "Numbers").
constexpr double kLargestExactInteger = 9007199254740992.0;

// The bytes of `text` up to its NUL (at most `size`), with every byte that
// is not part of a well-formed UTF-8 sequence replaced by '?': the message
// goes into JSON, which must be valid UTF-8, and a plugin may cut a
// character in two at the end of its buffer.
std::string ValidUtf8(const char* text, size_t size) {
  size_t length = strnlen(text, size);
  std::string out;
  out.reserve(length);
  size_t i = 0;
  while (i < length) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t extra = c < 0x80           ? 0
                   : (c >> 5) == 0x6  ? 1
                   : (c >> 4) == 0xE  ? 2
                   : (c >> 3) == 0x1E ? 3
                                      : 4;
    bool ok = extra < 4 && i + extra < length && !(extra == 1 && c < 0xC2);
    for (size_t k = 1; ok && k <= extra; ++k) {
      ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    }
    if (ok && extra == 2) {
      auto next = static_cast<unsigned char>(text[i + 1]);
      ok = !(c == 0xE0 && next < 0xA0) && !(c == 0xED && next >= 0xA0);  // overlong, surrogate
    } else if (ok && extra == 3) {
      auto next = static_cast<unsigned char>(text[i + 1]);
      ok = c <= 0xF4 && !(c == 0xF0 && next < 0x90) && !(c == 0xF4 && next >= 0x90);
    }
    if (ok) {
      out.append(text + i, extra + 1);
      i += extra + 1;
    } else {
      out += '?';
      ++i;
    }
  }
  return out;
}

Value Unknown(ir::ExternalKind kind) {
  return Value::UnknownOf(kind == ir::ExternalKind::kTruth ? ir::ValueKind::kTruth
                                                           : ir::ValueKind::kNumber);
}

}  // namespace

std::string ExternalSymbol(std::string_view name) {
  static const char* kHex = "0123456789abcdef";
  std::string symbol = "kijun_fn_";
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      symbol += ch;
    } else {
      symbol += '_';
      symbol += kHex[c >> 4];
      symbol += kHex[c & 0xF];
    }
  }
  return symbol;
}

ir::ValueKind ExternalValueKind(const ir::External& f) {
  return f.result == ir::ExternalKind::kTruth ? ir::ValueKind::kTruth : ir::ValueKind::kNumber;
}

Value CallExternal(const ir::External& f, const std::vector<Value>& args, std::string& ja,
                   std::string& en) {
  ja.clear();
  en.clear();
  kijun_plugin_value packed[KIJUN_PLUGIN_MAX_ARGS + 1] = {};
  for (size_t i = 0; i < args.size() && i < KIJUN_PLUGIN_MAX_ARGS; ++i) {
    const Value& a = args[i];
    if (!a.known()) return Unknown(f.result);
    if (a.kind == ir::ValueKind::kTruth) {
      packed[i].truth = a.truth == Truth::kTrue ? KIJUN_PLUGIN_TRUE : KIJUN_PLUGIN_FALSE;
    } else {
      packed[i].number = a.number.lo;
    }
  }
  if (f.entry == nullptr) {  // registered without a function: nothing to call
    ja = "関数「" + f.name + "」の実体が読み込まれていません";
    en = "function '" + f.name + "' has no code loaded";
    return Unknown(f.result);
  }
  kijun_plugin_value result{0, KIJUN_PLUGIN_UNKNOWN, 0};
  kijun_plugin_message message;
  message.ja[0] = '\0';
  message.en[0] = '\0';
  auto call = reinterpret_cast<kijun_plugin_call>(f.entry);
  int32_t status = call(packed, &result, &message);
  return ExternalResult(f.name, f.result, status, result, message, ja, en);
}

Value ExternalResult(std::string_view name, ir::ExternalKind kind, int32_t status,
                     const kijun_plugin_value& result, const kijun_plugin_message& message,
                     std::string& ja, std::string& en) {
  ja.clear();
  en.clear();
  const std::string n(name);
  switch (status) {
    case KIJUN_PLUGIN_OK:
      break;
    case KIJUN_PLUGIN_NO_RESULT:
      return Unknown(kind);
    case KIJUN_PLUGIN_DOMAIN_ERROR: {
      std::string why_ja = ValidUtf8(message.ja, sizeof message.ja);
      std::string why_en = ValidUtf8(message.en, sizeof message.en);
      ja = "関数「" + n + "」: " + (why_ja.empty() ? "引数が定義域の外です" : why_ja);
      en = "function '" + n + "': " + (why_en.empty() ? "arguments outside its domain" : why_en);
      return Unknown(kind);
    }
    default:
      ja = "関数「" + n + "」が未定義の状態 " + std::to_string(status) + " を返しました";
      en = "function '" + n + "' returned the undefined status " + std::to_string(status);
      return Unknown(kind);
  }
  if (kind == ir::ExternalKind::kTruth) {
    if (result.truth == KIJUN_PLUGIN_TRUE) return Value::OfTruth(Truth::kTrue);
    if (result.truth == KIJUN_PLUGIN_FALSE) return Value::OfTruth(Truth::kFalse);
    ja = "関数「" + n + "」の結果 " + std::to_string(result.truth) + " は真偽値ではありません";
    en = "function '" + n + "' returned " + std::to_string(result.truth) +
         ", not a truth value (0 or 1)";
    return Unknown(kind);
  }
  double v = result.number;
  if (!std::isfinite(v)) {
    ja = "関数「" + n + "」の結果が有限の数ではありません";
    en = "function '" + n + "' returned a value that is not a finite number";
    return Unknown(kind);
  }
  if (kind == ir::ExternalKind::kInteger &&
      (std::floor(v) != v || std::fabs(v) > kLargestExactInteger)) {
    ja = "関数「" + n + "」の結果 " + FormatNumber(v) + " は整数ではありません";
    en = "function '" + n + "' returned " + FormatNumber(v) + ", not an integer";
    return Unknown(kind);
  }
  return Value::OfNumber(Number::Exact(v));
}

}  // namespace kijun::engine
