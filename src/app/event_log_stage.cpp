// Pipeline stage 2b: the event logs. See event_log_stage.hpp.
#include "app/event_log_stage.hpp"

#include "app/isolate.hpp"
#include "smssaudit/evidence/evidence.hpp"
#include "smssaudit/evidence/file_source.hpp"

#include <algorithm>
#include <memory>
#include <utility>

namespace smssaudit::app {
namespace {

/// The artifact's bytes: through its opener inside an image, else the file at its path.
Result<std::unique_ptr<ByteSource>> open_artifact(const readers::LocatedArtifact& artifact) {
  return artifact.open ? artifact.open() : evidence::open_file_source(artifact.path);
}

/// Hashes an input the reader refused (not EVTX after all): the report still pins its bytes.
void hash_separately(const ByteSource& source, report::InputEntry& in, DiagnosticSink& sink) {
  auto described = evidence::describe_source(source, in.evidence.kind);
  if (described) {
    in.evidence.size = described->size;
    in.evidence.sha256 = described->sha256;
  } else {
    sink.add(
        DiagLevel::kError, "input.unreadable", in.evidence.path, "", described.error().message());
  }
}

/// Reads one input; nullopt when it is unreadable (the input is marked so).
std::optional<facts::EventLogFile> read_one(report::InputEntry& in,
                                            const readers::LocatedArtifact& artifact,
                                            const readers::EvtxReadOptions& options,
                                            const ProgressFn& progress,
                                            const ParserRunner& runner,
                                            DiagnosticSink& sink) {
  const std::size_t before = sink.items().size();
  readers::EvtxReadOptions o = options;
  o.compute_sha256 = in.evidence.sha256.empty();
  auto source = open_artifact(artifact);
  if (!source) {
    in.evidence.status = "unreadable";
    const Error& e = source.error();
    sink.add(DiagLevel::kError,
             to_string(e.code),
             in.evidence.path,
             "",
             e.context == in.evidence.path ? e.detail : e.message());
    return std::nullopt;
  }
  const std::uint64_t total = (*source)->size();
  if (progress) {
    o.progress = [&progress, &in, total](std::uint64_t bytes, std::uint64_t records) {
      progress(ScanProgress{in.evidence.path, bytes, total, records, false});
    };
  }
  if (progress && runner.isolate) {
    // The child cannot reach the status line: the artifact's start stands in for its progress.
    progress(ScanProgress{in.evidence.path, 0, total, 0, false});
  }
  auto log = runner.event_log(**source, sink, o);
  if (progress) {
    progress(ScanProgress{in.evidence.path, total, total, log ? log->records : 0, true});
  }
  if (!log) {
    in.evidence.status = "unreadable";
    sink.add(DiagLevel::kError,
             to_string(log.error().code),
             in.evidence.path,
             "",
             log.error().message());
    if (in.evidence.sha256.empty()) {
      hash_separately(**source, in, sink);
    }
    return std::nullopt;
  }
  if (o.compute_sha256) {
    in.evidence.sha256 = log->sha256;
    in.evidence.size = log->size;
  }
  for (std::size_t i = before; i < sink.items().size(); ++i) {
    const Diagnostic& d = sink.items()[i];
    if (d.source == in.evidence.path && d.level >= DiagLevel::kWarning) {
      in.evidence.status = "partial";
    }
  }
  return std::move(*log);
}

}  // namespace

report::InputEntry describe_event_log(const readers::LocatedArtifact& artifact,
                                      DiagnosticSink& sink) {
  report::InputEntry entry;
  entry.evidence.path = artifact.path;
  entry.evidence.kind = evidence::kKindEventLog;
  entry.evidence.location = artifact.location;
  auto source = open_artifact(artifact);
  if (!source) {
    entry.evidence.status = source.error().code == ErrorCode::kNotFound ? "missing" : "unreadable";
    sink.add(DiagLevel::kError, "input.unreadable", artifact.path, "", source.error().message());
    return entry;
  }
  entry.evidence.size = (*source)->size();
  entry.evidence.status = "ok";
  return entry;
}

std::vector<facts::EventLogFile> read_event_logs(
    report::Report& rep,
    const std::vector<readers::LocatedArtifact>& artifacts,
    const readers::EvtxReadOptions& options,
    DiagnosticSink& sink,
    const ProgressFn& progress,
    Isolation isolation,
    std::chrono::seconds isolate_timeout) {
  std::vector<facts::EventLogFile> logs;
  for (auto& in : rep.inputs) {
    if (in.evidence.kind != evidence::kKindEventLog || in.evidence.status != "ok") {
      continue;
    }
    const auto it = std::find_if(artifacts.begin(), artifacts.end(), [&in](const auto& a) {
      return a.path == in.evidence.path;
    });
    readers::LocatedArtifact by_path;
    by_path.path = in.evidence.path;
    const readers::LocatedArtifact& artifact = it != artifacts.end() ? *it : by_path;
    const ParserRunner runner =
        parser_runner(isolation, isolate_timeout, artifact.location.has_value());
    if (auto log = read_one(in, artifact, options, progress, runner, sink)) {
      logs.push_back(std::move(*log));
    }
  }
  return logs;
}

std::vector<facts::EventLogFile> read_event_logs(report::Report& rep,
                                                 const readers::EvtxReadOptions& options,
                                                 DiagnosticSink& sink) {
  return read_event_logs(rep, {}, options, sink, {});
}

}  // namespace smssaudit::app
