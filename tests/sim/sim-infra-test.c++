// The simulator's building blocks: event order, the hash chain, and swarm-testing profiles.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "sim/event-queue.h"
#include "sim/hash-chain.h"
#include "sim/host-clock.h"
#include "sim/network.h"
#include "sim/probes.h"
#include "sim/profile.h"
#include "sim/world.h"

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

TEST(HostClock, ReadsOffsetAndRateAndNeverReachesADeadlineEarly) {
  HostClock fast(Duration::seconds(30), 20'000);  // 2% fast, 30 s ahead
  EXPECT_EQ(fast.local(at(0)), at(30'000));
  EXPECT_EQ(fast.local(at(10'000)), at(40'200));
  HostClock slow(Duration::milliseconds(5), -50'000);  // 5% slow
  Prng prng(7);
  for (const HostClock& clock : {fast, slow, HostClock()}) {
    Instant previous = clock.local(at(0));
    for (int i = 0; i < 2000; ++i) {
      Instant global = Instant::origin() + prng.uniformDuration(Duration::seconds(3600));
      Instant deadline = clock.local(global) + prng.uniformDuration(Duration::seconds(10));
      Instant wake = clock.global(deadline);
      // The host reads the deadline at the wake-up, and not one nanosecond before it.
      EXPECT_GE(clock.local(wake), deadline);
      EXPECT_LT(clock.local(wake - Duration::nanoseconds(1)), deadline);
      Instant later = clock.local(at(i));
      EXPECT_GE(later, previous);
      previous = later;
    }
  }
}

TEST(World, AWallBudgetStopsARunEarlyAndSaysSo) {
  WorldConfig config;
  config.agents = 20;
  config.replicas = 20;
  config.duration = Duration::seconds(60);
  RunResult whole = runWorld(config);
  EXPECT_FALSE(whole.truncated);
  EXPECT_EQ(whole.simulated, config.duration + config.healPeriod);
  config.wallBudgetSeconds = 1e-9;
  RunResult cut = runWorld(config);
  EXPECT_TRUE(cut.truncated);
  EXPECT_TRUE(cut.passed);
  EXPECT_EQ(cut.stats.events, 4096u);  // the budget is looked at every 4096 events
  EXPECT_LT(cut.simulated, whole.simulated);
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

TEST(Profile, AListTakesTheIntensityItNames) {
  std::string error;
  for (uint64_t seed = 1; seed < 50; ++seed) {
    Profile listed = drawProfile(seed, *parseFaultSelection("duplicate,leader", error));
    Profile heavy = drawProfile(seed, *parseFaultSelection("heavy:duplicate,leader", error));
    Profile light = drawProfile(seed, *parseFaultSelection("light:duplicate,leader", error));
    EXPECT_EQ(drawProfile(seed, *parseFaultSelection("default:duplicate,leader", error)), listed);
    for (size_t i = 0; i < FAULT_FAMILY_COUNT; ++i) {
      auto family = static_cast<FaultFamily>(i);
      bool wanted = family == FaultFamily::DUPLICATE || family == FaultFamily::LEADER;
      EXPECT_EQ(heavy[family].enabled, wanted) << format(family);
      EXPECT_EQ(light[family].enabled, wanted) << format(family);
      if (!wanted) continue;
      EXPECT_DOUBLE_EQ(heavy[family].rate, 3 * listed[family].rate) << format(family);
      EXPECT_DOUBLE_EQ(light[family].rate, 0.3 * listed[family].rate) << format(family);
    }
  }
  EXPECT_FALSE(parseFaultSelection("fierce:duplicate", error).has_value());
  EXPECT_NE(error.find("fierce"), std::string::npos);
  EXPECT_FALSE(parseFaultSelection("heavy:earthquake", error).has_value());
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

Profile quietProfile() {
  std::string error;
  Profile profile = drawProfile(1, *parseFaultSelection("none", error));
  profile.latencyMin = Duration::milliseconds(1);
  profile.latencyMax = Duration::milliseconds(10);
  return profile;
}

TEST(Network, LinksAreFifoWithoutReordering) {
  Network network(quietProfile(), 5);
  Instant last;
  for (int i = 0; i < 1000; ++i) {
    std::vector<Instant> arrivals = network.route(1, 2, 0, at(i / 10));
    ASSERT_EQ(arrivals.size(), 1u);
    EXPECT_GE(arrivals[0], last);
    EXPECT_GE(arrivals[0], at(i / 10) + Duration::milliseconds(1));
    last = arrivals[0];
  }
}

TEST(Network, ReorderingCrossesConnectionsButNeverOneConnection) {
  Profile profile = quietProfile();
  profile[FaultFamily::REORDER] = FamilySettings{true, 0.5, Duration::milliseconds(50)};
  Network network(profile, 3);
  std::map<uint64_t, Instant> last;
  bool crossed = false;
  Instant latest;
  for (int i = 0; i < 2000; ++i) {
    uint64_t channel = static_cast<uint64_t>(i % 3);
    Instant arrival = network.route(1, 2, channel, at(i))[0];
    EXPECT_GE(arrival, last[channel]);
    crossed = crossed || arrival < latest;
    if (arrival > latest) latest = arrival;
    last[channel] = arrival;
  }
  EXPECT_TRUE(crossed);
  EXPECT_GT(network.counters().reordered, 800u);
}

// A duplicate on a connection comes right after its original, before anything sent later: an
// at-least-once transport repeats, it does not send a stale copy after newer messages. (A late
// copy of a COMPLETE assignment set, after an INCREMENTAL, once made an agent drop a task its
// manager still counted: a fault no real stream can produce.)
TEST(Network, DuplicatesKeepTheirConnectionInOrder) {
  Profile profile = quietProfile();
  profile[FaultFamily::DUPLICATE] = FamilySettings{true, 0.3, Duration()};
  Network network(profile, 11);
  Instant last;
  for (int i = 0; i < 3000; ++i) {
    for (Instant arrival : network.route(1, 2, 7, at(i / 20))) {
      EXPECT_GE(arrival, last) << "message " << i;
      last = arrival;
    }
  }
  EXPECT_GT(network.counters().duplicated, 700u);
}

TEST(Network, CutsAreDirectedAndHeal) {
  Network network(quietProfile(), 5);
  network.cut(1, 2);
  EXPECT_TRUE(network.route(1, 2, 0, at(0)).empty());
  EXPECT_EQ(network.route(2, 1, 0, at(0)).size(), 1u);
  network.isolate(3, {1, 2, 3});
  EXPECT_TRUE(network.route(3, 1, 0, at(0)).empty());
  EXPECT_TRUE(network.route(2, 3, 0, at(0)).empty());
  network.healAll();
  EXPECT_EQ(network.route(1, 2, 0, at(0)).size(), 1u);
  EXPECT_EQ(network.counters().cut, 3u);
}

// Regression (seed 1): a lost status answer on a connection that carried on left the agent's
// batch in flight for ever. TCP cannot lose one message and go on: after a drop, the connection
// delivers nothing more, even once the faults are calmed; other connections are unaffected.
TEST(Network, ADropBlackholesItsConnectionForGood) {
  Profile profile = quietProfile();
  profile[FaultFamily::DROP] = FamilySettings{true, 0.5, Duration()};
  Network network(profile, 3);
  int sent = 0;
  while (!network.route(1, 2, 7, at(sent)).empty())
    ++sent;
  network.calm();
  for (int i = 0; i < 100; ++i)
    EXPECT_TRUE(network.route(1, 2, 7, at(1000 + i)).empty()) << "message " << i;
  EXPECT_EQ(network.route(1, 2, 8, at(2000)).size(), 1u);
  EXPECT_EQ(network.route(2, 1, 9, at(2000)).size(), 1u);
}

// Regression (seed 133, heavy): a push cut between a follower and the leader left the agent's
// session up but deaf. A cut connection is dead like a dropped one: healing the partition does
// not revive it; the session's next connection works.
TEST(Network, ACutConnectionStaysDeadAfterThePartitionHeals) {
  Network network(quietProfile(), 5);
  EXPECT_EQ(network.route(1, 2, 4, at(0)).size(), 1u);
  network.cut(1, 2);
  EXPECT_TRUE(network.route(1, 2, 4, at(1)).empty());
  network.healAll();
  EXPECT_TRUE(network.route(1, 2, 4, at(2)).empty());
  EXPECT_EQ(network.route(1, 2, 5, at(3)).size(), 1u);
}

TEST(Network, DropAndDuplicateFollowTheProfileUntilCalmed) {
  Profile profile = quietProfile();
  profile[FaultFamily::DROP] = FamilySettings{true, 0.2, Duration()};
  profile[FaultFamily::DUPLICATE] = FamilySettings{true, 0.1, Duration()};
  Network network(profile, 9);
  size_t copies = 0;
  for (int i = 0; i < 10'000; ++i)
    copies += network.route(1, 2, 0, at(0)).size();
  EXPECT_GT(network.counters().dropped, 1'800u);
  EXPECT_LT(network.counters().dropped, 2'200u);
  EXPECT_GT(network.counters().duplicated, 700u);
  EXPECT_EQ(copies, network.counters().delivered);
  network.calm();
  uint64_t droppedBefore = network.counters().dropped;
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(network.route(1, 2, 0, at(1)).size(), 1u);
  EXPECT_EQ(network.counters().dropped, droppedBefore);
}

// Every probe has a distinct name under its core's prefix, and a tally starts with all of them.
TEST(Probes, EveryProbeIsNamedOnceUnderItsPrefix) {
  ProbeTally tally = emptyTally();
  EXPECT_EQ(tally.size(),
            agent::AgentProbes::SIZE + manager::ManagerProbes::SIZE + WorldProbes::SIZE);
  for (const auto& [name, count] : tally) {
    EXPECT_EQ(count, 0u) << name;
    bool prefixed =
        name.starts_with("agent.") || name.starts_with("manager.") || name.starts_with("world.");
    EXPECT_TRUE(prefixed) << name;
  }
  EXPECT_EQ(neverHit(tally).size(), tally.size());
}

TEST(Probes, TalliesSumAndNameWhatWasNeverHit) {
  agent::AgentProbes agentProbes;
  agentProbes.hit(agent::AgentProbe::ASSIGNMENT_GAP_RESYNCED);
  agentProbes.hit(agent::AgentProbe::ASSIGNMENT_GAP_RESYNCED);
  manager::ManagerProbes managerProbes;
  managerProbes.hit(manager::ManagerProbe::NODE_EXPIRED);
  ProbeTally first = emptyTally();
  addTo(first, agentProbes);
  ProbeTally second = emptyTally();
  addTo(second, agentProbes);
  addTo(second, managerProbes);
  addTo(first, second);
  EXPECT_EQ(first.at("agent.assignment-gap-resynced"), 4u);
  EXPECT_EQ(first.at("manager.node-expired"), 1u);
  std::vector<std::string> missed = neverHit(first);
  EXPECT_EQ(missed.size(), first.size() - 2);
  EXPECT_EQ(std::count(missed.begin(), missed.end(), "manager.node-expired"), 0);
}

// A run reports its probes, and a run with faults reaches some of them.
TEST(Probes, ARunReportsWhatItReached) {
  WorldConfig config;
  config.seed = 3;
  config.duration = Duration::seconds(60);
  RunResult result = runWorld(config);
  ASSERT_TRUE(result.passed) << result.violation;
  EXPECT_EQ(result.probes.size(), emptyTally().size());
  EXPECT_LT(neverHit(result.probes).size(), result.probes.size());
}

}  // namespace
}  // namespace swarmlet::sim
