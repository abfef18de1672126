// Log replay on hives and logs built here byte by byte: every rule of registry.md 4.3 / 4.4 and
// hostile inputs (truncated logs, sizes pointing outside the file, wrong hashes, absurd bins
// sizes, logs of another hive). Each case asserts the outcome and the reason.
#include "smssaudit/readers/hive_replay.hpp"

#include "readers/marvin32.hpp"
#include "smssaudit/readers/hive_reader.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

using namespace smssaudit;

namespace {

using Bytes = std::vector<std::uint8_t>;

void put32(Bytes& b, std::size_t off, std::uint32_t v) {
  for (std::size_t i = 0; i < 4; ++i) {
    b[off + i] = static_cast<std::uint8_t>(v >> (8 * i));
  }
}

void put64(Bytes& b, std::size_t off, std::uint64_t v) {
  put32(b, off, static_cast<std::uint32_t>(v));
  put32(b, off + 4, static_cast<std::uint32_t>(v >> 32));
}

std::uint32_t le32(const Bytes& b, std::size_t off) {
  return static_cast<std::uint32_t>(b[off]) | (static_cast<std::uint32_t>(b[off + 1]) << 8) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24);
}

void sign(Bytes& b) {
  put32(b, 508, readers::base_block_checksum(b));
}

/// One 4096-byte hive bin at relative offset `rel`: header plus one free cell filled with `fill`.
Bytes hbin(std::uint32_t rel, std::uint8_t fill) {
  Bytes b(4096, fill);
  std::memcpy(b.data(), "hbin", 4);
  put32(b, 4, rel);
  put32(b, 8, 4096);
  std::fill(b.begin() + 12, b.begin() + 32, 0);
  put32(b, 32, 4096 - 32);
  return b;
}

constexpr std::uint64_t kTime = 0x01D2962F1C8A8600ULL;

/// A dirty primary (sequence `seq1`/`seq2`) with `bins` 4 KiB bins filled with 0x11.
Bytes primary(std::uint32_t seq1,
              std::uint32_t seq2,
              std::uint32_t bins,
              const char* name = "HIVE") {
  Bytes b(4096, 0);
  std::memcpy(b.data(), "regf", 4);
  put32(b, 4, seq1);
  put32(b, 8, seq2);
  put64(b, 12, kTime);
  put32(b, 20, 1);
  put32(b, 24, 5);
  put32(b, 32, 1);
  put32(b, 36, 0x20);
  put32(b, 40, bins * 4096);
  put32(b, 44, 1);
  for (std::size_t i = 0; name[i] != 0; ++i) {
    b[48 + 2 * i] = static_cast<std::uint8_t>(name[i]);
  }
  sign(b);
  for (std::uint32_t i = 0; i < bins; ++i) {
    const Bytes bin = hbin(i * 4096, 0x11);
    b.insert(b.end(), bin.begin(), bin.end());
  }
  return b;
}

struct Page {
  std::uint32_t offset;
  Bytes data;
};

/// One HvLE entry with correct Marvin32 hashes (registry.md 4.4 layout).
Bytes hvle(std::uint32_t seq, std::uint32_t bins_size, const std::vector<Page>& pages) {
  Bytes e(40 + 8 * pages.size(), 0);
  std::memcpy(e.data(), "HvLE", 4);
  put32(e, 12, seq);
  put32(e, 16, bins_size);
  put32(e, 20, static_cast<std::uint32_t>(pages.size()));
  for (std::size_t i = 0; i < pages.size(); ++i) {
    put32(e, 40 + 8 * i, pages[i].offset);
    put32(e, 44 + 8 * i, static_cast<std::uint32_t>(pages[i].data.size()));
  }
  for (const auto& p : pages) {
    e.insert(e.end(), p.data.begin(), p.data.end());
  }
  e.resize((e.size() + 511) / 512 * 512, 0);
  put32(e, 4, static_cast<std::uint32_t>(e.size()));
  put64(e, 24, readers::marvin32(std::span(e).subspan(40), readers::kRegistryLogMarvinSeed));
  put64(e, 32, readers::marvin32(std::span(e).first(32), readers::kRegistryLogMarvinSeed));
  return e;
}

/// Re-signs an entry at `off` after a test edited its header (so only the edit is "wrong").
void rehash(Bytes& log, std::size_t off) {
  const std::uint32_t size = le32(log, off + 4);
  const std::span<const std::uint8_t> e(log.data() + off, size);
  put64(log, off + 24, readers::marvin32(e.subspan(40), readers::kRegistryLogMarvinSeed));
  put64(log, off + 32, readers::marvin32(e.first(32), readers::kRegistryLogMarvinSeed));
}

/// A new-format log: the primary's base block with type 6 and sequence `seq`/`seq`, then entries.
Bytes new_log(const Bytes& prim, std::uint32_t seq, const std::vector<Bytes>& entries) {
  Bytes b(prim.begin(), prim.begin() + 512);
  put32(b, 4, seq);
  put32(b, 8, seq);
  put32(b, 28, 6);
  sign(b);
  for (const auto& e : entries) {
    b.insert(b.end(), e.begin(), e.end());
  }
  return b;
}

struct Run {
  readers::ReplayOutcome out;
  DiagnosticSink sink;
};

Run replay(const Bytes& prim,
           const std::vector<std::pair<std::string, Bytes>>& logs,
           const readers::ReplayOptions& options = {}) {
  std::vector<readers::LogInput> in;
  in.reserve(logs.size());
  for (const auto& [name, bytes] : logs) {
    in.push_back(readers::LogInput{name, bytes, {}});
  }
  Run r;
  auto res = readers::replay_hive(prim, "HIVE", in, r.sink, options);
  REQUIRE(res);
  r.out = std::move(res).value();
  return r;
}

bool page_is(const Bytes& image, std::uint32_t rel, const Bytes& data) {
  return image.size() >= 4096 + rel + data.size() &&
         std::equal(data.begin(), data.end(), image.begin() + 4096 + rel);
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

bool has_diag(const DiagnosticSink& sink, const std::string& code) {
  return std::any_of(sink.items().begin(), sink.items().end(), [&](const Diagnostic& d) {
    return d.code == code;
  });
}

}  // namespace

TEST_CASE("New-format entries are applied in sequence and the base block is rewritten",
          "[replay][readers]") {
  const Bytes prim = primary(6, 5, 2);
  const Bytes p0 = hbin(0, 0xA0);
  const Bytes p1 = hbin(4096, 0xA1);
  const Bytes log = new_log(prim, 5, {hvle(5, 8192, {{0, p0}}), hvle(6, 8192, {{4096, p1}})});
  const Run r = replay(prim, {{"HIVE.LOG1", log}});
  const auto& rep = r.out.report;
  CHECK(rep.dirty);
  CHECK(rep.performed);
  CHECK(rep.format == facts::LogFormat::kNew);
  CHECK(rep.entries_applied == 2);
  CHECK(page_is(r.out.image, 0, p0));
  CHECK(page_is(r.out.image, 4096, p1));
  // Both sequence numbers = the last applied entry, checksum valid again.
  CHECK(le32(r.out.image, 4) == 6);
  CHECK(le32(r.out.image, 8) == 6);
  CHECK(le32(r.out.image, 508) == readers::base_block_checksum(r.out.image));
  CHECK_FALSE(rep.sequence_gap);
}

TEST_CASE("A clean hive ignores its logs", "[replay][readers]") {
  const Bytes prim = primary(5, 5, 1);
  const Bytes log = new_log(prim, 5, {hvle(5, 4096, {{0, hbin(0, 0xA0)}})});
  const Run r = replay(prim, {{"HIVE.LOG1", log}});
  CHECK_FALSE(r.out.report.dirty);
  CHECK_FALSE(r.out.report.performed);
  CHECK(r.out.image == prim);
  CHECK(contains(r.out.report.logs.at(0).reason, "not dirty"));
}

TEST_CASE("Dual logs start with the one holding the earlier entries, whatever its name",
          "[replay][readers]") {
  const Bytes prim = primary(11, 10, 1);
  const Bytes early = hbin(0, 0xB0);
  const Bytes late = hbin(0, 0xB1);
  // LOG2 holds 10-11, LOG1 continues with 12: LOG2 must go first, LOG1's page must win.
  const Bytes log2 =
      new_log(prim, 10, {hvle(10, 4096, {{0, early}}), hvle(11, 4096, {{0, early}})});
  const Bytes log1 = new_log(prim, 12, {hvle(12, 4096, {{0, late}})});
  const Run r = replay(prim, {{"HIVE.LOG1", log1}, {"HIVE.LOG2", log2}});
  const auto& rep = r.out.report;
  CHECK(rep.entries_applied == 3);
  CHECK(page_is(r.out.image, 0, late));
  CHECK(le32(r.out.image, 8) == 12);
  REQUIRE(rep.entries.size() == 3);
  CHECK(rep.entries[0].log == "HIVE.LOG2");
  CHECK(rep.entries[2].log == "HIVE.LOG1");
}

TEST_CASE("Replay stops at the first gap and skips stale entries after it", "[replay][readers]") {
  const Bytes prim = primary(3, 2, 1);
  const Bytes good = hbin(0, 0xC0);
  const Bytes stale = hbin(0, 0xC1);
  const Bytes log = new_log(prim, 2, {hvle(2, 4096, {{0, good}}), hvle(7, 4096, {{0, stale}})});
  const Run r = replay(prim, {{"HIVE.LOG1", log}});
  const auto& rep = r.out.report;
  CHECK(rep.entries_applied == 1);
  CHECK(rep.entries_skipped == 1);
  CHECK(page_is(r.out.image, 0, good));
  CHECK(contains(rep.entries.at(1).reason, "does not continue the chain (expected 3)"));
}

TEST_CASE("Entries with a wrong hash, size or bins size stop the replay with the reason",
          "[replay][readers]") {
  const Bytes prim = primary(3, 2, 1);
  const Bytes good = hbin(0, 0xD0);
  const Bytes bad_page = hbin(0, 0xD1);
  const Bytes base = new_log(prim, 2, {hvle(2, 4096, {{0, good}}), hvle(3, 4096, {{0, bad_page}})});
  const std::size_t second = 512 + le32(base, 512 + 4);

  struct Case {
    const char* what;
    void (*edit)(Bytes&, std::size_t);
    const char* reason;
  };

  const Case cases[] = {
      {"page data changed", [](Bytes& l, std::size_t off) { l[off + 600] ^= 0xFF; }, "Hash-1"},
      {"header changed", [](Bytes& l, std::size_t off) { l[off + 8] ^= 1; }, "Hash-2"},
      {"size beyond the file",
       [](Bytes& l, std::size_t off) { put32(l, off + 4, 0xFFFFFE00U); },
       "runs past the end of the log"},
      {"size not a 512-multiple",
       [](Bytes& l, std::size_t off) { put32(l, off + 4, 1000); },
       "not a non-zero multiple of 512"},
      {"bins size not a 4096-multiple",
       [](Bytes& l, std::size_t off) {
         put32(l, off + 16, 5000);
         rehash(l, off);
       },
       "not a multiple of 4096"},
      {"absurd bins size",
       [](Bytes& l, std::size_t off) {
         put32(l, off + 16, 0xFFFFF000U);
         rehash(l, off);
       },
       "exceeds the image cap"},
      {"bins size beyond what the primary and the logs could fill",
       [](Bytes& l, std::size_t off) {
         // 64 MiB: below the 2 GiB option cap, far above the primary's bins plus the log bytes.
         put32(l, off + 16, 0x04000000U);
         rehash(l, off);
       },
       "exceeds the image cap"},
      {"page outside the bins",
       [](Bytes& l, std::size_t off) {
         put32(l, off + 40, 0x7FFFF000U);
         rehash(l, off);
       },
       "outside the entry's hive bins"},
      {"page count too large",
       [](Bytes& l, std::size_t off) {
         put32(l, off + 20, 0x10000000U);
         rehash(l, off);
       },
       "does not fit in the entry"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    Bytes log = base;
    c.edit(log, second);
    const Run r = replay(prim, {{"HIVE.LOG1", log}});
    const auto& rep = r.out.report;
    CHECK(rep.entries_applied == 1);
    CHECK(page_is(r.out.image, 0, good));  // the entry before the bad one stays applied
    REQUIRE(rep.entries.size() == 2);
    CHECK_FALSE(rep.entries[1].applied);
    CHECK(contains(rep.entries[1].reason, c.reason));
    CHECK(has_diag(r.sink, "replay.entry_invalid"));
    CHECK(le32(r.out.image, 8) == 2);
    CHECK(r.out.image.size() <= prim.size() + 4096);  // no growth from the bogus entry
  }
}

TEST_CASE("Truncated logs apply only their complete entries", "[replay][readers]") {
  const Bytes prim = primary(3, 2, 1);
  const Bytes good = hbin(0, 0xE0);
  Bytes log = new_log(prim, 2, {hvle(2, 4096, {{0, good}}), hvle(3, 4096, {{0, hbin(0, 0xE1)}})});
  log.resize(log.size() - 1000);
  const Run r = replay(prim, {{"HIVE.LOG1", log}});
  CHECK(r.out.report.entries_applied == 1);
  CHECK(contains(r.out.report.entries.at(1).reason, "runs past the end"));

  for (std::size_t cut : {0UL, 100UL, 511UL, 530UL}) {
    INFO("log cut to " << cut << " bytes");
    Bytes tiny(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(cut));
    const Run t = replay(prim, {{"HIVE.LOG1", tiny}});
    CHECK_FALSE(t.out.report.performed);
    CHECK(t.out.image == prim);
    CHECK_FALSE(t.out.report.logs.at(0).reason.empty());
  }
}

TEST_CASE("A log of another hive is refused", "[replay][readers]") {
  const Bytes prim = primary(3, 2, 1, "HIVE");
  const Bytes other = primary(3, 2, 1, "OTHER");
  const Bytes log = new_log(other, 2, {hvle(2, 4096, {{0, hbin(0, 0xF0)}})});
  const Run r = replay(prim, {{"HIVE.LOG1", log}});
  CHECK_FALSE(r.out.report.performed);
  CHECK(r.out.image == prim);
  CHECK(contains(r.out.report.logs.at(0).reason, "log of another hive"));
  CHECK(has_diag(r.sink, "replay.log_skipped"));
}

TEST_CASE("Logs older than the hive are stale and skipped", "[replay][readers]") {
  const Bytes prim = primary(21, 20, 1);
  const Bytes log = new_log(prim, 5, {hvle(5, 4096, {{0, hbin(0, 0xF1)}})});
  const Run r = replay(prim, {{"HIVE.LOG1", log}});
  CHECK_FALSE(r.out.report.performed);
  CHECK(contains(r.out.report.logs.at(0).reason, "below the hive's secondary sequence 20"));
  CHECK(contains(r.out.report.entries.at(0).reason, "not applied"));
}

TEST_CASE("A sequence gap is applied as Windows does, or refused by policy", "[replay][readers]") {
  const Bytes prim = primary(101, 100, 1);
  const Bytes page = hbin(0, 0xF2);
  const Bytes log = new_log(prim, 251, {hvle(251, 4096, {{0, page}})});

  const Run applied = replay(prim, {{"HIVE.LOG1", log}});
  CHECK(applied.out.report.performed);
  CHECK(applied.out.report.sequence_gap);
  CHECK(contains(applied.out.report.sequence_gap_note, "entries 100-250 are in no log"));
  CHECK(has_diag(applied.sink, "replay.sequence_gap"));
  CHECK(page_is(applied.out.image, 0, page));

  readers::ReplayOptions strict;
  strict.sequence_gap = readers::SequenceGapPolicy::kRefuse;
  const Run refused = replay(prim, {{"HIVE.LOG1", log}}, strict);
  CHECK_FALSE(refused.out.report.performed);
  CHECK(refused.out.image == prim);
  CHECK(contains(refused.out.report.logs.at(0).reason,
                 "logs do not continue the hive's sequence numbers"));
}

TEST_CASE("The image grows to the entry's bins size and invalid touched bins are healed",
          "[replay][readers]") {
  const Bytes prim = primary(3, 2, 1);
  Bytes garbage(4096, 0x5A);  // not an hbin: REGF note 10 replaces it by a dummy bin
  const Bytes log =
      new_log(prim, 2, {hvle(2, 3 * 4096, {{4096, hbin(4096, 0x77)}, {8192, garbage}})});
  const Run r = replay(prim, {{"HIVE.LOG1", log}});
  const auto& rep = r.out.report;
  CHECK(rep.hive_bins_size_after == 3 * 4096);
  CHECK(r.out.image.size() == 4096 + 3 * 4096);
  CHECK(page_is(r.out.image, 4096, hbin(4096, 0x77)));
  CHECK(rep.bins_healed == 1);
  CHECK(std::memcmp(r.out.image.data() + 4096 + 8192, "hbin", 4) == 0);
  CHECK(le32(r.out.image, 4096 + 8192 + 4) == 8192);
  CHECK(le32(r.out.image, 4096 + 8192 + 32) == 4096 - 32);  // one free cell
}

TEST_CASE("A bad primary base block is restored from the log with the newest entries",
          "[replay][readers]") {
  Bytes prim = primary(3, 2, 1);
  put32(prim, 508, 0xDEADBEEF);
  const Bytes older = new_log(primary(3, 2, 1), 2, {hvle(2, 4096, {{0, hbin(0, 0x31)}})});
  const Bytes newer = new_log(primary(3, 2, 1), 3, {hvle(3, 4096, {{0, hbin(0, 0x32)}})});
  const Run r = replay(prim, {{"HIVE.LOG1", older}, {"HIVE.LOG2", newer}});
  const auto& rep = r.out.report;
  CHECK_FALSE(rep.primary_base_block_valid);
  CHECK(rep.base_block_restored);
  CHECK(rep.base_block_source == "HIVE.LOG2");
  CHECK(page_is(r.out.image, 0, hbin(0, 0x32)));
  CHECK(le32(r.out.image, 28) == 0);  // file type back to primary
  CHECK(le32(r.out.image, 508) == readers::base_block_checksum(r.out.image));
  CHECK(contains(rep.logs.at(0).reason, "only the log with the latest entries"));
}

TEST_CASE("Not a hive is an error, a hive with no logs is reported dirty", "[replay][readers]") {
  DiagnosticSink sink;
  const Bytes junk(8192, 0x41);
  auto res = readers::replay_hive(junk, "JUNK", {}, sink);
  REQUIRE_FALSE(res);
  CHECK(res.error().code == ErrorCode::kHiveSignature);

  const Run r = replay(primary(3, 2, 1), {});
  CHECK(r.out.report.dirty);
  CHECK_FALSE(r.out.report.performed);
  CHECK(contains(r.out.report.summary, "no transaction log was found"));
  CHECK(has_diag(r.sink, "replay.not_recovered"));
}

// ------------------------------------------------------------------------------------------------
// Old format

namespace {

/// An old-format log for `prim`: base block type 1, sequence `seq`/`seq`, bins `bins_size`, DIRT
/// at 512, pages from the sector after the bitmap (not a fixed 1024).
Bytes old_log(const Bytes& prim,
              std::uint32_t seq,
              std::uint32_t bins_size,
              const std::vector<std::pair<std::uint32_t, Bytes>>& pages_by_bit) {
  Bytes b(prim.begin(), prim.begin() + 512);
  put32(b, 4, seq);
  put32(b, 8, seq);
  put32(b, 28, 1);
  put32(b, 40, bins_size);
  sign(b);
  const std::size_t bits = bins_size / 512;
  Bytes dirt(4 + (bits + 7) / 8, 0);
  std::memcpy(dirt.data(), "DIRT", 4);
  for (const auto& [bit, data] : pages_by_bit) {
    dirt[4 + bit / 8] = static_cast<std::uint8_t>(dirt[4 + bit / 8] | (1U << (bit % 8)));
  }
  b.insert(b.end(), dirt.begin(), dirt.end());
  b.resize((b.size() + 511) / 512 * 512, 0);
  auto sorted = pages_by_bit;
  std::sort(
      sorted.begin(), sorted.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  for (const auto& [bit, data] : sorted) {
    b.insert(b.end(), data.begin(), data.end());
  }
  return b;
}

/// The eight 512-byte pages of one 4 KiB block.
std::vector<std::pair<std::uint32_t, Bytes>> block_pages(std::uint32_t first_bit,
                                                         const Bytes& blk) {
  std::vector<std::pair<std::uint32_t, Bytes>> out;
  for (std::uint32_t i = 0; i < 8; ++i) {
    const std::ptrdiff_t from = std::ptrdiff_t{512} * i;
    out.emplace_back(first_bit + i, Bytes(blk.begin() + from, blk.begin() + from + 512));
  }
  return out;
}

}  // namespace

TEST_CASE("Old-format pages start at the sector after the bitmap, not at 1024",
          "[replay][readers]") {
  // 600 bins of 4 KiB: the bitmap is 600 bytes, so the pages start at align_up(516 + 600) = 1536.
  // A reader using a fixed 1024 would write the bitmap's tail into the hive instead.
  constexpr std::uint32_t kBins = 600;
  Bytes prim = primary(5, 4, kBins);
  const Bytes blk = hbin(4096 * 599, 0x99);
  const Bytes log = old_log(prim, 5, kBins * 4096, block_pages(599 * 8, blk));
  CHECK(log.size() == 1536 + 4096);
  const Run r = replay(prim, {{"HIVE.LOG", log}});
  const auto& rep = r.out.report;
  CHECK(rep.format == facts::LogFormat::kOld);
  CHECK(rep.recovered);
  CHECK(page_is(r.out.image, 599 * 4096, blk));
  REQUIRE(rep.entries.size() == 1);
  CHECK(rep.entries[0].offset == 1536);
  CHECK(rep.entries[0].page_count == 8);
  CHECK(rep.entries[0].target_offset == std::uint64_t{599} * 4096);
  CHECK(le32(r.out.image, 4) == 5);
  CHECK(le32(r.out.image, 8) == 5);
}

TEST_CASE("Old-format recovery stops at an invalid dirty hive bin", "[replay][readers]") {
  Bytes prim = primary(5, 4, 3);
  const Bytes good = hbin(0, 0x61);
  Bytes bad = hbin(8192, 0x62);
  put32(bad, 4, 0x1000);  // offset field does not match its position
  auto pages = block_pages(0, good);
  auto more = block_pages(16, bad);
  pages.insert(pages.end(), more.begin(), more.end());
  const Run r = replay(prim, {{"HIVE.LOG1", old_log(prim, 5, 3 * 4096, pages)}});
  const auto& rep = r.out.report;
  CHECK(rep.performed);
  CHECK_FALSE(rep.recovered);
  CHECK(page_is(r.out.image, 0, good));
  CHECK(page_is(r.out.image, 8192, hbin(8192, 0x11)));  // primary's bin kept
  REQUIRE(rep.entries.size() == 2);
  CHECK(rep.entries[0].applied);
  CHECK_FALSE(rep.entries[1].applied);
  CHECK(contains(rep.entries[1].reason, "dirty hive bin at 0x2000 is invalid"));
  CHECK(has_diag(r.sink, "replay.old_log_stopped"));
}

TEST_CASE("Old-format logs that are truncated, foreign in time or unsigned are skipped",
          "[replay][readers]") {
  const Bytes prim = primary(5, 4, 2);
  const Bytes log = old_log(prim, 5, 2 * 4096, block_pages(0, hbin(0, 0x71)));

  Bytes truncated(log.begin(), log.end() - 700);
  const Run t = replay(prim, {{"HIVE.LOG1", truncated}});
  CHECK_FALSE(t.out.report.performed);
  CHECK(contains(t.out.report.logs.at(0).reason, "log ends"));

  Bytes other_time = log;
  put64(other_time, 12, kTime + 1);
  sign(other_time);
  const Run o = replay(prim, {{"HIVE.LOG1", other_time}});
  CHECK_FALSE(o.out.report.performed);
  CHECK(contains(o.out.report.logs.at(0).reason, "last-written timestamp"));

  Bytes unsigned_seq = log;
  put32(unsigned_seq, 8, 4);  // log primary != secondary: not completely written
  sign(unsigned_seq);
  const Run u = replay(prim, {{"HIVE.LOG1", unsigned_seq}});
  CHECK_FALSE(u.out.report.performed);
  CHECK(contains(u.out.report.logs.at(0).reason, "not completely written"));

  Bytes huge_bins = log;
  put32(huge_bins, 40, 0xFFFFF000U);
  sign(huge_bins);
  const Run h = replay(prim, {{"HIVE.LOG1", huge_bins}});
  CHECK_FALSE(h.out.report.performed);
  CHECK(h.out.image.size() == prim.size());
}

TEST_CASE("An unreadable log is listed with its reason and a diagnostic", "[replay][readers]") {
  const Bytes prim = primary(3, 2, 1);
  const std::vector<readers::LogInput> in{{"HIVE.LOG1", {}, "permission denied"}};
  DiagnosticSink sink;
  auto res = readers::replay_hive(prim, "HIVE", in, sink);
  REQUIRE(res);
  CHECK_FALSE(res->report.performed);
  CHECK(res->report.logs.at(0).reason == "unreadable: permission denied");
  CHECK(has_diag(sink, "replay.log_skipped"));
}
