// The EVTX reader over a ByteSource (issue 8): both engines read through ByteSource::read_at only,
// name everything after ByteSource::name(), hash the source while parsing (the same SHA-256 and
// size as evidence::describe_file), report progress from the merging thread, and intern the
// events' repeated strings (facts::Text).
#include "smssaudit/core/byte_source.hpp"
#include "smssaudit/core/diagnostics.hpp"
#include "smssaudit/evidence/evidence.hpp"
#include "smssaudit/facts/events.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>
#include <vector>

using namespace smssaudit;
using namespace smssaudit::readers;

namespace {

std::string sysmon_sample() {
  return smssaudit::testing::corpus_path("evtx/samples/privesc_unquoted_svc_sysmon_1_11.evtx");
}

std::string rathbun_security() {
  return smssaudit::testing::corpus_path("evtx/hosts/win10-19041-rathbunvm/Security.evtx");
}

std::vector<std::uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Bytes in memory under a name that is not a path (as a log inside a disk image would be); can
/// fail every read at or past `fail_from`, and counts the calls and the threads that made them.
class MemorySource final : public ByteSource {
 public:
  MemorySource(std::vector<std::uint8_t> bytes, std::string name)
      : bytes_(std::move(bytes)), name_(std::move(name)) {}

  [[nodiscard]] std::uint64_t size() const noexcept override { return bytes_.size(); }

  [[nodiscard]] Result<std::size_t> read_at(std::uint64_t offset,
                                            std::span<std::uint8_t> buf) const override {
    ++reads_;
    if (offset + buf.size() > fail_from_ && buf.size() > 0) {
      return fail(ErrorCode::kIo, name_, "injected read failure");
    }
    if (offset <= fail_once_at_ && fail_once_at_ < offset + buf.size()) {
      fail_once_at_ = ~std::uint64_t{0};
      return fail(ErrorCode::kIo, name_, "injected transient read failure");
    }
    if (offset >= bytes_.size()) {
      return std::size_t{0};
    }
    const std::size_t n = std::min<std::size_t>(buf.size(), bytes_.size() - offset);
    std::copy_n(bytes_.begin() + static_cast<std::ptrdiff_t>(offset), n, buf.begin());
    return n;
  }

  [[nodiscard]] const std::string& name() const noexcept override { return name_; }

  void will_need(std::uint64_t offset, std::uint64_t size) const noexcept override {
    const std::lock_guard lock(hints_mutex_);
    hints_.emplace_back(offset, size);
  }

  /// Every will_need() call, in order.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> hints() const {
    const std::lock_guard lock(hints_mutex_);
    return hints_;
  }

  void fail_from(std::uint64_t offset) { fail_from_ = offset; }

  /// The first read that covers `offset` fails; later ones succeed (a flaky device).
  void fail_once_at(std::uint64_t offset) { fail_once_at_ = offset; }

  std::uint64_t reads() const { return reads_.load(); }

 private:
  std::vector<std::uint8_t> bytes_;
  std::string name_;
  std::uint64_t fail_from_ = ~std::uint64_t{0};
  mutable std::uint64_t fail_once_at_ =
      ~std::uint64_t{0};  // read_at runs on one thread at a time here
  mutable std::atomic<std::uint64_t> reads_{0};
  mutable std::mutex hints_mutex_;
  mutable std::vector<std::pair<std::uint64_t, std::uint64_t>> hints_;
};

EvtxReadOptions engine(EvtxEngine e) {
  EvtxReadOptions o;
  o.engine = e;
  o.workers = 2;
  return o;
}

}  // namespace

TEST_CASE("Evtx ByteSource: Both engines read a source that is not a file, naming it",
          "[readers][evtx]") {
  const std::string path = sysmon_sample();
  const std::string name = "image.E01@1048576:/Windows/System32/winevt/Logs/Sysmon.evtx";
  for (const EvtxEngine e : {EvtxEngine::kNative, EvtxEngine::kLibevtx}) {
    MemorySource source(slurp(path), name);
    DiagnosticSink by_path_sink;
    DiagnosticSink by_source_sink;
    auto by_path = read_event_log(path, by_path_sink, nullptr, engine(e));
    auto by_source = read_event_log(source, by_source_sink, nullptr, engine(e));
    REQUIRE(by_path);
    REQUIRE(by_source);
    CHECK(source.reads() > 0);
    CHECK(by_source->path == name);
    CHECK(by_source->records == by_path->records);
    CHECK(by_source->channel_name == by_path->channel_name);
    REQUIRE(by_source->events.size() == by_path->events.size());
    REQUIRE_FALSE(by_source->events.empty());
    for (std::size_t i = 0; i < by_path->events.size(); ++i) {
      facts::Event a = by_path->events[i];
      const facts::Event& b = by_source->events[i];
      CHECK(b.ref.artifact == name);
      a.ref.artifact = name;
      CHECK(a.ref == b.ref);
      CHECK(a.image == b.image);
      CHECK(a.command_line == b.command_line);
      CHECK(a.pid == b.pid);
    }
    // Without compute_sha256 nothing is hashed.
    CHECK(by_source->sha256.empty());
    CHECK(by_source->size == 0);
  }
}

TEST_CASE("Evtx ByteSource: compute_sha256 gives describe_file's hash and size, either engine",
          "[readers][evtx]") {
  const std::string path = rathbun_security();
  auto described = evidence::describe_file(path, evidence::kKindEventLog);
  REQUIRE(described);
  for (const EvtxEngine e : {EvtxEngine::kNative, EvtxEngine::kLibevtx}) {
    EvtxReadOptions o = engine(e);
    o.compute_sha256 = true;
    DiagnosticSink sink;
    auto log = read_event_log(path, sink, nullptr, o);
    REQUIRE(log);
    CHECK(log->sha256 == described->sha256);
    CHECK(log->size == described->size);
  }
}

TEST_CASE("Evtx ByteSource: The hash covers what the native scanner did not read",
          "[readers][evtx]") {
  // The native scanner hashes the header and the chunks it merged; the rest is hashed after it.
  std::vector<std::uint8_t> bytes = slurp(rathbun_security());
  REQUIRE(bytes.size() > 4096 + 3 * 65536);
  SECTION("bytes past the last whole chunk") {
    bytes.resize(bytes.size() + 1000, 0x5A);
    MemorySource source(bytes, "tail");
    EvtxReadOptions o = engine(EvtxEngine::kNative);
    o.compute_sha256 = true;
    DiagnosticSink sink;
    auto log = read_event_log(source, sink, nullptr, o);
    REQUIRE(log);
    CHECK(log->sha256 == evidence::sha256_hex(bytes.data(), bytes.size()));
    CHECK(log->size == bytes.size());
  }
  SECTION("the rest of the file after a fallback to libevtx") {
    // Chunk 2 cannot be read the first time: the native scanner falls back there, libevtx reads
    // the file again and the hash continues from chunk 2.
    MemorySource source(bytes, "flaky");
    source.fail_once_at(4096 + 2 * 65536 + 100);
    EvtxReadOptions o = engine(EvtxEngine::kNative);
    o.compute_sha256 = true;
    DiagnosticSink sink;
    auto log = read_event_log(source, sink, nullptr, o);
    REQUIRE(log);
    const auto& items = sink.items();
    CHECK(std::any_of(items.begin(), items.end(), [](const Diagnostic& d) {
      return d.code == "evtx.native_fallback" && d.message.find("chunk 2") != std::string::npos;
    }));
    CHECK(log->sha256 == evidence::sha256_hex(bytes.data(), bytes.size()));
    CHECK(log->size == bytes.size());
  }
}

TEST_CASE("Evtx ByteSource: The native scanner asks for read-ahead over every chunk, in steps",
          "[readers][evtx]") {
  // Synthetic size: the rathbun log's chunks repeated to 40 MiB, more than the 16 MiB read-ahead.
  const std::vector<std::uint8_t> one = slurp(rathbun_security());
  std::vector<std::uint8_t> bytes(one.begin(), one.end());
  const std::size_t chunk_bytes = one.size() - 4096;
  while (bytes.size() < (std::size_t{40} << 20U)) {
    bytes.insert(bytes.end(),
                 one.begin() + 4096,
                 one.begin() + 4096 + static_cast<std::ptrdiff_t>(chunk_bytes));
  }
  MemorySource source(bytes, "big");
  DiagnosticSink sink;
  auto log = read_event_log(source, sink, nullptr, engine(EvtxEngine::kNative));
  REQUIRE(log);
  const auto hints = source.hints();
  REQUIRE_FALSE(hints.empty());
  std::uint64_t next = 4096;  // contiguous, ascending, from the first chunk to the last
  for (const auto& [offset, size] : hints) {
    CHECK(offset == next);
    CHECK(size > 0);
    CHECK(size <= std::uint64_t{4} << 20U);  // bounded steps, never the whole file at once
    next = offset + size;
  }
  CHECK(next == 4096 + (bytes.size() - 4096) / 65536 * 65536);
}

TEST_CASE("Evtx ByteSource: A source that fails part-way cannot be hashed: an error, not a hash",
          "[readers][evtx]") {
  MemorySource source(slurp(rathbun_security()), "broken");
  source.fail_from(source.size() - 100);
  EvtxReadOptions o = engine(EvtxEngine::kNative);
  o.compute_sha256 = true;
  DiagnosticSink sink;
  auto log = read_event_log(source, sink, nullptr, o);
  REQUIRE_FALSE(log);
  CHECK(log.error().context == "broken");
}

TEST_CASE("Evtx ByteSource: Progress comes from the reading thread, grows, and ends at the size",
          "[readers][evtx]") {
  const std::string path = rathbun_security();
  const auto size = static_cast<std::uint64_t>(slurp(path).size());
  for (const EvtxEngine e : {EvtxEngine::kNative, EvtxEngine::kLibevtx}) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> calls;
    bool other_thread = false;
    const std::thread::id caller = std::this_thread::get_id();
    EvtxReadOptions o = engine(e);
    o.progress = [&](std::uint64_t bytes, std::uint64_t records) {
      other_thread = other_thread || std::this_thread::get_id() != caller;
      calls.emplace_back(bytes, records);
    };
    DiagnosticSink sink;
    EvtxReadStats stats;
    auto log = read_event_log(path, sink, &stats, o);
    REQUIRE(log);
    CHECK_FALSE(other_thread);
    REQUIRE_FALSE(calls.empty());
    for (std::size_t i = 1; i < calls.size(); ++i) {
      CHECK(calls[i].first >= calls[i - 1].first);
      CHECK(calls[i].second >= calls[i - 1].second);
    }
    CHECK(calls.back().first == size);
    CHECK(calls.back().second == stats.live_records + stats.recovered_records);
  }
}

TEST_CASE("Evtx ByteSource: Events of one file share their repeated strings", "[readers][evtx]") {
  // One worker: values are interned per worker thread (with more, each may hold its own copy).
  EvtxReadOptions o = engine(EvtxEngine::kNative);
  o.workers = 1;
  DiagnosticSink sink;
  auto log = read_event_log(rathbun_security(), sink, nullptr, o);
  REQUIRE(log);
  REQUIRE(log->events.size() >= 2);
  const facts::Event& first = log->events.front();
  const facts::Event& last = log->events.back();
  CHECK(first.ref.artifact == rathbun_security());
  CHECK(first.ref.artifact.same_storage(last.ref.artifact));
  CHECK(first.ref.channel_name.same_storage(last.ref.channel_name));
}

TEST_CASE("Evtx ByteSource: Text compares by value and a pool shares equal values",
          "[readers][evtx]") {
  facts::TextPool pool;
  const facts::Text a = pool.intern("C:\\Windows\\System32\\smss.exe");
  const facts::Text b = pool.intern(std::string("C:\\Windows\\System32\\smss.exe"));
  const facts::Text c("C:\\Windows\\System32\\smss.exe");
  CHECK(a.same_storage(b));
  CHECK_FALSE(a.same_storage(c));
  CHECK(a == c);
  CHECK(a == "C:\\Windows\\System32\\smss.exe");
  CHECK(a != "smss.exe");
  CHECK(a.str() == "C:\\Windows\\System32\\smss.exe");
  const facts::Text empty = pool.intern("");
  CHECK(empty.empty());
  CHECK(empty == facts::Text());
  CHECK(empty.str().empty());
  CHECK(facts::Text("x") < facts::Text("y"));
}
