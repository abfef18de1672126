// Fact: the abstract document a rule is evaluated against (chainsaw's Document). Analyses turn
// registry/event facts into Facts of a kind from facts/schema.hpp; rules judge Facts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace smssaudit::facts {

/// A field value: absent (monostate), bool, integer or string.
using FieldValue = std::variant<std::monostate, bool, std::int64_t, std::string>;

/// Renders a field for messages: "" for absent, "true"/"false", decimal, or the string itself.
std::string field_to_string(const FieldValue& v);

/// Where a fact came from: an artifact and a place in it. Findings copy these as their evidence.
struct EvidenceRef {
  std::string artifact;  ///< file path as given (or image path + inner path)
  std::string sha256;
  std::string
      key_path;  ///< full key path inside the hive, e.g. "ControlSet001\Control\Session Manager"
  std::string value_name;          ///< registry value name, when the fact is about one value
  std::string value_type;          ///< "REG_MULTI_SZ" ...
  std::string data;                ///< the value data as displayed
  std::uint64_t last_written = 0;  ///< key last-written FILETIME, 0 when unknown
  // Event-log evidence (issue 3): the record a lineage fact was built from.
  std::string channel;           ///< System/Channel, "" for registry evidence
  std::uint16_t event_id = 0;    ///< 0 for registry evidence
  std::uint64_t record_id = 0;   ///< System/EventRecordID
  std::uint64_t event_time = 0;  ///< the event's time (FILETIME UTC)
  bool recovered = false;        ///< record carved from EVTX slack

  friend bool operator==(const EvidenceRef&, const EvidenceRef&) = default;
};

/// One fact. `kind` names an entry in the schema; `fields` use only names that entry declares.
struct Fact {
  std::string kind;
  std::map<std::string, FieldValue> fields;
  std::vector<EvidenceRef> evidence;

  /// Field by name, or nullptr when the fact lacks it.
  const FieldValue* get(const std::string& name) const;

  Fact& set(const std::string& name, FieldValue v) {
    fields[name] = std::move(v);
    return *this;
  }

  /// Stable identity for de-duplication and sorting: kind plus every field, rendered.
  std::string identity() const;
};

}  // namespace smssaudit::facts
