// Substitution values for the EVTX writer: field types, text -> BinXML value bytes, and the
// canonical text both readers are expected to show for a value (formats.md §5).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::devtools::evtx {

/// BinXML value types (formats.md §5): the byte written in value descriptors and substitutions.
enum class ValueType : std::uint8_t {
  kNull = 0x00,
  kString = 0x01,
  kInt8 = 0x03,
  kUInt8 = 0x04,
  kInt16 = 0x05,
  kUInt16 = 0x06,
  kInt32 = 0x07,
  kUInt32 = 0x08,
  kInt64 = 0x09,
  kUInt64 = 0x0A,
  kBool = 0x0D,
  kBinary = 0x0E,
  kGuid = 0x0F,
  kSizeT = 0x10,
  kFiletime = 0x11,
  kSid = 0x13,
  kHexInt32 = 0x14,
  kHexInt64 = 0x15,
  kBinXml = 0x21,
  kStringArray = 0x81,
};

/// A field type as a spec names it. Most map 1:1 to a ValueType; `kPointer` is what Windows
/// writes for process ids in Security events: declared SizeT in the template, sent as HexInt64.
enum class FieldType : std::uint8_t {
  kString,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
  kInt32,
  kInt64,
  kBool,
  kHexInt32,
  kHexInt64,
  kPointer,
  kGuid,
  kFiletime,
  kSid,
  kBinary,
  kStringArray,
};

/// A value that cannot be encoded ("S-1-x" as a SID, 70000 bytes of text...).
class ValueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One encoded substitution value plus the text a reader shows for it.
struct EncodedValue {
  ValueType type = ValueType::kNull;  ///< descriptor type (kNull for a Null value)
  std::vector<std::uint8_t> bytes;    ///< value data, exactly the descriptor size
  /// Canonical reader text: one entry per leaf (a string array gives one per string; a Null
  /// value gives none). See fixtures/evtx/README.md "Normalised dump".
  std::vector<std::string> text;
};

/// Spec spelling of a type ("String", "HexInt64", "Pointer"...); nullopt when unknown.
std::optional<FieldType> parse_field_type(std::string_view name);

std::string_view field_type_name(FieldType type);

/// The type the template declares for a field (kSizeT for kPointer, otherwise the value type).
ValueType declared_type(FieldType type);

/// Encodes `text` (spec spelling: "0x118" or "280" for numbers, "S-1-5-18", "{GUID}",
/// "2021-03-01T08:00:00.0000000Z", hex bytes for Binary). Throws ValueError. The result is at
/// most 65,535 bytes (the u16 descriptor size), else ValueError.
EncodedValue encode_value(FieldType type, const std::string& text);

/// Encodes a string array (type kStringArray): NUL-terminated UTF-16LE strings back to back.
EncodedValue encode_string_array(const std::vector<std::string>& items);

/// A Null value (descriptor type 0, size 0): the field exists but has no value.
EncodedValue null_value();

/// UTF-8 to UTF-16LE code units as bytes (no terminator). Throws ValueError on bad UTF-8.
std::vector<std::uint8_t> utf16le(std::string_view utf8);

/// Number of UTF-16 code units of a UTF-8 string.
std::size_t utf16_length(std::string_view utf8);

/// Parses an unsigned integer in decimal or "0x" hex. nullopt when malformed.
std::optional<std::uint64_t> parse_uint(std::string_view text);

/// "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" (braces optional) to the 16 on-disk bytes.
std::optional<std::vector<std::uint8_t>> parse_guid(std::string_view text);

/// The canonical upper-case braced form of 16 GUID bytes.
std::string guid_text(const std::vector<std::uint8_t>& bytes);

}  // namespace smssaudit::devtools::evtx
