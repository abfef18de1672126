// smssaudit-evtxscan: reads one EVTX file with a chosen engine and worker count and prints what
// it found. A developer tool for scripts/bench (timing one reader without the rest of a scan).
//   smssaudit-evtxscan FILE [native|libevtx] [WORKERS] [sha256]
// "sha256" also hashes the file while it is read (EvtxReadOptions::compute_sha256), as a scan does.
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/readers/evtx_reader.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
  using smssaudit::readers::EvtxEngine;
  if (argc < 2) {
    fmt::print(stderr, "usage: smssaudit-evtxscan FILE [native|libevtx] [WORKERS] [sha256]\n");
    return 2;
  }
  smssaudit::readers::EvtxReadOptions options;
  const std::string engine = argc > 2 ? argv[2] : "native";
  options.engine = engine == "libevtx" ? EvtxEngine::kLibevtx : EvtxEngine::kNative;
  options.workers = argc > 3 ? static_cast<unsigned>(std::strtoul(argv[3], nullptr, 10)) : 0;
  options.compute_sha256 = argc > 4 && std::string(argv[4]) == "sha256";
  smssaudit::DiagnosticSink sink;
  smssaudit::readers::EvtxReadStats stats;
  auto file = smssaudit::readers::read_event_log(argv[1], sink, &stats, options);
  if (!file) {
    fmt::print(stderr, "error: {}\n", file.error().detail);
    return 1;
  }
  for (const auto& d : sink.items()) {
    fmt::print(stderr, "{}: {}\n", d.code, d.message);
  }
  fmt::print("engine={} records={} recovered={} unreadable={} events={} channel={}\n",
             engine,
             file->records,
             file->recovered,
             file->unreadable,
             file->events.size(),
             file->channel_name);
  if (options.compute_sha256) {
    fmt::print("sha256={} size={}\n", file->sha256, file->size);
  }
  return 0;
}
