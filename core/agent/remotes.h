// The agent's weighted set of managers (SwarmKit remotes/remotes.go), as a value.
//
// Each known manager has a weight in [-256, 256]. Observations are smoothed: the new weight is
// ceil(0.5 * clip(observation) + 0.5 * old), an unknown peer starting from 0. Selection draws a
// manager with probability proportional to max(weight, 0) + 0.001. Two deliberate departures
// from SwarmKit (docs/decisions.md): only failures are penalised, and a manager list that is
// empty changes nothing instead of forgetting every manager. As in SwarmKit, a listed manager
// without an address is skipped.
#pragma once

#include <map>
#include <optional>
#include <vector>

#include "core/prng.h"
#include "core/types.h"

namespace swarmlet {

class Remotes {
 public:
  // Whether a peer can be dialled at all: it has an address. Others are never known.
  static bool isDialable(const Peer& peer);
  // The smoothing rule on its own, for tests and checkers.
  static int64_t smooth(int64_t oldWeight, int64_t observation);

  // Adds `peer` if unknown (from weight 0), then smooths `observation` into its weight.
  // REQUIRES: fewer than limits::MANAGERS_MAX peers are known, or `peer` is one of them.
  void observe(const Peer& peer, int64_t observation);
  // Like observe, but a no-op for an unknown peer, so a penalty never re-adds a pruned manager.
  void observeIfExists(const Peer& peer, int64_t observation);
  // Observes every listed manager at its weight and forgets every manager not listed. Entries
  // without an address are skipped; a list with no other entry is ignored, like an empty one.
  // Returns true if the set of known peers changed (not merely their weights).
  // REQUIRES: managers.size() <= limits::MANAGERS_MAX.
  bool applyManagerList(const std::vector<WeightedPeer>& managers);

  // A weighted random choice; nullopt when no manager is known.
  std::optional<Peer> select(Prng& prng) const;

  const std::map<Peer, int64_t>& weights() const { return weights_; }
  std::vector<Peer> peers() const;
  bool empty() const { return weights_.empty(); }

  bool operator==(const Remotes&) const = default;

 private:
  std::map<Peer, int64_t> weights_;
};

}  // namespace swarmlet
