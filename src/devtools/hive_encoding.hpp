// Byte-level encodings shared by the hive writer, its spec loader and its listings (devtools only).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::devtools {

/// UTF-8 to UTF-16LE code units, without a terminator. Throws std::invalid_argument on bad UTF-8.
std::vector<std::uint8_t> utf16le(std::string_view utf8);

/// REG_SZ / REG_EXPAND_SZ data: UTF-16LE plus one NUL (formats.md §10 "Data encodings").
std::vector<std::uint8_t> reg_sz_bytes(std::string_view utf8);

/// REG_MULTI_SZ data: every string NUL-terminated plus one extra NUL. An empty list is a lone NUL
/// (2 bytes), as Windows stores an empty SetupExecute.
std::vector<std::uint8_t> reg_multi_sz_bytes(const std::vector<std::string>& strings);

/// UTF-16LE to UTF-8, stopping at the first NUL code unit; an odd trailing byte is ignored.
std::string utf16le_to_utf8(std::span<const std::uint8_t> bytes);

std::vector<std::uint8_t> le32_bytes(std::uint32_t v);

std::vector<std::uint8_t> be32_bytes(std::uint32_t v);

std::vector<std::uint8_t> le64_bytes(std::uint64_t v);

/// ASCII upper-casing, the order and hash basis of subkey lists for ASCII names.
std::string upcase_ascii(std::string_view s);

/// `lh` element hash: h = 37*h + upcase(c) over the name (formats.md §10 "Subkey lists").
std::uint32_t lh_hash(std::string_view name);

/// Lower-case hex, no separators.
std::string to_hex(std::span<const std::uint8_t> bytes);

/// Hex digits to bytes; whitespace, ':' and ',' between byte pairs are ignored. nullopt on an odd
/// digit count or a non-hex character.
std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view text);

}  // namespace smssaudit::devtools
