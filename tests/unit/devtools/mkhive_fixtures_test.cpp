// smssaudit-mkhive end to end: CLI contract, and every generated fixture read back by two
// independent readers (libregf's regfexport and hivex) against the tree its spec describes.
#include "devtools/hive_listing.hpp"
#include "devtools/hive_spec_loader.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"
#include "unit/devtools/regf_walker.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <set>
#include <sys/wait.h>

namespace dt = smssaudit::devtools;
namespace fs = std::filesystem;
using smssaudit::testing::fixture_dir;
using smssaudit::testing::mkhive_bin;
using smssaudit::testing::source_path;

namespace {

struct Run {
  int exit_code = -1;
  std::string out;
};

struct PipeClose {
  void operator()(FILE* f) const noexcept { (void)pclose(f); }
};

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (const char c : s)
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command, capturing stdout (stderr folded in when `merge_stderr`).
Run run(const std::string& command, bool merge_stderr = false) {
  Run r;
  const std::string full = command + (merge_stderr ? " 2>&1" : "");
  FILE* raw = popen(full.c_str(), "r");
  if (raw == nullptr)
    return r;
  std::unique_ptr<FILE, PipeClose> pipe(raw);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe.get())) > 0)
    r.out.append(buf.data(), n);
  const int status = pclose(pipe.release());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos)
      break;
    start = end + 1;
  }
  return out;
}

// "-" lines the spec has and the reader lacks, "+" lines the reader invented; "" when equal.
std::string diff(const std::vector<std::string>& expected, const std::vector<std::string>& got) {
  const std::multiset<std::string> want(expected.begin(), expected.end());
  const std::multiset<std::string> have(got.begin(), got.end());
  std::vector<std::string> missing, extra;
  std::set_difference(
      want.begin(), want.end(), have.begin(), have.end(), std::back_inserter(missing));
  std::set_difference(
      have.begin(), have.end(), want.begin(), want.end(), std::back_inserter(extra));
  std::string out;
  for (const auto& l : missing)
    out += "- " + l + "\n";
  for (const auto& l : extra)
    out += "+ " + l + "\n";
  return out;
}

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("smssaudit-mkhive-" + std::to_string(rd()));
    fs::create_directories(path_);
  }

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace

TEST_CASE("Every generated fixture reads back identically through libregf and hivex",
          "[devtools]") {
  const fs::path root = fixture_dir("");
  REQUIRE(fs::is_directory(root));
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory())
      dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  REQUIRE_FALSE(dirs.empty());
  std::size_t checked = 0;
  for (const fs::path& dir : dirs) {
    const std::string name = dir.filename().string();
    const fs::path spec_path = source_path("fixtures/hives/" + name + ".yaml");
    if (!fs::exists(spec_path)) {
      WARN("stale fixture folder without a spec: " << dir.string());
      continue;
    }
    const dt::FixtureSpec spec = dt::load_fixture_spec(spec_path);
    const fs::path hive = dir / spec.hive_file;
    INFO("fixture " << name << " (" << hive.string() << ")");
    REQUIRE(fs::exists(hive));

    {  // Our own walker: layout invariants the two readers do not enforce (formats.md §11).
      const auto walked = smssaudit::testing::walk_regf(read_bytes(hive));
      std::string problems;
      for (const auto& p : walked.problems)
        problems += p + "\n";
      INFO("layout problems:\n" << problems);
      CHECK(walked.problems.empty());
    }

    {  // libregf: keys, values and class names.
      const Run regf = run(std::string(SMSSAUDIT_PYTHON) + " " +
                           quoted(source_path("tests/support/regfexport_dump.py")) + " --classes " +
                           quoted(hive.string()));
      REQUIRE(regf.exit_code == 0);
      const std::string regf_diff =
          diff(dt::normalized_listing(spec.hive, {false, true}), lines_of(regf.out));
      INFO("regfexport differs from the spec:\n" << regf_diff);
      CHECK(regf_diff.empty());
    }

    {  // hivex: keys, values and key timestamps.
      const Run hx = run(std::string(SMSSAUDIT_PYTHON) + " " +
                         quoted(source_path("tests/support/hivex_dump.py")) + " --timestamps " +
                         quoted(hive.string()));
      REQUIRE(hx.exit_code == 0);
      const std::string hivex_diff =
          diff(dt::normalized_listing(spec.hive, {true, false}), lines_of(hx.out));
      INFO("hivex differs from the spec:\n" << hivex_diff);
      CHECK(hivex_diff.empty());
    }

    // Exactly the logs the spec asks for: a "no logs" fixture must not keep stale ones. The
    // readers above saw the primary file only, i.e. the spec without its transaction_log changes
    // (tests/unit/devtools/hive_log_writer_test.cpp checks the logs themselves).
    const std::vector<std::string> wanted_logs = spec.log_suffixes();
    for (const char* suffix : {"LOG", "LOG1", "LOG2"}) {
      const fs::path log = dir / (spec.hive_file + "." + suffix);
      const bool wanted =
          std::find(wanted_logs.begin(), wanted_logs.end(), suffix) != wanted_logs.end();
      INFO("log " << log.string());
      CHECK(fs::exists(log) == wanted);
      if (wanted && !spec.transaction_log) {
        CHECK(read_bytes(log).size() == 512);
      }
      if (wanted && spec.transaction_log) {
        CHECK(read_bytes(log).size() > 512);
      }
    }
    ++checked;
  }
  CHECK(checked >= 3);
}

TEST_CASE("The Windows 10 fixture carries the Session Manager surface of the real hive",
          "[devtools]") {
  const auto spec = dt::load_fixture_spec(source_path("fixtures/hives/system_clean_win10.yaml"));
  const dt::KeySpec* cs = spec.hive.root.find_subkey("ControlSet001");
  REQUIRE(cs != nullptr);
  const dt::KeySpec* sm = cs->find_subkey("Control")->find_subkey("Session Manager");
  REQUIRE(sm != nullptr);
  REQUIRE(sm->find_value("SETUPEXECUTE") != nullptr);
  CHECK(sm->find_value("SETUPEXECUTE")->name == "SETUPEXECUTE");
  CHECK(sm->find_value("PendingFileRenameOperations") == nullptr);
  CHECK(sm->find_subkey("AppCertDlls") == nullptr);
  CHECK(spec.hive.root.find_subkey("ControlSet002") == nullptr);
  for (const char* sub :
       {"KnownDLLs", "SubSystems", "Environment", "Memory Management", "DOS Devices", "kernel"}) {
    CHECK(sm->find_subkey(sub) != nullptr);
  }
  CHECK(spec.hive.primary_sequence == spec.hive.secondary_sequence);
  CHECK(spec.logs.size() == 2);
}

TEST_CASE(
    "mkhive writes the hive and logs, refuses to overwrite without --force, and exits 2 "
    "on spec errors",
    "[devtools]") {
  TempDir tmp;
  const fs::path spec = tmp.path() / "s.yaml";
  std::ofstream(spec) << "hive_file: SYSTEM\nlogs: [LOG1]\nkeys:\n  'A\\B': {V: 1}\n";
  const fs::path out = tmp.path() / "out" / "nested";
  const std::string base = quoted(mkhive_bin()) + " --spec " + quoted(spec.string()) +
                           " --out-dir " + quoted(out.string());

  CHECK(run(base).exit_code == 0);
  CHECK(fs::file_size(out / "SYSTEM") >= 8192);
  CHECK(fs::file_size(out / "SYSTEM.LOG1") == 512);

  const Run again = run(base, true);
  CHECK(again.exit_code != 0);
  CHECK_THAT(again.out, Catch::Contains("--force"));
  CHECK(run(base + " --force").exit_code == 0);

  // A later spec without logs: --force also removes the stale log, so "no logs" stays true.
  std::ofstream(spec) << "hive_file: SYSTEM\nkeys:\n  'A\\B': {V: 1}\n";
  CHECK(run(base + " --force").exit_code == 0);
  CHECK_FALSE(fs::exists(out / "SYSTEM.LOG1"));

  std::ofstream(spec) << "keys:\n  A: {V: 1}\nbogus: 1\n";
  const Run bad = run(base + " --force", true);
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.out, Catch::Contains("s.yaml:3:1"));

  CHECK(run(quoted(mkhive_bin()) + " --spec", true).exit_code == 2);
}
