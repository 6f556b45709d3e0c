// The remotes arithmetic against the worked numbers of the spec (section 1.2) and the two
// deliberate departures from SwarmKit (docs/decisions.md), and the entries without an address
// that SwarmKit skips.
#include "core/agent/remotes.h"

#include <gtest/gtest.h>

#include <map>

#include "core/limits.h"

namespace swarmlet {
namespace {

const Peer M1{NodeId{"m1"}, "10.0.0.1:4242"};
const Peer M2{NodeId{"m2"}, "10.0.0.2:4242"};
const Peer M3{NodeId{"m3"}, "10.0.0.3:4242"};

TEST(RemotesSmoothing, OneObservationOfAnUnknownPeerGivesFive) {
  EXPECT_EQ(Remotes::smooth(0, 10), 5);
  Remotes remotes;
  remotes.observe(M1, 10);
  EXPECT_EQ(remotes.weights().at(M1), 5);
}

TEST(RemotesSmoothing, RepeatedObservationsConvergeToTen) {
  Remotes remotes;
  std::vector<int64_t> seen;
  for (int i = 0; i < 6; ++i) {
    remotes.observe(M1, 10);
    seen.push_back(remotes.weights().at(M1));
  }
  // ceil(5 + 2.5) = 8, ceil(5 + 4) = 9, ceil(5 + 4.5) = 10, then 10 stays.
  EXPECT_EQ(seen, (std::vector<int64_t>{5, 8, 9, 10, 10, 10}));
}

TEST(RemotesSmoothing, PenaltiesFromTenAndFromZero) {
  EXPECT_EQ(Remotes::smooth(10, -10), 0);
  EXPECT_EQ(Remotes::smooth(0, -10), -5);
  EXPECT_EQ(Remotes::smooth(-5, 10), 3);  // ceil(2.5)
}

TEST(RemotesSmoothing, ObservationsAreClippedToTheWeightBound) {
  EXPECT_EQ(Remotes::smooth(0, 10'000), 128);
  EXPECT_EQ(Remotes::smooth(256, 10'000), 256);
  EXPECT_EQ(Remotes::smooth(-256, -10'000), -256);
  EXPECT_EQ(Remotes::smooth(0, -10'000), -128);
}

TEST(Remotes, ObserveIfExistsNeverAddsAPeer) {
  Remotes remotes;
  remotes.observeIfExists(M1, -10);
  EXPECT_TRUE(remotes.empty());
  remotes.observe(M1, 10);
  remotes.observeIfExists(M1, -10);
  EXPECT_EQ(remotes.weights().at(M1), -2);  // ceil(0.5 * -10 + 0.5 * 5) = ceil(-2.5)
}

TEST(Remotes, ManagerListPrunesUnlistedPeersAndReportsSetChanges) {
  Remotes remotes;
  remotes.observe(Peer{NodeId{}, "10.0.0.9:4242"}, 10);  // a join address
  EXPECT_TRUE(remotes.applyManagerList({{M1, 10}, {M2, 10}}));
  EXPECT_EQ(remotes.peers(), (std::vector<Peer>{M1, M2}));
  // The same list again: weights move, the set does not.
  EXPECT_FALSE(remotes.applyManagerList({{M1, 10}, {M2, 10}}));
  EXPECT_EQ(remotes.weights().at(M1), 8);
  EXPECT_TRUE(remotes.applyManagerList({{M2, 10}, {M3, 10}}));
  EXPECT_EQ(remotes.peers(), (std::vector<Peer>{M2, M3}));
}

TEST(Remotes, AnEmptyManagerListChangesNothing) {
  Remotes remotes;
  remotes.applyManagerList({{M1, 10}, {M2, 10}});
  Remotes before = remotes;
  EXPECT_FALSE(remotes.applyManagerList({}));
  EXPECT_EQ(remotes, before);
}

TEST(Remotes, AManagerWithoutAnAddressIsSkipped) {
  const Peer noAddress{NodeId{"m4"}, ""};
  Remotes remotes;
  EXPECT_TRUE(remotes.applyManagerList({{M1, 10}, {noAddress, 10}}));
  EXPECT_EQ(remotes.peers(), (std::vector<Peer>{M1}));
  // A list of nothing but such entries is an empty list: it prunes nothing.
  Remotes before = remotes;
  EXPECT_FALSE(remotes.applyManagerList({{noAddress, 10}}));
  EXPECT_EQ(remotes, before);
}

TEST(Remotes, SelectionFollowsTheWeights) {
  Remotes remotes;
  for (int i = 0; i < 5; ++i)
    remotes.applyManagerList({{M1, 10}, {M2, 10}});
  remotes.observeIfExists(M2, -10);
  remotes.observeIfExists(M2, -10);
  remotes.observeIfExists(M2, -10);
  ASSERT_EQ(remotes.weights().at(M1), 10);
  ASSERT_LT(remotes.weights().at(M2), 0);
  Prng prng(7);
  std::map<Peer, int> chosen;
  for (int i = 0; i < 20'000; ++i)
    chosen[*remotes.select(prng)]++;
  // M2 (weight < 0, counted as 0) gets 0.001 / 10.002 of the draws: about 2 in 20,000.
  EXPECT_GT(chosen[M1], 19'980);
  EXPECT_LT(chosen[M2], 20);
}

TEST(Remotes, EqualWeightsSplitEvenly) {
  Remotes remotes;
  remotes.applyManagerList({{M1, 10}, {M2, 10}});
  Prng prng(11);
  int first = 0;
  for (int i = 0; i < 10'000; ++i)
    first += *remotes.select(prng) == M1 ? 1 : 0;
  EXPECT_GT(first, 4'700);
  EXPECT_LT(first, 5'300);
}

TEST(Remotes, SelectOnAnEmptySetGivesNothing) {
  Remotes remotes;
  Prng prng(1);
  EXPECT_FALSE(remotes.select(prng).has_value());
}

TEST(Remotes, TooLongAManagerListIsACallerBug) {
  Remotes remotes;
  std::vector<WeightedPeer> list;
  for (size_t i = 0; i <= limits::MANAGERS_MAX; ++i) {
    list.push_back({Peer{NodeId{"m" + std::to_string(i)}, "a"}, 10});
  }
  EXPECT_ANY_THROW(remotes.applyManagerList(list));
}

}  // namespace
}  // namespace swarmlet
