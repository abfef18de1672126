// Corpus tests: the hive reader on real public hives, read in place and never modified
// (/work/shared/corpus/MANIFEST.tsv describes each file).
#include "readers/hive_structure.hpp"
#include "smssaudit/core/text.hpp"
#include "smssaudit/evidence/evidence.hpp"
#include "smssaudit/evidence/file_source.hpp"
#include "smssaudit/readers/hive_reader.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <algorithm>
#include <filesystem>
#include <sys/stat.h>

using namespace smssaudit;
using smssaudit::testing::corpus_path;

namespace {

bool has_code(const DiagnosticSink& sink, const std::string& code) {
  return std::any_of(sink.items().begin(), sink.items().end(), [&](const Diagnostic& d) {
    return d.code == code;
  });
}

const Diagnostic* find_code(const DiagnosticSink& sink, const std::string& code) {
  for (const Diagnostic& d : sink.items()) {
    if (d.code == code) {
      return &d;
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("The win7 SYSTEM hive yields both control sets and the Session Manager surface",
          "[corpus]") {
  const std::string path = corpus_path("hives/win7-x86-regipy/SYSTEM");
  DiagnosticSink sink;
  const auto hive = readers::read_system_hive(path, sink);
  REQUIRE(hive);
  CHECK(hive->path == path);
  CHECK(hive->root_readable);
  CHECK(hive->base.primary_sequence == 13983);
  CHECK_FALSE(hive->base.dirty());
  CHECK(hive->logs.empty());
  CHECK_FALSE(has_code(sink, "hive.dirty"));
  CHECK_FALSE(has_code(sink, "hive.name_mismatch"));  // embedded name is "SYSTEM"

  CHECK(hive->select.key_present);
  CHECK(hive->select.current == 1u);
  CHECK(hive->select.default_set == 1u);
  CHECK(hive->select.failed == 0u);
  CHECK(hive->select.last_known_good == 2u);

  REQUIRE(hive->control_sets.size() == 2);
  CHECK(hive->control_sets[0].name == "ControlSet001");
  CHECK(hive->control_sets[0].number == 1);
  CHECK(hive->control_sets[1].number == 2);
  CHECK(std::find(hive->root_subkeys.begin(), hive->root_subkeys.end(), "Select") !=
        hive->root_subkeys.end());

  const facts::ControlSet& cs = hive->control_sets[0];
  REQUIRE(cs.keys.size() == 17);
  const facts::RegKey* sm = cs.key("Control\\Session Manager");
  REQUIRE(sm != nullptr);
  CHECK(sm->status == facts::KeyStatus::kPresent);
  CHECK(sm->last_written != 0);
  CHECK(std::find(sm->subkeys.begin(), sm->subkeys.end(), "KnownDLLs") != sm->subkeys.end());
  const facts::RegValue* boot = sm->find("bootexecute");
  REQUIRE(boot != nullptr);
  CHECK(boot->type == static_cast<std::uint32_t>(facts::RegType::kMultiSz));
  CHECK(boot->strings == std::vector<std::string>{"autocheck autochk *"});

  const facts::RegKey* known = cs.key("Control\\Session Manager\\KnownDLLs");
  REQUIRE(known != nullptr);
  REQUIRE(known->find("kernel32") != nullptr);
  CHECK(text::iequals(known->find("kernel32")->first_string(), "kernel32.dll"));

  const facts::RegKey* name = cs.key("Control\\ComputerName\\ComputerName");
  REQUIRE(name != nullptr);
  REQUIRE(name->find("ComputerName") != nullptr);
  CHECK(name->find("ComputerName")->first_string() == "WKS-WIN732BITA");

  const facts::RegKey* subsystems = cs.key("Control\\Session Manager\\SubSystems");
  REQUIRE(subsystems != nullptr);
  REQUIRE(subsystems->find("Windows") != nullptr);
  CHECK(text::istarts_with(subsystems->find("Windows")->first_string(),
                           "%SystemRoot%\\system32\\csrss.exe"));
  // Every surface key has a definite status; absent ones carry no error.
  for (const facts::RegKey& k : cs.keys) {
    CHECK(k.status != facts::KeyStatus::kUnreadable);
    if (k.status == facts::KeyStatus::kAbsent) {
      CHECK(k.error.empty());
    }
  }
}

TEST_CASE("The dirty win8.1 hive is read, flagged dirty and finds SETUPEXECUTE", "[corpus]") {
  const std::string path = corpus_path("hives/win81-dirty-nologs/SYSTEM");
  DiagnosticSink sink;
  const auto hive = readers::read_system_hive(path, sink);
  REQUIRE(hive);
  CHECK(hive->base.primary_sequence == 205);
  CHECK(hive->base.secondary_sequence == 204);
  CHECK(hive->base.dirty());
  CHECK(hive->logs.empty());
  const Diagnostic* dirty = find_code(sink, "hive.dirty");
  REQUIRE(dirty != nullptr);
  CHECK(dirty->level == DiagLevel::kWarning);
  CHECK(dirty->source == path);
  CHECK(dirty->message.find("205") != std::string::npos);
  CHECK(dirty->message.find("204") != std::string::npos);
  CHECK(dirty->message.find("no transaction logs") != std::string::npos);

  REQUIRE(hive->control_sets.size() == 1);
  const facts::RegKey* sm = hive->control_sets[0].key("Control\\Session Manager");
  REQUIRE(sm != nullptr);
  const facts::RegValue* setup = sm->find("SetupExecute");
  REQUIRE(setup != nullptr);
  CHECK(setup->name == "SETUPEXECUTE");  // Win8+ stores it upper-case
}

TEST_CASE("The dirty win10 hive finds its two new-format logs", "[corpus]") {
  const std::string path = corpus_path("hives/win10-dirty-withlogs/SYSTEM");
  DiagnosticSink sink;
  const auto hive = readers::read_system_hive(path, sink);
  REQUIRE(hive);
  CHECK(hive->base.dirty());
  CHECK(hive->base.primary_sequence == 1622);
  CHECK(hive->base.secondary_sequence == 1621);
  REQUIRE(hive->logs.size() == 2);
  for (const facts::HiveLogFile& log : hive->logs) {
    REQUIRE(log.base.has_value());
    CHECK(log.base->file_type == 6);  // HvLE log (registry.md 4.4)
    CHECK(log.size > 3'000'000);
  }
  CHECK(text::iends_with(hive->logs[0].path, "SYSTEM.LOG1"));
  CHECK(text::iends_with(hive->logs[1].path, "SYSTEM.LOG2"));
  const Diagnostic* dirty = find_code(sink, "hive.dirty");
  REQUIRE(dirty != nullptr);
  CHECK(dirty->message.find("2 transaction log(s) found") != std::string::npos);
}

TEST_CASE("Known-bad files fail with the expected error code naming the file", "[corpus]") {
  struct Case {
    const char* rel;
    ErrorCode code;
    const char* words;
  };

  const Case cases[] = {
      {"hives/corrupt/NotAHive", ErrorCode::kHiveSignature, "no 'regf' signature"},
      {"hives/corrupt/win9x-SYSTEM.DAT", ErrorCode::kHiveSignature, "no 'regf' signature"},
      {"hives/corrupt/TruncatedHive", ErrorCode::kHiveTruncated, "bytes but the base block"},
      {"hives/corrupt/GarbageHive", ErrorCode::kHiveBaseBlock, "checksum mismatch"},
      {"hives/corrupt/BadBaseBlockHive/BadBaseBlockHive",
       ErrorCode::kHiveBaseBlock,
       "checksum mismatch"},
  };
  for (const Case& c : cases) {
    const std::string path = corpus_path(c.rel);
    INFO(path);
    DiagnosticSink sink;
    const auto hive = readers::read_system_hive(path, sink);
    REQUIRE_FALSE(hive);
    CHECK(hive.error().code == c.code);
    CHECK(hive.error().message().find(path) != std::string::npos);
    CHECK(hive.error().message().find(c.words) != std::string::npos);
  }
}

TEST_CASE("Every corrupt corpus file is read with diagnostics or refused with its name",
          "[corpus]") {
  const std::filesystem::path root = corpus_path("hives/corrupt");
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    ++files;
    const std::string path = entry.path().string();
    INFO(path);
    DiagnosticSink sink;
    const auto hive = readers::read_system_hive(path, sink);
    if (hive) {
      CHECK(hive->root_readable);
      for (const Diagnostic& d : sink.items()) {
        CHECK(d.source == path);
      }
    } else {
      CHECK(hive.error().message().find(path) != std::string::npos);
    }
    DiagnosticSink soft_sink;
    const auto soft = readers::read_software_hive(path, soft_sink);
    if (!soft) {
      CHECK(soft.error().message().find(path) != std::string::npos);
    }
  }
  CHECK(files >= 18);  // MANIFEST.tsv lists 18 files under hives/corrupt
}

TEST_CASE("The root-key-less corrupted SYSTEM hive is refused, BadListHive is still read",
          "[corpus]") {
  DiagnosticSink sink;
  const std::string bad_root = corpus_path("hives/corrupt/corrupted_system_hive");
  const auto hive = readers::read_system_hive(bad_root, sink);
  if (!hive) {
    CHECK(hive.error().message().find(bad_root) != std::string::npos);
  } else {
    CHECK_FALSE(sink.items().empty());  // whatever was readable, problems were reported
  }
  // A transaction log passed as a hive is refused by its base-block file type.
  DiagnosticSink log_sink;
  const std::string log = corpus_path("hives/win10-dirty-withlogs/SYSTEM.LOG1");
  const auto as_hive = readers::read_system_hive(log, log_sink);
  REQUIRE_FALSE(as_hive);
  CHECK(as_hive.error().code == ErrorCode::kHiveBaseBlock);
}

TEST_CASE("A SYSTEM hive read as SOFTWARE reports the missing CurrentVersion key", "[corpus]") {
  const std::string path = corpus_path("hives/win7-x86-regipy/SYSTEM");
  DiagnosticSink sink;
  const auto soft = readers::read_software_hive(path, sink);
  REQUIRE(soft);
  CHECK_FALSE(soft->current_version_present);
  CHECK_FALSE(soft->product_name);
  CHECK(has_code(sink, "hive.key_absent"));
  CHECK(has_code(sink, "hive.name_mismatch"));  // "SYSTEM" does not end with SOFTWARE
}

TEST_CASE("Describing and reading a corpus hive leaves its mtime and hash unchanged", "[corpus]") {
  const std::string path = corpus_path("hives/win81-dirty-nologs/SYSTEM");

  struct stat before {};

  REQUIRE(::stat(path.c_str(), &before) == 0);
  const auto ev = evidence::describe_file(path, evidence::kKindSystemHive);
  REQUIRE(ev);
  // SHA-256 from MANIFEST.tsv.
  CHECK(ev->sha256 == "b9e8845e957aeb7919a89bb75b3fcde4c353e5a3335081a4825d676e55e58fb4");
  CHECK(ev->size == 7864320);
  DiagnosticSink sink;
  CHECK(readers::read_system_hive(path, sink));

  struct stat after {};

  REQUIRE(::stat(path.c_str(), &after) == 0);
  CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
  CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  CHECK(after.st_size == before.st_size);
  const auto again = evidence::describe_file(path, evidence::kKindSystemHive);
  REQUIRE(again);
  CHECK(again->sha256 == ev->sha256);
}

namespace {

/// Diagnostics whose code starts with "hive.structure", one per line.
std::string structure_diagnostics(const DiagnosticSink& sink) {
  std::string out;
  for (const Diagnostic& d : sink.items()) {
    if (text::istarts_with(d.code, "hive.structure")) {
      out += d.code + " @ " + d.location + ": " + d.message + "\n";
    }
  }
  return out;
}

}  // namespace

TEST_CASE("The native structure check has nothing to say about the real hives", "[corpus]") {
  // Real hives keep nk counts, lists and big data consistent (formats.md 10: counts matched in
  // all 24,500+ lists), so any structure warning here would be a false alarm.
  struct Case {
    const char* rel;
    std::size_t min_keys;  // keys the walk checked at least (root, Select, control sets, surface)
  };

  const Case cases[] = {
      {"hives/win7-x86-regipy/SYSTEM", 20},
      {"hives/win81-dirty-nologs/SYSTEM", 10},
      {"hives/win10-dirty-withlogs/SYSTEM", 10},
      {"hives/replay/NewDirtyHive1/NewDirtyHive", 1},
      {"hives/replay/NewDirtyHive1/RecoveredHive_Windows10", 1},
      {"hives/replay/OldDirtyHive/OldDirtyHive", 1},
      {"hives/replay/OldDirtyHive/RecoveredHive_Windows7", 1},
  };
  for (const Case& c : cases) {
    const std::string path = corpus_path(c.rel);
    INFO(path);
    auto source = evidence::open_file_source(path);
    REQUIRE(source);
    DiagnosticSink sink;
    const auto stats = readers::check_system_structure(**source, path, sink);
    CHECK(structure_diagnostics(sink).empty());
    CHECK(sink.items().empty());
    CHECK(stats.keys_checked >= c.min_keys);
    CHECK_FALSE(stats.limit_reached);
    // And the reader, which runs the same check, adds no structure warning either.
    DiagnosticSink read_sink;
    static_cast<void>(readers::read_system_hive(path, read_sink));
    CHECK(structure_diagnostics(read_sink).empty());
  }
}
