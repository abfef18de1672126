// Unit tests for facts/surface, facts/baseline and facts/fact.
#include "smssaudit/facts/baseline.hpp"
#include "smssaudit/facts/fact.hpp"
#include "smssaudit/facts/surface.hpp"
#include "support/catch.hpp"

#include <set>

using namespace smssaudit::facts;

TEST_CASE("The Session Manager surface lists 17 unique keys in report order", "[facts]") {
  const auto surface = session_manager_surface();
  REQUIRE(surface.size() == 17);
  CHECK(surface.front().path == kSessionManager);
  CHECK(surface.front().label == "session_manager");
  CHECK(surface[2].label == "knowndlls");
  CHECK(surface[6].path == kPrefetchParameters);
  CHECK(surface.back().path == "Control\\ServiceControlManagerExtension");
  CHECK(surface.back().label == "scm_extension");
  std::set<std::string_view> labels;
  for (const auto& k : surface) {
    labels.insert(k.label);
  }
  CHECK(labels.size() == surface.size());
}

TEST_CASE("OS family follows the build number ranges", "[facts]") {
  CHECK(os_family_for_build(6002) == "vista");
  CHECK(os_family_for_build(7601) == "win7");
  CHECK(os_family_for_build(9200) == "win8");
  CHECK(os_family_for_build(9600) == "win81");
  CHECK(os_family_for_build(10240) == "win10");
  CHECK(os_family_for_build(19045) == "win10");
  CHECK(os_family_for_build(21999) == "win10");
  CHECK(os_family_for_build(22000) == "win11");
  CHECK(os_family_for_build(26100) == "win11");
  CHECK(os_family_for_build(9800) == "generic");
  CHECK(os_family_for_build(0) == "generic");
}

TEST_CASE("Merging baselines unions every list without case-insensitive duplicates", "[facts]") {
  Baseline base;
  base.id = "win10";
  base.known_dlls_expected = {"kernel32", "ntdll"};
  base.execute_allow["bootexecute"] = {"^autocheck autochk \\*$"};
  Baseline extra;
  extra.id = "site:x.yaml";
  extra.known_dlls_expected = {"NTDLL", "acme"};
  extra.execute_allow["bootexecute"] = {"^autocheck autochk \\*$", "^sdnclean64\\.exe$"};
  extra.execute_allow["setupexecute"] = {"^x$"};
  const Baseline m = merge_baselines(base, extra);
  CHECK(m.id == "win10+site:x.yaml");
  CHECK(m.known_dlls_expected == std::vector<std::string>{"kernel32", "ntdll", "acme"});
  CHECK(m.execute_allow.at("bootexecute").size() == 2);
  CHECK(m.execute_allow.at("setupexecute") == std::vector<std::string>{"^x$"});
}

TEST_CASE("Facts render fields and have a type-aware identity", "[facts]") {
  CHECK(field_to_string(FieldValue{}).empty());
  CHECK(field_to_string(FieldValue{true}) == "true");
  CHECK(field_to_string(FieldValue{std::int64_t{-3}}) == "-3");
  Fact a;
  a.kind = "smss.boot_execute";
  a.set("command", std::string("autocheck autochk *")).set("index", std::int64_t{0});
  REQUIRE(a.get("command") != nullptr);
  CHECK(a.get("missing") == nullptr);
  Fact b = a;
  CHECK(a.identity() == b.identity());
  b.set("index", std::string("0"));
  CHECK(a.identity() != b.identity());
}
