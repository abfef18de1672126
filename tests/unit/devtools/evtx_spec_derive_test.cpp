// Derived EVTX specs (fixtures/evtx/README.md "Derived specs"): base + remove/change/add, labels,
// base chains, time order after the edits, and the errors (unknown label, cycle, misuse).
#include "devtools/evtx/evtx_spec_loader.hpp"
#include "devtools/evtx/evtx_writer.hpp"
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace ev = smssaudit::devtools::evtx;
namespace fs = std::filesystem;

namespace {

class SpecDir {
 public:
  SpecDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("smssaudit-derive-" + std::to_string(rd()));
    fs::create_directories(path_);
  }

  SpecDir(const SpecDir&) = delete;
  SpecDir& operator=(const SpecDir&) = delete;
  SpecDir(SpecDir&&) = delete;
  SpecDir& operator=(SpecDir&&) = delete;

  ~SpecDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }

  fs::path write(const std::string& name, const std::string& text) const {
    const fs::path p = path_ / name;
    std::ofstream(p) << text;
    return p;
  }

 private:
  fs::path path_;
};

constexpr const char* kBase =
    "description: base boot\n"
    "base_time: \"2021-03-01T08:00:00.0000000Z\"\n"
    "computer: BASE-HOST\n"
    "files:\n"
    "  - name: Security.evtx\n"
    "    events:\n"
    "      - label: master\n"
    "        t: 1.0\n"
    "        preset: security_4688_v2\n"
    "        data: {NewProcessId: 0x118, NewProcessName: 'C:\\Windows\\System32\\smss.exe', "
    "ProcessId: 0x4, CommandLine: '\\SystemRoot\\System32\\smss.exe'}\n"
    "      - {label: autochk, t: 2.0, preset: security_4688_v2, data: {NewProcessId: 0x140, "
    "ProcessId: 0x118}}\n"
    "      - {label: child, t: 3.0, preset: security_4688_v2, data: {NewProcessId: 0x178, "
    "ProcessId: 0x118}}\n"
    "  - name: System.evtx\n"
    "    events:\n"
    "      - {label: kernel, t: 0.5, preset: system_12}\n";

// The header line and data lines of record `index` of a dump.
std::vector<std::string> record(const std::vector<std::string>& dump, std::size_t index) {
  std::vector<std::string> out;
  std::size_t seen = 0;
  for (const auto& line : dump) {
    if (line.rfind("record=", 0) == 0)
      ++seen;
    if (seen == index + 1)
      out.push_back(line);
  }
  return out;
}

bool has_line(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
    return l.find(text) != std::string::npos;
  });
}

const ev::LogFileSpec& file_of(const ev::EvtxSpec& spec, const std::string& name) {
  const auto it = std::find_if(
      spec.files.begin(), spec.files.end(), [&](const auto& f) { return f.name == name; });
  REQUIRE(it != spec.files.end());
  return *it;
}

}  // namespace

TEST_CASE("evtx derived spec: remove, change and add apply to the base, ids follow time order",
          "[devtools][evtx]") {
  SpecDir dir;
  dir.write("base.yaml", kBase);
  const fs::path derived =
      dir.write("derived.yaml",
                "description: derived\n"
                "base: base\n"
                "remove: [{file: Security.evtx, label: autochk}]\n"
                "change:\n"
                "  - {file: Security.evtx, label: child, t: 0.75, data: {CommandLine: 'smss.exe "
                "000000cc 00000084 '}}\n"
                "add:\n"
                "  - file: Security.evtx\n"
                "    events:\n"
                "      - {label: late, t: 2.5, preset: security_4689, data: {ProcessId: 0x178}}\n"
                "  - file: Microsoft-Windows-Sysmon%4Operational.evtx\n"
                "    first_record_id: 500\n"
                "    events:\n"
                "      - {t: 4.0, preset: sysmon_1_c, data: {ProcessId: 300}}\n");
  const ev::EvtxSpec spec = ev::load_evtx_spec(derived);
  CHECK(spec.description == "derived");
  REQUIRE(spec.files.size() == 3);
  CHECK(spec.files[0].name == "Security.evtx");
  CHECK(spec.files[1].name == "System.evtx");
  CHECK(spec.files[2].name == "Microsoft-Windows-Sysmon%4Operational.evtx");

  const ev::LogFileSpec& security = file_of(spec, "Security.evtx");
  REQUIRE(security.events.size() == 3);
  const std::vector<std::string> dump = ev::expected_dump(security);
  // The changed child (t 0.75) now comes first, then the master (1.0), then the added 4689.
  const auto first = record(dump, 0);
  REQUIRE_FALSE(first.empty());
  CHECK_THAT(first[0], Catch::StartsWith("record=1 time=2021-03-01T08:00:00.7500000Z"));
  CHECK(has_line(first, "EventData/NewProcessId=0x178"));
  CHECK(has_line(first, "EventData/ProcessId=0x118"));  // kept from the base
  CHECK(has_line(first, "EventData/CommandLine=smss.exe 000000cc 00000084 "));
  CHECK(has_line(first, "computer=BASE-HOST"));
  const auto second = record(dump, 1);
  CHECK_THAT(second[0], Catch::StartsWith("record=2 time=2021-03-01T08:00:01.0000000Z"));
  CHECK(has_line(second, "EventData/NewProcessId=0x118"));
  const auto third = record(dump, 2);
  CHECK_THAT(third[0], Catch::StartsWith("record=3 time=2021-03-01T08:00:02.5000000Z"));
  CHECK(has_line(third, "event_id=4689"));
  CHECK_FALSE(has_line(dump, "NewProcessId=0x140"));  // removed

  const ev::LogFileSpec& sysmon = file_of(spec, "Microsoft-Windows-Sysmon%4Operational.evtx");
  REQUIRE(sysmon.events.size() == 1);
  CHECK(ev::record_ids(sysmon) == std::vector<std::uint64_t>{500});
  CHECK(sysmon.events[0].channel == "Microsoft-Windows-Sysmon/Operational");
  CHECK(file_of(spec, "System.evtx").events.size() == 1);
}

TEST_CASE("evtx derived spec: chains, preset switch and top-level overrides", "[devtools][evtx]") {
  SpecDir dir;
  dir.write("base.yaml", kBase);
  dir.write(
      "middle.yaml",
      "base: base.yaml\n"
      "computer: MIDDLE\n"
      "add: [{file: Security.evtx, events: [{label: added, t: 5.0, preset: security_4608}]}]\n");
  const fs::path top =
      dir.write("top.yaml",
                "base: middle\n"
                "base_time: \"2021-03-02T08:00:00.0000000Z\"\n"
                "change:\n"
                "  - {file: Security.evtx, label: added, t: 6.0}\n"
                "  - {file: Security.evtx, label: master, preset: security_4688_v0}\n"
                "remove: [{file: System.evtx, label: kernel}]\n");
  const ev::EvtxSpec spec = ev::load_evtx_spec(top);
  const ev::LogFileSpec& security = file_of(spec, "Security.evtx");
  REQUIRE(security.events.size() == 4);
  const std::vector<std::string> dump = ev::expected_dump(security);
  // base_time moved by a day for every event, the base's included.
  CHECK_THAT(record(dump, 0)[0], Catch::StartsWith("record=1 time=2021-03-02T08:00:01.0000000Z"));
  CHECK(has_line(record(dump, 0), "version=0"));
  CHECK_FALSE(has_line(record(dump, 0), "CommandLine"));  // v0 has none: dropped on the switch
  CHECK(has_line(record(dump, 0), "computer=MIDDLE"));
  CHECK_THAT(record(dump, 3)[0], Catch::StartsWith("record=4 time=2021-03-02T08:00:06.0000000Z"));
  CHECK(file_of(spec, "System.evtx").events.empty());
}

TEST_CASE("evtx derived spec: an unknown label is an error naming the file and line",
          "[devtools][evtx]") {
  SpecDir dir;
  dir.write("base.yaml", kBase);
  const fs::path bad = dir.write("bad.yaml",
                                 "base: base\n"
                                 "change:\n"
                                 "  - {file: Security.evtx, label: mastr, t: 2.0}\n");
  try {
    (void)ev::load_evtx_spec(bad);
    FAIL("no error for an unknown label");
  } catch (const ev::EvtxSpecError& e) {
    CHECK(e.line() == 3);
    CHECK_THAT(e.what(), Catch::Contains("bad.yaml:3:"));
    CHECK_THAT(e.what(), Catch::Contains("no event labelled 'mastr'"));
  }
  const fs::path bad_file =
      dir.write("bad_file.yaml", "base: base\nremove: [{file: Sysmon.evtx, label: master}]\n");
  CHECK_THROWS_WITH(ev::load_evtx_spec(bad_file), Catch::Contains("the base has no file"));
  const fs::path bad_field =
      dir.write("bad_field.yaml",
                "base: base\nchange: [{file: Security.evtx, label: master, data: {Bogus: 1}}]\n");
  CHECK_THROWS_WITH(ev::load_evtx_spec(bad_field),
                    Catch::Contains("bad_field.yaml:2:") && Catch::Contains("'Bogus'"));
  const fs::path twice =
      dir.write("twice.yaml",
                "base: base\nadd: [{file: Security.evtx, events: [{label: child, t: 9, "
                "preset: security_4608}]}]\n");
  CHECK_THROWS_WITH(ev::load_evtx_spec(twice), Catch::Contains("label 'child' is used twice"));
}

TEST_CASE("evtx derived spec: a base cycle and misplaced edits are errors", "[devtools][evtx]") {
  SpecDir dir;
  const fs::path a = dir.write("a.yaml", "base: b\n");
  dir.write("b.yaml", "base: c.yaml\n");
  dir.write("c.yaml", "base: a\n");
  CHECK_THROWS_WITH(ev::load_evtx_spec(a),
                    Catch::Contains("base cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml"));
  const fs::path self = dir.write("self.yaml", "base: self\n");
  CHECK_THROWS_WITH(ev::load_evtx_spec(self), Catch::Contains("base cycle"));
  const fs::path missing = dir.write("missing.yaml", "base: nowhere\n");
  CHECK_THROWS_WITH(ev::load_evtx_spec(missing),
                    Catch::StartsWith(missing.string() + ":1:7: cannot read base spec"));
  dir.write("base.yaml", kBase);
  const fs::path both = dir.write("both.yaml", "base: base\nfiles: [{name: x.evtx}]\n");
  CHECK_THROWS_WITH(ev::load_evtx_spec(both), Catch::Contains("not files"));
  CHECK_THROWS_WITH(
      ev::parse_evtx_spec("files: [{name: x.evtx}]\nremove: [{file: x.evtx, label: y}]\n",
                          "nobase.yaml"),
      Catch::Contains("remove needs a base"));
  // `expect:` is for the tests and ignored by the writer.
  CHECK_NOTHROW(ev::parse_evtx_spec(
      "files: [{name: x.evtx, events: [{label: a, time: '2021-03-01T08:00:00Z', "
      "preset: security_4608}]}]\nexpect: {fires: [LIN-001]}\n",
      "expect.yaml"));
}

TEST_CASE("evtx derived spec: every event of the two clean boots has a label", "[devtools][evtx]") {
  // Labels are the only thing a derived fixture needs; every event of the base specs has one.
  for (const char* name : {"boot_clean_win10_security", "boot_clean_win10_sysmon"}) {
    INFO(name);
    const fs::path path =
        smssaudit::testing::source_path(std::string("fixtures/evtx/") + name + ".yaml");
    const ev::EvtxSpec spec = ev::load_evtx_spec(path);
    std::ifstream in(path);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t labels = 0;
    for (std::size_t at = text.find("label:"); at != std::string::npos;
         at = text.find("label:", at + 1))
      ++labels;
    std::size_t events = 0;
    for (const auto& f : spec.files)
      events += f.events.size();
    CHECK(labels == events);
  }
}
