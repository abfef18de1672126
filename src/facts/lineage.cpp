// Stable names for the lineage fact enums (they appear in reports and rule facts: never rename).
#include "smssaudit/facts/lineage.hpp"

namespace smssaudit::facts {

const char* to_string(SmssRole r) noexcept {
  switch (r) {
    case SmssRole::kMaster:
      return "master";
    case SmssRole::kSessionChild:
      return "session_child";
    case SmssRole::kOther:
      return "other";
  }
  // Unreachable for valid enumerators; a cast-in integer must still render.
  return "other";
}

}  // namespace smssaudit::facts
