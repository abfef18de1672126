// Shared by the machine formats (jsonl, csv, timeline; private to src/report): which time a finding
// is placed at, and the Timesketch line of one finding. Choosing among the finding's own evidence
// times is rendering, not analysis: nothing here computes a time that is not stored in the report.
#pragma once

#include "smssaudit/facts/fact.hpp"
#include "smssaudit/rules/engine.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace smssaudit::report::detail {

using Json = nlohmann::ordered_json;  // same alias as json_lineage.hpp

/// plaso's description for a line whose timestamp is not a time (definitions.py).
inline constexpr const char* kNotATime = "Not a time";

/// The time a finding is placed at and which evidence gave it.
struct FindingTime {
  std::uint64_t filetime = 0;                  ///< 0 = the finding has no dated evidence
  const facts::EvidenceRef* source = nullptr;  ///< the evidence that gave the time, else nullptr
  std::string desc = kNotATime;                ///< Timesketch timestamp_desc
  std::string basis = "none";                  ///< "event" | "key_last_written" | "none"
};

/// The first event evidence with a time, else the first registry evidence with a key last-written
/// time, else no time.
FindingTime finding_time(const rules::Finding& finding);

/// "Process Start" for Security 4688 / Sysmon 1, "Process Exit" for 4689 / Sysmon 5, else
/// "Event Logged".
std::string event_time_desc(const std::string& channel, std::uint16_t event_id);

/// The Timesketch keys every line starts with: message, datetime (full FILETIME precision),
/// timestamp (microseconds, floor), timestamp_desc. filetime 0 gives 1970-01-01 and timestamp 0.
Json timesketch_line(const std::string& message, std::uint64_t filetime, const std::string& desc);

/// One finding as a Timesketch line (the `--format jsonl` line; the timeline reuses it).
Json finding_line(const std::string& host, const rules::Finding& finding);

/// Serialises one line: compact, invalid UTF-8 replaced by U+FFFD, then '\n'.
std::string dump_line(const Json& line);

}  // namespace smssaudit::report::detail
