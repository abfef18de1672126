// Pipeline stage 2b: reading the event logs the locator found (design.md 3.2). Split from
// pipeline.cpp so the EVTX read path (engine, hashing, progress) can change without touching the
// rest of the scan.
#pragma once

#include "smssaudit/app/pipeline.hpp"
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/facts/events.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "smssaudit/readers/locate.hpp"
#include "smssaudit/report/report.hpp"

#include <chrono>
#include <functional>
#include <vector>

namespace smssaudit::app {

/// The scan's progress callback (ScanRequest::progress): one call every few MB of each log.
using ProgressFn = std::function<void(const ScanProgress&)>;

/// The inputs[] entry of an event log before it is read: path, kind, size and (inside an image)
/// location, with the same status and "input.unreadable" diagnostic as the pipeline's describe()
/// when it cannot be opened, but without hashing it: read_event_logs hashes it while parsing
/// (issue 8), so a log is read once instead of twice. sha256 stays "" until then.
report::InputEntry describe_event_log(const readers::LocatedArtifact& artifact,
                                      DiagnosticSink& sink);

/// Reads every input of kind event_log with status "ok"; a file that cannot be read at all is
/// marked unreadable, one read with damage partial (its diagnostics say what was lost). Each is
/// opened through the located artifact of the same path when one is given (a log inside a disk
/// image), else as a file by its path. An input without a SHA-256 yet (describe_event_log) gets
/// its hash and size from the same read; one the reader refuses is hashed on its own, so
/// inputs[].sha256 is set for every readable input, as describe() would have set it.
/// `isolation` decides which logs are parsed in a child process (app/isolate.hpp); a log whose
/// parser process crashed is unreadable with an "isolate.parser_crashed" error, and is hashed
/// here in the scan's own process.
std::vector<facts::EventLogFile> read_event_logs(
    report::Report& rep,
    const std::vector<readers::LocatedArtifact>& artifacts,
    const readers::EvtxReadOptions& options,
    DiagnosticSink& sink,
    const ProgressFn& progress = {},
    Isolation isolation = Isolation::kNever,
    std::chrono::seconds isolate_timeout = std::chrono::seconds{0});

/// Same, every input opened by its path (files on disk).
std::vector<facts::EventLogFile> read_event_logs(report::Report& rep,
                                                 const readers::EvtxReadOptions& options,
                                                 DiagnosticSink& sink);

}  // namespace smssaudit::app
