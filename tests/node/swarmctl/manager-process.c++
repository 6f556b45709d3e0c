#include "tests/node/swarmctl/manager-process.h"

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/debug.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "io/codec.h"
#include "io/manager-server.h"

namespace swarmlet::swarmctl::testing {
namespace {

constexpr Duration HEARTBEAT_PERIOD = Duration::seconds(1);
constexpr kj::Duration HEARTBEAT_EVERY = 200 * kj::MILLISECONDS;
constexpr int READY_TIMEOUT_MS = 20'000;
constexpr const char* LEADER_ADDRESS = "127.0.0.1:4242";

std::string secretOf(const FakeNode& node) {
  return "secret-of-" + node.id;
}

class FakeAgent;

// The fake agent's SessionSink: assignments become status reports.
class Sink final : public schema::SessionSink::Server {
 public:
  explicit Sink(FakeAgent& agent) : agent_(agent) {}
  kj::Promise<void> message(MessageContext) override { return kj::READY_NOW; }
  kj::Promise<void> assignments(AssignmentsContext context) override;
  kj::Promise<void> end(EndContext) override { return kj::READY_NOW; }

 private:
  FakeAgent& agent_;
};

class FakeAgent final : private kj::TaskSet::ErrorHandler {
 public:
  FakeAgent(io::ManagerServer& server, const FakeNode& node, kj::Timer& timer,
            kj::WaitScope& waitScope)
      : timer_(timer), tasks_(*this) {
    auto pipe = kj::newTwoWayPipe();
    server.accept(kj::mv(pipe.ends[0]));
    stream_ = kj::mv(pipe.ends[1]);
    client_ = kj::heap<capnp::TwoPartyClient>(*stream_);
    auto dispatcher = client_->bootstrap().castAs<schema::Dispatcher>();
    auto request = dispatcher.sessionRequest();
    NodeDescription description{
        node.hostname, "linux/amd64", 2000, int64_t{1} << 30, {{"zone", "a"}}};
    io::encode(request, shell::OpenSessionCall{{}, description});
    request.setSink(kj::heap<Sink>(*this));
    std::string secret = secretOf(node);
    request.initCredential().setNodeId(node.id);
    request.getCredential().setSecret(
        capnp::Data::Reader(reinterpret_cast<const kj::byte*>(secret.data()), secret.size()));
    auto response = request.send().wait(waitScope);
    auto reply = io::decodeSessionResult(response.getResult());
    KJ_REQUIRE(reply.ok() && !reply.value->error.has_value(), "the fake agent's session failed");
    session_ = response.getResult().getOpened().getSession();
    sessionId_ = reply.value->sessionId;
    tasks_.add(heartbeats());
  }

  // Reports RUNNING for a task wanted running, SHUTDOWN for one told to stop; once per state.
  void assigned(const AssignmentsMessage& message) {
    std::vector<TaskStatusUpdate> updates;
    for (const AssignmentChange& change : message.changes) {
      const Task* task = std::get_if<Task>(&change.item);
      if (task == nullptr || change.action != AssignmentAction::UPDATE) continue;
      TaskState state =
          task->desiredState <= TaskState::RUNNING ? TaskState::RUNNING : TaskState::SHUTDOWN;
      auto [it, fresh] = reported_.emplace(task->id, state);
      if (!fresh && it->second == state) continue;
      it->second = state;
      TaskStatusUpdate update;
      update.taskId = task->id;
      update.status.state = state;
      update.status.message = state == TaskState::RUNNING ? "started" : "stopped";
      updates.push_back(update);
    }
    if (updates.empty()) return;
    auto request = session().updateTaskStatusRequest();
    io::encode(request, shell::StatusesCall{sessionId_, ++batch_, std::move(updates)});
    tasks_.add(request.send().ignoreResult());
  }

 private:
  // KJ_ASSERT_NONNULL is a GNU statement expression, which clang's -Wpedantic refuses.
  schema::Session::Client& session() {
    KJ_IF_MAYBE (open, session_) {
      return *open;
    }
    KJ_FAIL_ASSERT("the fake agent used its session before the open answered");
  }

  kj::Promise<void> heartbeats() {
    return session()
        .heartbeatRequest()
        .send()
        .ignoreResult()
        .then([this]() { return timer_.afterDelay(HEARTBEAT_EVERY); })
        .then([this]() { return heartbeats(); });
  }

  // A removed node's calls fail: the fake agent simply stops.
  void taskFailed(kj::Exception&&) override {}

  kj::Timer& timer_;
  kj::Own<kj::AsyncIoStream> stream_;
  kj::Own<capnp::TwoPartyClient> client_;
  kj::Maybe<schema::Session::Client> session_;
  SessionId sessionId_;
  BatchId batch_ = 0;
  std::map<TaskId, TaskState> reported_;
  kj::TaskSet tasks_;
};

kj::Promise<void> Sink::assignments(AssignmentsContext context) {
  auto push = io::decodeAssignmentsPush(context.getParams());
  if (push.ok()) agent_.assigned(push.value->message);
  return kj::READY_NOW;
}

// An older swarmd's Control: one manager node, and nothing else implemented.
class ControlWithoutClusterCalls final : public schema::Control::Server {
 public:
  kj::Promise<void> listNodes(ListNodesContext context) override {
    manager::NodeRecord node;
    node.id = NodeId{LEADER_NODE.id};
    node.description.hostname = LEADER_NODE.hostname;
    node.status = manager::NodeStatus::READY;
    node.role = NodeRole::MANAGER;
    node.desiredRole = NodeRole::MANAGER;
    io::encodeAll<schema::NodeRecord>(context.getResults().initNodes(1),
                                      std::vector<manager::NodeRecord>{node});
    return kj::READY_NOW;
  }
};

void ready(int fd, uint32_t port) {
  std::string line = std::to_string(port) + "\n";
  KJ_SYSCALL(::write(fd, line.data(), line.size()));
  ::close(fd);
}

[[noreturn]] void serveWithoutClusterCalls(const std::string& socketPath, int readyFd) {
  kj::AsyncIoContext io = kj::setupAsyncIo();
  auto listener =
      io.provider->getNetwork().parseAddress("unix:" + socketPath).wait(io.waitScope)->listen();
  capnp::TwoPartyServer server(kj::heap<ControlWithoutClusterCalls>());
  auto serving = server.listen(*listener);
  ready(readyFd, 0);
  serving.wait(io.waitScope);
  KJ_FAIL_ASSERT("the test's Control server stopped");
}

// The child: serves until killed. Writes "<control port>\n" to `readyFd` once serving.
[[noreturn]] void serve(const std::string& directory, const std::vector<FakeNode>& nodes,
                        int readyFd) {
  kj::AsyncIoContext io = kj::setupAsyncIo();
  io::ManagerServerOptions options;
  options.listenAddress = "";
  options.controlSocketPath = directory + "/swarmlet-state/swarmd.sock";
  options.controlAddress = "127.0.0.1:0";
  options.storeDirectory = directory + "/store";
  options.heartbeatPeriod = HEARTBEAT_PERIOD;
  options.seed = 17;
  options.managers = {Peer{NodeId{LEADER_NODE.id}, LEADER_ADDRESS}};
  options.createCluster =
      io::NodeAuthEntry{NodeId{LEADER_NODE.id}, secretOf(LEADER_NODE), LEADER_NODE.hostname,
                        LEADER_ADDRESS, NodeRole::MANAGER};
  for (const FakeNode& node : nodes) {
    if (node.id != LEADER_NODE.id) options.credentials[NodeId{node.id}] = secretOf(node);
  }
  auto opened = io::ManagerServer::open(io.provider->getTimer(), kj::mv(options));
  KJ_REQUIRE(opened.ok(), opened.error().message);
  kj::Own<io::ManagerServer> server = kj::mv(opened.value());
  server->listen(io.provider->getNetwork()).wait(io.waitScope);
  std::vector<kj::Own<FakeAgent>> agents;
  for (const FakeNode& node : nodes)
    agents.push_back(kj::heap<FakeAgent>(*server, node, io.provider->getTimer(), io.waitScope));
  ready(readyFd, server->controlPort());
  kj::NEVER_DONE.wait(io.waitScope);
}

}  // namespace

ManagerProcess::ManagerProcess(const std::string& directory, const std::vector<FakeNode>& nodes,
                               ControlServer server)
    : socketPath_(directory + "/swarmlet-state/swarmd.sock") {
  std::filesystem::create_directories(directory + "/swarmlet-state");
  int fds[2];
  KJ_SYSCALL(::pipe(fds));
  pid_ = ::fork();
  KJ_REQUIRE(pid_ >= 0, "fork failed");
  if (pid_ == 0) {
    ::close(fds[0]);
    KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&]() {
                   if (server == ControlServer::WITHOUT_CLUSTER_CALLS) {
                     serveWithoutClusterCalls(socketPath_, fds[1]);
                   }
                   serve(directory, nodes, fds[1]);
                 })) {
      KJ_LOG(ERROR, "the test's manager failed", *exception);
    }
    ::_exit(1);
  }
  ::close(fds[1]);
  std::string port;
  pollfd readable{fds[0], POLLIN, 0};
  char c = 0;
  while (::poll(&readable, 1, READY_TIMEOUT_MS) == 1 && ::read(fds[0], &c, 1) == 1 && c != '\n')
    port.push_back(c);
  ::close(fds[0]);
  if (c != '\n' || port.empty()) {
    stop();
    KJ_FAIL_REQUIRE("the test's manager did not start");
  }
  if (port != "0") controlAddress_ = "127.0.0.1:" + port;
}

ManagerProcess::~ManagerProcess() {
  stop();
}

void ManagerProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace swarmlet::swarmctl::testing
