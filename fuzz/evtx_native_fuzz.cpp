// libFuzzer target: read_event_log, native engine (falls back to libevtx as a real run does) (body
// in fuzz_targets.hpp).
#include "fuzz_targets.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const smssaudit::fuzz::Input input(data, size);
  smssaudit::fuzz::run_evtx(input, smssaudit::readers::EvtxEngine::kNative);
  return 0;
}
