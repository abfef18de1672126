// Test helpers that run the real pipeline or CLI in-process.
#pragma once

#include "smssaudit/app/cli.hpp"
#include "smssaudit/app/pipeline.hpp"
#include "smssaudit/rules/catalog.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace smssaudit::testing {

/// The built-in catalogue, loaded once per call (cheap: a few dozen small YAML files).
inline rules::Catalog builtin_catalog() {
  auto load = rules::load_catalog(rules::builtin_sources(), {});
  if (!load.ok()) {
    throw std::runtime_error("built-in catalogue failed to load: " + load.errors.front());
  }
  return std::move(load.catalog);
}

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// Runs `smssaudit ARGS...` in-process.
inline CliRun run_cli(const std::vector<std::string>& args) {
  std::vector<const char*> argv{"smssaudit"};
  for (const auto& a : args) {
    argv.push_back(a.c_str());
  }
  std::ostringstream out;
  std::ostringstream err;
  CliRun r;
  r.exit_code = app::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace smssaudit::testing
