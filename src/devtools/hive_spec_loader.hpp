// Loads a fixture spec (fixtures/hives/*.yaml, documented in fixtures/hives/README.md).
#pragma once

#include "hive_log_writer.hpp"
#include "hive_spec.hpp"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace smssaudit::devtools {

/// A spec that cannot be loaded, located at the offending YAML node: what() is
/// "<file>:<line>:<column>: <detail>" (1-based), or "<file>: <detail>" when no node applies.
class SpecError : public std::runtime_error {
 public:
  SpecError(std::string file, int line, int column, const std::string& detail);

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

/// Everything `smssaudit-mkhive` writes for one spec.
struct FixtureSpec {
  HiveSpec hive;                     ///< the primary file (without the logged changes)
  std::string hive_file = "SYSTEM";  ///< file name inside --out-dir
  std::vector<LogSpec> logs;         ///< empty (entry-less) logs written beside the hive
  /// `transaction_log:` logs whose entries hold changes the primary lacks; its stages are the
  /// final primary tree with the logged changes applied. Never set together with `logs`.
  std::optional<TransactionLogSpec> transaction_log;
  std::string description;  ///< this spec's own description (not inherited)

  /// Suffixes of every log file the spec asks for ("LOG", "LOG1", "LOG2"), from `logs` or from
  /// `transaction_log`, in the order they are listed.
  std::vector<std::string> log_suffixes() const;
};

/// Loads `path`, following `base:` chains (relative to each spec's folder). Throws SpecError for
/// unreadable files, YAML syntax errors, unknown keys, bad values and `base:` cycles.
FixtureSpec load_fixture_spec(const std::filesystem::path& path);

/// Same, from text; `path` names the text in messages and anchors relative `base:` paths.
FixtureSpec parse_fixture_spec(std::string_view yaml_text, const std::filesystem::path& path);

}  // namespace smssaudit::devtools
