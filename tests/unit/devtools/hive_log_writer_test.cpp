// Tests of the transaction-log writer: the logs are parsed by a small walker written here from
// registry.md §4.2-4.4 (independent of src/devtools and of the replay engine), replayed onto the
// primary image and compared byte for byte with the target image the same spec describes.
#include "devtools/hive_log_writer.hpp"

#include "devtools/hive_spec_loader.hpp"
#include "devtools/hive_writer.hpp"
#include "readers/marvin32.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

namespace dt = smssaudit::devtools;
namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

// --- The walker ---------------------------------------------------------------------------------

std::uint32_t le32(std::span<const std::uint8_t> b, std::size_t at) {
  return b[at] | (static_cast<std::uint32_t>(b[at + 1]) << 8U) |
         (static_cast<std::uint32_t>(b[at + 2]) << 16U) |
         (static_cast<std::uint32_t>(b[at + 3]) << 24U);
}

std::uint64_t le64(std::span<const std::uint8_t> b, std::size_t at) {
  return le32(b, at) | (static_cast<std::uint64_t>(le32(b, at + 4)) << 32U);
}

bool has_sig(std::span<const std::uint8_t> b, std::size_t at, const std::string& sig) {
  return at + sig.size() <= b.size() && std::equal(sig.begin(), sig.end(), b.subspan(at).begin());
}

// registry.md §4.2: XOR of the 127 words before +508; 0 is stored as 1, 0xFFFFFFFF as 0xFFFFFFFE.
bool checksum_ok(std::span<const std::uint8_t> block) {
  std::uint32_t x = 0;
  for (std::size_t at = 0; at < 508; at += 4)
    x ^= le32(block, at);
  if (x == 0)
    x = 1;
  if (x == 0xFFFFFFFFU)
    x = 0xFFFFFFFEU;
  return le32(block, 508) == x;
}

std::uint64_t marvin(std::span<const std::uint8_t> bytes) {
  return smssaudit::readers::marvin32(bytes, smssaudit::readers::kRegistryLogMarvinSeed);
}

struct LogBase {
  bool signature = false;
  bool checksum = false;
  std::uint32_t primary_seq = 0;
  std::uint32_t secondary_seq = 0;
  std::uint64_t last_written = 0;
  std::uint32_t file_type = 0;
  std::uint32_t bins_size = 0;
};

LogBase read_base(std::span<const std::uint8_t> log) {
  LogBase b;
  if (log.size() < 512)
    return b;
  b.signature = has_sig(log, 0, "regf");
  b.checksum = checksum_ok(log.first(512));
  b.primary_seq = le32(log, 4);
  b.secondary_seq = le32(log, 8);
  b.last_written = le64(log, 12);
  b.file_type = le32(log, 28);
  b.bins_size = le32(log, 40);
  return b;
}

struct PageRef {
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
  std::size_t data_at = 0;  // offset of the page data inside the log file
};

struct HvleEntry {
  std::size_t at = 0;
  std::uint32_t size = 0;
  std::uint32_t flags = 0;
  std::uint32_t sequence = 0;
  std::uint32_t bins_size = 0;
  bool hash1_ok = false;
  bool hash2_ok = false;
  std::vector<PageRef> refs;
};

// A new-format log as walked: its bytes, its base block, the structurally valid entries from
// offset 512, and why the walk stopped ("" when the file ends exactly after an entry).
struct NewLog {
  std::span<const std::uint8_t> bytes;
  LogBase base;
  std::vector<HvleEntry> entries;
  std::string stop;
};

// Reads the page references and checks they lie inside the entry and inside the bins.
std::string read_refs(std::span<const std::uint8_t> log, HvleEntry& e, std::uint32_t count) {
  const std::size_t refs_end = 40 + 8 * std::size_t{count};
  if (refs_end > e.size)
    return "page refs past the entry";
  std::size_t data_at = e.at + refs_end;
  for (std::size_t k = 0; k < count; ++k) {
    const PageRef r{le32(log, e.at + 40 + 8 * k), le32(log, e.at + 44 + 8 * k), data_at};
    if (r.offset % 4096 != 0 || r.size == 0 || r.size % 4096 != 0)
      return "page ref not in whole 4 KiB pages";
    if (std::uint64_t{r.offset} + r.size > e.bins_size)
      return "page ref outside the entry's hive bins";
    data_at += r.size;
    e.refs.push_back(r);
  }
  if (data_at > e.at + e.size)
    return "page data past the entry";
  return "";
}

NewLog walk_new_log(std::span<const std::uint8_t> log) {
  NewLog out;
  out.bytes = log;
  out.base = read_base(log);
  std::size_t at = 512;
  while (at < log.size()) {
    if (at + 40 > log.size() || !has_sig(log, at, "HvLE")) {
      out.stop = "signature";
      return out;
    }
    HvleEntry e;
    e.at = at;
    e.size = le32(log, at + 4);
    if (e.size < 40 || e.size % 512 != 0 || at + e.size > log.size()) {
      out.stop = "size";
      return out;
    }
    e.flags = le32(log, at + 8);
    e.sequence = le32(log, at + 12);
    e.bins_size = le32(log, at + 16);
    if (e.bins_size == 0 || e.bins_size % 4096 != 0) {
      out.stop = "bins size";
      return out;
    }
    const auto entry = log.subspan(at, e.size);
    e.hash1_ok = marvin(entry.subspan(40)) == le64(log, at + 24);
    e.hash2_ok = marvin(entry.first(32)) == le64(log, at + 32);
    out.stop = read_refs(log, e, le32(log, at + 20));
    if (!out.stop.empty())
      return out;
    at += e.size;
    out.entries.push_back(std::move(e));
  }
  return out;
}

std::ptrdiff_t sd(std::size_t v) {
  return static_cast<std::ptrdiff_t>(v);
}

void grow(Bytes& image, std::uint32_t bins_size) {
  if (image.size() < 4096 + std::size_t{bins_size})
    image.resize(4096 + std::size_t{bins_size}, 0);
}

struct Replayed {
  Bytes image;
  std::uint32_t applied = 0;
  std::string stop;  // "" when every entry of every log applied
};

// Windows' rules (registry.md §4.4): the log whose base block has the lower sequence number goes
// first; entries continue from the hive's secondary sequence number one by one with both hashes
// right; the replay stops at the first violation. `check_hashes` false shows what the pages hold.
Replayed replay_new(const Bytes& primary,
                    const std::vector<dt::LogFile>& files,
                    bool check_hashes = true) {
  std::vector<NewLog> logs;
  logs.reserve(files.size());
  for (const auto& f : files)
    logs.push_back(walk_new_log(f.bytes));
  std::sort(logs.begin(), logs.end(), [](const NewLog& a, const NewLog& b) {
    return a.base.primary_seq < b.base.primary_seq;
  });
  Replayed r{primary, 0, ""};
  std::uint32_t expected = le32(primary, 8);
  for (const NewLog& log : logs) {
    for (const HvleEntry& e : log.entries) {
      if (e.sequence != expected) {
        r.stop = "sequence";
        return r;
      }
      if (check_hashes && (!e.hash1_ok || !e.hash2_ok)) {
        r.stop = "hash";
        return r;
      }
      grow(r.image, e.bins_size);
      for (const PageRef& p : e.refs) {
        std::copy_n(
            log.bytes.begin() + sd(p.data_at), p.size, r.image.begin() + sd(4096 + p.offset));
      }
      ++expected;
      ++r.applied;
    }
    if (!log.stop.empty()) {
      r.stop = log.stop;
      return r;
    }
  }
  return r;
}

// An old-format log as walked (registry.md §4.3).
struct OldLog {
  LogBase base;
  bool dirt = false;
  std::vector<std::size_t> pages;  // set bits, in bit order
  std::size_t pages_at = 0;
  bool complete = false;  // the file holds every page the bitmap promises
};

OldLog walk_old_log(std::span<const std::uint8_t> log) {
  OldLog out;
  out.base = read_base(log);
  out.dirt = has_sig(log, 512, "DIRT");
  const std::size_t bits = out.base.bins_size / 512;
  const std::size_t bitmap_bytes = (bits + 7) / 8;
  if (516 + bitmap_bytes > log.size())
    return out;
  for (std::size_t i = 0; i < bits; ++i) {
    // LSB first, as `bt` tests bits. Unsigned before the shift: GCC's -Wsign-conversion fires on
    // the promoted int in the UBSan build.
    const unsigned byte = log[516 + i / 8];
    if (((byte >> (i % 8)) & 1U) != 0)
      out.pages.push_back(i);
  }
  out.pages_at = (516 + bitmap_bytes + 511) / 512 * 512;
  out.complete = out.pages_at + 512 * out.pages.size() <= log.size();
  return out;
}

Bytes replay_old(const Bytes& primary, std::span<const std::uint8_t> log) {
  const OldLog walked = walk_old_log(log);
  Bytes image = primary;
  grow(image, walked.base.bins_size);
  for (std::size_t k = 0; k < walked.pages.size(); ++k) {
    std::copy_n(log.begin() + sd(walked.pages_at + 512 * k),
                512,
                image.begin() + sd(4096 + 512 * walked.pages[k]));
  }
  return image;
}

// --- Helpers
// --------------------------------------------------------------------------------------

std::uint32_t bins_size_of(const Bytes& image) {
  return le32(image, 40);
}

// The hive bins of `image` up to `target`'s bins size equal `target`'s bins byte for byte.
bool same_bins(const Bytes& image, const Bytes& target) {
  const std::size_t end = 4096 + std::size_t{bins_size_of(target)};
  return image.size() >= end && target.size() >= end &&
         std::equal(image.begin() + 4096, image.begin() + sd(end), target.begin() + 4096);
}

// `unit`-sized pages of `to`'s bins that differ from `from`'s (or lie beyond its end).
std::vector<std::size_t> differing_pages(const Bytes& from, const Bytes& to, std::size_t unit) {
  std::vector<std::size_t> out;
  const std::size_t to_bins = bins_size_of(to);
  const std::size_t from_bins = bins_size_of(from);
  for (std::size_t off = 0; off < to_bins; off += unit) {
    if (off + unit > from_bins || !std::equal(to.begin() + sd(4096 + off),
                                              to.begin() + sd(4096 + off + unit),
                                              from.begin() + sd(4096 + off))) {
      out.push_back(off / unit);
    }
  }
  return out;
}

// The 4 KiB pages an entry list references, in order.
std::vector<std::size_t> referenced_pages(const std::vector<HvleEntry>& entries) {
  std::vector<std::size_t> out;
  for (const auto& e : entries) {
    for (const auto& r : e.refs) {
      for (std::size_t off = r.offset; off < std::size_t{r.offset} + r.size; off += 4096)
        out.push_back(off / 4096);
    }
  }
  return out;
}

// A log's sector 0 is the primary's, except sequence numbers, file type, bins size, checksum.
bool base_matches_primary(std::span<const std::uint8_t> log, const Bytes& primary) {
  for (std::size_t at = 0; at < 508; ++at) {
    const bool varies = (at >= 4 && at < 12) || (at >= 28 && at < 32) || (at >= 40 && at < 44);
    if (!varies && log[at] != primary[at])
      return false;
  }
  return true;
}

struct Built {
  dt::FixtureSpec spec;
  Bytes primary;
  std::vector<Bytes> stages;
  std::vector<dt::LogFile> logs;
};

Built build(const std::string& yaml) {
  Built b;
  b.spec = dt::parse_fixture_spec(yaml, "mem.yaml");
  REQUIRE(b.spec.transaction_log.has_value());
  b.primary = dt::write_hive(b.spec.hive);
  for (const auto& stage : b.spec.transaction_log->stages)
    b.stages.push_back(dt::write_hive(stage));
  b.logs = dt::write_transaction_logs(b.spec.hive, *b.spec.transaction_log);
  return b;
}

const dt::LogFile& log_named(const Built& b, const std::string& suffix) {
  const auto it = std::find_if(
      b.logs.begin(), b.logs.end(), [&](const dt::LogFile& l) { return l.suffix == suffix; });
  REQUIRE(it != b.logs.end());
  return *it;
}

// A dirty hive whose Session Manager holds BootExecute and, in a subkey emitted after it, forty
// 600-byte values (about 7 bins): growing BootExecute shifts every later cell, so many pages
// change.
std::string hive_yaml(const std::string& transaction_log) {
  std::string yaml =
      "sequence: [6, 5]\n"
      "last_written: 2021-03-04T10:11:12Z\n"
      "keys:\n"
      "  'ControlSet001\\Control\\Session Manager':\n"
      "    BootExecute: ['autocheck autochk *']\n"
      "    ShutdownMark: 1\n"
      "  'ControlSet001\\Control\\Session Manager\\Zbig':\n";
  for (int k = 10; k < 50; ++k)
    yaml += "    V" + std::to_string(k) + ": '" + std::string(299, 'x') + "'\n";
  return yaml + transaction_log;
}

// The changes only the logs hold: a BootExecute payload long enough (4 KB) that the cells after
// it move past the free tail of their bin, so the shift reaches every later bin.
std::string payload() {
  return "  keys:\n"
         "    'ControlSet001\\Control\\Session Manager':\n"
         "      BootExecute: ['autocheck autochk *', 'hiddenpayload " +
         std::string(2000, 'p') + "']\n";
}

// A transaction_log block: `settings` lines (two-space indented), then the payload.
std::string tl(const std::string& settings) {
  return "transaction_log:\n" + settings + payload();
}

}  // namespace

TEST_CASE("New-format logs split the entries over two files and replay to the target byte for byte",
          "[devtools]") {
  const Built b = build(hive_yaml(tl("  format: new\n  files: [LOG1, LOG2]\n  entries: 3\n")));
  REQUIRE(b.logs.size() == 2);
  CHECK(b.logs[0].suffix == "LOG1");
  CHECK(b.logs[1].suffix == "LOG2");
  const Bytes& target = b.stages.back();
  // The primary file stays a dirty hive: 6/5 as the spec says.
  CHECK(le32(b.primary, 4) == 6);
  CHECK(le32(b.primary, 8) == 5);

  const NewLog log1 = walk_new_log(log_named(b, "LOG1").bytes);
  const NewLog log2 = walk_new_log(log_named(b, "LOG2").bytes);
  for (const NewLog* log : {&log1, &log2}) {
    CHECK(log->stop.empty());
    CHECK(log->base.signature);
    CHECK(log->base.checksum);
    CHECK(log->base.file_type == 6);
    CHECK(log->base.primary_seq == log->base.secondary_seq);
    REQUIRE_FALSE(log->entries.empty());
    CHECK(log->base.primary_seq == log->entries.front().sequence);
    CHECK(base_matches_primary(log->bytes, b.primary));
    for (const HvleEntry& e : log->entries) {
      CHECK(e.hash1_ok);
      CHECK(e.hash2_ok);
      CHECK(e.flags == 0);
      CHECK(e.bins_size == bins_size_of(target));
      CHECK(e.at % 512 == 0);
    }
  }
  // The first file takes ceil(3/2) entries; sequence numbers run 5, 6 | 7 across the files.
  REQUIRE(log1.entries.size() == 2);
  REQUIRE(log2.entries.size() == 1);
  CHECK(log1.entries[0].sequence == 5);
  CHECK(log1.entries[1].sequence == 6);
  CHECK(log2.entries[0].sequence == 7);

  // Exactly the pages of the target that differ from the primary, each once, in page order.
  std::vector<HvleEntry> all = log1.entries;
  all.insert(all.end(), log2.entries.begin(), log2.entries.end());
  const auto differing = differing_pages(b.primary, target, 4096);
  CHECK(differing.size() >= 3);
  CHECK(referenced_pages(all) == differing);

  const Replayed r = replay_new(b.primary, b.logs);
  CHECK(r.stop.empty());
  CHECK(r.applied == 3);
  CHECK(same_bins(r.image, target));
  // Without LOG2 the chain is incomplete and the image is not the target yet.
  const Replayed half = replay_new(b.primary, {log_named(b, "LOG1")});
  CHECK(half.applied == 2);
  CHECK_FALSE(same_bins(half.image, target));
}

TEST_CASE("order: lets LOG2 hold the earlier entries, and one file can hold the whole chain",
          "[devtools]") {
  SECTION("order") {
    const Built b = build(hive_yaml(tl("  files: [LOG1, LOG2]\n  order: [LOG2, LOG1]\n")));
    REQUIRE(b.logs.size() == 2);
    const NewLog log1 = walk_new_log(log_named(b, "LOG1").bytes);
    const NewLog log2 = walk_new_log(log_named(b, "LOG2").bytes);
    REQUIRE(log1.entries.size() == 1);
    REQUIRE(log2.entries.size() == 1);
    CHECK(log2.base.primary_seq == 5);
    CHECK(log2.entries[0].sequence == 5);
    CHECK(log1.base.primary_seq == 6);
    CHECK(log1.entries[0].sequence == 6);
    const Replayed r = replay_new(b.primary, b.logs);
    CHECK(r.applied == 2);
    CHECK(same_bins(r.image, b.stages.back()));
  }
  SECTION("a single log") {
    const Built b = build(hive_yaml(tl("  files: [LOG1]\n  entries: 2\n")));
    REQUIRE(b.logs.size() == 1);
    const NewLog log = walk_new_log(b.logs[0].bytes);
    CHECK(log.stop.empty());
    REQUIRE(log.entries.size() == 2);
    CHECK(log.base.primary_seq == 5);
    CHECK(log.entries[1].sequence == 6);
    const Replayed r = replay_new(b.primary, b.logs);
    CHECK(r.applied == 2);
    CHECK(same_bins(r.image, b.stages.back()));
  }
}

TEST_CASE("A log entry per stage leaves a consistent hive after each entry", "[devtools]") {
  const Built b =
      build(hive_yaml("transaction_log:\n"
                      "  entries:\n"
                      "    - keys:\n"
                      "        'ControlSet001\\Control\\Session Manager': {ShutdownMark: 2}\n"
                      "    - keys:\n"
                      "        'ControlSet001\\Control\\Session Manager':\n"
                      "          BootExecute: ['autocheck autochk *', 'hiddenpayload']\n"));
  REQUIRE(b.stages.size() == 2);
  REQUIRE(b.logs.size() == 2);
  // Stage 1 only rewrites a 4-byte inline value: one page, in LOG1.
  const NewLog log1 = walk_new_log(log_named(b, "LOG1").bytes);
  REQUIRE(log1.entries.size() == 1);
  CHECK(referenced_pages(log1.entries) == differing_pages(b.primary, b.stages[0], 4096));
  CHECK(referenced_pages(log1.entries).size() == 1);
  const Replayed first = replay_new(b.primary, {log_named(b, "LOG1")});
  CHECK(first.applied == 1);
  CHECK(same_bins(first.image, b.stages[0]));
  const Replayed both = replay_new(b.primary, b.logs);
  CHECK(both.applied == 2);
  CHECK(same_bins(both.image, b.stages[1]));
}

TEST_CASE("When the logged changes grow the hive, the entries carry the pages past its end",
          "[devtools]") {
  const Built b =
      build(hive_yaml("transaction_log:\n"
                      "  keys:\n"
                      "    'ControlSet001\\Control\\Session Manager\\Grown':\n"
                      "      Data: {type: REG_BINARY, data: {utf16: '" +
                      std::string(10000, 'y') + "'}}\n"));
  const Bytes& target = b.stages.back();
  REQUIRE(bins_size_of(target) > bins_size_of(b.primary));
  const NewLog log2 = walk_new_log(log_named(b, "LOG2").bytes);
  REQUIRE_FALSE(log2.entries.empty());
  CHECK(log2.entries.back().bins_size == bins_size_of(target));
  const auto pages = referenced_pages(log2.entries);
  CHECK(pages.back() == bins_size_of(target) / 4096 - 1);
  const Replayed r = replay_new(b.primary, b.logs);
  CHECK(r.applied == 2);
  CHECK(r.image.size() == 4096 + std::size_t{bins_size_of(target)});
  CHECK(same_bins(r.image, target));
}

TEST_CASE("Injected faults break exactly the named check of the named entry", "[devtools]") {
  const auto faulty = [](const std::string& what, int entry) {
    return build(hive_yaml(tl("  entries: 3\n  corrupt: {entry: " + std::to_string(entry) +
                              ", what: " + what + "}\n")));
  };
  SECTION("hash: Hash-1 is wrong, Hash-2 matches it, the page data is intact") {
    const Built b = faulty("hash", 2);
    const NewLog log1 = walk_new_log(log_named(b, "LOG1").bytes);
    REQUIRE(log1.entries.size() == 2);
    CHECK(log1.entries[0].hash1_ok);
    CHECK_FALSE(log1.entries[1].hash1_ok);
    CHECK(log1.entries[1].hash2_ok);
    const Replayed r = replay_new(b.primary, b.logs);
    CHECK(r.applied == 1);
    CHECK(r.stop == "hash");
    const Replayed unchecked = replay_new(b.primary, b.logs, false);
    CHECK(unchecked.applied == 3);
    CHECK(same_bins(unchecked.image, b.stages.back()));
  }
  SECTION("hash on the first entry: nothing applies") {
    const Built b = faulty("hash", 1);
    CHECK(replay_new(b.primary, b.logs).applied == 0);
  }
  SECTION("size: the size field points 512 bytes past the end of the file") {
    const Built b = faulty("size", 2);
    const auto& bytes = log_named(b, "LOG1").bytes;
    const NewLog log1 = walk_new_log(bytes);
    REQUIRE(log1.entries.size() == 1);
    CHECK(log1.stop == "size");
    const std::size_t at = log1.entries[0].at + log1.entries[0].size;
    CHECK(le32(bytes, at + 4) == bytes.size() - at + 512);
    CHECK(le32(bytes, at + 4) % 512 == 0);
    CHECK(marvin(std::span(bytes).subspan(at, 32)) == le64(bytes, at + 32));
    const Replayed r = replay_new(b.primary, b.logs);
    CHECK(r.applied == 1);
    CHECK(r.stop == "size");
  }
  SECTION("sequence_gap: N+2 follows N, every hash valid") {
    const Built b = faulty("sequence_gap", 2);
    const NewLog log1 = walk_new_log(log_named(b, "LOG1").bytes);
    const NewLog log2 = walk_new_log(log_named(b, "LOG2").bytes);
    REQUIRE(log1.entries.size() == 2);
    REQUIRE(log2.entries.size() == 1);
    CHECK(log1.entries[0].sequence == 5);
    CHECK(log1.entries[1].sequence == 7);
    CHECK(log2.entries[0].sequence == 8);
    CHECK(log2.base.primary_seq == 8);
    for (const auto* e : {&log1.entries[0], &log1.entries[1], &log2.entries[0]}) {
      CHECK(e->hash1_ok);
      CHECK(e->hash2_ok);
    }
    const Replayed r = replay_new(b.primary, b.logs);
    CHECK(r.applied == 1);
    CHECK(r.stop == "sequence");
  }
  SECTION("signature: HvLX, Hash-2 consistent with it") {
    const Built b = faulty("signature", 3);
    const auto& bytes = log_named(b, "LOG2").bytes;
    CHECK(has_sig(bytes, 512, "HvLX"));
    CHECK(marvin(std::span(bytes).subspan(512, 32)) == le64(bytes, 512 + 32));
    const NewLog log2 = walk_new_log(bytes);
    CHECK(log2.entries.empty());
    CHECK(log2.stop == "signature");
    const Replayed r = replay_new(b.primary, b.logs);
    CHECK(r.applied == 2);
    CHECK(r.stop == "signature");
  }
}

TEST_CASE("An old-format log carries a DIRT bitmap and the changed 512-byte pages", "[devtools]") {
  const Built b = build(hive_yaml(tl("  format: old\n  files: [LOG]\n")));
  REQUIRE(b.logs.size() == 1);
  CHECK(b.logs[0].suffix == "LOG");
  const auto& bytes = b.logs[0].bytes;
  const Bytes& target = b.stages.back();
  const OldLog log = walk_old_log(bytes);
  CHECK(log.base.signature);
  CHECK(log.base.checksum);
  CHECK(log.base.file_type == 1);
  // Valid only with primary == secondary == the hive's primary sequence number, and the same
  // last-written time as the primary (registry.md §4.3).
  CHECK(log.base.primary_seq == 6);
  CHECK(log.base.secondary_seq == 6);
  CHECK(log.base.last_written == le64(b.primary, 12));
  CHECK(log.base.bins_size == bins_size_of(target));
  CHECK(base_matches_primary(bytes, b.primary));
  CHECK(log.dirt);
  CHECK(log.pages_at == 1024);  // a small hive's bitmap fits in the first sector
  CHECK(log.pages == differing_pages(b.primary, target, 512));
  CHECK(bytes.size() == log.pages_at + 512 * log.pages.size());
  CHECK(same_bins(replay_old(b.primary, bytes), target));
}

TEST_CASE("An old-format log of a hive over 2 MB starts its pages after the bitmap, not at 1024",
          "[devtools]") {
  dt::HiveSpec primary;
  primary.primary_sequence = 41;
  primary.secondary_sequence = 40;
  dt::KeySpec sm = dt::KeySpec::named("Session Manager");
  sm.values.push_back(dt::ValueSpec{"BootExecute", dt::kRegMultiSz, Bytes(42, 0x41)});
  sm.values.push_back(dt::ValueSpec{"Zblob", dt::kRegBinary, Bytes(2200000, 0x5A)});
  primary.root.subkeys.push_back(std::move(sm));
  dt::TransactionLogSpec spec;
  spec.format = dt::LogFormat::kOld;
  spec.files = {"LOG1"};
  spec.stages = {primary};
  spec.stages[0].root.subkeys[0].values[0].data = Bytes(70, 0x42);  // shifts everything after
  const auto logs = dt::write_transaction_logs(primary, spec);
  REQUIRE(logs.size() == 1);
  const Bytes p = dt::write_hive(primary);
  const Bytes t = dt::write_hive(spec.stages[0]);
  REQUIRE(bins_size_of(t) > 2080768);
  const OldLog log = walk_old_log(logs[0].bytes);
  CHECK(log.dirt);
  CHECK(log.base.primary_seq == 41);
  CHECK(log.pages_at == (516 + std::size_t{bins_size_of(t)} / 4096 + 511) / 512 * 512);
  CHECK(log.pages_at > 1024);
  CHECK(log.complete);
  CHECK(log.pages == differing_pages(p, t, 512));
  CHECK(same_bins(replay_old(p, logs[0].bytes), t));
}

TEST_CASE("Old-format faults: a broken DIRT signature, a log cut short of its pages",
          "[devtools]") {
  const Built sig = build(hive_yaml(tl("  format: old\n  corrupt: {entry: 1, what: signature}\n")));
  REQUIRE(sig.logs.size() == 1);
  CHECK(sig.logs[0].suffix == "LOG1");
  CHECK(has_sig(sig.logs[0].bytes, 512, "DIRX"));
  CHECK(walk_old_log(sig.logs[0].bytes).complete);

  const Built cut = build(hive_yaml(tl("  format: old\n  corrupt: {entry: 1, what: size}\n")));
  const OldLog log = walk_old_log(cut.logs[0].bytes);
  CHECK(log.dirt);
  CHECK_FALSE(log.complete);
  CHECK(cut.logs[0].bytes.size() == log.pages_at + 512 * (log.pages.size() - 1));
}

TEST_CASE("transaction_log specs: one way to make logs, inheritance, strict settings",
          "[devtools]") {
  const auto error_of = [](const std::string& yaml) -> std::string {
    try {
      (void)dt::parse_fixture_spec(yaml, "mem.yaml");
    } catch (const dt::SpecError& e) {
      return e.what();
    }
    return "";
  };
  const std::string keys = "keys: {A: {V: 1}}\n";
  CHECK_THAT(error_of(keys + "logs: [LOG1]\n" + tl("")), Catch::Contains("not both"));
  CHECK_THAT(error_of(keys + tl("  bogus: 1\n")), Catch::Contains("bogus"));
  CHECK_THAT(error_of(keys + tl("  format: old\n  files: [LOG1, LOG2]\n")),
             Catch::Contains("one file"));
  CHECK_THAT(error_of(keys + tl("  format: mid\n")), Catch::Contains("format"));
  CHECK_THAT(error_of(keys + tl("  entries: 1\n")), Catch::Contains("at least one entry"));
  CHECK_THAT(error_of(keys + tl("  format: old\n  entries: 2\n")), Catch::Contains("entries"));
  CHECK_THAT(error_of(keys + tl("  corrupt: {entry: 3, what: hash}\n")), Catch::Contains("1..2"));
  CHECK_THAT(error_of(keys + tl("  corrupt: {entry: 1, what: bogus}\n")),
             Catch::Contains("sequence_gap"));
  CHECK_THAT(error_of(keys + tl("  format: old\n  corrupt: {entry: 1, what: hash}\n")),
             Catch::Contains("signature or size"));
  CHECK_THAT(error_of(keys + tl("  order: [LOG1, LOG]\n")), Catch::Contains("same files"));
  CHECK_THAT(error_of(keys + "transaction_log: {format: new}\n"),
             Catch::Contains("keys or delete"));
  CHECK_THAT(error_of(keys + tl("  entries:\n    - keys: {A: {V: 2}}\n")),
             Catch::Contains("in each entry"));
  CHECK_THAT(error_of(keys + "transaction_log:\n  delete: ['Missing']\n"),
             Catch::Contains("Missing"));

  const auto spec = dt::parse_fixture_spec(keys + tl("  files: [LOG2]\n"), "mem.yaml");
  CHECK(spec.logs.empty());
  CHECK(spec.log_suffixes() == std::vector<std::string>{"LOG2"});
  CHECK(spec.transaction_log->entries == 1);
  CHECK(spec.transaction_log->format == dt::LogFormat::kNew);
}

TEST_CASE("A base spec's transaction_log applies on top of the derived spec's primary tree",
          "[devtools]") {
  std::random_device rd;
  const fs::path dir = fs::temp_directory_path() / ("smssaudit-logspec-" + std::to_string(rd()));
  fs::create_directories(dir);
  std::ofstream(dir / "plain.yaml") << "logs: [LOG1, LOG2]\nkeys: {A: {V: 1}}\n";
  std::ofstream(dir / "logged.yaml") << "base: plain.yaml\nsequence: [3, 2]\n" << tl("");
  std::ofstream(dir / "derived.yaml") << "base: logged.yaml\nkeys: {B: {W: 2}}\n";
  std::ofstream(dir / "relogged.yaml") << "base: logged.yaml\nlogs: [LOG]\n";
  const auto logged = dt::load_fixture_spec(dir / "logged.yaml");
  const auto derived = dt::load_fixture_spec(dir / "derived.yaml");
  const auto relogged = dt::load_fixture_spec(dir / "relogged.yaml");
  fs::remove_all(dir);

  // The inherited `logs` give way to the spec's own transaction_log, and the other way round.
  CHECK(logged.logs.empty());
  CHECK(logged.log_suffixes() == std::vector<std::string>{"LOG1", "LOG2"});
  CHECK_FALSE(relogged.transaction_log.has_value());
  CHECK(relogged.log_suffixes() == std::vector<std::string>{"LOG"});

  REQUIRE(derived.transaction_log.has_value());
  const dt::HiveSpec& stage = derived.transaction_log->stages.back();
  CHECK(stage.root.find_subkey("B") != nullptr);  // the derived spec's own change
  const auto* sm = stage.root.find_subkey("ControlSet001");
  REQUIRE(sm != nullptr);
  CHECK(sm->find_subkey("Control") != nullptr);
  CHECK(derived.hive.root.find_subkey("ControlSet001") == nullptr);  // primary lacks the payload
  CHECK(derived.hive.primary_sequence == 3);
}

TEST_CASE("The log writer refuses entries it cannot fill", "[devtools]") {
  CHECK_THROWS_AS(build(hive_yaml(tl("  entries: 500\n"))), dt::HiveWriteError);
  CHECK_THROWS_AS(build(hive_yaml("transaction_log:\n"
                                  "  entries:\n"
                                  "    - keys: {'ControlSet001\\Control\\Session Manager': "
                                  "{ShutdownMark: 1}}\n"
                                  "    - keys: {'ControlSet001\\Control\\Session Manager': "
                                  "{ShutdownMark: 2}}\n")),
                  dt::HiveWriteError);
}

TEST_CASE("Every generated log fixture replays to the state its spec describes", "[devtools]") {
  std::size_t checked = 0;
  for (const auto& entry :
       fs::directory_iterator(smssaudit::testing::source_path("fixtures/hives"))) {
    if (entry.path().extension() != ".yaml")
      continue;
    const dt::FixtureSpec spec = dt::load_fixture_spec(entry.path());
    if (!spec.transaction_log)
      continue;
    const std::string name = entry.path().stem().string();
    INFO("fixture " << name);
    const fs::path dir = smssaudit::testing::fixture_dir(name);
    const auto read = [](const fs::path& p) {
      std::ifstream in(p, std::ios::binary);
      return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    const Bytes primary = read(dir / spec.hive_file);
    CHECK(primary == dt::write_hive(spec.hive));
    CHECK(le32(primary, 4) != le32(primary, 8));  // dirty, or no replay would apply the logs
    std::vector<dt::LogFile> logs;
    for (const auto& suffix : spec.log_suffixes())
      logs.push_back(dt::LogFile{suffix, read(dir / (spec.hive_file + "." + suffix))});
    const dt::TransactionLogSpec& tlog = *spec.transaction_log;
    const Bytes target = dt::write_hive(tlog.stages.back());
    if (tlog.format == dt::LogFormat::kOld) {
      CHECK(walk_old_log(logs.at(0).bytes).dirt == (tlog.corrupt != dt::LogCorruption::kSignature));
      if (tlog.corrupt == dt::LogCorruption::kNone)
        CHECK(same_bins(replay_old(primary, logs.at(0).bytes), target));
    } else if (tlog.corrupt == dt::LogCorruption::kNone) {
      const Replayed r = replay_new(primary, logs);
      CHECK(r.applied == tlog.entries);
      CHECK(same_bins(r.image, target));
    } else {
      // The chain stops before the corrupted entry; with one stage per entry, the hive is then
      // exactly the state of the last good stage.
      const Replayed r = replay_new(primary, logs);
      CHECK(r.applied == tlog.corrupt_entry - 1);
      if (tlog.stages.size() == tlog.entries && tlog.corrupt_entry > 1) {
        CHECK(same_bins(r.image, dt::write_hive(tlog.stages[tlog.corrupt_entry - 2])));
      }
    }
    ++checked;
  }
  CHECK(checked >= 4);
}
