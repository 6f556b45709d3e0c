// The session invariant checker must itself catch violations: feed it hand-made bad histories.
#include "sim/agent-checker.h"

#include <gtest/gtest.h>

#include "tests/sim/reports.h"

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
  EXPECT_TRUE(reports(checker, Rule::SESSION_BACKOFF_FORMULA, "expected 300ms"));
}

TEST(AgentChecker, CatchesADelayOutsideTheBackoff) {
  AgentChecker checker;
  AgentState state = running();
  state.consecutiveFailures = 1;
  state.backoff = Duration::milliseconds(100);
  state.session.drawnDelay = Duration::milliseconds(100);
  checker.observe(at(0), agent::Tick{}, {}, state, at(1));
  EXPECT_TRUE(reports(checker, Rule::SESSION_DELAY_WITHIN_BACKOFF, "outside [0, 100ms)"));
}

TEST(AgentChecker, CatchesReadyTwiceAndTwoOpenSessions) {
  AgentChecker checker;
  AgentState state = running();
  state.ready = true;
  std::vector<Effect> effects{agent::OpenSession{1, {}, {}, {}}, agent::OpenSession{2, {}, {}, {}},
                              agent::SignalReady{}, agent::SignalReady{}};
  checker.observe(at(0), agent::Tick{}, effects, state, at(1));
  EXPECT_TRUE(reports(checker, Rule::SESSION_ONE_OPEN, "while gen=1 is still open"));
  EXPECT_TRUE(reports(checker, Rule::SESSION_READY_ONCE, "signal-ready emitted twice"));
}

TEST(AgentChecker, CatchesASecondHeartbeatAndAMissingDeadline) {
  AgentChecker checker;
  AgentState state = running();
  state.previousSessionId = SessionId{"s1"};
  std::vector<Effect> effects{agent::OpenSession{1, {}, {}, {}},
                              agent::SendHeartbeat{1, SessionId{"s1"}},
                              agent::SendHeartbeat{1, SessionId{"s1"}}};
  checker.observe(at(0), agent::Tick{}, effects, state, std::nullopt);
  EXPECT_TRUE(reports(checker, Rule::SESSION_ONE_HEARTBEAT, "a second heartbeat outstanding"));
  EXPECT_TRUE(reports(checker, Rule::SESSION_DEADLINE_AHEAD, "no future deadline"));
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
  EXPECT_TRUE(reports(checker, Rule::SESSION_BACKOFF_RESET, "it must reset to 0"));
}

TEST(AgentChecker, CatchesEffectsAfterStop) {
  AgentChecker checker;
  AgentState state = running();
  state.phase = agent::AgentPhase::STOPPED;
  std::vector<Effect> effects{agent::AgentStopped{""}, agent::SignalLeft{}};
  checker.observe(at(0), agent::StopRequested{}, effects, state, std::nullopt);
  EXPECT_TRUE(reports(checker, Rule::SESSION_NOTHING_AFTER_STOP, "effect after agent-stopped"));
}

TEST(AgentChecker, CatchesAGenerationOpenedAgainAndOneGoingBack) {
  AgentChecker checker;
  checker.observe(at(0), agent::Tick{}, {agent::OpenSession{1, {}, {}, {}}}, running(), at(1));
  std::vector<Effect> again{agent::CloseSession{1, {}, {}}, agent::OpenSession{1, {}, {}, {}}};
  checker.observe(at(1), agent::Tick{}, again, running(), at(2));
  EXPECT_TRUE(reports(checker, Rule::SESSION_GENERATIONS_INCREASE, "does not follow gen=1"));
  AgentState back = running();
  back.session.generation = 0;
  checker.observe(at(2), agent::Tick{}, {}, back, at(3));
  EXPECT_TRUE(reports(checker, Rule::SESSION_GENERATIONS_INCREASE, "went backwards"));
}

TEST(AgentChecker, CatchesACloseOfASessionNeverOpenedAndOneLeftOpen) {
  AgentChecker closed;
  closed.observe(at(0), agent::Tick{}, {agent::CloseSession{3, {}, {}}}, running(), at(1));
  EXPECT_TRUE(reports(closed, Rule::SESSION_CLOSE_MATCHES_OPEN, "of a session not open"));
  // The agent believes it is delaying (no session) while its effects left gen=1 open.
  AgentChecker open;
  open.observe(at(0), agent::Tick{}, {agent::OpenSession{1, {}, {}, {}}}, running(), at(1));
  EXPECT_TRUE(reports(open, Rule::SESSION_CLOSE_MATCHES_OPEN, "no close-session emitted"));
}

TEST(AgentChecker, CatchesABackoffBeyondItsBound) {
  AgentChecker checker;
  AgentState state = running();
  state.consecutiveFailures = 20;
  state.backoff = Duration::seconds(9);
  checker.observe(at(0), agent::Tick{}, {}, state, at(1));
  EXPECT_TRUE(reports(checker, Rule::SESSION_BACKOFF_BOUNDED, "9s outside [0, 8s]"));
}

TEST(AgentChecker, CatchesAHeartbeatOutsideTheRegisteredSession) {
  AgentChecker checker;
  AgentState state = running();
  state.previousSessionId = SessionId{"s1"};
  checker.observe(at(0), agent::Tick{}, {agent::SendHeartbeat{1, SessionId{"s1"}}}, state, at(1));
  EXPECT_TRUE(reports(checker, Rule::SESSION_HEARTBEAT_IN_SESSION, "on no open session"));
  AgentChecker stale;
  std::vector<Effect> effects{agent::OpenSession{1, {}, {}, {}},
                              agent::SendHeartbeat{1, SessionId{"s0"}}};
  stale.observe(at(0), agent::Tick{}, effects, state, at(1));
  EXPECT_TRUE(reports(stale, Rule::SESSION_HEARTBEAT_IN_SESSION, "carries session s0"));
}

TEST(AgentChecker, CatchesAHeartbeatBeforeThePeriodIsOver) {
  AgentChecker checker;
  AgentState state = running();
  state.previousSessionId = SessionId{"s1"};
  state.session.phase = agent::SessionPhase::REGISTERED;
  state.session.heartbeatOutstanding = true;
  std::vector<Effect> opened{agent::OpenSession{1, {}, {}, {}},
                             agent::SendHeartbeat{1, SessionId{"s1"}}};
  checker.observe(at(0), agent::Tick{}, opened, state, at(1));
  state.session.heartbeatOutstanding = false;
  checker.observe(at(100), agent::HeartbeatAcked{1, Duration::seconds(5)}, {}, state, at(5100));
  state.session.heartbeatOutstanding = true;
  checker.observe(at(2100), agent::Tick{}, {agent::SendHeartbeat{1, SessionId{"s1"}}}, state,
                  at(9000));
  EXPECT_TRUE(reports(checker, Rule::SESSION_HEARTBEAT_PACED,
                      "heartbeat on gen=1 3s before the period is over"));
}

}  // namespace
}  // namespace swarmlet::sim
