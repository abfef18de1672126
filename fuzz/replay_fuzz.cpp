// libFuzzer target: transaction-log replay over a primary hive and up to two logs (body in
// fuzz_targets.hpp).
#include "fuzz_targets.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const smssaudit::fuzz::Input input(data, size);
  smssaudit::fuzz::run_replay(input);
  return 0;
}
