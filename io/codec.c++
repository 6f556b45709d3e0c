#include "io/codec.h"

#include <cstring>

namespace swarmlet::io {

capnp::ReaderOptions untrustedReaderOptions(uint64_t traversalLimitWords) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = traversalLimitWords;
  options.nestingLimit = limits::NESTING_LIMIT;
  return options;
}

Decoded<kj::Array<capnp::word>> wordsFromBytes(kj::ArrayPtr<const kj::byte> bytes) {
  if (bytes.size() % sizeof(capnp::word) != 0) {
    return Decoded<kj::Array<capnp::word>>::failure(
        std::to_string(bytes.size()) +
        " bytes are not a whole number of 8-byte words (a truncated or damaged message)");
  }
  auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
  if (bytes.size() > 0) std::memcpy(words.begin(), bytes.begin(), bytes.size());
  return Decoded<kj::Array<capnp::word>>::success(kj::mv(words));
}

}  // namespace swarmlet::io
