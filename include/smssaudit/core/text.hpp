// Text helpers shared by every layer: case folding, UTF-16 decoding, Windows path normalisation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::text {

/// ASCII lower-casing (registry names and Windows paths are compared case-insensitively; non-ASCII
/// bytes are left as they are).
std::string to_lower(std::string_view s);

bool iequals(std::string_view a, std::string_view b) noexcept;

bool istarts_with(std::string_view s, std::string_view prefix) noexcept;

bool iends_with(std::string_view s, std::string_view suffix) noexcept;

bool icontains(std::string_view haystack, std::string_view needle) noexcept;

std::string trim(std::string_view s);

std::vector<std::string> split(std::string_view s, char sep);

std::string join(const std::vector<std::string>& parts, std::string_view sep);

/// UTF-16LE bytes to UTF-8. Stops at the first NUL code unit when `stop_at_nul`; an odd trailing
/// byte is ignored; unpaired surrogates become U+FFFD.
std::string utf16le_to_utf8(std::span<const std::uint8_t> bytes, bool stop_at_nul);

/// Splits REG_MULTI_SZ data (UTF-16LE strings each NUL-terminated, plus a final NUL) into UTF-8
/// strings. Empty strings inside the list are kept; the terminating empty string is dropped.
std::vector<std::string> utf16le_multi_to_utf8(std::span<const std::uint8_t> bytes);

/// True when the bytes look like UTF-16LE text (even length, mostly printable, NUL-terminated or
/// not): used for REG_BINARY values that hold strings.
bool looks_like_utf16le_text(std::span<const std::uint8_t> bytes) noexcept;

/// Lower-cased Windows path with '/' turned into '\', repeated '\' collapsed, a leading "\??\" or
/// "\\?\" removed and %SystemRoot%/%windir%/\SystemRoot expanded to "c:\windows" (an offline
/// hive cannot know the real drive; SOFTWARE's SystemRoot replaces it when known).
std::string normalize_windows_path(std::string_view path,
                                   std::string_view system_root = "c:\\windows");

/// Escapes control characters and non-printable bytes for display ("\x01"), leaving UTF-8 intact.
std::string printable(std::string_view s);

}  // namespace smssaudit::text
