// Event presets: provider, System values and the field layout Windows writes for each event the
// analyzer reads (events.md; checked against the corpus files named in fixtures/evtx/README.md).
#pragma once

#include "evtx_spec.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smssaudit::devtools::evtx {

/// One field of a preset layout. `value` is the default in spec spelling; nullopt = Null. It may
/// hold placeholders expanded per event: ${time} (the event time, ISO), ${utc} (Sysmon UtcTime
/// text), ${computer}, ${guid:Field} (a GUID derived from the number in Field).
struct FieldDef {
  std::string name;
  FieldType type = FieldType::kString;
  std::optional<std::string> value;
  std::vector<std::string> items;  ///< default items of a StringArray field
};

struct Preset {
  std::string name;
  SystemLayout layout = SystemLayout::kManifest;
  std::string provider;
  std::string provider_guid;
  std::string channel;
  std::uint16_t event_id = 0;
  std::optional<std::uint16_t> qualifiers;
  std::uint8_t version = 0;
  std::uint8_t level = 0;
  std::uint16_t task = 0;
  std::uint8_t opcode = 0;
  std::uint64_t keywords = 0;
  std::uint32_t process_id = 0;
  std::uint32_t thread_id = 0;
  std::string user_sid;
  BodyKind body = BodyKind::kEventData;
  std::string wrapper;
  std::vector<std::pair<std::string, std::string>> wrapper_attributes;
  std::vector<FieldDef> fields;
};

/// Every preset, in a stable order.
const std::vector<Preset>& all_presets();

/// nullptr when no preset has that name.
const Preset* find_preset(std::string_view name);

}  // namespace smssaudit::devtools::evtx
