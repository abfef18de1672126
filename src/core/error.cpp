// Error codes and their stable names (style.md convention 2).
#include "smssaudit/core/error.hpp"

namespace smssaudit {

const char* to_string(ErrorCode code) noexcept {
  // These names appear in reports and in the CLI's exit messages: never rename one.
  switch (code) {
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kHiveSignature:
      return "hive.signature";
    case ErrorCode::kHiveTruncated:
      return "hive.truncated";
    case ErrorCode::kHiveBaseBlock:
      return "hive.base_block";
    case ErrorCode::kHiveLibrary:
      return "hive.library";
    case ErrorCode::kHiveStructure:
      return "hive.structure";
    case ErrorCode::kRuleSyntax:
      return "rule.syntax";
    case ErrorCode::kRuleSchema:
      return "rule.schema";
    case ErrorCode::kUsage:
      return "usage";
    case ErrorCode::kOutput:
      return "output";
    case ErrorCode::kWireFormat:
      return "wire.format";
    case ErrorCode::kParserCrashed:
      return "isolate.parser_crashed";
  }
  // Unreachable for valid enumerators; a cast-in integer must still not crash a report.
  return "unknown";
}

// Either part may be empty (parse_base_block has no file name; the caller adds it), so avoid
// printing a dangling ": ".
std::string Error::message() const {
  if (context.empty()) {
    return detail;
  }
  if (detail.empty()) {
    return context;
  }
  return context + ": " + detail;
}

}  // namespace smssaudit
