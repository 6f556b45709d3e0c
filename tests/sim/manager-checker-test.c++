// The manager invariant checker must itself catch violations: feed it hand-made bad histories.
#include "sim/manager-checker.h"

#include <gtest/gtest.h>

#include "core/limits.h"

namespace swarmlet::sim {
namespace {

using namespace manager;

const Duration PERIOD = limits::MANAGER_HEARTBEAT_PERIOD;

Instant at(int64_t ms) {
  return Instant::origin() + Duration::milliseconds(ms);
}

bool mentions(const ManagerChecker& checker, const std::string& words) {
  for (const auto& v : checker.violations()) {
    if (v.find(words) != std::string::npos) return true;
  }
  return false;
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
  EXPECT_TRUE(mentions(checker, "status of t1 moved backwards"));
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
  EXPECT_TRUE(mentions(checker, "task t1 placed on n1"));
  EXPECT_TRUE(mentions(checker, "task t2 placed on n2"));
}

TEST(ManagerChecker, CatchesTwoLiveTasksInOneSlot) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1),
       {puts({node("n1", NodeStatus::READY), service(), task("t1", "n1", TaskState::ASSIGNED),
              task("t2", "n1", TaskState::ASSIGNED)})});
  EXPECT_TRUE(mentions(checker, "a second live task t2 in slot 1"));
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
  EXPECT_TRUE(mentions(removed, "live task t1 of a removed service"));

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
  EXPECT_TRUE(mentions(moved, "a second live task t2"));
}

TEST(ManagerChecker, CatchesChangesLeftUnpersisted) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  ManagerState state = mirror(checker);
  state.cluster.nodes[NodeId{"n1"}] = node("n1", NodeStatus::READY);
  checker.observe(at(1), Tick{}, {}, state);
  EXPECT_TRUE(mentions(checker, "differ from what it persisted"));
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
  EXPECT_TRUE(mentions(checker, "task t9 sent to n1 is not what is stored"));
}

TEST(ManagerChecker, CatchesASessionAnsweredBeforeTheNodeIsReady) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(1), {SessionAnswer{1, NodeId{"n1"}, SessionId{"k1"}, {}, std::nullopt}});
  EXPECT_TRUE(mentions(checker, "before the store holds it READY"));
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
  EXPECT_TRUE(mentions(checker, "INCREMENTAL applies to 2, the stream is at 1"));
  EXPECT_TRUE(mentions(checker, "INCREMENTAL with 101 changes"));
}

TEST(ManagerChecker, CatchesANodeMarkedDownTooEarly) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  feed(checker, at(0),
       {puts({node("n1", NodeStatus::READY)}),
        SessionAnswer{1, NodeId{"n1"}, SessionId{"k1"}, {}, std::nullopt}});
  feed(checker, at(10'000), {puts({node("n1", NodeStatus::DOWN)})});
  EXPECT_TRUE(mentions(checker, "node n1 marked down 10s after its last heartbeat"));
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
  EXPECT_TRUE(mentions(checker, "registered 4 times"));
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
  EXPECT_TRUE(mentions(checker, "acknowledged before it was stored"));
}

TEST(ManagerChecker, CatchesARestartFromADifferentStore) {
  ManagerChecker checker(PERIOD);
  checker.observe(at(0), Start{}, {}, mirror(checker));
  Start start;
  start.store.nodes.push_back(node("n1", NodeStatus::READY));
  checker.observe(at(1), start, {}, mirror(checker));
  EXPECT_TRUE(mentions(checker, "differs from what was persisted"));
}

}  // namespace
}  // namespace swarmlet::sim
