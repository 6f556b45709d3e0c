// The agent driver (io/agent-driver.h) against a scripted Dispatcher on in-memory pipes, with a
// manual timer (kj::TimerImpl), LevelDB on the memory Env and an instant in-memory executor. The
// core is wrapped in the simulator's invariant checkers (sim/checked-agent.h), so every step of
// every test is checked.
#include "io/agent-driver.h"

#include <capnp/message.h>
#include <capnp/rpc-twoparty.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <kj/debug.h>
#include <kj/timer.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>

#include <stdlib.h>

#include <deque>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/limits.h"
#include "core/prng.h"
#include "dispatcher.capnp.h"
#include "io/codec.h"
#include "io/leveldb-store.h"
#include "sim/checked-agent.h"

namespace swarmlet::io {
namespace {

constexpr const char* MANAGER_ADDRESS = "manager:4242";
constexpr const char* NODE = "node-1";
constexpr const char* CREDENTIAL = "secret-1";

// --- The core, checked after every step --------------------------------------------------------

class CheckedCore final : public AgentCorePort {
 public:
  explicit CheckedCore(uint64_t seed) : agent_(agent::AgentConfig{seed}) {}

  kj::Vector<agent::Effect> step(Instant now, agent::Input&& input) override {
    steps++;
    std::vector<agent::Effect> effects = agent_.step(now, input);
    for (const agent::Effect& effect : effects) {
      if (std::holds_alternative<agent::Persist>(effect)) persists++;
    }
    kj::Vector<agent::Effect> out(effects.size());
    for (agent::Effect& effect : effects)
      out.add(std::move(effect));
    return out;
  }
  std::optional<Instant> nextDeadline() const override { return agent_.nextDeadline(); }
  const agent::AgentState& state() const override { return agent_.state(); }

  // A new process on the same store: `survivor` is what the store holds.
  void restart(uint64_t seed, const agent::StoreSnapshot& survivor) {
    agent_.crash(agent::AgentConfig{seed}, survivor);
  }
  const std::vector<std::string>& violations() const { return agent_.violations(); }

  uint64_t steps = 0;
  uint64_t persists = 0;

 private:
  sim::CheckedAgent agent_;
};

// --- An executor that answers at once, except WAIT, which runs until the test ends it ----------

class InstantExecutor final : public ExecutorPort {
 public:
  kj::Promise<agent::ExecutorResult> run(const agent::ExecutorOperation& operation) override {
    calls.push_back(operation.call);
    if (operation.call != agent::ExecutorCall::WAIT) {
      // (evalLater, not an immediate promise: gcc 12 warns falsely about the latter's string.)
      return kj::evalLater([]() { return agent::ExecutorResult{}; });
    }
    auto exit = kj::newPromiseAndFulfiller<void>();
    TaskId task = operation.taskId;
    waits[task] = kj::mv(exit.fulfiller);
    return exit.promise.then([this, task]() {
      return agent::ExecutorResult{agent::ErrorClass::NONE, exitCodes[task], ""};
    });
  }
  void updateDependencies(const agent::UpdateDependencies&) override { dependencyUpdates++; }
  kj::Promise<std::optional<NodeDescription>> describe() override {
    return kj::evalLater([]() {
      return std::optional<NodeDescription>(
          NodeDescription{NODE, "linux/amd64", 2000, 1 << 30, {}});
    });
  }

  // The process of `task` exits with `code`. Returns false when no WAIT is in flight for it.
  bool exit(const TaskId& task, int32_t code) {
    auto it = waits.find(task);
    if (it == waits.end() || !it->second->isWaiting()) return false;
    exitCodes[task] = code;
    it->second->fulfill();
    return true;
  }

  std::vector<agent::ExecutorCall> calls;
  std::map<TaskId, kj::Own<kj::PromiseFulfiller<void>>> waits;
  std::map<TaskId, std::optional<int32_t>> exitCodes;
  int dependencyUpdates = 0;
};

// --- A scripted manager: a Dispatcher per connection, over in-memory pipes ---------------------

class ScriptedManager final : public DialerPort, private kj::TaskSet::ErrorHandler {
 public:
  explicit ScriptedManager(kj::Timer& timer) : timer_(timer), tasks_(*this) {}
  ~ScriptedManager() noexcept(false) { connections_.clear(); }

  kj::Promise<kj::Own<kj::AsyncIoStream>> connect(const std::string& address) override {
    dials++;
    if (address != advertised) {
      return KJ_EXCEPTION(DISCONNECTED, "no such host", address);
    }
    if (refuseDials) return KJ_EXCEPTION(DISCONNECTED, "connection refused");
    auto pipe = kj::newTwoWayPipe();
    serve(kj::mv(pipe.ends[0]));
    return kj::mv(pipe.ends[1]);
  }

  // Serves a Dispatcher on `stream` (one end of a pipe, or an accepted TCP connection).
  void serve(kj::Own<kj::AsyncIoStream> stream) {
    auto connection = kj::heap<ServerConnection>();
    connection->index = nextConnection_++;
    connection->stream = kj::mv(stream);
    connection->network = kj::heap<capnp::TwoPartyVatNetwork>(*connection->stream,
                                                              capnp::rpc::twoparty::Side::SERVER);
    connection->rpc = kj::heap(capnp::makeRpcServer(
        *connection->network,
        schema::Dispatcher::Client(kj::heap<DispatcherImpl>(*this, connection->index))));
    connections_[connection->index] = kj::mv(connection);
  }

  // Every connection breaks, as if the manager's process died.
  void cutAll() { connections_.clear(); }

  // Pushes an assignment message on the newest session.
  void pushAssignments(AssignmentsMessage message) {
    ServerConnection* connection = newest();
    KJ_ASSERT(connection != nullptr);
    KJ_IF_MAYBE (sink, connection->sink) {
      auto request = sink->assignmentsRequest();
      encode(request, shell::AssignmentsPush{connection->sessionId, kj::mv(message)});
      tasks_.add(request.send());
    }
  }

  // The next message of the assignment stream of the newest session (COMPLETE first).
  AssignmentsMessage nextAssignments(std::vector<AssignmentChange> changes) {
    AssignmentsMessage message;
    message.type = streamAt_.empty() ? AssignmentType::COMPLETE : AssignmentType::INCREMENTAL;
    message.appliesTo = streamAt_;
    message.resultsIn = "v" + std::to_string(++streamVersion_);
    message.changes = kj::mv(changes);
    streamAt_ = message.resultsIn;
    return message;
  }

  // Answers held back by the test: released in order by release().
  void release() {
    for (auto& held : held_) {
      if (held->isWaiting()) held->fulfill();
    }
    held_.clear();
  }

  struct StatusCall {
    kj::TimePoint at;
    std::vector<TaskStatusUpdate> updates;
  };

  // Settings the tests change.
  std::string advertised = MANAGER_ADDRESS;
  bool refuseDials = false;
  bool holdHeartbeats = false;
  bool holdStatuses = false;
  bool holdOpens = false;
  bool refuseCredentials = false;
  Duration period = Duration::seconds(1);
  // Called with every status batch before it is answered.
  std::function<void(const std::vector<TaskStatusUpdate>&)> onStatuses;

  // What the manager saw.
  int dials = 0;
  std::vector<shell::OpenSessionCall> opens;
  std::vector<kj::TimePoint> heartbeats;
  std::vector<StatusCall> statusCalls;
  std::map<TaskId, TaskStatus> latest;
  int resyncs = 0;
  std::vector<std::string> identities;

 private:
  struct ServerConnection {
    uint32_t index = 0;
    kj::Own<kj::AsyncIoStream> stream;
    kj::Own<capnp::TwoPartyVatNetwork> network;
    kj::Own<capnp::RpcSystem<capnp::rpc::twoparty::VatId>> rpc;
    kj::Maybe<schema::SessionSink::Client> sink;
    SessionId sessionId;
  };

  class SessionImpl final : public schema::Session::Server {
   public:
    SessionImpl(ScriptedManager& manager, SessionId id) : manager_(manager), id_(kj::mv(id)) {}

    kj::Promise<void> heartbeat(HeartbeatContext context) override {
      manager_.heartbeats.push_back(manager_.timer_.now());
      kj::Promise<void> answer = kj::READY_NOW;
      if (manager_.holdHeartbeats) {
        auto held = kj::newPromiseAndFulfiller<void>();
        manager_.held_.push_back(kj::mv(held.fulfiller));
        answer = kj::mv(held.promise);
      }
      Duration period = manager_.period;
      return answer.then([context, period]() mutable {
        encode(context.getResults(), shell::HeartbeatReply{period, std::nullopt});
      });
    }

    kj::Promise<void> updateTaskStatus(UpdateTaskStatusContext context) override {
      Decoded<shell::StatusesCall> call = decodeStatusesCall(context.getParams(), id_);
      KJ_REQUIRE(call.ok(), call.error);
      if (manager_.onStatuses) manager_.onStatuses(call.value->updates);
      manager_.statusCalls.push_back({manager_.timer_.now(), call.value->updates});
      for (const TaskStatusUpdate& update : call.value->updates) {
        manager_.latest[update.taskId] = update.status;
      }
      kj::Promise<void> answer = kj::READY_NOW;
      if (manager_.holdStatuses) {
        auto held = kj::newPromiseAndFulfiller<void>();
        manager_.held_.push_back(kj::mv(held.fulfiller));
        answer = kj::mv(held.promise);
      }
      BatchId batch = call.value->batch;
      return answer.then([context, batch]() mutable {
        encode(context.getResults(), shell::StatusesReply{batch, std::nullopt});
      });
    }

    kj::Promise<void> resync(ResyncContext) override {
      manager_.resyncs++;
      return kj::READY_NOW;
    }

   private:
    ScriptedManager& manager_;
    SessionId id_;
  };

  class DispatcherImpl final : public schema::Dispatcher::Server {
   public:
    DispatcherImpl(ScriptedManager& manager, uint32_t connection)
        : manager_(manager), connection_(connection) {}

    kj::Promise<void> session(SessionContext context) override {
      auto params = context.getParams();
      auto credential = params.getCredential();
      capnp::Data::Reader secret = credential.getSecret();
      manager_.identities.push_back(std::string(credential.getNodeId().cStr()) + "/" +
                                    std::string(secret.asChars().begin(), secret.size()));
      Decoded<shell::OpenSessionCall> open = decodeSessionParams(params);
      KJ_REQUIRE(open.ok(), open.error);
      manager_.opens.push_back(*open.value);
      if (manager_.holdOpens) {
        auto held = kj::newPromiseAndFulfiller<void>();
        manager_.held_.push_back(kj::mv(held.fulfiller));
        return held.promise.then([this, context]() mutable { return answer(context); });
      }
      return answer(context);
    }

   private:
    kj::Promise<void> answer(SessionContext& context) {
      auto params = context.getParams();
      Decoded<shell::OpenSessionCall> open = decodeSessionParams(params);
      auto result = context.getResults().initResult();
      if (manager_.refuseCredentials) {
        encode(result, shell::SessionReply{{}, {}, RpcError{ErrorCode::UNAUTHENTICATED, "no"}});
        return kj::READY_NOW;
      }
      SessionId id = open.value->previousSessionId;
      if (id.value.empty()) id = SessionId{"session-" + std::to_string(++manager_.sessions_)};
      auto it = manager_.connections_.find(connection_);
      if (it == manager_.connections_.end()) return KJ_EXCEPTION(DISCONNECTED, "connection cut");
      it->second->sink = params.getSink();
      it->second->sessionId = id;
      manager_.streamAt_.clear();
      SessionMessage message;
      message.managers.push_back(WeightedPeer{Peer{NodeId{"manager-1"}, manager_.advertised},
                                              limits::REMOTE_WEIGHT_DEFAULT});
      encode(result, shell::SessionReply{id, message, std::nullopt});
      result.getOpened().setSession(kj::heap<SessionImpl>(manager_, id));
      return kj::READY_NOW;
    }

    ScriptedManager& manager_;
    uint32_t connection_;
  };

  ServerConnection* newest() {
    if (connections_.empty()) return nullptr;
    return connections_.rbegin()->second.get();
  }

  // A push's promise resolves on flow control; a failed push shows as the connection closing.
  void taskFailed(kj::Exception&&) override {}
  kj::Timer& timer_;
  std::map<uint32_t, kj::Own<ServerConnection>> connections_;
  uint32_t nextConnection_ = 0;
  uint64_t sessions_ = 0;
  std::string streamAt_;
  uint64_t streamVersion_ = 0;
  std::vector<kj::Own<kj::PromiseFulfiller<void>>> held_;
  kj::TaskSet tasks_;
};

// --- The fixture --------------------------------------------------------------------------------

Task runningTask(const std::string& id) {
  Task task;
  task.id = TaskId{id};
  task.serviceId = ServiceId{"service-1"};
  task.slot = 1;
  task.nodeId = NodeId{NODE};
  task.spec.command = "/bin/sleep";
  task.spec.args = {"1000"};
  task.desiredState = TaskState::RUNNING;
  task.status.state = TaskState::ASSIGNED;
  task.version = 1;
  return task;
}

struct AgentDriverTest : ::testing::Test {
  AgentDriverTest() {
    auto opened = LevelDbStore::open("/agent-store", StoreKind::AGENT, StoreOptions{env.get()});
    KJ_REQUIRE(opened.ok(), opened.error().message);
    db = kj::mv(opened.value());
  }
  ~AgentDriverTest() noexcept override {
    driver = nullptr;
    store = nullptr;
    manager = nullptr;
    db = nullptr;
  }

  void startDriver(uint64_t seed = 1) {
    if (core == nullptr) {
      core = std::make_unique<CheckedCore>(seed);
    } else {
      core->restart(seed, storedTasks());
    }
    store = kj::heap<AgentStore>(*db);
    AgentDriverOptions options;
    options.nodeId = NodeId{NODE};
    options.credential = CREDENTIAL;
    options.description = NodeDescription{NODE, "linux/amd64", 2000, 1 << 30, {}};
    options.joinAddress = MANAGER_ADDRESS;
    driver = kj::heap<AgentDriver>(AgentPorts{timer, *store, executor, *manager, *core, nullptr},
                                   options);
    std::optional<std::string> error = driver->start();
    ASSERT_FALSE(error.has_value()) << *error;
    settle();
  }

  // The process dies: connections and calls in flight are gone, the store stays.
  void killDriver() {
    driver = nullptr;
    store = nullptr;
    settle();
  }

  // What the store holds, read on its own.
  agent::StoreSnapshot storedTasks() {
    AgentStore reader(*db);
    auto restored = reader.restore();
    KJ_REQUIRE(restored.ok(), restored.error().message);
    return restored.value().tasks;
  }

  void settle() { ws.poll(); }

  // Advances the manual clock by `duration`, firing every timer on the way at its own time.
  void advance(Duration duration) {
    kj::TimePoint target = timer.now() + duration.count() * kj::NANOSECONDS;
    settle();
    for (;;) {
      KJ_IF_MAYBE (next, timer.nextEvent()) {
        if (*next <= target) {
          timer.advanceTo(kj::max(*next, timer.now()));
          settle();
          continue;
        }
      }
      break;
    }
    timer.advanceTo(target);
    settle();
  }

  Duration since(kj::TimePoint at) const {
    return Duration::nanoseconds((timer.now() - at) / kj::NANOSECONDS);
  }

  void expectNoViolations() {
    ASSERT_NE(core, nullptr);
    for (const std::string& violation : core->violations())
      ADD_FAILURE() << violation;
  }

  std::unique_ptr<leveldb::Env> env{leveldb::NewMemEnv(leveldb::Env::Default())};
  kj::EventLoop loop;
  kj::WaitScope ws{loop};
  kj::TimerImpl timer{kj::origin<kj::TimePoint>()};
  kj::Own<LevelDbStore> db;
  kj::Own<ScriptedManager> manager = kj::heap<ScriptedManager>(timer);
  InstantExecutor executor;
  std::unique_ptr<CheckedCore> core;
  kj::Own<AgentStore> store;
  kj::Own<AgentDriver> driver;
};

// --- The tests ----------------------------------------------------------------------------------

TEST_F(AgentDriverTest, RegistersWithItsIdentityAndHeartbeatsAtTheAnsweredPeriod) {
  manager->period = Duration::milliseconds(700);
  startDriver();
  ASSERT_EQ(manager->dials, 1);
  ASSERT_EQ(manager->opens.size(), 1u);
  EXPECT_EQ(manager->identities, std::vector<std::string>{std::string(NODE) + "/" + CREDENTIAL});
  EXPECT_TRUE(manager->opens[0].previousSessionId.value.empty());
  EXPECT_EQ(manager->opens[0].description.hostname, NODE);
  EXPECT_TRUE(driver->liveConnection().has_value());

  advance(Duration::seconds(7));
  // The first heartbeat at once, then one every 700 ms: 11 in 7 s.
  ASSERT_EQ(manager->heartbeats.size(), 11u);
  for (size_t i = 1; i < manager->heartbeats.size(); ++i) {
    EXPECT_EQ((manager->heartbeats[i] - manager->heartbeats[i - 1]) / kj::MILLISECONDS, 700) << i;
  }
  EXPECT_EQ(manager->opens.size(), 1u);
  expectNoViolations();
}

TEST_F(AgentDriverTest, StatusesArePersistedBeforeTheManagerSeesThem) {
  startDriver();
  size_t checked = 0;
  manager->onStatuses = [&](const std::vector<TaskStatusUpdate>& updates) {
    agent::StoreSnapshot stored = storedTasks();
    for (const TaskStatusUpdate& update : updates) {
      auto it = stored.find(update.taskId);
      ASSERT_NE(it, stored.end()) << update.taskId.value;
      ASSERT_TRUE(it->second.status.has_value());
      // The store holds this status, or a later one the agent persisted while the call was on
      // its way (a task's status never moves backwards).
      const TaskStatus& stored = *it->second.status;
      if (stored.state == update.status.state) {
        EXPECT_EQ(stored, update.status) << update.taskId.value;
      } else {
        EXPECT_GT(stored.state, update.status.state) << update.taskId.value;
        EXPECT_GE(stored.timestamp, update.status.timestamp) << update.taskId.value;
      }
      checked++;
    }
  };
  manager->pushAssignments(manager->nextAssignments(
      {AssignmentChange{AssignmentAction::UPDATE, runningTask("task-a")},
       AssignmentChange{AssignmentAction::UPDATE, runningTask("task-b")}}));
  advance(Duration::seconds(2));

  EXPECT_EQ(manager->latest[TaskId{"task-a"}].state, TaskState::RUNNING);
  EXPECT_EQ(manager->latest[TaskId{"task-b"}].state, TaskState::RUNNING);
  EXPECT_GE(checked, 2u);
  // Every executor call of the task's way to RUNNING ran, WAIT still in flight.
  EXPECT_EQ(std::count(executor.calls.begin(), executor.calls.end(), agent::ExecutorCall::START),
            2);
  EXPECT_EQ(executor.waits.size(), 2u);

  // The process of task-a exits 0: COMPLETE with its exit code, persisted first.
  ASSERT_TRUE(executor.exit(TaskId{"task-a"}, 0));
  advance(Duration::seconds(2));
  EXPECT_EQ(manager->latest[TaskId{"task-a"}].state, TaskState::COMPLETE);
  EXPECT_EQ(manager->latest[TaskId{"task-a"}].exitCode, std::optional<int32_t>(0));
  EXPECT_EQ(storedTasks().at(TaskId{"task-a"}).status->state, TaskState::COMPLETE);
  expectNoViolations();
}

TEST_F(AgentDriverTest, PersistsOfOneTurnShareOneCommit) {
  startDriver();
  std::vector<AssignmentChange> changes;
  for (int i = 0; i < 50; ++i) {
    changes.push_back(
        AssignmentChange{AssignmentAction::UPDATE, runningTask("task-" + std::to_string(i))});
  }
  manager->pushAssignments(manager->nextAssignments(kj::mv(changes)));
  advance(Duration::seconds(3));
  ASSERT_EQ(manager->latest.size(), 50u);
  for (const auto& [id, status] : manager->latest)
    EXPECT_EQ(status.state, TaskState::RUNNING);
  // 50 tasks, each persisted on its way through several states, by far fewer synced batches
  // than steps that persisted: the executor's answers of one turn join one commit.
  const AgentDriverStats& stats = driver->stats();
  EXPECT_GE(core->persists, 100u);
  EXPECT_LT(stats.commits * 4, core->persists) << stats.commits << " commits";
  std::cerr << "steps " << stats.steps << ", steps that persisted " << core->persists
            << ", commits " << stats.commits << ", store ops " << stats.committedOps << "\n";
  EXPECT_GE(stats.committedOps, 50u * 4);
  expectNoViolations();
}

TEST_F(AgentDriverTest, AMalformedPushIsRefusedAndTheAgentReconnects) {
  startDriver();
  advance(Duration::seconds(1));
  // An incremental message whose task has an unknown state: the codec refuses it.
  AssignmentsMessage message = manager->nextAssignments(
      {AssignmentChange{AssignmentAction::UPDATE, runningTask("task-bad")}});
  std::get<Task>(message.changes[0].item).status.state = static_cast<TaskState>(901);
  manager->pushAssignments(message);
  advance(Duration::seconds(1));
  EXPECT_EQ(driver->stats().refusedPushes, 1u);
  EXPECT_GE(manager->opens.size(), 2u);
  EXPECT_TRUE(driver->liveConnection().has_value());
  EXPECT_EQ(core->state().worker.tasks.count(TaskId{"task-bad"}), 0u);
  expectNoViolations();
}

// A heartbeat period below HEARTBEAT_PERIOD_MIN would fail the core's precondition: the codec
// refuses it and the session fails as `internal`, with no assertion anywhere.
TEST_F(AgentDriverTest, AnAnswerTheCodecRefusesFailsTheSessionInsteadOfTheAgent) {
  manager->period = Duration::nanoseconds(1);
  startDriver();
  advance(Duration::seconds(1));
  EXPECT_FALSE(driver->stopped());
  EXPECT_GE(manager->opens.size(), 2u) << "the refused answer did not end the session";
  manager->period = Duration::seconds(1);
  advance(Duration::seconds(10));
  size_t opens = manager->opens.size();
  advance(Duration::seconds(5));
  EXPECT_EQ(manager->opens.size(), opens) << "the session did not settle";
  EXPECT_TRUE(driver->liveConnection().has_value());
  expectNoViolations();
}

TEST_F(AgentDriverTest, ACutConnectionBacksOffAndReconnectsResumingTheSession) {
  startDriver();
  advance(Duration::seconds(1));
  ASSERT_EQ(manager->opens.size(), 1u);
  manager->cutAll();
  settle();
  EXPECT_FALSE(driver->liveConnection().has_value());
  // Backoff after the first failure: up to 100 ms (full jitter), then a new dial.
  advance(Duration::milliseconds(150));
  ASSERT_EQ(manager->opens.size(), 2u);
  EXPECT_EQ(manager->opens[1].previousSessionId.value, "session-1");
  EXPECT_TRUE(driver->liveConnection().has_value());
  size_t before = manager->heartbeats.size();
  advance(Duration::seconds(3));
  EXPECT_GE(manager->heartbeats.size(), before + 3);
  expectNoViolations();
}

TEST_F(AgentDriverTest, RefusedDialsBackOffUntilTheManagerIsBack) {
  manager->refuseDials = true;
  startDriver();
  advance(Duration::seconds(20));
  int refused = manager->dials;
  // min(100ms + 2b, 8s) grows to 8 s: a handful of dials in 20 s, not hundreds.
  EXPECT_GE(refused, 4);
  EXPECT_LE(refused, 12);
  EXPECT_TRUE(manager->opens.empty());
  manager->refuseDials = false;
  advance(Duration::seconds(9));
  EXPECT_EQ(manager->opens.size(), 1u);
  EXPECT_TRUE(driver->liveConnection().has_value());
  expectNoViolations();
}

TEST_F(AgentDriverTest, AHeartbeatAnsweredPastItsTimeoutEndsTheSession) {
  startDriver();
  advance(Duration::seconds(2));
  ASSERT_EQ(manager->opens.size(), 1u);
  manager->holdHeartbeats = true;
  // The next heartbeat goes out within a period and is not answered for 5 s.
  advance(Duration::seconds(1) + limits::HEARTBEAT_TIMEOUT + Duration::milliseconds(200));
  EXPECT_EQ(manager->opens.size(), 2u) << "the agent did not reconnect";
  // The late answers reach no one: the old connection is gone.
  manager->holdHeartbeats = false;
  manager->release();
  advance(Duration::seconds(3));
  EXPECT_TRUE(driver->liveConnection().has_value());
  EXPECT_EQ(manager->opens.size(), 2u);
  expectNoViolations();
}

TEST_F(AgentDriverTest, AnOpenAnsweredPastItsTimeoutIsRetriedOnANewConnection) {
  manager->holdOpens = true;
  startDriver();
  advance(limits::SESSION_START_TIMEOUT - Duration::milliseconds(10));
  EXPECT_EQ(manager->opens.size(), 1u);
  EXPECT_FALSE(driver->stopped());
  // The open times out; the agent backs off (at most 100 ms) and dials again.
  advance(Duration::milliseconds(200));
  ASSERT_EQ(manager->opens.size(), 2u);
  EXPECT_EQ(manager->dials, 2);
  // Both held answers are released: the first is for a connection the agent closed.
  manager->holdOpens = false;
  manager->release();
  advance(Duration::seconds(2));
  EXPECT_TRUE(driver->liveConnection().has_value());
  EXPECT_EQ(*driver->liveConnection(), core->state().session.generation);
  EXPECT_GE(manager->heartbeats.size(), 2u);
  expectNoViolations();
}

TEST_F(AgentDriverTest, ARestartOnTheSameStoreReReportsEveryStoredStatus) {
  startDriver(1);
  manager->pushAssignments(manager->nextAssignments(
      {AssignmentChange{AssignmentAction::UPDATE, runningTask("task-a")},
       AssignmentChange{AssignmentAction::UPDATE, runningTask("task-b")}}));
  advance(Duration::seconds(2));
  ASSERT_EQ(manager->latest.size(), 2u);
  agent::StoreSnapshot before = storedTasks();
  ASSERT_EQ(before.size(), 2u);

  killDriver();
  manager->statusCalls.clear();
  manager->latest.clear();
  startDriver(2);
  advance(Duration::seconds(2));
  // The saved manager list was used and the stored statuses were all sent again.
  ASSERT_GE(manager->opens.size(), 2u);
  for (const auto& [id, record] : before) {
    ASSERT_EQ(manager->latest.count(id), 1u) << id.value;
  }
  expectNoViolations();
}

TEST_F(AgentDriverTest, AGracefulStopWaitsForTheStatusSendsBeforeIt) {
  startDriver();
  manager->pushAssignments(
      manager->nextAssignments({AssignmentChange{AssignmentAction::UPDATE, runningTask("t")}}));
  advance(Duration::seconds(2));
  ASSERT_EQ(manager->latest[TaskId{"t"}].state, TaskState::RUNNING);
  // The task completes; its status reaches the manager, whose answer is held back.
  manager->holdStatuses = true;
  ASSERT_TRUE(executor.exit(TaskId{"t"}, 3));
  advance(Duration::milliseconds(500));
  ASSERT_EQ(manager->latest[TaskId{"t"}].state, TaskState::COMPLETE);
  EXPECT_EQ(manager->latest[TaskId{"t"}].exitCode, std::optional<int32_t>(3));

  bool done = false;
  std::string error = "not set";
  auto stopping = driver->stop()
                      .then([&](AgentExit exit) {
                        done = true;
                        error = exit.error;
                      })
                      .eagerlyEvaluate(nullptr);
  advance(Duration::milliseconds(500));
  EXPECT_FALSE(done) << "the stop did not wait for the status answer";
  manager->release();
  advance(Duration::milliseconds(10));
  EXPECT_TRUE(done);
  stopping.wait(ws);
  EXPECT_EQ(error, "");
  EXPECT_TRUE(driver->stopped());
  expectNoViolations();
}

TEST_F(AgentDriverTest, AGracefulStopGivesUpOnUnansweredSendsAfterItsTimeout) {
  startDriver();
  manager->pushAssignments(
      manager->nextAssignments({AssignmentChange{AssignmentAction::UPDATE, runningTask("t")}}));
  advance(Duration::seconds(2));
  manager->holdStatuses = true;
  ASSERT_TRUE(executor.exit(TaskId{"t"}, 0));
  advance(Duration::milliseconds(500));
  bool done = false;
  auto stopping = driver->stop().then([&](AgentExit) { done = true; }).eagerlyEvaluate(nullptr);
  advance(Duration::nanoseconds(STOP_FLUSH_TIMEOUT / kj::NANOSECONDS) - Duration::milliseconds(10));
  EXPECT_FALSE(done);
  advance(Duration::milliseconds(20));
  EXPECT_TRUE(done);
  stopping.wait(ws);
  expectNoViolations();
}

TEST_F(AgentDriverTest, AnUnassignedTaskIsCanceledShutDownAndRemoved) {
  startDriver();
  manager->pushAssignments(
      manager->nextAssignments({AssignmentChange{AssignmentAction::UPDATE, runningTask("t")}}));
  advance(Duration::seconds(2));
  ASSERT_EQ(executor.waits.size(), 1u);
  ASSERT_TRUE(executor.waits.begin()->second->isWaiting());
  AssignmentChange removal{AssignmentAction::REMOVE, runningTask("t")};
  manager->pushAssignments(manager->nextAssignments({removal}));
  advance(Duration::seconds(2));
  // The WAIT was cancelled (its promise dropped), then the task shut down and removed, and
  // only then its record deleted.
  EXPECT_FALSE(executor.waits.begin()->second->isWaiting());
  auto has = [&](agent::ExecutorCall call) {
    return std::count(executor.calls.begin(), executor.calls.end(), call);
  };
  EXPECT_EQ(has(agent::ExecutorCall::SHUTDOWN), 1);
  EXPECT_EQ(has(agent::ExecutorCall::REMOVE), 1);
  EXPECT_EQ(storedTasks().count(TaskId{"t"}), 0u);
  EXPECT_TRUE(core->state().worker.tasks.empty());
  expectNoViolations();
}

TEST_F(AgentDriverTest, LeavingRemovesEveryTaskThenStops) {
  startDriver();
  manager->pushAssignments(
      manager->nextAssignments({AssignmentChange{AssignmentAction::UPDATE, runningTask("a")},
                                AssignmentChange{AssignmentAction::UPDATE, runningTask("b")}}));
  advance(Duration::seconds(2));
  ASSERT_EQ(storedTasks().size(), 2u);
  bool done = false;
  auto stopped = driver->onStopped().then([&](AgentExit) { done = true; }).eagerlyEvaluate(nullptr);
  driver->leave();
  advance(Duration::seconds(3));
  EXPECT_TRUE(done);
  EXPECT_TRUE(storedTasks().empty());
  EXPECT_EQ(std::count(executor.calls.begin(), executor.calls.end(), agent::ExecutorCall::REMOVE),
            2);
  expectNoViolations();
}

// Regression: a stop asked from a notice stepped the core while the operations of the step that
// raised the notice were still being executed, so its hang-up ran ahead of that step's heartbeat.
TEST_F(AgentDriverTest, AStopAskedFromANoticeWaitsForTheStepsOperations) {
  struct StopWhenReady final : AgentNotices {
    AgentDriver* driver = nullptr;
    int readies = 0;
    void ready() override {
      readies++;
      driver->stop().detach([](kj::Exception&&) {});
    }
  } notices;
  core = std::make_unique<CheckedCore>(1);
  store = kj::heap<AgentStore>(*db);
  AgentDriverOptions options;
  options.nodeId = NodeId{NODE};
  options.credential = CREDENTIAL;
  options.joinAddress = MANAGER_ADDRESS;
  driver = kj::heap<AgentDriver>(AgentPorts{timer, *store, executor, *manager, *core, &notices},
                                 options);
  notices.driver = driver.get();
  ASSERT_FALSE(driver->start().has_value());
  advance(Duration::seconds(1));
  EXPECT_EQ(notices.readies, 1);
  ASSERT_TRUE(driver->stopped());
  EXPECT_EQ(driver->onStopped().wait(ws).error, "") << "the driver failed instead of stopping";
  expectNoViolations();
}

TEST_F(AgentDriverTest, RefusedCredentialsStopTheAgentWithAClearError) {
  manager->refuseCredentials = true;
  startDriver();
  advance(Duration::seconds(1));
  ASSERT_TRUE(driver->stopped());
  AgentExit exit = driver->onStopped().wait(ws);
  EXPECT_NE(exit.error.find("credential"), std::string::npos) << exit.error;
  expectNoViolations();
}

// Cuts connections, holds answers past their timeouts, kills the agent and restarts it on the
// same store, all drawn from a seed; the invariant checkers run after every step, and once the
// faults stop the agent converges: registered, every task RUNNING at the manager.
TEST_F(AgentDriverTest, SeededFaultsKeepTheInvariantsAndConverge) {
  // 20 seeds by default; AGENT_DRIVER_SEEDS=N runs N (a longer sweep by hand).
  uint64_t seeds = 20;
  if (const char* count = getenv("AGENT_DRIVER_SEEDS")) seeds = std::stoull(count);
  size_t converged = 0;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Prng prng(seed);
    uint64_t incarnation = 0;
    startDriver(seed * 100 + incarnation);
    int tasks = 0;
    for (int round = 0; round < 40; ++round) {
      switch (prng.uniform(9)) {
        case 0:
          manager->cutAll();
          break;
        case 1:
          manager->holdHeartbeats = true;
          break;
        case 2:
          manager->holdHeartbeats = false;
          manager->release();
          break;
        case 3:
          killDriver();
          startDriver(seed * 100 + ++incarnation);
          break;
        case 4:
          manager->holdOpens = prng.uniform(2) == 0;
          break;
        case 5:
          manager->holdStatuses = prng.uniform(2) == 0;
          break;
        default:
          if (driver->liveConnection().has_value() && tasks < 8) {
            std::vector<AssignmentChange> changes;
            for (int i = 0; i <= tasks; ++i) {
              changes.push_back(AssignmentChange{AssignmentAction::UPDATE,
                                                 runningTask("task-" + std::to_string(i))});
            }
            tasks++;
            manager->pushAssignments(manager->nextAssignments(kj::mv(changes)));
          }
          break;
      }
      advance(Duration::milliseconds(static_cast<int64_t>(prng.uniform(3000))));
      ASSERT_TRUE(core->violations().empty()) << core->violations().front();
      ASSERT_FALSE(driver->stopped());
    }
    // Heal: no more faults; the agent registers and reports every task it holds.
    manager->holdHeartbeats = false;
    manager->holdOpens = false;
    manager->holdStatuses = false;
    manager->release();
    advance(Duration::seconds(30));
    EXPECT_TRUE(driver->liveConnection().has_value());
    for (const auto& [id, entry] : core->state().worker.tasks) {
      EXPECT_EQ(manager->latest[id].state, entry.task.status.state) << id.value;
      converged++;
    }
    expectNoViolations();
    killDriver();
    // A fresh store and manager for the next seed.
    core = nullptr;
    manager = kj::heap<ScriptedManager>(timer);
    db = nullptr;
    env.reset(leveldb::NewMemEnv(leveldb::Env::Default()));
    auto opened = LevelDbStore::open("/agent-store", StoreKind::AGENT, StoreOptions{env.get()});
    ASSERT_TRUE(opened.ok());
    db = kj::mv(opened.value());
  }
  // The faults left work to converge on: tasks were running when the heal phase began.
  EXPECT_GT(converged, seeds);
}

kj::Promise<void> acceptLoop(kj::ConnectionReceiver& listener, ScriptedManager& manager) {
  return listener.accept().then([&listener, &manager](kj::Own<kj::AsyncIoStream>&& stream) {
    manager.serve(kj::mv(stream));
    return acceptLoop(listener, manager);
  });
}

// The real thing: TCP on 127.0.0.1 through TcpDialer, the system's timer, a LevelDB directory.
TEST(AgentDriverTcpTest, RegistersHeartbeatsAndReportsOverLoopbackTcp) {
  char directory[] = "/tmp/agent-driver-test-XXXXXX";
  ASSERT_NE(mkdtemp(directory), nullptr);
  {
    kj::AsyncIoContext io = kj::setupAsyncIo();
    kj::Timer& timer = io.provider->getTimer();
    kj::Network& network = io.provider->getNetwork();
    kj::Own<kj::ConnectionReceiver> listener =
        network.parseAddress("127.0.0.1", 0).wait(io.waitScope)->listen();
    ScriptedManager manager(timer);
    manager.advertised = "127.0.0.1:" + std::to_string(listener->getPort());
    manager.period = Duration::milliseconds(20);
    kj::Promise<void> accepting = acceptLoop(*listener, manager).eagerlyEvaluate(nullptr);

    auto opened = LevelDbStore::open(std::string(directory) + "/store", StoreKind::AGENT);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    kj::Own<LevelDbStore> db = kj::mv(opened.value());
    {
      AgentStore store(*db);
      TcpDialer dialer(network);
      CheckedCore core(7);
      InstantExecutor executor;
      AgentDriverOptions options;
      options.nodeId = NodeId{NODE};
      options.credential = CREDENTIAL;
      options.description = NodeDescription{NODE, "linux/amd64", 2000, 1 << 30, {}};
      options.joinAddress = manager.advertised;
      AgentDriver driver(AgentPorts{timer, store, executor, dialer, core, nullptr}, options);
      ASSERT_FALSE(driver.start().has_value());
      timer.afterDelay(200 * kj::MILLISECONDS).wait(io.waitScope);
      ASSERT_EQ(manager.opens.size(), 1u);
      manager.pushAssignments(
          manager.nextAssignments({AssignmentChange{AssignmentAction::UPDATE, runningTask("t")}}));
      timer.afterDelay(200 * kj::MILLISECONDS).wait(io.waitScope);

      EXPECT_EQ(manager.identities.size(), 1u);
      // 400 ms at a 20 ms period: well over ten heartbeats, on one session.
      EXPECT_GE(manager.heartbeats.size(), 10u);
      EXPECT_EQ(manager.opens.size(), 1u);
      EXPECT_EQ(manager.latest[TaskId{"t"}].state, TaskState::RUNNING);
      AgentExit exit = driver.stop().wait(io.waitScope);
      EXPECT_EQ(exit.error, "");
      for (const std::string& violation : core.violations())
        ADD_FAILURE() << violation;
    }
    // What the agent wrote is on disk.
    AgentStore reader(*db);
    auto restored = reader.restore();
    ASSERT_TRUE(restored.ok());
    EXPECT_EQ(restored.value().tasks.at(TaskId{"t"}).status->state, TaskState::RUNNING);
    EXPECT_EQ(restored.value().managers.size(), 1u);
  }
  std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace swarmlet::io
