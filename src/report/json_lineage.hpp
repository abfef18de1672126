// JSON rendering of the lineage block and of event-log coverage (private to src/report).
#pragma once

#include "smssaudit/facts/lineage.hpp"

#include <nlohmann/json.hpp>

namespace smssaudit::report::detail {

using Json = nlohmann::ordered_json;

/// "lineage": {"status": "analyzed" | "not_analyzed", "boots": [...]} (design.md 4).
Json lineage_json(const facts::Lineage& lineage);

/// "coverage"."event_logs": sources with their spans, whether process starts and exits were
/// collected, log clears and clock changes; null when no event log was analysed.
Json event_coverage_json(const facts::Lineage& lineage);

}  // namespace smssaudit::report::detail
