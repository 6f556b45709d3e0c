#include "sim/agent-checker.h"

#include <utility>
#include <variant>

#include "core/format.h"
#include "core/limits.h"

namespace swarmlet::sim {
namespace {

// The closed form of the backoff after k failures, computed independently of the core's
// recurrence: min(8s, 100ms * (2^k - 1)).
Duration expectedBackoff(uint32_t failures) {
  Duration backoff;
  for (uint32_t i = 0; i < failures && backoff < limits::SESSION_BACKOFF_MAX; ++i) {
    backoff = backoff * 2 + limits::SESSION_BACKOFF_INITIAL;
  }
  return min(backoff, limits::SESSION_BACKOFF_MAX);
}

}  // namespace

void AgentChecker::fail(Rule rule, const std::string& detail) {
  violations_.push_back(violationOf(rule, detail));
}

void AgentChecker::observe(Instant now, const agent::Input& input,
                           const std::vector<agent::Effect>& effects,
                           const agent::AgentState& state, std::optional<Instant> deadline) {
  if (const auto* acked = std::get_if<agent::HeartbeatAcked>(&input)) {
    if (heartbeatsOutstanding_.erase(acked->generation) != 0) {
      nextHeartbeatAt_ = {acked->generation, now + acked->period};
    }
  }
  if (const auto* failed = std::get_if<agent::HeartbeatFailed>(&input)) {
    heartbeatsOutstanding_.erase(failed->generation);
  }
  for (const agent::Effect& effect : effects) {
    if (stoppedSeen_)
      fail(Rule::SESSION_NOTHING_AFTER_STOP, "effect after agent-stopped: " + format(effect));
    checkEffect(now, effect, state);
  }
  checkState(now, state, deadline);
}

void AgentChecker::checkEffect(Instant now, const agent::Effect& effect,
                               const agent::AgentState& state) {
  if (const auto* open = std::get_if<agent::OpenSession>(&effect)) {
    if (!openSessions_.empty()) {
      fail(Rule::SESSION_ONE_OPEN, "open-session gen=" + std::to_string(open->generation) +
                                       " while gen=" + std::to_string(*openSessions_.begin()) +
                                       " is still open");
    }
    if (open->generation <= lastOpened_) {
      fail(Rule::SESSION_GENERATIONS_INCREASE,
           "open-session gen=" + std::to_string(open->generation) +
               " does not follow gen=" + std::to_string(lastOpened_));
    }
    openSessions_.insert(open->generation);
    lastOpened_ = open->generation;
  } else if (const auto* close = std::get_if<agent::CloseSession>(&effect)) {
    if (openSessions_.erase(close->generation) == 0) {
      fail(Rule::SESSION_CLOSE_MATCHES_OPEN,
           "close-session gen=" + std::to_string(close->generation) + " of a session not open");
    }
    heartbeatsOutstanding_.erase(close->generation);
  } else if (const auto* heartbeat = std::get_if<agent::SendHeartbeat>(&effect)) {
    if (openSessions_.count(heartbeat->generation) == 0) {
      fail(Rule::SESSION_HEARTBEAT_IN_SESSION,
           "send-heartbeat gen=" + std::to_string(heartbeat->generation) + " on no open session");
    }
    if (nextHeartbeatAt_.has_value() && nextHeartbeatAt_->first == heartbeat->generation &&
        now < nextHeartbeatAt_->second) {
      fail(Rule::SESSION_HEARTBEAT_PACED,
           "heartbeat on gen=" + std::to_string(heartbeat->generation) + " " +
               formatDuration(nextHeartbeatAt_->second - now) + " before the period is over");
    }
    if (!heartbeatsOutstanding_.insert(heartbeat->generation).second) {
      fail(Rule::SESSION_ONE_HEARTBEAT,
           "a second heartbeat outstanding on gen=" + std::to_string(heartbeat->generation));
    }
    if (heartbeat->sessionId.empty() || heartbeat->sessionId != state.previousSessionId) {
      fail(Rule::SESSION_HEARTBEAT_IN_SESSION, "send-heartbeat carries session " +
                                                   heartbeat->sessionId.value +
                                                   ", not the registered one");
    }
  } else if (std::holds_alternative<agent::SignalReady>(effect)) {
    if (readySeen_) fail(Rule::SESSION_READY_ONCE, "signal-ready emitted twice");
    readySeen_ = true;
  } else if (std::holds_alternative<agent::AgentStopped>(effect)) {
    stoppedSeen_ = true;
  }
}

void AgentChecker::checkState(Instant now, const agent::AgentState& state,
                              std::optional<Instant> deadline) {
  const agent::SessionState& session = state.session;
  if (state.backoff < Duration() || state.backoff > limits::SESSION_BACKOFF_MAX) {
    fail(Rule::SESSION_BACKOFF_BOUNDED,
         "backoff " + formatDuration(state.backoff) + " outside [0, 8s]");
  }
  if (state.backoff != expectedBackoff(state.consecutiveFailures)) {
    fail(Rule::SESSION_BACKOFF_FORMULA,
         "backoff " + formatDuration(state.backoff) + " after " +
             std::to_string(state.consecutiveFailures) + " failures, expected " +
             formatDuration(expectedBackoff(state.consecutiveFailures)));
  }
  if (state.backoff == Duration() && lastBackoff_ > Duration() &&
      session.phase != agent::SessionPhase::REGISTERED) {
    fail(Rule::SESSION_BACKOFF_RESET, "backoff reset without a registration");
  }
  bool registeredNow =
      session.phase == agent::SessionPhase::REGISTERED &&
      (session.generation != lastGeneration_ || lastPhase_ != agent::SessionPhase::REGISTERED);
  if (registeredNow && (state.backoff != Duration() || state.consecutiveFailures != 0)) {
    fail(Rule::SESSION_BACKOFF_RESET,
         "a registration left the backoff at " + formatDuration(state.backoff) + " (" +
             std::to_string(state.consecutiveFailures) + " failures): it must reset to 0");
  }
  if (session.generation < lastGeneration_)
    fail(Rule::SESSION_GENERATIONS_INCREASE, "session generation went backwards");
  if (session.generation != lastGeneration_ && state.phase == agent::AgentPhase::RUNNING) {
    bool inRange = state.backoff == Duration()
                       ? session.drawnDelay == Duration()
                       : session.drawnDelay >= Duration() && session.drawnDelay < state.backoff;
    if (!inRange) {
      fail(Rule::SESSION_DELAY_WITHIN_BACKOFF, "drawn delay " + formatDuration(session.drawnDelay) +
                                                   " outside [0, " + formatDuration(state.backoff) +
                                                   ")");
    }
  }
  if (state.ready != readySeen_)
    fail(Rule::SESSION_READY_ONCE, "ready state disagrees with signal-ready");
  bool running = state.phase == agent::AgentPhase::RUNNING;
  if (running && (!deadline.has_value() || *deadline <= now))
    fail(Rule::SESSION_DEADLINE_AHEAD, "no future deadline");
  if (!running && deadline.has_value())
    fail(Rule::SESSION_DEADLINE_AHEAD, "a deadline while not running");
  bool open = running && session.phase != agent::SessionPhase::DELAYING;
  if (open && (openSessions_.size() != 1 || openSessions_.count(session.generation) == 0)) {
    fail(Rule::SESSION_CLOSE_MATCHES_OPEN,
         "session gen=" + std::to_string(session.generation) + " is " + format(session.phase) +
             " but the open-session/close-session effects disagree");
  }
  if (!open && !openSessions_.empty())
    fail(Rule::SESSION_CLOSE_MATCHES_OPEN, "a session left open: no close-session emitted");
  if (running && session.phase == agent::SessionPhase::REGISTERED &&
      session.heartbeatOutstanding != (heartbeatsOutstanding_.count(session.generation) == 1)) {
    fail(Rule::SESSION_ONE_HEARTBEAT, "heartbeat bookkeeping disagrees with the effects");
  }
  if (state.phase == agent::AgentPhase::STOPPED && !stoppedSeen_) {
    fail(Rule::SESSION_NOTHING_AFTER_STOP, "stopped without agent-stopped");
  }
  lastBackoff_ = state.backoff;
  lastGeneration_ = session.generation;
  lastPhase_ = session.phase;
}

}  // namespace swarmlet::sim
