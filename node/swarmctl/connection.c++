#include "node/swarmctl/connection.h"

#include <kj/debug.h>

#include "io/codec-types.h"
#include "io/codec.h"
#include "node/swarmctl/failure.h"

namespace swarmlet::swarmctl {
namespace {

// "connect(): No such file or directory" reads better without KJ's prefixes and suffixes.
std::string why(const kj::Exception& exception) {
  std::string text = exception.getDescription().cStr();
  const std::string remote = "remote exception: ";
  if (text.compare(0, remote.size(), remote) == 0) text = text.substr(remote.size());
  size_t call = text.find("(): ");
  if (call != std::string::npos && text.find(' ') > call) text = text.substr(call + 4);
  return text;
}

std::string whatToDo(manager::ControlErrorCode code) {
  switch (code) {
    case manager::ControlErrorCode::INVALID_ARGUMENT:
      return "correct the arguments (see the command's --help)";
    case manager::ControlErrorCode::NOT_FOUND:
      return "check the reference (the ls commands list what exists)";
    case manager::ControlErrorCode::ALREADY_EXISTS:
      return "choose another name, or remove the existing one first";
    case manager::ControlErrorCode::FAILED_PRECONDITION:
      return "change what the message names, then retry";
  }
  KJ_UNREACHABLE;
}

[[noreturn]] void refused(const manager::ControlError& error) {
  fail(ExitCode::REFUSED, error.message + "; " + whatToDo(error.code));
}

template <typename T>
T found(io::Lookup<T>&& lookup) {
  if (auto* error = std::get_if<manager::ControlError>(&lookup)) refused(*error);
  return std::move(std::get<T>(lookup));
}

}  // namespace

Connection::Connection(Endpoint endpoint)
    : endpoint_(std::move(endpoint)), io_(kj::setupAsyncIo()), control_(nullptr) {
  std::string address = endpoint_.tcp ? endpoint_.address : "unix:" + endpoint_.address;
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&]() {
                 auto connected = io_.provider->getNetwork().parseAddress(address).then(
                     [](kj::Own<kj::NetworkAddress> parsed) {
                       return parsed->connect().attach(kj::mv(parsed));
                     });
                 stream_ = io_.provider->getTimer()
                               .timeoutAfter(CONNECT_TIMEOUT, kj::mv(connected))
                               .wait(io_.waitScope);
               })) {
    std::string reason =
        exception->getType() == kj::Exception::Type::OVERLOADED
            ? "no connection within " + std::to_string(CONNECT_TIMEOUT / kj::SECONDS) + "s"
            : why(*exception);
    fail(ExitCode::UNREACHABLE, unreachable(reason));
  }
  // The RPC system's reader takes answers as large as the server may send (a whole cluster's
  // tasks): the same traversal limit the server reads with, not Cap'n Proto's default.
  network_ = kj::heap<capnp::TwoPartyVatNetwork>(
      *stream_, capnp::rpc::twoparty::Side::CLIENT,
      io::untrustedReaderOptions(io::limits::MESSAGE_TRAVERSAL_LIMIT_WORDS));
  rpc_ = kj::heap<capnp::RpcSystem<capnp::rpc::twoparty::VatId>>(capnp::makeRpcClient(*network_));
  capnp::MallocMessageBuilder message(4);
  auto server = message.initRoot<capnp::rpc::twoparty::VatId>();
  server.setSide(capnp::rpc::twoparty::Side::SERVER);
  control_ = rpc_->bootstrap(server).castAs<schema::Control>();
}

Connection::~Connection() noexcept(false) {}

std::string Connection::unreachable(const std::string& reason) const {
  std::string hint =
      endpoint_.tcp ? "point --addr at its control address" : "point -s at its DIR/swarmd.sock";
  return "cannot reach swarmd at " + endpoint_.address + ": " + reason + " (is swarmd running? " +
         hint + ")";
}

template <typename T>
std::optional<T> Connection::call(kj::Promise<T>&& promise, const char* name) {
  std::optional<T> result;
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&]() {
                 result = io_.provider->getTimer()
                              .timeoutAfter(CALL_TIMEOUT, kj::mv(promise))
                              .wait(io_.waitScope);
               })) {
    switch (exception->getType()) {
      case kj::Exception::Type::UNIMPLEMENTED:
        return std::nullopt;
      case kj::Exception::Type::DISCONNECTED:
        fail(ExitCode::UNREACHABLE,
             unreachable("the connection was lost (" + why(*exception) + ")"));
      case kj::Exception::Type::OVERLOADED:
        fail(ExitCode::UNREACHABLE, unreachable(std::string("no answer to ") + name + " within " +
                                                std::to_string(CALL_TIMEOUT / kj::SECONDS) + "s"));
      case kj::Exception::Type::FAILED:
        break;
    }
    fail(ExitCode::REFUSED, std::string("swarmd failed Control.") + name + ": " + why(*exception) +
                                "; see swarmd's log");
  }
  KJ_ASSERT(result.has_value());
  return result;
}

template <typename T>
T Connection::wait(kj::Promise<T>&& promise, const char* name) {
  std::optional<T> result = call(kj::mv(promise), name);
  if (!result.has_value()) {
    fail(ExitCode::REFUSED, std::string("this swarmd does not implement Control.") + name +
                                " yet; run a swarmd as new as this swarmctl");
  }
  return kj::mv(*result);
}

template <typename T>
T Connection::decoded(io::Decoded<T>&& decoded, const char* call) const {
  if (!decoded.ok()) {
    fail(ExitCode::REFUSED, std::string("swarmd's answer to Control.") + call +
                                " is malformed: " + decoded.error +
                                "; run a swarmd of the same version as this swarmctl");
  }
  return std::move(*decoded.value);
}

std::string Connection::apply(const manager::ControlOperation& operation) {
  auto request = control_.applyRequest();
  io::encode(request.initOperation(), operation);
  auto response = wait(request.send(), "apply");
  manager::ControlAnswer answer = decoded(io::decodeControlResult(response), "apply");
  if (answer.error.has_value()) refused(*answer.error);
  return answer.id;
}

std::vector<manager::NodeRecord> Connection::listNodes() {
  auto response = wait(control_.listNodesRequest().send(), "listNodes");
  return decoded(io::decodeNodeList(response.getNodes()), "listNodes");
}

manager::NodeRecord Connection::inspectNode(const NodeId& id) {
  auto request = control_.inspectNodeRequest();
  request.setRef(id.value);
  auto response = wait(request.send(), "inspectNode");
  return found(decoded(io::decodeNodeLookup(response), "inspectNode"));
}

std::vector<manager::ServiceRecord> Connection::listServices() {
  auto response = wait(control_.listServicesRequest().send(), "listServices");
  return decoded(io::decodeServiceList(response.getServices()), "listServices");
}

manager::ServiceRecord Connection::inspectService(const ServiceId& id) {
  auto request = control_.inspectServiceRequest();
  request.setRef(id.value);
  auto response = wait(request.send(), "inspectService");
  return found(decoded(io::decodeServiceLookup(response), "inspectService"));
}

std::vector<Task> Connection::listTasks(const io::TaskFilter& filter) {
  auto request = control_.listTasksRequest();
  io::encode(request.initFilter(), filter);
  auto response = wait(request.send(), "listTasks");
  return decoded(io::decodeTaskList(response.getTasks()), "listTasks");
}

Task Connection::inspectTask(const TaskId& id) {
  auto request = control_.inspectTaskRequest();
  request.setRef(id.value);
  auto response = wait(request.send(), "inspectTask");
  return found(decoded(io::decodeTaskLookup(response), "inspectTask"));
}

std::vector<io::SecretInfo> Connection::listSecrets() {
  auto response = wait(control_.listSecretsRequest().send(), "listSecrets");
  return decoded(io::decodeSecretList(response.getSecrets()), "listSecrets");
}

std::vector<io::ConfigInfo> Connection::listConfigs() {
  auto response = wait(control_.listConfigsRequest().send(), "listConfigs");
  return decoded(io::decodeConfigList(response.getConfigs()), "listConfigs");
}

ClusterInfo Connection::inspectCluster() {
  auto response = wait(control_.inspectClusterRequest().send(), "inspectCluster");
  return decoded(decodeClusterInfo(response), "inspectCluster");
}

std::optional<ClusterInfo> Connection::tryInspectCluster() {
  auto response = call(control_.inspectClusterRequest().send(), "inspectCluster");
  if (!response.has_value()) return std::nullopt;
  return decoded(decodeClusterInfo(*response), "inspectCluster");
}

ClusterInfo Connection::rotateToken(NodeRole role) {
  auto request = control_.rotateTokenRequest();
  request.setRole(role == NodeRole::MANAGER ? schema::NodeRole::MANAGER : schema::NodeRole::WORKER);
  auto response = wait(request.send(), "rotateToken");
  return decoded(decodeClusterInfo(response), "rotateToken");
}

}  // namespace swarmlet::swarmctl
