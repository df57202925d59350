#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kijun::dsl {

// Dates are days since 1970-01-01 (proleptic Gregorian); year-months are
// year * 12 + (month - 1). Both are plain integers so that comparisons and
// month arithmetic are exact.

// Days since 1970-01-01 of a valid calendar date, or nullopt.
std::optional<int64_t> DaysFromCivil(int64_t year, int64_t month, int64_t day);
// Parses "YYYY-MM-DD"; nullopt when malformed or not a real date.
std::optional<int64_t> ParseDate(std::string_view text);
// Parses "YYYY-MM"; nullopt when malformed.
std::optional<int64_t> ParseYearMonth(std::string_view text);
std::string FormatDate(int64_t days);
std::string FormatYearMonth(int64_t months);
// The year-month a date falls in.
int64_t YearMonthOfDate(int64_t days);
// Completed years between two dates (age on `at` of someone born on `birth`).
int64_t CompletedYears(int64_t birth, int64_t at);
// The date `months` months after `days` (before, when negative): the same
// day of the month, or the month's last day when it has no such day
// (2024-03-31 − 1 month = 2024-02-29).
int64_t AddMonthsToDate(int64_t days, int64_t months);
// Completed months between two dates.
int64_t CompletedMonths(int64_t from, int64_t to);

}  // namespace kijun::dsl
