// Byte-level encodings for the hive writer: UTF-16LE strings, multi-strings, hashes, hex.
#include "hive_encoding.hpp"

#include <stdexcept>

namespace smssaudit::devtools {

namespace {

void push_unit(std::vector<std::uint8_t>& out, std::uint32_t unit) {
  out.push_back(static_cast<std::uint8_t>(unit & 0xFFU));
  out.push_back(static_cast<std::uint8_t>((unit >> 8U) & 0xFFU));
}

// Decodes one UTF-8 sequence at `i` (advancing it); throws on malformed input so that a typo in a
// spec never silently becomes U+FFFD in a fixture.
std::uint32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto lead = static_cast<std::uint8_t>(s[i]);
  std::size_t extra = 0;
  std::uint32_t cp = 0;
  if (lead < 0x80U) {
    cp = lead;
  } else if ((lead & 0xE0U) == 0xC0U) {
    extra = 1;
    cp = lead & 0x1FU;
  } else if ((lead & 0xF0U) == 0xE0U) {
    extra = 2;
    cp = lead & 0x0FU;
  } else if ((lead & 0xF8U) == 0xF0U) {
    extra = 3;
    cp = lead & 0x07U;
  } else {
    throw std::invalid_argument("invalid UTF-8 lead byte");
  }
  if (extra > 0 && i + extra >= s.size()) {
    throw std::invalid_argument("truncated UTF-8 sequence");
  }
  for (std::size_t k = 1; k <= extra; ++k) {
    const auto cont = static_cast<std::uint8_t>(s[i + k]);
    if ((cont & 0xC0U) != 0x80U) {
      throw std::invalid_argument("invalid UTF-8 continuation byte");
    }
    cp = (cp << 6U) | (cont & 0x3FU);
  }
  i += extra + 1;
  return cp;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

}  // namespace

std::vector<std::uint8_t> utf16le(std::string_view utf8) {
  std::vector<std::uint8_t> out;
  out.reserve(utf8.size() * 2);
  for (std::size_t i = 0; i < utf8.size();) {
    const std::uint32_t cp = next_code_point(utf8, i);
    if (cp >= 0x10000U) {
      const std::uint32_t v = cp - 0x10000U;
      push_unit(out, 0xD800U + (v >> 10U));
      push_unit(out, 0xDC00U + (v & 0x3FFU));
    } else {
      push_unit(out, cp);
    }
  }
  return out;
}

std::vector<std::uint8_t> reg_sz_bytes(std::string_view utf8) {
  std::vector<std::uint8_t> out = utf16le(utf8);
  push_unit(out, 0);
  return out;
}

std::vector<std::uint8_t> reg_multi_sz_bytes(const std::vector<std::string>& strings) {
  std::vector<std::uint8_t> out;
  for (const auto& s : strings) {
    const auto part = reg_sz_bytes(s);
    out.insert(out.end(), part.begin(), part.end());
  }
  push_unit(out, 0);
  return out;
}

std::string utf16le_to_utf8(std::span<const std::uint8_t> bytes) {
  std::string out;
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
    std::uint32_t cp = bytes[i] | (static_cast<std::uint32_t>(bytes[i + 1]) << 8U);
    if (cp == 0)
      break;
    if (cp >= 0xD800U && cp < 0xDC00U && i + 3 < bytes.size()) {
      const std::uint32_t lo = bytes[i + 2] | (static_cast<std::uint32_t>(bytes[i + 3]) << 8U);
      if (lo >= 0xDC00U && lo < 0xE000U) {
        cp = 0x10000U + ((cp - 0xD800U) << 10U) + (lo - 0xDC00U);
        i += 2;
      } else {
        cp = 0xFFFDU;
      }
    } else if (cp >= 0xD800U && cp < 0xE000U) {
      cp = 0xFFFDU;
    }
    if (cp < 0x80U) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800U) {
      out.push_back(static_cast<char>(0xC0U | (cp >> 6U)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else if (cp < 0x10000U) {
      out.push_back(static_cast<char>(0xE0U | (cp >> 12U)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else {
      out.push_back(static_cast<char>(0xF0U | (cp >> 18U)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU)));
      out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
      out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    }
  }
  return out;
}

std::vector<std::uint8_t> le32_bytes(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v),
          static_cast<std::uint8_t>(v >> 8U),
          static_cast<std::uint8_t>(v >> 16U),
          static_cast<std::uint8_t>(v >> 24U)};
}

std::vector<std::uint8_t> be32_bytes(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24U),
          static_cast<std::uint8_t>(v >> 16U),
          static_cast<std::uint8_t>(v >> 8U),
          static_cast<std::uint8_t>(v)};
}

std::vector<std::uint8_t> le64_bytes(std::uint64_t v) {
  std::vector<std::uint8_t> out;
  for (unsigned k = 0; k < 8; ++k) {
    out.push_back(static_cast<std::uint8_t>(v >> (8U * k)));
  }
  return out;
}

std::string upcase_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z')
      c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::uint32_t lh_hash(std::string_view name) {
  std::uint32_t h = 0;
  for (const char c : upcase_ascii(name)) {
    h = 37U * h + static_cast<std::uint8_t>(c);
  }
  return h;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4U]);
    out.push_back(kDigits[b & 0xFU]);
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> parse_hex(std::string_view text) {
  std::vector<std::uint8_t> out;
  int high = -1;
  for (const char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' || c == ',') {
      if (high >= 0)
        return std::nullopt;  // a separator inside a byte pair
      continue;
    }
    const int d = hex_digit(c);
    if (d < 0)
      return std::nullopt;
    if (high < 0) {
      high = d;
    } else {
      out.push_back(static_cast<std::uint8_t>(high * 16 + d));
      high = -1;
    }
  }
  if (high >= 0)
    return std::nullopt;
  return out;
}

}  // namespace smssaudit::devtools
