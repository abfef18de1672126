// Ground truth for log replay: the corpus dirty hives against the files Windows itself produced
// when it recovered them (RecoveredHive_*), compared key by key through the project's libregf
// wrappers (replayed image read from memory) and byte by byte over the hive bins.
#include "readers/libyal/regf_handle.hpp"
#include "smssaudit/readers/hive_reader.hpp"
#include "smssaudit/readers/hive_replay.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"
#include "support/time_scale.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace smssaudit;
using readers::libyal::BfioHandle;
using readers::libyal::RegfFile;
using readers::libyal::RegfKey;

namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::uint32_t le32(const Bytes& b, std::size_t off) {
  return static_cast<std::uint32_t>(b[off]) | (static_cast<std::uint32_t>(b[off + 1]) << 8) |
         (static_cast<std::uint32_t>(b[off + 2]) << 16) |
         (static_cast<std::uint32_t>(b[off + 3]) << 24);
}

readers::ReplayOutcome replay_corpus(const std::string& rel,
                                     DiagnosticSink& sink,
                                     const readers::ReplayOptions& options = {}) {
  const std::string path = testing::corpus_path(rel);
  auto out = readers::replay_hive_files(path, readers::find_hive_logs(path), sink, options);
  REQUIRE(out);
  return std::move(out).value();
}

/// A whole tree as sorted lines: "K path lastwritten" and "V path name type hexdata", plus a
/// count of keys or values libregf flags as corrupted or cannot read.
struct Tree {
  std::vector<std::string> lines;
  int problems = 0;
};

std::string hex(const std::vector<std::uint8_t>& data) {
  std::string s;
  s.reserve(data.size() * 2);
  for (auto b : data) {
    s += fmt::format("{:02x}", b);
  }
  return s;
}

void walk_values(const RegfKey& key, const std::string& path, Tree& t) {
  auto count = key.value_count();
  if (!count) {
    ++t.problems;
    return;
  }
  for (int i = 0; i < *count; ++i) {
    auto v = key.value(i);
    if (!v) {
      ++t.problems;
      continue;
    }
    auto name = v->name();
    auto type = v->type();
    if (auto bad = v->is_corrupted(); !bad || *bad) {
      ++t.problems;
    }
    std::size_t full = 0;
    auto data = v->data(std::size_t{64} << 20, full);
    if (!name || !type || !data) {
      ++t.problems;
      continue;
    }
    t.lines.push_back("V\t" + path + "\t" + *name + "\t" + std::to_string(*type) + "\t" +
                      hex(*data));
  }
}

void walk(const RegfKey& key, const std::string& path, Tree& t) {
  auto lw = key.last_written();
  // libregf 20201007 also raises its corruption flag on keys without values (value list offset
  // 0xFFFFFFFF), as the hive reader notes; only keys with values make the flag meaningful.
  auto corrupted = key.is_corrupted();
  auto values = key.value_count();
  const bool flag_meaningful = !values || *values > 0;
  if (!lw || !corrupted || (flag_meaningful && *corrupted)) {
    ++t.problems;
  }
  t.lines.push_back("K\t" + path + "\t" + (lw ? std::to_string(*lw) : std::string("?")));
  walk_values(key, path, t);
  auto n = key.subkey_count();
  if (!n) {
    ++t.problems;
    return;
  }
  for (int i = 0; i < *n; ++i) {
    auto sub = key.subkey(i);
    auto name = sub ? sub->name() : Result<std::string>(fail(ErrorCode::kHiveStructure, "", ""));
    if (!sub || !name) {
      ++t.problems;
      continue;
    }
    walk(*sub, path + "\\" + *name, t);
  }
}

Tree tree_of(Result<RegfFile> file) {
  REQUIRE(file);
  auto root = file->root_key();
  REQUIRE(root);
  Tree t;
  walk(*root, "", t);
  std::sort(t.lines.begin(), t.lines.end());
  return t;
}

/// The replayed image, opened by libregf through a libbfio memory range (no file involved).
Tree tree_of_image(const Bytes& image) {
  auto io = BfioHandle::open_memory(image, nullptr);
  REQUIRE(io);
  return tree_of(RegfFile::open_io(std::move(*io), "replayed image", nullptr));
}

Tree tree_of_file(const std::string& rel) {
  return tree_of(RegfFile::open(testing::corpus_path(rel), nullptr));
}

/// First differing lines, for the failure message.
std::string first_differences(const Tree& a, const Tree& b) {
  std::vector<std::string> only_a;
  std::vector<std::string> only_b;
  std::set_difference(
      a.lines.begin(), a.lines.end(), b.lines.begin(), b.lines.end(), std::back_inserter(only_a));
  std::set_difference(
      b.lines.begin(), b.lines.end(), a.lines.begin(), a.lines.end(), std::back_inserter(only_b));
  std::string s;
  for (std::size_t i = 0; i < only_a.size() && i < 5; ++i) {
    s += "replayed only: " + only_a[i].substr(0, 200) + "\n";
  }
  for (std::size_t i = 0; i < only_b.size() && i < 5; ++i) {
    s += "Windows only:  " + only_b[i].substr(0, 200) + "\n";
  }
  return s;
}

/// Byte offsets (relative to the hive bins) where two images differ inside the bins.
std::vector<std::size_t> bins_differences(const Bytes& a, const Bytes& b, std::size_t bins) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < bins; ++i) {
    if (a.at(4096 + i) != b.at(4096 + i)) {
      out.push_back(i);
    }
  }
  return out;
}

bool has_diag(const DiagnosticSink& sink, const std::string& code, const std::string& source_tail) {
  return std::any_of(sink.items().begin(), sink.items().end(), [&](const Diagnostic& d) {
    return d.code == code && d.source.size() >= source_tail.size() &&
           d.source.compare(
               d.source.size() - source_tail.size(), source_tail.size(), source_tail) == 0;
  });
}

}  // namespace

TEST_CASE("NewDirtyHive1 replays (LOG1 then LOG2) to exactly what Windows 10 recovered",
          "[replay][corpus]") {
  DiagnosticSink sink;
  const auto out = replay_corpus("hives/replay/NewDirtyHive1/NewDirtyHive", sink);
  const auto& rep = out.report;
  CHECK(rep.dirty);
  CHECK(rep.primary_base_block_valid);
  CHECK(rep.format == facts::LogFormat::kNew);
  CHECK(rep.performed);
  CHECK(rep.recovered);
  CHECK(rep.entries_applied == 4);
  CHECK(rep.entries_skipped == 0);
  REQUIRE(rep.entries.size() == 4);
  // LOG1 holds sequence 2 (= the hive's secondary), LOG2 continues with 3, 4, 5.
  CHECK(rep.entries[0].log == "NewDirtyHive.LOG1");
  CHECK(rep.entries[0].sequence == 2);
  CHECK(rep.entries[3].log == "NewDirtyHive.LOG2");
  CHECK(rep.entries[3].sequence == 5);
  CHECK(rep.primary_sequence_before == 3);
  CHECK(rep.secondary_sequence_before == 2);
  CHECK(rep.primary_sequence_after == 5);
  CHECK(rep.secondary_sequence_after == 5);

  const Bytes windows =
      slurp(testing::corpus_path("hives/replay/NewDirtyHive1/RecoveredHive_Windows10"));
  REQUIRE(out.image.size() == windows.size());
  // Everything after the base block (hive bins and the padding after them) is byte-identical.
  CHECK(std::equal(out.image.begin() + 4096, out.image.end(), windows.begin() + 4096));
  // The base block differs only in the sequence numbers: Windows flushed the recovered hive once
  // more (6/6) after applying entry 5; the XOR checksum is the same since 5^5 == 6^6.
  std::vector<std::size_t> base_diff;
  for (std::size_t i = 0; i < 4096; ++i) {
    if (out.image[i] != windows[i]) {
      base_diff.push_back(i);
    }
  }
  CHECK(base_diff == std::vector<std::size_t>{4, 8});

  const Tree replayed = tree_of_image(out.image);
  const Tree recovered = tree_of_file("hives/replay/NewDirtyHive1/RecoveredHive_Windows10");
  INFO(first_differences(replayed, recovered));
  CHECK(replayed.problems == 0);
  CHECK(replayed.lines == recovered.lines);
  // And the stale primary really was different (the replay changed something).
  CHECK(tree_of_file("hives/replay/NewDirtyHive1/NewDirtyHive").lines != recovered.lines);
}

namespace {

// RecoveredHive_Windows7 was saved by Windows after recovery, which rewrote two things that are
// not registry content: the first hive bin's timestamp (hbin +20, bins offsets 0x14-0x1B) and the
// "largest value name length" field (nk +0x3C, a maintained upper bound, formats.md 10) of the
// key node whose cell starts at bins offset 0x6AD88 (field at 0x6AD88 + 4 + 0x3C = 0x6ADC8).
bool legit_win7_difference(std::size_t rel) {
  return (rel >= 0x14 && rel < 0x1C) || rel == 0x6ADC8;
}

void check_old_dirty_result(const readers::ReplayOutcome& out) {
  const Bytes windows =
      slurp(testing::corpus_path("hives/replay/OldDirtyHive/RecoveredHive_Windows7"));
  REQUIRE(out.image.size() == windows.size());
  const auto diffs = bins_differences(out.image, windows, 0x77000);
  CHECK_FALSE(diffs.empty());  // Windows did touch those fields
  for (auto d : diffs) {
    INFO(fmt::format("bins offset 0x{:x}", d));
    CHECK(legit_win7_difference(d));
  }
  const Tree replayed = tree_of_image(out.image);
  const Tree recovered = tree_of_file("hives/replay/OldDirtyHive/RecoveredHive_Windows7");
  INFO(first_differences(replayed, recovered));
  CHECK(replayed.problems == 0);
  CHECK(replayed.lines == recovered.lines);
}

}  // namespace

TEST_CASE("OldDirtyHive replays its DIRT log to the content Windows 7 recovered",
          "[replay][corpus]") {
  DiagnosticSink sink;
  const auto out = replay_corpus("hives/replay/OldDirtyHive/OldDirtyHive", sink);
  const auto& rep = out.report;
  CHECK(rep.format == facts::LogFormat::kOld);
  CHECK(rep.performed);
  CHECK(rep.recovered);
  // Four runs of dirty pages (16 + 16 + 8 + 24 pages of 512 bytes), all applied.
  CHECK(rep.entries_applied == 4);
  CHECK(rep.entries_skipped == 0);
  CHECK(rep.entries.at(0).offset == 1024);  // the bitmap (119 bytes) ends in the first sector
  CHECK(rep.secondary_sequence_after == 5);
  REQUIRE(rep.logs.size() == 2);
  CHECK(rep.logs[0].used);
  CHECK(rep.logs[1].reason == "empty file");
  check_old_dirty_result(out);
  CHECK(tree_of_file("hives/replay/OldDirtyHive/OldDirtyHive").lines !=
        tree_of_file("hives/replay/OldDirtyHive/RecoveredHive_Windows7").lines);
}

TEST_CASE("BadBaseBlockHive gets its base block from LOG1 and recovers like OldDirtyHive",
          "[replay][corpus]") {
  // REGF old-format log note 4: a primary base block with a wrong checksum is recovered from the
  // log (file type set back to 0); the log applies although the first hbin's timestamp is older
  // than the log's (a lagging backup copy; the base-block timestamps match in OldDirtyHive).
  DiagnosticSink sink;
  const auto out = replay_corpus("hives/corrupt/BadBaseBlockHive/BadBaseBlockHive", sink);
  const auto& rep = out.report;
  CHECK(rep.dirty);
  CHECK_FALSE(rep.primary_base_block_valid);
  CHECK(rep.base_block_restored);
  CHECK(rep.base_block_source == "BadBaseBlockHive.LOG1");
  CHECK(rep.recovered);
  CHECK(le32(out.image, 24) == 3);  // minor version back to 1.3 (the corrupt block said 1.1)
  CHECK(le32(out.image, 508) == readers::base_block_checksum(out.image));
  CHECK(has_diag(sink, "replay.base_block_restored", "BadBaseBlockHive"));
  check_old_dirty_result(out);
}

TEST_CASE("BadLogHive1 and BadLogHive2 keep the on-disk state and say why", "[replay][corpus]") {
  struct Case {
    const char* hive;
    const char* reason;
  };

  // BadLogHive1.LOG1: base-block checksum wrong; BadLogHive2.LOG1: no "DIRT" at offset 512.
  const Case cases[] = {
      {"hives/corrupt/BadLogHive1/BadLogHive", "invalid log base block: checksum"},
      {"hives/corrupt/BadLogHive2/BadLogHive", "no 'DIRT' dirty vector at offset 512"}};
  for (const auto& c : cases) {
    INFO(c.hive);
    DiagnosticSink sink;
    const auto out = replay_corpus(c.hive, sink);
    const auto& rep = out.report;
    CHECK(rep.dirty);
    CHECK_FALSE(rep.performed);
    CHECK(out.image == slurp(testing::corpus_path(c.hive)));
    REQUIRE(rep.logs.size() == 2);
    CHECK_FALSE(rep.logs[0].usable);
    CHECK(rep.logs[0].reason.find(c.reason) != std::string::npos);
    CHECK(rep.logs[1].reason == "empty file");
    CHECK(has_diag(sink, "replay.log_skipped", "BadLogHive.LOG1"));
    CHECK(has_diag(sink, "replay.not_recovered", "BadLogHive"));
  }
}

TEST_CASE("win10-dirty-withlogs: logs that skip sequences 1621-2106 are applied as Windows does",
          "[replay][corpus]") {
  // Decision (see SequenceGapPolicy): REGF new-format note 7 only requires the first entry to be
  // the log's base-block sequence and not below the hive's secondary; the companion note "Missing
  // log entries for a dirty primary file" shows the gap is what a partial reconcile leaves (the
  // primary already holds the missing entries) and that applying both logs in order gives a
  // consistent hive. The result must read completely and the gap is flagged.
  DiagnosticSink sink;
  const auto start = std::chrono::steady_clock::now();
  const auto out = replay_corpus("hives/win10-dirty-withlogs/SYSTEM", sink);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const auto& rep = out.report;
  CHECK(rep.performed);
  CHECK(rep.recovered);
  CHECK(rep.sequence_gap);
  CHECK(rep.sequence_gap_note.find("entries 1621-2106 are in no log") != std::string::npos);
  CHECK(has_diag(sink, "replay.sequence_gap", "SYSTEM"));
  CHECK(rep.entries_applied == 24);  // LOG1 2107-2110, then LOG2 2111-2130
  CHECK(rep.entries_skipped == 0);
  CHECK(rep.entries.front().sequence == 2107);
  CHECK(rep.entries.back().sequence == 2130);
  CHECK(rep.primary_sequence_after == 2130);
  CHECK(rep.secondary_sequence_after == 2130);
  CHECK(rep.hive_bins_size_after == 0xC02000);  // grown by entries 2118 and 2121
  CHECK(rep.bins_healed == 0);
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(elapsed).count() <
        testing::scaled_seconds(20));

  // The replayed image is a consistent hive: every key and value reads without corruption.
  const Tree replayed = tree_of_image(out.image);
  CHECK(replayed.problems == 0);
  CHECK(replayed.lines.size() > 100000);
  DiagnosticSink read_sink;
  auto hive = readers::read_system_hive_image(out.image, "win10 replayed", read_sink);
  REQUIRE(hive);
  CHECK(hive->root_readable);
  REQUIRE_FALSE(hive->control_sets.empty());
  CHECK(hive->control_sets.front().name == "ControlSet001");
  // The replayed image's cells are consistent: the structure check has nothing to say.
  for (const Diagnostic& d : read_sink.items()) {
    INFO(d.code << " @ " << d.location << ": " << d.message);
    CHECK(d.code.rfind("hive.structure", 0) != 0);
  }

  // The stricter policy keeps the on-disk state and says why.
  DiagnosticSink strict_sink;
  readers::ReplayOptions strict;
  strict.sequence_gap = readers::SequenceGapPolicy::kRefuse;
  const auto refused = replay_corpus("hives/win10-dirty-withlogs/SYSTEM", strict_sink, strict);
  CHECK_FALSE(refused.report.performed);
  CHECK(refused.report.logs.at(0).reason.find("do not continue the hive's sequence numbers") !=
        std::string::npos);
  CHECK(refused.image == slurp(testing::corpus_path("hives/win10-dirty-withlogs/SYSTEM")));
}

TEST_CASE("win81-dirty-nologs is reported dirty with no log to replay", "[replay][corpus]") {
  DiagnosticSink sink;
  const auto out = replay_corpus("hives/win81-dirty-nologs/SYSTEM", sink);
  CHECK(out.report.dirty);
  CHECK(out.report.dirty_reason == "primary sequence 205 != secondary 204");
  CHECK(out.report.logs.empty());
  CHECK_FALSE(out.report.performed);
  CHECK(out.report.summary.find("no transaction log was found") != std::string::npos);
  CHECK(has_diag(sink, "replay.not_recovered", "SYSTEM"));
}

TEST_CASE("A replayed image reads like the same hive read from its file", "[replay][corpus]") {
  // read_system_hive_image shares the capture code with read_system_hive: a clean hive read both
  // ways gives the same control sets, keys and values.
  const std::string path = testing::corpus_path("hives/win7-x86-regipy/SYSTEM");
  DiagnosticSink s1;
  DiagnosticSink s2;
  auto from_file = readers::read_system_hive(path, s1);
  const Bytes bytes = slurp(path);
  auto from_memory = readers::read_system_hive_image(bytes, path, s2);
  REQUIRE(from_file);
  REQUIRE(from_memory);
  CHECK(from_memory->path == path);
  CHECK(from_memory->base.primary_sequence == from_file->base.primary_sequence);
  REQUIRE(from_memory->control_sets.size() == from_file->control_sets.size());
  for (std::size_t i = 0; i < from_file->control_sets.size(); ++i) {
    const auto& a = from_file->control_sets[i];
    const auto& b = from_memory->control_sets[i];
    CHECK(a.name == b.name);
    REQUIRE(a.keys.size() == b.keys.size());
    for (std::size_t k = 0; k < a.keys.size(); ++k) {
      CHECK(a.keys[k].path == b.keys[k].path);
      CHECK(a.keys[k].status == b.keys[k].status);
      CHECK(a.keys[k].last_written == b.keys[k].last_written);
      REQUIRE(a.keys[k].values.size() == b.keys[k].values.size());
      for (std::size_t v = 0; v < a.keys[k].values.size(); ++v) {
        CHECK(a.keys[k].values[v].raw == b.keys[k].values[v].raw);
      }
    }
  }
  CHECK(from_memory->select.current == from_file->select.current);
}
