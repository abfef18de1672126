// FILETIME <-> ISO-8601 conversions at full 100-ns precision (style.md convention 7).
#include "smssaudit/core/filetime.hpp"

#include <fmt/format.h>

#include <array>

namespace smssaudit {
namespace {

// FILETIME counts 100-ns ticks since 1601-01-01 UTC; seven fractional digits keep all of them.
constexpr std::uint64_t kTicksPerSecond = 10'000'000ULL;
constexpr std::uint64_t kSecondsPerDay = 86'400ULL;

// A proleptic-Gregorian calendar date.
struct CivilDate {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// Howard Hinnant's days-from-civil / civil-from-days, with day 0 = 0000-03-01. Integer-only so
// every FILETIME (up to year 60056) converts without the range limits of std::chrono's year.
CivilDate civil_from_days(std::int64_t z) {
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<std::uint64_t>(z - era * 146097);
  const std::uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::uint64_t mp = (5 * doy + 2) / 153;
  const auto day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
  const auto month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
  const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<std::uint64_t>(y - era * 400);
  const std::uint64_t mp = m > 2 ? m - 3 : m + 9;
  const std::uint64_t doy = (153 * mp + 2) / 5 + d - 1;
  const std::uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe);
}

// Day number of 1601-01-01, the FILETIME epoch, on the scale above (day 0 = 0000-03-01).
constexpr std::int64_t kDaysTo1601 = days_from_civil(1601, 1, 1);

// Gregorian rule; the FILETIME range starts in 1601, after the Gregorian switch.
bool is_leap(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Needed only by the parser, to reject dates such as 2020-02-30.
unsigned days_in_month(std::int64_t y, unsigned m) {
  static constexpr std::array<unsigned, 12> kDays = {
      31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays.at(m - 1);
}

// Reads exactly `n` decimal digits at `pos`; false on anything else.
// Parser helpers.
bool read_digits(const std::string& s, std::size_t pos, std::size_t n, unsigned& out) {
  if (pos + n > s.size()) {
    return false;
  }
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::string filetime_to_iso8601(std::uint64_t filetime) {
  // 0 is how the registry and EVTX say "never set": render it as empty, not as 1601.
  if (filetime == 0) {
    return "";
  }
  // Split into whole days, seconds of the day and sub-second ticks.
  const std::uint64_t fraction = filetime % kTicksPerSecond;
  const std::uint64_t seconds = filetime / kTicksPerSecond;
  const std::uint64_t day_seconds = seconds % kSecondsPerDay;
  const auto days = static_cast<std::int64_t>(seconds / kSecondsPerDay);
  const CivilDate date = civil_from_days(days + kDaysTo1601);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
                     date.year,
                     date.month,
                     date.day,
                     day_seconds / 3600,
                     day_seconds / 60 % 60,
                     day_seconds % 60,
                     fraction);
}

std::optional<std::uint64_t> iso8601_to_filetime(const std::string& text) {
  // Layout: YYYY-MM-DDTHH:MM:SS[.f{1,7}]Z (the fraction may also be a bare '.' with 0 digits).
  unsigned year = 0;
  unsigned month = 0;
  unsigned day = 0;
  unsigned hour = 0;
  unsigned minute = 0;
  unsigned second = 0;
  if (!read_digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
      !read_digits(text, 5, 2, month) || text[7] != '-' || !read_digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !read_digits(text, 11, 2, hour) || text[13] != ':' ||
      !read_digits(text, 14, 2, minute) || text[16] != ':' || !read_digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  // Optional fraction: up to seven digits (100 ns), right-padded to seven.
  std::size_t pos = 19;
  std::uint64_t fraction = 0;
  if (text[pos] == '.') {
    ++pos;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 7) {
        return std::nullopt;
      }
      fraction = fraction * 10 + static_cast<std::uint64_t>(text[pos] - '0');
      ++pos;
    }
    for (; digits < 7; ++digits) {
      fraction *= 10;  // scale "4" to 4000000 ticks
    }
  }
  if (pos + 1 != text.size() || (text[pos] != 'Z' && text[pos] != 'z')) {
    return std::nullopt;
  }
  // Reject what FILETIME cannot express and calendar impossibilities.
  if (year < 1601 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
      hour > 23 || minute > 59 || second > 59) {
    return std::nullopt;
  }
  const std::int64_t days = days_from_civil(year, month, day) - kDaysTo1601;
  const auto secs =
      static_cast<std::uint64_t>(days) * kSecondsPerDay + hour * 3600ULL + minute * 60ULL + second;
  return secs * kTicksPerSecond + fraction;
}

// Timesketch and JSON consumers want Unix microseconds; FILETIME has 10 ticks per microsecond.
std::int64_t filetime_to_unix_micros(std::uint64_t filetime) {
  // Floor division so that times before 1970 round towards the past, like Python's datetime.
  if (filetime >= kFiletimeUnixEpoch) {
    return static_cast<std::int64_t>((filetime - kFiletimeUnixEpoch) / 10);
  }
  const std::uint64_t before = kFiletimeUnixEpoch - filetime;
  return -static_cast<std::int64_t>((before + 9) / 10);
}

}  // namespace smssaudit
