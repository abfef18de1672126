// Differential test (issue 8): the native EVTX scanner against the libevtx engine over every .evtx
// under ../shared/corpus/evtx (hosts, samples, corrupt). Both must give the same EventLogFile: the
// same events (every Event field, EventRef included), counts, span and channel; and the native
// engine must give the same output with 1 and 4 workers.
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

using namespace smssaudit;
using namespace smssaudit::readers;
using facts::Event;
using facts::EventLogFile;

namespace {

std::vector<std::string> corpus_evtx() {
  std::vector<std::string> files;
  const std::filesystem::path root = testing::corpus_path("evtx");
  if (!std::filesystem::exists(root)) {
    return files;
  }
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == ".evtx") {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

template <typename T>
std::string show(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : std::string("-");
}

/// The first field in which two events differ, "" when none does.
std::string event_difference(const Event& a, const Event& b) {
  const auto& ra = a.ref;
  const auto& rb = b.ref;
  const std::vector<std::pair<std::string, std::pair<std::string, std::string>>> fields{
      {"ref.artifact", {ra.artifact, rb.artifact}},
      {"ref.channel_name", {ra.channel_name, rb.channel_name}},
      {"ref.record_id", {std::to_string(ra.record_id), std::to_string(rb.record_id)}},
      {"ref.written", {std::to_string(ra.written), std::to_string(rb.written)}},
      {"ref.event_id", {std::to_string(ra.event_id), std::to_string(rb.event_id)}},
      {"ref.version", {std::to_string(ra.version), std::to_string(rb.version)}},
      {"ref.recovered", {std::to_string(ra.recovered), std::to_string(rb.recovered)}},
      {"kind", {facts::to_string(a.kind), facts::to_string(b.kind)}},
      {"channel", {facts::to_string(a.channel), facts::to_string(b.channel)}},
      {"time", {std::to_string(a.time), std::to_string(b.time)}},
      {"pid", {show(a.pid), show(b.pid)}},
      {"parent_pid", {show(a.parent_pid), show(b.parent_pid)}},
      {"image", {a.image, b.image}},
      {"command_line", {a.command_line, b.command_line}},
      {"parent_image", {a.parent_image, b.parent_image}},
      {"parent_command_line", {a.parent_command_line, b.parent_command_line}},
      {"process_guid", {a.process_guid, b.process_guid}},
      {"parent_guid", {a.parent_guid, b.parent_guid}},
      {"user_sid", {a.user_sid, b.user_sid}},
      {"user_name", {a.user_name, b.user_name}},
      {"logon_id", {show(a.logon_id), show(b.logon_id)}},
      {"session_id", {show(a.session_id), show(b.session_id)}},
      {"integrity", {a.integrity, b.integrity}},
      {"exit_status", {show(a.exit_status), show(b.exit_status)}},
      {"logon_type", {show(a.logon_type), show(b.logon_type)}},
      {"address", {a.address, b.address}},
      {"source_session", {show(a.source_session), show(b.source_session)}},
      {"reason", {a.reason, b.reason}},
      {"previous_time", {std::to_string(a.previous_time), std::to_string(b.previous_time)}},
      {"new_time", {std::to_string(a.new_time), std::to_string(b.new_time)}},
      {"cleared_channel", {a.cleared_channel, b.cleared_channel}},
  };
  for (const auto& [name, values] : fields) {
    if (values.first != values.second) {
      return fmt::format("{}: '{}' vs '{}'", name, values.first, values.second);
    }
  }
  return "";
}

/// The first difference between two reads of one file, "" when they are identical.
std::string file_difference(const EventLogFile& a, const EventLogFile& b) {
  auto num = [](const char* what, std::uint64_t x, std::uint64_t y) {
    return x == y ? std::string() : fmt::format("{}: {} vs {}", what, x, y);
  };
  for (const std::string& d : {num("records", a.records, b.records),
                               num("recovered", a.recovered, b.recovered),
                               num("unreadable", a.unreadable, b.unreadable),
                               num("first_time", a.first_time, b.first_time),
                               num("last_time", a.last_time, b.last_time),
                               num("first_record_id", a.first_record_id, b.first_record_id),
                               num("last_record_id", a.last_record_id, b.last_record_id),
                               num("header_dirty", a.header_dirty, b.header_dirty),
                               num("events", a.events.size(), b.events.size())}) {
    if (!d.empty()) {
      return d;
    }
  }
  if (a.path != b.path || a.channel_name != b.channel_name || a.channel != b.channel) {
    return fmt::format(
        "path/channel: {} {} vs {} {}", a.path, a.channel_name, b.path, b.channel_name);
  }
  if (a.relevant_counts != b.relevant_counts) {
    return "relevant_counts differ";
  }
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    if (const std::string d = event_difference(a.events[i], b.events[i]); !d.empty()) {
      return fmt::format("event #{} (record {}): {}", i, a.events[i].ref.record_id, d);
    }
  }
  return "";
}

EventLogFile read(const std::string& path,
                  EvtxEngine engine,
                  unsigned workers,
                  DiagnosticSink& sink) {
  EvtxReadOptions o;
  o.engine = engine;
  o.workers = workers;
  auto r = read_event_log(path, sink, nullptr, o);
  REQUIRE(r);
  return std::move(*r);
}

bool fell_back(const DiagnosticSink& sink) {
  const auto& items = sink.items();
  return std::any_of(items.begin(), items.end(), [](const Diagnostic& d) {
    return d.code == "evtx.native_fallback";
  });
}

}  // namespace

TEST_CASE("native and libevtx engines read the same events from every corpus EVTX",
          "[corpus][evtx][engine]") {
  const auto files = corpus_evtx();
  if (files.empty()) {
    WARN("no EVTX corpus at " + testing::corpus_path("evtx"));
    return;
  }
  std::size_t events = 0;
  std::size_t fallbacks = 0;
  for (const std::string& path : files) {
    INFO(path);
    DiagnosticSink lib_sink;
    DiagnosticSink one_sink;
    DiagnosticSink four_sink;
    const EventLogFile lib = read(path, EvtxEngine::kLibevtx, 0, lib_sink);
    const EventLogFile one = read(path, EvtxEngine::kNative, 1, one_sink);
    const EventLogFile four = read(path, EvtxEngine::kNative, 4, four_sink);
    CHECK(file_difference(lib, one) == "");
    CHECK(file_difference(one, four) == "");
    // The same diagnostics too (codes, levels and messages), unless the native engine fell back.
    if (!fell_back(one_sink)) {
      CHECK(lib_sink.items() == one_sink.items());
    }
    fallbacks += fell_back(one_sink) ? 1U : 0U;
    events += lib.events.size();
  }
  // Reported, not asserted: how much of the corpus the native scanner read itself.
  WARN(fmt::format("{} files, {} events compared; {} files fell back to libevtx",
                   files.size(),
                   events,
                   fallbacks));
}
