// Coverage gaps: evidence the analysis needed and did not have. Any gap makes a host verdict
// "inconclusive" instead of "clean".
#pragma once

#include <string>

namespace smssaudit::facts {

struct CoverageGap {
  std::string code;  ///< stable, e.g. "hive.dirty_no_logs", "registry.session_manager_unreadable"
  std::string message;  ///< for humans, names the artifact and key

  friend bool operator==(const CoverageGap&, const CoverageGap&) = default;
};

}  // namespace smssaudit::facts
