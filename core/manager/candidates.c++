#include "core/manager/candidates.h"

#include <kj/debug.h>

namespace swarmlet::manager {

void Candidates::rank(const NodeId& id, const Node& node) {
  order_.emplace(node.total, id);
  for (const auto& [service, count] : node.services)
    ranked_[service].emplace(count, node.total, id);
}

void Candidates::unrank(const NodeId& id, const Node& node) {
  order_.erase({node.total, id});
  for (const auto& [service, count] : node.services) {
    auto ranked = ranked_.find(service);
    KJ_DASSERT(ranked != ranked_.end());
    ranked->second.erase({count, node.total, id});
    if (ranked->second.empty()) ranked_.erase(ranked);
  }
}

void Candidates::setEligible(const NodeId& id, bool eligible) {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) {
    if (!eligible) return;
    it = nodes_.emplace(id, Node{}).first;
  }
  Node& node = it->second;
  if (node.eligible == eligible) return;
  if (node.eligible) unrank(id, node);
  node.eligible = eligible;
  if (node.eligible) rank(id, node);
  if (!node.eligible && node.total == 0) nodes_.erase(it);
}

bool Candidates::eligible(const NodeId& id) const {
  auto it = nodes_.find(id);
  return it != nodes_.end() && it->second.eligible;
}

// Re-keys the node's entries in place (extract, change the key, insert back): no allocation and
// no copy of the id on the hot path.
void Candidates::count(const NodeId& id, const ServiceId& service, int64_t delta) {
  KJ_REQUIRE(delta == 1 || delta == -1);
  auto it = nodes_.try_emplace(id).first;
  Node& node = it->second;
  auto counted = node.services.try_emplace(service, 0).first;
  KJ_REQUIRE(delta > 0 || (counted->second > 0 && node.total > 0), id.value, service.value);
  size_t oldTotal = node.total;
  size_t oldCount = counted->second;
  node.total += delta;
  counted->second += delta;
  if (node.eligible) {
    auto entry = order_.extract({oldTotal, id});
    KJ_DASSERT(!entry.empty());
    entry.value().first = node.total;
    order_.insert(std::move(entry));
    for (const auto& [other, count] : node.services) {
      size_t before = &other == &counted->first ? oldCount : count;
      if (before == 0) {
        ranked_[other].emplace(count, node.total, id);
        continue;
      }
      auto ranked = ranked_.find(other);
      KJ_DASSERT(ranked != ranked_.end());
      auto rankedEntry = ranked->second.extract({before, oldTotal, id});
      KJ_DASSERT(!rankedEntry.empty());
      if (count == 0) {
        if (ranked->second.empty()) ranked_.erase(ranked);
        continue;
      }
      std::get<0>(rankedEntry.value()) = count;
      std::get<1>(rankedEntry.value()) = node.total;
      ranked->second.insert(std::move(rankedEntry));
    }
  }
  if (counted->second == 0) node.services.erase(counted);
  if (!node.eligible && node.total == 0) nodes_.erase(it);
}

const NodeId* Candidates::best(const ServiceId& service) const {
  auto ranked = ranked_.find(service);
  size_t holders = ranked == ranked_.end() ? 0 : ranked->second.size();
  if (holders < order_.size()) {
    // Some eligible node holds none of the service's tasks: the first such in load order wins.
    for (const auto& [total, id] : order_) {
      if (nodes_.at(id).services.count(service) == 0) return &id;
    }
  }
  if (holders == 0) return nullptr;
  return &std::get<2>(*ranked->second.begin());
}

size_t Candidates::load(const NodeId& id) const {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? 0 : it->second.total;
}

size_t Candidates::load(const NodeId& id, const ServiceId& service) const {
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return 0;
  auto counted = it->second.services.find(service);
  return counted == it->second.services.end() ? 0 : counted->second;
}

}  // namespace swarmlet::manager
