// End-to-end dispatch over real loopback RPC: one manager server (io/manager-server.h) and N
// agent drivers (io/agent-driver.h) in one process, on one thread and one KJ event loop, talking
// Cap'n Proto over 127.0.0.1 TCP. Each iteration starts from N registered agents, creates a
// replicated service through the control API and runs until the manager holds every task
// RUNNING. Two executors:
//
// - instant: every executor call succeeds on the next turn of the loop (WAIT never ends), so the
//   figure is the shell's and the cores' cost per task;
// - process: the production ProcessExecutor, each task a real /bin/sleep under the task shim.
//
// The stores are LevelDB on its memory Env (a commit costs its CPU, not an fsync: the store's own
// figures are store-bench's). Items: tasks RUNNING; the `statuses` counter is task status updates
// the manager received per second. Targets in ../shared/design/targets.md.
#include <benchmark/benchmark.h>
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/agent-driver.h"
#include "io/agent-store.h"
#include "io/codec-control.h"
#include "io/codec.h"
#include "io/manager-server.h"
#include "io/process-executor-port.h"
#include "io/process-executor.h"

namespace swarmlet::io {
namespace {

constexpr kj::Duration CONVERGE_LIMIT = 120 * kj::SECONDS;
constexpr kj::Duration POLL_INTERVAL = 5 * kj::MILLISECONDS;

NodeDescription describeNode(const std::string& name) {
  return NodeDescription{name, "linux/amd64", 2000, int64_t{1} << 30, {}};
}

// Every call succeeds on the next turn of the loop, except WAIT, which runs until cancelled.
class InstantExecutor final : public ExecutorPort {
 public:
  explicit InstantExecutor(std::string name) : name_(kj::mv(name)) {}
  kj::Promise<agent::ExecutorResult> run(const agent::ExecutorOperation& operation) override {
    if (operation.call == agent::ExecutorCall::WAIT) {
      return kj::Promise<agent::ExecutorResult>(kj::NEVER_DONE);
    }
    return kj::evalLater([]() { return agent::ExecutorResult{}; });
  }
  void updateDependencies(const agent::UpdateDependencies&) override {}
  kj::Promise<std::optional<NodeDescription>> describe() override {
    NodeDescription description = describeNode(name_);
    return kj::evalLater([description]() { return std::optional<NodeDescription>(description); });
  }

 private:
  std::string name_;
};

enum class ExecutorKind { INSTANT, PROCESS };

struct Node {
  kj::Own<LevelDbStore> db;
  std::unique_ptr<AgentStore> store;
  kj::Own<ProcessExecutor> processes;
  std::unique_ptr<ExecutorPort> executor;
  std::unique_ptr<TcpDialer> dialer;
  std::unique_ptr<AgentCore> core;
  std::unique_ptr<AgentDriver> driver;
};

// A manager server and `agents` registered agent drivers on loopback.
class RpcCluster {
 public:
  RpcCluster(size_t agents, ExecutorKind kind) : kind_(kind) {
    char pattern[] = "/tmp/dispatch-rpc-bench-XXXXXX";
    KJ_REQUIRE(::mkdtemp(pattern) != nullptr, "mkdtemp failed");
    directory_ = pattern;
    startManager(agents);
    nodes_.resize(agents);
    for (size_t i = 0; i < agents; ++i)
      startNode(i);
    waitFor([this] { return registered() == nodes_.size(); });
  }

  ~RpcCluster() noexcept(false) {
    nodes_.clear();
    control_ = nullptr;
    controlClient_ = nullptr;
    controlStream_ = nullptr;
    // The server's sessions go with their connections, once the loop has seen them close; a
    // session freed after the server would reach back into it.
    for (int i = 0; i < 500 && server_->connectionCount() > 0; ++i)
      timer().afterDelay(10 * kj::MILLISECONDS).wait(io_.waitScope);
    server_ = nullptr;
    managerDb_ = nullptr;
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  // Creates a service of `replicas` tasks and runs the loop until the manager has them all
  // RUNNING.
  void dispatch(int64_t replicas) {
    target_ = static_cast<size_t>(replicas);
    auto reached = kj::newPromiseAndFulfiller<void>();
    reached_ = kj::mv(reached.fulfiller);
    manager::ServiceSpec spec;
    spec.name = "bench";
    spec.replicas = replicas;
    spec.task.command = "/bin/sleep";
    spec.task.args = {"100000"};
    serviceId_ = apply(manager::CreateService{spec}).id;
    reached.promise
        .exclusiveJoin(timer().afterDelay(CONVERGE_LIMIT).then([]() {
          KJ_FAIL_REQUIRE("the cluster did not converge");
        }))
        .wait(io_.waitScope);
    reached_ = nullptr;
  }

  // Removes the service and runs until its tasks are gone (their processes stopped).
  void removeService() {
    apply(manager::RemoveService{ServiceId{serviceId_}});
    waitFor([this] { return server_->state().cluster.tasks.empty(); });
  }

  uint64_t statusUpdates() const { return statusUpdates_; }

 private:
  kj::Timer& timer() { return io_.provider->getTimer(); }

  void startManager(size_t agents) {
    auto opened = LevelDbStore::open("/manager", StoreKind::MANAGER, StoreOptions{memory_.get()});
    KJ_REQUIRE(opened.ok(), opened.error().message);
    managerDb_ = kj::mv(opened.value());
    ManagerServerOptions options;
    options.listenAddress = "127.0.0.1:0";
    options.store = managerDb_.get();
    options.seed = 1;
    options.managers = {Peer{NodeId{"manager-1"}, "127.0.0.1:4242"}};
    for (size_t i = 0; i < agents; ++i)
      options.credentials[NodeId{"node-" + std::to_string(i)}] = "secret";
    options.observer = [this](Instant, const manager::Input& input,
                              const std::vector<manager::Effect>&,
                              const manager::ManagerState& state) { observe(input, state); };
    auto server = ManagerServer::open(timer(), kj::mv(options));
    KJ_REQUIRE(server.ok(), server.error().message);
    server_ = kj::mv(server.value());
    server_->listen(io_.provider->getNetwork()).wait(io_.waitScope);
    managerAddress_ = "127.0.0.1:" + std::to_string(server_->agentPort());
    auto pipe = kj::newTwoWayPipe();
    server_->acceptControl(kj::mv(pipe.ends[0]));
    controlStream_ = kj::mv(pipe.ends[1]);
    controlClient_ = kj::heap<capnp::TwoPartyClient>(*controlStream_);
    control_ =
        kj::heap<schema::Control::Client>(controlClient_->bootstrap().castAs<schema::Control>());
  }

  void startNode(size_t index) {
    Node& node = nodes_[index];
    std::string name = "node-" + std::to_string(index);
    auto opened = LevelDbStore::open("/" + name, StoreKind::AGENT, StoreOptions{memory_.get()});
    KJ_REQUIRE(opened.ok(), opened.error().message);
    node.db = kj::mv(opened.value());
    node.store = std::make_unique<AgentStore>(*node.db);
    if (kind_ == ExecutorKind::PROCESS) {
      ProcessExecutorOptions executorOptions;
      executorOptions.stateDir = directory_ + "/" + name;
      executorOptions.shimPath = SWARMLET_TASK_SHIM;
      executorOptions.stopGrace = Duration::seconds(2);
      auto executor = ProcessExecutor::open(io_.unixEventPort, timer(), executorOptions);
      KJ_REQUIRE(executor.is<kj::Own<ProcessExecutor>>(), executor.get<std::string>());
      node.processes = kj::mv(executor.get<kj::Own<ProcessExecutor>>());
      node.executor = std::make_unique<ProcessExecutorPort>(*node.processes);
    } else {
      node.executor = std::make_unique<InstantExecutor>(name);
    }
    node.dialer = std::make_unique<TcpDialer>(io_.provider->getNetwork());
    node.core = std::make_unique<AgentCore>(agent::AgentConfig{index + 2});
    AgentDriverOptions options;
    options.nodeId = NodeId{name};
    options.credential = "secret";
    options.description = describeNode(name);
    options.joinAddress = managerAddress_;
    node.driver = std::make_unique<AgentDriver>(
        AgentPorts{timer(), *node.store, *node.executor, *node.dialer, *node.core, nullptr},
        options);
    std::optional<std::string> failed = node.driver->start();
    KJ_REQUIRE(!failed.has_value(), *failed);
  }

  manager::ControlAnswer apply(manager::ControlOperation operation) {
    auto request = control_->applyRequest();
    encode(request.initOperation(), operation);
    auto response = request.send().wait(io_.waitScope);
    auto answer = decodeControlResult(response);
    KJ_REQUIRE(answer.ok(), answer.error);
    return *answer.value;
  }

  // Counts the statuses received and, once the batch that stores them is written, whether the
  // target is reached (only on the inputs that can change a task's status).
  void observe(const manager::Input& input, const manager::ManagerState& state) {
    if (const auto* statuses = std::get_if<manager::StatusesReceived>(&input)) {
      statusUpdates_ += statuses->updates.size();
    } else if (!std::holds_alternative<manager::Tick>(input)) {
      return;
    }
    if (reached_.get() == nullptr || !reached_->isWaiting()) return;
    size_t running = 0;
    for (const auto& [id, task] : state.cluster.tasks) {
      running += task.desiredState == TaskState::RUNNING && task.status.state == TaskState::RUNNING;
    }
    if (running == target_) reached_->fulfill();
  }

  template <typename Done>
  void waitFor(Done done) {
    kj::TimePoint until = timer().now() + CONVERGE_LIMIT;
    while (!done()) {
      KJ_REQUIRE(timer().now() < until, "the cluster did not settle");
      timer().afterDelay(POLL_INTERVAL).wait(io_.waitScope);
    }
  }

  size_t registered() const {
    size_t ready = 0;
    for (const auto& [id, node] : server_->state().cluster.nodes)
      ready += node.status == manager::NodeStatus::READY;
    return ready;
  }

  ExecutorKind kind_;
  std::string directory_;
  std::string managerAddress_;
  std::unique_ptr<leveldb::Env> memory_{leveldb::NewMemEnv(leveldb::Env::Default())};
  kj::AsyncIoContext io_ = kj::setupAsyncIo();
  kj::Own<LevelDbStore> managerDb_;
  kj::Own<ManagerServer> server_;
  kj::Own<kj::AsyncIoStream> controlStream_;
  kj::Own<capnp::TwoPartyClient> controlClient_;
  kj::Own<schema::Control::Client> control_;
  std::vector<Node> nodes_;
  std::string serviceId_;
  size_t target_ = 0;
  kj::Own<kj::PromiseFulfiller<void>> reached_;
  uint64_t statusUpdates_ = 0;
};

// Args: agents, tasks per agent. The cluster is built and torn down outside the timed part.
void runDispatch(benchmark::State& state, ExecutorKind kind) {
  const auto agents = static_cast<size_t>(state.range(0));
  const auto replicas = static_cast<int64_t>(agents) * state.range(1);
  uint64_t statuses = 0;
  double seconds = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto cluster = std::make_unique<RpcCluster>(agents, kind);
    uint64_t before = cluster->statusUpdates();
    auto start = std::chrono::steady_clock::now();
    state.ResumeTiming();
    cluster->dispatch(replicas);
    state.PauseTiming();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    statuses += cluster->statusUpdates() - before;
    if (kind == ExecutorKind::PROCESS) cluster->removeService();
    cluster.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * replicas);
  state.counters["statuses_per_s"] = static_cast<double>(statuses) / seconds;
}

void BM_DispatchToRunningRpcInstantExecutor(benchmark::State& state) {
  runDispatch(state, ExecutorKind::INSTANT);
}
BENCHMARK(BM_DispatchToRunningRpcInstantExecutor)
    ->ArgNames({"agents", "tasks_per_agent"})
    ->Args({10, 100})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_DispatchToRunningRpcProcessExecutor(benchmark::State& state) {
  runDispatch(state, ExecutorKind::PROCESS);
}
BENCHMARK(BM_DispatchToRunningRpcProcessExecutor)
    ->ArgNames({"agents", "tasks_per_agent"})
    ->Args({2, 50})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace swarmlet::io

BENCHMARK_MAIN();
