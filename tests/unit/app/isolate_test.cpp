// The isolated parser runner (app/isolate.hpp): bytes come back intact, however large; a child
// that crashes, fails or hangs becomes an Error naming the artifact; an isolated reader gives
// exactly what the in-process reader gives; the fault-injection hook works only in the child.
#include "app/isolate.hpp"

#include "smssaudit/evidence/file_source.hpp"
#include "smssaudit/facts/wire.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <unistd.h>

using namespace smssaudit;
using smssaudit::app::ParserRunner;
using smssaudit::app::run_in_child;

namespace {

/// Sets the fault hook for one scope (the test process is single-threaded).
class FaultHook {
 public:
  explicit FaultHook(const std::string& pattern) {
    ::setenv(app::kFaultCrashEnv, pattern.c_str(), 1);  // NOLINT(concurrency-mt-unsafe)
  }

  FaultHook(const FaultHook&) = delete;
  FaultHook& operator=(const FaultHook&) = delete;

  ~FaultHook() { ::unsetenv(app::kFaultCrashEnv); }  // NOLINT(concurrency-mt-unsafe)
};

std::string demo_system() {
  return testing::fixture_dir("demo_compromised") + "/SYSTEM";
}

std::string demo_security() {
  return testing::evtx_fixture_dir("demo_compromised") + "/Security.evtx";
}

}  // namespace

TEST_CASE(
    "isolate: the child's bytes come back intact, even when they are far beyond a pipe's "
    "buffer",
    "[app][isolate]") {
  const std::size_t size = 48U << 20;  // 48 MiB: the parent must read while the child writes
  auto r = run_in_child(
      "big",
      [size](const ByteSource*) {
        std::vector<std::uint8_t> v(size);
        for (std::size_t i = 0; i < v.size(); ++i) {
          v[i] = static_cast<std::uint8_t>(i * 131U);
        }
        return v;
      },
      std::chrono::seconds(0));
  REQUIRE(r.has_value());
  REQUIRE(r->size() == size);
  bool intact = true;
  for (std::size_t i = 0; i < r->size(); ++i) {
    intact = intact && (*r)[i] == static_cast<std::uint8_t>(i * 131U);
  }
  CHECK(intact);
}

TEST_CASE("isolate: a child killed by a signal is a lost artifact named in the error",
          "[app][isolate]") {
  auto r = run_in_child(
      "disk.raw@1048576:/Windows/System32/config/SYSTEM",
      [](const ByteSource*) -> std::vector<std::uint8_t> {
        (void)std::signal(SIGSEGV, SIG_DFL);
        (void)std::raise(SIGSEGV);
        return {1, 2, 3};
      },
      std::chrono::seconds(0));
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kParserCrashed);
  CHECK(r.error().context == "disk.raw@1048576:/Windows/System32/config/SYSTEM");
  CHECK(r.error().detail == "parser process crashed: killed by SIGSEGV");
}

TEST_CASE("isolate: a child that throws or exits non-zero is a lost artifact", "[app][isolate]") {
  auto threw = run_in_child(
      "a.evtx",
      [](const ByteSource*) -> std::vector<std::uint8_t> { throw std::runtime_error("boom"); },
      std::chrono::seconds(0));
  REQUIRE_FALSE(threw.has_value());
  CHECK(threw.error().code == ErrorCode::kParserCrashed);
  CHECK(threw.error().detail == "parser process failed: exit status 71");
  auto exited = run_in_child(
      "b.evtx",
      [](const ByteSource*) -> std::vector<std::uint8_t> { ::_exit(3); },
      std::chrono::seconds(0));
  REQUIRE_FALSE(exited.has_value());
  CHECK(exited.error().detail == "parser process failed: exit status 3");
}

TEST_CASE("isolate: a child past the timeout is killed and its artifact lost", "[app][isolate]") {
  const auto start = std::chrono::steady_clock::now();
  auto r = run_in_child(
      "slow.evtx",
      [](const ByteSource*) -> std::vector<std::uint8_t> {
        std::this_thread::sleep_for(std::chrono::seconds(60));
        return {};
      },
      std::chrono::seconds(1));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == ErrorCode::kParserCrashed);
  CHECK(r.error().detail.find("isolation timeout of 1 s") != std::string::npos);
  CHECK(took < std::chrono::seconds(20));
}

TEST_CASE("isolate: isolated hive and event-log reads equal the in-process reads",
          "[app][isolate]") {
  const ParserRunner direct{false, std::chrono::seconds(0)};
  const ParserRunner isolated{true, std::chrono::seconds(0)};
  {
    DiagnosticSink a;
    DiagnosticSink b;
    const auto x = direct.system_hive(demo_system(), a);
    const auto y = isolated.system_hive(demo_system(), b);
    REQUIRE(x.has_value());
    REQUIRE(y.has_value());
    // The wire encoding covers every field (see wire_test.cpp): equal bytes, equal facts.
    CHECK(facts::wire::encode(x, a.items()) == facts::wire::encode(y, b.items()));
    CHECK(y->control_sets.size() >= 2);
  }
  {
    auto source = evidence::open_file_source(demo_security());
    REQUIRE(source.has_value());
    readers::EvtxReadOptions options;
    options.compute_sha256 = true;
    DiagnosticSink a;
    DiagnosticSink b;
    DiagnosticSink c;
    const auto x = direct.event_log(**source, a, options);
    const auto y = isolated.event_log(**source, b, options);
    // As for a log inside a disk image: the child reads through this process.
    const ParserRunner served{true, std::chrono::seconds(0), true};
    const auto z = served.event_log(**source, c, options);
    REQUIRE(x.has_value());
    REQUIRE(y.has_value());
    REQUIRE(z.has_value());
    CHECK(facts::wire::encode(x, a.items()) == facts::wire::encode(y, b.items()));
    CHECK(facts::wire::encode(x, a.items()) == facts::wire::encode(z, c.items()));
    CHECK_FALSE(y->events.empty());
    CHECK(y->sha256.size() == 64);
    CHECK(z->sha256 == x->sha256);
  }
  {
    // A reader's own error crosses too, as an error rather than a crash.
    DiagnosticSink a;
    DiagnosticSink b;
    const auto x = direct.system_hive(demo_security(), a);  // not a hive
    const auto y = isolated.system_hive(demo_security(), b);
    REQUIRE_FALSE(x.has_value());
    REQUIRE_FALSE(y.has_value());
    CHECK(y.error().code == x.error().code);
    CHECK(y.error().message() == x.error().message());
    CHECK(b.items() == a.items());
  }
}

TEST_CASE("isolate: the fault hook crashes only an isolated parser of a matching artifact",
          "[app][isolate]") {
  const FaultHook hook("demo_compromised/Security.evtx");
  const ParserRunner direct{false, std::chrono::seconds(0)};
  const ParserRunner isolated{true, std::chrono::seconds(0)};
  auto source = evidence::open_file_source(demo_security());
  REQUIRE(source.has_value());
  DiagnosticSink sink;
  const auto lost = isolated.event_log(**source, sink, {});
  REQUIRE_FALSE(lost.has_value());
  CHECK(lost.error().code == ErrorCode::kParserCrashed);
  CHECK(lost.error().context == demo_security());
  CHECK(lost.error().detail == "parser process crashed: killed by SIGSEGV");
  CHECK(sink.items().empty());  // nothing from the dead child
  // In-process the hook is never read, and a non-matching artifact is not crashed.
  CHECK(direct.event_log(**source, sink, {}).has_value());
  CHECK(isolated.system_hive(demo_system(), sink).has_value());
}

namespace {

/// A source whose second half cannot be read, as a damaged image would be.
class HalfReadable final : public ByteSource {
 public:
  std::uint64_t size() const noexcept override { return 100; }

  const std::string& name() const noexcept override { return name_; }

  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::uint8_t> buf) const override {
    if (offset >= 50) {
      return fail(ErrorCode::kIo, name_, "sector " + std::to_string(offset) + " unreadable");
    }
    const std::size_t n = std::min<std::size_t>(buf.size(), 100 - offset);
    for (std::size_t i = 0; i < n; ++i) {
      buf[i] = static_cast<std::uint8_t>(offset + i);
    }
    return n;
  }

 private:
  std::string name_ = "img@0:/x.evtx";
};

}  // namespace

TEST_CASE("isolate: served reads give the child the parent's bytes and errors", "[app][isolate]") {
  const HalfReadable source;
  auto r = run_in_child(
      source.name(),
      [](const ByteSource* served) -> std::vector<std::uint8_t> {
        std::vector<std::uint8_t> out;
        if (served == nullptr || served->size() != 100 || served->name() != "img@0:/x.evtx") {
          return out;
        }
        std::array<std::uint8_t, 10> buf{};
        auto ok = served->read_at(40, buf);
        if (ok && *ok == 10) {
          out.insert(out.end(), buf.begin(), buf.end());
        }
        auto bad = served->read_at(60, buf);
        if (!bad) {
          const std::string m = bad.error().message() + "|" + to_string(bad.error().code);
          out.insert(out.end(), m.begin(), m.end());
        }
        return out;
      },
      std::chrono::seconds(0),
      &source);
  REQUIRE(r.has_value());
  REQUIRE(r->size() > 10);
  for (std::size_t i = 0; i < 10; ++i) {
    CHECK((*r)[i] == 40 + i);
  }
  CHECK(std::string(r->begin() + 10, r->end()) == "img@0:/x.evtx: sector 60 unreadable|io");
}
