// JSON rendering of the lineage block and of event-log coverage (private to src/report).
#pragma once

#include "report/json_stream.hpp"
#include "smssaudit/facts/fact.hpp"
#include "smssaudit/facts/lineage.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace smssaudit::report::detail {

using Json = nlohmann::ordered_json;

/// An ISO-8601 UTC string, or null when the time is unknown (0).
Json time_or_null(std::uint64_t filetime);

/// A value, or null when it is unknown: consumers can tell "unknown" from "empty".
template <typename T>
Json or_null(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

/// A string, or null when it is empty.
inline Json string_or_null(const std::string& s) {
  return s.empty() ? Json(nullptr) : Json(s);
}

/// One event record as lineage entries cite it (file, channel, event id, record id, time).
Json event_ref_json(const facts::EventRef& r);

/// Every record of a list, in order.
Json refs_json(const std::vector<facts::EventRef>& refs);

/// A finding's fact fields; absent fields are left out.
Json fields_json(const std::map<std::string, facts::FieldValue>& fields);

/// A finding's evidence: {"type": "registry", key, value, data, last_written} or
/// {"type": "event", channel, event id, record id, time, recovered}. Shared by the JSON and JSONL
/// reporters so the two cannot drift.
Json evidence_json(const facts::EvidenceRef& e);

/// "lineage": {"status": "analyzed" | "not_analyzed", "boots": [...]} (design.md 4), one boot
/// built at a time.
void write_lineage(JsonStream& w, const facts::Lineage& lineage);

/// "coverage"."event_logs": sources with their spans, whether process starts and exits were
/// collected, log clears and clock changes; null when no event log was analysed.
Json event_coverage_json(const facts::Lineage& lineage);

}  // namespace smssaudit::report::detail
