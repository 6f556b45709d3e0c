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

std::vector<Instant> Network::route(HostId from, HostId to, uint64_t channel, Instant now) {
  counters_.sent++;
  bool dropped = chance(FaultFamily::DROP);
  bool duplicated = chance(FaultFamily::DUPLICATE);
  bool delayed = chance(FaultFamily::DELAY);
  bool reordered = chance(FaultFamily::REORDER);
  Duration stall =
      delayed ? prng_.uniformDuration(profile_[FaultFamily::DELAY].length) : Duration();
  Duration base = latency();
  if (!connected(from, to)) {
    // The connection does not survive the cut either: later messages on it are lost too, even
    // after the partition heals, until the session is given up and a new connection made.
    counters_.cut++;
    if (channel != 0) deadChannels_.insert(channel);
    return {};
  }
  // A connection is TCP underneath: it cannot lose one message and carry on. A drop on a
  // connection blackholes it (a half-open connection) until its session is given up.
  if (channel != 0 && deadChannels_.count(channel) != 0) {
    counters_.dropped++;
    return {};
  }
  if (dropped) {
    counters_.dropped++;
    if (channel != 0) deadChannels_.insert(channel);
    return {};
  }
  Instant& last = lastArrival_[{from, to, channel}];
  Instant arrival = now + base + stall;
  if (reordered) {
    // Jitter: this connection's message may now arrive after another connection's later one.
    counters_.reordered++;
    arrival = arrival + prng_.uniformDuration(
                            max(profile_[FaultFamily::REORDER].length, Duration::milliseconds(1)));
  }
  if (arrival < last) arrival = last;
  last = arrival;
  if (delayed) counters_.delayed++;
  std::vector<Instant> arrivals{arrival};
  if (duplicated) {
    // The copy follows its original, and everything later on the connection follows the copy.
    counters_.duplicated++;
    last = arrival + latency();
    arrivals.push_back(last);
  }
  counters_.delivered += arrivals.size();
  KJ_ASSERT(arrival >= now);
  return arrivals;
}

void Network::closeChannel(uint64_t channel) {
  deadChannels_.erase(channel);
  for (auto it = lastArrival_.begin(); it != lastArrival_.end();) {
    it = std::get<2>(it->first) == channel ? lastArrival_.erase(it) : std::next(it);
  }
}

void Network::isolate(HostId host, const std::vector<HostId>& others) {
  for (HostId other : others) {
    if (other == host) continue;
    cut(host, other);
    cut(other, host);
  }
}

}  // namespace swarmlet::sim
