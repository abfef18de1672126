// Substitution value encoding (formats.md §5) and the canonical text readers show for it.
#include "evtx_values.hpp"

#include "smssaudit/core/filetime.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <utility>

namespace smssaudit::devtools::evtx {

namespace {

constexpr std::size_t kMaxValueSize = 0xFFFF;  // u16 descriptor size

constexpr std::array<std::pair<std::string_view, FieldType>, 16> kTypeNames = {{
    {"String", FieldType::kString},
    {"UInt8", FieldType::kUInt8},
    {"UInt16", FieldType::kUInt16},
    {"UInt32", FieldType::kUInt32},
    {"UInt64", FieldType::kUInt64},
    {"Int32", FieldType::kInt32},
    {"Int64", FieldType::kInt64},
    {"Bool", FieldType::kBool},
    {"HexInt32", FieldType::kHexInt32},
    {"HexInt64", FieldType::kHexInt64},
    {"Pointer", FieldType::kPointer},
    {"Guid", FieldType::kGuid},
    {"FileTime", FieldType::kFiletime},
    {"Sid", FieldType::kSid},
    {"Binary", FieldType::kBinary},
    {"StringArray", FieldType::kStringArray},
}};

void put_le(std::vector<std::uint8_t>& out, std::uint64_t v, std::size_t size) {
  for (std::size_t k = 0; k < size; ++k)
    out.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
}

std::uint64_t require_uint(const std::string& text, std::uint64_t max) {
  const auto v = parse_uint(text);
  if (!v)
    throw ValueError(fmt::format("'{}' is not an unsigned number (decimal or 0x hex)", text));
  if (*v > max)
    throw ValueError(fmt::format("'{}' is larger than {}", text, max));
  return *v;
}

std::int64_t require_int(const std::string& text) {
  std::int64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || text.empty()) {
    const auto u = parse_uint(text);  // allow 0x forms for signed fields too
    if (!u || *u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      throw ValueError(fmt::format("'{}' is not an integer", text));
    return static_cast<std::int64_t>(*u);
  }
  return v;
}

EncodedValue integer_value(ValueType type, std::uint64_t v, std::size_t size, bool hex) {
  EncodedValue e;
  e.type = type;
  put_le(e.bytes, v, size);
  e.text.push_back(hex ? fmt::format("0x{:x}", v) : std::to_string(v));
  return e;
}

EncodedValue sid_value(const std::string& text) {
  // "S-1-<authority>-<sub>..." -> revision, count, 6-byte big-endian authority, u32 LE subs.
  const auto bad = [&] {
    return ValueError(fmt::format("'{}' is not a SID (S-1-...)", text));
  };
  if (text.size() < 4 || (text[0] != 'S' && text[0] != 's') || text[1] != '-')
    throw bad();
  std::vector<std::uint64_t> parts;
  std::size_t start = 2;
  while (start <= text.size()) {
    const std::size_t dash = std::min(text.find('-', start), text.size());
    const auto v = parse_uint(std::string_view(text).substr(start, dash - start));
    if (!v)
      throw bad();
    parts.push_back(*v);
    start = dash + 1;
  }
  if (parts.size() < 2 || parts.size() > 2 + 15 || parts[0] > 0xFF || parts[1] >= (1ULL << 48))
    throw bad();
  EncodedValue e;
  e.type = ValueType::kSid;
  e.bytes.push_back(static_cast<std::uint8_t>(parts[0]));
  e.bytes.push_back(static_cast<std::uint8_t>(parts.size() - 2));
  for (int k = 5; k >= 0; --k)
    e.bytes.push_back(static_cast<std::uint8_t>(parts[1] >> (8 * k)));
  std::string canonical = "S";
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k >= 2) {
      if (parts[k] > 0xFFFFFFFFULL)
        throw bad();
      put_le(e.bytes, parts[k], 4);
    }
    canonical += "-" + std::to_string(parts[k]);
  }
  e.text.push_back(canonical);
  return e;
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

EncodedValue binary_value(const std::string& text) {
  std::string digits;
  for (const char c : text) {
    if (c == ' ' || c == ':' || c == '-')
      continue;
    if (hex_digit(c) < 0)
      throw ValueError(fmt::format("'{}' is not hex bytes", text));
    digits += c;
  }
  if (digits.size() % 2 != 0)
    throw ValueError(fmt::format("'{}' has an odd number of hex digits", text));
  EncodedValue e;
  e.type = ValueType::kBinary;
  std::string canonical;
  for (std::size_t k = 0; k < digits.size(); k += 2) {
    e.bytes.push_back(
        static_cast<std::uint8_t>(hex_digit(digits[k]) * 16 + hex_digit(digits[k + 1])));
    canonical += fmt::format("{:02X}", e.bytes.back());
  }
  e.text.push_back(canonical);
  return e;
}

EncodedValue string_value(const std::string& text) {
  EncodedValue e;
  e.type = ValueType::kString;
  e.bytes = utf16le(text);
  e.text.push_back(text);
  return e;
}

EncodedValue guid_value(const std::string& text) {
  const auto bytes = parse_guid(text);
  if (!bytes)
    throw ValueError(fmt::format("'{}' is not a GUID", text));
  EncodedValue e;
  e.type = ValueType::kGuid;
  e.bytes = *bytes;
  e.text.push_back(guid_text(*bytes));
  return e;
}

EncodedValue filetime_value(const std::string& text) {
  auto ft = iso8601_to_filetime(text);
  if (!ft) {
    if (const auto raw = parse_uint(text))
      ft = raw;
  }
  if (!ft)
    throw ValueError(fmt::format("'{}' is not a time (2021-03-01T08:00:00.0000000Z)", text));
  EncodedValue e;
  e.type = ValueType::kFiletime;
  put_le(e.bytes, *ft, 8);
  e.text.push_back(filetime_to_iso8601(*ft));
  return e;
}

EncodedValue bool_value(const std::string& text) {
  std::uint64_t v = 0;
  if (text == "true" || text == "1") {
    v = 1;
  } else if (text != "false" && text != "0") {
    throw ValueError(fmt::format("'{}' is not a Bool (true/false)", text));
  }
  EncodedValue e = integer_value(ValueType::kBool, v, 4, false);
  e.text = {v == 1 ? "true" : "false"};
  return e;
}

EncodedValue encode_unchecked(FieldType type, const std::string& text) {
  switch (type) {
    case FieldType::kString:
      return string_value(text);
    case FieldType::kUInt8:
      return integer_value(ValueType::kUInt8, require_uint(text, 0xFF), 1, false);
    case FieldType::kUInt16:
      return integer_value(ValueType::kUInt16, require_uint(text, 0xFFFF), 2, false);
    case FieldType::kUInt32:
      return integer_value(ValueType::kUInt32, require_uint(text, 0xFFFFFFFF), 4, false);
    case FieldType::kUInt64:
      return integer_value(ValueType::kUInt64, require_uint(text, ~0ULL), 8, false);
    case FieldType::kInt32:
    case FieldType::kInt64: {
      const std::int64_t v = require_int(text);
      const bool wide = type == FieldType::kInt64;
      if (!wide && (v < std::numeric_limits<std::int32_t>::min() ||
                    v > std::numeric_limits<std::int32_t>::max()))
        throw ValueError(fmt::format("'{}' does not fit Int32", text));
      EncodedValue e = integer_value(wide ? ValueType::kInt64 : ValueType::kInt32,
                                     static_cast<std::uint64_t>(v),
                                     wide ? 8 : 4,
                                     false);
      e.text = {std::to_string(v)};
      return e;
    }
    case FieldType::kBool:
      return bool_value(text);
    case FieldType::kHexInt32:
      return integer_value(ValueType::kHexInt32, require_uint(text, 0xFFFFFFFF), 4, true);
    case FieldType::kHexInt64:
    case FieldType::kPointer:
      return integer_value(ValueType::kHexInt64, require_uint(text, ~0ULL), 8, true);
    case FieldType::kGuid:
      return guid_value(text);
    case FieldType::kFiletime:
      return filetime_value(text);
    case FieldType::kSid:
      return sid_value(text);
    case FieldType::kBinary:
      return binary_value(text);
    case FieldType::kStringArray:
      return encode_string_array({text});
  }
  throw ValueError("unknown field type");
}

}  // namespace

std::optional<FieldType> parse_field_type(std::string_view name) {
  for (const auto& [spelling, type] : kTypeNames) {
    if (spelling == name)
      return type;
  }
  return std::nullopt;
}

std::string_view field_type_name(FieldType type) {
  for (const auto& [spelling, t] : kTypeNames) {
    if (t == type)
      return spelling;
  }
  return "?";
}

ValueType declared_type(FieldType type) {
  switch (type) {
    case FieldType::kPointer:
      return ValueType::kSizeT;
    case FieldType::kString:
      return ValueType::kString;
    case FieldType::kUInt8:
      return ValueType::kUInt8;
    case FieldType::kUInt16:
      return ValueType::kUInt16;
    case FieldType::kUInt32:
      return ValueType::kUInt32;
    case FieldType::kUInt64:
      return ValueType::kUInt64;
    case FieldType::kInt32:
      return ValueType::kInt32;
    case FieldType::kInt64:
      return ValueType::kInt64;
    case FieldType::kBool:
      return ValueType::kBool;
    case FieldType::kHexInt32:
      return ValueType::kHexInt32;
    case FieldType::kHexInt64:
      return ValueType::kHexInt64;
    case FieldType::kGuid:
      return ValueType::kGuid;
    case FieldType::kFiletime:
      return ValueType::kFiletime;
    case FieldType::kSid:
      return ValueType::kSid;
    case FieldType::kBinary:
      return ValueType::kBinary;
    case FieldType::kStringArray:
      return ValueType::kStringArray;
  }
  return ValueType::kNull;
}

EncodedValue encode_value(FieldType type, const std::string& text) {
  EncodedValue e = encode_unchecked(type, text);
  if (e.bytes.size() > kMaxValueSize) {
    throw ValueError(fmt::format("value of {} bytes is larger than 65535 (the u16 descriptor size)",
                                 e.bytes.size()));
  }
  return e;
}

EncodedValue encode_string_array(const std::vector<std::string>& items) {
  EncodedValue e;
  e.type = ValueType::kStringArray;
  for (const auto& item : items) {
    const auto units = utf16le(item);
    e.bytes.insert(e.bytes.end(), units.begin(), units.end());
    e.bytes.push_back(0);
    e.bytes.push_back(0);
    e.text.push_back(item);
  }
  if (e.bytes.size() > kMaxValueSize) {
    throw ValueError(fmt::format("value of {} bytes is larger than 65535 (the u16 descriptor size)",
                                 e.bytes.size()));
  }
  return e;
}

EncodedValue null_value() {
  return EncodedValue{};
}

std::vector<std::uint8_t> utf16le(std::string_view utf8) {
  std::vector<std::uint8_t> out;
  out.reserve(utf8.size() * 2);
  const auto push = [&](std::uint32_t unit) {
    out.push_back(static_cast<std::uint8_t>(unit & 0xFF));
    out.push_back(static_cast<std::uint8_t>(unit >> 8));
  };
  std::size_t k = 0;
  while (k < utf8.size()) {
    const auto lead = static_cast<std::uint8_t>(utf8[k]);
    std::size_t extra = 0;
    std::uint32_t cp = lead;
    if (lead >= 0xF0 && lead < 0xF8) {
      extra = 3;
      cp = lead & 0x07U;
    } else if (lead >= 0xE0) {
      extra = 2;
      cp = lead & 0x0FU;
    } else if (lead >= 0xC0) {
      extra = 1;
      cp = lead & 0x1FU;
    } else if (lead >= 0x80) {
      throw ValueError("text is not valid UTF-8");
    }
    if (extra > 0 && k + extra >= utf8.size())
      throw ValueError("text is not valid UTF-8 (truncated sequence)");
    for (std::size_t j = 1; j <= extra; ++j) {
      const auto cont = static_cast<std::uint8_t>(utf8[k + j]);
      if ((cont & 0xC0U) != 0x80U)
        throw ValueError("text is not valid UTF-8");
      cp = (cp << 6U) | (cont & 0x3FU);
    }
    k += extra + 1;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      push(0xD800 + (cp >> 10U));
      push(0xDC00 + (cp & 0x3FFU));
    } else {
      push(cp);
    }
  }
  return out;
}

std::size_t utf16_length(std::string_view utf8) {
  return utf16le(utf8).size() / 2;
}

std::optional<std::uint64_t> parse_uint(std::string_view text) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty())
    return std::nullopt;
  std::uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, v, base);
  if (ec != std::errc() || ptr != end)
    return std::nullopt;
  return v;
}

std::optional<std::vector<std::uint8_t>> parse_guid(std::string_view text) {
  if (text.size() == 38 && text.front() == '{' && text.back() == '}')
    text = text.substr(1, 36);
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
    return std::nullopt;
  std::string digits;
  for (const char c : text) {
    if (c == '-')
      continue;
    if (hex_digit(c) < 0)
      return std::nullopt;
    digits += c;
  }
  std::array<std::uint8_t, 16> raw{};  // in text order
  for (std::size_t k = 0; k < 16; ++k)
    raw.at(k) =
        static_cast<std::uint8_t>(hex_digit(digits[2 * k]) * 16 + hex_digit(digits[2 * k + 1]));
  // Data1 (u32), Data2 and Data3 (u16) are little-endian on disk; Data4 is stored as written.
  return std::vector<std::uint8_t>{raw[3],
                                   raw[2],
                                   raw[1],
                                   raw[0],
                                   raw[5],
                                   raw[4],
                                   raw[7],
                                   raw[6],
                                   raw[8],
                                   raw[9],
                                   raw[10],
                                   raw[11],
                                   raw[12],
                                   raw[13],
                                   raw[14],
                                   raw[15]};
}

std::string guid_text(const std::vector<std::uint8_t>& b) {
  if (b.size() != 16)
    return {};
  return fmt::format(
      "{{{:02X}{:02X}{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-{:02X}{:02X}-"
      "{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
      b[3],
      b[2],
      b[1],
      b[0],
      b[5],
      b[4],
      b[7],
      b[6],
      b[8],
      b[9],
      b[10],
      b[11],
      b[12],
      b[13],
      b[14],
      b[15]);
}

}  // namespace smssaudit::devtools::evtx
