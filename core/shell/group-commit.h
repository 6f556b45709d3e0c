// Group commit, the one rule both effect pipelines share (agent-pipeline.h, manager-pipeline.h):
// when the store is free, every Persist waiting in the queue joins one synced write, and
// everything else keeps its place behind the first of them.
#pragma once

#include <deque>
#include <iterator>
#include <variant>
#include <vector>

namespace swarmlet::shell {

// Removes every `Persist` from `queue`, keeping the order of the other effects, and returns the
// persists' items (`field`) joined in their order. REQUIRES: the front of the queue is a Persist.
template <typename Persist, typename Effect, typename Item>
std::vector<Item> takeQueuedPersists(std::deque<Effect>& queue, std::vector<Item> Persist::*field) {
  std::vector<Item> items;
  for (auto it = queue.begin(); it != queue.end();) {
    Persist* persist = std::get_if<Persist>(&*it);
    if (persist == nullptr) {
      ++it;
      continue;
    }
    std::vector<Item>& more = persist->*field;
    if (items.empty()) {
      items = std::move(more);
    } else {
      items.insert(items.end(), std::make_move_iterator(more.begin()),
                   std::make_move_iterator(more.end()));
    }
    it = queue.erase(it);
  }
  return items;
}

}  // namespace swarmlet::shell
