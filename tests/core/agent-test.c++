// The agent's public surface under bad caller input (docs/core-contract.md): each misuse is a
// clear KJ_REQUIRE failure, never undefined behaviour; stale completions are ignored.
#include "core/agent/agent.h"

#include <gtest/gtest.h>
#include <kj/exception.h>

#include "core/limits.h"

namespace swarmlet::agent {
namespace {

const Peer M1{NodeId{"m1"}, "10.0.0.1:4242"};

Instant at(int64_t milliseconds) {
  return Instant::origin() + Duration::milliseconds(milliseconds);
}

// Expects `body` to fail a requirement whose description mentions `words`.
template <typename Body>
void expectRequirementFailure(Body body, const std::string& words) {
  try {
    body();
    ADD_FAILURE() << "expected a failed requirement mentioning: " << words;
  } catch (const kj::Exception& e) {
    std::string description = e.getDescription().cStr();
    EXPECT_NE(description.find(words), std::string::npos) << description;
  }
}

void start(Agent& agent) {
  agent.step(at(0), Start{NodeDescription{"n1", "", 0, 0, {}}, {M1}, NodeRole::WORKER});
  ASSERT_EQ(agent.takeEffects().size(), 1u);  // open-session gen=1
}

TEST(AgentBackoff, SequenceOverFailuresMatchesTheSpec) {
  std::vector<std::string> seen;
  Duration b;
  for (uint32_t k = 1; k <= 8; ++k) {
    b = nextBackoff(b);
    EXPECT_EQ(b, backoffAfterFailures(k)) << k;
    seen.push_back(formatDuration(b));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"100ms", "300ms", "700ms", "1.5s", "3.1s", "6.3s", "8s",
                                            "8s"}));
  EXPECT_EQ(backoffAfterFailures(0), Duration());
  EXPECT_EQ(backoffAfterFailures(1000), limits::SESSION_BACKOFF_MAX);
}

TEST(AgentContract, TimeGoingBackwardsIsRefused) {
  Agent agent(AgentConfig{1});
  start(agent);
  agent.step(at(10), Tick{});
  expectRequirementFailure([&] { agent.step(at(9), Tick{}); }, "time went backwards");
}

TEST(AgentContract, TheFirstInputMustBeStart) {
  Agent agent(AgentConfig{1});
  expectRequirementFailure([&] { agent.step(at(0), Tick{}); }, "the first input must be Start");
  EXPECT_EQ(agent.nextDeadline(), nullptr);
}

TEST(AgentContract, StartTwiceIsRefused) {
  Agent agent(AgentConfig{1});
  start(agent);
  expectRequirementFailure([&] { agent.step(at(1), Start{}); }, "Start given twice");
}

TEST(AgentContract, CompletionsForSessionsNeverOpenedAreRefused) {
  Agent agent(AgentConfig{1});
  start(agent);
  ASSERT_EQ(agent.state().session.generation, 1u);
  expectRequirementFailure(
      [&] {
        agent.step(at(1), SessionOpened{7, SessionId{"s"}, {}});
      },
      "never opened");
  expectRequirementFailure(
      [&] {
        agent.step(at(1), HeartbeatAcked{1, Duration::seconds(5)});
      },
      "without a heartbeat outstanding");
  expectRequirementFailure(
      [&] {
        agent.step(at(1), NodeDescribed{3, std::nullopt});
      },
      "never made");
}

TEST(AgentContract, AnOutOfRangeHeartbeatPeriodIsRefused) {
  Agent agent(AgentConfig{1});
  start(agent);
  agent.step(at(1), SessionOpened{1, SessionId{"s1"}, {}});
  expectRequirementFailure(
      [&] {
        agent.step(at(2), HeartbeatAcked{1, Duration()});
      },
      "HEARTBEAT_PERIOD_MIN");
}

TEST(AgentContract, StaleCompletionsAreIgnored) {
  Agent agent(AgentConfig{1});
  start(agent);
  agent.step(at(1), SessionFailed{1, RpcError{ErrorCode::UNAVAILABLE, "refused"}});
  agent.takeEffects();
  AgentState before = agent.state();
  agent.step(at(2), SessionOpened{1, SessionId{"late"}, {}});
  agent.step(at(2), HeartbeatFailed{1, RpcError{}});
  EXPECT_EQ(agent.takeEffects().size(), 0u);
  EXPECT_EQ(agent.state(), before);
  EXPECT_EQ(agent.probes().count(AgentProbe::STALE_SESSION_COMPLETION), 2u);
}

// Probes count the rare paths and nothing else: a session that times out opening counts once,
// and the failure after it (backoff below the maximum) does not count as one at the maximum.
TEST(AgentProbes, CountTheirPathOnly) {
  Agent agent(AgentConfig{1});
  start(agent);
  EXPECT_EQ(agent.probes().count(AgentProbe::OPEN_TIMED_OUT), 0u);
  agent.step(at(0) + limits::SESSION_START_TIMEOUT, Tick{});
  EXPECT_EQ(agent.probes().count(AgentProbe::OPEN_TIMED_OUT), 1u);
  EXPECT_EQ(agent.probes().count(AgentProbe::BACKOFF_AT_MAX), 0u);
  EXPECT_EQ(agent.probes().count(AgentProbe::STALE_SESSION_COMPLETION), 0u);
}

TEST(AgentContract, NothingHappensAfterStop) {
  Agent agent(AgentConfig{1});
  start(agent);
  agent.step(at(1), StopRequested{});
  EXPECT_EQ(agent.takeEffects().size(), 2u);  // close-session, agent-stopped
  agent.step(at(2), SessionOpened{1, SessionId{"late"}, {}});
  agent.step(at(3), LeaveRequested{});
  agent.step(at(4), StopRequested{});
  EXPECT_EQ(agent.takeEffects().size(), 0u);
  EXPECT_EQ(agent.nextDeadline(), nullptr);
}

}  // namespace
}  // namespace swarmlet::agent
