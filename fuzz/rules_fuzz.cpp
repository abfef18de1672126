// libFuzzer target: the strict rule-catalogue loader (body in fuzz_targets.hpp).
#include "fuzz_targets.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const smssaudit::fuzz::Input input(data, size);
  if (!smssaudit::fuzz::run_rules(input)) {
    __builtin_trap();  // an exception escaped the loader
  }
  return 0;
}
