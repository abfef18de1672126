// `smssaudit hive recover HIVE -o OUT [--force]` end to end (in-process CLI).
#include "smssaudit/app/cli.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"
#include "support/scan.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

using namespace smssaudit;
using testing::corpus_path;
using testing::run_cli;

namespace {

namespace fs = std::filesystem;

using Bytes = std::vector<std::uint8_t>;

Bytes slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A fresh folder under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("smssaudit-recover-" + std::to_string(rd()));
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

  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

}  // namespace

TEST_CASE("hive recover writes the replayed hive and summarises the entries on stderr",
          "[replay][cli]") {
  TempDir dir;
  const std::string out = (dir / "recovered").string();
  const auto r = run_cli(
      {"hive", "recover", corpus_path("hives/replay/NewDirtyHive1/NewDirtyHive"), "-o", out});
  INFO(r.err);
  CHECK(r.exit_code == app::kExitOk);
  CHECK(r.out.empty());
  CHECK(r.err.find("replayed 4 new (HvLE) log entries (0 skipped)") != std::string::npos);
  CHECK(r.err.find("log NewDirtyHive.LOG1: used") != std::string::npos);
  CHECK(r.err.find("entries applied 4, skipped 0") != std::string::npos);
  const Bytes written = slurp(out);
  const Bytes windows = slurp(corpus_path("hives/replay/NewDirtyHive1/RecoveredHive_Windows10"));
  REQUIRE(written.size() == windows.size());
  CHECK(std::equal(written.begin() + 4096, written.end(), windows.begin() + 4096));
  CHECK_FALSE(fs::exists(out + ".partial-" + std::to_string(::getpid())));

  // An existing OUT needs --force.
  const auto again = run_cli(
      {"hive", "recover", corpus_path("hives/replay/NewDirtyHive1/NewDirtyHive"), "-o", out});
  CHECK(again.exit_code == app::kExitUsage);
  CHECK(again.err.find("use --force") != std::string::npos);
  const auto forced = run_cli({"hive",
                               "recover",
                               corpus_path("hives/replay/NewDirtyHive1/NewDirtyHive"),
                               "-o",
                               out,
                               "--force"});
  CHECK(forced.exit_code == app::kExitOk);
}

TEST_CASE("hive recover never writes over the evidence or beside it as a log", "[replay][cli]") {
  const std::string hive = corpus_path("hives/replay/NewDirtyHive1/NewDirtyHive");
  // OUT is the hive, or one of its logs: refused even with --force.
  for (const std::string& target : {hive, hive + ".LOG1", hive + ".LOG2"}) {
    INFO(target);
    const auto r = run_cli({"hive", "recover", hive, "-o", target, "--force"});
    CHECK(r.exit_code == app::kExitUsage);
    CHECK(r.err.find("refusing to write over the evidence") != std::string::npos);
  }
  // A name the next scan would take for one of the hive's logs, in a folder we can write to.
  TempDir dir;
  fs::copy_file(hive, dir / "SYSTEM");
  const auto r =
      run_cli({"hive", "recover", (dir / "SYSTEM").string(), "-o", (dir / "system.log").string()});
  CHECK(r.exit_code == app::kExitUsage);
  CHECK(r.err.find("would be read as one of its logs") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "system.log"));
  // A folder that does not exist.
  const auto nodir = run_cli({"hive", "recover", hive, "-o", (dir / "missing" / "out").string()});
  CHECK(nodir.exit_code == app::kExitUsage);
}

TEST_CASE("hive recover exits 3 for a non-hive, a missing file or nothing to recover",
          "[replay][cli]") {
  TempDir dir;
  const std::string out = (dir / "out").string();
  const auto not_hive =
      run_cli({"hive", "recover", corpus_path("hives/corrupt/NotAHive"), "-o", out});
  CHECK(not_hive.exit_code == app::kExitNoEvidence);
  CHECK(not_hive.err.find("not a registry hive") != std::string::npos);

  const auto missing = run_cli({"hive", "recover", (dir / "nope").string(), "-o", out});
  CHECK(missing.exit_code == app::kExitNoEvidence);

  const auto bad_log =
      run_cli({"hive", "recover", corpus_path("hives/corrupt/BadLogHive1/BadLogHive"), "-o", out});
  CHECK(bad_log.exit_code == app::kExitNoEvidence);
  CHECK(bad_log.err.find("invalid log base block: checksum") != std::string::npos);
  CHECK(bad_log.err.find("was not written") != std::string::npos);
  CHECK_FALSE(fs::exists(out));

  const auto usage =
      run_cli({"hive", "recover", corpus_path("hives/replay/OldDirtyHive/OldDirtyHive")});
  CHECK(usage.exit_code == app::kExitUsage);
}

TEST_CASE("hive recover restores a bad base block and copies a clean hive unchanged",
          "[replay][cli]") {
  TempDir dir;
  const auto bad = run_cli({"hive",
                            "recover",
                            corpus_path("hives/corrupt/BadBaseBlockHive/BadBaseBlockHive"),
                            "-o",
                            (dir / "bb").string()});
  CHECK(bad.exit_code == app::kExitOk);
  CHECK(bad.err.find("base block restored from BadBaseBlockHive.LOG1") != std::string::npos);

  const std::string clean = corpus_path("hives/win7-x86-regipy/SYSTEM");
  const auto copy = run_cli({"hive", "recover", clean, "-o", (dir / "clean").string()});
  CHECK(copy.exit_code == app::kExitOk);
  CHECK(copy.err.find("the hive is clean, copied unchanged") != std::string::npos);
  CHECK(slurp(dir / "clean") == slurp(clean));
}
