// The resolved EVTX fixture model: files of fully specified events, ready to encode. Built by the
// YAML loader (evtx_spec_loader.hpp) or directly in code by tests.
#pragma once

#include "evtx_values.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace smssaudit::devtools::evtx {

/// How the System part of the outer template is laid out (formats.md §6.1).
enum class SystemLayout : std::uint8_t {
  /// Manifest providers: Provider Name/Guid and Channel are substitutions 14, 15 and 16, the body
  /// is value 17 (18 values).
  kManifest,
  /// Classic sources and the Eventlog service: Provider and Channel are literal text in the
  /// template, RelatedActivityID is value 18 and the body value 19 (20 values).
  kLiteral,
};

/// What follows <System>.
enum class BodyKind : std::uint8_t {
  kEventData,    ///< <EventData><Data Name="...">value</Data>...</EventData>
  kClassicData,  ///< <EventData><Data>string array</Data><Binary>bytes</Binary></EventData>
  kUserData,     ///< <UserData><Wrapper xmlns="..."><Field>value</Field>...</Wrapper></UserData>
};

/// One EventData/UserData field: its name (the Data Name or the UserData element name), type and
/// value. Classic events use the fields "Strings" (StringArray) and "Binary".
struct EventField {
  std::string name;
  FieldType type = FieldType::kString;
  EncodedValue value;
};

/// Everything one record says.
struct EventSpec {
  int line = 0;            ///< spec line (1-based), 0 when built in code
  std::string preset;      ///< preset name, empty for a generic event
  std::uint64_t time = 0;  ///< TimeCreated (FILETIME), also the record's written time
  std::optional<std::uint64_t> record_id;  ///< explicit EventRecordID; else previous + 1

  SystemLayout layout = SystemLayout::kManifest;
  std::string provider;
  std::string provider_guid;  ///< canonical "{...}", empty when the provider has none
  std::string channel;
  std::string computer;
  std::uint16_t event_id = 0;
  std::optional<std::uint16_t> qualifiers;
  std::uint8_t version = 0;
  std::uint8_t level = 0;
  std::uint16_t task = 0;
  std::uint8_t opcode = 0;
  std::uint64_t keywords = 0;
  std::uint32_t process_id = 0;  ///< Execution/@ProcessID
  std::uint32_t thread_id = 0;   ///< Execution/@ThreadID
  std::string user_sid;          ///< Security/@UserID, empty for none

  BodyKind body = BodyKind::kEventData;
  std::string wrapper;  ///< UserData element name (kUserData)
  std::vector<std::pair<std::string, std::string>> wrapper_attributes;  ///< e.g. xmlns
  std::vector<EventField> fields;
};

/// Damage applied after the file is written (for reader robustness tests).
struct Corruption {
  std::optional<std::uint64_t> truncate_to;       ///< cut the file to this many bytes
  std::vector<std::size_t> bad_chunk_magic;       ///< chunk indexes whose "ElfChnk" is overwritten
  std::vector<std::size_t> bad_records_crc;       ///< chunk indexes whose records CRC is wrong
  std::vector<std::size_t> bad_chunk_header_crc;  ///< chunk indexes whose header CRC is wrong
  bool bad_file_header_crc = false;

  bool any() const {
    return truncate_to.has_value() || !bad_chunk_magic.empty() || !bad_records_crc.empty() ||
           !bad_chunk_header_crc.empty() || bad_file_header_crc;
  }
};

/// One .evtx file.
struct LogFileSpec {
  int line = 0;
  std::string name;                   ///< file name inside the output folder
  std::uint64_t first_record_id = 1;  ///< id of the first record
  std::size_t records_per_chunk = 0;  ///< 0 = fill chunks; N = new chunk after N records
  bool header_dirty = false;          ///< file header flag 0x1
  std::uint16_t minor_version = 2;    ///< 3.2 as Windows 10 2004+ writes
  Corruption corrupt;
  std::vector<EventSpec> events;
};

/// A whole spec: the files written into one output folder.
struct EvtxSpec {
  std::string description;
  std::vector<LogFileSpec> files;
};

}  // namespace smssaudit::devtools::evtx
