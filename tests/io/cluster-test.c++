// The whole production shell in one process: a manager server and three agent drivers over real
// loopback TCP, each on a real LevelDB directory, running tasks as real processes under the task
// shim. A replicated service runs; a killed task process is replaced by the restart policy; an
// agent's driver is killed mid-run and restarted on its store (its executor re-adopts the running
// task: no duplicate process, the statuses reported again); removing the service stops every
// process.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/async-unix.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/agent-driver.h"
#include "io/agent-store.h"
#include "io/codec-control.h"
#include "io/manager-server.h"
#include "io/process-executor-port.h"
#include "io/process-executor.h"

namespace swarmlet::io {
namespace {

constexpr int AGENTS = 3;

// The pids of the live processes whose command line is exactly `sleep SECONDS`: the tasks.
std::vector<pid_t> taskProcesses(const std::string& seconds) {
  std::vector<pid_t> pids;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* entry = ::readdir(proc)) {
    pid_t pid = static_cast<pid_t>(::atoi(entry->d_name));
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::string(entry->d_name) + "/cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline == std::string("/bin/sleep\0", 11) + seconds + std::string("\0", 1)) {
      std::ifstream stat("/proc/" + std::string(entry->d_name) + "/stat");
      std::string line;
      std::getline(stat, line);
      size_t close = line.rfind(')');
      if (close != std::string::npos && line.size() > close + 2 && line[close + 2] == 'Z') continue;
      pids.push_back(pid);
    }
  }
  ::closedir(proc);
  return pids;
}

uint16_t freePort(kj::AsyncIoContext& io) {
  auto listener =
      io.provider->getNetwork().parseAddress("127.0.0.1", 0).wait(io.waitScope)->listen();
  return static_cast<uint16_t>(listener->getPort());
}

// One node: its store, executor and driver. Dropping it without stop() is the driver's crash.
struct Node {
  NodeId id;
  std::string directory;
  kj::Own<LevelDbStore> db;
  std::unique_ptr<AgentStore> store;
  kj::Own<ProcessExecutor> executor;
  std::unique_ptr<ProcessExecutorPort> executorPort;
  std::unique_ptr<TcpDialer> dialer;
  std::unique_ptr<AgentCore> core;
  std::unique_ptr<AgentDriver> driver;
};

class ClusterTest : public testing::Test {
 protected:
  ClusterTest() {
    char pattern[] = "/tmp/cluster-test-XXXXXX";
    KJ_REQUIRE(::mkdtemp(pattern) != nullptr);
    directory = pattern;
    seconds = std::to_string(100000 + ::getpid());
  }
  ~ClusterTest() noexcept override {
    for (Node& node : nodes)
      crash(node);
    for (pid_t pid : taskProcesses(seconds))
      ::kill(pid, SIGKILL);
    control = nullptr;
    controlClient = nullptr;
    controlStream = nullptr;
    server = nullptr;
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
  }

  void startManager() {
    std::string address = "127.0.0.1:" + std::to_string(freePort(io));
    ManagerServerOptions options;
    options.listenAddress = address;
    options.controlSocketPath = directory + "/control.sock";
    options.storeDirectory = directory + "/manager";
    options.heartbeatPeriod = Duration::seconds(1);
    options.seed = 11;
    options.managers = {Peer{NodeId{"manager-1"}, address}};
    for (int i = 1; i <= AGENTS; ++i)
      options.credentials[NodeId{"node-" + std::to_string(i)}] = "secret-" + std::to_string(i);
    auto opened = ManagerServer::open(timer, kj::mv(options));
    KJ_REQUIRE(opened.ok(), opened.error().message);
    server = kj::mv(opened.value());
    server->listen(io.provider->getNetwork()).wait(io.waitScope);
    managerAddress = address;
    controlStream = io.provider->getNetwork()
                        .parseAddress("unix:" + directory + "/control.sock")
                        .wait(io.waitScope)
                        ->connect()
                        .wait(io.waitScope);
    controlClient = kj::heap<capnp::TwoPartyClient>(*controlStream);
    control =
        kj::heap<schema::Control::Client>(controlClient->bootstrap().castAs<schema::Control>());
  }

  void startNode(Node& node) {
    std::filesystem::create_directories(node.directory);
    auto opened = LevelDbStore::open(node.directory + "/store", StoreKind::AGENT);
    KJ_REQUIRE(opened.ok(), opened.error().message);
    node.db = kj::mv(opened.value());
    node.store = std::make_unique<AgentStore>(*node.db);
    ProcessExecutorOptions executorOptions;
    executorOptions.stateDir = node.directory + "/executor";
    executorOptions.shimPath = SWARMLET_TASK_SHIM;
    executorOptions.stopGrace = Duration::seconds(2);
    auto executor = ProcessExecutor::open(io.unixEventPort, timer, executorOptions);
    KJ_REQUIRE(executor.is<kj::Own<ProcessExecutor>>(), executor.get<std::string>());
    node.executor = kj::mv(executor.get<kj::Own<ProcessExecutor>>());
    node.executorPort = std::make_unique<ProcessExecutorPort>(*node.executor);
    node.dialer = std::make_unique<TcpDialer>(io.provider->getNetwork());
    node.core = std::make_unique<AgentCore>(agent::AgentConfig{++seed});
    AgentDriverOptions options;
    options.nodeId = node.id;
    options.credential = "secret-" + node.id.value.substr(5);
    options.description = NodeDescription{node.id.value, "linux/amd64", 2000, int64_t{1} << 30, {}};
    options.joinAddress = managerAddress;
    node.driver = std::make_unique<AgentDriver>(
        AgentPorts{timer, *node.store, *node.executorPort, *node.dialer, *node.core, nullptr},
        options);
    std::optional<std::string> failed = node.driver->start();
    KJ_REQUIRE(!failed.has_value(), *failed);
  }

  // The agent process dies: nothing is stopped or flushed; the task processes run on.
  void crash(Node& node) {
    node.driver = nullptr;
    node.core = nullptr;
    node.dialer = nullptr;
    node.executorPort = nullptr;
    node.executor = nullptr;
    node.store = nullptr;
    node.db = nullptr;
  }

  manager::ControlAnswer apply(manager::ControlOperation operation) {
    auto request = control->applyRequest();
    encode(request.initOperation(), operation);
    auto response = request.send().wait(io.waitScope);
    auto answer = decodeControlResult(response);
    KJ_REQUIRE(answer.ok(), answer.error);
    return *answer.value;
  }

  // Runs the event loop until `done` holds, for at most `limit`.
  bool waitFor(const std::function<bool()>& done, kj::Duration limit = 20 * kj::SECONDS) {
    kj::TimePoint until = timer.now() + limit;
    while (!done()) {
      if (timer.now() >= until) return false;
      timer.afterDelay(20 * kj::MILLISECONDS).wait(io.waitScope);
    }
    return true;
  }

  size_t nodesReady() const {
    size_t ready = 0;
    for (const auto& [id, node] : server->state().cluster.nodes)
      ready += node.status == manager::NodeStatus::READY;
    return ready;
  }

  // Tasks the manager wants running that its agents report RUNNING.
  std::vector<Task> runningTasks() const {
    std::vector<Task> running;
    for (const auto& [id, task] : server->state().cluster.tasks) {
      if (task.desiredState == TaskState::RUNNING && task.status.state == TaskState::RUNNING)
        running.push_back(task);
    }
    return running;
  }

  std::string directory;
  std::string seconds;
  std::string managerAddress;
  uint64_t seed = 100;
  kj::AsyncIoContext io = kj::setupAsyncIo();
  kj::Timer& timer = io.provider->getTimer();
  kj::Own<ManagerServer> server;
  kj::Own<kj::AsyncIoStream> controlStream;
  kj::Own<capnp::TwoPartyClient> controlClient;
  kj::Own<schema::Control::Client> control;
  std::vector<Node> nodes;
};

TEST_F(ClusterTest, ServiceRunsRestartsSurvivesAnAgentCrashAndIsRemoved) {
  startManager();
  nodes.resize(AGENTS);
  for (int i = 0; i < AGENTS; ++i) {
    nodes[i].id = NodeId{"node-" + std::to_string(i + 1)};
    nodes[i].directory = directory + "/" + nodes[i].id.value;
    startNode(nodes[i]);
  }
  ASSERT_TRUE(waitFor([&] { return nodesReady() == AGENTS; })) << nodesReady() << " nodes READY";

  manager::ServiceSpec spec;
  spec.name = "sleepers";
  spec.replicas = AGENTS;
  spec.task.command = "/bin/sleep";
  spec.task.args = {seconds};
  spec.restart.condition = manager::RestartCondition::ANY;
  spec.restart.delay = Duration();
  manager::ControlAnswer created = apply(manager::CreateService{spec});
  ASSERT_FALSE(created.error.has_value()) << created.error->message;

  // Every replica RUNNING as a real process, one per node (the scheduler spreads them).
  ASSERT_TRUE(waitFor([&] {
    return runningTasks().size() == AGENTS && taskProcesses(seconds).size() == AGENTS;
  })) << runningTasks().size()
      << " running, " << taskProcesses(seconds).size() << " processes";
  std::set<NodeId> placed;
  for (const Task& task : runningTasks())
    placed.insert(task.nodeId);
  EXPECT_EQ(placed.size(), size_t{AGENTS});

  // A task's process is killed: it fails, and the restart policy replaces it.
  pid_t victim = taskProcesses(seconds).front();
  ASSERT_EQ(::kill(victim, SIGKILL), 0);
  ASSERT_TRUE(waitFor([&] {
    size_t failed = 0;
    for (const auto& [id, task] : server->state().cluster.tasks)
      failed += task.status.state == TaskState::FAILED;
    std::vector<pid_t> pids = taskProcesses(seconds);
    return failed == 1 && runningTasks().size() == AGENTS && pids.size() == AGENTS &&
           std::find(pids.begin(), pids.end(), victim) == pids.end();
  })) << "the killed task was not replaced";

  // node-2's agent dies mid-run and comes back on its store: its task is re-adopted, not
  // started again, and its status reaches the manager again on the new session.
  Node& node = nodes[1];
  std::vector<pid_t> before = taskProcesses(seconds);
  crash(node);
  ASSERT_TRUE(waitFor([&] {
    auto it = server->state().cluster.nodes.find(node.id);
    return it != server->state().cluster.nodes.end() &&
           it->second.status != manager::NodeStatus::READY;
  })) << "the manager never noticed the agent was gone";
  startNode(node);
  ASSERT_TRUE(waitFor([&] { return nodesReady() == AGENTS && runningTasks().size() == AGENTS; }));
  // Longer than a heartbeat period and a status round: still the same processes, none doubled.
  timer.afterDelay(1500 * kj::MILLISECONDS).wait(io.waitScope);
  std::vector<pid_t> after = taskProcesses(seconds);
  std::sort(before.begin(), before.end());
  std::sort(after.begin(), after.end());
  EXPECT_EQ(after, before) << "the restarted agent started or lost a task process";
  EXPECT_EQ(runningTasks().size(), size_t{AGENTS});

  // Removing the service stops every task process.
  manager::ControlAnswer removed = apply(manager::RemoveService{ServiceId{created.id}});
  ASSERT_FALSE(removed.error.has_value()) << removed.error->message;
  ASSERT_TRUE(waitFor([&] { return taskProcesses(seconds).empty(); }))
      << taskProcesses(seconds).size() << " task processes still running";

  for (Node& each : nodes) {
    AgentExit exit = each.driver->stop().wait(io.waitScope);
    EXPECT_EQ(exit.error, "");
    crash(each);
  }
}

}  // namespace
}  // namespace swarmlet::io
