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
const char* const AGENT_SECRET = "secret-of-node-1";

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
  FakeAgent(io::ManagerServer& server, kj::Timer& timer, kj::WaitScope& waitScope)
      : timer_(timer), tasks_(*this) {
    auto pipe = kj::newTwoWayPipe();
    server.accept(kj::mv(pipe.ends[0]));
    stream_ = kj::mv(pipe.ends[1]);
    client_ = kj::heap<capnp::TwoPartyClient>(*stream_);
    auto dispatcher = client_->bootstrap().castAs<schema::Dispatcher>();
    auto request = dispatcher.sessionRequest();
    NodeDescription description{"worker-1", "linux/amd64", 2000, int64_t{1} << 30, {{"zone", "a"}}};
    io::encode(request, shell::OpenSessionCall{{}, description});
    request.setSink(kj::heap<Sink>(*this));
    request.initCredential().setNodeId("node-1");
    request.getCredential().setSecret(
        capnp::Data::Reader(reinterpret_cast<const kj::byte*>(AGENT_SECRET), strlen(AGENT_SECRET)));
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
    auto request = KJ_ASSERT_NONNULL(session_).updateTaskStatusRequest();
    io::encode(request, shell::StatusesCall{sessionId_, ++batch_, std::move(updates)});
    tasks_.add(request.send().ignoreResult());
  }

 private:
  kj::Promise<void> heartbeats() {
    return KJ_ASSERT_NONNULL(session_)
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

// The child: serves until killed. Writes "<control port>\n" to `ready` once serving.
[[noreturn]] void serve(const std::string& directory, bool withAgent, int ready) {
  kj::AsyncIoContext io = kj::setupAsyncIo();
  io::ManagerServerOptions options;
  options.listenAddress = "";
  options.controlSocketPath = directory + "/swarmlet-state/swarmd.sock";
  options.controlAddress = "127.0.0.1:0";
  options.storeDirectory = directory + "/store";
  options.heartbeatPeriod = HEARTBEAT_PERIOD;
  options.seed = 17;
  options.managers = {Peer{NodeId{"manager-1"}, "127.0.0.1:4242"}};
  options.credentials = {{NodeId{"node-1"}, AGENT_SECRET}};
  auto opened = io::ManagerServer::open(io.provider->getTimer(), kj::mv(options));
  KJ_REQUIRE(opened.ok(), opened.error().message);
  kj::Own<io::ManagerServer> server = kj::mv(opened.value());
  server->listen(io.provider->getNetwork()).wait(io.waitScope);
  kj::Maybe<kj::Own<FakeAgent>> agent;
  if (withAgent) agent = kj::heap<FakeAgent>(*server, io.provider->getTimer(), io.waitScope);
  std::string port = std::to_string(server->controlPort()) + "\n";
  KJ_SYSCALL(::write(ready, port.data(), port.size()));
  ::close(ready);
  kj::NEVER_DONE.wait(io.waitScope);
}

}  // namespace

ManagerProcess::ManagerProcess(const std::string& directory, bool withAgent)
    : socketPath_(directory + "/swarmlet-state/swarmd.sock") {
  std::filesystem::create_directories(directory + "/swarmlet-state");
  int fds[2];
  KJ_SYSCALL(::pipe(fds));
  pid_ = ::fork();
  KJ_REQUIRE(pid_ >= 0, "fork failed");
  if (pid_ == 0) {
    ::close(fds[0]);
    KJ_IF_MAYBE (exception,
                 kj::runCatchingExceptions([&]() { serve(directory, withAgent, fds[1]); })) {
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
  controlAddress_ = "127.0.0.1:" + port;
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
