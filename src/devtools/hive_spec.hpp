// In-memory model of a registry hive to be written by the fixture writer (devtools only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smssaudit::devtools {

/// Registry value types (formats.md §10, "vk: Type values").
inline constexpr std::uint32_t kRegNone = 0;
inline constexpr std::uint32_t kRegSz = 1;
inline constexpr std::uint32_t kRegExpandSz = 2;
inline constexpr std::uint32_t kRegBinary = 3;
inline constexpr std::uint32_t kRegDword = 4;
inline constexpr std::uint32_t kRegDwordBigEndian = 5;
inline constexpr std::uint32_t kRegLink = 6;
inline constexpr std::uint32_t kRegMultiSz = 7;
inline constexpr std::uint32_t kRegResourceList = 8;
inline constexpr std::uint32_t kRegFullResourceDescriptor = 9;
inline constexpr std::uint32_t kRegResourceRequirementsList = 10;
inline constexpr std::uint32_t kRegQword = 11;

/// "REG_SZ" for 1; "0x1234" for a type without a name.
std::string reg_type_name(std::uint32_t type);

/// Inverse of reg_type_name for the named types (exact, upper-case spelling).
std::optional<std::uint32_t> reg_type_from_name(std::string_view name);

/// One value: the data is stored byte for byte (encoding happens when the spec is loaded), so a
/// fixture can hold malformed data on purpose.
struct ValueSpec {
  std::string name;  ///< ASCII; "" is the key's default value
  std::uint32_t type = kRegNone;
  std::vector<std::uint8_t> data;
};

/// One key and its subtree. Order of `values` and `subkeys` does not matter: the writer sorts
/// lists the way Windows does (formats.md §10 "Sorting").
struct KeySpec {
  std::string name;                           ///< ASCII, no '\'; stored with KEY_COMP_NAME
  std::optional<std::uint64_t> last_written;  ///< FILETIME; unset = HiveSpec::last_written
  std::optional<std::string> class_name;      ///< ASCII; stored UTF-16LE in its own cell
  std::vector<ValueSpec> values;
  std::vector<KeySpec> subkeys;

  /// A key with only a name (everything else empty or inherited).
  static KeySpec named(std::string key_name) {
    KeySpec k;
    k.name = std::move(key_name);
    return k;
  }

  /// Case-insensitive (ASCII) lookups, as Windows resolves names; nullptr when absent.
  KeySpec* find_subkey(std::string_view child_name);
  const KeySpec* find_subkey(std::string_view child_name) const;
  ValueSpec* find_value(std::string_view value_name);
  const ValueSpec* find_value(std::string_view value_name) const;
};

/// A whole hive: the root key plus the base-block fields a fixture may need to vary.
struct HiveSpec {
  KeySpec root = KeySpec::named("ROOT");  ///< root.name is the root key name
  /// Base block +48 (UTF-16LE, 64 bytes). Longer names keep their last 31 characters.
  std::string embedded_name = "SYSTEM";
  /// Base block +4 / +8. Unequal numbers make the hive "dirty" (registry.md §4.1).
  std::uint32_t primary_sequence = 1;
  std::uint32_t secondary_sequence = 1;
  std::uint32_t minor_version = 5;  ///< base block +24: 3 or 5 (db cells need >= 4)
  std::uint64_t last_written = 0;   ///< base block +12, first hbin +20, default key time
};

}  // namespace smssaudit::devtools
