// The session invariant checker must itself catch violations: feed it hand-made bad histories.
#include "sim/agent-checker.h"

#include <gtest/gtest.h>

namespace swarmlet::sim {
namespace {

using agent::AgentState;
using agent::Effect;

Instant at(int64_t ms) {
  return Instant::origin() + Duration::milliseconds(ms);
}

AgentState running() {
  AgentState state;
  state.phase = agent::AgentPhase::RUNNING;
  state.session.generation = 1;
  return state;
}

bool mentions(const AgentChecker& checker, const std::string& words) {
  for (const auto& v : checker.violations()) {
    if (v.find(words) != std::string::npos) return true;
  }
  return false;
}

TEST(AgentChecker, AcceptsAQuietStart) {
  AgentChecker checker;
  checker.observe(at(0), agent::Start{}, {}, running(), at(1));
  EXPECT_TRUE(checker.violations().empty());
}

TEST(AgentChecker, CatchesABackoffThatDoesNotMatchTheFailures) {
  AgentChecker checker;
  AgentState state = running();
  state.consecutiveFailures = 2;
  state.backoff = Duration::milliseconds(200);  // should be 300ms
  state.session.drawnDelay = Duration::milliseconds(10);
  checker.observe(at(0), agent::Tick{}, {}, state, at(1));
  EXPECT_TRUE(mentions(checker, "expected 300ms"));
}

TEST(AgentChecker, CatchesADelayOutsideTheBackoff) {
  AgentChecker checker;
  AgentState state = running();
  state.consecutiveFailures = 1;
  state.backoff = Duration::milliseconds(100);
  state.session.drawnDelay = Duration::milliseconds(100);
  checker.observe(at(0), agent::Tick{}, {}, state, at(1));
  EXPECT_TRUE(mentions(checker, "outside [0, 100ms)"));
}

TEST(AgentChecker, CatchesReadyTwiceAndTwoOpenSessions) {
  AgentChecker checker;
  AgentState state = running();
  state.ready = true;
  std::vector<Effect> effects{agent::OpenSession{1, {}, {}, {}}, agent::OpenSession{2, {}, {}, {}},
                              agent::SignalReady{}, agent::SignalReady{}};
  checker.observe(at(0), agent::Tick{}, effects, state, at(1));
  EXPECT_TRUE(mentions(checker, "while gen=1 is still open"));
  EXPECT_TRUE(mentions(checker, "signal-ready emitted twice"));
}

TEST(AgentChecker, CatchesASecondHeartbeatAndAMissingDeadline) {
  AgentChecker checker;
  AgentState state = running();
  state.previousSessionId = SessionId{"s1"};
  std::vector<Effect> effects{agent::OpenSession{1, {}, {}, {}},
                              agent::SendHeartbeat{1, SessionId{"s1"}},
                              agent::SendHeartbeat{1, SessionId{"s1"}}};
  checker.observe(at(0), agent::Tick{}, effects, state, std::nullopt);
  EXPECT_TRUE(mentions(checker, "a second heartbeat outstanding"));
  EXPECT_TRUE(mentions(checker, "no future deadline"));
}

TEST(AgentChecker, CatchesARegistrationThatKeepsTheBackoff) {
  AgentChecker checker;
  AgentState state = running();
  state.previousSessionId = SessionId{"s1"};
  state.session.phase = agent::SessionPhase::REGISTERED;
  state.session.heartbeatOutstanding = true;
  state.consecutiveFailures = 1;
  state.backoff = Duration::milliseconds(100);
  std::vector<Effect> effects{agent::OpenSession{1, {}, {}, {}},
                              agent::SendHeartbeat{1, SessionId{"s1"}}};
  checker.observe(at(0), agent::Tick{}, effects, state, at(1));
  EXPECT_TRUE(mentions(checker, "it must reset to 0"));
}

TEST(AgentChecker, CatchesEffectsAfterStop) {
  AgentChecker checker;
  AgentState state = running();
  state.phase = agent::AgentPhase::STOPPED;
  std::vector<Effect> effects{agent::AgentStopped{""}, agent::SignalLeft{}};
  checker.observe(at(0), agent::StopRequested{}, effects, state, std::nullopt);
  EXPECT_TRUE(mentions(checker, "effect after agent-stopped"));
}

}  // namespace
}  // namespace swarmlet::sim
