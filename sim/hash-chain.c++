#include "sim/hash-chain.h"

#include <cstdio>

namespace swarmlet::sim {
namespace {

uint64_t finalize(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

uint64_t HashChain::digest(std::string_view text) {
  // FNV-1a over the bytes, then a splitmix finalizer to spread the low bits.
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return finalize(h);
}

uint64_t HashChain::add(std::string_view event, uint64_t stateDigest) {
  value_ = finalize(value_ ^ digest(event) ^ finalize(stateDigest + length_));
  length_++;
  return value_;
}

std::string HashChain::hex(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace swarmlet::sim
