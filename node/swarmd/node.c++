#include "node/swarmd/node.h"

#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>

#include "io/agent-driver.h"
#include "io/agent-store.h"
#include "io/cluster-auth.h"
#include "io/manager-forwarder.h"
#include "io/manager-server.h"
#include "io/process-executor.h"
#include "node/swarmd/event-log.h"
#include "node/swarmd/join.h"
#include "node/swarmd/log.h"
#include "node/swarmd/state-dir.h"

namespace swarmlet::node {

namespace {

std::string roleName(NodeRole role) {
  return role == NodeRole::MANAGER ? "manager" : "worker";
}

uint64_t drawSeed() {
  std::string bytes = io::drawBytes(8);
  uint64_t seed = 0;
  for (unsigned char c : bytes)
    seed = seed << 8 | c;
  return seed;
}

std::string systemHostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

// The task shim: $SWARMLET_TASK_SHIM, else beside this executable, else where the build tree
// puts it (build/io/ beside build/node/swarmd/).
std::string findShim() {
  if (const char* given = ::getenv("SWARMLET_TASK_SHIM")) return given;
  std::error_code ignored;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ignored);
  std::filesystem::path here = self.parent_path();
  for (const std::filesystem::path& candidate :
       {here / "swarmlet-task-shim", here / "../../io/swarmlet-task-shim",
        here / "../libexec/swarmlet/swarmlet-task-shim"}) {
    if (::access(candidate.c_str(), X_OK) == 0) {
      return std::filesystem::weakly_canonical(candidate, ignored).string();
    }
  }
  return (here / "swarmlet-task-shim").string();
}

// The process executor, describing the node under its configured hostname.
class NodeExecutor final : public io::ExecutorPort {
 public:
  NodeExecutor(io::ProcessExecutor& executor, std::string hostname)
      : executor_(executor), hostname_(std::move(hostname)) {}

  kj::Promise<agent::ExecutorResult> run(const agent::ExecutorOperation& operation) override {
    return executor_.run(operation);
  }
  void updateDependencies(const agent::UpdateDependencies& update) override {
    executor_.updateDependencies(update);
  }
  kj::Promise<std::optional<NodeDescription>> describe() override {
    return std::optional<NodeDescription>(description());
  }
  NodeDescription description() const {
    NodeDescription described = executor_.describe();
    described.hostname = hostname_;
    return described;
  }

 private:
  io::ProcessExecutor& executor_;
  std::string hostname_;
};

// What the node does when its agent hears of a role change: a node promoted to manager serves
// agents by forwarding them to the leader; demoted, it stops.
class Node final : public io::AgentNotices {
 public:
  Node(kj::AsyncIoContext& io, StateDir& dir, Identity identity)
      : io_(io), dir_(dir), identity_(std::move(identity)) {}

  void ready() override {
    if (readyLogged_) return;
    readyLogged_ = true;
    log(LogLevel::INFO, "ready",
        {{"node.id", identity_.nodeId.value}, {"role", roleName(identity_.role)}});
  }

  void roleChanged(NodeRole role) override {
    if (role == identity_.role) return;
    identity_.role = role;
    if (auto error = dir_.saveIdentity(identity_)) {
      log(LogLevel::ERROR, "cannot record the new role", {{"error", *error}});
    }
    follow();
  }

  // Serves the forwarding endpoint while this node is a manager but not the leader.
  void follow() {
    bool serve = identity_.role == NodeRole::MANAGER && !identity_.leader;
    if (!serve) {
      if (forwarder_) {
        forwarder_ = nullptr;
        log(LogLevel::INFO, "manager endpoint stopped",
            {{"node.id", identity_.nodeId.value}, {"address", identity_.listenAddress}});
      }
      return;
    }
    if (forwarder_) return;
    std::string leader = identity_.joinAddress;
    forwarder_ = std::make_unique<io::ManagerForwarder>(io_.provider->getNetwork(),
                                                        [leader]() { return leader; });
    std::string address = identity_.listenAddress;
    tasks_.add(forwarder_->listen(address).then(
        [this, address, leader]() {
          log(LogLevel::INFO, "manager endpoint listening",
              {{"node.id", identity_.nodeId.value}, {"address", address}, {"leader", leader}});
        },
        [this, address](kj::Exception&& exception) {
          forwarder_ = nullptr;
          log(LogLevel::ERROR, "manager endpoint cannot listen",
              {{"node.id", identity_.nodeId.value},
               {"address", address},
               {"error", exception.getDescription().cStr()}});
        }));
  }

  const Identity& identity() const { return identity_; }

 private:
  struct Errors final : kj::TaskSet::ErrorHandler {
    void taskFailed(kj::Exception&& exception) override {
      log(LogLevel::ERROR, "node task failed", {{"error", exception.getDescription().cStr()}});
    }
  };

  kj::AsyncIoContext& io_;
  StateDir& dir_;
  Identity identity_;
  bool readyLogged_ = false;
  std::unique_ptr<io::ManagerForwarder> forwarder_;
  Errors errors_;
  kj::TaskSet tasks_{errors_};
};

int storeExit(const io::StoreError& error) {
  return error.kind == io::StoreErrorKind::LOCKED || error.kind == io::StoreErrorKind::PERMISSION
             ? EXIT_STATE_DIR
             : EXIT_FAILED;
}

int fail(int status, const std::string& message) {
  log(LogLevel::ERROR, message);
  return status;
}

// The identity this start runs with: the stored one, or a new cluster's, or a joined one.
std::variant<Identity, int> establish(kj::AsyncIoContext& io, const Flags& flags,
                                      const StateDir& dir, bool& created) {
  auto read = dir.readIdentity();
  if (auto* why = std::get_if<std::string>(&read)) return fail(EXIT_STATE_DIR, *why);
  std::optional<Identity> stored = std::get<std::optional<Identity>>(read);
  Identity identity;
  if (stored.has_value()) {
    identity = *stored;
    if (!flags.joinAddr.empty() && !identity.leader && flags.joinAddr != identity.joinAddress) {
      log(LogLevel::WARN, "this node already belongs to a cluster: --join-addr is ignored",
          {{"node.id", identity.nodeId.value}, {"cluster.id", identity.clusterId}});
    }
  }
  std::string listen = !flags.listenRemoteApi.empty()    ? flags.listenRemoteApi
                       : !identity.listenAddress.empty() ? identity.listenAddress
                                                         : DEFAULT_LISTEN_REMOTE_API;
  std::string advertise = !flags.advertiseRemoteApi.empty()    ? flags.advertiseRemoteApi
                          : !flags.listenRemoteApi.empty()     ? flags.listenRemoteApi
                          : !identity.advertiseAddress.empty() ? identity.advertiseAddress
                                                               : listen;
  auto portZero = [](const std::string& address) {
    return address.size() >= 2 && address.compare(address.size() - 2, 2, ":0") == 0;
  };
  if (portZero(listen) || portZero(advertise)) {
    return fail(EXIT_USAGE,
                "--listen-remote-api/--advertise-remote-api: port 0 is not allowed: "
                "agents keep the manager's address across restarts, give a fixed port");
  }
  if (advertise.rfind("0.0.0.0:", 0) == 0 || advertise.rfind("[::]:", 0) == 0) {
    return fail(EXIT_USAGE, "--advertise-remote-api: " + advertise +
                                " is not an address agents can dial: give this node's own address");
  }
  std::string hostname = !flags.hostname.empty()      ? flags.hostname
                         : !identity.hostname.empty() ? identity.hostname
                                                      : systemHostname();
  identity.listenAddress = listen;
  identity.advertiseAddress = advertise;
  identity.hostname = hostname;
  if (!stored.has_value()) {
    if (flags.joinAddr.empty()) {
      created = true;
      identity.nodeId = NodeId{io::drawBase36(io::NODE_ID_LENGTH)};
      identity.secret = io::drawBytes(io::NODE_SECRET_BYTES);
      identity.role = NodeRole::MANAGER;
      identity.leader = true;
    } else {
      auto joined = joinCluster(
          io, JoinRequest{flags.joinAddr, flags.joinToken, hostname, advertise, flags.joinTimeout});
      if (auto* failure = std::get_if<JoinFailure>(&joined)) {
        return fail(failure->exitStatus, failure->message);
      }
      Joined& grant = std::get<Joined>(joined);
      identity.clusterId = grant.clusterId;
      identity.nodeId = grant.node;
      identity.secret = grant.secret;
      identity.role = grant.role;
      identity.leader = false;
      identity.joinAddress = flags.joinAddr;
      log(LogLevel::INFO, "joined the cluster",
          {{"node.id", identity.nodeId.value},
           {"cluster.id", identity.clusterId},
           {"role", roleName(identity.role)}});
    }
  }
  if (!created && identity != stored) {
    if (auto error = dir.saveIdentity(identity)) return fail(EXIT_STATE_DIR, *error);
  }
  return identity;
}

enum class Ending { SIGNAL, AGENT, MANAGER };

}  // namespace

int runNode(kj::AsyncIoContext& io, const Flags& flags) {
  auto locked = StateDir::lock(flags.stateDir);
  if (auto* why = std::get_if<std::string>(&locked)) return fail(EXIT_STATE_DIR, *why);
  StateDir& dir = std::get<StateDir>(locked);

  bool created = false;
  auto established = establish(io, flags, dir, created);
  if (auto* status = std::get_if<int>(&established)) return *status;
  Identity identity = std::get<Identity>(established);
  kj::Timer& timer = io.provider->getTimer();
  kj::Network& network = io.provider->getNetwork();

  // --- The cluster's manager, on the node that created the cluster ---
  ManagerEventLog managerLog;
  kj::Own<io::ManagerServer> server;
  if (identity.leader) {
    io::ManagerServerOptions options;
    options.listenAddress = identity.listenAddress;
    options.controlSocketPath =
        flags.listenControlApi.empty() ? dir.controlSocket() : flags.listenControlApi;
    options.storeDirectory = dir.managerStore();
    options.heartbeatPeriod = flags.heartbeatPeriod;
    options.seed = drawSeed();
    options.managers = {Peer{identity.nodeId, identity.advertiseAddress}};
    options.createCluster = io::NodeAuthEntry{identity.nodeId, identity.secret, identity.hostname,
                                              identity.advertiseAddress, NodeRole::MANAGER};
    options.observer = [&managerLog](Instant now, const manager::Input& input,
                                     const std::vector<manager::Effect>& effects,
                                     const manager::ManagerState& state) {
      managerLog.observe(now, input, effects, state);
    };
    std::string control = options.controlSocketPath;
    uint64_t seed = options.seed;
    auto opened = io::ManagerServer::open(timer, kj::mv(options));
    if (!opened.ok()) return fail(storeExit(opened.error()), opened.error().message);
    server = kj::mv(opened.value());
    KJ_IF_MAYBE (exception,
                 kj::runCatchingExceptions([&]() { server->listen(network).wait(io.waitScope); })) {
      return fail(EXIT_FAILED, exception->getDescription().cStr());
    }
    if (created) {
      identity.clusterId = server->cluster().id;
      if (auto error = dir.saveIdentity(identity)) return fail(EXIT_STATE_DIR, *error);
      log(LogLevel::INFO, "cluster created",
          {{"cluster.id", identity.clusterId}, {"node.id", identity.nodeId.value}});
    }
    log(LogLevel::INFO, "manager listening",
        {{"node.id", identity.nodeId.value},
         {"address", identity.listenAddress},
         {"control", control},
         {"seed", std::to_string(seed)}});
  }

  // --- The agent, on every node ---
  auto db = io::LevelDbStore::open(dir.agentStore(), io::StoreKind::AGENT);
  if (!db.ok()) return fail(storeExit(db.error()), db.error().message);
  io::AgentStore store(*db.value());
  io::ProcessExecutorOptions executorOptions;
  executorOptions.stateDir = dir.executorDir();
  executorOptions.shimPath = findShim();
  auto opened = io::ProcessExecutor::open(io.unixEventPort, timer, executorOptions);
  if (opened.is<std::string>()) return fail(EXIT_FAILED, opened.get<std::string>());
  kj::Own<io::ProcessExecutor> processes = kj::mv(opened.get<kj::Own<io::ProcessExecutor>>());
  NodeExecutor executor(*processes, identity.hostname);
  io::TcpDialer dialer(network);
  LoggedAgentCore core(agent::AgentConfig{drawSeed()}, identity.nodeId);
  Node node(io, dir, identity);
  io::AgentDriverOptions agentOptions;
  agentOptions.nodeId = identity.nodeId;
  agentOptions.credential = identity.secret;
  agentOptions.description = executor.description();
  agentOptions.joinAddress = identity.leader ? identity.advertiseAddress : identity.joinAddress;
  agentOptions.role = identity.role;
  auto driver = std::make_unique<io::AgentDriver>(
      io::AgentPorts{timer, store, executor, dialer, core, &node}, agentOptions);
  if (auto failed = driver->start()) return fail(EXIT_FAILED, *failed);
  node.follow();
  log(LogLevel::INFO, "agent started",
      {{"node.id", identity.nodeId.value},
       {"role", roleName(identity.role)},
       {"state-dir", dir.path()},
       {"manager", agentOptions.joinAddress}});

  // --- Until a signal, the agent's end or the manager's failure ---
  std::string why;
  auto signal = [&](int number, const char* name) {
    return io.unixEventPort.onSignal(number).then([&why, name](siginfo_t&&) {
      why = name;
      return Ending::SIGNAL;
    });
  };
  kj::Promise<Ending> ending = signal(SIGTERM, "SIGTERM").exclusiveJoin(signal(SIGINT, "SIGINT"));
  ending = ending.exclusiveJoin(driver->onStopped().then([&why](io::AgentExit&& exit) {
    why = exit.error;
    return Ending::AGENT;
  }));
  if (server) {
    ending = ending.exclusiveJoin(server->stopped().then([]() { return Ending::MANAGER; },
                                                         [&why](kj::Exception&& exception) {
                                                           why = exception.getDescription().cStr();
                                                           return Ending::MANAGER;
                                                         }));
  }
  Ending ended = ending.wait(io.waitScope);

  int status = EXIT_STOPPED;
  if (ended == Ending::SIGNAL) {
    log(LogLevel::INFO, "stopping", {{"signal", why}, {"node.id", identity.nodeId.value}});
    io::AgentExit exit = driver->stop().wait(io.waitScope);
    if (!exit.error.empty())
      log(LogLevel::WARN, "the agent stopped with an error", {{"error", exit.error}});
  } else if (ended == Ending::AGENT) {
    if (why.empty()) {
      log(LogLevel::INFO, "the agent stopped", {{"node.id", identity.nodeId.value}});
    } else {
      status = fail(EXIT_FAILED, why);
    }
  } else {
    status = fail(EXIT_FAILED, "the manager stopped: " + why);
  }
  // Task processes keep running under their shims: the next start re-adopts them.
  driver = nullptr;
  processes = nullptr;
  server = nullptr;
  log(LogLevel::INFO, "stopped", {{"node.id", identity.nodeId.value}});
  return status;
}

}  // namespace swarmlet::node
