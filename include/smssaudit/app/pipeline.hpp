// The scan pipeline: evidence -> readers -> facts -> analyses -> rules/verdict -> report.
// Each step is called in order from run_scan(), with the reason for it beside the call.
#pragma once

#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/facts/baseline.hpp"
#include "smssaudit/report/report.hpp"
#include "smssaudit/rules/catalog.hpp"

#include <optional>
#include <string>

namespace smssaudit::app {

struct ScanRequest {
  std::string system_hive;    ///< path of the SYSTEM hive (required)
  std::string software_hive;  ///< optional
  const rules::Catalog* catalog = nullptr;
  const facts::Baseline* site_baseline = nullptr;  ///< --baseline, optional
  std::string tool_version;
};

struct ScanOutcome {
  report::Report report;
  bool usable = false;  ///< false when nothing could be analysed (exit code 3)
};

/// Runs the whole registry audit. Never throws on bad evidence: problems become diagnostics,
/// input statuses and coverage gaps in the report.
ScanOutcome run_scan(const ScanRequest& request);

}  // namespace smssaudit::app
