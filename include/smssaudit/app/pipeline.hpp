// The scan pipeline: evidence -> readers -> facts -> analyses -> rules/verdict -> report.
// Each step is called in order from run_scan(), with the reason for it beside the call.
#pragma once

#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/facts/baseline.hpp"
#include "smssaudit/report/report.hpp"
#include "smssaudit/rules/catalog.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace smssaudit::app {

/// Where a scan is, for the progress line on stderr (design.md 4: progress never goes to stdout).
struct ScanProgress {
  std::string artifact;           ///< report name of the artifact being read
  std::uint64_t bytes_done = 0;   ///< of this artifact
  std::uint64_t bytes_total = 0;  ///< of this artifact
  std::uint64_t records = 0;      ///< event records seen so far in this artifact
  bool finished = false;          ///< this artifact is done
};

/// Which artifacts are parsed in a child process of their own (issue 7 item 5), so that a crash
/// inside libregf, libevtx or the native EVTX scanner loses that artifact only.
enum class Isolation {
  kAuto,    ///< artifacts read from disk images (the default; `scan` without a flag)
  kAlways,  ///< every artifact (`--isolate`)
  kNever,   ///< none (`--no-isolate`)
};

struct ScanRequest {
  /// Files and folders as given: SYSTEM/SOFTWARE hives and EVTX logs, recognised by content.
  std::vector<std::string> evidence;
  std::string software_hive;  ///< --software: optional, overrides a SOFTWARE hive found by content
  const rules::Catalog* catalog = nullptr;
  const facts::Baseline* site_baseline = nullptr;  ///< --baseline, optional
  std::string tool_version;
  /// EVTX engine: "native" (default; chunk-parallel, no XML) or "libevtx" (the reference).
  std::string evtx_engine = "native";
  /// Optional progress callback (called from the scanning thread); empty = silent. An isolated
  /// event log reports only its start and its end.
  std::function<void(const ScanProgress&)> progress;
  Isolation isolation = Isolation::kAuto;
  /// An isolated parser still running after this long is killed and its artifact reported lost;
  /// 0 = no limit (`--isolate-timeout`).
  std::chrono::seconds isolate_timeout{0};
};

struct ScanOutcome {
  report::Report report;
  bool usable = false;  ///< false when nothing could be analysed (exit code 3)
};

/// Runs the whole scan: registry audit of the SYSTEM hive and smss lineage from the event logs.
/// Never throws on bad evidence: problems become diagnostics, input statuses and coverage gaps.
ScanOutcome run_scan(const ScanRequest& request);

}  // namespace smssaudit::app
