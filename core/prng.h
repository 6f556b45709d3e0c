// The only source of randomness in the core: a small seeded generator (xoshiro256**, seeded
// through splitmix64). Each state machine owns one, seeded from its configuration, so a run is
// reproduced exactly by its seed. A value type: copying it forks the stream.
#pragma once

#include <array>
#include <compare>
#include <cstdint>

#include "core/time.h"

namespace swarmlet {

class Prng {
 public:
  explicit Prng(uint64_t seed);

  uint64_t next();
  // Uniform in [0, bound). REQUIRES: bound > 0. Unbiased (rejection sampling).
  uint64_t uniform(uint64_t bound);
  // Uniform in [0, 1) with 53 bits of precision.
  double uniformUnit();
  // Uniform in [0, bound). REQUIRES: bound > 0.
  Duration uniformDuration(Duration bound);

  // A seed for a child stream, so that subsystems draw independently of each other.
  static uint64_t deriveSeed(uint64_t seed, uint64_t stream);

  bool operator==(const Prng&) const = default;

 private:
  std::array<uint64_t, 4> state_;
};

}  // namespace swarmlet
