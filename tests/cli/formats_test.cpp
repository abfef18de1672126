// The machine formats end to end (issue 6 item 1): --format jsonl and csv, --timeline FILE, its
// output checks, and the JSON Schemas in schemas/ validated against real reports by
// tests/support/validate_schema.py (Debian's python3-jsonschema).
#include "smssaudit/core/filetime.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"
#include "support/scan.hpp"

#include <boost/filesystem.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <vector>

namespace {

namespace fs = boost::filesystem;
using Json = nlohmann::json;
using smssaudit::testing::corpus_path;
using smssaudit::testing::evtx_fixture_dir;
using smssaudit::testing::fixture_dir;
using smssaudit::testing::python_bin;
using smssaudit::testing::run_cli;
using smssaudit::testing::source_path;

fs::path scratch(const std::string& name) {
  fs::path p = fs::path(SMSSAUDIT_FIXTURE_OUT) / "scratch" / ("formats_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::vector<std::string> demo_args() {
  return {"scan",
          fixture_dir("demo_compromised") + "/SYSTEM",
          evtx_fixture_dir("demo_compromised"),
          "--software",
          fixture_dir("software_win10") + "/SOFTWARE"};
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<Json> jsonl_lines(const std::string& text) {
  std::vector<Json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    out.push_back(Json::parse(line));
  }
  return out;
}

struct PipeClose {
  void operator()(FILE* f) const noexcept { (void)pclose(f); }
};

std::string quoted(const std::string& s) {
  std::string q = "'";
  for (const char c : s) {
    q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return q + "'";
}

struct Run {
  int exit_code = -1;
  std::string out;
};

Run run(const std::string& command) {
  Run r;
  FILE* raw = popen((command + " 2>&1").c_str(), "r");
  if (raw == nullptr) {
    return r;
  }
  std::unique_ptr<FILE, PipeClose> pipe(raw);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe.get())) > 0) {
    r.out.append(buf.data(), n);
  }
  const int status = pclose(pipe.release());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// validate_schema.py exit code and output for FILE against schemas/NAME.
Run validate(const std::string& schema, const std::string& file, bool jsonl = false) {
  return run(python_bin() + " " + quoted(source_path("tests/support/validate_schema.py")) +
             (jsonl ? " --jsonl " : " ") + quoted(source_path("schemas/" + schema)) + " " +
             quoted(file));
}

constexpr const char* kReportSchema = "smssaudit.report.v1.schema.json";
constexpr const char* kLineSchema = "smssaudit.jsonl.v1.schema.json";

void check_timesketch_line(const Json& line) {
  REQUIRE(line.contains("message"));
  REQUIRE(line.contains("datetime"));
  REQUIRE(line.contains("timestamp"));
  REQUIRE(line.contains("timestamp_desc"));
  CHECK(line["message"].is_string());
  CHECK(line["timestamp_desc"].is_string());
  const auto ft = smssaudit::iso8601_to_filetime(line["datetime"].get<std::string>());
  REQUIRE(ft.has_value());
  CHECK(line["timestamp"].get<std::int64_t>() == smssaudit::filetime_to_unix_micros(*ft));
}

}  // namespace

TEST_CASE("scan --format jsonl writes Timesketch lines, one per finding", "[cli][jsonl]") {
  const auto json = run_cli(with(demo_args(), {"--format", "json"}));
  const auto r = run_cli(with(demo_args(), {"--format", "jsonl"}));
  REQUIRE(r.exit_code == 0);
  const auto findings = Json::parse(json.out)["hosts"][0]["findings"];
  const auto lines = jsonl_lines(r.out);
  REQUIRE(lines.size() == findings.size());
  REQUIRE(lines.size() >= 5);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    check_timesketch_line(lines[i]);
    CHECK(lines[i]["host"] == "DEMO-WIN10");
    CHECK(lines[i]["rule_id"] == findings[i]["rule_id"]);
    CHECK(lines[i]["message"] == findings[i]["message"]);
    CHECK(lines[i]["evidence"] == findings[i]["evidence"]);
    CHECK(lines[i]["fields"] == findings[i]["fields"]);
  }
  // The demo's lineage finding is placed at its 4688 record, registry ones at their key's time.
  std::set<std::string> descs;
  for (const auto& l : lines) {
    descs.insert(l["timestamp_desc"].get<std::string>());
  }
  CHECK(descs.count("Process Start") == 1);
  CHECK(descs.count("Key Last Written") == 1);

  const auto dir = scratch("jsonl");
  const auto file = (dir / "findings.jsonl").string();
  write_file(file, r.out);
  const Run v = validate(kLineSchema, file, true);
  INFO(v.out);
  CHECK(v.exit_code == 0);
}

TEST_CASE("scan --format csv writes RFC 4180 findings with the fixed header", "[cli][csv]") {
  const auto dir = scratch("csv");
  const auto file = (dir / "findings.csv").string();
  const auto r = run_cli(with(demo_args(), {"--format", "csv", "-o", file}));
  REQUIRE(r.exit_code == 0);
  const std::string text = read_file(file);
  REQUIRE(text.rfind("host,rule_id,severity,score,confidence,title,message,attack,artifact,"
                     "location,time\r\n",
                     0) == 0);
  for (std::size_t i = text.find('\n'); i != std::string::npos; i = text.find('\n', i + 1)) {
    CHECK(text[i - 1] == '\r');
  }
  // Python's csv module (RFC 4180 "excel" dialect) reads it back: 11 fields per row, one row per
  // finding, the header first.
  const std::string script =
      "import csv,json,sys\n"
      "rows=list(csv.reader(open(sys.argv[1],newline='',encoding='utf-8'),strict=True))\n"
      "print(json.dumps(rows))\n";
  const Run py = run(python_bin() + " -c " + quoted(script) + " " + quoted(file));
  REQUIRE(py.exit_code == 0);
  const auto rows = Json::parse(py.out);
  const auto json = Json::parse(run_cli(with(demo_args(), {"--format", "json"})).out);
  const auto& findings = json["hosts"][0]["findings"];
  REQUIRE(rows.size() == findings.size() + 1);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].size() == 11);
  }
  for (std::size_t i = 0; i < findings.size(); ++i) {
    CHECK(rows[i + 1][0] == "DEMO-WIN10");
    CHECK(rows[i + 1][1] == findings[i]["rule_id"]);
    CHECK(rows[i + 1][6] == findings[i]["message"]);
  }
}

TEST_CASE("scan --timeline writes every dated fact sorted by time", "[cli][timeline]") {
  const auto dir = scratch("timeline");
  const auto timeline = (dir / "timeline.jsonl").string();
  const auto report = (dir / "report.json").string();
  const auto r = run_cli(with(demo_args(), {"--timeline", timeline, "-o", report}));
  REQUIRE(r.exit_code == 0);
  CHECK(Json::parse(read_file(report))["schema"] == "smssaudit.report/1");
  const auto lines = jsonl_lines(read_file(timeline));
  REQUIRE(lines.size() > 20);
  std::int64_t previous = 0;
  std::set<std::string> types;
  for (const auto& l : lines) {
    check_timesketch_line(l);
    CHECK(l["timestamp"].get<std::int64_t>() >= previous);
    previous = l["timestamp"].get<std::int64_t>();
    types.insert(l["data_type"].get<std::string>());
  }
  for (const char* t : {"smssaudit:boot",
                        "smssaudit:process",
                        "smssaudit:session",
                        "smssaudit:registry:key",
                        "smssaudit:finding"}) {
    CHECK(types.count(t) == 1);
  }
  const Run v = validate(kLineSchema, timeline, true);
  INFO(v.out);
  CHECK(v.exit_code == 0);

  // The same scan twice gives the same bytes.
  const auto again = (dir / "again.jsonl").string();
  REQUIRE(run_cli(with(demo_args(), {"--timeline", again, "-o", report, "--force"})).exit_code ==
          0);
  CHECK(read_file(again) == read_file(timeline));
}

TEST_CASE("A timeline file that exists without --force stops the scan before any analysis",
          "[cli][timeline]") {
  const auto dir = scratch("timeline_exists");
  const auto timeline = (dir / "timeline.jsonl").string();
  write_file(timeline, "keep me");
  // A corrupt hive would give exit 3 if analysis ran; the output check comes first.
  const auto corrupt = corpus_path("hives/corrupt/corrupted_system_hive");
  const auto r = run_cli({"scan", corrupt, "--format", "json", "--timeline", timeline});
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("--force") != std::string::npos);
  CHECK(r.err.find("libregf") == std::string::npos);
  CHECK(read_file(timeline) == "keep me");

  // Never over the evidence, never the report file itself, never in a missing folder.
  const auto hive = (dir / "SYSTEM").string();
  fs::copy_file(fixture_dir("system_clean_win10") + "/SYSTEM", hive);
  CHECK(run_cli({"scan", hive, "--timeline", hive, "--force"}).exit_code == 2);
  CHECK(fs::file_size(hive) == fs::file_size(fixture_dir("system_clean_win10") + "/SYSTEM"));
  const auto same = (dir / "both.json").string();
  CHECK(run_cli({"scan", hive, "-o", same, "--timeline", same}).exit_code == 2);
  CHECK_FALSE(fs::exists(same));
  CHECK(run_cli({"scan", hive, "--timeline", "/nonexistent-dir/t.jsonl"}).exit_code == 2);

  const auto forced =
      run_cli({"scan", hive, "--format", "json", "--timeline", timeline, "--force"});
  CHECK(forced.exit_code == 0);
  CHECK(read_file(timeline) != "keep me");
}

TEST_CASE("Real reports validate against the JSON Schema in schemas/", "[cli][schema]") {
  const auto dir = scratch("schema");

  struct Case {
    std::string name;
    std::vector<std::string> args;
    int exit_code;
  };

  const std::vector<Case> cases = {
      {"demo", demo_args(), 0},
      {"hive_only",
       {"scan",
        fixture_dir("bootexecute_extra") + "/SYSTEM",
        "--software",
        fixture_dir("software_win10") + "/SOFTWARE"},
       0},
      {"dirty_hive", {"scan", fixture_dir("dirty_with_logs") + "/SYSTEM"}, 0},
      {"logs_only", {"scan", corpus_path("evtx/hosts/win10-1809-belkasoft")}, 0},
      {"corrupt", {"scan", corpus_path("hives/corrupt/corrupted_system_hive")}, 3},
      {"corrupt_partial", {"scan", corpus_path("hives/corrupt/BadListHive")}, 3},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      const auto file = (dir / (c.name + ".json")).string();
      const auto r = run_cli(with(c.args, {"--format", "json", "-o", file}));
      CHECK(r.exit_code == c.exit_code);
      const Run v = validate(kReportSchema, file);
      INFO(v.out);
      CHECK(v.exit_code == 0);
    }
  }
}

TEST_CASE("The report schema rejects a renamed or missing key", "[cli][schema]") {
  const auto dir = scratch("schema_negative");
  const auto good = (dir / "good.json").string();
  REQUIRE(run_cli(with(demo_args(), {"--format", "json", "-o", good})).exit_code == 0);
  const Json doc = Json::parse(read_file(good));
  REQUIRE(validate(kReportSchema, good).exit_code == 0);

  auto rename = [&](const Json::json_pointer& where, const std::string& to) {
    Json bad = doc;
    const Json value = bad.at(where);
    bad.at(where.parent_pointer()).erase(where.back());
    bad.at(where.parent_pointer())[to] = value;
    const auto file = (dir / (to + ".json")).string();
    write_file(file, bad.dump(2));
    return validate(kReportSchema, file);
  };
  CHECK(rename(Json::json_pointer("/hosts/0/findings/0/rule_id"), "rule").exit_code == 1);
  CHECK(rename(Json::json_pointer("/hosts/0/lineage/boots/0/masters"), "master").exit_code == 1);
  CHECK(rename(Json::json_pointer("/hosts/0/verdict/level"), "verdict_level").exit_code == 1);
  CHECK(rename(Json::json_pointer("/inputs/0/sha256"), "sha").exit_code == 1);
  const Run v = rename(Json::json_pointer("/hosts/0/findings/1/evidence/0/key_path"), "keypath");
  CHECK(v.exit_code == 1);
  CHECK(v.out.find("problem") != std::string::npos);
}
