// What the codec's fuzz targets do with one input: decode it as every message of one family
// (the dispatcher protocol, the control API, the store records) through the codec, and for each
// message the codec accepts, check that the value encodes and decodes back to itself. Bad input
// must be refused, never crash, assert or leak: a crash here is a codec bug. Also used by the
// seed corpus generator (make-corpus.c++) to check that every seed decodes. Not thread-safe
// beyond what the codec is (stateless).
#pragma once

#include <capnp/common.h>
#include <kj/array.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace swarmlet::io::fuzz {

enum class Family : uint8_t { DISPATCHER, CONTROL, STORAGE };

// "dispatcher", "control", "storage": the fuzz target's and its corpus directory's name.
const char* familyName(Family family);

// Decodes `words` as every message of `family`. Returns how many of them accepted it. Aborts,
// after printing which message, when an accepted value does not survive a second round trip.
int decodeEveryMessage(Family family, kj::ArrayPtr<const capnp::word> words);

// The fuzz entry point's body: `bytes` as untrusted input (a size that is not a whole number of
// words is refused by wordsFromBytes, then its whole words are tried anyway).
void fuzzOneInput(Family family, const uint8_t* bytes, size_t size);

}  // namespace swarmlet::io::fuzz
