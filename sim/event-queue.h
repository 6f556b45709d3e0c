// The simulator's event queue: events ordered by (time, sequence number), so two events at the
// same instant run in the order they were scheduled and a run is a pure function of its seed.
// A value type holding its payloads; not thread-safe.
#pragma once

#include <cstdint>
#include <queue>
#include <utility>
#include <vector>

#include <kj/debug.h>

#include "core/time.h"

namespace swarmlet::sim {

template <typename Payload>
class EventQueue {
 public:
  struct Entry {
    Instant at;
    uint64_t sequence = 0;
    Payload payload;
  };

  // REQUIRES: at >= the time of the last event popped (the past cannot be scheduled).
  void push(Instant at, Payload payload) {
    KJ_REQUIRE(at >= now_, "an event scheduled in the past");
    heap_.push(Entry{at, next_++, std::move(payload)});
  }

  bool empty() const { return heap_.empty(); }
  size_t size() const { return heap_.size(); }
  Instant nextTime() const { return heap_.top().at; }

  // REQUIRES: !empty().
  Entry pop() {
    KJ_REQUIRE(!heap_.empty());
    Entry entry = std::move(const_cast<Entry&>(heap_.top()));
    heap_.pop();
    KJ_ASSERT(entry.at >= now_);
    now_ = entry.at;
    return entry;
  }

  Instant now() const { return now_; }

 private:
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const {
      return a.at != b.at ? a.at > b.at : a.sequence > b.sequence;
    }
  };

  std::priority_queue<Entry, std::vector<Entry>, Later> heap_;
  uint64_t next_ = 0;
  Instant now_;
};

}  // namespace swarmlet::sim
