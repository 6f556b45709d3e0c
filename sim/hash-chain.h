// A running 64-bit hash over a run's events, so that two runs of one seed can be compared event
// by event (determinism self-check) and a run can be summed up in one "trace hash". Not
// cryptographic; only has to make accidental collisions between diverging runs unlikely.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace swarmlet::sim {

class HashChain {
 public:
  // Folds one event (its text and a digest of the state it produced) into the chain and
  // returns the new link.
  uint64_t add(std::string_view event, uint64_t stateDigest);

  uint64_t value() const { return value_; }
  uint64_t length() const { return length_; }

  static uint64_t digest(std::string_view text);
  static std::string hex(uint64_t value);

 private:
  uint64_t value_ = 0x5357'4152'4d4c'4554ULL;
  uint64_t length_ = 0;
};

}  // namespace swarmlet::sim
