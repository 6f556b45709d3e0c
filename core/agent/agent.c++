#include "core/agent/agent.h"

#include "core/overloaded.h"

#include <kj/debug.h>

#include "core/limits.h"

namespace swarmlet::agent {

Duration nextBackoff(Duration backoff) {
  KJ_REQUIRE(backoff >= Duration(), backoff);
  return min(limits::SESSION_BACKOFF_INITIAL + backoff * 2, limits::SESSION_BACKOFF_MAX);
}

Duration backoffAfterFailures(uint32_t failures) {
  // 100ms * (2^k - 1) passes 8s at k = 7; stop doubling there to stay far from overflow.
  if (failures >= 7) return limits::SESSION_BACKOFF_MAX;
  return min(limits::SESSION_BACKOFF_INITIAL * ((int64_t{1} << failures) - 1),
             limits::SESSION_BACKOFF_MAX);
}

Agent::Agent(const AgentConfig& config) : prng_(config.seed) {}

void Agent::step(Instant now, const Input& input) {
  stepWith(now, input, nullptr);
}

void Agent::step(Instant now, Input&& input) {
  stepWith(now, input, std::get_if<AssignmentsReceived>(&input));
}

void Agent::stepWith(Instant now, const Input& input, AssignmentsReceived* owned) {
  KJ_REQUIRE(now >= now_, "time went backwards");
  now_ = now;
  persistIndex_.reset();
  if (state_.phase == AgentPhase::NOT_STARTED) {
    KJ_REQUIRE(std::holds_alternative<Start>(input), "the first input must be Start");
    handleStart(std::get<Start>(input));
    handleDueDeadlines();
    // Like SwarmKit, the first session is under way before the worker restores its tasks.
    restoreFromStore(std::get<Start>(input).store);
    finishStep();
    return;
  }
  // After AgentStopped nothing happens: late completions are stale by definition.
  if (state_.phase == AgentPhase::STOPPED) return;
  // Before the due deadlines: they may issue the very id a completion names (a refresh, a
  // retry, a new generation), and a caller bug must fail before anything changes.
  requireIssued(input);
  handleDueDeadlines();
  std::visit(Overloaded{
                 [&](const Start&) { KJ_FAIL_REQUIRE("Start given twice"); },
                 [&](const Tick&) {},
                 [&](const SessionOpened& e) { handleSessionOpened(e); },
                 [&](const SessionFailed& e) { handleSessionFailed(e); },
                 [&](const SessionMessageReceived& e) { handleSessionMessage(e); },
                 [&](const HeartbeatAcked& e) { handleHeartbeatAcked(e); },
                 [&](const HeartbeatFailed& e) { handleHeartbeatFailed(e); },
                 [&](const NodeDescribed& e) { handleNodeDescribed(e); },
                 [&](const LeaveRequested&) { handleLeave(); },
                 [&](const StopRequested&) { handleStop(); },
                 [&](const AssignmentsReceived& e) { handleAssignments(e, owned); },
                 [&](const ExecutorDone& e) { handleExecutorDone(e); },
                 [&](const StatusesAcked& e) { handleStatusesAcked(e); },
                 [&](const StatusesFailed& e) { handleStatusesFailed(e); },
             },
             input);
  handleDueDeadlines();
  finishStep();
  KJ_IF_MAYBE (deadline, nextDeadline()) {
    KJ_ASSERT(*deadline > now_, "a deadline was left unhandled");
  }
}

// A completion names a request issued in an earlier step (docs/core-contract.md). The names of
// the checked expressions are the handlers' own, so the failure reads the same wherever the
// check sits.
void Agent::requireIssued(const Input& input) const {
  std::visit(Overloaded{
                 [&](const SessionOpened& e) { requireGenerationIssued(e.generation); },
                 [&](const SessionFailed& e) { requireGenerationIssued(e.generation); },
                 [&](const SessionMessageReceived& e) { requireGenerationIssued(e.generation); },
                 [&](const HeartbeatAcked& e) { requireGenerationIssued(e.generation); },
                 [&](const HeartbeatFailed& e) { requireGenerationIssued(e.generation); },
                 [&](const AssignmentsReceived& e) { requireGenerationIssued(e.generation); },
                 [&](const NodeDescribed& described) {
                   KJ_REQUIRE(described.request <= state_.lastRequest,
                              "NodeDescribed for a request never made", described.request);
                 },
                 [&](const ExecutorDone& done) {
                   KJ_REQUIRE(done.operation >= 1 && done.operation <= state_.worker.lastOperation,
                              "ExecutorDone for an operation never issued", done.operation);
                 },
                 [&](const StatusesAcked& acked) {
                   KJ_REQUIRE(acked.batch >= 1 && acked.batch <= state_.reporter.lastBatch,
                              "StatusesAcked for a batch never sent", acked.batch);
                   requireGenerationIssued(acked.generation);
                 },
                 [&](const StatusesFailed& failed) {
                   KJ_REQUIRE(failed.batch >= 1 && failed.batch <= state_.reporter.lastBatch,
                              "StatusesFailed for a batch never sent", failed.batch);
                   requireGenerationIssued(failed.generation);
                 },
                 [&](const auto&) {},
             },
             input);
}

kj::Vector<Effect> Agent::takeEffects() {
  kj::Vector<Effect> taken = kj::mv(effects_);
  effects_ = kj::Vector<Effect>();
  return taken;
}

kj::Maybe<Instant> Agent::nextDeadline() const {
  if (state_.phase != AgentPhase::RUNNING) return nullptr;
  const SessionState& session = state_.session;
  Instant sessionDeadline;
  switch (session.phase) {
    case SessionPhase::DELAYING:
      sessionDeadline = session.delayUntil;
      break;
    case SessionPhase::OPENING:
      sessionDeadline = session.openDeadline;
      break;
    case SessionPhase::REGISTERED:
      sessionDeadline = session.heartbeatAt;
      if (const auto& batch = state_.reporter.inFlight; batch.has_value()) {
        if (batch->deadline < sessionDeadline) sessionDeadline = batch->deadline;
      }
      break;
  }
  Instant deadline =
      sessionDeadline < state_.nextDescribeAt ? sessionDeadline : state_.nextDescribeAt;
  const auto& retries = state_.worker.retries;
  if (!retries.empty() && retries.begin()->first < deadline) deadline = retries.begin()->first;
  return deadline;
}

void Agent::handleStart(const Start& start) {
  KJ_REQUIRE(start.managers.size() <= limits::MANAGERS_MAX, start.managers.size());
  state_.phase = AgentPhase::RUNNING;
  state_.description = start.description;
  state_.role = start.role;
  // A peer without an address (a list saved before such entries were skipped) is never known.
  for (const Peer& peer : start.managers) {
    if (Remotes::isDialable(peer)) state_.remotes.observe(peer, limits::REMOTE_WEIGHT_DEFAULT);
  }
  state_.nextDescribeAt = now_ + limits::NODE_DESCRIPTION_REFRESH_PERIOD;
  KJ_ASSERT(state_.backoff == Duration());
  startGeneration();
}

// A deadline handler can make another deadline due at once (a failed selection starts a new
// generation whose drawn delay may be zero), so run until nothing is due. The bound is
// generous: each round needs a zero delay drawn from a positive backoff.
void Agent::handleDueDeadlines() {
  for (int round = 0;; ++round) {
    KJ_ASSERT(round < 64, "deadlines keep falling due", round);
    KJ_IF_MAYBE (deadline, nextDeadline()) {
      if (*deadline > now_) return;
    } else {
      return;
    }
    handleSessionDeadlines();
    describeIfDue();
    handleTaskRetries();
  }
}

void Agent::describeIfDue() {
  if (state_.phase != AgentPhase::RUNNING || now_ < state_.nextDescribeAt) return;
  state_.nextDescribeAt = now_ + limits::NODE_DESCRIPTION_REFRESH_PERIOD;
  // SwarmKit skips the refresh while no session is registered, and never asks twice at once.
  if (state_.session.phase != SessionPhase::REGISTERED) return;
  if (state_.describeOutstanding.has_value()) return;
  RequestId request = ++state_.lastRequest;
  state_.describeOutstanding = request;
  emit(DescribeNode{request});
}

void Agent::handleNodeDescribed(const NodeDescribed& described) {
  KJ_ASSERT(described.request <= state_.lastRequest, "checked by requireIssued");
  if (state_.describeOutstanding != described.request) {
    probes_.hit(AgentProbe::STALE_NODE_DESCRIPTION);
    return;
  }
  state_.describeOutstanding.reset();
  if (!described.description.has_value()) return;  // the executor failed; keep the old one
  if (*described.description == state_.description) return;
  state_.description = *described.description;
  // A registered session reopens to carry the new description. This is not a failure: no
  // penalty, and the delay follows the current backoff (0 after a registration).
  if (state_.session.phase == SessionPhase::REGISTERED) {
    closeSession(CloseReason::DESCRIPTION_CHANGED, std::nullopt);
    startGeneration();
  }
}

// Every task is shut down, removed and deleted; SignalLeft follows once none remains (at once
// when there is none).
void Agent::handleLeave() {
  if (state_.left || state_.worker.leaving) return;
  beginLeave();
  finishLeaveIfDone();
}

// Pending statuses go out before the session closes; operations in flight are cancelled, the
// tasks themselves keep running (SwarmKit does not stop them on Stop either).
void Agent::handleStop() {
  flushStatusesOnStop();
  if (state_.session.phase != SessionPhase::DELAYING) closeSession(CloseReason::STOP, std::nullopt);
  cancelAllOperations();
  state_.phase = AgentPhase::STOPPED;
  emit(AgentStopped{""});
}

void Agent::stopWithError(std::string error) {
  KJ_REQUIRE(!error.empty());
  state_.phase = AgentPhase::STOPPED;
  state_.stopError = error;
  emit(AgentStopped{kj::mv(error)});
}

}  // namespace swarmlet::agent
