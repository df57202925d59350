#include "dsl/calendar.h"

#include <algorithm>
#include <cstdio>

namespace kijun::dsl {

namespace {

struct Civil {
  int64_t year;
  int64_t month;
  int64_t day;
};

// Howard Hinnant's civil-from-days algorithm.
Civil CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  return {m <= 2 ? y + 1 : y, m, d};
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int64_t DaysInMonth(int64_t y, int64_t m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

bool ParseDigits(std::string_view text, size_t at, size_t count, int64_t& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

std::optional<int64_t> DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) return std::nullopt;
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::optional<int64_t> ParseDate(std::string_view text) {
  int64_t y = 0, m = 0, d = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (!ParseDigits(text, 0, 4, y) || !ParseDigits(text, 5, 2, m) || !ParseDigits(text, 8, 2, d)) {
    return std::nullopt;
  }
  return DaysFromCivil(y, m, d);
}

std::optional<int64_t> ParseYearMonth(std::string_view text) {
  int64_t y = 0, m = 0;
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  if (!ParseDigits(text, 0, 4, y) || !ParseDigits(text, 5, 2, m)) return std::nullopt;
  if (y < 1 || m < 1 || m > 12) return std::nullopt;
  return y * 12 + (m - 1);
}

std::string FormatDate(int64_t days) {
  Civil c = CivilFromDays(days);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02lld-%02lld", static_cast<long long>(c.year),
                static_cast<long long>(c.month), static_cast<long long>(c.day));
  return buffer;
}

std::string FormatYearMonth(int64_t months) {
  char buffer[64];
  int64_t y = months / 12;
  int64_t m = months % 12 + 1;
  std::snprintf(buffer, sizeof buffer, "%04lld-%02lld", static_cast<long long>(y),
                static_cast<long long>(m));
  return buffer;
}

int64_t YearMonthOfDate(int64_t days) {
  Civil c = CivilFromDays(days);
  return c.year * 12 + (c.month - 1);
}

int64_t AddMonthsToDate(int64_t days, int64_t months) {
  Civil c = CivilFromDays(days);
  int64_t index = c.year * 12 + (c.month - 1) + months;
  int64_t year = index >= 0 ? index / 12 : -((-index + 11) / 12);
  int64_t month = index - year * 12 + 1;
  int64_t day = std::min(c.day, DaysInMonth(year, month));
  return DaysFromCivil(year, month, day).value_or(days);
}

int64_t CompletedMonths(int64_t from, int64_t to) {
  Civil a = CivilFromDays(from);
  Civil b = CivilFromDays(to);
  int64_t months = (b.year - a.year) * 12 + (b.month - a.month);
  if (b.day < a.day) --months;
  return months;
}

int64_t CompletedYears(int64_t birth, int64_t at) {
  int64_t months = CompletedMonths(birth, at);
  return months >= 0 ? months / 12 : -((-months + 11) / 12);
}

}  // namespace kijun::dsl
