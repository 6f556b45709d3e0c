// The scheduler's candidate index against the order it stands for: the eligible node with the
// fewest tasks of the service, then the fewest tasks, then the smallest id, recomputed here by
// brute force after every change of a long random sequence.
#include "core/manager/candidates.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace swarmlet::manager {
namespace {

const NodeId A{"node-a"};
const NodeId B{"node-b"};
const NodeId C{"node-c"};
const ServiceId S{"service-s"};
const ServiceId T{"service-t"};

std::optional<NodeId> bestOf(const Candidates& candidates, const ServiceId& service) {
  const NodeId* best = candidates.best(service);
  if (best == nullptr) return std::nullopt;
  return *best;
}

TEST(Candidates, NoEligibleNodeGivesNone) {
  Candidates candidates;
  EXPECT_EQ(bestOf(candidates, S), std::nullopt);
  candidates.count(A, S, 1);  // load on a node that is not eligible
  EXPECT_EQ(bestOf(candidates, S), std::nullopt);
  EXPECT_EQ(candidates.load(A), 1u);
  EXPECT_FALSE(candidates.eligible(A));
}

TEST(Candidates, TiesGoToTheSmallestId) {
  Candidates candidates;
  candidates.setEligible(C, true);
  candidates.setEligible(B, true);
  candidates.setEligible(A, true);
  EXPECT_EQ(bestOf(candidates, S), A);
}

TEST(Candidates, FewestOfTheServiceBeatsFewestOverall) {
  Candidates candidates;
  candidates.setEligible(A, true);
  candidates.setEligible(B, true);
  candidates.count(A, S, 1);
  for (int i = 0; i < 5; ++i)
    candidates.count(B, T, 1);
  // A holds one task (of S), B five (of T): S goes to B, T to A.
  EXPECT_EQ(bestOf(candidates, S), B);
  EXPECT_EQ(bestOf(candidates, T), A);
  EXPECT_EQ(candidates.load(B, T), 5u);
  EXPECT_EQ(candidates.load(B, S), 0u);
}

TEST(Candidates, WhenEveryNodeHoldsTheServiceTheLeastLoadedWins) {
  Candidates candidates;
  for (const NodeId& node : {A, B, C}) {
    candidates.setEligible(node, true);
    candidates.count(node, S, 1);
  }
  candidates.count(A, T, 1);
  EXPECT_EQ(bestOf(candidates, S), B);
  candidates.count(B, S, 1);
  EXPECT_EQ(bestOf(candidates, S), C);
}

TEST(Candidates, AnIneligibleNodeKeepsItsLoadAndComesBackWithIt) {
  Candidates candidates;
  candidates.setEligible(A, true);
  candidates.setEligible(B, true);
  candidates.count(A, S, 1);
  candidates.setEligible(B, false);
  EXPECT_EQ(bestOf(candidates, S), A);
  candidates.count(B, S, 1);
  candidates.count(B, S, 1);
  candidates.setEligible(B, true);
  EXPECT_EQ(bestOf(candidates, S), A);
  candidates.count(B, S, -1);
  candidates.count(B, S, -1);
  EXPECT_EQ(bestOf(candidates, S), B);
}

// The order the scheduler used to build for every service with pending tasks.
std::optional<NodeId> bruteForce(const std::set<NodeId>& eligible,
                                 const std::map<std::pair<NodeId, ServiceId>, size_t>& counts,
                                 const ServiceId& service) {
  std::set<std::tuple<size_t, size_t, NodeId>> order;
  for (const NodeId& node : eligible) {
    size_t total = 0;
    size_t ofService = 0;
    for (const auto& [key, count] : counts) {
      if (key.first != node) continue;
      total += count;
      if (key.second == service) ofService = count;
    }
    order.emplace(ofService, total, node);
  }
  if (order.empty()) return std::nullopt;
  return std::get<2>(*order.begin());
}

TEST(Candidates, AgreesWithTheBruteForceOrderOverARandomSequence) {
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto draw = [&](uint64_t n) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state % n;
  };
  std::vector<NodeId> nodes;
  for (int i = 0; i < 12; ++i)
    nodes.push_back(NodeId{"node-" + std::to_string(i)});
  std::vector<ServiceId> services{ServiceId{"s0"}, ServiceId{"s1"}, ServiceId{"s2"}};
  Candidates candidates;
  std::set<NodeId> eligible;
  std::map<std::pair<NodeId, ServiceId>, size_t> counts;
  for (int step = 0; step < 5000; ++step) {
    const NodeId& node = nodes[draw(nodes.size())];
    const ServiceId& service = services[draw(services.size())];
    switch (draw(4)) {
      case 0: {
        bool on = draw(3) != 0;
        candidates.setEligible(node, on);
        if (on) {
          eligible.insert(node);
        } else {
          eligible.erase(node);
        }
        break;
      }
      case 1: {
        auto key = std::make_pair(node, service);
        if (counts[key] == 0) break;
        candidates.count(node, service, -1);
        if (--counts[key] == 0) counts.erase(key);
        break;
      }
      default:
        candidates.count(node, service, 1);
        counts[{node, service}]++;
        break;
    }
    for (const ServiceId& s : services) {
      ASSERT_EQ(bestOf(candidates, s), bruteForce(eligible, counts, s)) << "step " << step;
    }
    size_t total = 0;
    for (const auto& [key, count] : counts) {
      if (key.first == node) total += count;
    }
    ASSERT_EQ(candidates.load(node), total);
    ASSERT_EQ(candidates.eligible(node), eligible.count(node) == 1);
  }
}

}  // namespace
}  // namespace swarmlet::manager
