// Tests of the manager server (io/manager-server.h): a test client speaking raw Cap'n Proto to
// the server over in-memory pipes, with a manually advanced timer and the real LevelDB on its
// memory Env; and one test on real loopback TCP, a real Unix socket and a real LevelDB directory.
#include "io/manager-server.h"

#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <kj/timer.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/codec.h"
#include "io/manager-forwarder.h"
#include "sim/manager-checker.h"

namespace swarmlet::io {
namespace {

constexpr Duration PERIOD = Duration::seconds(5);
const char* const SECRET_1 = "secret-of-node-1";
const char* const SECRET_2 = "secret-of-node-2";

NodeCredentials testCredentials() {
  return {{NodeId{"node-1"}, SECRET_1}, {NodeId{"node-2"}, SECRET_2}};
}

// What one agent's SessionSink received, decoded.
struct Pushes {
  std::vector<shell::SessionPush> messages;
  std::vector<shell::AssignmentsPush> assignments;
  std::vector<shell::SessionEnd> ends;
  std::vector<std::string> refusals;
  // Assignment pushes fail (a sink that cannot take them), or never complete (an agent that
  // stopped reading).
  bool broken = false;
  bool stalled = false;
};

// LevelDB's Env with writes that fail on demand: a full disk, a dying device.
class FailingFile final : public leveldb::WritableFile {
 public:
  FailingFile(leveldb::WritableFile* target, const bool& failing)
      : target_(target), failing_(failing) {}
  leveldb::Status Append(const leveldb::Slice& data) override {
    return failing_ ? injected() : target_->Append(data);
  }
  leveldb::Status Close() override { return target_->Close(); }
  leveldb::Status Flush() override { return failing_ ? injected() : target_->Flush(); }
  leveldb::Status Sync() override { return failing_ ? injected() : target_->Sync(); }

 private:
  static leveldb::Status injected() { return leveldb::Status::IOError("injected write failure"); }
  std::unique_ptr<leveldb::WritableFile> target_;
  const bool& failing_;
};

class FailingEnv final : public leveldb::EnvWrapper {
 public:
  explicit FailingEnv(leveldb::Env* target) : EnvWrapper(target) {}
  leveldb::Status NewWritableFile(const std::string& name, leveldb::WritableFile** out) override {
    return wrap(target()->NewWritableFile(name, out), out);
  }
  leveldb::Status NewAppendableFile(const std::string& name, leveldb::WritableFile** out) override {
    return wrap(target()->NewAppendableFile(name, out), out);
  }
  bool failing = false;

 private:
  leveldb::Status wrap(leveldb::Status status, leveldb::WritableFile** out) {
    if (status.ok()) *out = new FailingFile(*out, failing);
    return status;
  }
};

class RecordingSink final : public schema::SessionSink::Server {
 public:
  explicit RecordingSink(Pushes& pushes) : pushes_(pushes) {}

  kj::Promise<void> message(MessageContext context) override {
    record(decodeSessionPush(context.getParams()), pushes_.messages);
    return kj::READY_NOW;
  }
  kj::Promise<void> assignments(AssignmentsContext context) override {
    if (pushes_.broken) return KJ_EXCEPTION(FAILED, "the test's sink is broken");
    if (pushes_.stalled) return kj::NEVER_DONE;
    record(decodeAssignmentsPush(context.getParams()), pushes_.assignments);
    return kj::READY_NOW;
  }
  kj::Promise<void> end(EndContext context) override {
    record(decodeSessionEnd(context.getParams()), pushes_.ends);
    return kj::READY_NOW;
  }

 private:
  template <typename T>
  void record(Decoded<T>&& decoded, std::vector<T>& into) {
    if (decoded.ok()) {
      into.push_back(std::move(*decoded.value));
    } else {
      pushes_.refusals.push_back(decoded.error);
    }
  }

  Pushes& pushes_;
};

// One agent as the server sees it: a connection, its Dispatcher, its sink and its session.
struct TestAgent {
  explicit TestAgent(kj::Own<kj::AsyncIoStream> s)
      : stream(kj::mv(s)),
        client(*stream),
        dispatcher(client.bootstrap().castAs<schema::Dispatcher>()),
        sink(kj::heap<RecordingSink>(pushes)) {}

  Pushes pushes;
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyClient client;
  schema::Dispatcher::Client dispatcher;
  schema::SessionSink::Client sink;
  kj::Maybe<schema::Session::Client> session;
  SessionId sessionId;

  schema::Session::Client& current() {
    KJ_IF_MAYBE (s, session) return *s;
    KJ_FAIL_REQUIRE("the test agent has no session");
  }
};

struct TestControl {
  explicit TestControl(kj::Own<kj::AsyncIoStream> s)
      : stream(kj::mv(s)), client(*stream), control(client.bootstrap().castAs<schema::Control>()) {}

  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyClient client;
  schema::Control::Client control;
};

manager::ServiceSpec serviceSpec(const std::string& name, int64_t replicas) {
  manager::ServiceSpec spec;
  spec.name = name;
  spec.replicas = replicas;
  spec.task.command = "/bin/sleep";
  spec.task.args = {"60"};
  return spec;
}

TaskStatusUpdate statusOf(const TaskId& task, TaskState state) {
  TaskStatusUpdate update;
  update.taskId = task;
  update.status.state = state;
  update.status.message = "reported by the test";
  return update;
}

class ManagerServerTest : public testing::Test {
 protected:
  ManagerServerTest() {
    auto opened = LevelDbStore::open("/manager", StoreKind::MANAGER, StoreOptions{env.get()});
    KJ_REQUIRE(opened.ok(), opened.error().message);
    db = kj::mv(opened.value());
    start();
  }

  ~ManagerServerTest() noexcept override {
    checkInvariants();
    agents.clear();
    controls.clear();
    server = nullptr;
    db = nullptr;
  }

  // The core's invariants held after every step (the simulator's checker).
  void checkInvariants() {
    if (server.get() != nullptr) checker->checkAll(server->state());
    for (const std::string& violation : checker->violations())
      ADD_FAILURE() << "manager invariant: " << violation;
  }

  void start() {
    auto next = std::make_unique<sim::ManagerChecker>(PERIOD);
    if (checker) next->expectStore(checker->store());
    checker = std::move(next);
    ManagerServerOptions options;
    options.observer = [this](Instant now, const manager::Input& input,
                              const std::vector<manager::Effect>& effects,
                              const manager::ManagerState& state) {
      checker->observe(now, input, effects, state);
    };
    options.listenAddress = "";
    options.store = db.get();
    options.heartbeatPeriod = PERIOD;
    options.seed = 42;
    options.managers = {Peer{NodeId{"manager-1"}, "127.0.0.1:4242"}};
    options.credentials = testCredentials();
    options.createCluster = NodeAuthEntry{NodeId{"manager-1"}, "leader-secret", "manager-1.example",
                                          "127.0.0.1:4242", NodeRole::MANAGER};
    auto opened = ManagerServer::open(timer, kj::mv(options));
    KJ_REQUIRE(opened.ok(), opened.error().message);
    server = kj::mv(opened.value());
  }

  void restart() {
    checkInvariants();
    agents.clear();
    controls.clear();
    server = nullptr;
    ws.poll();
    start();
  }

  TestAgent& connect() {
    auto pipe = kj::newTwoWayPipe();
    server->accept(kj::mv(pipe.ends[0]));
    agents.push_back(kj::heap<TestAgent>(kj::mv(pipe.ends[1])));
    return *agents.back();
  }

  TestControl& connectControl() {
    auto pipe = kj::newTwoWayPipe();
    server->acceptControl(kj::mv(pipe.ends[0]));
    controls.push_back(kj::heap<TestControl>(kj::mv(pipe.ends[1])));
    return *controls.back();
  }

  void advance(Duration by) {
    timer.advanceTo(timer.now() + by.count() * kj::NANOSECONDS);
    ws.poll();
  }

  // Runs the loop, advancing the manual clock 10 ms at a time, until `promise` resolves.
  template <typename T>
  T settle(kj::Promise<T>&& promise) {
    for (int i = 0; i < 2000; ++i) {
      if (promise.poll(ws)) return promise.wait(ws);
      advance(Duration::milliseconds(10));
    }
    KJ_FAIL_REQUIRE("no answer within 20 s of manual time");
  }

  // Runs the loop likewise until `done()` holds; false if it never does within 20 s.
  bool waitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 2000; ++i) {
      ws.poll();
      if (done()) return true;
      advance(Duration::milliseconds(10));
    }
    return false;
  }

  shell::SessionReply open(TestAgent& agent, const std::string& node, const std::string& secret,
                           SessionId previous = {}) {
    auto request = agent.dispatcher.sessionRequest();
    NodeDescription description;
    description.hostname = node + ".example";
    description.platform = "linux/amd64";
    encode(request, shell::OpenSessionCall{previous, description});
    request.setSink(agent.sink);
    auto credential = request.initCredential();
    credential.setNodeId(node);
    credential.setSecret(
        capnp::Data::Reader(reinterpret_cast<const kj::byte*>(secret.data()), secret.size()));
    auto response = settle<capnp::Response<schema::Dispatcher::SessionResults>>(request.send());
    auto result = response.getResult();
    auto decoded = decodeSessionResult(result);
    KJ_REQUIRE(decoded.ok(), decoded.error);
    if (!decoded.value->error.has_value()) {
      agent.session = result.getOpened().getSession();
      agent.sessionId = decoded.value->sessionId;
    }
    return *decoded.value;
  }

  shell::HeartbeatReply heartbeat(TestAgent& agent) {
    auto response =
        settle<capnp::Response<schema::HeartbeatResult>>(agent.current().heartbeatRequest().send());
    auto decoded = decodeHeartbeatResult(response);
    KJ_REQUIRE(decoded.ok(), decoded.error);
    return *decoded.value;
  }

  shell::StatusesReply statuses(TestAgent& agent, BatchId batch,
                                std::vector<TaskStatusUpdate> updates) {
    auto request = agent.current().updateTaskStatusRequest();
    encode(request, shell::StatusesCall{agent.sessionId, batch, std::move(updates)});
    return send(request);
  }

  shell::StatusesReply send(
      capnp::Request<schema::Session::UpdateTaskStatusParams, schema::StatusesResult>& request) {
    auto response = settle<capnp::Response<schema::StatusesResult>>(request.send());
    auto decoded = decodeStatusesResult(response);
    KJ_REQUIRE(decoded.ok(), decoded.error);
    return *decoded.value;
  }

  manager::ControlAnswer apply(TestControl& control, const manager::ControlOperation& operation) {
    auto request = control.control.applyRequest();
    encode(request.initOperation(), operation);
    auto response = settle<capnp::Response<schema::ControlResult>>(request.send());
    auto decoded = decodeControlResult(response);
    KJ_REQUIRE(decoded.ok(), decoded.error);
    return *decoded.value;
  }

  // Dispatcher.join with `token`: the grant, or the refusal.
  std::variant<JoinGrant, RpcError> join(TestAgent& agent, const std::string& token,
                                         const std::string& address = "") {
    auto request = agent.dispatcher.joinRequest();
    request.setToken(token);
    request.setHostname("joiner.example");
    request.setAdvertiseAddress(address);
    auto response = settle<capnp::Response<schema::Dispatcher::JoinResults>>(request.send());
    auto result = response.getResult();
    if (result.isError()) {
      auto error = decodeRpcError(result.getError());
      KJ_REQUIRE(error.ok(), error.error);
      return *error.value;
    }
    auto joined = result.getJoined();
    auto secret = joined.getSecret();
    return JoinGrant{
        NodeId{joined.getNodeId()},
        std::string(reinterpret_cast<const char*>(secret.begin()), secret.size()),
        joined.getRole() == schema::NodeRole::MANAGER ? NodeRole::MANAGER : NodeRole::WORKER};
  }

  capnp::Response<schema::ClusterInfo> inspectCluster(TestControl& control) {
    return settle<capnp::Response<schema::ClusterInfo>>(
        control.control.inspectClusterRequest().send());
  }

  std::vector<Task> listTasks(TestControl& control, const TaskFilter& filter) {
    auto request = control.control.listTasksRequest();
    encode(request.initFilter(), filter);
    auto response = settle<capnp::Response<schema::Control::ListTasksResults>>(request.send());
    auto decoded = decodeTaskList(response.getTasks());
    KJ_REQUIRE(decoded.ok(), decoded.error);
    return *decoded.value;
  }

  // The tasks of `agent`'s assignment stream, as its last messages leave them (COMPLETE resets).
  static std::vector<TaskId> assignedTasks(const TestAgent& agent) {
    std::vector<TaskId> tasks;
    for (const shell::AssignmentsPush& push : agent.pushes.assignments) {
      if (push.message.type == AssignmentType::COMPLETE) tasks.clear();
      for (const AssignmentChange& change : push.message.changes) {
        if (const Task* task = std::get_if<Task>(&change.item)) {
          if (change.action == AssignmentAction::UPDATE) tasks.push_back(task->id);
        }
      }
    }
    return tasks;
  }

  manager::NodeStatus nodeStatus(const std::string& node) const {
    auto found = server->state().cluster.nodes.find(NodeId{node});
    KJ_REQUIRE(found != server->state().cluster.nodes.end(), "node unknown", node);
    return found->second.status;
  }

  kj::EventLoop loop;
  kj::WaitScope ws{loop};
  kj::TimerImpl timer{kj::origin<kj::TimePoint>()};
  std::unique_ptr<leveldb::Env> memory{leveldb::NewMemEnv(leveldb::Env::Default())};
  std::unique_ptr<FailingEnv> env = std::make_unique<FailingEnv>(memory.get());
  kj::Own<LevelDbStore> db;
  std::unique_ptr<sim::ManagerChecker> checker;
  kj::Own<ManagerServer> server;
  std::vector<kj::Own<TestAgent>> agents;
  std::vector<kj::Own<TestControl>> controls;
};

TEST_F(ManagerServerTest, RegistersAnsweringHeartbeatsAndStatuses) {
  TestAgent& agent = connect();
  shell::SessionReply opened = open(agent, "node-1", SECRET_1);
  ASSERT_FALSE(opened.error.has_value()) << opened.error->message;
  EXPECT_FALSE(opened.sessionId.empty());
  ASSERT_EQ(opened.message.managers.size(), 1u);
  EXPECT_EQ(opened.message.managers[0].peer.address, "127.0.0.1:4242");
  EXPECT_EQ(nodeStatus("node-1"), manager::NodeStatus::READY);

  shell::HeartbeatReply beat = heartbeat(agent);
  ASSERT_FALSE(beat.error.has_value()) << beat.error->message;
  EXPECT_GE(beat.period, limits::HEARTBEAT_PERIOD_MIN);
  EXPECT_LE(beat.period, PERIOD * 2);

  // A service placed on the node reaches it as an assignment push; its status comes back.
  TestControl& control = connectControl();
  manager::ControlAnswer created = apply(control, manager::CreateService{serviceSpec("web", 1)});
  ASSERT_FALSE(created.error.has_value()) << created.error->message;
  ASSERT_TRUE(waitFor([&] { return assignedTasks(agent).size() == 1; }));
  EXPECT_TRUE(agent.pushes.refusals.empty());
  EXPECT_EQ(agent.pushes.assignments.front().message.type, AssignmentType::COMPLETE);
  TaskId task = assignedTasks(agent)[0];

  shell::StatusesReply acked = statuses(agent, 7, {statusOf(task, TaskState::RUNNING)});
  EXPECT_EQ(acked.batch, 7u);
  ASSERT_FALSE(acked.error.has_value()) << acked.error->message;
  EXPECT_EQ(server->state().cluster.tasks.at(task).status.state, TaskState::RUNNING);

  // Acknowledged means durable: the store holds the RUNNING status.
  ManagerStore reader(*db);
  auto restored = reader.restore();
  ASSERT_TRUE(restored.ok());
  ASSERT_EQ(restored.value().tasks.size(), 1u);
  EXPECT_EQ(restored.value().tasks[0].status.state, TaskState::RUNNING);
  // The invariant checker saw every step: its model of the store has the task too.
  EXPECT_EQ(checker->store().tasks.at(task).status.state, TaskState::RUNNING);
}

TEST_F(ManagerServerTest, WrongCredentialIsRefusedAsUnauthenticated) {
  TestAgent& wrongSecret = connect();
  shell::SessionReply refused = open(wrongSecret, "node-1", "not-the-secret");
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->code, ErrorCode::UNAUTHENTICATED);
  EXPECT_NE(refused.error->message.find("node-1"), std::string::npos) << refused.error->message;

  TestAgent& unknownNode = connect();
  refused = open(unknownNode, "node-9", SECRET_1);
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->code, ErrorCode::UNAUTHENTICATED);
  EXPECT_TRUE(server->state().registry.empty());
  EXPECT_TRUE(server->state().cluster.nodes.empty());

  // A connection is bound to the node it authenticated as: node-2 cannot use node-1's.
  TestAgent& agent = connect();
  ASSERT_FALSE(open(agent, "node-1", SECRET_1).error.has_value());
  refused = open(agent, "node-2", SECRET_2);
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->code, ErrorCode::UNAUTHENTICATED);
  EXPECT_EQ(server->state().cluster.nodes.count(NodeId{"node-2"}), 0u);
  // The same credential on the refused connection still works.
  EXPECT_FALSE(open(wrongSecret, "node-2", SECRET_2).error.has_value());
}

TEST_F(ManagerServerTest, StatusForAnotherNodesTaskIsPermissionDenied) {
  TestAgent& owner = connect();
  ASSERT_FALSE(open(owner, "node-1", SECRET_1).error.has_value());
  TestControl& control = connectControl();
  ASSERT_FALSE(apply(control, manager::CreateService{serviceSpec("web", 1)}).error.has_value());
  ASSERT_TRUE(waitFor([&] { return assignedTasks(owner).size() == 1; }));
  TaskId task = assignedTasks(owner)[0];
  TaskState before = server->state().cluster.tasks.at(task).status.state;

  TestAgent& other = connect();
  ASSERT_FALSE(open(other, "node-2", SECRET_2).error.has_value());
  shell::StatusesReply refused = statuses(other, 1, {statusOf(task, TaskState::FAILED)});
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->code, ErrorCode::PERMISSION_DENIED);
  EXPECT_EQ(server->state().cluster.tasks.at(task).status.state, before);
  EXPECT_EQ(server->state().cluster.tasks.at(task).nodeId, NodeId{"node-1"});
}

TEST_F(ManagerServerTest, MalformedCallsGetAClearErrorAndTheServerKeepsServing) {
  TestAgent& agent = connect();
  ASSERT_FALSE(open(agent, "node-1", SECRET_1).error.has_value());

  // An unknown TaskState.
  auto request = agent.current().updateTaskStatusRequest();
  request.setBatch(1);
  auto updates = request.initUpdates(1);
  updates[0].setTaskId("task-1");
  updates[0].initStatus().setState(901);
  shell::StatusesReply refused = send(request);
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error->message.find("updates[0].status.state"), std::string::npos)
      << refused.error->message;
  EXPECT_NE(refused.error->message.find("901"), std::string::npos) << refused.error->message;

  // An over-long task id.
  refused = statuses(agent, 2, {statusOf(TaskId{std::string(500, 't')}, TaskState::RUNNING)});
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error->message.find("updates[0].taskId"), std::string::npos)
      << refused.error->message;

  // Too many updates in one call.
  auto many = agent.current().updateTaskStatusRequest();
  many.setBatch(3);
  auto list = many.initUpdates(static_cast<unsigned int>(limits::STATUS_UPDATES_PER_CALL_MAX + 1));
  for (unsigned int i = 0; i < list.size(); ++i) {
    list[i].setTaskId("task-" + std::to_string(i));
    list[i].initStatus().setState(static_cast<uint16_t>(TaskState::RUNNING));
  }
  refused = send(many);
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_NE(refused.error->message.find("updates"), std::string::npos) << refused.error->message;

  // A session call with a malformed description.
  TestAgent& bad = connect();
  auto session = bad.dispatcher.sessionRequest();
  session.initOpen().initDescription().setHostname(std::string(5000, 'h'));
  session.setSink(bad.sink);
  auto credential = session.initCredential();
  credential.setNodeId("node-2");
  credential.setSecret(capnp::Data::Reader(reinterpret_cast<const kj::byte*>(SECRET_2), 16));
  auto response = settle<capnp::Response<schema::Dispatcher::SessionResults>>(session.send());
  auto result = decodeSessionResult(response.getResult());
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_TRUE(result.value->error.has_value());
  EXPECT_EQ(result.value->error->code, ErrorCode::INVALID_ARGUMENT);
  EXPECT_NE(result.value->error->message.find("hostname"), std::string::npos)
      << result.value->error->message;

  // The same server still serves the refused caller and another connection.
  EXPECT_FALSE(heartbeat(agent).error.has_value());
  TestAgent& second = connect();
  ASSERT_FALSE(open(second, "node-2", SECRET_2).error.has_value());
  EXPECT_FALSE(heartbeat(second).error.has_value());
  EXPECT_EQ(nodeStatus("node-2"), manager::NodeStatus::READY);
}

TEST_F(ManagerServerTest, OnlyTheNewestConnectionsCloseEndsAResumedSession) {
  // The first connection is owned here, so that the test can drop it alone.
  auto pipe = kj::newTwoWayPipe();
  server->accept(kj::mv(pipe.ends[0]));
  kj::Own<TestAgent> first = kj::heap<TestAgent>(kj::mv(pipe.ends[1]));
  shell::SessionReply opened = open(*first, "node-1", SECRET_1);
  ASSERT_FALSE(opened.error.has_value());

  // The agent reconnects and resumes the same session on a newer connection.
  TestAgent& newer = connect();
  shell::SessionReply resumed = open(newer, "node-1", SECRET_1, opened.sessionId);
  ASSERT_FALSE(resumed.error.has_value());
  EXPECT_EQ(resumed.sessionId, opened.sessionId);

  // The old connection goes: the session it shares with the newer one does not end.
  first = nullptr;
  ASSERT_TRUE(waitFor([&] { return server->connectionCount() == 1; }));
  advance(Duration::milliseconds(200));
  EXPECT_EQ(nodeStatus("node-1"), manager::NodeStatus::READY);
  EXPECT_FALSE(heartbeat(newer).error.has_value());

  // Pushes go to the newer connection.
  TestControl& control = connectControl();
  ASSERT_FALSE(apply(control, manager::CreateService{serviceSpec("web", 1)}).error.has_value());
  ASSERT_TRUE(waitFor([&] { return assignedTasks(newer).size() == 1; }));

  // Dropping the current session capability closes the session.
  newer.session = nullptr;
  ASSERT_TRUE(waitFor([&] { return nodeStatus("node-1") == manager::NodeStatus::DISCONNECTED; }));
}

TEST_F(ManagerServerTest, DroppingTheConnectionClosesTheSession) {
  TestAgent& agent = connect();
  ASSERT_FALSE(open(agent, "node-1", SECRET_1).error.has_value());
  agents.clear();
  ASSERT_TRUE(waitFor([&] { return nodeStatus("node-1") == manager::NodeStatus::DISCONNECTED; }));
  EXPECT_EQ(server->connectionCount(), 0u);
}

TEST_F(ManagerServerTest, ASinkThatFailsIsTreatedAsTheConnectionLost) {
  TestAgent& agent = connect();
  ASSERT_FALSE(open(agent, "node-1", SECRET_1).error.has_value());
  agent.pushes.broken = true;
  TestControl& control = connectControl();
  manager::ControlAnswer created = apply(control, manager::CreateService{serviceSpec("web", 1)});
  ASSERT_FALSE(created.error.has_value());
  advance(Duration::seconds(1));
  EXPECT_EQ(server->connectionCount(), 1u);
  // Cap'n Proto reports a failed stream call on the next call to the same sink: the next
  // assignment set. The server then drops the connection, and the session closes.
  ASSERT_FALSE(apply(control, manager::ScaleService{ServiceId{created.id}, 2}).error.has_value());
  advance(Duration::seconds(1));
  EXPECT_EQ(server->connectionCount(), 0u);
  EXPECT_EQ(nodeStatus("node-1"), manager::NodeStatus::DISCONNECTED);
  // The server goes on serving others.
  TestAgent& other = connect();
  EXPECT_FALSE(open(other, "node-2", SECRET_2).error.has_value());
}

TEST_F(ManagerServerTest, AFailedStoreWriteStopsTheServerWithItsError) {
  TestAgent& agent = connect();
  ASSERT_FALSE(open(agent, "node-1", SECRET_1).error.has_value());
  TestControl& control = connectControl();
  kj::Promise<void> stopped = server->stopped();
  env->failing = true;
  auto request = control.control.applyRequest();
  encode(request.initOperation(),
         manager::ControlOperation{manager::CreateService{serviceSpec("web", 1)}});
  auto answer = request.send();
  ASSERT_TRUE(waitFor([&] { return stopped.poll(ws); }));
  try {
    stopped.wait(ws);
    ADD_FAILURE() << "stopped() resolved";
  } catch (const kj::Exception& exception) {
    std::string description = exception.getDescription().cStr();
    EXPECT_NE(description.find("store refused a write"), std::string::npos) << description;
    EXPECT_NE(description.find("injected write failure"), std::string::npos) << description;
  }
  // The control call that asked fails instead of waiting for ever; the agent is cut off.
  EXPECT_ANY_THROW(answer.wait(ws));
  ASSERT_TRUE(waitFor([&] { return server->connectionCount() == 0; }));
}

TEST_F(ManagerServerTest, ControlCreatesAServiceAndListsItsTasks) {
  TestAgent& agent = connect();
  ASSERT_FALSE(open(agent, "node-1", SECRET_1).error.has_value());
  TestControl& control = connectControl();
  manager::ControlAnswer created = apply(control, manager::CreateService{serviceSpec("web", 2)});
  ASSERT_FALSE(created.error.has_value()) << created.error->message;
  ServiceId service{created.id};
  ASSERT_FALSE(service.empty());

  std::vector<Task> tasks = listTasks(control, TaskFilter{service, {}});
  ASSERT_EQ(tasks.size(), 2u);
  for (const Task& task : tasks) {
    EXPECT_EQ(task.serviceId, service);
    EXPECT_EQ(task.nodeId, NodeId{"node-1"});
  }
  EXPECT_TRUE(listTasks(control, TaskFilter{ServiceId{"no-such-service"}, {}}).empty());

  // Inspect by name, and a clear refusal for what does not exist.
  auto inspect = control.control.inspectServiceRequest();
  inspect.setRef("web");
  auto found = settle<capnp::Response<schema::ServiceLookup>>(inspect.send());
  auto lookup = decodeServiceLookup(found);
  ASSERT_TRUE(lookup.ok()) << lookup.error;
  ASSERT_TRUE(std::holds_alternative<manager::ServiceRecord>(*lookup.value));
  EXPECT_EQ(std::get<manager::ServiceRecord>(*lookup.value).id, service);

  auto missing = control.control.inspectServiceRequest();
  missing.setRef("nothing");
  auto notFound = settle<capnp::Response<schema::ServiceLookup>>(missing.send());
  auto refused = decodeServiceLookup(notFound);
  ASSERT_TRUE(refused.ok()) << refused.error;
  ASSERT_TRUE(std::holds_alternative<manager::ControlError>(*refused.value));
  EXPECT_EQ(std::get<manager::ControlError>(*refused.value).code,
            manager::ControlErrorCode::NOT_FOUND);

  // The core's own refusal comes back as data, and an empty operation is refused by the codec.
  manager::ControlAnswer duplicate = apply(control, manager::CreateService{serviceSpec("web", 1)});
  ASSERT_TRUE(duplicate.error.has_value());
  EXPECT_EQ(duplicate.error->code, manager::ControlErrorCode::ALREADY_EXISTS);
  auto empty = control.control.applyRequest();
  empty.initOperation();
  auto answer = settle<capnp::Response<schema::ControlResult>>(empty.send());
  auto decoded = decodeControlResult(answer);
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  ASSERT_TRUE(decoded.value->error.has_value());
  EXPECT_EQ(decoded.value->error->code, manager::ControlErrorCode::INVALID_ARGUMENT);
}

TEST_F(ManagerServerTest, RestartOnTheSameStoreRestoresTheCluster) {
  TestAgent& agent = connect();
  ASSERT_FALSE(open(agent, "node-1", SECRET_1).error.has_value());
  TestControl& control = connectControl();
  manager::ControlAnswer created = apply(control, manager::CreateService{serviceSpec("web", 2)});
  ASSERT_FALSE(created.error.has_value());
  manager::ClusterState before = server->state().cluster;
  ASSERT_EQ(before.tasks.size(), 2u);

  restart();
  const manager::ClusterState& after = server->state().cluster;
  ASSERT_EQ(after.services.size(), 1u);
  EXPECT_EQ(after.services.begin()->first, ServiceId{created.id});
  EXPECT_EQ(after.tasks.size(), 2u);
  ASSERT_EQ(after.nodes.count(NodeId{"node-1"}), 1u);
  // A restarted manager does not know whether the node is still there.
  EXPECT_EQ(nodeStatus("node-1"), manager::NodeStatus::UNKNOWN);

  // The node comes back to the restarted server and its tasks are still its own.
  TestAgent& back = connect();
  ASSERT_FALSE(open(back, "node-1", SECRET_1).error.has_value());
  EXPECT_EQ(nodeStatus("node-1"), manager::NodeStatus::READY);
  TestControl& again = connectControl();
  EXPECT_EQ(listTasks(again, TaskFilter{{}, NodeId{"node-1"}}).size(), 2u);
}

TEST_F(ManagerServerTest, AWorkerTokenJoinGivesACredentialThatOpensASessionAndNothingElse) {
  TestControl& control = connectControl();
  auto cluster = inspectCluster(control);
  EXPECT_EQ(std::string(cluster.getLeaderNodeId()), "manager-1");
  std::string workerToken = cluster.getWorkerToken();
  ASSERT_EQ(workerToken.substr(0, 9), "SWMTKN-1-");
  EXPECT_NE(workerToken, std::string(cluster.getManagerToken()));

  TestAgent& joiner = connect();
  auto joined = join(joiner, workerToken);
  ASSERT_TRUE(std::holds_alternative<JoinGrant>(joined)) << std::get<RpcError>(joined).message;
  JoinGrant grant = std::get<JoinGrant>(joined);
  EXPECT_EQ(grant.role, NodeRole::WORKER);
  TestAgent& agent = connect();
  ASSERT_FALSE(open(agent, grant.node.value, grant.secret).error.has_value());
  EXPECT_EQ(server->state().cluster.nodes.at(grant.node).role, NodeRole::WORKER);
  // The credential is the node's own: another secret for its id is refused.
  TestAgent& impostor = connect();
  shell::SessionReply refused = open(impostor, grant.node.value, "guessed");
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->code, ErrorCode::UNAUTHENTICATED);

  // A token of the right shape with a wrong secret, and garbage, are refused as data.
  std::string wrong = workerToken.substr(0, workerToken.size() - 25) + std::string(25, '0');
  auto refusedJoin = join(connect(), wrong);
  ASSERT_TRUE(std::holds_alternative<RpcError>(refusedJoin));
  EXPECT_EQ(std::get<RpcError>(refusedJoin).code, ErrorCode::UNAUTHENTICATED);
  EXPECT_NE(std::get<RpcError>(refusedJoin).message.find("rotated"), std::string::npos);
  auto garbage = join(connect(), "hello");
  ASSERT_TRUE(std::holds_alternative<RpcError>(garbage));
  EXPECT_EQ(std::get<RpcError>(garbage).code, ErrorCode::UNAUTHENTICATED);
}

TEST_F(ManagerServerTest, AManagerTokenJoinMakesAManagerThatEverySessionIsToldOf) {
  // The leader's own agent registers first, as a manager: the list names it.
  ASSERT_FALSE(open(connect(), "manager-1", "leader-secret").error.has_value());
  EXPECT_EQ(server->state().cluster.nodes.at(NodeId{"manager-1"}).role, NodeRole::MANAGER);
  TestAgent& worker = connect();
  ASSERT_FALSE(open(worker, "node-1", SECRET_1).error.has_value());
  TestControl& control = connectControl();
  std::string managerToken = inspectCluster(control).getManagerToken();

  auto joined = join(connect(), managerToken, "127.0.0.1:5001");
  ASSERT_TRUE(std::holds_alternative<JoinGrant>(joined));
  JoinGrant grant = std::get<JoinGrant>(joined);
  EXPECT_EQ(grant.role, NodeRole::MANAGER);
  std::vector<Peer> both = {Peer{NodeId{"manager-1"}, "127.0.0.1:4242"},
                            Peer{grant.node, "127.0.0.1:5001"}};
  ASSERT_TRUE(waitFor([&] { return server->managers() == both; }));
  ASSERT_TRUE(waitFor([&] {
    return !worker.pushes.messages.empty() &&
           worker.pushes.messages.back().message.managers.size() == 2;
  }));
  // It registers as a manager, and demoting it takes it off the list again.
  TestAgent& promoted = connect();
  ASSERT_FALSE(open(promoted, grant.node.value, grant.secret).error.has_value());
  EXPECT_EQ(server->state().cluster.nodes.at(grant.node).role, NodeRole::MANAGER);
  auto cluster = inspectCluster(control);
  EXPECT_EQ(cluster.getManagers().size(), 2u);
  ASSERT_FALSE(apply(control, manager::DemoteNode{grant.node}).error.has_value());
  ASSERT_TRUE(waitFor([&] { return server->managers().size() == 1; }));
  ASSERT_TRUE(waitFor([&] { return worker.pushes.messages.back().message.managers.size() == 1; }));
  // Promoting it brings it back at the address it joined with.
  ASSERT_FALSE(apply(control, manager::PromoteNode{grant.node}).error.has_value());
  ASSERT_TRUE(waitFor([&] { return server->managers() == both; }));
}

TEST_F(ManagerServerTest, ARotatedTokenIsRefusedAndARemovedNodesCredentialIsRevoked) {
  TestControl& control = connectControl();
  std::string oldToken = inspectCluster(control).getWorkerToken();
  auto joined = join(connect(), oldToken);
  ASSERT_TRUE(std::holds_alternative<JoinGrant>(joined));
  JoinGrant grant = std::get<JoinGrant>(joined);

  auto rotate = control.control.rotateTokenRequest();
  rotate.setRole(schema::NodeRole::WORKER);
  auto rotated = settle<capnp::Response<schema::ClusterInfo>>(rotate.send());
  std::string newToken = rotated.getWorkerToken();
  EXPECT_NE(newToken, oldToken);
  auto refused = join(connect(), oldToken);
  ASSERT_TRUE(std::holds_alternative<RpcError>(refused));
  EXPECT_EQ(std::get<RpcError>(refused).code, ErrorCode::UNAUTHENTICATED);
  EXPECT_TRUE(std::holds_alternative<JoinGrant>(join(connect(), newToken)));

  // The node that joined with the old token keeps its credential until it is removed.
  {
    TestAgent& agent = connect();
    ASSERT_FALSE(open(agent, grant.node.value, grant.secret).error.has_value());
  }
  agents.clear();
  ASSERT_FALSE(apply(control, manager::RemoveNode{grant.node, /*force=*/true}).error.has_value());
  shell::SessionReply after = open(connect(), grant.node.value, grant.secret);
  ASSERT_TRUE(after.error.has_value());
  EXPECT_EQ(after.error->code, ErrorCode::UNAUTHENTICATED);

  // Tokens and credentials survive a restart.
  restart();
  TestControl& again = connectControl();
  EXPECT_EQ(std::string(inspectCluster(again).getWorkerToken()), newToken);
  EXPECT_TRUE(open(connect(), grant.node.value, grant.secret).error.has_value());
}

// --- Real loopback TCP, a real Unix socket and a real LevelDB directory ----------------------

class ManagerServerTcpTest : public testing::Test {
 protected:
  ManagerServerTcpTest() {
    char pattern[] = "/tmp/manager-server-test-XXXXXX";
    KJ_REQUIRE(::mkdtemp(pattern) != nullptr);
    directory = pattern;
  }
  ~ManagerServerTcpTest() noexcept override {
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }

  std::string directory;
  kj::AsyncIoContext io = kj::setupAsyncIo();
};

TEST_F(ManagerServerTcpTest, ServesAgentsOverTcpAndControlOverAUnixSocket) {
  ManagerServerOptions options;
  options.listenAddress = "127.0.0.1:0";
  options.controlSocketPath = directory + "/control.sock";
  options.controlAddress = "127.0.0.1:0";
  options.storeDirectory = directory + "/store";
  options.heartbeatPeriod = PERIOD;
  options.seed = 7;
  options.managers = {Peer{NodeId{"manager-1"}, "127.0.0.1:4242"}};
  options.credentials = testCredentials();
  auto opened = ManagerServer::open(io.provider->getTimer(), kj::mv(options));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  kj::Own<ManagerServer> server = kj::mv(opened.value());
  server->listen(io.provider->getNetwork()).wait(io.waitScope);
  ASSERT_NE(server->agentPort(), 0u);

  auto& network = io.provider->getNetwork();
  auto stream = network.parseAddress("127.0.0.1", server->agentPort())
                    .wait(io.waitScope)
                    ->connect()
                    .wait(io.waitScope);
  TestAgent agent(kj::mv(stream));
  auto request = agent.dispatcher.sessionRequest();
  NodeDescription description;
  description.hostname = "tcp-node";
  encode(request, shell::OpenSessionCall{{}, description});
  request.setSink(agent.sink);
  request.initCredential().setNodeId("node-1");
  request.getCredential().setSecret(
      capnp::Data::Reader(reinterpret_cast<const kj::byte*>(SECRET_1), 16));
  auto response = request.send().wait(io.waitScope);
  auto result = decodeSessionResult(response.getResult());
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_FALSE(result.value->error.has_value()) << result.value->error->message;
  schema::Session::Client session = response.getResult().getOpened().getSession();
  auto beat = session.heartbeatRequest().send().wait(io.waitScope);
  auto period = decodeHeartbeatResult(beat);
  ASSERT_TRUE(period.ok()) << period.error;
  EXPECT_FALSE(period.value->error.has_value());

  auto controlStream = network.parseAddress("unix:" + directory + "/control.sock")
                           .wait(io.waitScope)
                           ->connect()
                           .wait(io.waitScope);
  TestControl control(kj::mv(controlStream));
  auto apply = control.control.applyRequest();
  encode(apply.initOperation(),
         manager::ControlOperation{manager::CreateService{serviceSpec("web", 1)}});
  auto applied = apply.send().wait(io.waitScope);
  auto answer = decodeControlResult(applied);
  ASSERT_TRUE(answer.ok()) << answer.error;
  ASSERT_FALSE(answer.value->error.has_value()) << answer.value->error->message;
  auto list = control.control.listTasksRequest();
  list.initFilter();
  auto listed = list.send().wait(io.waitScope);
  auto tasks = decodeTaskList(listed.getTasks());
  ASSERT_TRUE(tasks.ok()) << tasks.error;
  ASSERT_EQ(tasks.value->size(), 1u);
  EXPECT_EQ((*tasks.value)[0].nodeId, NodeId{"node-1"});

  // Control over TCP too: the node is there.
  auto tcpStream = network.parseAddress("127.0.0.1", server->controlPort())
                       .wait(io.waitScope)
                       ->connect()
                       .wait(io.waitScope);
  TestControl tcpControl(kj::mv(tcpStream));
  auto nodes = tcpControl.control.listNodesRequest().send().wait(io.waitScope);
  auto decodedNodes = decodeNodeList(nodes.getNodes());
  ASSERT_TRUE(decodedNodes.ok()) << decodedNodes.error;
  ASSERT_EQ(decodedNodes.value->size(), 1u);
  EXPECT_EQ((*decodedNodes.value)[0].description.hostname, "tcp-node");

  // The control socket is its owner's alone.
  EXPECT_EQ(std::filesystem::status(directory + "/control.sock").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

}  // namespace
}  // namespace swarmlet::io

namespace swarmlet::io {
namespace {

TEST_F(ManagerServerTcpTest, AnAddressInUseIsRefusedWithALineNamingIt) {
  auto taken = io.provider->getNetwork().parseAddress("127.0.0.1", 0).wait(io.waitScope)->listen();
  ManagerServerOptions options;
  options.listenAddress = "127.0.0.1:" + std::to_string(taken->getPort());
  options.storeDirectory = directory + "/store";
  options.credentials = testCredentials();
  auto opened = ManagerServer::open(io.provider->getTimer(), kj::mv(options));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  try {
    opened.value()->listen(io.provider->getNetwork()).wait(io.waitScope);
    ADD_FAILURE() << "listening on a taken port succeeded";
  } catch (const kj::Exception& exception) {
    std::string description = exception.getDescription().cStr();
    EXPECT_NE(description.find("cannot listen for agents on 127.0.0.1:" +
                               std::to_string(taken->getPort())),
              std::string::npos)
        << description;
  }
}

// Flow control needs a real socket (Cap'n Proto sizes a stream's window from the socket's send
// buffer; an in-memory pipe has no limit): a socketpair, and real time.
TEST_F(ManagerServerTcpTest, AnAgentThatStopsReadingItsPushesIsDropped) {
  ManagerServerOptions options;
  options.listenAddress = "";
  options.storeDirectory = directory + "/store";
  options.heartbeatPeriod = PERIOD;
  options.credentials = testCredentials();
  options.pushesInFlightMax = 2;
  auto opened = ManagerServer::open(io.provider->getTimer(), kj::mv(options));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  kj::Own<ManagerServer> server = kj::mv(opened.value());
  auto wait = [&](int milliseconds) {
    io.provider->getTimer().afterDelay(milliseconds * kj::MILLISECONDS).wait(io.waitScope);
  };

  auto pipe = io.provider->newTwoWayPipe();
  server->accept(kj::mv(pipe.ends[0]));
  TestAgent agent(kj::mv(pipe.ends[1]));
  auto request = agent.dispatcher.sessionRequest();
  encode(request, shell::OpenSessionCall{{}, NodeDescription{}});
  request.setSink(agent.sink);
  request.initCredential().setNodeId("node-1");
  request.getCredential().setSecret(
      capnp::Data::Reader(reinterpret_cast<const kj::byte*>(SECRET_1), 16));
  auto response = request.send().wait(io.waitScope);
  ASSERT_TRUE(response.getResult().isOpened());
  for (int i = 0; i < 100 && agent.pushes.assignments.empty(); ++i)
    wait(10);
  ASSERT_EQ(agent.pushes.assignments.size(), 1u);
  agent.pushes.stalled = true;

  // Tasks big enough that one assignment set fills the stream's window, then more sets behind it.
  auto controlPipe = io.provider->newTwoWayPipe();
  server->acceptControl(kj::mv(controlPipe.ends[0]));
  TestControl control(kj::mv(controlPipe.ends[1]));
  manager::ServiceSpec spec = serviceSpec("big", 200);
  spec.task.args = {std::string(4000, 'a')};
  auto create = control.control.applyRequest();
  encode(create.initOperation(), manager::ControlOperation{manager::CreateService{spec}});
  auto created = create.send().wait(io.waitScope);
  ASSERT_TRUE(created.isDone());
  std::string service = created.getDone();
  for (int64_t replicas = 201; replicas < 220 && server->connectionCount() > 0; ++replicas) {
    auto scale = control.control.applyRequest();
    encode(scale.initOperation(),
           manager::ControlOperation{manager::ScaleService{ServiceId{service}, replicas}});
    ASSERT_TRUE(scale.send().wait(io.waitScope).isDone());
    wait(100);
  }
  EXPECT_EQ(server->connectionCount(), 0u);
  EXPECT_EQ(server->state().cluster.nodes.at(NodeId{"node-1"}).status,
            manager::NodeStatus::DISCONNECTED);
}

}  // namespace
}  // namespace swarmlet::io

namespace swarmlet::io {
namespace {

// A follower's endpoint (io/manager-forwarder.h): agents that connect to it are served by the
// leader, each on a leader connection of its own, and a close on either side closes the other.
TEST_F(ManagerServerTcpTest, AFollowerForwardsEachAgentConnectionToTheLeader) {
  ManagerServerOptions options;
  options.listenAddress = "127.0.0.1:0";
  options.storeDirectory = directory + "/store";
  options.heartbeatPeriod = PERIOD;
  options.managers = {Peer{NodeId{"manager-1"}, "127.0.0.1:4242"}};
  options.credentials = testCredentials();
  auto opened = ManagerServer::open(io.provider->getTimer(), kj::mv(options));
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  kj::Own<ManagerServer> server = kj::mv(opened.value());
  auto& network = io.provider->getNetwork();
  server->listen(network).wait(io.waitScope);
  std::string leader = "127.0.0.1:" + std::to_string(server->agentPort());
  ManagerForwarder forwarder(network, [&leader]() { return leader; });
  forwarder.listen("127.0.0.1:0").wait(io.waitScope);
  ASSERT_NE(forwarder.port(), 0u);

  auto viaFollower = [&]() {
    return kj::heap<TestAgent>(network.parseAddress("127.0.0.1", forwarder.port())
                                   .wait(io.waitScope)
                                   ->connect()
                                   .wait(io.waitScope));
  };
  auto openSession = [&](TestAgent& agent, const char* node, const char* secret) {
    auto request = agent.dispatcher.sessionRequest();
    encode(request, shell::OpenSessionCall{{}, NodeDescription{node, "linux/amd64", 1000, 1, {}}});
    request.setSink(agent.sink);
    request.initCredential().setNodeId(node);
    request.getCredential().setSecret(
        capnp::Data::Reader(reinterpret_cast<const kj::byte*>(secret), strlen(secret)));
    auto response = request.send().wait(io.waitScope);
    auto result = decodeSessionResult(response.getResult());
    KJ_REQUIRE(result.ok(), result.error);
    if (!result.value->error.has_value())
      agent.session = response.getResult().getOpened().getSession();
    return *result.value;
  };
  auto waitFor = [&](const std::function<bool()>& done) {
    for (int i = 0; i < 200 && !done(); ++i)
      io.provider->getTimer().afterDelay(10 * kj::MILLISECONDS).wait(io.waitScope);
    return done();
  };

  kj::Own<TestAgent> one = viaFollower();
  kj::Own<TestAgent> two = viaFollower();
  ASSERT_FALSE(openSession(*one, "node-1", SECRET_1).error.has_value());
  ASSERT_FALSE(openSession(*two, "node-2", SECRET_2).error.has_value());
  auto beat = one->current().heartbeatRequest().send().wait(io.waitScope);
  auto period = decodeHeartbeatResult(beat);
  ASSERT_TRUE(period.ok()) << period.error;
  EXPECT_FALSE(period.value->error.has_value());
  EXPECT_EQ(server->connectionCount(), 2u);
  EXPECT_EQ(forwarder.active(), 2u);
  EXPECT_EQ(server->state().cluster.nodes.at(NodeId{"node-2"}).status, manager::NodeStatus::READY);

  // The agent hangs up: the leader sees its connection close and the session with it.
  two = nullptr;
  ASSERT_TRUE(waitFor([&] {
    return server->connectionCount() == 1 && forwarder.active() == 1 &&
           server->state().cluster.nodes.at(NodeId{"node-2"}).status != manager::NodeStatus::READY;
  })) << server->connectionCount()
      << " leader connections, " << forwarder.active() << " forwarded";

  // The leader goes away: the forwarded agent is hung up on, and a new one finds nobody.
  server = nullptr;
  ASSERT_TRUE(waitFor([&] { return forwarder.active() == 0; }));
  kj::Own<TestAgent> late = viaFollower();
  auto refused = late->dispatcher.sessionRequest().send().then(
      [](auto&&) { return false; }, [](kj::Exception&&) { return true; });
  EXPECT_TRUE(refused.wait(io.waitScope));
  EXPECT_EQ(forwarder.forwarded(), 3u);
}

}  // namespace
}  // namespace swarmlet::io
