// The simulated network: directed links between hosts. Each message gets a latency drawn from
// the profile; each connection (a channel on a link) is FIFO like the TCP connection it stands
// for, so messages of one session never overtake one another; REORDER adds per-message jitter, so
// messages of different connections between the same hosts (an old session's last words and a
// new session's first) can arrive out of order; DELAY adds long stalls (to a whole connection),
// DROP blackholes a connection from the lost message on (TCP cannot lose one message and go
// on), DUPLICATE delivers twice (the copy right after the original, still in order),
// and partitions cut links in one or both directions. All draws come from the network's own PRNG
// stream. Not thread-safe; one per simulated world.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "core/prng.h"
#include "core/time.h"
#include "sim/profile.h"

namespace swarmlet::sim {

using HostId = uint32_t;

struct NetworkCounters {
  uint64_t sent = 0;
  uint64_t delivered = 0;
  uint64_t dropped = 0;
  uint64_t cut = 0;
  uint64_t duplicated = 0;
  uint64_t delayed = 0;
  uint64_t reordered = 0;
};

class Network {
 public:
  Network(const Profile& profile, uint64_t seed);

  // When the copies of a message sent now from `from` to `to` arrive: none (lost, or the link is
  // cut), one, or two (duplicated). Arrival times are never before `now`.
  std::vector<Instant> route(HostId from, HostId to, uint64_t channel, Instant now);

  void cut(HostId from, HostId to) { cuts_.insert({from, to}); }
  void heal(HostId from, HostId to) { cuts_.erase({from, to}); }
  // Cuts every link between `host` and `others`, both ways.
  void isolate(HostId host, const std::vector<HostId>& others);
  void healAll() { cuts_.clear(); }
  // Forgets the connections of `channel` between any hosts (the session is over).
  void closeChannel(uint64_t channel);
  // Turns the per-message faults off (the heal phase at the end of a run); latency stays.
  void calm() { calm_ = true; }

  bool connected(HostId from, HostId to) const { return cuts_.count({from, to}) == 0; }
  bool anyCut() const { return !cuts_.empty(); }
  const NetworkCounters& counters() const { return counters_; }

 private:
  Duration latency();
  bool chance(FaultFamily family);

  const Profile profile_;
  Prng prng_;
  bool calm_ = false;
  std::set<std::pair<HostId, HostId>> cuts_;
  // Connections that lost a message: everything else on them is lost too.
  std::set<uint64_t> deadChannels_;
  // The latest arrival scheduled on each connection, to keep connections FIFO. Bounded by the
  // connections of a run (one per session generation per agent); forgotten when a host crashes.
  std::map<std::tuple<HostId, HostId, uint64_t>, Instant> lastArrival_;
  NetworkCounters counters_;
};

}  // namespace swarmlet::sim
