// CTest sees each Catch2 test case through catch_discover_tests, which splits a test name at ';'
// (a CMake list separator) into two CTest entries whose filters match no test case: both "pass"
// having run nothing. This happened to three test cases; this test keeps it from happening again.
#include "support/catch.hpp"
#include "support/paths.hpp"

#include <boost/filesystem.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

TEST_CASE("No test case name contains a semicolon, which CTest would split into empty tests",
          "[meta]") {
  namespace fs = boost::filesystem;
  const std::regex name(R"re(TEST_CASE\(\s*"([^"]*)")re");
  std::string bad;
  std::size_t seen = 0;
  for (fs::recursive_directory_iterator it(smssaudit::testing::source_path("tests")), end;
       it != end;
       ++it) {
    if (it->path().extension() != ".cpp") {
      continue;
    }
    std::ifstream in(it->path().string());
    std::stringstream text;
    text << in.rdbuf();
    const std::string s = text.str();
    for (std::sregex_iterator m(s.begin(), s.end(), name), stop; m != stop; ++m) {
      ++seen;
      if ((*m)[1].str().find(';') != std::string::npos) {
        bad += it->path().filename().string() + ": " + (*m)[1].str() + "\n";
      }
    }
  }
  CHECK(seen > 400);  // the scan found the test cases
  INFO(bad);
  CHECK(bad.empty());
}
