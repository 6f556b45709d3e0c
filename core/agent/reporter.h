// The reporter (SwarmKit agent/reporter.go, reworked): the latest unsent status per task, sent
// in batches of up to limits::STATUS_BATCH_MAX while a session is registered, one batch in
// flight at a time, sent again after a failed send, and re-filled from the store after every
// registration. The Agent (reporter.c++) decides when to send; these pure functions keep the
// pending map's rules. Values only; thread-safe as functions.
#pragma once

#include <map>
#include <vector>

#include "core/agent/state.h"
#include "core/task.h"

namespace swarmlet::agent {

// True when `candidate` may replace `current` as a task's pending status: a later state, or
// the same state changed later. An older or equal status never replaces a newer one.
bool isNewerStatus(const TaskStatus& candidate, const TaskStatus& current);

// A status change just made by the task runner: it is the task's latest, so it replaces the
// pending one. REQUIRES: its state is not below the pending one's.
void recordLatest(ReporterState& reporter, const TaskId& taskId, const TaskStatus& status);

// A status offered again (re-reported after a registration, or returned from an undelivered
// batch): it becomes the task's pending status unless a newer or equal one is pending.
void offerStatus(ReporterState& reporter, const TaskId& taskId, const TaskStatus& status);

// Takes up to `max` pending updates in task order, starting after the cursor and wrapping
// around, and moves the cursor to the last one taken. REQUIRES: max >= 1.
std::vector<TaskStatusUpdate> takeBatch(ReporterState& reporter, size_t max);

// A batch was not delivered: each of its tasks that is still known and assigned gets its current
// status (which is the latest, and never older than what was sent) offered again.
void returnBatch(ReporterState& reporter, const std::vector<TaskStatusUpdate>& updates,
                 const std::map<TaskId, TaskEntry>& tasks);

}  // namespace swarmlet::agent
