// Probes: counts of the rare paths a core took (FoundationDB's code probes). A core counts each
// named path when it takes it; the simulator sums the counts over a sweep and names the probes
// no run reached, so a sweep shows which behaviour it exercised, not only that nothing broke.
//
// Counting is part of a core's state, not I/O: it never changes what the core does, and no
// effect or transcript shows it. A probe's name is stable (sweep summaries and tests name it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace swarmlet {

// `Probe` is an enum class whose last enumerator is COUNT; `names` gives each enumerator's name
// in declaration order.
template <typename Probe>
class ProbeCounts {
 public:
  static constexpr size_t SIZE = static_cast<size_t>(Probe::COUNT);

  void hit(Probe probe) { ++counts_[index(probe)]; }
  uint64_t count(Probe probe) const { return counts_[index(probe)]; }
  void add(const ProbeCounts& other) {
    for (size_t i = 0; i < SIZE; ++i)
      counts_[i] += other.counts_[i];
  }

 private:
  static size_t index(Probe probe) { return static_cast<size_t>(probe); }
  std::array<uint64_t, SIZE> counts_{};
};

}  // namespace swarmlet
