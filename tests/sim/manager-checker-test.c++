// The manager invariant checker must itself catch violations: feed it hand-made bad histories.
#include "sim/manager-checker.h"

#include <gtest/gtest.h>

#include "tests/sim/reports.h"

#include "core/limits.h"

namespace swarmlet::sim {
namespace {

using namespace manager;

const Duration PERIOD = limits::MANAGER_HEARTBEAT_PERIOD;

Instant at(int64_t ms) {
  return Instant::origin() + Duration::milliseconds(ms);
}

NodeRecord node(const std::string& id, NodeStatus status) {
  NodeRecord record;
  record.id = NodeId{id};
  record.status = status;
  return record;
}

Task task(const std::string& id, const std::string& nodeId, TaskState state,
          TaskState desired = TaskState::RUNNING, uint64_t slot = 1) {
  Task t;
  t.id = TaskId{id};
  t.serviceId = ServiceId{"s1"};
  t.slot = slot;
  t.nodeId = NodeId{nodeId};
  t.desiredState = desired;
  t.status.state = state;
  return t;
}

ServiceRecord service() {
  ServiceRecord record;
  record.id = ServiceId{"s1"};
  record.spec.name = "web";
  record.spec.replicas = 2;
  record.spec.task.command = "sleep";
  return record;
}

// A running manager whose records are exactly what the checker saw persisted.
ManagerState mirror(const ManagerChecker& checker) {
  ManagerState state;
  state.phase = ManagerPhase::RUNNING;
  state.cluster = checker.store();
  return state;
}

// Feeds `effects` as the outcome of one step at `now`, with a state mirroring the store.
void feed(ManagerChecker& checker, Instant now, std::vector<Effect> effects,
          const Input& input = Tick{}) {
  ManagerChecker probe = checker;
  probe.observe(now, input, effects, ManagerState{});
  ManagerState state;
  state.phase = ManagerPhase::RUNNING;
  state.cluster = probe.store();
  checker.observe(now, input, effects, state);
}

Persist puts(std::vector<Record> records) {
  Persist persist;
  for (auto& r : records)
    persist.writes.emplace_back(Put{std::move(r)});
  return persist;
}

TEST(ManagerChecker, AcceptsAQuietStart) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  EXPECT_TRUE(checker.violations().empty());
}

TEST(ManagerChecker, AcceptsAPlacementOnAReadyActiveNode) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1),
       {puts({node("n1", NodeStatus::READY), service(), task("t1", "n1", TaskState::ASSIGNED)})});
  EXPECT_TRUE(checker.violations().empty()) << checker.violations()[0];
}

TEST(ManagerChecker, CatchesAStatusMovingBackwards) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1),
       {puts({node("n1", NodeStatus::READY), service(), task("t1", "n1", TaskState::RUNNING)})});
  feed(checker, at(2), {puts({task("t1", "n1", TaskState::STARTING)})});
  EXPECT_TRUE(reports(checker, Rule::MANAGER_STATUS_MONOTONIC, "status of t1 moved backwards"));
}

TEST(ManagerChecker, CatchesATaskPlacedOnADownOrDrainedNode) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  NodeRecord drained = node("n2", NodeStatus::READY);
  drained.availability = NodeAvailability::DRAIN;
  feed(checker, at(1),
       {puts({node("n1", NodeStatus::DOWN), drained, service(),
              task("t1", "n1", TaskState::ASSIGNED, TaskState::RUNNING, 1),
              task("t2", "n2", TaskState::ASSIGNED, TaskState::RUNNING, 2)})});
  EXPECT_TRUE(reports(checker, Rule::MANAGER_PLACE_ON_READY_ACTIVE, "task t1 placed on n1"));
  EXPECT_TRUE(reports(checker, Rule::MANAGER_PLACE_ON_READY_ACTIVE, "task t2 placed on n2"));
}

TEST(ManagerChecker, CatchesTwoLiveTasksInOneSlot) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1),
       {puts({node("n1", NodeStatus::READY), service(), task("t1", "n1", TaskState::ASSIGNED),
              task("t2", "n1", TaskState::ASSIGNED)})});
  EXPECT_TRUE(reports(checker, Rule::MANAGER_ONE_LIVE_PER_UNIT, "a second live task t2 in slot 1"));
}

// With the whole-cluster checks on a schedule, a step is checked on what it wrote, on the
// checker's own index: a removed service leaves its live tasks orphaned, a mode change moves its
// tasks into the same unit.
TEST(ManagerChecker, OnAScheduleCatchesUnitsMovedByAServiceWrite) {
  ManagerChecker removed(PERIOD, 64);
  removed.observe(at(0), Start{}, {}, mirror(removed));
  feed(removed, at(1),
       {puts({node("n1", NodeStatus::READY), service(), task("t1", "n1", TaskState::RUNNING)})});
  EXPECT_TRUE(removed.violations().empty()) << removed.violations()[0];
  Persist remove;
  remove.writes.emplace_back(Delete{RecordKind::SERVICE, "s1"});
  feed(removed, at(2), {remove});
  EXPECT_TRUE(reports(removed, Rule::MANAGER_NO_LIVE_TASK_OF_REMOVED_SERVICE,
                      "live task t1 of a removed service"));

  ManagerChecker moved(PERIOD, 64);
  moved.observe(at(0), Start{}, {}, mirror(moved));
  feed(moved, at(1),
       {puts({node("n1", NodeStatus::READY), service(),
              task("t1", "n1", TaskState::RUNNING, TaskState::RUNNING, 1),
              task("t2", "n1", TaskState::RUNNING, TaskState::RUNNING, 2)})});
  EXPECT_TRUE(moved.violations().empty()) << moved.violations()[0];
  ServiceRecord global = service();
  global.spec.mode = ServiceMode::GLOBAL;
  feed(moved, at(2), {puts({global})});
  EXPECT_TRUE(reports(moved, Rule::MANAGER_ONE_LIVE_PER_UNIT, "a second live task t2"));
}

TEST(ManagerChecker, CatchesChangesLeftUnpersisted) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  ManagerState state = mirror(checker);
  state.cluster.nodes[NodeId{"n1"}] = node("n1", NodeStatus::READY);
  checker.observe(at(1), Tick{}, {}, state);
  EXPECT_TRUE(reports(checker, Rule::MANAGER_MEMORY_EQUALS_STORE, "differ from what it persisted"));
}

TEST(ManagerChecker, CatchesAnAssignmentOfAnUnpersistedTask) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1),
       {puts({node("n1", NodeStatus::READY)}),
        SessionAnswer{1, NodeId{"n1"}, SessionId{"k1"}, {}, std::nullopt}});
  AssignmentsMessage complete{AssignmentType::COMPLETE, "", "1", {}};
  complete.changes.push_back({AssignmentAction::UPDATE, task("t9", "n1", TaskState::ASSIGNED)});
  feed(checker, at(2), {SendAssignments{NodeId{"n1"}, SessionId{"k1"}, complete}});
  EXPECT_TRUE(reports(checker, Rule::MANAGER_SENDS_WHAT_IS_STORED,
                      "task t9 sent to n1 is not what is stored"));
}

TEST(ManagerChecker, CatchesASessionAnsweredBeforeTheNodeIsReady) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1), {SessionAnswer{1, NodeId{"n1"}, SessionId{"k1"}, {}, std::nullopt}});
  EXPECT_TRUE(
      reports(checker, Rule::MANAGER_SESSION_AFTER_READY, "before the store holds it READY"));
}

TEST(ManagerChecker, CatchesAnIncrementalGapAndAnOversizedMessage) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1),
       {puts({node("n1", NodeStatus::READY)}),
        SessionAnswer{1, NodeId{"n1"}, SessionId{"k1"}, {}, std::nullopt},
        SendAssignments{NodeId{"n1"}, SessionId{"k1"}, {AssignmentType::COMPLETE, "", "1", {}}}});
  AssignmentsMessage gap{AssignmentType::INCREMENTAL, "2", "3", {}};
  for (size_t i = 0; i <= limits::INCREMENTAL_CHANGES_MAX; ++i) {
    Task removed;
    removed.id = TaskId{"gone" + std::to_string(i)};
    gap.changes.push_back({AssignmentAction::REMOVE, removed});
  }
  feed(checker, at(2), {SendAssignments{NodeId{"n1"}, SessionId{"k1"}, gap}});
  EXPECT_TRUE(reports(checker, Rule::MANAGER_STREAM_CHAINS,
                      "INCREMENTAL applies to 2, the stream is at 1"));
  EXPECT_TRUE(reports(checker, Rule::MANAGER_INCREMENTAL_BOUNDED, "INCREMENTAL with 101 changes"));
}

TEST(ManagerChecker, CatchesANodeMarkedDownTooEarly) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(0),
       {puts({node("n1", NodeStatus::READY)}),
        SessionAnswer{1, NodeId{"n1"}, SessionId{"k1"}, {}, std::nullopt}});
  feed(checker, at(10'000), {puts({node("n1", NodeStatus::DOWN)})});
  EXPECT_TRUE(reports(checker, Rule::MANAGER_DOWN_AFTER_GRACE,
                      "node n1 marked down 10s after its last heartbeat"));
}

TEST(ManagerChecker, CatchesAFourthRegistrationInAChain) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(0), {puts({node("n1", NodeStatus::READY)})});
  for (int i = 0; i < 4; ++i) {
    feed(checker, at(i * 1000),
         {SessionAnswer{
             RequestId(i), NodeId{"n1"}, SessionId{"k" + std::to_string(i)}, {}, std::nullopt}});
  }
  EXPECT_TRUE(reports(checker, Rule::MANAGER_REGISTRATION_RATE, "registered 4 times"));
}

TEST(ManagerChecker, CatchesAnAcknowledgementBeforeTheStatusIsStored) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1),
       {puts({node("n1", NodeStatus::READY), service(), task("t1", "n1", TaskState::ASSIGNED)})});
  StatusesReceived call{7, NodeId{"n1"}, SessionId{"k1"}, {}};
  call.updates.push_back(
      TaskStatusUpdate{TaskId{"t1"}, TaskStatus{TaskState::RUNNING, {}, "", "", {}}});
  feed(checker, at(2), {StatusesAnswer{7, NodeId{"n1"}, std::nullopt}}, call);
  EXPECT_TRUE(reports(checker, Rule::MANAGER_ACK_AFTER_STORE, "acknowledged before it was stored"));
}

TEST(ManagerChecker, CatchesARestartFromADifferentStore) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  Start start;
  start.store.nodes.push_back(node("n1", NodeStatus::READY));
  checker.observe(at(1), start, {}, mirror(checker));
  EXPECT_TRUE(
      reports(checker, Rule::MANAGER_RESTART_RESTORES_STORE, "differs from what was persisted"));
}

TEST(ManagerChecker, CatchesAHeartbeatPeriodOutOfRange) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1), {HeartbeatAnswer{1, NodeId{"n1"}, PERIOD * 3, std::nullopt}});
  EXPECT_TRUE(reports(checker, Rule::MANAGER_HEARTBEAT_PERIOD, "out of range"));
}

TEST(ManagerChecker, CatchesMessagesOutsideANodesSession) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1),
       {puts({node("n1", NodeStatus::READY)}),
        SessionAnswer{1, NodeId{"n1"}, SessionId{"k1"}, {}, std::nullopt}});
  feed(checker, at(2),
       {SendSessionMessage{NodeId{"n1"}, SessionId{"k0"}, {}},
        SendAssignments{NodeId{"n2"}, SessionId{"k1"}, {AssignmentType::COMPLETE, "", "1", {}}}});
  EXPECT_TRUE(reports(checker, Rule::MANAGER_MESSAGE_IN_SESSION,
                      "session message to n1 outside its session"));
  EXPECT_TRUE(
      reports(checker, Rule::MANAGER_MESSAGE_IN_SESSION, "assignments to n2 outside its session"));
}

TEST(ManagerChecker, CatchesAFinishedTaskStillLive) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1),
       {puts({node("n1", NodeStatus::READY), service(), task("t1", "n1", TaskState::COMPLETE)})});
  EXPECT_TRUE(
      reports(checker, Rule::MANAGER_FINISHED_NOT_LIVE, "task t1 finished but is still live"));
}

TEST(ManagerChecker, CatchesADesiredStateGoingBackAndATaskMovingNode) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1),
       {puts({node("n1", NodeStatus::READY), node("n2", NodeStatus::READY), service(),
              task("t1", "n1", TaskState::RUNNING, TaskState::SHUTDOWN)})});
  feed(checker, at(2), {puts({task("t1", "n2", TaskState::RUNNING, TaskState::RUNNING)})});
  EXPECT_TRUE(
      reports(checker, Rule::MANAGER_DESIRED_MONOTONIC, "desired state of t1 moved backwards"));
  EXPECT_TRUE(reports(checker, Rule::MANAGER_TASK_STAYS_ON_ITS_NODE, "task t1 moved from n1"));
}

TEST(ManagerChecker, CatchesATaskSentToAnotherNode) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1),
       {puts({node("n1", NodeStatus::READY), node("n2", NodeStatus::READY), service(),
              task("t1", "n1", TaskState::ASSIGNED)}),
        SessionAnswer{1, NodeId{"n2"}, SessionId{"k2"}, {}, std::nullopt}});
  AssignmentsMessage complete{AssignmentType::COMPLETE, "", "1", {}};
  complete.changes.push_back({AssignmentAction::UPDATE, task("t1", "n1", TaskState::ASSIGNED)});
  feed(checker, at(2), {SendAssignments{NodeId{"n2"}, SessionId{"k2"}, complete}});
  EXPECT_TRUE(
      reports(checker, Rule::MANAGER_SENDS_TO_OWNER, "task t1 sent to n2 belongs elsewhere"));
}

TEST(ManagerChecker, CatchesAControlAnswerNamingWhatIsNotStored) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1), {ControlAnswer{3, std::nullopt, "s9"}});
  EXPECT_TRUE(reports(checker, Rule::MANAGER_CONTROL_ANSWER_AFTER_STORE,
                      "control answer names s9 before it is stored"));
}

}  // namespace
}  // namespace swarmlet::sim
