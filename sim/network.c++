#include "sim/network.h"

#include <kj/debug.h>

namespace swarmlet::sim {

Network::Network(const Profile& profile, uint64_t seed) : profile_(profile), prng_(seed) {}

Duration Network::latency() {
  Duration spread = profile_.latencyMax - profile_.latencyMin;
  return profile_.latencyMin + (spread > Duration() ? prng_.uniformDuration(spread) : Duration());
}

bool Network::chance(FaultFamily family) {
  const FamilySettings& settings = profile_[family];
  // Draw even when disabled, so switching one family does not shift every later draw.
  double roll = prng_.uniformUnit();
  return settings.enabled && !calm_ && roll < settings.rate;
}

std::vector<Instant> Network::route(HostId from, HostId to, Instant now) {
  counters_.sent++;
  bool dropped = chance(FaultFamily::DROP);
  bool duplicated = chance(FaultFamily::DUPLICATE);
  bool delayed = chance(FaultFamily::DELAY);
  bool reordered = chance(FaultFamily::REORDER);
  Duration stall =
      delayed ? prng_.uniformDuration(profile_[FaultFamily::DELAY].length) : Duration();
  Duration base = latency();
  if (!connected(from, to)) {
    counters_.cut++;
    return {};
  }
  if (dropped) {
    counters_.dropped++;
    return {};
  }
  Instant& last = lastArrival_[{from, to}];
  Instant arrival = now + base + stall;
  if (reordered) {
    // Overtakes whatever is in flight on the link: FIFO is not enforced for this message.
    counters_.reordered++;
  } else if (arrival < last) {
    arrival = last;
  }
  if (!reordered && arrival > last) last = arrival;
  if (delayed) counters_.delayed++;
  std::vector<Instant> arrivals{arrival};
  if (duplicated) {
    counters_.duplicated++;
    arrivals.push_back(arrival + latency());
  }
  counters_.delivered += arrivals.size();
  KJ_ASSERT(arrival >= now);
  return arrivals;
}

void Network::isolate(HostId host, const std::vector<HostId>& others) {
  for (HostId other : others) {
    if (other == host) continue;
    cut(host, other);
    cut(other, host);
  }
}

}  // namespace swarmlet::sim
