// Registry facts: what the hive readers extract, as plain value types. No libregf type appears
// here; analyses and reporters work only with these.
#pragma once

#include "smssaudit/facts/replay.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::facts {

/// Registry value types (REGF vk +12).
enum class RegType : std::uint32_t {
  kNone = 0,
  kSz = 1,
  kExpandSz = 2,
  kBinary = 3,
  kDword = 4,
  kDwordBigEndian = 5,
  kLink = 6,
  kMultiSz = 7,
  kResourceList = 8,
  kFullResourceDescriptor = 9,
  kResourceRequirementsList = 10,
  kQword = 11,
};

/// "REG_SZ", "REG_MULTI_SZ", ... ; unknown types give "REG_0xNN".
std::string reg_type_name(std::uint32_t type);

/// One registry value, decoded once by the reader.
///  - REG_SZ / REG_EXPAND_SZ / REG_LINK: `strings` holds one element (NUL and after dropped).
///  - REG_MULTI_SZ: `strings` holds every element; the list terminator is dropped.
///  - REG_BINARY that holds UTF-16LE text: decoded into `strings` like REG_MULTI_SZ and
///    `binary_as_text` is set (winreg-kb lists BootExecute as REG_BINARY too).
///  - REG_DWORD / REG_DWORD_BIG_ENDIAN / REG_QWORD: `number`.
struct RegValue {
  std::string name;  ///< as stored; "" is the key's default value
  std::uint32_t type = 0;
  std::vector<std::uint8_t> raw;  ///< raw data bytes (capped by the reader; see `truncated`)
  std::vector<std::string> strings;
  std::optional<std::uint64_t> number;
  bool binary_as_text = false;
  bool truncated = false;  ///< raw data was larger than the reader's cap
  std::string error;       ///< non-empty when the data could not be read or decoded

  bool is_string_type() const noexcept;

  /// Data rendered for messages and reports: strings joined by " | " for lists, numbers in decimal
  /// (and hex for DWORDs over 9), binary as hex (first 64 bytes).
  std::string display() const;

  /// First string, or "" when there is none.
  std::string first_string() const;
};

/// Presence of a key the audit asked for.
enum class KeyStatus { kPresent, kAbsent, kUnreadable };

const char* to_string(KeyStatus s) noexcept;

/// One captured key: values in stored order, last-written time, and what went wrong reading it.
struct RegKey {
  std::string
      path;  ///< relative to the control set root, e.g. "Control\\Session Manager\\KnownDLLs"
  KeyStatus status = KeyStatus::kAbsent;
  std::uint64_t last_written = 0;  ///< FILETIME UTC
  std::vector<RegValue> values;
  std::vector<std::string> subkeys;  ///< names of direct subkeys, stored order
  std::string error;                 ///< reason when kUnreadable or partially read

  /// Case-insensitive lookup (Win8+ hives store "SETUPEXECUTE"). Returns nullptr when absent.
  const RegValue* find(std::string_view name) const noexcept;
};

/// SYSTEM\Select. Each member is absent when the value is missing or not a DWORD.
struct SelectInfo {
  bool key_present = false;
  std::uint64_t last_written = 0;
  std::optional<std::uint32_t> current;
  std::optional<std::uint32_t> default_set;
  std::optional<std::uint32_t> failed;
  std::optional<std::uint32_t> last_known_good;
};

/// Everything captured from one ControlSetNNN.
struct ControlSet {
  std::string name;  ///< "ControlSet001"
  std::uint32_t number = 0;
  std::vector<RegKey> keys;  ///< one per path in session_manager_surface(), in that order

  const RegKey* key(std::string_view relative_path) const noexcept;
};

/// Parsed REGF base block (bytes 0-4095), read without libregf (registry.md 4.2).
struct BaseBlock {
  bool signature_ok = false;
  std::uint32_t primary_sequence = 0;    ///< +4
  std::uint32_t secondary_sequence = 0;  ///< +8
  std::uint64_t last_written = 0;        ///< +12 FILETIME
  std::uint32_t major_version = 0;       ///< +20
  std::uint32_t minor_version = 0;       ///< +24
  std::uint32_t file_type = 0;           ///< +28: 0 primary, 1/2 old log, 6 new log
  std::uint32_t file_format = 0;         ///< +32
  std::uint32_t root_cell_offset = 0;    ///< +36
  std::uint32_t hive_bins_size = 0;      ///< +40
  std::uint32_t clustering_factor = 0;   ///< +44
  std::string embedded_name;             ///< +48, UTF-16LE, 64 bytes
  std::uint32_t stored_checksum = 0;     ///< +508
  std::uint32_t computed_checksum = 0;   ///< XOR-32 of 0..507 with Windows' 0->1, ~0->~1 rule
  std::uint64_t file_size = 0;

  bool checksum_ok() const noexcept { return stored_checksum == computed_checksum; }

  bool sequences_match() const noexcept { return primary_sequence == secondary_sequence; }

  /// REGF "dirty": bad checksum or primary != secondary sequence number.
  bool dirty() const noexcept { return !checksum_ok() || !sequences_match(); }

  /// Hive-bins data extends past the end of the file.
  bool truncated() const noexcept {
    return file_size < 4096ULL + static_cast<std::uint64_t>(hive_bins_size);
  }
};

/// Transaction-log files found next to a hive (SYSTEM.LOG, .LOG1, .LOG2).
struct HiveLogFile {
  std::string path;
  std::uint64_t size = 0;
  std::optional<BaseBlock> base;  ///< absent for empty or non-regf logs
};

/// Facts from a SYSTEM hive. `control_sets` is sorted by number. When the hive was dirty and its
/// logs were replayed, the keys and values are those of the replayed image while `path`, `base`
/// and `logs` still describe the files on disk, and `replay` says what the replay did.
struct SystemHive {
  std::string path;
  BaseBlock base;
  std::vector<HiveLogFile> logs;
  std::optional<ReplayReport> replay;
  bool root_readable = false;
  SelectInfo select;
  std::vector<ControlSet> control_sets;
  std::vector<std::string> root_subkeys;
};

/// Facts from SOFTWARE\Microsoft\Windows NT\CurrentVersion.
struct SoftwareHive {
  std::string path;
  BaseBlock base;
  bool current_version_present = false;
  std::uint64_t last_written = 0;
  std::optional<std::string> product_name;
  std::optional<std::string> current_build;
  std::optional<std::string> current_build_number;
  std::optional<std::uint32_t> ubr;
  std::optional<std::string> display_version;
  std::optional<std::string> release_id;
  std::optional<std::string> edition_id;
  std::optional<std::string> installation_type;
  std::optional<std::uint32_t> install_date;  ///< Unix seconds
  std::optional<std::string> system_root;
};

/// A rename-queue operation parsed from PendingFileRenameOperations(2) (MoveFileEx pairs).
struct PendingRename {
  std::string value_name;  ///< "PendingFileRenameOperations" or "...2"
  std::size_t index = 0;   ///< pair index within the value
  std::string source;      ///< as stored, "\??\" kept
  std::string target;      ///< as stored without the "!" prefix; empty for a delete
  bool is_delete = false;
  bool replace_existing = false;  ///< target carried a "!" prefix
};

/// Parses MULTI_SZ strings in pairs: source, target ("" = delete, "!" prefix = replace).
/// A dangling source at the end becomes a delete with index = pair count.
std::vector<PendingRename> parse_pending_renames(const std::string& value_name,
                                                 const std::vector<std::string>& strings);

}  // namespace smssaudit::facts
