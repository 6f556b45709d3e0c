// A host's own clock, for the CLOCK fault family: it runs at a rate off true time by a few parts
// per thousand and from an offset, so its timers (heartbeats, backoff, retries) fire early or
// late against the other hosts' and its timestamps disagree with theirs. The core is given
// local() as its `now` and its deadlines are turned back with global(), so a deadline is never
// reached early. A restart keeps the rate and may step the offset, backwards too (the wall
// clock was set while the process was down): a new process may see timestamps from its own
// future in its store.
#pragma once

#include <cstdint>

#include "core/time.h"

namespace swarmlet::sim {

class HostClock {
  __extension__ typedef __int128 Wide;

 public:
  HostClock() = default;
  // `ppm`: parts per million faster (negative: slower); |ppm| < 1'000'000.
  HostClock(Duration offset, int64_t ppm) : offset_(offset), ppm_(ppm) {}

  // What the host reads at true time `global` (monotonic in `global`).
  Instant local(Instant global) const {
    Wide elapsed = (global - Instant::origin()).count();
    Wide scaled = elapsed + floorDiv(elapsed * ppm_, 1'000'000);
    return Instant::origin() + offset_ + Duration::nanoseconds(static_cast<int64_t>(scaled));
  }
  // The earliest true time at which the host reads `local` or later.
  Instant global(Instant local) const {
    Wide reading = ((local - offset_) - Instant::origin()).count();
    Wide elapsed = ceilDiv(reading * 1'000'000, 1'000'000 + ppm_);
    while (this->local(Instant::origin() + Duration::nanoseconds(static_cast<int64_t>(elapsed))) <
           local) {
      elapsed++;
    }
    return Instant::origin() + Duration::nanoseconds(static_cast<int64_t>(elapsed));
  }

  Duration offset() const { return offset_; }
  int64_t ppm() const { return ppm_; }
  void setOffset(Duration offset) { offset_ = offset; }

 private:
  static Wide floorDiv(Wide a, Wide b) {
    Wide q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
  }
  static Wide ceilDiv(Wide a, Wide b) { return -floorDiv(-a, b); }

  Duration offset_;
  int64_t ppm_ = 0;
};

}  // namespace swarmlet::sim
