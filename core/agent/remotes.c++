#include "core/agent/remotes.h"

#include <kj/debug.h>
#include <cmath>
#include <set>

#include "core/limits.h"

namespace swarmlet {
namespace {

constexpr double SMOOTHING_FACTOR = 0.5;

double clip(double weight) {
  double bound = static_cast<double>(limits::REMOTE_WEIGHT_MAX);
  if (std::isnan(weight)) return 0;
  if (weight > bound) return bound;
  if (weight < -bound) return -bound;
  return weight;
}

}  // namespace

bool Remotes::isDialable(const Peer& peer) {
  return !peer.address.empty();
}

int64_t Remotes::smooth(int64_t oldWeight, int64_t observation) {
  double mixed = SMOOTHING_FACTOR * clip(static_cast<double>(observation)) +
                 (1 - SMOOTHING_FACTOR) * static_cast<double>(oldWeight);
  int64_t result = static_cast<int64_t>(std::ceil(clip(mixed)));
  KJ_ASSERT(result <= limits::REMOTE_WEIGHT_MAX, result);
  KJ_ASSERT(result >= -limits::REMOTE_WEIGHT_MAX, result);
  return result;
}

void Remotes::observe(const Peer& peer, int64_t observation) {
  auto found = weights_.find(peer);
  if (found == weights_.end()) {
    KJ_REQUIRE(weights_.size() < limits::MANAGERS_MAX, "too many managers", weights_.size());
    weights_.emplace(peer, smooth(0, observation));
    return;
  }
  found->second = smooth(found->second, observation);
}

void Remotes::observeIfExists(const Peer& peer, int64_t observation) {
  auto found = weights_.find(peer);
  if (found != weights_.end()) found->second = smooth(found->second, observation);
}

bool Remotes::applyManagerList(const std::vector<WeightedPeer>& managers) {
  KJ_REQUIRE(managers.size() <= limits::MANAGERS_MAX, "manager list too long", managers.size());
  // An entry without an address cannot be dialled: SwarmKit skips it, and so do we. A list of
  // nothing else is empty, and changes nothing.
  std::set<Peer> listed;
  for (const auto& manager : managers) {
    if (isDialable(manager.peer)) listed.insert(manager.peer);
  }
  if (listed.empty()) return false;
  bool changed = false;
  for (auto it = weights_.begin(); it != weights_.end();) {
    if (listed.count(it->first) == 0) {
      it = weights_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  for (const auto& manager : managers) {
    if (!isDialable(manager.peer)) continue;
    changed = changed || weights_.count(manager.peer) == 0;
    observe(manager.peer, manager.weight);
  }
  KJ_ASSERT(weights_.size() == listed.size());
  return changed;
}

std::optional<Peer> Remotes::select(Prng& prng) const {
  if (weights_.empty()) return std::nullopt;
  double total = 0;
  for (const auto& [peer, weight] : weights_) {
    total += static_cast<double>(std::max<int64_t>(weight, 0)) + limits::REMOTE_SELECTION_BIAS;
  }
  double target = total * prng.uniformUnit();
  double cumulative = 0;
  for (const auto& [peer, weight] : weights_) {
    cumulative += static_cast<double>(std::max<int64_t>(weight, 0)) + limits::REMOTE_SELECTION_BIAS;
    if (target < cumulative) return peer;
  }
  // Rounding can leave `target` a hair above the last cumulative sum.
  return weights_.rbegin()->first;
}

std::vector<Peer> Remotes::peers() const {
  std::vector<Peer> result;
  result.reserve(weights_.size());
  for (const auto& [peer, weight] : weights_)
    result.push_back(peer);
  return result;
}

}  // namespace swarmlet
