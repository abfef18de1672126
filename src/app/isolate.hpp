// Parser isolation (issue 7 item 5): runs one third-party parse (libregf, libevtx, the native
// EVTX scanner) in a forked child process, so a crash inside it loses that artifact only, never
// the scan's other results. The child sends the reader's Result and diagnostics back through a
// pipe in the facts wire format (facts/wire.hpp); the parent decodes them as untrusted bytes.
//
// Fork safety: fork() copies only the calling thread, so the parser is forked from the pipeline
// thread while no other thread of ours runs (the native EVTX reader's workers and its hashing
// thread live inside read_event_log and are joined before it returns; here they are started in
// the child). The child never returns into the caller: it _exit()s, so no atexit handler runs
// and no stdio buffer of the parent is flushed twice, and its stdout is /dev/null.
#pragma once

#include "smssaudit/app/pipeline.hpp"
#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/core/result.hpp"
#include "smssaudit/facts/events.hpp"
#include "smssaudit/facts/registry.hpp"
#include "smssaudit/readers/evtx_reader.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

namespace smssaudit::app {

/// Test hook (README "Parser isolation"): when set, an isolated child whose artifact name
/// contains this substring raises SIGSEGV before parsing. Read only in the child.
inline constexpr const char* kFaultCrashEnv = "SMSSAUDIT_FAULT_CRASH_ARTIFACT";

/// How the readers are called for one artifact: in this process, or in a child process.
struct ParserRunner {
  bool isolate = false;
  /// Isolated only: a child still running after this long is killed (SIGKILL) and its artifact
  /// lost; 0 = no limit.
  std::chrono::seconds timeout{0};
  /// Isolated event logs only: the child reads the log's bytes through this process (a
  /// ByteSource served over a socket) instead of calling the ByteSource itself. Needed for a log
  /// inside a disk image: the image library keeps file offsets and caches in memory that a
  /// child's reads through the shared descriptors would silently invalidate in this process (and
  /// with libtsk in a helper process, only this process may talk to the helper).
  bool serve_reads = false;

  /// readers::read_system_hive(path, sink).
  Result<facts::SystemHive> system_hive(const std::string& path, DiagnosticSink& sink) const;

  /// readers::read_system_hive_image(image, display_path, sink).
  Result<facts::SystemHive> system_hive_image(std::span<const std::uint8_t> image,
                                              const std::string& display_path,
                                              DiagnosticSink& sink) const;

  /// readers::read_software_hive(path, sink).
  Result<facts::SoftwareHive> software_hive(const std::string& path, DiagnosticSink& sink) const;

  /// readers::read_software_hive_image(image, display_path, sink).
  Result<facts::SoftwareHive> software_hive_image(std::span<const std::uint8_t> image,
                                                  const std::string& display_path,
                                                  DiagnosticSink& sink) const;

  /// readers::read_event_log(source, sink, nullptr, options). Isolated, options.progress is not
  /// called (the child cannot reach the parent's status line); the caller reports the artifact's
  /// start and end instead.
  Result<facts::EventLogFile> event_log(const ByteSource& source,
                                        DiagnosticSink& sink,
                                        const readers::EvtxReadOptions& options) const;
};

/// The runner for one artifact under a scan's setting: isolated for kAlways, and for kAuto when
/// the artifact was read from a disk image; reads served by this process for such artifacts.
ParserRunner parser_runner(Isolation isolation, std::chrono::seconds timeout, bool from_image);

/// What the child runs. `served` is the child's view of the `serve` source given to
/// run_in_child (reads forwarded to the parent), or nullptr when there is none.
using ChildWork = std::function<std::vector<std::uint8_t>(const ByteSource* served)>;

/// The core of the runner: forks, runs `work` in the child and writes what it returns to a pipe,
/// then _exit(0)s; the parent reads the pipe to EOF while the child runs (so a large result never
/// deadlocks) and meanwhile answers the child's reads of `serve` (when given), then reaps it and
/// returns the bytes. A child killed by a signal, exiting non-zero, or outliving `timeout` (when
/// > 0) gives an Error with code kParserCrashed whose context is `artifact` and whose detail says
/// what happened, e.g. "parser process crashed: killed by SIGSEGV". Failing to fork
/// or to create the pipe is an Error too (kIo): the artifact is not read in-process instead,
/// since isolation was asked for.
Result<std::vector<std::uint8_t>> run_in_child(const std::string& artifact,
                                               const ChildWork& work,
                                               std::chrono::seconds timeout,
                                               const ByteSource* serve = nullptr);

}  // namespace smssaudit::app
