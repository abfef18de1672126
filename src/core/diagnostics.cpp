// Diagnostics sink: ordered collection of observations (style.md convention 6).
#include "smssaudit/core/diagnostics.hpp"

#include <algorithm>

namespace smssaudit {

// Level names are rendered on stderr (-q/-v filtering) and embedded in reports.
const char* to_string(DiagLevel level) noexcept {
  switch (level) {
    case DiagLevel::kDebug:
      return "debug";
    case DiagLevel::kInfo:
      return "info";
    case DiagLevel::kWarning:
      return "warning";
    case DiagLevel::kError:
      return "error";
  }
  return "unknown";
}

// Reports group diagnostics under each input artifact; arrival order is kept so that a
// cause (e.g. "hive.dirty") stays before its consequences.
std::vector<Diagnostic> DiagnosticSink::for_source(const std::string& source) const {
  std::vector<Diagnostic> out;
  std::copy_if(items_.begin(), items_.end(), std::back_inserter(out), [&](const Diagnostic& d) {
    return d.source == source;
  });
  return out;
}

// Warnings (dirty hive, unreadable key) do not count: only kError means the run itself is
// incomplete.
bool DiagnosticSink::has_errors() const noexcept {
  return std::any_of(items_.begin(), items_.end(), [](const Diagnostic& d) {
    return d.level == DiagLevel::kError;
  });
}

}  // namespace smssaudit
