// libFuzzer target: evidence location over a folder tree built from the input (body in
// fuzz_targets.hpp).
#include "fuzz_targets.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const smssaudit::fuzz::Input input(data, size);
  smssaudit::fuzz::run_locate(input);
  return 0;
}
