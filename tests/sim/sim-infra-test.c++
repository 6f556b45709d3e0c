// The simulator's building blocks: event order, the hash chain, and swarm-testing profiles.
#include <gtest/gtest.h>

#include <set>

#include "sim/event-queue.h"
#include "sim/hash-chain.h"
#include "sim/profile.h"

namespace swarmlet::sim {
namespace {

Instant at(int64_t ms) {
  return Instant::origin() + Duration::milliseconds(ms);
}

TEST(EventQueue, OrdersByTimeThenBySchedulingOrder) {
  EventQueue<std::string> queue;
  queue.push(at(5), "c");
  queue.push(at(1), "a");
  queue.push(at(5), "d");
  queue.push(at(1), "b");
  std::string order;
  while (!queue.empty())
    order += queue.pop().payload;
  EXPECT_EQ(order, "abcd");
  EXPECT_EQ(queue.now(), at(5));
  EXPECT_ANY_THROW(queue.push(at(4), "past"));
}

TEST(HashChain, EqualRunsChainEquallyAndAnyDifferenceShows) {
  HashChain a, b, c;
  for (int i = 0; i < 100; ++i) {
    std::string event = "event " + std::to_string(i);
    a.add(event, 7);
    b.add(event, 7);
    c.add(event, i == 50 ? 8 : 7);
  }
  EXPECT_EQ(a.value(), b.value());
  EXPECT_NE(a.value(), c.value());
  EXPECT_EQ(HashChain::hex(0xabc), "0000000000000abc");
  // Order matters: the same events in another order give another chain.
  HashChain d, e;
  d.add("x", 0);
  d.add("y", 0);
  e.add("y", 0);
  e.add("x", 0);
  EXPECT_NE(d.value(), e.value());
}

TEST(Profile, TheSameSeedDrawsTheSameProfile) {
  FaultSelection selection;
  EXPECT_EQ(drawProfile(42, selection), drawProfile(42, selection));
  bool someDiffer = false;
  for (uint64_t seed = 1; seed < 20; ++seed) {
    someDiffer = someDiffer || !(drawProfile(seed, selection) == drawProfile(seed + 1, selection));
  }
  EXPECT_TRUE(someDiffer);
}

TEST(Profile, SelectionsSwitchFamilies) {
  std::string error;
  for (uint64_t seed = 1; seed < 50; ++seed) {
    Profile none = drawProfile(seed, *parseFaultSelection("none", error));
    Profile heavy = drawProfile(seed, *parseFaultSelection("heavy", error));
    Profile listed = drawProfile(seed, *parseFaultSelection("drop,partition", error));
    for (size_t i = 0; i < FAULT_FAMILY_COUNT; ++i) {
      auto family = static_cast<FaultFamily>(i);
      EXPECT_FALSE(none[family].enabled);
      EXPECT_TRUE(heavy[family].enabled);
      bool wanted = family == FaultFamily::DROP || family == FaultFamily::PARTITION;
      EXPECT_EQ(listed[family].enabled, wanted) << format(family);
    }
  }
}

TEST(Profile, SwarmTestingVariesTheMixAcrossSeeds) {
  FaultSelection selection;
  std::set<std::string> mixes;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    std::string mix;
    Profile profile = drawProfile(seed, selection);
    for (size_t i = 0; i < FAULT_FAMILY_COUNT; ++i)
      mix += profile.families[i].enabled ? '1' : '0';
    mixes.insert(mix);
  }
  EXPECT_GT(mixes.size(), 30u);
}

TEST(Profile, UnknownFamiliesAreRefusedWithTheList) {
  std::string error;
  EXPECT_FALSE(parseFaultSelection("drop,earthquake", error).has_value());
  EXPECT_NE(error.find("earthquake"), std::string::npos);
  EXPECT_NE(error.find("manager-crash"), std::string::npos);
}

}  // namespace
}  // namespace swarmlet::sim
