// Diagnostics: what library code says instead of printing (style.md convention 6).
#pragma once

#include <string>
#include <vector>

namespace smssaudit {

enum class DiagLevel { kDebug, kInfo, kWarning, kError };

const char* to_string(DiagLevel level) noexcept;

/// One observation about the evidence or the run. `source` names the artifact (file path),
/// `location` the place inside it (key path, value name, record id); both may be empty.
struct Diagnostic {
  DiagLevel level = DiagLevel::kInfo;
  std::string code;  ///< stable machine code, e.g. "hive.dirty"
  std::string source;
  std::string location;
  std::string message;

  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

/// Collects diagnostics in order of arrival. Owned by the run context; passed by reference.
class DiagnosticSink {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }

  void add(DiagLevel level,
           std::string code,
           std::string source,
           std::string location,
           std::string message) {
    items_.push_back(Diagnostic{
        level, std::move(code), std::move(source), std::move(location), std::move(message)});
  }

  const std::vector<Diagnostic>& items() const noexcept { return items_; }

  /// Diagnostics about one artifact, in arrival order.
  std::vector<Diagnostic> for_source(const std::string& source) const;

  bool has_errors() const noexcept;

 private:
  std::vector<Diagnostic> items_;
};

}  // namespace smssaudit
