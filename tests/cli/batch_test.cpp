// `smssaudit batch`: host discovery (folders, disk images by content, split sets), report names,
// one child scan per host with crash/hang isolation, the summary files and the exit code.
#include "app/batch_discovery.hpp"
#include "app/batch_paths.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"
#include "support/scan.hpp"
#include "support/time_scale.hpp"

#include <boost/filesystem.hpp>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sys/stat.h>

namespace {

namespace fs = boost::filesystem;
using smssaudit::app::detect_image;
using smssaudit::app::detect_image_file;
using smssaudit::app::discover_hosts;
using smssaudit::app::HostKind;
using smssaudit::app::ImageProbe;
using smssaudit::testing::corpus_path;
using smssaudit::testing::evtx_fixture_dir;
using smssaudit::testing::fixture_dir;
using smssaudit::testing::run_cli;
using smssaudit::testing::scaled_seconds;
using smssaudit::testing::smssaudit_bin;
using Bytes = std::vector<unsigned char>;

fs::path scratch(const std::string& name) {
  fs::path p = fs::path(SMSSAUDIT_FIXTURE_OUT) / "scratch" / "batch" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

void write_bytes(const fs::path& p, const Bytes& bytes) {
  std::ofstream out(p.string(), std::ios::binary);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream(p.string(), std::ios::binary) << text;
}

/// `size` zero bytes with `sig` at `offset`.
Bytes image_with(std::size_t size, std::size_t offset, const std::string& sig) {
  Bytes b(size, 0);
  std::copy(sig.begin(), sig.end(), b.begin() + static_cast<std::ptrdiff_t>(offset));
  return b;
}

std::optional<HostKind> detect(const Bytes& b) {
  const std::size_t head = std::min<std::size_t>(b.size(), 1024);
  std::span<const unsigned char> tail;
  if (b.size() >= 512) {
    tail = std::span<const unsigned char>(b).subspan(b.size() - 512);
  }
  return detect_image(ImageProbe{std::span<const unsigned char>(b).first(head), tail, b.size()});
}

void copy_dir_files(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (fs::directory_iterator it(from), end; it != end; ++it) {
    if (fs::is_regular_file(it->path()) && it->path().filename().string()[0] != '.') {
      fs::copy_file(it->path(), to / it->path().filename());
    }
  }
}

nlohmann::json read_json(const fs::path& p) {
  std::ifstream in(p.string());
  return nlohmann::json::parse(in);
}

const nlohmann::json& row_for(const nlohmann::json& summary, const std::string& host) {
  for (const auto& r : summary["hosts"]) {
    if (r["host"] == host) {
      return r;
    }
  }
  FAIL("no summary row for " << host);
  return summary;  // unreachable
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p.string(), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("Disk images are recognised by their signatures, not by name", "[batch]") {
  using namespace std::string_literals;
  CHECK(detect(image_with(4096, 0, "EVF\x09\x0d\x0a\xff\x00"s)) == HostKind::kEwf);
  CHECK(detect(image_with(4096, 0, "EVF2\x0d\x0a\x81\x00"s)) == HostKind::kEwf);
  CHECK(detect(image_with(4096, 0, "KDMV")) == HostKind::kVmdk);
  CHECK(detect(image_with(300, 0, "# Disk DescriptorFile\nversion=1\n")) == HostKind::kVmdk);
  CHECK(detect(image_with(4096, 4096 - 512, "conectix")) == HostKind::kVhd);  // fixed: footer
  CHECK(detect(image_with(4096, 0, "conectix")) == HostKind::kVhd);           // dynamic: copy
  CHECK(detect(image_with(4096, 0, "vhdxfile")) == HostKind::kVhdx);
  CHECK(detect(image_with(4096, 0, "QFI\xfb"s)) == HostKind::kQcow2);
  CHECK(detect(image_with(4096, 510, "\x55\xaa"s)) == HostKind::kRaw);  // MBR
  CHECK(detect(image_with(4096, 512, "EFI PART")) == HostKind::kRaw);   // GPT header
  CHECK(detect(image_with(4096, 3, "NTFS    ")) == HostKind::kRaw);     // bare volume
  // Not images: no signature, a boot signature in a file that is not whole sectors, text.
  CHECK_FALSE(detect(Bytes(4096, 0)).has_value());
  CHECK_FALSE(detect(image_with(4000, 510, "\x55\xaa"s)).has_value());
  CHECK_FALSE(detect(image_with(4096, 3, "NTFS")).has_value());
  CHECK_FALSE(detect(image_with(100, 0, "# just notes")).has_value());
  CHECK_FALSE(detect(Bytes{}).has_value());
}

TEST_CASE("The corpus disk images are recognised but hives, event logs and text are not",
          "[batch]") {
  CHECK(detect_image_file(corpus_path("images/image.E01")) == HostKind::kEwf);
  CHECK(detect_image_file(corpus_path("images/image.vhd")) == HostKind::kVhd);
  CHECK(detect_image_file(corpus_path("images/image.vmdk")) == HostKind::kVmdk);
  CHECK(detect_image_file(corpus_path("images/image.qcow2")) == HostKind::kQcow2);
  CHECK_FALSE(detect_image_file(fixture_dir("system_clean_win10") + "/SYSTEM").has_value());
  CHECK_FALSE(detect_image_file(evtx_fixture_dir("demo_compromised") + "/Security.evtx"));
  CHECK_FALSE(
      detect_image_file(smssaudit::testing::source_path("fixtures/hives/bootexecute_extra.yaml")));
  CHECK_FALSE(detect_image_file("/nonexistent/disk.E01").has_value());
}

TEST_CASE("A VMDK descriptor names its extent files", "[batch]") {
  const std::string descriptor =
      "# Disk DescriptorFile\nversion=1\nCID=fffffffe\ncreateType=\"twoGbMaxExtentSparse\"\n\n"
      "# Extent description\nRW 4192256 SPARSE \"disk-s001.vmdk\"\n"
      "RW 4192256 SPARSE \"disk-s002.vmdk\"\nRDONLY 2048 FLAT \"disk-flat.vmdk\" 0\n\n"
      "ddb.virtualHWVersion = \"4\"\n";
  CHECK(smssaudit::app::vmdk_descriptor_extents(descriptor) ==
        std::vector<std::string>{"disk-s001.vmdk", "disk-s002.vmdk", "disk-flat.vmdk"});
}

TEST_CASE(
    "Discovery: folders and images are hosts, split sets count once, loose files are "
    "ignored with a reason",
    "[batch]") {
  using namespace std::string_literals;
  const fs::path dir = scratch("discovery");
  fs::create_directories(dir / "hostB");
  fs::create_directories(dir / "hostA");
  write_bytes(dir / "raw.001", image_with(4096, 510, "\x55\xaa"s));
  write_bytes(dir / "raw.002", Bytes(4096, 7));
  write_bytes(dir / "raw.003", Bytes(4096, 7));
  write_bytes(dir / "case.E01", image_with(1024, 0, "EVF\x09\x0d\x0a\xff\x00"s));
  write_bytes(dir / "case.E02", image_with(1024, 0, "EVF\x09\x0d\x0a\xff\x00"s));
  write_text(dir / "vm.vmdk",
             "# Disk DescriptorFile\nversion=1\nRW 8 SPARSE \"vm-s001.vmdk\"\n"
             "RW 8 SPARSE \"vm-s002.vmdk\"\n");
  write_bytes(dir / "vm-s001.vmdk", image_with(1024, 0, "KDMV"));
  write_bytes(dir / "vm-s002.vmdk", image_with(1024, 0, "KDMV"));
  write_bytes(dir / "disk.vhd", image_with(2048, 2048 - 512, "conectix"));
  write_bytes(dir / "volume.dd", image_with(8192, 3, "NTFS    "));
  write_text(dir / "notes.txt", "examiner notes\n");
  fs::copy_file(fixture_dir("system_clean_win10") + "/SYSTEM", dir / "SYSTEM");
  write_bytes(dir / "orphan.002", Bytes(512, 1));

  const auto found = discover_hosts(dir.string());
  std::vector<std::string> names;
  for (const auto& h : found.hosts) {
    names.push_back(h.name);
  }
  CHECK(names == std::vector<std::string>{
                     "case.E01", "disk.vhd", "hostA", "hostB", "raw.001", "vm.vmdk", "volume.dd"});
  CHECK(found.hosts[0].kind == HostKind::kEwf);
  CHECK(found.hosts[0].parts == std::vector<std::string>{(dir / "case.E02").string()});
  CHECK(found.hosts[1].kind == HostKind::kVhd);
  CHECK(found.hosts[2].kind == HostKind::kFolder);
  CHECK(found.hosts[2].path == (dir / "hostA").string());
  CHECK(found.hosts[4].kind == HostKind::kRaw);
  CHECK(found.hosts[4].parts ==
        std::vector<std::string>{(dir / "raw.002").string(), (dir / "raw.003").string()});
  CHECK(found.hosts[5].kind == HostKind::kVmdk);
  CHECK(found.hosts[5].parts.size() == 2);
  CHECK(found.hosts[6].kind == HostKind::kRaw);

  REQUIRE(found.ignored.size() == 3);
  CHECK(found.ignored[0].path == (dir / "SYSTEM").string());
  CHECK(found.ignored[0].reason.find("loose hive") != std::string::npos);
  CHECK(found.ignored[1].path == (dir / "notes.txt").string());
  CHECK(found.ignored[2].path == (dir / "orphan.002").string());

  // The output folder is never taken for a host.
  const auto without = discover_hosts(dir.string(), (dir / "hostB").string());
  CHECK(without.hosts.size() == found.hosts.size() - 1);
}

TEST_CASE("Report names are sanitised and unique, case-insensitively", "[batch]") {
  using smssaudit::app::sanitise_file_stem;
  using smssaudit::app::unique_stem;
  CHECK(sanitise_file_stem("WKS-01.corp_local") == "WKS-01.corp_local");
  CHECK(sanitise_file_stem("C%3A/..\\evil name") == "C_3A_.._evil_name");
  CHECK(sanitise_file_stem("..hidden") == "hidden");
  CHECK(sanitise_file_stem("") == "host");
  CHECK(sanitise_file_stem(std::string(300, 'a')).size() == 100);
  std::set<std::string> taken{"summary"};
  CHECK(unique_stem("host", taken) == "host");
  CHECK(unique_stem("HOST", taken) == "HOST-2");
  CHECK(unique_stem("host", taken) == "host-3");
  CHECK(unique_stem("summary", taken) == "summary-2");
}

TEST_CASE("batch scans every host in a child process and a bad host does not stop the good ones",
          "[batch]") {
  using namespace std::string_literals;
  const fs::path root = scratch("mixed");
  const fs::path dir = root / "evidence";
  const fs::path out = root / "out";
  copy_dir_files(fixture_dir("bootexecute_extra"), dir / "wks-registry");
  copy_dir_files(evtx_fixture_dir("demo_compromised"), dir / "wks-logs");
  copy_dir_files(corpus_path("evtx/hosts/velocidex-onehost"), dir / "velocidex onehost");
  fs::create_directories(dir / "broken");
  write_text(dir / "broken" / "garbage.bin", "this is not evidence at all\n");
  write_text(dir / "README.txt", "case notes\n");
  write_bytes(dir / "disk.raw", image_with(4096, 510, "\x55\xaa"s));

  auto r = run_cli(
      {"batch", dir.string(), "-o", out.string(), "--jobs", "2", "--scanner", smssaudit_bin()});
  INFO(r.err);
  CHECK(r.exit_code == 3);  // the broken host had no usable evidence; nothing crashed
  CHECK(r.out.empty());     // batch writes files, never stdout

  const auto summary = read_json(out / "summary.json");
  CHECK(summary["schema"] == "smssaudit.batch/1");
  CHECK(summary["complete"] == true);
  CHECK(summary["exit_code"] == 3);
  REQUIRE(summary["hosts"].size() == 5);
  // Sorted by evidence path.
  std::vector<std::string> order;
  for (const auto& h : summary["hosts"]) {
    order.push_back(h["host"]);
  }
  CHECK(order == std::vector<std::string>{
                     "broken", "disk.raw", "velocidex onehost", "wks-logs", "wks-registry"});

  const auto& reg = row_for(summary, "wks-registry");
  CHECK(reg["status"] == "ok");
  CHECK(reg["exit_code"] == 0);
  CHECK(reg["verdict"] == "suspicious");
  CHECK(reg["kind"] == "folder");
  CHECK(reg["report"] == "wks-registry.json");
  CHECK(reg["top_finding"]["rule_id"] == "SMSS-001");
  CHECK(reg["top_finding"]["severity"] == "high");
  CHECK(reg["computers"][0] == "DEMO-WIN10");
  CHECK(read_json(out / "wks-registry.json")["schema"] == "smssaudit.report/1");

  const auto& logs = row_for(summary, "wks-logs");
  CHECK(logs["status"] == "ok");
  CHECK(logs["verdict"].is_string());
  CHECK(fs::exists(out / "wks-logs.json"));

  const auto& corpus = row_for(summary, "velocidex onehost");
  CHECK(corpus["report"] == "velocidex_onehost.json");
  CHECK((corpus["status"] == "ok" || corpus["status"] == "no_evidence"));
  CHECK(fs::exists(out / "velocidex_onehost.json"));

  const auto& broken = row_for(summary, "broken");
  CHECK(broken["status"] == "no_evidence");
  CHECK(broken["exit_code"] == 3);
  CHECK(broken["error"].get<std::string>().find("no usable evidence") != std::string::npos);
  CHECK(fs::exists(out / "logs" / "broken.log"));

  // Image scanning may not be available: the host is recorded either way, never lost.
  const auto& disk = row_for(summary, "disk.raw");
  CHECK(disk["kind"] == "raw");
  CHECK(disk["status"] != "pending");
  CHECK(disk["log"] == "logs/disk.log");

  REQUIRE(summary["ignored"].size() == 1);
  CHECK(summary["ignored"][0]["path"] == (dir / "README.txt").string());

  // summary.csv: a header and one row per host, in the same order.
  const std::string csv = read_all(out / "summary.csv");
  CHECK(csv.rfind("host,computers,evidence,kind,status,exit_code,signal,verdict,score,findings,"
                  "top_rule_id,top_title,top_severity,report,log,error\r\n",
                  0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 6);
  CHECK(csv.find("\r\nbroken,") != std::string::npos);
  CHECK(csv.find("wks-registry,DEMO-WIN10,") != std::string::npos);
  CHECK(csv.find(",SMSS-001,") != std::string::npos);
}

TEST_CASE(
    "batch exit code is 1 for a finding at or above --fail-on and 0 below it, summary is "
    "deterministic",
    "[batch]") {
  const fs::path root = scratch("failon");
  const fs::path dir = root / "evidence";
  copy_dir_files(fixture_dir("bootexecute_extra"), dir / "a-registry");
  copy_dir_files(fixture_dir("system_clean_win10"), dir / "b-clean");

  auto high = run_cli({"batch",
                       dir.string(),
                       "-o",
                       (root / "high").string(),
                       "--fail-on",
                       "high",
                       "--scanner",
                       smssaudit_bin()});
  INFO(high.err);
  CHECK(high.exit_code == 1);
  const auto s = read_json(root / "high" / "summary.json");
  CHECK(row_for(s, "a-registry")["status"] == "findings");
  CHECK(row_for(s, "a-registry")["exit_code"] == 1);
  CHECK(row_for(s, "b-clean")["status"] == "ok");
  CHECK(s["options"]["fail_on"] == "high");

  auto critical = run_cli({"batch",
                           dir.string(),
                           "-o",
                           (root / "critical").string(),
                           "--fail-on",
                           "critical",
                           "--jobs",
                           "0",
                           "-q",
                           "--scanner",
                           smssaudit_bin()});
  CHECK(critical.exit_code == 0);
  CHECK(critical.err.empty());  // -q: nothing but errors

  auto again = run_cli({"batch",
                        dir.string(),
                        "-o",
                        (root / "critical").string(),
                        "--force",
                        "--fail-on",
                        "critical",
                        "--jobs",
                        "0",
                        "-q",
                        "--scanner",
                        smssaudit_bin()});
  CHECK(again.exit_code == 0);
  const auto first = read_json(root / "high" / "summary.json")["hosts"];
  const auto second = read_json(root / "critical" / "summary.json")["hosts"];
  REQUIRE(first.size() == second.size());
  for (std::size_t i = 0; i < first.size(); ++i) {
    CHECK(first[i]["host"] == second[i]["host"]);
    CHECK(first[i]["verdict"] == second[i]["verdict"]);
    CHECK(first[i]["top_finding"] == second[i]["top_finding"]);
  }
}

TEST_CASE("A crashing or hanging host is recorded with its signal and does not stop the others",
          "[batch]") {
  const fs::path root = scratch("crash");
  const fs::path dir = root / "evidence";
  copy_dir_files(fixture_dir("bootexecute_extra"), dir / "good");
  fs::create_directories(dir / "crash-host");
  fs::create_directories(dir / "hang-host");
  // A stand-in scanner: dies of SIGSEGV or hangs for the marked hosts, runs the real one otherwise.
  const fs::path script = root / "scanner.sh";
  write_text(script,
             "#!/bin/sh\nulimit -c 0\ncase \"$2\" in\n  *crash-host*) kill -SEGV $$ ;;\n"
             "  *hang-host*) exec sleep 60 ;;\nesac\nexec '" +
                 smssaudit_bin() + "' \"$@\"\n");
  ::chmod(script.c_str(), 0755);

  // 2 s (times SMSSAUDIT_TEST_TIME_SCALE): the good host's real scan must finish within it.
  const std::string timeout = std::to_string(scaled_seconds(2));
  auto r = run_cli({"batch",
                    dir.string(),
                    "-o",
                    (root / "out").string(),
                    "--jobs",
                    "3",
                    "--timeout",
                    timeout,
                    "--scanner",
                    script.string()});
  INFO(r.err);
  CHECK(r.exit_code == 4);
  const auto s = read_json(root / "out" / "summary.json");
  const auto& crash = row_for(s, "crash-host");
  CHECK(crash["status"] == "crashed");
  CHECK(crash["signal"] == "SIGSEGV");
  CHECK(crash["exit_code"].is_null());
  CHECK(crash["report"].is_null());
  const auto& hang = row_for(s, "hang-host");
  CHECK(hang["status"] == "timed_out");
  CHECK(hang["timed_out"] == true);
  CHECK(hang["signal"] == "SIGTERM");
  CHECK(hang["error"].get<std::string>().find("timed out after " + timeout + " s") !=
        std::string::npos);
  const auto& good = row_for(s, "good");
  CHECK(good["status"] == "ok");
  CHECK(good["verdict"] == "suspicious");
  CHECK(s["counts"]["crashed"] == 1);
  CHECK(s["counts"]["timed_out"] == 1);
  // Failures are reported on stderr even with -q.
  CHECK(r.err.find("crash-host") != std::string::npos);
}

TEST_CASE("batch setup errors are exit 2 before any host starts", "[batch]") {
  const fs::path root = scratch("setup");
  const fs::path dir = root / "evidence";
  copy_dir_files(fixture_dir("system_clean_win10"), dir / "host");

  // A non-empty OUTDIR without --force: refused, nothing written into it.
  fs::create_directories(root / "used");
  write_text(root / "used" / "keep.txt", "keep");
  auto used = run_cli(
      {"batch", dir.string(), "-o", (root / "used").string(), "--scanner", smssaudit_bin()});
  CHECK(used.exit_code == 2);
  CHECK(used.err.find("--force") != std::string::npos);
  CHECK_FALSE(fs::exists(root / "used" / "summary.json"));
  CHECK_FALSE(fs::exists(root / "used" / "logs"));

  // OUTDIR inside DIR (the evidence), OUTDIR a file, DIR missing, bad level, bad scanner.
  auto inside = run_cli({"batch", dir.string(), "-o", (dir / "out").string()});
  CHECK(inside.exit_code == 2);
  CHECK(inside.err.find("inside the evidence folder") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "out"));
  write_text(root / "file", "x");
  CHECK(run_cli({"batch", dir.string(), "-o", (root / "file").string()}).exit_code == 2);
  CHECK(run_cli({"batch", (root / "missing").string(), "-o", (root / "o1").string()}).exit_code ==
        2);
  CHECK(run_cli({"batch", dir.string(), "-o", (root / "o2").string(), "--fail-on", "bogus"})
            .exit_code == 2);
  CHECK(run_cli({"batch",
                 dir.string(),
                 "-o",
                 (root / "o3").string(),
                 "--scanner",
                 "/nonexistent/smssaudit"})
            .exit_code == 2);
  CHECK(run_cli({"batch", dir.string()}).exit_code == 2);  // -o is required
  CHECK(run_cli({"batch", dir.string(), "-o", "/proc/smssaudit-batch-out"}).exit_code == 2);
  // A rules folder with an error stops the batch once, before any host.
  auto bad_rules = run_cli({"batch",
                            dir.string(),
                            "-o",
                            (root / "o4").string(),
                            "--rules",
                            smssaudit::testing::source_path("fixtures/rules/invalid")});
  CHECK(bad_rules.exit_code == 2);
  CHECK_FALSE(fs::exists(root / "o4" / "summary.json"));
}

TEST_CASE("batch over a folder without hosts exits 3 with an empty summary", "[batch]") {
  const fs::path root = scratch("empty");
  fs::create_directories(root / "evidence");
  write_text(root / "evidence" / "notes.txt", "nothing here");
  auto r = run_cli({"batch",
                    (root / "evidence").string(),
                    "-o",
                    (root / "out").string(),
                    "--scanner",
                    smssaudit_bin()});
  CHECK(r.exit_code == 3);
  const auto s = read_json(root / "out" / "summary.json");
  CHECK(s["hosts"].empty());
  CHECK(s["ignored"].size() == 1);
  CHECK(s["exit_code"] == 3);
}

TEST_CASE("batch over the corpus host folders: one report each, exit code from --fail-on",
          "[batch][corpus]") {
  const fs::path root = scratch("corpus");
  const std::string hosts = corpus_path("evtx/hosts");
  auto r = run_cli(
      {"batch", hosts, "-o", (root / "all").string(), "--jobs", "2", "--scanner", smssaudit_bin()});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  const auto s = read_json(root / "all" / "summary.json");
  REQUIRE(s["hosts"].size() == 3);
  for (const auto& row : s["hosts"]) {
    INFO(row.dump());
    CHECK(row["status"] == "ok");
    CHECK(row["verdict"] == "inconclusive");  // event logs alone: never "clean"
    CHECK(fs::exists(root / "all" / row["report"].get<std::string>()));
  }
  CHECK(row_for(s, "velocidex-onehost")["top_finding"]["severity"] == "low");
  // The same hosts with --fail-on low: a low finding in one host makes the batch exit 1.
  auto low = run_cli({"batch",
                      hosts,
                      "-o",
                      (root / "low").string(),
                      "--fail-on",
                      "low",
                      "--scanner",
                      smssaudit_bin()});
  CHECK(low.exit_code == 1);
  CHECK(row_for(read_json(root / "low" / "summary.json"), "velocidex-onehost")["status"] ==
        "findings");
}
