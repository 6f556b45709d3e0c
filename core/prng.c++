#include "core/prng.h"

#include <kj/debug.h>

namespace swarmlet {
namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

Prng::Prng(uint64_t seed) {
  uint64_t x = seed;
  for (auto& word : state_)
    word = splitmix64(x);
  // xoshiro's state must not be all zero; splitmix64 never yields four zeros in a row.
  KJ_ASSERT(state_[0] != 0 || state_[1] != 0 || state_[2] != 0 || state_[3] != 0);
}

uint64_t Prng::next() {
  uint64_t result = rotl(state_[1] * 5, 7) * 9;
  uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

uint64_t Prng::uniform(uint64_t bound) {
  KJ_REQUIRE(bound > 0, "uniform() needs a positive bound");
  // Reject the top sliver of the range that would bias small values.
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x = next();
  while (x >= limit)
    x = next();
  uint64_t result = x % bound;
  KJ_ASSERT(result < bound);
  return result;
}

double Prng::uniformUnit() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

Duration Prng::uniformDuration(Duration bound) {
  KJ_REQUIRE(bound.count() > 0, "uniformDuration() needs a positive bound", bound.count());
  return Duration::nanoseconds(static_cast<int64_t>(uniform(static_cast<uint64_t>(bound.count()))));
}

uint64_t Prng::deriveSeed(uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
  splitmix64(x);
  return splitmix64(x);
}

}  // namespace swarmlet
