// Formatting helpers shared by the JSON and text reporters.
#include "report/report_format.hpp"

#include "smssaudit/core/filetime.hpp"
#include "smssaudit/facts/surface.hpp"

#include <fmt/format.h>

#include <array>

namespace smssaudit::report::detail {

namespace {

constexpr std::uint64_t kTicksPerSecond = 10'000'000ULL;

// Value names of the rename queue (registry.md 1.3), listed in this order in reports.
constexpr std::array<std::string_view, 2> kRenameValues = {"PendingFileRenameOperations",
                                                           "PendingFileRenameOperations2"};

bool is_utf8_continuation(char c) noexcept {
  return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U;
}

}  // namespace

// Hand-rolled rather than fmt per byte: raw values can be several KiB and this runs per value.
std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4U]);
    out.push_back(kDigits[b & 0x0FU]);
  }
  return out;
}

std::string hex32(std::uint32_t value) {
  return fmt::format("0x{:08x}", value);
}

std::optional<std::string> iso_time(std::uint64_t filetime) {
  if (filetime == 0) {
    return std::nullopt;
  }
  return filetime_to_iso8601(filetime);
}

std::string unix_seconds_to_iso(std::uint32_t seconds) {
  return filetime_to_iso8601(kFiletimeUnixEpoch +
                             static_cast<std::uint64_t>(seconds) * kTicksPerSecond);
}

std::string_view surface_label(std::string_view path) {
  for (const facts::SurfaceKey& key : facts::session_manager_surface()) {
    if (key.path == path) {
      return key.label;
    }
  }
  return {};
}

std::vector<facts::PendingRename> pending_renames(const facts::ControlSet& control_set) {
  std::vector<facts::PendingRename> out;
  const facts::RegKey* key = control_set.key(facts::kSessionManager);
  if (key == nullptr) {
    return out;
  }
  // Both values are read (registry.md 1.3 lists both); within each, the stored pair order is the
  // order MoveFileEx queued them in, so it is kept.
  for (const std::string_view name : kRenameValues) {
    const facts::RegValue* value = key->find(name);
    if (value == nullptr || value->strings.empty()) {
      continue;
    }
    std::vector<facts::PendingRename> ops =
        facts::parse_pending_renames(value->name, value->strings);
    out.insert(out.end(), ops.begin(), ops.end());
  }
  return out;
}

std::string group_thousands(std::uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  out.reserve(digits.size() + digits.size() / 3);
  // Digits before the first separator: 1-3, and the rest come in groups of three.
  const std::size_t lead = digits.size() % 3;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (i % 3) == lead) {
      out.push_back(',');
    }
    out.push_back(digits[i]);
  }
  return out;
}

std::string truncate_display(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_utf8_continuation(text[i])) {
      continue;
    }
    if (chars == max_chars) {
      // `i` starts a code point, so the cut keeps every earlier character whole.
      return std::string(text.substr(0, i)) + "…";
    }
    ++chars;
  }
  return std::string(text);
}

std::string abbreviate_hash(std::string_view hash, std::size_t head, std::size_t tail) {
  if (hash.size() <= head + tail + 1) {
    return std::string(hash);
  }
  return fmt::format("{}…{}", hash.substr(0, head), hash.substr(hash.size() - tail));
}

}  // namespace smssaudit::report::detail
