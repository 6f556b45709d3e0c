// The worker invariant checker must itself catch violations: feed it hand-made bad histories
// (and one good one, so that it is not simply always failing).
#include "sim/worker-checker.h"

#include <gtest/gtest.h>

#include "tests/sim/reports.h"

namespace swarmlet::sim {
namespace {

using namespace agent;

Instant at(int64_t ms) {
  return Instant::origin() + Duration::milliseconds(ms);
}

Task task(const std::string& id) {
  Task t;
  t.id = TaskId{id};
  t.desiredState = TaskState::RUNNING;
  t.status.state = TaskState::ASSIGNED;
  return t;
}

TaskStatus status(TaskState state, int64_t ms, const std::string& message) {
  TaskStatus s;
  s.state = state;
  s.timestamp = at(ms);
  s.message = message;
  return s;
}

// A registered agent whose memory holds `tasks` (assigned, with the given statuses).
AgentState agentWith(const std::vector<Task>& tasks) {
  AgentState state;
  state.phase = AgentPhase::RUNNING;
  state.session.generation = 1;
  state.session.phase = SessionPhase::REGISTERED;
  state.session.sessionId = SessionId{"s1"};
  state.previousSessionId = SessionId{"s1"};
  for (const Task& t : tasks)
    state.worker.tasks[t.id] = TaskEntry{t, true, {}, {}, {}, false, false, 0, {}};
  return state;
}

Persist created(const Task& t) {
  return Persist{{PutTask{withoutStatus(t)}, SetAssigned{t.id, true}, PutStatus{t.id, t.status}}};
}

TEST(WorkerChecker, AcceptsAPersistThenItsSend) {
  WorkerChecker checker;
  Task t1 = task("t1");
  checker.observe(at(0), AssignmentsReceived{}, {created(t1)}, agentWith({t1}));
  Task running = t1;
  running.status = status(TaskState::RUNNING, 5, "started");
  AgentState state = agentWith({running});
  state.reporter.inFlight = StatusBatch{1, 1, {{t1.id, running.status}}, {}};
  checker.observe(at(5), Tick{},
                  {Persist{{PutStatus{t1.id, running.status}}},
                   SendStatuses{1, 1, SessionId{"s1"}, {{t1.id, running.status}}}},
                  state);
  EXPECT_TRUE(checker.violations().empty()) << checker.violations().front();
}

TEST(WorkerChecker, CatchesASendBeforeItsPersist) {
  WorkerChecker checker;
  Task t1 = task("t1");
  checker.observe(at(0), AssignmentsReceived{}, {created(t1)}, agentWith({t1}));
  Task running = t1;
  running.status = status(TaskState::RUNNING, 5, "started");
  checker.observe(at(5), Tick{},
                  {SendStatuses{1, 1, SessionId{"s1"}, {{t1.id, running.status}}},
                   Persist{{PutStatus{t1.id, running.status}}}},
                  agentWith({running}));
  EXPECT_TRUE(reports(checker, Rule::WORK_PERSIST_BEFORE_SEND, "sent before it was persisted"));
}

TEST(WorkerChecker, CatchesAStatusMovingBackwards) {
  WorkerChecker checker;
  Task t1 = task("t1");
  t1.status = status(TaskState::RUNNING, 0, "started");
  checker.observe(at(0), AssignmentsReceived{}, {created(t1)}, agentWith({t1}));
  Task back = t1;
  back.status = status(TaskState::PREPARING, 1, "preparing");
  checker.observe(at(1), Tick{}, {Persist{{PutStatus{t1.id, back.status}}}}, agentWith({back}));
  EXPECT_TRUE(reports(checker, Rule::WORK_STATUS_MONOTONIC, "moved backwards"));
}

TEST(WorkerChecker, CatchesAStatusRewrittenOrChangedWithAnOldTimestamp) {
  WorkerChecker checker;
  Task t1 = task("t1");
  checker.observe(at(0), AssignmentsReceived{}, {created(t1)}, agentWith({t1}));
  checker.observe(at(1), Tick{}, {Persist{{PutStatus{t1.id, t1.status}}}}, agentWith({t1}));
  EXPECT_TRUE(reports(checker, Rule::WORK_TIMESTAMP_IFF_CHANGED, "unchanged status"));
  Task accepted = t1;
  accepted.status = status(TaskState::ACCEPTED, 0, "accepted");  // changed, stamped earlier
  checker.observe(at(2), Tick{}, {Persist{{PutStatus{t1.id, accepted.status}}}},
                  agentWith({accepted}));
  EXPECT_TRUE(reports(checker, Rule::WORK_TIMESTAMP_IFF_CHANGED, "without a fresh timestamp"));
}

TEST(WorkerChecker, CatchesTwoOperationsInFlightForATask) {
  WorkerChecker checker;
  Task t1 = task("t1");
  AgentState state = agentWith({t1});
  state.worker.tasks[t1.id].operation = 2;
  checker.observe(at(0), AssignmentsReceived{},
                  {created(t1), ExecutorOperation{t1.id, 1, ExecutorCall::RESOLVE, t1},
                   ExecutorOperation{t1.id, 2, ExecutorCall::PREPARE, std::nullopt}},
                  state);
  EXPECT_TRUE(reports(checker, Rule::WORK_ONE_OPERATION, "a second operation in flight for t1"));
}

TEST(WorkerChecker, CatchesADeleteBeforeTheExecutorRemovedTheTask) {
  WorkerChecker checker;
  Task t1 = task("t1");
  AgentState state = agentWith({t1});
  state.worker.tasks[t1.id].operation = 1;
  checker.observe(at(0), AssignmentsReceived{},
                  {created(t1), ExecutorOperation{t1.id, 1, ExecutorCall::RESOLVE, t1}}, state);
  checker.observe(at(1), ExecutorDone{t1.id, 1, {}}, {}, agentWith({t1}));
  // SwarmKit's order (#2277): the record goes first, the REMOVE after.
  checker.observe(at(2), Tick{},
                  {Persist{{DeleteTask{t1.id}}},
                   ExecutorOperation{t1.id, 2, ExecutorCall::REMOVE, std::nullopt}},
                  agentWith({}));
  EXPECT_TRUE(
      reports(checker, Rule::WORK_DELETE_AFTER_REMOVE, "deleted before the executor removed it"));
  EXPECT_TRUE(reports(checker, Rule::WORK_OPERATION_ON_STORED_TASK, "a task not in the store"));
}

TEST(WorkerChecker, AcceptsADeleteAfterTheExecutorRemovedTheTask) {
  WorkerChecker checker;
  Task t1 = task("t1");
  AgentState state = agentWith({t1});
  state.worker.tasks[t1.id].operation = 1;
  checker.observe(at(0), AssignmentsReceived{},
                  {created(t1), ExecutorOperation{t1.id, 1, ExecutorCall::RESOLVE, t1}}, state);
  state.worker.tasks[t1.id].operation = 2;
  checker.observe(at(1), ExecutorDone{t1.id, 1, {}},
                  {ExecutorOperation{t1.id, 2, ExecutorCall::REMOVE, std::nullopt}}, state);
  checker.observe(at(2), ExecutorDone{t1.id, 2, {}}, {Persist{{DeleteTask{t1.id}}}}, agentWith({}));
  EXPECT_TRUE(checker.violations().empty()) << checker.violations().front();
}

TEST(WorkerChecker, CatchesMemoryThatDiffersFromTheStore) {
  WorkerChecker checker;
  Task t1 = task("t1");
  Task t2 = task("t2");
  checker.observe(at(0), AssignmentsReceived{}, {created(t1)}, agentWith({t1, t2}));
  EXPECT_TRUE(
      reports(checker, Rule::WORK_MEMORY_EQUALS_STORE, "memory holds 2 tasks, the store 1"));
  AgentState unassigned = agentWith({t1});
  unassigned.worker.tasks[t1.id].assigned = false;  // never persisted
  checker.observe(at(1), Tick{}, {}, unassigned);
  EXPECT_TRUE(
      reports(checker, Rule::WORK_MEMORY_EQUALS_STORE, "t1 differs between memory and store"));
}

// With full comparisons on a schedule, a step is checked on the tasks it named: a difference in
// one of them is caught at once, one in a task no effect named waits for the next whole check.
TEST(WorkerChecker, OnAScheduleChecksTheTouchedTasksAtOnceAndTheRestLater) {
  WorkerChecker checker(64);
  Task t1 = task("t1");
  Task t2 = task("t2");
  checker.observe(at(0), AssignmentsReceived{}, {created(t1), created(t2)}, agentWith({t1, t2}));
  EXPECT_TRUE(checker.violations().empty()) << checker.violations().front();
  AgentState quiet = agentWith({t1, t2});
  quiet.worker.tasks[t2.id].assigned = false;  // never persisted, and nothing names t2
  checker.observe(at(2), Tick{}, {}, quiet);
  EXPECT_TRUE(checker.violations().empty()) << checker.violations().front();
  checker.checkAll(quiet);
  EXPECT_TRUE(
      reports(checker, Rule::WORK_MEMORY_EQUALS_STORE, "t2 differs between memory and store"));

  WorkerChecker touched(64);
  touched.observe(at(0), AssignmentsReceived{}, {created(t1), created(t2)}, agentWith({t1, t2}));
  AgentState moved = agentWith({t1, t2});
  TaskStatus running = status(TaskState::RUNNING, 3, "started");
  moved.worker.tasks[t1.id].task.status = running;
  moved.worker.tasks[t1.id].assigned = false;  // the status was persisted, this was not
  touched.observe(at(3), Tick{}, {Persist{{PutStatus{t1.id, running}}}}, moved);
  EXPECT_TRUE(
      reports(touched, Rule::WORK_MEMORY_EQUALS_STORE, "t1 differs between memory and store"));
}

// Counts are compared on every step, whatever it touched.
TEST(WorkerChecker, OnAScheduleComparesTheCountsEveryStep) {
  WorkerChecker checker(64);
  Task t1 = task("t1");
  checker.observe(at(0), AssignmentsReceived{}, {created(t1)}, agentWith({t1}));
  checker.observe(at(1), Tick{}, {}, agentWith({t1}));
  checker.observe(at(2), Tick{}, {}, agentWith({t1, task("t2")}));
  EXPECT_TRUE(
      reports(checker, Rule::WORK_MEMORY_EQUALS_STORE, "memory holds 2 tasks, the store 1"));
}

AssignmentsReceived streamMessage(AssignmentType type, const std::string& appliesTo,
                                  const std::string& resultsIn) {
  AssignmentsReceived received;
  received.generation = 1;
  received.message.type = type;
  received.message.appliesTo = appliesTo;
  received.message.resultsIn = resultsIn;
  return received;
}

TEST(WorkerChecker, AcceptsAChainAndAResyncAfterAGap) {
  WorkerChecker checker;
  AgentState state = agentWith({});
  state.worker.resultsIn = "r1";
  checker.observe(at(0), streamMessage(AssignmentType::COMPLETE, "", "r1"), {}, state);
  state.worker.resultsIn = "r2";
  checker.observe(at(1), streamMessage(AssignmentType::INCREMENTAL, "r1", "r2"), {}, state);
  // A duplicate of the first INCREMENTAL arrives late: a gap, so nothing applies.
  state.worker.resultsIn.reset();
  checker.observe(at(2), streamMessage(AssignmentType::INCREMENTAL, "r1", "r2"), {}, state);
  state.worker.resultsIn = "r3";
  checker.observe(at(3), streamMessage(AssignmentType::COMPLETE, "", "r3"), {}, state);
  EXPECT_TRUE(checker.violations().empty()) << checker.violations().front();
}

TEST(WorkerChecker, CatchesAnIncrementalAppliedAcrossAGap) {
  WorkerChecker checker;
  AgentState state = agentWith({});
  state.worker.resultsIn = "r1";
  checker.observe(at(0), streamMessage(AssignmentType::COMPLETE, "", "r1"), {}, state);
  state.worker.resultsIn = "r3";
  checker.observe(at(1), streamMessage(AssignmentType::INCREMENTAL, "r2", "r3"), {}, state);
  EXPECT_TRUE(
      reports(checker, Rule::WORK_STREAM_CHAINS,
              "an INCREMENTAL applied across a gap: it applies to r2, the stream is at r1"));
}

TEST(WorkerChecker, CatchesASecondBatchInFlight) {
  WorkerChecker checker;
  Task t1 = task("t1");
  AgentState state = agentWith({t1});
  state.reporter.inFlight = StatusBatch{2, 1, {{t1.id, t1.status}}, {}};
  checker.observe(at(0), AssignmentsReceived{},
                  {created(t1), SendStatuses{1, 1, SessionId{"s1"}, {{t1.id, t1.status}}},
                   SendStatuses{1, 2, SessionId{"s1"}, {{t1.id, t1.status}}}},
                  state);
  EXPECT_TRUE(reports(checker, Rule::WORK_ONE_BATCH, "batch 2 sent while batch 1 is in flight"));
}

TEST(WorkerChecker, CatchesASendOnAnotherSession) {
  WorkerChecker checker;
  Task t1 = task("t1");
  AgentState state = agentWith({t1});
  state.reporter.inFlight = StatusBatch{1, 1, {{t1.id, t1.status}}, {}};
  checker.observe(at(0), AssignmentsReceived{},
                  {created(t1), SendStatuses{1, 1, SessionId{"old"}, {{t1.id, t1.status}}}}, state);
  EXPECT_TRUE(reports(checker, Rule::WORK_SEND_IN_SESSION, "not the registered one"));
}

TEST(WorkerChecker, CatchesAStatusSentForATaskNoLongerAssigned) {
  WorkerChecker checker;
  Task t1 = task("t1");
  checker.observe(at(0), AssignmentsReceived{}, {created(t1)}, agentWith({t1}));
  Task shutdown = t1;
  shutdown.status = status(TaskState::SHUTDOWN, 5, "shutdown");
  AgentState state = agentWith({shutdown});
  state.worker.tasks.at(t1.id).assigned = false;
  state.reporter.inFlight = StatusBatch{1, 1, {{t1.id, shutdown.status}}, {}};
  checker.observe(at(5), Tick{},
                  {Persist{{SetAssigned{t1.id, false}, PutStatus{t1.id, shutdown.status}}},
                   SendStatuses{1, 1, SessionId{"s1"}, {{t1.id, shutdown.status}}}},
                  state);
  EXPECT_TRUE(reports(checker, Rule::WORK_SEND_ONLY_ASSIGNED,
                      "status of t1 sent after it left the assignment set"));
  EXPECT_EQ(checker.violations().size(), 1u) << checker.violations().front();
}

TEST(WorkerChecker, CatchesACancelOfNoOperationAndAnEmptyPersist) {
  WorkerChecker checker;
  Task t1 = task("t1");
  checker.observe(at(0), AssignmentsReceived{}, {created(t1), CancelOperation{t1.id, 7}, Persist{}},
                  agentWith({t1}));
  EXPECT_TRUE(
      reports(checker, Rule::WORK_CANCEL_NAMES_OPERATION, "op=7 t1 names no operation in flight"));
  EXPECT_TRUE(reports(checker, Rule::WORK_PERSIST_NOT_EMPTY, "an empty persist"));
}

TEST(WorkerChecker, CatchesAStoreOperationOnARecordNeverPut) {
  WorkerChecker checker;
  checker.observe(at(0), Tick{}, {Persist{{SetAssigned{TaskId{"ghost"}, false}}}}, agentWith({}));
  EXPECT_TRUE(reports(checker, Rule::WORK_STORE_OP_ON_RECORD, "store op on a missing record"));
}

TEST(WorkerChecker, CatchesABatchBeyondItsBounds) {
  WorkerChecker checker;
  Task t1 = task("t1");
  AgentState state = agentWith({t1});
  state.reporter.inFlight = StatusBatch{1, 1, {}, {}};
  checker.observe(at(0), AssignmentsReceived{},
                  {created(t1), SendStatuses{1, 1, SessionId{"s1"}, {}}}, state);
  EXPECT_TRUE(reports(checker, Rule::WORK_BATCH_BOUNDED, "send-statuses with 0 updates"));
}

TEST(WorkerChecker, CatchesStatesSentOutOfOrderInOneSession) {
  WorkerChecker checker;
  Task t1 = task("t1");
  Task running = t1;
  running.status = status(TaskState::RUNNING, 1, "started");
  AgentState state = agentWith({running});
  checker.observe(at(0), AssignmentsReceived{}, {created(t1)}, agentWith({t1}));
  checker.observe(at(1), Tick{}, {Persist{{PutStatus{t1.id, running.status}}}}, state);
  // Both states were persisted; the session then sends the newer before the older.
  state.reporter.inFlight = StatusBatch{1, 1, {{t1.id, running.status}}, {}};
  checker.observe(at(2), Tick{}, {SendStatuses{1, 1, SessionId{"s1"}, {{t1.id, running.status}}}},
                  state);
  checker.observe(at(3), StatusesAcked{1, 1}, {}, agentWith({running}));
  state.reporter.inFlight = StatusBatch{2, 1, {{t1.id, t1.status}}, {}};
  checker.observe(at(4), Tick{}, {SendStatuses{1, 2, SessionId{"s1"}, {{t1.id, t1.status}}}},
                  state);
  EXPECT_TRUE(
      reports(checker, Rule::WORK_SEND_ORDER, "statuses of t1 sent out of order in one session"));
}

TEST(WorkerChecker, CatchesADesiredStateThatDecreases) {
  WorkerChecker checker;
  Task t1 = task("t1");
  t1.desiredState = TaskState::SHUTDOWN;
  checker.observe(at(0), AssignmentsReceived{}, {created(t1)}, agentWith({t1}));
  Task revived = t1;
  revived.desiredState = TaskState::RUNNING;
  checker.observe(at(1), Tick{}, {Persist{{PutTask{withoutStatus(revived)}}}},
                  agentWith({revived}));
  EXPECT_TRUE(reports(checker, Rule::WORK_DESIRED_MONOTONIC, "desired state of t1 decreased"));
}

TEST(WorkerChecker, CatchesAPendingStatusOfATaskTheAgentDoesNotHold) {
  WorkerChecker checker;
  AgentState state = agentWith({});
  state.reporter.pending[TaskId{"t9"}] = status(TaskState::RUNNING, 0, "started");
  checker.observe(at(0), Tick{}, {}, state);
  EXPECT_TRUE(reports(checker, Rule::WORK_PENDING_KNOWN, "a pending status for unknown task t9"));
}

TEST(WorkerChecker, CatchesARetryMadeTooSoon) {
  WorkerChecker checker;
  Task t1 = task("t1");
  AgentState state = agentWith({t1});
  state.worker.tasks[t1.id].operation = 1;
  checker.observe(at(0), AssignmentsReceived{},
                  {created(t1), ExecutorOperation{t1.id, 1, ExecutorCall::START, std::nullopt}},
                  state);
  state.worker.tasks[t1.id].operation.reset();
  ExecutorResult temporary;
  temporary.errorClass = ErrorClass::TEMPORARY;
  checker.observe(at(10), ExecutorDone{t1.id, 1, temporary}, {}, state);
  state.worker.tasks[t1.id].operation = 2;
  checker.observe(at(500), Tick{}, {ExecutorOperation{t1.id, 2, ExecutorCall::START, std::nullopt}},
                  state);
  EXPECT_TRUE(
      reports(checker, Rule::WORK_RETRY_AFTER_DELAY, "call start of t1 again 510ms too soon"));
}

TEST(WorkerChecker, AcceptsARetryAfterItsDelay) {
  WorkerChecker checker;
  Task t1 = task("t1");
  AgentState state = agentWith({t1});
  state.worker.tasks[t1.id].operation = 1;
  checker.observe(at(0), AssignmentsReceived{},
                  {created(t1), ExecutorOperation{t1.id, 1, ExecutorCall::START, std::nullopt}},
                  state);
  state.worker.tasks[t1.id].operation.reset();
  ExecutorResult temporary;
  temporary.errorClass = ErrorClass::TEMPORARY;
  checker.observe(at(10), ExecutorDone{t1.id, 1, temporary}, {}, state);
  state.worker.tasks[t1.id].operation = 2;
  checker.observe(at(1010), Tick{},
                  {ExecutorOperation{t1.id, 2, ExecutorCall::START, std::nullopt}}, state);
  EXPECT_TRUE(checker.violations().empty()) << checker.violations().front();
}

TEST(WorkerChecker, AcceptsACallMadeAgainAtOnceForANewAssignment) {
  WorkerChecker checker;
  Task t1 = task("t1");
  AgentState state = agentWith({t1});
  state.worker.tasks[t1.id].operation = 1;
  checker.observe(at(0), AssignmentsReceived{},
                  {created(t1), ExecutorOperation{t1.id, 1, ExecutorCall::SHUTDOWN, std::nullopt}},
                  state);
  state.worker.tasks[t1.id].operation.reset();
  ExecutorResult temporary;
  temporary.errorClass = ErrorClass::TEMPORARY;
  checker.observe(at(10), ExecutorDone{t1.id, 1, temporary}, {}, state);
  state.worker.tasks[t1.id].assigned = false;
  state.worker.tasks[t1.id].operation = 2;
  checker.observe(at(20), AssignmentsReceived{},
                  {Persist{{SetAssigned{t1.id, false}}},
                   ExecutorOperation{t1.id, 2, ExecutorCall::SHUTDOWN, std::nullopt}},
                  state);
  EXPECT_TRUE(checker.violations().empty()) << checker.violations().front();
}

TEST(WorkerChecker, CatchesAssignmentsAppliedWhileLeavingAndALeaveWithTasksHeld) {
  WorkerChecker checker;
  Task t1 = task("t1");
  AgentState leaving = agentWith({t1});
  leaving.worker.leaving = true;
  checker.observe(at(0), AssignmentsReceived{}, {created(t1)}, leaving);
  Task t2 = task("t2");
  AgentState more = agentWith({t1, t2});
  more.worker.leaving = true;
  checker.observe(at(1), AssignmentsReceived{}, {created(t2), SignalLeft{}}, more);
  EXPECT_TRUE(
      reports(checker, Rule::WORK_LEAVE_IGNORES_ASSIGNMENTS, "assignments applied while leaving"));
  EXPECT_TRUE(
      reports(checker, Rule::WORK_LEFT_ONLY_WHEN_EMPTY, "signal-left while 2 tasks are held"));
}

TEST(WorkerChecker, CatchesACompleteSetThatLeavesTheWrongTasksAssigned) {
  WorkerChecker checker;
  Task t1 = task("t1");
  Task t2 = task("t2");
  AssignmentsReceived complete = streamMessage(AssignmentType::COMPLETE, "", "r1");
  complete.message.changes.push_back({AssignmentAction::UPDATE, t1});
  AgentState state = agentWith({t1, t2});
  state.worker.resultsIn = "r1";
  state.worker.tasks.at(t1.id).assigned = false;
  checker.observe(at(0), complete, {created(t1), created(t2)}, state);
  EXPECT_TRUE(reports(checker, Rule::WORK_COMPLETE_SET_ASSIGNED,
                      "after a COMPLETE set r1, t1 is not assigned"));
  EXPECT_TRUE(reports(checker, Rule::WORK_COMPLETE_SET_ASSIGNED,
                      "after a COMPLETE set r1, t2 is still assigned"));
  WorkerChecker right;
  state.worker.tasks.at(t1.id).assigned = true;
  state.worker.tasks.at(t2.id).assigned = false;
  right.observe(at(0), complete, {created(t1), created(t2), Persist{{SetAssigned{t2.id, false}}}},
                state);
  EXPECT_TRUE(right.violations().empty()) << right.violations().front();
}

}  // namespace
}  // namespace swarmlet::sim
