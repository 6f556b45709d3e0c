// The reporter's pending-status rules (reporter.h) and the Agent's sending of status batches:
// after every step, while a session is registered, one batch at a time.
#include "core/agent/reporter.h"

#include <kj/debug.h>

#include "core/agent/agent.h"
#include "core/limits.h"

namespace swarmlet::agent {

bool isNewerStatus(const TaskStatus& candidate, const TaskStatus& current) {
  if (candidate.state != current.state) return candidate.state > current.state;
  return candidate.timestamp > current.timestamp;
}

void recordLatest(ReporterState& reporter, const TaskId& taskId, const TaskStatus& status) {
  auto [it, inserted] = reporter.pending.try_emplace(taskId, status);
  if (!inserted) {
    KJ_REQUIRE(status.state >= it->second.state, "a status older than the pending one",
               taskId.value);
    it->second = status;
  }
  KJ_ASSERT(reporter.pending.size() <= limits::STATUSES_PENDING_MAX, reporter.pending.size());
}

void offerStatus(ReporterState& reporter, const TaskId& taskId, const TaskStatus& status) {
  auto [it, inserted] = reporter.pending.try_emplace(taskId, status);
  if (!inserted && isNewerStatus(status, it->second)) it->second = status;
  KJ_ASSERT(reporter.pending.size() <= limits::STATUSES_PENDING_MAX, reporter.pending.size());
}

std::vector<TaskStatusUpdate> takeBatch(ReporterState& reporter, size_t max) {
  KJ_REQUIRE(max >= 1);
  std::vector<TaskStatusUpdate> batch;
  auto& pending = reporter.pending;
  auto it = pending.upper_bound(reporter.cursor);
  while (batch.size() < max && !pending.empty()) {
    if (it == pending.end()) it = pending.begin();
    batch.push_back(TaskStatusUpdate{it->first, it->second});
    it = pending.erase(it);
  }
  if (!batch.empty()) reporter.cursor = batch.back().taskId;
  KJ_ASSERT(batch.size() <= max);
  return batch;
}

void returnBatch(ReporterState& reporter, const std::vector<TaskStatusUpdate>& updates,
                 const std::map<TaskId, TaskEntry>& tasks) {
  for (const TaskStatusUpdate& update : updates) {
    auto it = tasks.find(update.taskId);
    // Deleted or no longer assigned since: nobody waits for it.
    if (it == tasks.end() || !it->second.assigned) continue;
    // Not update.status: the task may have moved on, or its id may name a new record.
    offerStatus(reporter, update.taskId, it->second.task.status);
  }
}

// --- The Agent's sending ---------------------------------------------------------------------

void Agent::reportStatus(const TaskId& id, const TaskStatus& status) {
  recordLatest(state_.reporter, id, status);
}

// Every stored status goes out again after a registration: the previous manager may have lost
// what it acknowledged (SwarmKit's Report on registration, PR #2533). The store's statuses are
// the tasks' statuses in memory. A task no longer assigned is not reported (decision 17).
void Agent::reportStoredStatuses() {
  for (const auto& [id, entry] : state_.worker.tasks) {
    if (entry.assigned) offerStatus(state_.reporter, id, entry.task.status);
  }
}

// Sends the next batch when the session is registered and none is in flight. Called at the end
// of every step, after the step's Persist, so every status sent is already durable.
void Agent::flushStatuses() {
  ReporterState& reporter = state_.reporter;
  const SessionState& session = state_.session;
  if (state_.phase != AgentPhase::RUNNING || session.phase != SessionPhase::REGISTERED) return;
  if (reporter.inFlight.has_value() || reporter.pending.empty()) return;
  StatusBatch batch{++reporter.lastBatch, session.generation,
                    takeBatch(reporter, limits::STATUS_BATCH_MAX),
                    now_ + limits::STATUS_SEND_TIMEOUT};
  KJ_ASSERT(!batch.updates.empty());
  emit(SendStatuses{batch.generation, batch.batch, session.sessionId, batch.updates});
  reporter.inFlight = kj::mv(batch);
}

// A clean stop sends everything pending on the registered session, without waiting for
// answers: the shell delivers sends emitted before CloseSession{STOP}, best effort. What does
// not arrive is still in the store and re-reported after the next start.
void Agent::flushStatusesOnStop() {
  ReporterState& reporter = state_.reporter;
  const SessionState& session = state_.session;
  if (session.phase != SessionPhase::REGISTERED) return;
  while (!reporter.pending.empty()) {
    BatchId batch = ++reporter.lastBatch;
    emit(SendStatuses{session.generation, batch, session.sessionId,
                      takeBatch(reporter, limits::STATUS_BATCH_MAX)});
  }
}

void Agent::handleStatusesAcked(const StatusesAcked& acked) {
  KJ_ASSERT(acked.batch >= 1 && acked.batch <= state_.reporter.lastBatch,
            "checked by requireIssued");
  if (isStale(acked.generation)) return;
  auto& inFlight = state_.reporter.inFlight;
  KJ_REQUIRE(inFlight.has_value() && inFlight->batch == acked.batch,
             "StatusesAcked for a batch not in flight", acked.batch);
  inFlight.reset();
}

void Agent::handleStatusesFailed(const StatusesFailed& failed) {
  KJ_ASSERT(failed.batch >= 1 && failed.batch <= state_.reporter.lastBatch,
            "checked by requireIssued");
  if (isStale(failed.generation)) return;
  auto& inFlight = state_.reporter.inFlight;
  KJ_REQUIRE(inFlight.has_value() && inFlight->batch == failed.batch,
             "StatusesFailed for a batch not in flight", failed.batch);
  // The manager does not know a task of the batch: it has nothing to update, so the statuses
  // count as delivered (SwarmKit maps NotFound to success).
  if (failed.error.code == ErrorCode::NOT_FOUND) {
    probes_.hit(AgentProbe::STATUSES_UNKNOWN_TO_MANAGER);
    inFlight.reset();
    return;
  }
  // Any other failure poisons the session (spec 2.4); the batch returns to pending on close.
  failSession(failed.error);
}

// The session is closing: a batch in flight will never be answered on it.
void Agent::reporterSessionClosed() {
  auto& inFlight = state_.reporter.inFlight;
  if (!inFlight.has_value()) return;
  returnBatch(state_.reporter, inFlight->updates, state_.worker.tasks);
  inFlight.reset();
}

}  // namespace swarmlet::agent
