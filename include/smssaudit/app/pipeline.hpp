// The scan pipeline: evidence -> readers -> facts -> analyses -> rules/verdict -> report.
// Each step is called in order from run_scan(), with the reason for it beside the call.
#pragma once

#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/facts/baseline.hpp"
#include "smssaudit/report/report.hpp"
#include "smssaudit/rules/catalog.hpp"

#include <optional>
#include <string>
#include <vector>

namespace smssaudit::app {

struct ScanRequest {
  /// Files and folders as given: SYSTEM/SOFTWARE hives and EVTX logs, recognised by content.
  std::vector<std::string> evidence;
  std::string software_hive;  ///< --software: optional, overrides a SOFTWARE hive found by content
  const rules::Catalog* catalog = nullptr;
  const facts::Baseline* site_baseline = nullptr;  ///< --baseline, optional
  std::string tool_version;
  /// EVTX engine: "native" (default; chunk-parallel, no XML) or "libevtx" (the reference).
  std::string evtx_engine = "native";
};

struct ScanOutcome {
  report::Report report;
  bool usable = false;  ///< false when nothing could be analysed (exit code 3)
};

/// Runs the whole scan: registry audit of the SYSTEM hive and smss lineage from the event logs.
/// Never throws on bad evidence: problems become diagnostics, input statuses and coverage gaps.
ScanOutcome run_scan(const ScanRequest& request);

}  // namespace smssaudit::app
