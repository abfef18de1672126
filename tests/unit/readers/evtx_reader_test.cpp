// The EVTX reader (src/readers/evtx_reader.cpp) and its libevtx wrappers: signature sniffing,
// refusal of files it cannot read, the relevance pre-filter, and the structure scan. Small corpus
// files are read in place; damaged inputs of our own are written to a temp dir, never beside
// the corpus.
#include "smssaudit/readers/evtx_reader.hpp"

#include "readers/libyal/evtx_handle.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <filesystem>
#include <fstream>
#include <type_traits>
#include <unistd.h>

using namespace smssaudit;
using namespace smssaudit::readers;

namespace {

/// Reads through libevtx and renders every record, to check all of them are well-formed XML.
EvtxReadOptions all_xml_options() {
  EvtxReadOptions options;
  options.check_all_xml = true;
  return options;
}

namespace fs = std::filesystem;

// Functions, not namespace-scope strings: their construction may throw (cert-err58-cpp).
std::string rdp_tunnel() {
  return smssaudit::testing::corpus_path("evtx/samples/DE_RDP_Tunnel_5156.evtx");
}

std::string legacy_evt() {
  return smssaudit::testing::corpus_path("evtx/corrupt/legacy-SysEvent.Evt");
}

std::string truncated_log() {
  return smssaudit::testing::corpus_path("evtx/corrupt/truncated-System2.evtx");
}

/// A per-test directory under the system temp dir, removed afterwards.
class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("smssaudit-evtx-" + std::to_string(::getpid()))) {
    fs::create_directories(path_);
  }

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  TempDir(TempDir&&) = delete;
  TempDir& operator=(TempDir&&) = delete;

  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }

  std::string write(const std::string& name, const std::string& bytes) const {
    const fs::path p = path_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }

 private:
  fs::path path_;
};

bool has_code(const DiagnosticSink& sink, const std::string& code) {
  for (const auto& d : sink.items()) {
    if (d.code == code) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("Evtx reader: libevtx wrapper handles are distinct move-only types", "[readers][evtx]") {
  using libyal::EvtxError;
  using libyal::EvtxFile;
  using libyal::EvtxRecord;
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<EvtxFile>);
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<EvtxRecord>);
  STATIC_REQUIRE_FALSE(std::is_copy_constructible_v<EvtxError>);
  STATIC_REQUIRE(std::is_nothrow_move_constructible_v<EvtxRecord>);
  STATIC_REQUIRE_FALSE(std::is_convertible_v<EvtxRecord, EvtxFile>);
}

TEST_CASE("Evtx reader: libevtx gives the source name and a masked event id without rendering",
          "[readers][evtx]") {
  auto file = libyal::EvtxFile::open(rdp_tunnel());
  REQUIRE(file);
  REQUIRE(file->record_count().value_or(0) == 101);
  auto first = file->record(0);
  REQUIRE(first);
  CHECK(first->identifier().value_or(0) == 1);
  CHECK(first->event_identifier().value_or(0) == 1102);
  auto source = first->source_name();
  REQUIRE(source);
  CHECK(source->value_or("") == "Microsoft-Windows-Eventlog");
  auto xml = first->xml();
  REQUIRE(xml);
  CHECK(xml->find("<EventRecordID>227693</EventRecordID>") != std::string::npos);
  CHECK_FALSE(file->record(5000));  // out of range is an error, not a crash
}

TEST_CASE("Evtx reader: looks_like_evtx checks the ElfFile signature only", "[readers][evtx]") {
  TempDir tmp;
  CHECK(looks_like_evtx(rdp_tunnel()));
  CHECK_FALSE(looks_like_evtx(legacy_evt()));
  CHECK_FALSE(looks_like_evtx(tmp.write("empty.evtx", "")));
  CHECK_FALSE(looks_like_evtx(tmp.write("ten.evtx", "0123456789")));
  CHECK(looks_like_evtx(tmp.write("sig.evtx", std::string("ElfFile\0xy", 10))));
  CHECK_FALSE(looks_like_evtx(tmp.write("seven.evtx", "ElfFile")));
  CHECK_FALSE(looks_like_evtx("/nonexistent/dir/Security.evtx"));
}

TEST_CASE("Evtx reader: Files that are not EVTX are refused with an error naming them",
          "[readers][evtx]") {
  TempDir tmp;
  DiagnosticSink sink;
  auto legacy = read_event_log(legacy_evt(), sink);
  REQUIRE_FALSE(legacy);
  CHECK(legacy.error().context == legacy_evt());
  CHECK(legacy.error().detail == "not an EVTX file (no ElfFile signature)");

  for (const std::string& p : {tmp.write("empty.evtx", ""),
                               tmp.write("ten.evtx", "0123456789"),
                               tmp.write("sig-only.evtx", std::string("ElfFile\0xy", 10)),
                               std::string("/nonexistent/dir/Security.evtx")}) {
    auto r = read_event_log(p, sink);
    REQUIRE_FALSE(r);
    CHECK(r.error().context == p);
    CHECK_FALSE(r.error().detail.empty());
  }
  CHECK(sink.items().empty());
}

TEST_CASE("Evtx reader: A header-only EVTX file reads as empty, not as an error",
          "[readers][evtx]") {
  TempDir tmp;
  // The first 4096 bytes of a real log, without any chunk.
  std::ifstream in(rdp_tunnel(), std::ios::binary);
  std::string header(4096, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header.size()));
  const std::string p = tmp.write("header-only.evtx", header);
  DiagnosticSink sink;
  auto r = read_event_log(p, sink);
  // libevtx accepts the header; our scan says the declared chunk is missing.
  REQUIRE(r);
  CHECK(r->records == 0);
  CHECK(r->events.empty());
  CHECK(r->channel_name.empty());
  CHECK(r->channel == facts::LogChannel::kOther);
  CHECK(has_code(sink, "evtx.truncated"));
}

TEST_CASE("Evtx reader: Only relevant records are rendered as XML", "[readers][evtx]") {
  DiagnosticSink sink;
  EvtxReadStats stats;
  auto log = read_event_log(rdp_tunnel(), sink, &stats);
  REQUIRE(log);
  CHECK(stats.live_records == 101);
  CHECK(log->records == 101);
  CHECK(log->events.size() == 23);  // 1102 + 17 x 4688 + 5 x 4624
  // One render per relevant record plus one probe for the channel of the unrelated provider
  // records (5156, 4648, ... all share Security-Auditing, already known from 4688).
  CHECK(stats.rendered == log->events.size() + stats.channel_probes);
  CHECK(stats.channel_probes <= 2);

  EvtxReadStats all;
  DiagnosticSink sink2;
  auto checked = read_event_log(rdp_tunnel(), sink2, &all, all_xml_options());
  REQUIRE(checked);
  CHECK(all.rendered >= all.live_records);
  CHECK(checked->events.size() == log->events.size());
}

TEST_CASE("Evtx reader: Exported files: events cite the XML EventRecordID", "[readers][evtx]") {
  DiagnosticSink sink;
  auto log = read_event_log(rdp_tunnel(), sink);
  REQUIRE(log);
  // The record headers are renumbered 1..101; the XML keeps the Security log's numbering.
  CHECK(log->first_record_id == 1);
  CHECK(log->last_record_id == 101);
  REQUIRE_FALSE(log->events.empty());
  CHECK(log->events.front().ref.record_id == 227693);
  CHECK(log->events.front().kind == facts::EventKind::kLogCleared);
  CHECK(has_code(sink, "evtx.renumbered"));
  CHECK(log->channel_name == "Security");
  CHECK(log->channel == facts::LogChannel::kSecurity);
  CHECK_FALSE(log->header_dirty);
}

TEST_CASE("Evtx reader: The structure scan sees a truncated file", "[readers][evtx]") {
  auto layout = read_evtx_layout(truncated_log());
  REQUIRE(layout);
  CHECK(layout->signature_ok);
  CHECK(layout->header_chunks == 96);
  CHECK(layout->chunks_in_file == 2);
  CHECK(layout->chunks_valid == 2);
  CHECK(layout->truncated());
  CHECK((layout->flags & 1U) == 1U);

  auto clean = read_evtx_layout(rdp_tunnel());
  REQUIRE(clean);
  CHECK_FALSE(clean->truncated());
  CHECK(clean->header_crc_ok);
  CHECK(clean->chunk_header_crc_bad == 0);
  CHECK(clean->chunk_data_crc_bad == 0);
  CHECK(clean->chunks_bad_magic == 0);
}
