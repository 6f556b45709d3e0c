// The world's own rules must themselves catch violations: hand them clusters that did not
// converge, agents that stopped badly, tasks prepared too early (and a converged cluster, so
// that they are not simply always broken).
#include "sim/world-rules.h"

#include <gtest/gtest.h>

#include "tests/sim/reports.h"

namespace swarmlet::sim {
namespace {

using agent::AgentState;
using manager::ManagerState;

const NodeId N1{"n1"};
const NodeId N2{"n2"};

Task task(const std::string& id, const NodeId& node, TaskState state,
          TaskState desired = TaskState::RUNNING, const std::string& service = "s1") {
  Task t;
  t.id = TaskId{id};
  t.serviceId = ServiceId{service};
  t.slot = 1;
  t.nodeId = node;
  t.desiredState = desired;
  t.status.state = state;
  return t;
}

// A registered agent holding `tasks` as assigned.
AgentState agentWith(const std::vector<Task>& tasks) {
  AgentState state;
  state.phase = agent::AgentPhase::RUNNING;
  state.session.phase = agent::SessionPhase::REGISTERED;
  for (const Task& t : tasks)
    state.worker.tasks[t.id] = agent::TaskEntry{t, true, {}, {}, {}, false, false, 0, {}};
  return state;
}

// A leader with two READY, ACTIVE nodes, the replicated service s1 (one replica) and `tasks`.
ManagerState leaderWith(const std::vector<Task>& tasks, int64_t replicas = 1) {
  ManagerState state;
  state.phase = manager::ManagerPhase::RUNNING;
  for (const NodeId& id : {N1, N2}) {
    manager::NodeRecord node;
    node.id = id;
    node.status = manager::NodeStatus::READY;
    state.cluster.nodes[id] = node;
  }
  manager::ServiceRecord service;
  service.id = ServiceId{"s1"};
  service.spec.name = "web";
  service.spec.replicas = replicas;
  state.cluster.services[service.id] = service;
  for (const Task& t : tasks)
    state.cluster.tasks[t.id] = t;
  return state;
}

void addGlobal(ManagerState& state) {
  manager::ServiceRecord global;
  global.id = ServiceId{"g1"};
  global.spec.name = "agent";
  global.spec.mode = manager::ServiceMode::GLOBAL;
  state.cluster.services[global.id] = global;
}

TEST(WorldRules, AConvergedClusterBreaksNothing) {
  Task t1 = task("t1", N1, TaskState::RUNNING);
  AgentState a1 = agentWith({t1});
  AgentState a2 = agentWith({});
  ManagerState leader = leaderWith({t1});
  EXPECT_EQ(firstBrokenLiveness(&leader, {{&N1, &a1}, {&N2, &a2}}), std::nullopt);
}

TEST(WorldRules, CatchesNoLeader) {
  AgentState a1 = agentWith({});
  EXPECT_TRUE(breaks(firstBrokenLiveness(nullptr, {{&N1, &a1}}), Rule::LIVENESS_A_LEADER,
                     "no leader after the heal phase"));
}

TEST(WorldRules, CatchesAnAgentNotRegistered) {
  AgentState a1 = agentWith({});
  a1.session.phase = agent::SessionPhase::DELAYING;
  ManagerState leader = leaderWith({}, 0);
  EXPECT_TRUE(breaks(firstBrokenLiveness(&leader, {{&N1, &a1}}), Rule::LIVENESS_AGENTS_REGISTERED,
                     "n1 is not registered after the heal phase"));
}

TEST(WorldRules, CatchesViewsThatDisagree) {
  Task t1 = task("t1", N1, TaskState::RUNNING);
  AgentState a1 = agentWith({t1, task("t7", N1, TaskState::RUNNING)});
  ManagerState leader = leaderWith({t1});
  EXPECT_TRUE(breaks(firstBrokenLiveness(&leader, {{&N1, &a1}}), Rule::LIVENESS_VIEWS_AGREE,
                     "n1 runs t7 which the manager does not know"));
  AgentState behind = agentWith({task("t1", N1, TaskState::STARTING)});
  EXPECT_TRUE(breaks(firstBrokenLiveness(&leader, {{&N1, &behind}}), Rule::LIVENESS_VIEWS_AGREE,
                     "t1 on n1 is starting at the agent but running at the manager"));
}

TEST(WorldRules, CatchesATaskRunningOnAfterTheManagerStoppedIt) {
  AgentState a1 = agentWith({task("t1", N1, TaskState::RUNNING)});
  ManagerState leader = leaderWith({task("t1", N1, TaskState::RUNNING, TaskState::SHUTDOWN)}, 0);
  EXPECT_TRUE(breaks(firstBrokenLiveness(&leader, {{&N1, &a1}}),
                     Rule::LIVENESS_DESIRED_STATE_REACHED,
                     "t1 on n1 is wanted shutdown by the manager but running at the agent"));
}

TEST(WorldRules, CatchesAGlobalServiceMissingOnANodeOrTwiceOnOne) {
  Task t1 = task("t1", N1, TaskState::RUNNING);
  Task g1 = task("g1-n1", N1, TaskState::RUNNING, TaskState::RUNNING, "g1");
  AgentState a1 = agentWith({t1, g1});
  AgentState a2 = agentWith({});
  ManagerState leader = leaderWith({t1, g1});
  addGlobal(leader);
  EXPECT_TRUE(breaks(firstBrokenLiveness(&leader, {{&N1, &a1}, {&N2, &a2}}),
                     Rule::LIVENESS_GLOBAL_ON_EVERY_NODE, "service agent runs 0 tasks on n2"));
  // A drained node needs none.
  leader.cluster.nodes[N2].availability = NodeAvailability::DRAIN;
  EXPECT_EQ(firstBrokenLiveness(&leader, {{&N1, &a1}, {&N2, &a2}}), std::nullopt);
}

TEST(WorldRules, CatchesAServiceShortOfItsReplicasOnLiveNodes) {
  Task t1 = task("t1", N1, TaskState::RUNNING);
  AgentState a1 = agentWith({t1});
  ManagerState leader = leaderWith({t1}, 2);
  EXPECT_TRUE(breaks(firstBrokenLiveness(&leader, {{&N1, &a1}}), Rule::LIVENESS_SERVICES_AT_COUNT,
                     "service web runs 1 of 2 replicas on live nodes"));
  // A replica on a node that is gone does not count.
  ManagerState gone = leaderWith({task("t1", N2, TaskState::RUNNING)});
  AgentState empty = agentWith({});
  EXPECT_TRUE(breaks(firstBrokenLiveness(&gone, {{&N1, &empty}}), Rule::LIVENESS_SERVICES_AT_COUNT,
                     "t1@n2(gone):running"));
}

TEST(WorldRules, CatchesATaskPreparedBeforeItsSecretOrConfig) {
  Task t1 = task("t1", N1, TaskState::ACCEPTED);
  t1.spec.secrets.push_back(SecretId{"sec1"});
  t1.spec.configs.push_back(ConfigId{"cfg1"});
  EXPECT_TRUE(breaks(preparedTooEarly(N1, t1, {}, {ConfigId{"cfg1"}}),
                     Rule::WORLD_INSTALLED_BEFORE_PREPARE, "t1 prepared without secret sec1"));
  EXPECT_TRUE(breaks(preparedTooEarly(N1, t1, {SecretId{"sec1"}}, {}),
                     Rule::WORLD_INSTALLED_BEFORE_PREPARE, "t1 prepared without config cfg1"));
  EXPECT_EQ(preparedTooEarly(N1, t1, {SecretId{"sec1"}}, {ConfigId{"cfg1"}}), std::nullopt);
}

TEST(WorldRules, CatchesAnAgentStoppedWithAnError) {
  EXPECT_TRUE(breaks(stoppedWithError(N1, "credentials refused"), Rule::WORLD_AGENT_STOPS_CLEANLY,
                     "n1: credentials refused"));
  EXPECT_EQ(stoppedWithError(N1, ""), std::nullopt);
}

manager::ClusterState clusterWithAService() {
  manager::ClusterState cluster;
  manager::ServiceRecord service;
  service.id = ServiceId{"s1"};
  service.spec.name = "web";
  service.spec.replicas = 2;
  cluster.services[service.id] = service;
  cluster.secrets[SecretId{"x1"}] = Secret{SecretId{"x1"}, "password", "data"};
  manager::NodeRecord node;
  node.id = N1;
  cluster.nodes[N1] = node;
  cluster.tasks[TaskId{"t1"}] = task("t1", N1, TaskState::RUNNING);
  return cluster;
}

TEST(WorldRules, CatchesARefusedControlRequestThatChangedTheRecords) {
  manager::ClusterState cluster = clusterWithAService();
  ControlledRecords before = controlledRecords(cluster);
  // Task records may move in the same step (reconciliation); the controlled records may not.
  cluster.tasks[TaskId{"t1"}].status.state = TaskState::FAILED;
  EXPECT_EQ(refusedButChanged(before, controlledRecords(cluster), "scale"), std::nullopt);
  cluster.services[ServiceId{"s1"}].spec.replicas = -1;
  EXPECT_TRUE(breaks(refusedButChanged(before, controlledRecords(cluster), "scale s1 to -1"),
                     Rule::WORLD_INVALID_CONTROL_REFUSED, "changed its services: scale s1 to -1"));
  cluster = clusterWithAService();
  cluster.nodes[N1].availability = NodeAvailability::DRAIN;
  EXPECT_TRUE(breaks(refusedButChanged(before, controlledRecords(cluster), "drain"),
                     Rule::WORLD_INVALID_CONTROL_REFUSED, "changed its nodes"));
  cluster = clusterWithAService();
  cluster.secrets.clear();
  EXPECT_TRUE(breaks(refusedButChanged(before, controlledRecords(cluster), "remove x1"),
                     Rule::WORLD_INVALID_CONTROL_REFUSED, "changed its secrets"));
}

TEST(WorldRules, CatchesAnInvalidControlRequestDoneOrRefusedWithTheWrongCode) {
  using manager::ControlError;
  using manager::ControlErrorCode;
  EXPECT_TRUE(breaks(refusalAnswered(ControlErrorCode::NOT_FOUND, std::nullopt, "remove s9"),
                     Rule::WORLD_INVALID_CONTROL_REFUSED, "was done: remove s9"));
  EXPECT_TRUE(breaks(
      refusalAnswered(ControlErrorCode::NOT_FOUND,
                      ControlError{ControlErrorCode::INVALID_ARGUMENT, "bad name"}, "remove s9"),
      Rule::WORLD_INVALID_CONTROL_REFUSED, "wrong code (bad name)"));
  EXPECT_EQ(refusalAnswered(ControlErrorCode::NOT_FOUND,
                            ControlError{ControlErrorCode::NOT_FOUND, "service s9 not found"},
                            "remove s9"),
            std::nullopt);
}

TEST(WorldRules, CatchesAForgedReportThatWasNotRefused) {
  const TaskId t1{"t1"};
  shell::ManagerMessage accepted = shell::StatusesReply{7, std::nullopt};
  EXPECT_TRUE(breaks(forgedReportAnswered(t1, accepted), Rule::WORLD_FORGED_STATUS_REFUSED,
                     "task t1 by another node was not refused"));
  shell::ManagerMessage unavailable =
      shell::StatusesReply{7, RpcError{ErrorCode::UNAVAILABLE, "try again"}};
  EXPECT_TRUE(breaks(forgedReportAnswered(t1, unavailable), Rule::WORLD_FORGED_STATUS_REFUSED));
  shell::ManagerMessage denied =
      shell::StatusesReply{7, RpcError{ErrorCode::PERMISSION_DENIED, "not yours"}};
  EXPECT_EQ(forgedReportAnswered(t1, denied), std::nullopt);
}

TEST(WorldRules, CatchesATaskHoldingAForgedStatus) {
  manager::ClusterState cluster = clusterWithAService();
  std::set<TaskId> forged{TaskId{"t1"}, TaskId{"gone"}};
  EXPECT_EQ(forgedStatusHeld(cluster.tasks, forged), std::nullopt);
  cluster.tasks[TaskId{"t1"}].status.message = std::string(FORGED_STATUS_PREFIX) + "n2";
  EXPECT_TRUE(breaks(forgedStatusHeld(cluster.tasks, forged), Rule::WORLD_FORGED_STATUS_REFUSED,
                     "task t1 holds a forged status"));
}

TEST(WorldRules, CatchesAnAgentThatStoppedForAnotherReasonThanItsCredentials) {
  EXPECT_TRUE(breaks(credentialsStopped(N1, "the executor failed"),
                     Rule::WORLD_BAD_CREDENTIALS_STOP, "n1 was refused its credentials"));
  EXPECT_EQ(credentialsStopped(N1, "manager m refused this node's credentials: check the token"),
            std::nullopt);
}

TEST(WorldRules, CatchesADialOfAManagerWithoutAddress) {
  EXPECT_TRUE(breaks(dialled(N1, Peer{NodeId{"m9"}, ""}),
                     Rule::WORLD_UNADDRESSED_MANAGER_NEVER_DIALLED, "n1 dialled m9"));
  EXPECT_EQ(dialled(N1, Peer{NodeId{"m1"}, "10.0.0.1:4242"}), std::nullopt);
}

TEST(Rules, EveryRuleIsNamedOnceInTheEnumsOrder) {
  std::set<std::string_view> names;
  size_t index = 0;
  for (const RuleInfo& rule : allRules()) {
    EXPECT_EQ(static_cast<size_t>(rule.rule), index++);
    EXPECT_TRUE(names.insert(rule.name).second) << rule.name;
    EXPECT_NE(rule.name.find('.'), std::string_view::npos) << rule.name;
    EXPECT_FALSE(rule.source.empty()) << rule.name;
    EXPECT_FALSE(rule.statement.empty()) << rule.name;
  }
  EXPECT_EQ(violationOf(Rule::WORK_SEND_ORDER, "t1"), "work.send-order: t1");
}

}  // namespace
}  // namespace swarmlet::sim
