// The shell's rules (core/shell/agent-pipeline.h, manager-pipeline.h), one test per rule: each
// feeds effects and port completions and checks what comes out, so that breaking a rule fails
// its test. The simulator runs the same pipelines under faults; these pin the rules exactly.
#include <gtest/gtest.h>
#include <kj/exception.h>

#include "core/shell/agent-pipeline.h"
#include "core/shell/manager-pipeline.h"

namespace swarmlet::shell {
namespace {

using agent::Effect;

agent::Persist persist(const char* task) {
  return agent::Persist{
      {agent::PutStatus{TaskId{task}, TaskStatus{TaskState::RUNNING, {}, {}, {}, {}}}}};
}

agent::SendStatuses statuses(Generation generation, BatchId batch) {
  return agent::SendStatuses{generation, batch, SessionId{"s1"}, {}};
}

std::vector<Effect> effects(std::initializer_list<Effect> list) {
  return std::vector<Effect>(list);
}

// A pipeline with session generation 1 open as s1 and its dial already taken.
AgentPipeline openPipeline() {
  AgentPipeline pipeline;
  pipeline.intake(effects({agent::OpenSession{1, Peer{{}, "m1:4242"}, {}, {}}}));
  EXPECT_EQ(pipeline.takeOps().size(), 1u);
  auto opened = pipeline.arrive(1, SessionReply{SessionId{"s1"}, {}, std::nullopt});
  EXPECT_TRUE(opened.has_value() && std::holds_alternative<agent::SessionOpened>(*opened));
  return pipeline;
}

TEST(AgentPipeline, EffectsComeOutInOrderAsPortOperations) {
  AgentPipeline pipeline;
  pipeline.intake(effects({agent::OpenSession{1, Peer{{}, "m1:4242"}, {}, {}},
                           agent::DescribeNode{7}, agent::SendHeartbeat{1, SessionId{"s1"}},
                           agent::CloseSession{1, agent::CloseReason::STOP, std::nullopt}}));
  std::vector<AgentPortOp> ops = pipeline.takeOps();
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_TRUE(std::holds_alternative<Dial>(ops[0]));
  EXPECT_EQ(std::get<agent::DescribeNode>(ops[1]).request, 7u);
  EXPECT_TRUE(std::holds_alternative<HeartbeatCall>(std::get<Send>(ops[2]).call));
  EXPECT_EQ(std::get<Hangup>(ops[3]).connection, 1u);
  EXPECT_TRUE(pipeline.takeOps().empty());
}

TEST(AgentPipeline, NothingAfterAPersistComesOutBeforeItIsSynced) {
  AgentPipeline pipeline = openPipeline();
  pipeline.intake(effects({persist("t1"), statuses(1, 1)}));
  std::vector<AgentPortOp> ops = pipeline.takeOps();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<SyncStore>(ops[0]));
  EXPECT_TRUE(pipeline.syncing());
  // A crash now loses the staged writes and the send with them: nothing else was executed.
  EXPECT_TRUE(pipeline.takeOps().empty());
  pipeline.synced();
  ops = pipeline.takeOps();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<StatusesCall>(std::get<Send>(ops[0]).call));
}

TEST(AgentPipeline, PersistsQueuedDuringASyncJoinOneGroupCommit) {
  AgentPipeline pipeline = openPipeline();
  pipeline.intake(effects({persist("t1"), statuses(1, 1)}));
  ASSERT_EQ(pipeline.takeOps().size(), 1u);
  // Three more steps while the first sync is in flight.
  pipeline.intake(effects({persist("t2"), agent::SendHeartbeat{1, SessionId{"s1"}}}));
  pipeline.intake(effects({persist("t3")}));
  pipeline.intake(effects({persist("t4"), agent::DescribeNode{1}}));
  EXPECT_TRUE(pipeline.takeOps().empty());
  pipeline.synced();
  std::vector<AgentPortOp> ops = pipeline.takeOps();
  // The send that waited on the first sync goes; then the three persists, as one sync.
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Send>(ops[0]));
  const auto& sync = std::get<SyncStore>(ops[1]);
  ASSERT_EQ(sync.ops.size(), 3u);
  EXPECT_EQ(std::get<agent::PutStatus>(sync.ops[0]).taskId.value, "t2");
  EXPECT_EQ(std::get<agent::PutStatus>(sync.ops[2]).taskId.value, "t4");
  pipeline.synced();
  ops = pipeline.takeOps();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<Send>(ops[0]));
  EXPECT_TRUE(std::holds_alternative<agent::DescribeNode>(ops[1]));
}

TEST(AgentPipeline, SyncedWithoutASyncInFlightIsACallerBug) {
  AgentPipeline pipeline;
  EXPECT_THROW(pipeline.synced(), kj::Exception);
}

TEST(AgentPipeline, AClosedGenerationReachesTheCoreNoMoreEvenBeforeItsHangup) {
  AgentPipeline pipeline = openPipeline();
  pipeline.intake(
      effects({persist("t1"), agent::CloseSession{1, agent::CloseReason::FAILURE,
                                                  RpcError{ErrorCode::UNAVAILABLE, "x"}}}));
  // The hangup waits behind the sync, but the core has given up on generation 1.
  EXPECT_FALSE(pipeline.arrive(1, SessionPush{SessionId{"s1"}, {}}).has_value());
  EXPECT_FALSE(pipeline.connectionLost(1, "reset").has_value());
  EXPECT_FALSE(pipeline.liveConnection().has_value());
}

TEST(AgentPipeline, ARepliesOnlyTheCallOutstanding) {
  AgentPipeline pipeline = openPipeline();
  // No heartbeat sent yet: a reply answers nothing.
  EXPECT_FALSE(pipeline.arrive(1, HeartbeatReply{Duration::seconds(5), std::nullopt}));
  pipeline.intake(effects({agent::SendHeartbeat{1, SessionId{"s1"}}, statuses(1, 3)}));
  ASSERT_EQ(pipeline.takeOps().size(), 2u);
  EXPECT_TRUE(pipeline.arrive(1, HeartbeatReply{Duration::seconds(5), std::nullopt}));
  // A duplicate of the answer, or an answer for another batch, answers nothing.
  EXPECT_FALSE(pipeline.arrive(1, HeartbeatReply{Duration::seconds(5), std::nullopt}));
  EXPECT_FALSE(pipeline.arrive(1, StatusesReply{2, std::nullopt}));
  auto acked = pipeline.arrive(1, StatusesReply{3, std::nullopt});
  ASSERT_TRUE(acked.has_value());
  EXPECT_EQ(std::get<agent::StatusesAcked>(*acked).batch, 3u);
  EXPECT_FALSE(pipeline.arrive(1, StatusesReply{3, std::nullopt}));
  // A second open reply on a session already open answers nothing.
  EXPECT_FALSE(pipeline.arrive(1, SessionReply{SessionId{"s9"}, {}, std::nullopt}));
}

TEST(AgentPipeline, ACallWaitingBehindASyncIsNotYetOutstanding) {
  AgentPipeline pipeline = openPipeline();
  pipeline.intake(effects({persist("t1"), agent::SendHeartbeat{1, SessionId{"s1"}}}));
  ASSERT_EQ(pipeline.takeOps().size(), 1u);
  EXPECT_FALSE(pipeline.arrive(1, HeartbeatReply{Duration::seconds(5), std::nullopt}));
  pipeline.synced();
  ASSERT_EQ(pipeline.takeOps().size(), 1u);
  EXPECT_TRUE(pipeline.arrive(1, HeartbeatReply{Duration::seconds(5), std::nullopt}));
}

// Cap'n Proto sends a call's answer when its promise resolves, after calls the manager made on
// the agent's sink in the meantime: the session's first pushes can overtake the answer that
// names the session. They are held, and released in order once the answer names their session.
TEST(AgentPipeline, PushesThatOvertakeTheOpensAnswerAreHeldUntilItNamesTheirSession) {
  AgentPipeline pipeline;
  pipeline.intake(effects({agent::OpenSession{1, Peer{{}, "m1:4242"}, {}, {}}}));
  ASSERT_EQ(pipeline.takeOps().size(), 1u);
  AssignmentsMessage complete{AssignmentType::COMPLETE, "", "1", {}};
  AssignmentsMessage next{AssignmentType::INCREMENTAL, "1", "2", {}};
  EXPECT_FALSE(pipeline.arrive(1, AssignmentsPush{SessionId{"s1"}, complete}).has_value());
  EXPECT_FALSE(pipeline.arrive(1, AssignmentsPush{SessionId{"old"}, next}).has_value());
  EXPECT_FALSE(pipeline.arrive(1, AssignmentsPush{SessionId{"s1"}, next}).has_value());
  EXPECT_FALSE(pipeline.released().has_value()) << "released before the answer";

  auto opened = pipeline.arrive(1, SessionReply{SessionId{"s1"}, {}, std::nullopt});
  ASSERT_TRUE(opened.has_value() && std::holds_alternative<agent::SessionOpened>(*opened));
  auto first = pipeline.released();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(std::get<agent::AssignmentsReceived>(*first).message, complete);
  auto second = pipeline.released();
  ASSERT_TRUE(second.has_value()) << "the push of another session was not skipped";
  EXPECT_EQ(std::get<agent::AssignmentsReceived>(*second).message, next);
  EXPECT_FALSE(pipeline.released().has_value());
}

TEST(AgentPipeline, AFailedOpenDropsWhatWasHeldAndHoldingIsBounded) {
  AgentPipeline pipeline;
  pipeline.intake(effects({agent::OpenSession{1, Peer{{}, "m1:4242"}, {}, {}}}));
  ASSERT_EQ(pipeline.takeOps().size(), 1u);
  for (size_t i = 0; i < AgentPipeline::EARLY_PUSHES_MAX + 5; ++i)
    EXPECT_FALSE(pipeline.arrive(1, SessionPush{SessionId{"s1"}, {}}).has_value());
  auto opened = pipeline.arrive(1, SessionReply{SessionId{"s1"}, {}, std::nullopt});
  ASSERT_TRUE(opened.has_value());
  size_t released = 0;
  while (pipeline.released().has_value())
    ++released;
  EXPECT_EQ(released, AgentPipeline::EARLY_PUSHES_MAX);

  pipeline.intake(effects({agent::CloseSession{1, agent::CloseReason::FAILURE, std::nullopt},
                           agent::OpenSession{2, Peer{{}, "m1:4242"}, {}, {}}}));
  pipeline.takeOps();
  EXPECT_FALSE(pipeline.arrive(2, SessionPush{SessionId{"s2"}, {}}).has_value());
  auto refused =
      pipeline.arrive(2, SessionReply{{}, {}, RpcError{ErrorCode::UNAVAILABLE, "not now"}});
  ASSERT_TRUE(refused.has_value() && std::holds_alternative<agent::SessionFailed>(*refused));
  EXPECT_FALSE(pipeline.released().has_value());
}

TEST(AgentPipeline, PushesOnlyForTheConnectionsSession) {
  AgentPipeline pipeline = openPipeline();
  EXPECT_FALSE(pipeline.arrive(1, AssignmentsPush{SessionId{"s0"}, {}}));
  EXPECT_FALSE(pipeline.arrive(2, AssignmentsPush{SessionId{"s1"}, {}}));
  EXPECT_TRUE(pipeline.arrive(1, AssignmentsPush{SessionId{"s1"}, {}}));
}

TEST(AgentPipeline, AFailureIsDeliveredOncePerGeneration) {
  AgentPipeline pipeline = openPipeline();
  auto failed = pipeline.connectionLost(1, "reset by peer");
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(std::get<agent::SessionFailed>(*failed).error.code, ErrorCode::UNAVAILABLE);
  EXPECT_FALSE(pipeline.connectionLost(1, "reset by peer"));
  EXPECT_FALSE(pipeline.arrive(1, SessionEnd{SessionId{"s1"}, RpcError{}}));
}

TEST(AgentPipeline, AnOpenFailureEndsTheGeneration) {
  AgentPipeline pipeline;
  pipeline.intake(effects({agent::OpenSession{1, Peer{{}, "m1:4242"}, {}, {}}}));
  pipeline.takeOps();
  auto failed =
      pipeline.arrive(1, SessionReply{{}, {}, RpcError{ErrorCode::UNAVAILABLE, "not leader"}});
  ASSERT_TRUE(failed.has_value());
  EXPECT_TRUE(std::holds_alternative<agent::SessionFailed>(*failed));
  EXPECT_FALSE(pipeline.arrive(1, SessionEnd{SessionId{}, RpcError{}}));
}

// --- Manager ----------------------------------------------------------------------------------

const NodeId NODE{"n1"};

kj::Vector<manager::Effect> managerEffects(std::initializer_list<manager::Effect> list) {
  kj::Vector<manager::Effect> vector;
  for (const manager::Effect& effect : list)
    vector.add(effect);
  return vector;
}

RequestId requestOf(const manager::Input& input) {
  return std::visit(
      [](const auto& in) -> RequestId {
        if constexpr (requires { in.request; }) {
          return in.request;
        } else {
          return 0;
        }
      },
      input);
}

// Opens NODE's session s1 on `connection` and answers it.
void openOn(ManagerPipeline& pipeline, ConnectionId connection) {
  RequestId request = requestOf(pipeline.arrive(connection, NODE, OpenSessionCall{}));
  pipeline.intake(
      managerEffects({manager::SessionAnswer{request, NODE, SessionId{"s1"}, {}, std::nullopt}}));
  std::vector<ManagerPortOp> ops = pipeline.takeOps();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(std::get<Reply>(ops[0]).connection, connection);
}

TEST(ManagerPipeline, EveryCallGetsItsOwnRequestAndItsAnswerGoesBackWhereItCameFrom) {
  ManagerPipeline pipeline;
  RequestId first = requestOf(pipeline.arrive(10, NODE, HeartbeatCall{SessionId{"s1"}}));
  RequestId second = requestOf(pipeline.arrive(11, NODE, StatusesCall{SessionId{"s1"}, 42, {}}));
  RequestId control = requestOf(pipeline.control(manager::RemoveSecret{SecretId{"x"}}));
  EXPECT_NE(first, second);
  EXPECT_NE(second, control);
  pipeline.intake(managerEffects({manager::StatusesAnswer{second, NODE, std::nullopt},
                                  manager::HeartbeatAnswer{first, NODE, Duration::seconds(5), {}},
                                  manager::HeartbeatAnswer{999, NODE, Duration::seconds(5), {}},
                                  manager::ControlAnswer{control, std::nullopt, {}}}));
  std::vector<ManagerPortOp> ops = pipeline.takeOps();
  ASSERT_EQ(ops.size(), 3u);  // the answer to a request never made goes nowhere
  EXPECT_EQ(std::get<Reply>(ops[0]).connection, 11u);
  EXPECT_EQ(std::get<StatusesReply>(std::get<Reply>(ops[0]).message).batch, 42u);
  EXPECT_EQ(std::get<Reply>(ops[1]).connection, 10u);
  EXPECT_EQ(std::get<ControlReply>(ops[2]).answer.request, control);
}

TEST(ManagerPipeline, PushesGoToTheNewestConnectionThatOpenedTheSession) {
  ManagerPipeline pipeline;
  // An old open (connection 5) answered after a newer one (connection 9) resumed the session.
  RequestId old = requestOf(pipeline.arrive(5, NODE, OpenSessionCall{}));
  openOn(pipeline, 9);
  pipeline.intake(
      managerEffects({manager::SessionAnswer{old, NODE, SessionId{"s1"}, {}, std::nullopt},
                      manager::SendAssignments{NODE, SessionId{"s1"}, {}}}));
  std::vector<ManagerPortOp> ops = pipeline.takeOps();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(std::get<Reply>(ops[0]).connection, 5u);
  EXPECT_EQ(std::get<Push>(ops[1]).connection, 9u);
  EXPECT_EQ(pipeline.streamOf(NODE), std::optional<ConnectionId>(9));
}

TEST(ManagerPipeline, OnlyTheCurrentConnectionsCloseCounts) {
  ManagerPipeline pipeline;
  openOn(pipeline, 5);
  openOn(pipeline, 9);
  EXPECT_FALSE(pipeline.closed(5, NODE).has_value());
  auto closed = pipeline.closed(9, NODE);
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(std::get<manager::SessionClosed>(*closed).sessionId.value, "s1");
  EXPECT_FALSE(pipeline.closed(9, NODE).has_value());
}

TEST(ManagerPipeline, AnOldConnectionsCloseDoesNotEndASessionANewerOpenIsResuming) {
  ManagerPipeline pipeline;
  openOn(pipeline, 5);
  // The agent reconnects on 9 to resume s1; its old connection's hangup arrives before the answer.
  RequestId resume = requestOf(pipeline.arrive(9, NODE, OpenSessionCall{SessionId{"s1"}, {}}));
  EXPECT_FALSE(pipeline.closed(5, NODE).has_value());
  pipeline.intake(
      managerEffects({manager::SessionAnswer{resume, NODE, SessionId{"s1"}, {}, std::nullopt}}));
  pipeline.takeOps();
  EXPECT_EQ(pipeline.streamOf(NODE), std::optional<ConnectionId>(9));
  // Once answered, the old connection's open is no longer pending: 9's close counts.
  EXPECT_TRUE(pipeline.closed(9, NODE).has_value());
}

TEST(ManagerPipeline, AnOlderPendingOpenDoesNotHoldBackTheCurrentConnectionsClose) {
  ManagerPipeline pipeline;
  pipeline.arrive(3, NODE, OpenSessionCall{});  // an old open, still unanswered
  openOn(pipeline, 5);
  EXPECT_TRUE(pipeline.closed(5, NODE).has_value());
}

TEST(ManagerPipeline, AnEndedSessionTakesNoMorePushes) {
  ManagerPipeline pipeline;
  openOn(pipeline, 5);
  pipeline.intake(managerEffects({manager::EndSession{NODE, SessionId{"s1"}, RpcError{}},
                                  manager::SendAssignments{NODE, SessionId{"s1"}, {}}}));
  std::vector<ManagerPortOp> ops = pipeline.takeOps();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<SessionEnd>(std::get<Push>(ops[0]).message));
}

TEST(ManagerPipeline, AnswersWaitForTheCommitAndCommitsGroup) {
  ManagerPipeline pipeline;
  RequestId a = requestOf(pipeline.arrive(1, NODE, HeartbeatCall{}));
  RequestId b = requestOf(pipeline.arrive(1, NODE, HeartbeatCall{}));
  manager::Persist write{{manager::Delete{manager::RecordKind::TASK, "t1"}}};
  pipeline.intake(managerEffects({write, manager::HeartbeatAnswer{a, NODE, {}, {}}}));
  ASSERT_EQ(pipeline.takeOps().size(), 1u);
  pipeline.intake(managerEffects({write, manager::HeartbeatAnswer{b, NODE, {}, {}}}));
  pipeline.intake(managerEffects({write}));
  EXPECT_TRUE(pipeline.takeOps().empty());
  pipeline.committed();
  std::vector<ManagerPortOp> ops = pipeline.takeOps();
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(std::get<Reply>(ops[0]).request, a);
  EXPECT_EQ(std::get<CommitWrites>(ops[1]).writes.size(), 2u);
  pipeline.committed();
  ops = pipeline.takeOps();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(std::get<Reply>(ops[0]).request, b);
}

}  // namespace
}  // namespace swarmlet::shell
