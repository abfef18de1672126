// Replay fact helpers.
#include "smssaudit/facts/replay.hpp"

namespace smssaudit::facts {

const char* to_string(LogFormat format) noexcept {
  switch (format) {
    case LogFormat::kOld:
      return "old (DIRT)";
    case LogFormat::kNew:
      return "new (HvLE)";
    case LogFormat::kNone:
      break;
  }
  return "none";
}

}  // namespace smssaudit::facts
