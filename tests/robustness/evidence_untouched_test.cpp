// Evidence is never written: SHA-256, size, mtime and mode of every evidence file, and the listing
// of every evidence folder, are the same before and after a CLI scan (README: "Evidence is opened
// read-only and never written to").
#include "robustness/robustness_support.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {

using namespace smssaudit::testing;
using namespace smssaudit::testing::robust;

struct FileState {
  std::string sha256;
  std::uintmax_t size = 0;
  std::int64_t mtime_ns = 0;
  unsigned mode = 0;
  friend bool operator==(const FileState&, const FileState&) = default;
};

std::string sha256_hex(const fs::path& p) {
  const auto bytes = read_bytes(p);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md.data(), &len) != 1) {
    throw std::runtime_error("sha256 failed");
  }
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    constexpr const char* kDigits = "0123456789abcdef";
    hex += kDigits[md[i] >> 4U];
    hex += kDigits[md[i] & 0xFU];
  }
  return hex;
}

/// Every entry below `root` (files, folders, links) by relative path; files with their state.
struct TreeState {
  std::vector<std::string> listing;
  std::map<std::string, FileState> files;
};

TreeState snapshot(const fs::path& root) {
  TreeState t;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const auto rel = fs::relative(e.path(), root).string();
    t.listing.push_back(rel);
    if (!e.is_regular_file()) {
      continue;
    }

    struct stat st {};

    REQUIRE(::stat(e.path().c_str(), &st) == 0);
    t.files[rel] =
        FileState{sha256_hex(e.path()),
                  static_cast<std::uintmax_t>(st.st_size),
                  static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                  static_cast<unsigned>(st.st_mode)};
  }
  std::sort(t.listing.begin(), t.listing.end());
  return t;
}

void check_unchanged(const TreeState& before, const TreeState& after) {
  CHECK(before.listing == after.listing);
  for (const auto& [rel, state] : before.files) {
    INFO(rel);
    const auto it = after.files.find(rel);
    REQUIRE(it != after.files.end());
    CHECK(it->second.sha256 == state.sha256);
    CHECK(it->second.size == state.size);
    CHECK(it->second.mtime_ns == state.mtime_ns);
    CHECK(it->second.mode == state.mode);
  }
}

int run_scan(const std::vector<std::string>& args, const fs::path& out_dir) {
  std::string cmd = "timeout -s KILL " + std::to_string(scaled_seconds(120)) + " " +
                    quote(smssaudit_bin()) + " scan";
  for (const auto& a : args) {
    cmd += " " + quote(a);
  }
  cmd += " >" + quote((out_dir / "stdout.json").string()) + " 2>" +
         quote((out_dir / "stderr.txt").string());
  const int status = shell(cmd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void copy_tree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  fs::copy(from, to, fs::copy_options::recursive);
  std::error_code ec;
  fs::remove(to / ".stamp", ec);
}

}  // namespace

TEST_CASE("Robustness: a scan leaves fixture evidence byte-identical, unstamped and alone",
          "[robustness][cli][evidence]") {
  const TempDir evidence;
  const TempDir out;
  // A dirty hive with logs (the replay path reads the logs), a SOFTWARE hive and a log folder.
  copy_tree(fixture_dir("log_hidden_bootexecute_new"), evidence.path() / "hive");
  copy_tree(fixture_dir("software_win10"), evidence.path() / "software");
  copy_tree(evtx_fixture_dir("demo_compromised"), evidence.path() / "logs");
  // Read-only files, as an examiner's working copy often is; the scan must not need more.
  for (const auto& e : fs::recursive_directory_iterator(evidence.path())) {
    if (e.is_regular_file()) {
      fs::permissions(e.path(), fs::perms::owner_read | fs::perms::group_read);
    }
  }
  const auto before = snapshot(evidence.path());
  REQUIRE(before.files.size() >= 5);

  const auto report = (out.path() / "report.json").string();
  const auto timeline = (out.path() / "timeline.csv").string();
  const int rc = run_scan({(evidence.path() / "hive" / "SYSTEM").string(),
                           (evidence.path() / "logs").string(),
                           "--software",
                           (evidence.path() / "software" / "SOFTWARE").string(),
                           "-o",
                           report,
                           "--timeline",
                           timeline,
                           "--format",
                           "json"},
                          out.path());
  INFO("exit " << rc);
  CHECK((rc == 0 || rc == 1));
  CHECK(fs::file_size(report) > 0);
  check_unchanged(before, snapshot(evidence.path()));

  // The whole evidence folder, every engine, text to stdout.
  for (const char* engine : {"native", "libevtx"}) {
    const int rc2 = run_scan(
        {evidence.path().string(), "--evtx-engine", engine, "--format", "text"}, out.path());
    INFO(engine << " exit " << rc2);
    CHECK((rc2 == 0 || rc2 == 1));
    check_unchanged(before, snapshot(evidence.path()));
  }
}

TEST_CASE("Robustness: -o naming an evidence file is refused and the file is unchanged",
          "[robustness][cli][evidence]") {
  const TempDir evidence;
  const TempDir out;
  copy_tree(fixture_dir("system_clean_win10"), evidence.path());
  const auto before = snapshot(evidence.path());
  const auto hive = (evidence.path() / "SYSTEM").string();
  const int rc = run_scan({hive, "-o", hive, "--force"}, out.path());
  CHECK(rc == 2);
  check_unchanged(before, snapshot(evidence.path()));
}

TEST_CASE("Robustness: a scan of a real host folder of the corpus leaves it unchanged",
          "[robustness][cli][evidence][corpus]") {
  const fs::path host = corpus_path("evtx/hosts/win10-19041-rathbunvm");
  if (!fs::is_directory(host)) {
    WARN("corpus missing: " << host);
    return;
  }
  const TempDir out;
  const auto before = snapshot(host);
  REQUIRE(before.files.size() >= 2);
  const int rc = run_scan({host.string(), "--format", "json"}, out.path());
  CHECK((rc == 0 || rc == 1));
  check_unchanged(before, snapshot(host));
}
