// Formatting helpers shared by the JSON and text reporters (private to src/report). Everything here
// renders stored data; nothing judges it (style.md 2.5: reporters never analyse).
#pragma once

#include "smssaudit/facts/registry.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::report::detail {

/// Lower-case hex of raw bytes, no separators ("0a1b"). The reader already capped `raw`.
std::string to_hex(std::span<const std::uint8_t> bytes);

/// "0x%08x": checksums are compared by eye against hex editors, which show them this way.
std::string hex32(std::uint32_t value);

/// FILETIME to ISO-8601 UTC, or nullopt when the time is unknown (0).
std::optional<std::string> iso_time(std::uint64_t filetime);

/// Unix seconds (SOFTWARE InstallDate) to ISO-8601 UTC via the FILETIME formatter, so every
/// timestamp in a report has the same shape.
std::string unix_seconds_to_iso(std::uint32_t seconds);

/// Report label of a Session Manager surface path ("" when the path is not in the table).
std::string_view surface_label(std::string_view path);

/// The rename queue of one control set: PendingFileRenameOperations then ...2 of the
/// "Control\Session Manager" key, each in stored pair order. Empty when the key or values are
/// missing. This is decoding of stored MULTI_SZ pairs, not analysis.
std::vector<facts::PendingRename> pending_renames(const facts::ControlSet& control_set);

/// Decimal with thousands separators ("11,771,904"), independent of the stream's locale.
std::string group_thousands(std::uint64_t value);

/// Cuts `text` to at most `max_chars` code points and appends "…" when it was longer. Cuts only on
/// UTF-8 sequence boundaries so a truncated value never ends in a broken character.
std::string truncate_display(std::string_view text, std::size_t max_chars);

/// The first `head` and last `tail` characters of a hash with "…" between ("3f2a…9c1e").
std::string abbreviate_hash(std::string_view hash, std::size_t head, std::size_t tail);

}  // namespace smssaudit::report::detail
