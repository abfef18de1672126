// libFuzzer target: the SYSTEM hive reader on an in-memory image (body in fuzz_targets.hpp).
#include "fuzz_targets.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const smssaudit::fuzz::Input input(data, size);
  smssaudit::fuzz::run_hive_reader(input);
  return 0;
}
