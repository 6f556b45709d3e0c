// libFuzzer target: arbitrary bytes as every storage message, through the codec
// (tests/fuzz/fuzz-decode.h). Run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz-decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  swarmlet::io::fuzz::fuzzOneInput(swarmlet::io::fuzz::Family::STORAGE, data, size);
  return 0;
}
