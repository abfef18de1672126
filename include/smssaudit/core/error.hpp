// Error values for evidence-reading code paths (style.md convention 2).
#pragma once

#include <string>

namespace smssaudit {

/// Error codes grouped by layer, as sleuthkit groups its codes. Stable: they appear in reports.
enum class ErrorCode {
  kIo,             ///< open/read/stat failed
  kNotFound,       ///< a required file or key does not exist
  kHiveSignature,  ///< no `regf` signature: not a registry hive
  kHiveTruncated,  ///< shorter than its base block or its declared hive-bins size
  kHiveBaseBlock,  ///< base block present but invalid (checksum, type, version)
  kHiveLibrary,    ///< libregf refused the file or a key/value
  kHiveStructure,  ///< a key or value is structurally corrupt
  kRuleSyntax,     ///< YAML that does not parse
  kRuleSchema,     ///< YAML that parses but breaks the rule schema
  kUsage,          ///< bad command-line usage
  kOutput,         ///< an output path cannot be written
  kWireFormat,     ///< bytes from an isolated parser process are not a well-formed message
  kParserCrashed,  ///< an isolated parser process crashed, failed or timed out: artifact lost
};

/// Short stable name of a code, e.g. "hive.signature".
const char* to_string(ErrorCode code) noexcept;

/// An error with the thing it concerns (`context`: a path, key path or rule file:line) and the
/// reason (`detail`).
struct Error {
  ErrorCode code = ErrorCode::kIo;
  std::string context;
  std::string detail;

  /// "context: detail" for humans.
  std::string message() const;
};

/// Thrown only for setup errors (CLI usage, rule loading, output paths) and caught once in main.
class FatalError {
 public:
  FatalError(int exit_code, std::string message)
      : exit_code_(exit_code), message_(std::move(message)) {}

  int exit_code() const noexcept { return exit_code_; }

  const std::string& message() const noexcept { return message_; }

 private:
  int exit_code_;
  std::string message_;
};

}  // namespace smssaudit
