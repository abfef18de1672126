// Pipeline stage 2b: reading the event logs the locator found (design.md 3.2). Split from
// pipeline.cpp so the EVTX read path (engine, hashing, progress) can change without touching the
// rest of the scan.
#pragma once

#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/facts/events.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "smssaudit/report/report.hpp"

#include <vector>

namespace smssaudit::app {

/// Reads every input of kind event_log with status "ok"; a file that cannot be read at all is
/// marked unreadable, one read with damage partial (its diagnostics say what was lost).
std::vector<facts::EventLogFile> read_event_logs(report::Report& rep,
                                                 const readers::EvtxReadOptions& options,
                                                 DiagnosticSink& sink);

}  // namespace smssaudit::app
