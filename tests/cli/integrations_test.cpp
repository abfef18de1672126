// integrations/: the Velociraptor artifacts and the KAPE module are valid YAML with the keys their
// tools require, use only options `smssaudit scan --help` lists, and their command lines really
// run (tests/support/check_integrations.py does the checking).
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <boost/filesystem.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sys/wait.h>

namespace {

namespace fs = boost::filesystem;
using smssaudit::testing::evtx_fixture_dir;
using smssaudit::testing::fixture_dir;
using smssaudit::testing::python_bin;
using smssaudit::testing::smssaudit_bin;
using smssaudit::testing::source_path;

fs::path scratch(const std::string& name) {
  fs::path p = fs::path(SMSSAUDIT_FIXTURE_OUT) / "scratch" / "integrations" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

struct Captured {
  int status = -1;
  std::string output;
};

struct PipeClose {
  void operator()(FILE* f) const noexcept { ::pclose(f); }
};

/// Runs the checker with stdout and stderr captured.
Captured run_checker(const std::string& dir, const std::string& extra = "") {
  const std::string cmd = "'" + python_bin() + "' '" +
                          source_path("tests/support/check_integrations.py") + "' --bin '" +
                          smssaudit_bin() + "' --dir '" + dir + "' " + extra + " 2>&1";
  Captured c;
  FILE* raw = ::popen(cmd.c_str(), "r");
  REQUIRE(raw != nullptr);
  std::unique_ptr<FILE, PipeClose> pipe(raw);
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe.get()) != nullptr) {
    c.output += buf.data();
  }
  const int status = ::pclose(pipe.release());
  c.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return c;
}

void copy_tree(const fs::path& from, const fs::path& to) {
  fs::create_directories(to);
  for (fs::recursive_directory_iterator it(from), end; it != end; ++it) {
    const fs::path rel = fs::relative(it->path(), from);
    if (fs::is_directory(it->path())) {
      fs::create_directories(to / rel);
    } else {
      fs::copy_file(it->path(), to / rel);
    }
  }
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p.string(), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void replace_in(const fs::path& p, const std::string& from, const std::string& to) {
  std::string text = read_all(p);
  const auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(), to);
  std::ofstream(p.string(), std::ios::binary) << text;
}

}  // namespace

TEST_CASE("The integrations are valid and their command lines run against a host folder",
          "[integrations]") {
  // A small triage-like host folder: SYSTEM hive, its logs, and the event logs of one boot.
  const fs::path host = scratch("host");
  for (const auto& from :
       {fixture_dir("bootexecute_extra"), evtx_fixture_dir("demo_compromised")}) {
    for (fs::directory_iterator it(from), end; it != end; ++it) {
      if (it->path().filename().string()[0] != '.') {
        fs::copy_file(it->path(), host / it->path().filename());
      }
    }
  }
  const fs::path work = scratch("work");
  auto r = run_checker(source_path("integrations"),
                       "--run-dir '" + host.string() + "' --scratch '" + work.string() + "'");
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output == "OK\n");
  // The KAPE processors wrote their --timeline file into the destination folder.
  bool timeline = false;
  for (fs::recursive_directory_iterator it(work), end; it != end; ++it) {
    timeline = timeline || it->path().filename() == "smssaudit_timeline.jsonl";
  }
  CHECK(timeline);
}

TEST_CASE("The integrations check fails on a bad GUID, an unknown option or a missing key",
          "[integrations]") {
  const fs::path copy = scratch("broken") / "integrations";
  copy_tree(source_path("integrations"), copy);
  replace_in(copy / "kape" / "SmssAudit.mkape",
             "Id: 5d0a335d-8d0d-4cd0-b7a9-827f5039cd23",
             "Id: 5d0a335d-8d0d-4cd0-b7a9");
  replace_in(copy / "kape" / "SmssAudit.mkape", "--format csv", "--format xml --no-such-option");
  replace_in(copy / "velociraptor" / "Server.Analysis.Windows.SmssAudit.yaml",
             "\"--color\", \"never\"",
             "\"--colour\", \"never\"");
  replace_in(copy / "velociraptor" / "Server.Monitor.SmssAudit.yaml",
             "MinSeverity=MinSeverity",
             "MinSeverity=MinSeverity, Severity=MinSeverity");
  replace_in(copy / "velociraptor" / "Server.Monitor.SmssAudit.yaml", "type: SERVER_EVENT", "");
  auto r = run_checker(copy.string());
  INFO(r.output);
  CHECK(r.status == 1);
  CHECK(r.output.find("is not a GUID") != std::string::npos);
  CHECK(r.output.find("option --no-such-option is not listed") != std::string::npos);
  CHECK(r.output.find("--format xml: not one of") != std::string::npos);
  CHECK(r.output.find("option --colour is not listed") != std::string::npos);
  CHECK(r.output.find("missing key type") != std::string::npos);
  CHECK(r.output.find("no SERVER_EVENT artifact") != std::string::npos);
  CHECK(r.output.find("\nOK\n") == std::string::npos);
}
