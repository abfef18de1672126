// Text helpers: ASCII case folding, UTF-16LE decoding, REG_MULTI_SZ splitting, path normalisation.
#include "smssaudit/core/text.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace smssaudit::text {
namespace {

// Registry names compare case-insensitively; ASCII folding covers every name smss reads. Bytes
// above 0x7F (UTF-8 continuation bytes) are never touched, so folding cannot corrupt UTF-8.
char lower_ascii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// The six ASCII whitespace characters of the "C" locale.
bool is_space(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Standard UTF-8 encoding of one code point (1-4 bytes).
void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// U+FFFD REPLACEMENT CHARACTER, for code units that cannot be decoded.
constexpr std::uint32_t kReplacement = 0xFFFD;

// Little-endian UTF-16 code unit i; the caller guarantees 2*i+1 is in range.
std::uint16_t unit_at(std::span<const std::uint8_t> bytes, std::size_t i) noexcept {
  return static_cast<std::uint16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
}

// Length in bytes of a valid UTF-8 sequence starting at s[i], or 0 when it is not valid.
// Only well-formed sequences count (no overlongs via C0/C1, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
  } else {
    return 0;
  }
  if (i + len > s.size()) {
    return 0;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) {
      return 0;
    }
  }
  return len;
}

void replace_all_icase(std::string& s, std::string_view needle, std::string_view with) {
  // `s` is already lower-case here, so a lower-case needle is a case-insensitive match.
  std::size_t pos = 0;
  while ((pos = s.find(needle, pos)) != std::string::npos) {
    s.replace(pos, needle.size(), with);
    pos += with.size();
  }
}

}  // namespace

// Case helpers: ASCII only, see lower_ascii.
std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), lower_ascii);
  return out;
}

// Equal length first: cheap rejection for most registry-name comparisons.
bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return lower_ascii(x) == lower_ascii(y);
         });
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

bool iends_with(std::string_view s, std::string_view suffix) noexcept {
  return s.size() >= suffix.size() && iequals(s.substr(s.size() - suffix.size()), suffix);
}

bool icontains(std::string_view haystack, std::string_view needle) noexcept {
  if (needle.empty()) {
    return true;
  }
  const auto it = std::search(
      haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char x, char y) {
        return lower_ascii(x) == lower_ascii(y);
      });
  return it != haystack.end();
}

// Whitespace as std::isspace defines it in the "C" locale, without its UB on negative chars.
std::string trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && is_space(s[b])) {
    ++b;
  }
  while (e > b && is_space(s[e - 1])) {
    --e;
  }
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> split(std::string_view s, char sep) {
  // Every separator splits, so "a,,b" gives three parts and "" gives one empty part.
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      parts.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

// Inverse of split for a single-character separator.
std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i != 0) {
      out.append(sep);
    }
    out.append(parts[i]);
  }
  return out;
}

// Registry strings are UTF-16LE (REGF vk data). Hostile data must decode without failing, so
// invalid sequences become U+FFFD instead of an error.
std::string utf16le_to_utf8(std::span<const std::uint8_t> bytes, bool stop_at_nul) {
  std::string out;
  const std::size_t units = bytes.size() / 2;  // an odd trailing byte is ignored
  out.reserve(units);
  for (std::size_t i = 0; i < units; ++i) {
    const std::uint16_t u = unit_at(bytes, i);
    if (u == 0 && stop_at_nul) {
      break;
    }
    if (u >= 0xD800 && u <= 0xDBFF) {
      // High surrogate: valid only when a low surrogate follows.
      if (i + 1 < units) {
        const std::uint16_t lo = unit_at(bytes, i + 1);
        if (lo >= 0xDC00 && lo <= 0xDFFF) {
          append_utf8(out,
                      0x10000U + ((static_cast<std::uint32_t>(u) - 0xD800U) << 10) +
                          (static_cast<std::uint32_t>(lo) - 0xDC00U));
          ++i;
          continue;
        }
      }
      append_utf8(out, kReplacement);
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      append_utf8(out, kReplacement);  // unpaired low surrogate
    } else {
      append_utf8(out, u);
    }
  }
  return out;
}

// Each element is decoded separately so an invalid sequence cannot swallow a separator.
std::vector<std::string> utf16le_multi_to_utf8(std::span<const std::uint8_t> bytes) {
  // REG_MULTI_SZ: "a\0b\0\0". Split at every NUL code unit, then drop the empty elements at the
  // end: one is the list terminator and a lone "\0" (an empty list stored inline) gives none.
  std::vector<std::string> out;
  const std::size_t units = bytes.size() / 2;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= units; ++i) {
    if (i == units || unit_at(bytes, i) == 0) {
      out.push_back(utf16le_to_utf8(bytes.subspan(2 * start, 2 * (i - start)), false));
      start = i + 1;
    }
  }
  while (!out.empty() && out.back().empty()) {
    out.pop_back();
  }
  return out;
}

// Heuristic for REG_BINARY values: text must be even-sized, at least two characters, mostly
// printable ASCII/Latin-1, and use NULs only as separators.
bool looks_like_utf16le_text(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < 4 || bytes.size() % 2 != 0) {
    return false;
  }
  std::size_t units = bytes.size() / 2;
  while (units > 0 && unit_at(bytes, units - 1) == 0) {
    --units;  // terminators do not count either way
  }
  // Require ASCII-range text: random binary data decodes to "printable" CJK code points far too
  // often, so a non-zero high byte counts against the data. BootExecute-style values are ASCII.
  std::size_t printable = 0;
  std::size_t nuls = 0;
  for (std::size_t i = 0; i < units; ++i) {
    const std::uint16_t u = unit_at(bytes, i);
    if (u == 0) {
      ++nuls;
    } else if ((u >= 0x20 && u < 0x7F) || u == '\t' || u == '\r' || u == '\n' ||
               (u >= 0xA0 && u <= 0xFF)) {
      ++printable;
    }
  }
  const std::size_t non_nul = units - nuls;
  return non_nul >= 2 && nuls <= non_nul / 4 && printable * 10 >= non_nul * 9;
}

// Makes paths from different sources comparable: smss paths (\??\C:\...), Win32 paths and
// REG_EXPAND_SZ data all meet in one lower-case c:\windows\... form.
std::string normalize_windows_path(std::string_view path, std::string_view system_root) {
  std::string s = to_lower(path);
  std::replace(s.begin(), s.end(), '/', '\\');
  // NT object-manager prefixes: "\??\C:\x" (rename queue, DOS Devices) and "\\?\C:\x" (Win32).
  if (s.starts_with("\\??\\") || s.starts_with("\\\\?\\")) {
    s.erase(0, 4);
  }
  // The replacement root gets the same folding, so the result is uniformly lower-case.
  std::string root = to_lower(system_root);
  std::replace(root.begin(), root.end(), '/', '\\');
  replace_all_icase(s, "%systemroot%", root);
  replace_all_icase(s, "%windir%", root);
  // "\SystemRoot" is the kernel's symbolic link, used by smss-era paths (SubSystems, drivers).
  if (s == "\\systemroot" || s.starts_with("\\systemroot\\")) {
    s.replace(0, 11, root);
  }
  std::string out;
  out.reserve(s.size());
  // Collapse runs of separators: "c:\windows\\x" and "c:\windows\x" name the same file.
  for (char c : s) {
    if (c == '\\' && !out.empty() && out.back() == '\\') {
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// Hostile value data can hold terminal escapes; reports must show them, not execute them.
std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c >= 0x80) {
      const std::size_t len = utf8_sequence_length(s, i);
      if (len != 0) {
        out.append(s.substr(i, len));  // valid UTF-8 stays readable
        i += len;
        continue;
      }
    }
    out.append(fmt::format("\\x{:02x}", static_cast<unsigned>(c)));
    ++i;
  }
  return out;
}

}  // namespace smssaudit::text
