// Generated fixture hives and event logs, truncated at many offsets and with flipped bytes, run
// through the reader functions in-process (each file's sweep in a forked child under a watchdog):
// no crash, bounded time, and a diagnostic or error wherever the format makes the damage visible.
#include "robustness/robustness_support.hpp"
#include "smssaudit/readers/evtx_reader.hpp"
#include "smssaudit/readers/hive_reader.hpp"
#include "smssaudit/readers/hive_replay.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace smssaudit;
using namespace smssaudit::testing;
using namespace smssaudit::testing::robust;

using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kHiveHead = 4096;
constexpr std::size_t kEvtxHead = 4096;
constexpr std::size_t kChunk = 65536;
constexpr int kWatchdogSeconds = 120;  // per file sweep; a sweep takes well under a second

bool has_warning(const DiagnosticSink& sink) {
  return std::any_of(sink.items().begin(), sink.items().end(), [](const Diagnostic& d) {
    return d.level == DiagLevel::kWarning || d.level == DiagLevel::kError;
  });
}

/// ~40 truncation points: the edges of every header and structure, the middle of bins/chunks,
/// then evenly spaced offsets; all below `size`.
std::vector<std::size_t> truncation_points(std::size_t size,
                                           std::size_t head,
                                           std::size_t unit,
                                           std::initializer_list<std::size_t> extra) {
  std::set<std::size_t> s{0, 1, 2, 3, 4, 7, 8, 31, 32, 48, 119, 120, 127, 128, 507, 508, 511, 512};
  for (const auto e : extra) {
    s.insert(e);
  }
  s.insert({head - 1, head, head + 1, head + 32, head + 512, head + unit / 2, size / 2, size - 1});
  for (std::size_t b = head; b < size; b += unit) {
    s.insert({b - 1, b, b + 1, b + unit / 2, b + unit - 1});
  }
  std::vector<std::size_t> out;
  for (const auto v : s) {
    if (v < size) {
      out.push_back(v);
    }
  }
  for (std::size_t i = 1; out.size() < 40 && i < 40; ++i) {
    out.push_back(size * i / 40);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// Deterministic flip positions: every header field listed, then random ones (fixed seed).
std::vector<std::size_t> flip_points(std::size_t size,
                                     std::initializer_list<std::size_t> fields,
                                     std::size_t random_count) {
  std::vector<std::size_t> out;
  for (const auto f : fields) {
    if (f < size) {
      out.push_back(f);
    }
  }
  std::mt19937 rng(20261124U);
  std::uniform_int_distribution<std::size_t> pos(0, size - 1);
  for (std::size_t i = 0; i < random_count; ++i) {
    out.push_back(pos(rng));
  }
  return out;
}

struct HiveSet {
  Bytes primary;
  std::vector<std::pair<std::string, Bytes>> logs;
};

HiveSet load_hive(const std::string& fixture) {
  HiveSet h;
  const fs::path dir = fixture_dir(fixture);
  h.primary = read_bytes(dir / "SYSTEM");
  for (const char* log : {"SYSTEM.LOG1", "SYSTEM.LOG2"}) {
    if (fs::exists(dir / log)) {
      h.logs.emplace_back((dir / log).string(), read_bytes(dir / log));
    }
  }
  return h;
}

/// The pipeline's hive path on bytes: parse the base block, replay the logs, read the image.
/// Returns true when something said the input is damaged (an error or a warning diagnostic).
bool read_hive_bytes(const Bytes& primary, const std::vector<std::pair<std::string, Bytes>>& logs) {
  DiagnosticSink sink;
  bool failed = false;
  const auto base = readers::parse_base_block(primary, primary.size());
  failed = failed || !base;
  std::vector<readers::LogInput> inputs;
  for (const auto& [path, bytes] : logs) {
    inputs.push_back(readers::LogInput{path, bytes, {}});
  }
  auto replayed = readers::replay_hive(primary, "SYSTEM", inputs, sink);
  if (replayed) {
    // Guard pages after the images: a read past their end faults (see GuardedBytes).
    const GuardedBytes image(replayed->image);
    auto hive = readers::read_system_hive_image(image.span(), "SYSTEM", sink);
    failed = failed || !hive;
  } else {
    failed = true;
  }
  const GuardedBytes guarded(primary);
  auto direct = readers::read_system_hive_image(guarded.span(), "SYSTEM", sink);
  failed = failed || !direct;
  return failed || has_warning(sink);
}

/// Reads an EVTX file with both engines; true when something said it is damaged.
bool read_evtx_file(const fs::path& path) {
  bool damaged = false;
  for (const auto engine : {readers::EvtxEngine::kNative, readers::EvtxEngine::kLibevtx}) {
    DiagnosticSink sink;
    readers::EvtxReadOptions options;
    options.engine = engine;
    options.workers = 2;
    auto r = readers::read_event_log(path.string(), sink, nullptr, options);
    damaged = damaged || !r || has_warning(sink);
  }
  return damaged;
}

const std::vector<std::string> kHives{"system_clean_win10",
                                      "demo_compromised",
                                      "dirty_with_logs",
                                      "log_hidden_bootexecute_new",
                                      "log_hidden_bootexecute_old",
                                      "bootexecute_binary_utf16"};

const std::vector<std::string> kEvtx{
    "boot_clean_win10_security/Security.evtx",
    "boot_clean_win10_sysmon/Microsoft-Windows-Sysmon%4Operational.evtx",
    "demo_compromised/System.evtx",
    "lin_busy_boot/Security.evtx",
    "writer_roundtrip/SecurityThreeChunks.evtx"};

}  // namespace

TEST_CASE("Robustness: truncated fixture hives never crash and are reported",
          "[robustness][hive]") {
  for (const auto& name : kHives) {
    const auto hive = load_hive(name);
    REQUIRE(hive.primary.size() > kHiveHead);
    const auto outcome = run_isolated(
        [&](const ChildReport& report) {
          int bad = 0;
          for (const auto t : truncation_points(hive.primary.size(), kHiveHead, 4096, {})) {
            const Bytes cut(hive.primary.begin(),
                            hive.primary.begin() + static_cast<std::ptrdiff_t>(t));
            if (!read_hive_bytes(cut, hive.logs)) {
              report.say("truncated at " + std::to_string(t) + ": no diagnostic");
              ++bad;
            }
          }
          // Truncated logs beside an intact primary: no crash (a clean hive ignores its logs).
          for (std::size_t i = 0; i < hive.logs.size(); ++i) {
            const auto& log = hive.logs[i].second;
            for (const auto t : truncation_points(log.size(), 512, 512, {})) {
              auto logs = hive.logs;
              logs[i].second.resize(t);
              static_cast<void>(read_hive_bytes(hive.primary, logs));
            }
          }
          return bad == 0 ? 0 : 1;
        },
        kWatchdogSeconds);
    INFO(name << ": " << outcome.describe());
    CHECK(outcome.ok());
  }
}

TEST_CASE("Robustness: fixture hives with flipped bytes never crash", "[robustness][hive]") {
  for (const auto& name : kHives) {
    const auto hive = load_hive(name);
    const auto outcome = run_isolated(
        [&](const ChildReport& report) {
          int bad = 0;
          // Base block fields (+0 signature, +4/+8 sequences, +28 type, +36 root, +40 bins size,
          // +44 clustering, +508 checksum), the first hbin header and the root nk.
          const auto points =
              flip_points(hive.primary.size(),
                          {0,    4,    8,    20,   24,   28,   32,   36,   37,   40,
                           41,   42,   44,   48,   508,  4096, 4100, 4104, 4105, 4106,
                           4128, 4129, 4130, 4132, 4148, 4152, 4156, 4168, 4172, 4200},
                          150);
          std::mt19937 rng(7U);
          for (const auto p : points) {
            Bytes flipped = hive.primary;
            flipped[p] = static_cast<std::uint8_t>(flipped[p] ^ (1U << (rng() % 8U)));
            const bool said = read_hive_bytes(flipped, hive.logs);
            // Every bit of 0..507 is covered by the base-block checksum.
            if (p < 508 && !said) {
              report.say("flip at " + std::to_string(p) + ": no diagnostic");
              ++bad;
            }
            flipped[p] = 0xFF;
            static_cast<void>(read_hive_bytes(flipped, hive.logs));
          }
          return bad == 0 ? 0 : 1;
        },
        kWatchdogSeconds);
    INFO(name << ": " << outcome.describe());
    CHECK(outcome.ok());
  }
}

TEST_CASE("Robustness: truncated fixture event logs never crash and are reported",
          "[robustness][evtx]") {
  for (const auto& rel : kEvtx) {
    const auto src = fs::path(std::string(SMSSAUDIT_FIXTURE_OUT) + "/evtx/" + rel);
    const auto bytes = read_bytes(src);
    REQUIRE(bytes.size() > kEvtxHead + kChunk - 1);
    const TempDir tmp;
    const auto outcome = run_isolated(
        [&](const ChildReport& report) {
          int bad = 0;
          for (const auto t : truncation_points(
                   bytes.size(), kEvtxHead, kChunk, {42, 4096 + 48, 4096 + 1000, 4096 + 40000})) {
            const auto path = tmp.path() / ("cut-" + std::to_string(t) + ".evtx");
            write_bytes(path, std::span<const std::uint8_t>(bytes).first(t));
            if (!read_evtx_file(path)) {
              report.say("truncated at " + std::to_string(t) + ": no diagnostic");
              ++bad;
            }
            fs::remove(path);
          }
          return bad == 0 ? 0 : 1;
        },
        kWatchdogSeconds);
    INFO(rel << ": " << outcome.describe());
    CHECK(outcome.ok());
  }
}

TEST_CASE("Robustness: fixture event logs with flipped bytes never crash", "[robustness][evtx]") {
  for (const auto& rel : kEvtx) {
    const auto src = fs::path(std::string(SMSSAUDIT_FIXTURE_OUT) + "/evtx/" + rel);
    const auto bytes = read_bytes(src);
    const TempDir tmp;
    const auto outcome = run_isolated(
        [&](const ChildReport& report) {
          int bad = 0;
          // File header: +8 first chunk, +16 last chunk, +24 next record id, +32 header size,
          // +36/+38 version, +40 header block size, +42 chunk count, +120 flags, +124 CRC.
          // Chunk: +8..+32 record numbers/ids, +40 header size, +44 last record, +48 free space,
          // +52 records CRC, +124 header CRC, +128 string table, +384 template table, +512 the
          // first record (+4 size, +8 id, +24 binary XML).
          const std::size_t c = kEvtxHead;
          const auto points =
              flip_points(bytes.size(),
                          {0,       8,       16,      24,      32,      36,      38,      40,
                           42,      43,      120,     124,     c,       c + 8,   c + 16,  c + 24,
                           c + 32,  c + 40,  c + 44,  c + 45,  c + 48,  c + 49,  c + 52,  c + 124,
                           c + 128, c + 384, c + 512, c + 516, c + 517, c + 520, c + 536, c + 537,
                           c + 538, c + 540, c + 542, c + 546, c + 550},
                          110);
          std::mt19937 rng(11U);
          const auto path = tmp.path() / "flipped.evtx";
          for (const auto p : points) {
            Bytes flipped = bytes;
            flipped[p] = static_cast<std::uint8_t>(flipped[p] ^ (1U << (rng() % 8U)));
            write_bytes(path, flipped);
            const bool said = read_evtx_file(path);
            // The file header's CRC covers 0..119, the chunk header's 0..119 and 128..511.
            const bool covered = p < 120 || (p >= 124 && p < 128) || (p >= c && p < c + 120) ||
                                 (p >= c + 124 && p < c + 512);
            if (covered && !said) {
              report.say("flip at " + std::to_string(p) + ": no diagnostic");
              ++bad;
            }
          }
          return bad == 0 ? 0 : 1;
        },
        kWatchdogSeconds);
    INFO(rel << ": " << outcome.describe());
    CHECK(outcome.ok());
  }
}
