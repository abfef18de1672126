// Replays every saved fuzzer input (tests/robustness/regressions/<target>/) through the fuzz
// target's own body (fuzz/fuzz_targets.hpp), in a forked child under a watchdog, in the normal
// g++ build: a crash, a hang or an escaping exception fails the test and names the file.
// regressions/evtx/ holds EVTX reproducers whose fix belongs to the EVTX reader (see its README):
// they run too, but a failure there is reported without failing the suite ([!mayfail]).
#include "../../fuzz/fuzz_targets.hpp"
#include "robustness/robustness_support.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace smssaudit;
using namespace smssaudit::testing;
using namespace smssaudit::testing::robust;

constexpr int kWatchdogSeconds = 60;

using Body = std::function<bool(fuzz::Input)>;

const std::map<std::string, Body>& bodies() {
  static const std::map<std::string, Body> kBodies{
      {"base_block",
       [](fuzz::Input in) {
         return fuzz::run_base_block(in), true;
       }},
      {"replay",
       [](fuzz::Input in) {
         return fuzz::run_replay(in), true;
       }},
      {"hive_reader",
       [](fuzz::Input in) {
         return fuzz::run_hive_reader(in), true;
       }},
      {"evtx_native",
       [](fuzz::Input in) {
         return fuzz::run_evtx(in, readers::EvtxEngine::kNative), true;
       }},
      {"evtx_libevtx",
       [](fuzz::Input in) {
         return fuzz::run_evtx(in, readers::EvtxEngine::kLibevtx), true;
       }},
      {"evtx_xml",
       [](fuzz::Input in) {
         return fuzz::run_evtx_xml(in), true;
       }},
      {"rules",
       [](fuzz::Input in) {
         return fuzz::run_rules(in);
       }},
      {"locate",
       [](fuzz::Input in) {
         return fuzz::run_locate(in), true;
       }},
  };
  return kBodies;
}

std::vector<fs::path> inputs_of(const std::string& target) {
  std::vector<fs::path> out;
  const fs::path dir = source_path("tests/robustness/regressions/" + target);
  if (!fs::is_directory(dir)) {
    return out;
  }
  for (const auto& e : fs::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (e.is_regular_file() && !name.starts_with('.') && e.path().extension() != ".md") {
      out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

ChildOutcome replay_input(const Body& body, const fs::path& file) {
  const auto bytes = read_bytes(file);
  return run_isolated(
      [&](const ChildReport& report) {
        // The input ends at a guard page, so an over-read crashes here as it did under ASan.
        const GuardedBytes guarded(bytes);
        if (!body(guarded.span())) {
          report.say("an exception escaped");
          return 1;
        }
        return 0;
      },
      kWatchdogSeconds);
}

}  // namespace

TEST_CASE("Robustness: saved fuzzer inputs no longer crash their target", "[robustness][fuzz]") {
  std::size_t replayed = 0;
  for (const auto& [target, body] : bodies()) {
    for (const auto& file : inputs_of(target)) {
      const auto outcome = replay_input(body, file);
      INFO(target << " " << file.filename().string() << ": " << outcome.describe());
      CHECK(outcome.ok());
      ++replayed;
    }
  }
  // The bodies themselves are exercised even before any regression input exists.
  const std::vector<std::uint8_t> empty;
  for (const auto& [target, body] : bodies()) {
    const auto outcome =
        run_isolated([&](const ChildReport&) { return body(empty) ? 0 : 1; }, kWatchdogSeconds);
    INFO(target << " (empty input): " << outcome.describe());
    CHECK(outcome.ok());
  }
  INFO(replayed << " saved inputs replayed");
  SUCCEED();
}

TEST_CASE("Robustness: EVTX reproducers awaiting a fix in the EVTX reader",
          "[robustness][fuzz][evtx][!mayfail]") {
  for (const auto& file : inputs_of("evtx")) {
    for (const auto engine : {readers::EvtxEngine::kNative, readers::EvtxEngine::kLibevtx}) {
      const auto outcome = replay_input(
          [engine](fuzz::Input in) {
            fuzz::run_evtx(in, engine);
            return true;
          },
          file);
      INFO(file.filename().string()
           << (engine == readers::EvtxEngine::kNative ? " native" : " libevtx") << ": "
           << outcome.describe());
      CHECK(outcome.ok());
    }
  }
}
