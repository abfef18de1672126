// Windows FILETIME (100-ns ticks since 1601-01-01 UTC) helpers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace smssaudit {

/// Ticks between 1601-01-01 and 1970-01-01.
inline constexpr std::uint64_t kFiletimeUnixEpoch = 116444736000000000ULL;

/// ISO-8601 UTC at full FILETIME precision: "2020-06-09T18:12:25.4809506Z". Zero gives "".
std::string filetime_to_iso8601(std::uint64_t filetime);

/// Parses the format above (fraction of 0-7 digits optional, trailing Z required).
std::optional<std::uint64_t> iso8601_to_filetime(const std::string& text);

/// Microseconds since the Unix epoch (Timesketch `timestamp`); negative before 1970.
std::int64_t filetime_to_unix_micros(std::uint64_t filetime);

}  // namespace smssaudit
