// The manager server's control API (manager-server.h): apply goes through the pipeline to the
// core and is answered once the change is durable; the queries read the core's state.
#include <kj/debug.h>

#include <string>
#include <utility>
#include <vector>

#include "io/codec.h"
#include "io/manager-server-internal.h"

namespace swarmlet::io {

namespace {

manager::ControlError controlError(manager::ControlErrorCode code, std::string message) {
  return manager::ControlError{code, std::move(message)};
}

// The record `ref` names in `records` (a map by id): the one with that id, else the one whose
// name (nameOf) it is. A name shared by several records is refused: the caller must use an id.
template <typename Map, typename NameOf>
Lookup<typename Map::mapped_type> lookup(const Map& records, const std::string& ref,
                                         NameOf&& nameOf, const char* kind) {
  auto byId = records.find(typename Map::key_type{ref});
  if (byId != records.end()) return byId->second;
  const typename Map::mapped_type* match = nullptr;
  size_t matches = 0;
  for (const auto& [id, record] : records) {
    if (nameOf(record) != ref) continue;
    if (matches++ == 0) match = &record;
  }
  if (matches == 1) return *match;
  if (matches > 1) {
    return controlError(manager::ControlErrorCode::INVALID_ARGUMENT,
                        std::string("the name \"") + ref + "\" is shared by " +
                            std::to_string(matches) + " " + kind + "s: use an id");
  }
  return controlError(manager::ControlErrorCode::NOT_FOUND,
                      std::string("no ") + kind + " has the id or name \"" + ref + "\"");
}

// Every value of `records` (a map) that `keep` accepts, converted by `convert`, at most
// QUERY_RESULTS_MAX of them.
template <typename Map, typename Convert, typename Keep>
auto collect(const Map& records, Convert&& convert, Keep&& keep) {
  std::vector<decltype(convert(records.begin()->second))> out;
  for (const auto& [id, record] : records) {
    if (!keep(record)) continue;
    if (out.size() == limits::QUERY_RESULTS_MAX) {
      KJ_LOG(WARNING, "a control query was cut at its bound", limits::QUERY_RESULTS_MAX);
      break;
    }
    out.push_back(convert(record));
  }
  return out;
}

template <typename T>
T same(const T& value) {
  return value;
}

constexpr auto ALL = [](const auto&) { return true; };

// The Control capability of one control connection.
class ControlImpl final : public schema::Control::Server {
 public:
  explicit ControlImpl(ManagerServer& server) : server_(server) {}

  kj::Promise<void> apply(ApplyContext context) override { return server_.applyControl(context); }

  kj::Promise<void> listNodes(ListNodesContext context) override {
    auto nodes = collect(cluster().nodes, same<manager::NodeRecord>, ALL);
    encodeAll<schema::NodeRecord>(context.getResults().initNodes(size(nodes)), nodes);
    return kj::READY_NOW;
  }

  kj::Promise<void> inspectNode(InspectNodeContext context) override {
    return inspect(context, [&](const std::string& ref) {
      return lookup(
          cluster().nodes, ref,
          [](const manager::NodeRecord& node) -> const std::string& {
            return node.description.hostname;
          },
          "node");
    });
  }

  kj::Promise<void> listServices(ListServicesContext context) override {
    auto services = collect(cluster().services, same<manager::ServiceRecord>, ALL);
    encodeAll<schema::ServiceRecord>(context.getResults().initServices(size(services)), services);
    return kj::READY_NOW;
  }

  kj::Promise<void> inspectService(InspectServiceContext context) override {
    return inspect(context, [&](const std::string& ref) {
      return lookup(
          cluster().services, ref,
          [](const manager::ServiceRecord& service) -> const std::string& {
            return service.spec.name;
          },
          "service");
    });
  }

  kj::Promise<void> listTasks(ListTasksContext context) override {
    auto filter = decodeTaskFilter(context.getParams().getFilter());
    if (!filter.ok()) {
      KJ_LOG(WARNING, "malformed task filter", filter.error);
      return KJ_EXCEPTION(FAILED, "listTasks: filter: " + filter.error);
    }
    auto tasks = collect(cluster().tasks, same<Task>,
                         [&](const Task& task) { return filter.value->matches(task); });
    encodeAll<schema::Task>(context.getResults().initTasks(size(tasks)), tasks);
    return kj::READY_NOW;
  }

  kj::Promise<void> inspectTask(InspectTaskContext context) override {
    return inspect(context, [&](const std::string& ref) -> Lookup<Task> {
      auto found = cluster().tasks.find(TaskId{ref});
      if (found != cluster().tasks.end()) return found->second;
      return controlError(manager::ControlErrorCode::NOT_FOUND,
                          "no task has the id \"" + ref + "\"");
    });
  }

  kj::Promise<void> listSecrets(ListSecretsContext context) override {
    auto secrets = collect(cluster().secrets, secretInfo, ALL);
    encodeAll<schema::SecretInfo>(context.getResults().initSecrets(size(secrets)), secrets);
    return kj::READY_NOW;
  }

  kj::Promise<void> inspectSecret(InspectSecretContext context) override {
    return inspect(context, [&](const std::string& ref) -> Lookup<SecretInfo> {
      auto found = lookup(
          cluster().secrets, ref,
          [](const Secret& secret) -> const std::string& { return secret.name; }, "secret");
      if (auto* secret = std::get_if<Secret>(&found)) return secretInfo(*secret);
      return std::get<manager::ControlError>(found);
    });
  }

  kj::Promise<void> listConfigs(ListConfigsContext context) override {
    auto configs = collect(cluster().configs, configInfo, ALL);
    encodeAll<schema::ConfigInfo>(context.getResults().initConfigs(size(configs)), configs);
    return kj::READY_NOW;
  }

  kj::Promise<void> inspectConfig(InspectConfigContext context) override {
    return inspect(context, [&](const std::string& ref) {
      return lookup(
          cluster().configs, ref,
          [](const Config& config) -> const std::string& { return config.name; }, "config");
    });
  }

  kj::Promise<void> inspectCluster(InspectClusterContext context) override {
    if (!server_.hasCluster()) {
      return KJ_EXCEPTION(FAILED, "this manager has no cluster identity (no join tokens)");
    }
    encodeCluster(context.getResults(), server_.cluster());
    return kj::READY_NOW;
  }

  kj::Promise<void> rotateToken(RotateTokenContext context) override {
    NodeRole role = context.getParams().getRole() == schema::NodeRole::MANAGER ? NodeRole::MANAGER
                                                                               : NodeRole::WORKER;
    if (!server_.hasCluster()) {
      return KJ_EXCEPTION(FAILED, "this manager has no cluster identity: no join tokens to rotate");
    }
    auto rotated = server_.rotateToken(role);
    if (!rotated.has_value()) {
      return KJ_EXCEPTION(DISCONNECTED, "the manager stopped: its store refused a write");
    }
    encodeCluster(context.getResults(), *rotated);
    return kj::READY_NOW;
  }

 private:
  const manager::ClusterState& cluster() const { return server_.state().cluster; }

  static void encodeCluster(schema::ClusterInfo::Builder info, const ClusterSummary& summary) {
    info.setId(summary.id);
    info.setLeaderNodeId(summary.leader.value);
    auto managers = info.initManagers(static_cast<unsigned int>(summary.managers.size()));
    for (unsigned int i = 0; i < summary.managers.size(); ++i)
      encode(managers[i], summary.managers[i]);
    info.setWorkerToken(summary.workerToken);
    info.setManagerToken(summary.managerToken);
  }

  template <typename T>
  static unsigned int size(const std::vector<T>& values) {
    return static_cast<unsigned int>(values.size());
  }

  // An inspect query: the ref decoded (refused: INVALID_ARGUMENT naming it), looked up, encoded.
  template <typename Context, typename Find>
  kj::Promise<void> inspect(Context& context, Find&& find) {
    auto ref = decodeRef(context.getParams().getRef());
    auto results = context.getResults();
    if (!ref.ok()) {
      using Found = decltype(find(std::string()));
      encode(results,
             Found(controlError(manager::ControlErrorCode::INVALID_ARGUMENT, "ref: " + ref.error)));
      return kj::READY_NOW;
    }
    encode(results, find(*ref.value));
    return kj::READY_NOW;
  }

  ManagerServer& server_;
};

}  // namespace

ManagerServer::ControlConnection::ControlConnection(ManagerServer& server, uint64_t id,
                                                    kj::Own<kj::AsyncIoStream> stream)
    : server(server),
      id(id),
      stream(kj::mv(stream)),
      network(*this->stream, capnp::rpc::twoparty::Side::SERVER,
              untrustedReaderOptions(limits::MESSAGE_TRAVERSAL_LIMIT_WORDS)),
      rpc(capnp::makeRpcServer(network, capnp::Capability::Client(kj::heap<ControlImpl>(server)))),
      tasks(*this) {
  tasks.add(network.onDisconnect().then([&server, id]() { server.controlConnectionLost(id); }));
}

void ManagerServer::ControlConnection::taskFailed(kj::Exception&& exception) {
  KJ_LOG(WARNING, "control connection failed", exception);
  server.controlConnectionLost(id);
}

void ManagerServer::acceptControl(kj::Own<kj::AsyncIoStream> stream) {
  if (failure_.has_value()) return;
  if (controlConnections_.size() >= CONTROL_CONNECTIONS_MAX) {
    KJ_LOG(WARNING, "control connection refused: too many connections", CONTROL_CONNECTIONS_MAX);
    return;
  }
  uint64_t id = ++lastControlConnection_;
  controlConnections_.emplace(id, kj::heap<ControlConnection>(*this, id, kj::mv(stream)));
}

void ManagerServer::controlConnectionLost(uint64_t id) {
  if (destroying_) return;
  tasks_.add(kj::evalLater([this, id]() {
    auto found = controlConnections_.find(id);
    if (found == controlConnections_.end()) return;
    kj::Own<ControlConnection> owned = kj::mv(found->second);
    controlConnections_.erase(found);
  }));
}

kj::Promise<void> ManagerServer::applyControl(ApplyCallContext context) {
  if (failure_.has_value()) {
    return KJ_EXCEPTION(DISCONNECTED, "the manager stopped: its store refused a write");
  }
  auto refuse = [&](manager::ControlErrorCode code, std::string why) {
    encode(context.getResults(), manager::ControlAnswer{0, controlError(code, std::move(why)), {}});
    return kj::Promise<void>(kj::READY_NOW);
  };
  auto operation = decodeControlOperation(context.getParams().getOperation());
  if (!operation.ok()) {
    KJ_LOG(WARNING, "malformed control operation", operation.error);
    return refuse(manager::ControlErrorCode::INVALID_ARGUMENT, "operation: " + operation.error);
  }
  if (controls_.size() >= CONTROL_CALLS_IN_FLIGHT_MAX) {
    return refuse(manager::ControlErrorCode::FAILED_PRECONDITION,
                  "the manager is busy: too many control operations in flight, retry later");
  }
  if (const auto* demote = std::get_if<manager::DemoteNode>(&*operation.value)) {
    if (!options_.managers.empty() && demote->node == options_.managers.front().nodeId) {
      return refuse(manager::ControlErrorCode::FAILED_PRECONDITION,
                    "node " + demote->node.value +
                        " is the leader: it holds the cluster's state, which is not replicated to "
                        "other managers yet, so it cannot be demoted");
    }
  }
  manager::ControlOperation applied = *operation.value;
  manager::Input input = pipeline_.control(std::move(*operation.value));
  auto paf = kj::newPromiseAndFulfiller<manager::ControlAnswer>();
  controls_.emplace(std::get<manager::Control>(input).request, kj::mv(paf.fulfiller));
  step(input);
  return paf.promise.then(
      [this, context, applied = std::move(applied)](manager::ControlAnswer&& answer) mutable {
        afterControl(applied, answer);
        encode(context.getResults(), answer);
      });
}

}  // namespace swarmlet::io
