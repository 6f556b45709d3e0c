// The scheduler's candidate order, kept as an index: the eligible nodes (READY and ACTIVE) and
// how many occupying tasks each holds, in total and per service. A new task of a service goes to
// the node with the fewest tasks of that service, then the fewest tasks overall, then the
// smallest id (docs/manager.md, "Scheduler"). The index is updated when a node's eligibility or
// load changes, so choosing a node costs a lookup instead of a pass over every node.
//
// Cost: a load change re-keys the node under each service it holds tasks of (O(services on the
// node) set operations); best() is O(log n) when a node without a task of the service exists
// among the first few in load order, or when every eligible node holds one; it walks past the
// service's holders that come first in load order otherwise (they are few in practice: placing a
// task raises its node's load and moves it back).
//
// Plain values; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/task.h"
#include "core/types.h"

namespace swarmlet::manager {

class Candidates {
 public:
  // The node is (or is no longer) READY and ACTIVE.
  void setEligible(const NodeId& node, bool eligible);
  bool eligible(const NodeId& node) const;
  // A task of `service` started (delta +1) or stopped (-1) occupying `node`.
  // REQUIRES: a -1 matches an earlier +1.
  void count(const NodeId& node, const ServiceId& service, int64_t delta);
  // The node a new task of `service` goes to; nullptr when no node is eligible. The pointer is
  // valid until the next change.
  const NodeId* best(const ServiceId& service) const;
  // Occupying tasks on the node, all of them or of one service.
  size_t load(const NodeId& node) const;
  size_t load(const NodeId& node, const ServiceId& service) const;

 private:
  struct Hash {
    size_t operator()(const NodeId& id) const { return std::hash<std::string>{}(id.value); }
  };
  struct Node {
    bool eligible = false;
    size_t total = 0;
    // Occupying tasks per service; no zero entries.
    std::map<ServiceId, size_t> services;
  };
  void rank(const NodeId& id, const Node& node);
  void unrank(const NodeId& id, const Node& node);

  // Every node that is eligible or holds a task.
  std::unordered_map<NodeId, Node, Hash> nodes_;
  // The eligible nodes by (total, id).
  std::set<std::pair<size_t, NodeId>> order_;
  // Per service, the eligible nodes holding at least one of its tasks by (tasks of the service,
  // total, id). No empty entries.
  std::map<ServiceId, std::set<std::tuple<size_t, size_t, NodeId>>> ranked_;
};

}  // namespace swarmlet::manager
