// Loads an EVTX fixture spec (fixtures/evtx/*.yaml, documented in fixtures/evtx/README.md) into
// the resolved model of evtx_spec.hpp: presets applied, defaults filled, values encoded.
#pragma once

#include "evtx_spec.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

namespace smssaudit::devtools::evtx {

/// A spec that cannot be loaded, located at the offending YAML node: what() is
/// "<file>:<line>:<column>: <detail>" (1-based), or "<file>: <detail>" when no node applies.
class EvtxSpecError : public std::runtime_error {
 public:
  EvtxSpecError(std::string file, int line, int column, const std::string& detail);

  const std::string& file() const noexcept { return file_; }

  int line() const noexcept { return line_; }  ///< 1-based; 0 when unknown

  int column() const noexcept { return column_; }

  const std::string& detail() const noexcept { return detail_; }

 private:
  std::string file_;
  int line_;
  int column_;
  std::string detail_;
};

/// Loads and resolves `path`. Throws EvtxSpecError for unreadable files, YAML syntax errors,
/// unknown keys, unknown presets or field names, and values that cannot be encoded. A derived spec
/// (`base:` with `remove`/`change`/`add`, README "Derived specs") is resolved with its whole base
/// chain; an unknown file or label, or a cycle, is an error at the offending node.
EvtxSpec load_evtx_spec(const std::filesystem::path& path);

/// Same, from text; `path` names the text in messages and anchors a relative `base:`.
EvtxSpec parse_evtx_spec(std::string_view yaml_text, const std::filesystem::path& path);

}  // namespace smssaudit::devtools::evtx
