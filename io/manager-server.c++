// The manager server (manager-server.h): the driver loop, the agents' connections and the
// Dispatcher and Session capabilities. The control API's capability is in
// manager-server-control.c++.
#include "io/manager-server.h"

#include <capnp/rpc-twoparty.h>
#include <kj/debug.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <string_view>
#include <utility>

#include "core/overloaded.h"
#include "io/codec.h"
#include "io/manager-server-internal.h"

namespace swarmlet::io {

namespace {

RpcError rpcError(ErrorCode code, std::string message) {
  return RpcError{code, std::move(message)};
}

// The request id the pipeline gave a call that needs an answer.
RequestId requestOf(const manager::Input& input) {
  return std::visit(Overloaded{
                        [](const manager::SessionRequested& i) { return i.request; },
                        [](const manager::HeartbeatReceived& i) { return i.request; },
                        [](const manager::StatusesReceived& i) { return i.request; },
                        [](const auto&) -> RequestId { KJ_UNREACHABLE; },
                    },
                    input);
}

// The Dispatcher of one agent connection: the bootstrap capability.
class DispatcherImpl final : public schema::Dispatcher::Server {
 public:
  DispatcherImpl(ManagerServer& server, shell::ConnectionId connection)
      : server_(server), connection_(connection) {}

  kj::Promise<void> session(SessionContext context) override {
    return server_.openSession(connection_, context);
  }

  kj::Promise<void> join(JoinContext context) override { return server_.join(context); }

 private:
  ManagerServer& server_;
  shell::ConnectionId connection_;
};

}  // namespace

// --- Session: the capability an opened session returns -----------------------------------------

SessionImpl::SessionImpl(ManagerServer& server, shell::ConnectionId connection, NodeId node,
                         SessionId session, uint64_t serial)
    : server_(server),
      connection_(connection),
      node_(std::move(node)),
      session_(std::move(session)),
      serial_(serial) {}

SessionImpl::~SessionImpl() noexcept(false) {
  server_.sessionDropped(connection_, node_, serial_);
}

kj::Promise<void> SessionImpl::heartbeat(HeartbeatContext context) {
  return server_.heartbeat(connection_, node_, session_, context);
}

kj::Promise<void> SessionImpl::updateTaskStatus(UpdateTaskStatusContext context) {
  return server_.updateTaskStatus(connection_, node_, session_, context);
}

kj::Promise<void> SessionImpl::resync(ResyncContext) {
  return server_.resync(connection_, node_, session_);
}

// --- One agent connection -----------------------------------------------------------------------

ManagerServer::AgentConnection::AgentConnection(ManagerServer& server, shell::ConnectionId id,
                                                kj::Own<kj::AsyncIoStream> stream)
    : server(server),
      id(id),
      stream(kj::mv(stream)),
      network(*this->stream, capnp::rpc::twoparty::Side::SERVER,
              untrustedReaderOptions(limits::MESSAGE_TRAVERSAL_LIMIT_WORDS)),
      rpc(capnp::makeRpcServer(network,
                               capnp::Capability::Client(kj::heap<DispatcherImpl>(server, id)))),
      tasks(*this) {
  tasks.add(network.onDisconnect().then(
      [&server, id]() { server.connectionLost(id, "the agent hung up"); }));
}

void ManagerServer::AgentConnection::taskFailed(kj::Exception&& exception) {
  server.connectionLost(id, "a push failed: " + std::string(exception.getDescription().cStr()));
}

// --- The server -------------------------------------------------------------------------------

StoreResult<kj::Own<ManagerServer>> ManagerServer::open(kj::Timer& timer,
                                                        ManagerServerOptions options) {
  kj::Own<LevelDbStore> owned;
  LevelDbStore* db = options.store;
  if (db == nullptr) {
    KJ_REQUIRE(!options.storeDirectory.empty(), "a manager server needs a store or a directory");
    auto opened =
        LevelDbStore::open(options.storeDirectory, StoreKind::MANAGER, options.storeOptions);
    if (!opened.ok()) return StoreResult<kj::Own<ManagerServer>>::failure(opened.error());
    owned = kj::mv(opened.value());
    db = owned.get();
  }
  ManagerStore reader(*db);
  auto snapshot = reader.restore();
  if (!snapshot.ok()) return StoreResult<kj::Own<ManagerServer>>::failure(snapshot.error());
  auto auth = ClusterAuth::load(*db);
  if (!auth.ok()) return StoreResult<kj::Own<ManagerServer>>::failure(auth.error());
  if (!auth.value().created() && options.createCluster.has_value()) {
    if (auto error = auth.value().create(*options.createCluster)) {
      return StoreResult<kj::Own<ManagerServer>>::failure(*error);
    }
  }
  return StoreResult<kj::Own<ManagerServer>>::success(
      kj::heap<ManagerServer>(Private{}, timer, kj::mv(options), kj::mv(owned), *db,
                              kj::mv(snapshot.value()), kj::mv(auth.value())));
}

namespace {
manager::ManagerConfig coreConfig(const ManagerServerOptions& options) {
  manager::ManagerConfig config;
  config.seed = options.seed;
  config.managers = options.managers;
  config.heartbeatPeriod = options.heartbeatPeriod;
  return config;
}
}  // namespace

ManagerServer::ManagerServer(Private, kj::Timer& timer, ManagerServerOptions options,
                             kj::Own<LevelDbStore> owned, LevelDbStore& db,
                             manager::StoreSnapshot snapshot, ClusterAuth auth)
    : timer_(timer),
      options_(kj::mv(options)),
      ownedDb_(kj::mv(owned)),
      store_(db),
      auth_(kj::mv(auth)),
      managers_(options_.managers),
      core_(coreConfig(options_)),
      stopped_(nullptr),
      tasks_(*this) {
  auto paf = kj::newPromiseAndFulfiller<void>();
  stopFulfiller_ = kj::mv(paf.fulfiller);
  stopped_ = paf.promise.fork();
  KJ_LOG(INFO, "manager starting", options_.seed, db.directory(), snapshot.nodes.size(),
         snapshot.services.size(), snapshot.tasks.size());
  step(manager::Start{kj::mv(snapshot)});
  refreshManagers();
}

ManagerServer::~ManagerServer() noexcept(false) {
  destroying_ = true;
  // Connections first: their capabilities call back into the server as they go.
  connections_.clear();
  controlConnections_.clear();
}

void ManagerServer::taskFailed(kj::Exception&& exception) {
  KJ_LOG(ERROR, "manager server task failed", exception);
}

Instant ManagerServer::now() const {
  return Instant::fromNanoseconds((timer_.now() - kj::origin<kj::TimePoint>()) / kj::NANOSECONDS);
}

// The driver loop: one input, the core's effects through the pipeline, the operations executed,
// the one timer rearmed.
void ManagerServer::step(const manager::Input& input) {
  if (failure_.has_value() || destroying_) return;
  KJ_ASSERT(!stepping_, "the manager core is not re-entrant");
  stepping_ = true;
  KJ_DEFER(stepping_ = false);
  Instant at = now();
  core_.step(at, input);
  if (options_.observer) {
    kj::Vector<manager::Effect> taken = core_.takeEffects();
    std::vector<manager::Effect> effects(std::make_move_iterator(taken.begin()),
                                         std::make_move_iterator(taken.end()));
    options_.observer(at, input, effects, core_.state());
    pipeline_.intake(std::move(effects));
  } else {
    pipeline_.intake(core_.takeEffects());
  }
  executeOps();
  rearm();
}

// Steps now, or right after the step in progress (a push that finds its connection lost runs
// inside one).
void ManagerServer::stepSoon(manager::Input&& input) {
  if (!stepping_) return step(input);
  tasks_.add(kj::evalLater([this, input = std::move(input)]() { step(input); }));
}

void ManagerServer::executeOps() {
  for (shell::ManagerPortOp& op : pipeline_.takeOps()) {
    if (failure_.has_value()) return;
    std::visit(Overloaded{
                   [&](shell::CommitWrites& commit) { this->commit(std::move(commit.writes)); },
                   [&](shell::Reply& reply) { deliver(std::move(reply)); },
                   [&](shell::Push& message) { push(std::move(message)); },
                   [&](shell::ControlReply& reply) {
                     auto found = controls_.find(reply.answer.request);
                     if (found == controls_.end()) return;
                     auto fulfiller = kj::mv(found->second);
                     controls_.erase(found);
                     fulfiller->fulfill(std::move(reply.answer));
                   },
               },
               op);
  }
}

// Group commit: the write runs after everything already queued on the event loop, so that the
// Persists of the events of this turn queue behind it in the pipeline and form the next batch.
void ManagerServer::commit(std::vector<manager::Write>&& writes) {
  tasks_.add(kj::evalLast([this, writes = std::move(writes)]() {
    if (failure_.has_value() || destroying_) return;
    if (auto error = store_.commit(writes)) return fail(error->message);
    KJ_ASSERT(!stepping_);
    stepping_ = true;
    KJ_DEFER(stepping_ = false);
    pipeline_.committed();
    executeOps();
    rearm();
  }));
}

void ManagerServer::deliver(shell::Reply&& reply) {
  auto found = calls_.find(reply.request);
  if (found == calls_.end()) return;
  PendingCall pending = kj::mv(found->second);
  calls_.erase(found);
  Answer answer{std::move(reply.message), 0};
  auto sink = sinks_.find(reply.request);
  AgentConnection* connection = find(reply.connection);
  if (connection != nullptr) {
    KJ_ASSERT(connection->callsInFlight > 0);
    connection->callsInFlight--;
    auto* opened = std::get_if<shell::SessionReply>(&answer.message);
    if (sink != sinks_.end() && opened != nullptr && !opened->error.has_value()) {
      // Pushes that follow this answer go to the sink of the session it opens.
      connection->sink = kj::mv(sink->second);
      answer.serial = ++connection->sessionSerial;
    }
  }
  if (sink != sinks_.end()) sinks_.erase(sink);
  pending.fulfiller->fulfill(kj::mv(answer));
}

void ManagerServer::push(shell::Push&& message) {
  AgentConnection* connection = find(message.connection);
  if (connection == nullptr || connection->lost) return;  // the agent is gone: dropped
  KJ_IF_MAYBE (sink, connection->sink) {
    if (connection->pushesInFlight >= options_.pushesInFlightMax) {
      return connectionLost(connection->id, "the agent stopped reading its pushes");
    }
    kj::Promise<void> sent =
        std::visit(Overloaded{
                       [&](const shell::SessionPush& p) -> kj::Promise<void> {
                         auto request = sink->messageRequest();
                         encode(request, p);
                         return request.send();
                       },
                       [&](const shell::AssignmentsPush& p) -> kj::Promise<void> {
                         auto request = sink->assignmentsRequest();
                         encode(request, p);
                         return request.send();
                       },
                       [&](const shell::SessionEnd& p) -> kj::Promise<void> {
                         auto request = sink->endRequest();
                         encode(request, p);
                         return request.send().ignoreResult();
                       },
                       [](const auto&) -> kj::Promise<void> { KJ_UNREACHABLE; },
                   },
                   message.message);
    connection->pushesInFlight++;
    connection->tasks.add(sent.then([connection]() { connection->pushesInFlight--; }));
  }
}

void ManagerServer::rearm() {
  KJ_IF_MAYBE (deadline, core_.nextDeadline()) {
    if (wakeAt_ == *deadline) return;
    wakeAt_ = *deadline;
    kj::TimePoint at = kj::origin<kj::TimePoint>() + deadline->sinceOrigin() * kj::NANOSECONDS;
    // The step runs in a task of its own, so that rearming never destroys the running promise.
    wake_ = timer_.atTime(at)
                .then([this]() { tasks_.add(kj::evalLater([this]() { wake(); })); })
                .eagerlyEvaluate([](kj::Exception&& e) { KJ_LOG(ERROR, "timer failed", e); });
  } else {
    wakeAt_.reset();
    wake_ = nullptr;
  }
}

void ManagerServer::wake() {
  wakeAt_.reset();
  step(manager::Tick{});
}

void ManagerServer::fail(const std::string& why) {
  if (failure_.has_value()) return;
  failure_ = why;
  KJ_LOG(ERROR, "the manager stops: its store refused a write", why);
  stopFulfiller_->reject(KJ_EXCEPTION(FAILED, "the manager's store refused a write", why));
  for (auto& [id, connection] : connections_)
    connection->lost = true;
  // Calls waiting for the core fail instead of waiting for ever.
  for (auto& [request, call] : calls_)
    call.fulfiller->reject(KJ_EXCEPTION(DISCONNECTED, "the manager stopped", why));
  for (auto& [request, fulfiller] : controls_)
    fulfiller->reject(KJ_EXCEPTION(DISCONNECTED, "the manager stopped", why));
  calls_.clear();
  sinks_.clear();
  controls_.clear();
  tasks_.add(kj::evalLater([this]() {
    auto connections = kj::mv(connections_);
    connections_.clear();
  }));
}

ManagerServer::AgentConnection* ManagerServer::find(shell::ConnectionId connection) {
  auto found = connections_.find(connection);
  return found == connections_.end() ? nullptr : found->second.get();
}

// --- Connections ------------------------------------------------------------------------------

shell::ConnectionId ManagerServer::accept(kj::Own<kj::AsyncIoStream> stream) {
  shell::ConnectionId id = ++lastConnection_;
  if (failure_.has_value()) return id;
  if (connections_.size() >= AGENT_CONNECTIONS_MAX) {
    KJ_LOG(WARNING, "agent connection refused: too many connections", AGENT_CONNECTIONS_MAX);
    return id;
  }
  connections_.emplace(id, kj::heap<AgentConnection>(*this, id, kj::mv(stream)));
  return id;
}

void ManagerServer::connectionLost(shell::ConnectionId id, const std::string& why) {
  if (destroying_) return;
  AgentConnection* connection = find(id);
  if (connection == nullptr || connection->lost) return;
  connection->lost = true;
  if (connection->node.has_value()) {
    if (why != "the agent hung up") {
      KJ_LOG(WARNING, "agent connection dropped", connection->node->value, why);
    }
    std::optional<manager::Input> closed = pipeline_.closed(id, *connection->node);
    if (closed.has_value()) stepSoon(std::move(*closed));
  }
  // Destroyed later: this may run inside one of the connection's own callbacks.
  tasks_.add(kj::evalLater([this, id]() {
    auto found = connections_.find(id);
    if (found == connections_.end()) return;
    kj::Own<AgentConnection> owned = kj::mv(found->second);
    connections_.erase(found);
  }));
}

void ManagerServer::sessionDropped(shell::ConnectionId id, const NodeId& node, uint64_t serial) {
  if (destroying_) return;
  AgentConnection* connection = find(id);
  if (connection == nullptr || connection->lost) return;  // the connection's close counts
  if (connection->sessionSerial != serial) return;        // an older session of this connection
  connection->sink = nullptr;
  std::optional<manager::Input> closed = pipeline_.closed(id, node);
  if (closed.has_value()) stepSoon(std::move(*closed));
}

kj::Promise<void> ManagerServer::acceptLoop(kj::ConnectionReceiver& receiver, bool control) {
  return receiver.accept()
      .then(
          [this, control](kj::Own<kj::AsyncIoStream>&& stream) -> kj::Promise<void> {
            if (control) {
              acceptControl(kj::mv(stream));
            } else {
              accept(kj::mv(stream));
            }
            return kj::READY_NOW;
          },
          [this](kj::Exception&& exception) -> kj::Promise<void> {
            // Out of descriptors, most likely: wait a little instead of spinning.
            KJ_LOG(WARNING, "accepting a connection failed", exception);
            return timer_.afterDelay(100 * kj::MILLISECONDS);
          })
      .then([this, &receiver, control]() { return acceptLoop(receiver, control); });
}

kj::Promise<void> ManagerServer::listen(kj::Network& network) {
  auto bind = [this, &network](std::string address, bool control,
                               uint32_t* port) -> kj::Promise<void> {
    return network.parseAddress(address)
        .then([this, control, port](kj::Own<kj::NetworkAddress>&& parsed) {
          kj::Own<kj::ConnectionReceiver> receiver = parsed->listen();
          if (port != nullptr) *port = receiver->getPort();
          tasks_.add(acceptLoop(*receiver, control));
          listeners_.push_back(kj::mv(receiver));
        })
        .catch_([address, control](kj::Exception&& exception) -> kj::Promise<void> {
          return KJ_EXCEPTION(
              FAILED, kj::str("cannot listen for ", control ? "control clients" : "agents", " on ",
                              address.c_str(), ": ", exception.getDescription(),
                              " (is the address right and free?)"));
        });
  };
  kj::Vector<kj::Promise<void>> binds;
  if (!options_.listenAddress.empty()) {
    binds.add(bind(options_.listenAddress, false, &agentPort_));
  }
  if (!options_.controlAddress.empty()) {
    binds.add(bind(options_.controlAddress, true, &controlPort_));
  }
  if (!options_.controlSocketPath.empty()) {
    const std::string& path = options_.controlSocketPath;
    struct stat info {};
    if (::lstat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode)) ::unlink(path.c_str());
    binds.add(bind("unix:" + path, true, nullptr).then([path]() {
      if (::chmod(path.c_str(), 0600) != 0) {
        return kj::Promise<void>(KJ_EXCEPTION(
            FAILED, "cannot restrict the control socket to its owner", path, strerror(errno)));
      }
      return kj::Promise<void>(kj::READY_NOW);
    }));
  }
  return kj::joinPromises(binds.releaseAsArray());
}

// --- Agent calls ------------------------------------------------------------------------------

kj::Promise<ManagerServer::Answer> ManagerServer::call(AgentConnection& connection,
                                                       const manager::Input& input) {
  auto paf = kj::newPromiseAndFulfiller<Answer>();
  calls_.emplace(requestOf(input), PendingCall{connection.id, kj::mv(paf.fulfiller)});
  connection.callsInFlight++;
  step(input);
  return kj::mv(paf.promise);
}

std::optional<RpcError> ManagerServer::authenticate(
    AgentConnection& connection, schema::Dispatcher::SessionParams::Reader params,
    NodeId& node) const {
  if (!params.hasCredential()) {
    return rpcError(ErrorCode::UNAUTHENTICATED,
                    "session refused: no node credential (the call must name the node and carry "
                    "its secret)");
  }
  auto credential = params.getCredential();
  capnp::Text::Reader id = credential.getNodeId();
  capnp::Data::Reader secret = credential.getSecret();
  if (id.size() == 0 || id.size() > limits::ID_LENGTH_MAX ||
      secret.size() > CREDENTIAL_SECRET_BYTES_MAX) {
    return rpcError(ErrorCode::UNAUTHENTICATED,
                    "session refused: the node credential is malformed (an id of 1 to " +
                        std::to_string(limits::ID_LENGTH_MAX) + " bytes and a secret of at most " +
                        std::to_string(CREDENTIAL_SECRET_BYTES_MAX) + " bytes)");
  }
  NodeId claimed{std::string(id.cStr(), id.size())};
  auto known = options_.credentials.find(claimed);
  std::string_view given(reinterpret_cast<const char*>(secret.begin()), secret.size());
  bool valid = known != options_.credentials.end() ? sameSecret(known->second, given)
                                                   : auth_.authenticate(claimed, given);
  if (!valid) {
    return rpcError(ErrorCode::UNAUTHENTICATED,
                    "session refused: the credential of node \"" + printableKey(claimed.value) +
                        "\" is not valid (check the node's id and secret)");
  }
  if (connection.node.has_value() && *connection.node != claimed) {
    return rpcError(ErrorCode::UNAUTHENTICATED,
                    "session refused: this connection belongs to node \"" +
                        printableKey(connection.node->value) + "\"; node \"" +
                        printableKey(claimed.value) + "\" must open its own connection");
  }
  node = std::move(claimed);
  return std::nullopt;
}

namespace {
// Refuses a call with `error` (no core involved).
void refuseSession(SessionCallContext& context, const RpcError& error) {
  encode(context.getResults().initResult(), shell::SessionReply{{}, {}, error});
}
}  // namespace

// --- Joining and the managers list ------------------------------------------------------------

kj::Promise<void> ManagerServer::join(JoinCallContext context) {
  auto params = context.getParams();
  auto result = context.getResults().initResult();
  auto refuse = [&](ErrorCode code, const std::string& why) {
    encode(result.initError(), rpcError(code, why));
    return kj::Promise<void>(kj::READY_NOW);
  };
  if (failure_.has_value()) return refuse(ErrorCode::UNAVAILABLE, "the manager stopped");
  if (!auth_.created()) {
    return refuse(ErrorCode::UNAVAILABLE, "this manager has no cluster identity to join");
  }
  capnp::Text::Reader token = params.getToken();
  capnp::Text::Reader hostname = params.getHostname();
  capnp::Text::Reader address = params.getAdvertiseAddress();
  if (token.size() > 256 || hostname.size() > limits::HOSTNAME_LENGTH_MAX ||
      address.size() > limits::ADDRESS_LENGTH_MAX) {
    return refuse(ErrorCode::INVALID_ARGUMENT,
                  "join refused: the token, hostname or advertised address is too long");
  }
  auto outcome = auth_.join(std::string_view(token.cStr(), token.size()),
                            std::string(hostname.cStr(), hostname.size()),
                            std::string(address.cStr(), address.size()));
  if (auto* why = std::get_if<std::string>(&outcome)) {
    KJ_LOG(WARNING, "join refused", printableKey(std::string(hostname.cStr())), *why);
    return refuse(ErrorCode::UNAUTHENTICATED, "join refused: " + *why);
  }
  if (auto* error = std::get_if<StoreError>(&outcome)) {
    fail(error->message);
    return refuse(ErrorCode::UNAVAILABLE, "join refused: the manager's store failed");
  }
  const JoinGrant& grant = std::get<JoinGrant>(outcome);
  KJ_LOG(INFO, "node joined", grant.node.value, std::string(hostname.cStr()),
         grant.role == NodeRole::MANAGER ? "manager" : "worker");
  // A node joined with the manager token is named a manager before it registers, so that it
  // registers as one (manager::ManagersChanged).
  if (grant.role == NodeRole::MANAGER) refreshManagers();
  auto joined = result.initJoined();
  joined.setNodeId(grant.node.value);
  joined.setSecret(
      kj::arrayPtr(reinterpret_cast<const kj::byte*>(grant.secret.data()), grant.secret.size()));
  joined.setClusterId(auth_.id());
  joined.setRole(grant.role == NodeRole::MANAGER ? schema::NodeRole::MANAGER
                                                 : schema::NodeRole::WORKER);
  auto peers = joined.initManagers(static_cast<unsigned int>(managers_.size()));
  for (unsigned int i = 0; i < managers_.size(); ++i)
    encode(peers[i], managers_[i]);
  return kj::READY_NOW;
}

void ManagerServer::refreshManagers() {
  if (failure_.has_value() || destroying_) return;
  std::vector<Peer> list = options_.managers;
  auto listed = [&](const NodeId& id) {
    return std::any_of(list.begin(), list.end(),
                       [&](const Peer& peer) { return peer.nodeId == id; });
  };
  const auto& nodes = state().cluster.nodes;
  for (const auto& [id, entry] : auth_.nodes()) {
    if (entry.advertiseAddress.empty() || listed(id)) continue;
    auto node = nodes.find(id);
    bool manager = node == nodes.end() ? entry.joinedAs == NodeRole::MANAGER
                                       : node->second.role == NodeRole::MANAGER;
    if (manager && list.size() < limits::MANAGERS_MAX)
      list.push_back(Peer{id, entry.advertiseAddress});
  }
  if (list == managers_) return;
  managers_ = list;
  KJ_LOG(INFO, "managers changed", managers_.size());
  stepSoon(manager::ManagersChanged{std::move(list)});
}

void ManagerServer::afterControl(const manager::ControlOperation& operation,
                                 const manager::ControlAnswer& answer) {
  if (answer.error.has_value()) return;
  if (const auto* removed = std::get_if<manager::RemoveNode>(&operation)) {
    if (auto error = auth_.revoke(removed->node)) return fail(error->message);
  }
  if (std::holds_alternative<manager::PromoteNode>(operation) ||
      std::holds_alternative<manager::DemoteNode>(operation) ||
      std::holds_alternative<manager::RemoveNode>(operation)) {
    refreshManagers();
  }
}

ClusterSummary ManagerServer::cluster() const {
  ClusterSummary summary;
  if (!auth_.created()) return summary;
  summary.id = auth_.id();
  if (!options_.managers.empty()) summary.leader = options_.managers.front().nodeId;
  summary.managers = managers_;
  summary.workerToken = formatJoinToken(auth_.token(NodeRole::WORKER));
  summary.managerToken = formatJoinToken(auth_.token(NodeRole::MANAGER));
  return summary;
}

std::optional<ClusterSummary> ManagerServer::rotateToken(NodeRole role) {
  if (failure_.has_value() || !auth_.created()) return std::nullopt;
  if (auto error = auth_.rotate(role)) {
    fail(error->message);
    return std::nullopt;
  }
  KJ_LOG(INFO, "join token rotated", role == NodeRole::MANAGER ? "manager" : "worker");
  return cluster();
}

// --- Sessions -----------------------------------------------------------------------------------

kj::Promise<void> ManagerServer::openSession(shell::ConnectionId id, SessionCallContext context) {
  AgentConnection* connection = find(id);
  if (connection == nullptr || connection->lost || failure_.has_value()) {
    return KJ_EXCEPTION(DISCONNECTED, "the manager closed this connection");
  }
  auto params = context.getParams();
  NodeId node;
  if (auto refused = authenticate(*connection, params, node)) {
    KJ_LOG(WARNING, "agent refused", refused->message);
    refuseSession(context, *refused);
    return kj::READY_NOW;
  }
  auto decoded = decodeSessionParams(params);
  if (!decoded.ok()) {
    KJ_LOG(WARNING, "malformed session call", node.value, decoded.error);
    refuseSession(context, rpcError(ErrorCode::INVALID_ARGUMENT, "session: " + decoded.error));
    return kj::READY_NOW;
  }
  if (connection->callsInFlight >= AGENT_CALLS_IN_FLIGHT_MAX) {
    refuseSession(context, rpcError(ErrorCode::UNAVAILABLE, "too many calls in flight"));
    return kj::READY_NOW;
  }
  connection->node = node;
  manager::Input input = pipeline_.arrive(id, node, std::move(*decoded.value));
  sinks_.emplace(requestOf(input), params.getSink());
  return call(*connection, input).then([this, id, node, context](Answer&& answer) mutable {
    auto& reply = std::get<shell::SessionReply>(answer.message);
    auto result = context.getResults().initResult();
    encode(result, reply);
    if (!reply.error.has_value()) {
      result.getOpened().setSession(
          kj::heap<SessionImpl>(*this, id, node, reply.sessionId, answer.serial));
    }
  });
}

kj::Promise<void> ManagerServer::heartbeat(shell::ConnectionId id, const NodeId& node,
                                           const SessionId& session, HeartbeatCallContext context) {
  AgentConnection* connection = find(id);
  if (connection == nullptr || connection->lost || failure_.has_value()) {
    return KJ_EXCEPTION(DISCONNECTED, "the manager closed this connection");
  }
  if (connection->callsInFlight >= AGENT_CALLS_IN_FLIGHT_MAX) {
    encode(context.getResults(),
           shell::HeartbeatReply{{}, rpcError(ErrorCode::UNAVAILABLE, "too many calls in flight")});
    return kj::READY_NOW;
  }
  return call(*connection, pipeline_.arrive(id, node, shell::HeartbeatCall{session}))
      .then([context](Answer&& answer) mutable {
        encode(context.getResults(), std::get<shell::HeartbeatReply>(answer.message));
      });
}

kj::Promise<void> ManagerServer::updateTaskStatus(shell::ConnectionId id, const NodeId& node,
                                                  const SessionId& session,
                                                  StatusesCallContext context) {
  AgentConnection* connection = find(id);
  if (connection == nullptr || connection->lost || failure_.has_value()) {
    return KJ_EXCEPTION(DISCONNECTED, "the manager closed this connection");
  }
  auto params = context.getParams();
  auto decoded = decodeStatusesCall(params, session);
  if (!decoded.ok()) {
    KJ_LOG(WARNING, "malformed status call", node.value, decoded.error);
    encode(context.getResults(),
           shell::StatusesReply{params.getBatch(), rpcError(ErrorCode::INVALID_ARGUMENT,
                                                            "updateTaskStatus: " + decoded.error)});
    return kj::READY_NOW;
  }
  if (connection->callsInFlight >= AGENT_CALLS_IN_FLIGHT_MAX) {
    encode(context.getResults(),
           shell::StatusesReply{params.getBatch(),
                                rpcError(ErrorCode::UNAVAILABLE, "too many calls in flight")});
    return kj::READY_NOW;
  }
  return call(*connection, pipeline_.arrive(id, node, std::move(*decoded.value)))
      .then([context](Answer&& answer) mutable {
        encode(context.getResults(), std::get<shell::StatusesReply>(answer.message));
      });
}

kj::Promise<void> ManagerServer::resync(shell::ConnectionId id, const NodeId& node,
                                        const SessionId& session) {
  AgentConnection* connection = find(id);
  if (connection == nullptr || connection->lost || failure_.has_value()) {
    return KJ_EXCEPTION(DISCONNECTED, "the manager closed this connection");
  }
  step(pipeline_.arrive(id, node, shell::ResyncCall{session}));
  return kj::READY_NOW;
}

}  // namespace swarmlet::io
