// The EVTX reader on the shared corpus of real public logs, read in place. Every number below was
// checked independently with evtxexport (libevtx-utils) and python3-evtx 0.6.1 (events.md).
#include "smssaudit/core/filetime.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>

using namespace smssaudit;
using namespace smssaudit::readers;
using facts::Event;
using facts::EventKind;
using facts::EventLogFile;
using smssaudit::testing::corpus_path;

namespace {

/// Reads through libevtx and renders every record, to check all of them are well-formed XML.
EvtxReadOptions all_xml_options() {
  EvtxReadOptions options;
  options.check_all_xml = true;
  return options;
}

EventLogFile read_ok(const std::string& rel, DiagnosticSink& sink) {
  auto log = read_event_log(corpus_path(rel), sink);
  REQUIRE(log);
  return std::move(log).value();
}

const Event* find_event(const EventLogFile& log, EventKind kind, std::uint64_t pid) {
  const auto it = std::find_if(log.events.begin(), log.events.end(), [&](const Event& e) {
    return e.kind == kind && e.pid == pid;
  });
  return it == log.events.end() ? nullptr : &*it;
}

std::set<std::string> codes(const DiagnosticSink& sink) {
  std::set<std::string> out;
  for (const auto& d : sink.items()) {
    out.insert(d.code);
  }
  return out;
}

bool has_warning(const DiagnosticSink& sink, const std::string& code, const std::string& path) {
  return std::any_of(sink.items().begin(), sink.items().end(), [&](const Diagnostic& d) {
    return d.code == code && d.level == DiagLevel::kWarning && d.source == path;
  });
}

std::size_t smss_starts(const EventLogFile& log) {
  return static_cast<std::size_t>(
      std::count_if(log.events.begin(), log.events.end(), [](const Event& e) {
        return e.kind == EventKind::kProcessStart && text::iends_with(e.image, "\\smss.exe");
      }));
}

}  // namespace

TEST_CASE("Evtx corpus: Sysmon boot chain: master smss 300 and its session children",
          "[corpus][evtx]") {
  DiagnosticSink sink;
  const EventLogFile log = read_ok("evtx/samples/privesc_unquoted_svc_sysmon_1_11.evtx", sink);
  CHECK(log.channel == facts::LogChannel::kSysmon);
  const Event* master = find_event(log, EventKind::kProcessStart, 300);
  REQUIRE(master != nullptr);
  CHECK(master->parent_pid == std::optional<std::uint64_t>(4));
  CHECK(master->parent_image == "System");
  CHECK(master->parent_command_line.empty());  // "?" in the record
  CHECK(master->image == "C:\\Windows\\System32\\smss.exe");
  CHECK(master->command_line == "\\SystemRoot\\System32\\smss.exe");
  CHECK(master->session_id == std::optional<std::uint32_t>(0));
  CHECK(master->user_sid == "S-1-5-18");
  CHECK(master->process_guid == "{747F3D96-B75F-5EA4-0000-0010622C0000}");
  CHECK(master->ref.record_id == 27372);
  CHECK(master->time == *iso8601_to_filetime("2020-04-25T22:19:11.037Z"));
  CHECK(master->ref.written == *iso8601_to_filetime("2020-04-25T22:19:20.1345606Z"));

  const Event* child0 = find_event(log, EventKind::kProcessStart, 388);
  const Event* child1 = find_event(log, EventKind::kProcessStart, 460);
  REQUIRE(child0 != nullptr);
  REQUIRE(child1 != nullptr);
  CHECK(child0->parent_pid == std::optional<std::uint64_t>(300));
  CHECK(child1->parent_pid == std::optional<std::uint64_t>(300));
  CHECK(child0->session_id == std::optional<std::uint32_t>(0));
  CHECK(child1->session_id == std::optional<std::uint32_t>(1));
  CHECK(child0->parent_guid == master->process_guid);
  CHECK(child1->command_line == "\\SystemRoot\\System32\\smss.exe 000000d8 00000084 ");
}

TEST_CASE("Evtx corpus: Security 4688 v1: RDP child smss 0x38c and the winlogon logon",
          "[corpus][evtx]") {
  DiagnosticSink sink;
  const EventLogFile log = read_ok("evtx/samples/DE_RDP_Tunnel_5156.evtx", sink);
  const Event* child = find_event(log, EventKind::kProcessStart, 0x38c);
  REQUIRE(child != nullptr);
  CHECK(child->parent_pid == std::optional<std::uint64_t>(0x124));
  CHECK(child->image == "C:\\Windows\\System32\\smss.exe");
  CHECK(child->command_line.empty());
  CHECK(child->ref.version == 1);
  CHECK(child->ref.record_id == 227748);
  CHECK(child->user_sid == "S-1-5-18");
  CHECK(child->logon_id == std::optional<std::uint64_t>(0x3e7));
  // The 100 ns timestamp it shares with its csrss (events.md 5.6).
  CHECK(child->time == *iso8601_to_filetime("2019-02-13T18:04:57.4624008Z"));

  const auto logon = std::find_if(log.events.begin(), log.events.end(), [](const Event& e) {
    return e.kind == EventKind::kLogon && e.logon_type == 10;
  });
  REQUIRE(logon != log.events.end());
  CHECK(logon->pid == std::optional<std::uint64_t>(0x4b8));
  CHECK(logon->image == "C:\\Windows\\System32\\winlogon.exe");
  CHECK(logon->logon_id == std::optional<std::uint64_t>(0x14a321));
  CHECK(logon->ref.record_id == 227762);
  CHECK(log.relevant_counts.at(4688) == 17);
  CHECK(log.relevant_counts.at(4624) == 5);
  CHECK(log.relevant_counts.at(1102) == 1);
}

TEST_CASE("Evtx corpus: Sysmon 5 records the exit of RDP child smss 3444", "[corpus][evtx]") {
  DiagnosticSink sink;
  const EventLogFile log = read_ok("evtx/samples/DE_sysmon-3-rdp-tun.evtx", sink);
  const Event* start = find_event(log, EventKind::kProcessStart, 3444);
  const Event* exit = find_event(log, EventKind::kProcessExit, 3444);
  REQUIRE(start != nullptr);
  REQUIRE(exit != nullptr);
  CHECK(exit->image == "C:\\Windows\\System32\\smss.exe");
  CHECK(exit->process_guid == start->process_guid);
  CHECK(exit->ref.record_id == 1940911);
  CHECK(start->session_id == std::optional<std::uint32_t>(2));
  CHECK(start->parent_pid == std::optional<std::uint64_t>(292));
  // 70 ms lifetime (events.md 2.2).
  CHECK(exit->time - start->time == 700000);
  CHECK(log.relevant_counts.at(1) == 13);
  CHECK(log.relevant_counts.at(5) == 12);
}

TEST_CASE("Evtx corpus: Host Security logs: smss process starts", "[corpus][evtx]") {
  DiagnosticSink sink;
  const EventLogFile rathbun = read_ok("evtx/hosts/win10-19041-rathbunvm/Security.evtx", sink);
  CHECK(smss_starts(rathbun) == 12);
  CHECK(rathbun.records == 5229);
  CHECK(rathbun.relevant_counts.at(4688) == 45);
  CHECK(rathbun.header_dirty);

  const EventLogFile belka = read_ok("evtx/hosts/win10-1809-belkasoft/Security.evtx", sink);
  CHECK(smss_starts(belka) == 72);
  CHECK(belka.records == 5881);
  CHECK(belka.relevant_counts.at(4688) == 265);
  CHECK(belka.channel_name == "Security");
}

TEST_CASE("Evtx corpus: Host System log: Kernel-General boot and shutdown markers",
          "[corpus][evtx]") {
  DiagnosticSink sink;
  const EventLogFile sys = read_ok("evtx/hosts/win10-1809-belkasoft/System.evtx", sink);
  CHECK(sys.channel == facts::LogChannel::kSystem);
  CHECK(sys.relevant_counts.at(12) == 22);
  CHECK(sys.relevant_counts.at(13) == 18);
  CHECK(sys.relevant_counts.at(6008) == 3);
  const auto first_boot = std::find_if(
      sys.events.begin(), sys.events.end(), [](const Event& e) { return e.ref.event_id == 12; });
  REQUIRE(first_boot != sys.events.end());
  CHECK(first_boot->kind == EventKind::kBootStart);
  CHECK(first_boot->time == *iso8601_to_filetime("2020-08-01T21:47:55.5000000Z"));
}

TEST_CASE("Evtx corpus: Host LocalSessionManager log: session events", "[corpus][evtx]") {
  DiagnosticSink sink;
  const EventLogFile lsm = read_ok(
      "evtx/hosts/win10-1809-belkasoft/"
      "Microsoft-Windows-TerminalServices-LocalSessionManager%4Operational.evtx",
      sink);
  CHECK(lsm.channel == facts::LogChannel::kLocalSessionManager);
  CHECK(lsm.relevant_counts.at(21) == 18);
  CHECK(lsm.relevant_counts.at(40) == 25);
  const auto first = std::find_if(
      lsm.events.begin(), lsm.events.end(), [](const Event& e) { return e.ref.event_id == 21; });
  REQUIRE(first != lsm.events.end());
  CHECK(first->session_id == std::optional<std::uint32_t>(1));
  CHECK(first->address == "LOCAL");
}

TEST_CASE("Evtx corpus: Old Sysmon layout 1-A in a damaged file normalises correctly",
          "[corpus][evtx]") {
  DiagnosticSink sink;
  const std::string path = corpus_path("evtx/corrupt/sysmon.evtx");
  const EventLogFile log = read_ok("evtx/corrupt/sysmon.evtx", sink);
  CHECK(log.relevant_counts.at(1) == 227);
  const Event* ping = find_event(log, EventKind::kProcessStart, 9112);
  REQUIRE(ping != nullptr);
  CHECK(ping->ref.record_id == 1742);
  CHECK(ping->image == "C:\\Windows\\SysWOW64\\PING.EXE");
  CHECK(ping->parent_pid == std::optional<std::uint64_t>(8392));
  CHECK(ping->parent_image == "C:\\Windows\\SysWOW64\\cmd.exe");
  CHECK(ping->user_sid == "S-1-5-18");
  CHECK(ping->session_id == std::optional<std::uint32_t>(0));
  CHECK(ping->process_guid == "{94F748D5-4A45-5A42-0000-0010D265F20F}");
  CHECK(ping->time == *iso8601_to_filetime("2017-12-26T13:10:29.134Z"));
  // 8 of its 17 chunks are overwritten: reported once, with the count.
  CHECK(has_warning(sink, "evtx.chunk_signature", path));
}

TEST_CASE("Evtx corpus: Every damaged corpus file gives its documented outcome", "[corpus][evtx]") {
  struct Expected {
    const char* file;
    std::uint64_t events;            // relevant events still read
    std::set<std::string> warnings;  // warning codes expected
  };

  const std::vector<Expected> table{
      {"Application_no_crc32.evtx", 0, {"evtx.checksum"}},
      {"danderspritz-post-Security.evtx", 29, {"evtx.header_flags"}},
      {"danderspritz-pre-Security.evtx", 28, {}},
      {"issue_39.evtx", 0, {}},  // only slack fragments unreadable (info); see the next test
      // Its zero-size record breaks chunk 0's live chain at offset 2080 (evtx.record_chain).
      {"sample-with-zero-data-size-event.evtx", 33, {"evtx.checksum", "evtx.record_chain"}},
      // Chunks 0, 7 and 9 break their live chains before their last record.
      {"sample_with_a_bad_chunk_magic.evtx",
       0,
       {"evtx.chunk_signature", "evtx.checksum", "evtx.record_chain"}},
      {"security_bad_string_cache.evtx", 685, {"evtx.checksum"}},
      {"sysmon.evtx", 227, {"evtx.chunk_signature"}},
      {"truncated-System2.evtx", 60, {"evtx.truncated"}},
  };
  for (const Expected& x : table) {
    INFO(x.file);
    const std::string path = corpus_path(std::string("evtx/corrupt/") + x.file);
    DiagnosticSink sink;
    auto log = read_event_log(path, sink);
    REQUIRE(log);
    CHECK(log->events.size() == x.events);
    std::set<std::string> warnings;
    for (const auto& d : sink.items()) {
      CHECK(d.source == path);
      if (d.level == DiagLevel::kWarning) {
        warnings.insert(d.code);
      }
    }
    CHECK(warnings == x.warnings);
    // Damaged files also say what libevtx could not carve from slack.
    if (std::string(x.file) != "danderspritz-post-Security.evtx" &&
        std::string(x.file) != "danderspritz-pre-Security.evtx" &&
        std::string(x.file) != "sysmon.evtx" && std::string(x.file) != "truncated-System2.evtx") {
      CHECK(codes(sink).count("evtx.records_unreadable") == 1);
    }
  }

  DiagnosticSink sink;
  auto legacy = read_event_log(corpus_path("evtx/corrupt/legacy-SysEvent.Evt"), sink);
  REQUIRE_FALSE(legacy);
  CHECK(legacy.error().detail == "not an EVTX file (no ElfFile signature)");
}

TEST_CASE("Evtx corpus: issue_39: ill-formed XML renderings are counted once when checked",
          "[corpus][evtx]") {
  const std::string path = corpus_path("evtx/corrupt/issue_39.evtx");
  // Its 149 ill-formed renderings are LiveId events, which the pre-filter never renders.
  DiagnosticSink quick;
  EvtxReadStats quick_stats;
  auto fast = read_event_log(path, quick, &quick_stats);
  REQUIRE(fast);
  CHECK(quick_stats.malformed_xml == 0);
  CHECK(quick_stats.rendered <= 2);

  DiagnosticSink sink;
  EvtxReadStats stats;
  auto checked = read_event_log(path, sink, &stats, all_xml_options());
  REQUIRE(checked);
  CHECK(stats.malformed_xml == 149);
  CHECK(checked->unreadable == 149 + stats.unreadable_recovered);
  CHECK(checked->records == 394 - 149);
  const auto n = std::count_if(sink.items().begin(), sink.items().end(), [&](const Diagnostic& d) {
    return d.code == "evtx.xml_malformed" && d.source == path;
  });
  CHECK(n == 1);
}

TEST_CASE("Evtx corpus: Every corpus EVTX file reads without an error", "[corpus][evtx]") {
  namespace fs = std::filesystem;
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(corpus_path("evtx"))) {
    if (!entry.is_regular_file() || entry.path().extension() != ".evtx") {
      continue;
    }
    ++files;
    INFO(entry.path().string());
    DiagnosticSink sink;
    auto log = read_event_log(entry.path().string(), sink);
    REQUIRE(log);
    CHECK(log->records > 0);
    CHECK(log->first_time <= log->last_time);
    CHECK(
        std::is_sorted(log->events.begin(), log->events.end(), [](const Event& a, const Event& b) {
          return a.ref.record_id < b.ref.record_id;
        }));
  }
  CHECK(files >= 20);
}
