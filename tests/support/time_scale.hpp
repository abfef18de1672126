// Wall-clock limits in the tests (watchdogs, `timeout` wrappers, speed checks) scale with
// SMSSAUDIT_TEST_TIME_SCALE: scripts/test-sanitizers sets it because code built with
// AddressSanitizer and UndefinedBehaviorSanitizer runs several times slower. The checks themselves
// stay the same; only how long they may take grows.
#pragma once

#include <cstdlib>
#include <string>

namespace smssaudit::testing {

/// The factor (a whole number >= 1; 1 when unset or not a number).
inline int time_scale() {
  const char* v = std::getenv("SMSSAUDIT_TEST_TIME_SCALE");
  if (v == nullptr) {
    return 1;
  }
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (end != v && *end == '\0' && n >= 1 && n <= 100) ? static_cast<int>(n) : 1;
}

/// `seconds` times the factor.
inline int scaled_seconds(int seconds) {
  return seconds * time_scale();
}

}  // namespace smssaudit::testing
