// Registry value decoding: strings, multi-strings, numbers and text hidden in REG_BINARY.
#include "readers/value_decoder.hpp"

#include "smssaudit/core/text.hpp"

#include <algorithm>

namespace smssaudit::readers {
namespace {

using facts::RegType;

// REG_DWORD / REG_QWORD are little-endian; REG_DWORD_BIG_ENDIAN is the one exception.
std::uint64_t read_le(std::span<const std::uint8_t> b) {
  std::uint64_t v = 0;
  for (std::size_t i = b.size(); i > 0; --i) {
    v = (v << 8) | b[i - 1];
  }
  return v;
}

std::uint64_t read_be(std::span<const std::uint8_t> b) {
  std::uint64_t v = 0;
  for (std::uint8_t byte : b) {
    v = (v << 8) | byte;
  }
  return v;
}

// Numbers must have exactly their type's width: a 3-byte "DWORD" is a tampering or corruption
// signal, and guessing a value from it would hide that.
void decode_number(facts::RegValue& v,
                   std::span<const std::uint8_t> data,
                   std::size_t width,
                   bool big_endian) {
  if (data.size() != width || v.truncated) {
    v.error = facts::reg_type_name(v.type) + " data is " + std::to_string(data.size()) +
              " bytes, expected " + std::to_string(width);
    return;
  }
  v.number = big_endian ? read_be(data) : read_le(data);
}

}  // namespace

facts::RegValue decode_value(std::string name,
                             std::uint32_t type,
                             std::span<const std::uint8_t> data,
                             std::size_t stored_size) {
  facts::RegValue v;
  v.name = std::move(name);
  v.type = type;
  // Keep at most kMaxValueData bytes; `truncated` records that the hive held more.
  const std::size_t kept = std::min(data.size(), kMaxValueData);
  v.raw.assign(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(kept));
  v.truncated = stored_size > kept;
  const std::span<const std::uint8_t> bytes(v.raw);

  switch (static_cast<RegType>(type)) {
    case RegType::kSz:
    case RegType::kExpandSz:
    case RegType::kLink:
      // REG_SZ includes its NUL (formats.md 10); anything after the first NUL is slack.
      v.strings.push_back(text::utf16le_to_utf8(bytes, true));
      break;
    case RegType::kMultiSz:
      v.strings = text::utf16le_multi_to_utf8(bytes);
      break;
    case RegType::kBinary:
      // winreg-kb documents BootExecute as REG_BINARY on some systems: recover the text.
      if (text::looks_like_utf16le_text(bytes)) {
        v.strings = text::utf16le_multi_to_utf8(bytes);
        v.binary_as_text = true;
      }
      break;
    case RegType::kDword:
      decode_number(v, bytes, 4, false);
      break;
    case RegType::kDwordBigEndian:
      decode_number(v, bytes, 4, true);
      break;
    case RegType::kQword:
      decode_number(v, bytes, 8, false);
      break;
    default:
      break;  // NONE, resource lists, unknown types: raw bytes only
  }
  return v;
}

}  // namespace smssaudit::readers
