// LevelDB slices of the bytes the stores write: keys, values and Cap'n Proto flat arrays. A
// slice borrows its bytes, which must outlive it.
#pragma once

#include <capnp/common.h>
#include <kj/array.h>
#include <leveldb/slice.h>

#include <string_view>

namespace swarmlet::io {

inline leveldb::Slice sliceOf(std::string_view bytes) {
  return leveldb::Slice(bytes.data(), bytes.size());
}

inline leveldb::Slice sliceOf(const kj::Array<capnp::word>& words) {
  auto chars = words.asChars();
  return leveldb::Slice(chars.begin(), chars.size());
}

}  // namespace swarmlet::io
