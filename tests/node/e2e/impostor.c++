// impostor: a node that reports the status of a task that is not its own. It reads a node's
// STATE_DIR/identity.json, opens a Dispatcher.session at the node's manager with that node's
// credential (NodeCredential{nodeId, secret}), exactly as the node's swarmd does, and sends one
// updateTaskStatus saying TASK_ID has FAILED. The manager must refuse it.
//
// Usage: impostor STATE_DIR TASK_ID [--wrong-secret]
//   --wrong-secret  present the node's id with a secret one byte off (the session is refused)
//
// Prints one line on stdout and exits 0 once the manager answered:
//   session refused: <error code>: <message>
//   status refused: <error code>: <message>
//   status accepted
// Exits 1 when no answer came (unreachable manager, a broken connection, a bad identity file),
// 2 on a usage error. The real node holds a session with the same identity; opening ours may end
// its session (and its new one ours), so a status refused as coming from a stale session is
// tried again on a fresh session, a few times.
#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/format.h"
#include "io/codec-dispatcher.h"

namespace swarmlet::io {
namespace {

constexpr int ATTEMPTS_MAX = 5;
constexpr kj::Duration CALL_TIMEOUT = 10 * kj::SECONDS;

struct Identity {
  std::string nodeId;
  std::vector<kj::byte> secret;
  std::string managerAddress;
  std::string hostname;
};

std::optional<std::vector<kj::byte>> fromHex(const std::string& hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::vector<kj::byte> bytes;
  for (size_t i = 0; i < hex.size(); i += 2) {
    size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(hex.substr(i, 2), &used, 16);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (used != 2) return std::nullopt;
    bytes.push_back(static_cast<kj::byte>(value));
  }
  return bytes;
}

Identity readIdentity(const std::string& directory) {
  std::ifstream in(directory + "/identity.json");
  if (!in) throw std::runtime_error("cannot read " + directory + "/identity.json");
  nlohmann::json json = nlohmann::json::parse(in);
  Identity identity;
  identity.nodeId = json.at("nodeId");
  std::optional<std::vector<kj::byte>> secret = fromHex(json.at("secret"));
  if (!secret.has_value()) throw std::runtime_error("identity.json: secret is not hex");
  identity.secret = *secret;
  identity.managerAddress = json.value("joinAddress", "");
  if (identity.managerAddress.empty()) identity.managerAddress = json.value("listenAddress", "");
  identity.hostname = json.value("hostname", "");
  return identity;
}

// Takes every push and ignores it: the impostor wants no work.
class IgnoringSink final : public schema::SessionSink::Server {
 public:
  kj::Promise<void> message(MessageContext) override { return kj::READY_NOW; }
  kj::Promise<void> assignments(AssignmentsContext) override { return kj::READY_NOW; }
  kj::Promise<void> end(EndContext) override { return kj::READY_NOW; }
};

struct Outcome {
  std::string line;                  // what to print
  std::optional<ErrorCode> refusal;  // the status call's error, if any
};

template <typename T>
T waitWithTimeout(kj::AsyncIoContext& io, kj::Promise<T> promise) {
  return io.provider->getTimer().timeoutAfter(CALL_TIMEOUT, kj::mv(promise)).wait(io.waitScope);
}

Outcome attempt(kj::AsyncIoContext& io, const Identity& identity, const std::string& taskId) {
  auto address =
      waitWithTimeout(io, io.provider->getNetwork().parseAddress(identity.managerAddress));
  kj::Own<kj::AsyncIoStream> stream = waitWithTimeout(io, address->connect());
  capnp::TwoPartyClient client(*stream);
  auto dispatcher = client.bootstrap().castAs<schema::Dispatcher>();

  auto open = dispatcher.sessionRequest();
  NodeDescription description;
  description.hostname = identity.hostname;
  description.platform = "linux/amd64";
  description.cpus = 1000 * ::sysconf(_SC_NPROCESSORS_ONLN);
  description.memoryBytes =
      static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);
  encode(open, shell::OpenSessionCall{SessionId{}, description});
  open.setSink(kj::heap<IgnoringSink>());
  auto credential = open.initCredential();
  credential.setNodeId(identity.nodeId);
  credential.setSecret(capnp::Data::Reader(identity.secret.data(), identity.secret.size()));
  auto opened = waitWithTimeout(
      io, kj::Promise<capnp::Response<schema::Dispatcher::SessionResults>>(open.send()));
  Decoded<shell::SessionReply> reply = decodeSessionResult(opened.getResult());
  if (!reply.ok()) throw std::runtime_error("the session answer does not decode: " + reply.error);
  if (reply.value->error.has_value()) {
    return {
        "session refused: " + format(reply.value->error->code) + ": " + reply.value->error->message,
        std::nullopt};
  }
  schema::Session::Client session = opened.getResult().getOpened().getSession();

  TaskStatus failed;
  failed.state = TaskState::FAILED;
  failed.timestamp = Instant::fromNanoseconds(
      static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count()));
  failed.message = "reported by an impostor";
  failed.error = "impostor";
  failed.exitCode = 1;
  auto status = session.updateTaskStatusRequest();
  encode(status, shell::StatusesCall{
                     reply.value->sessionId, 1, {TaskStatusUpdate{TaskId{taskId}, failed}}});
  auto answered =
      waitWithTimeout(io, kj::Promise<capnp::Response<schema::StatusesResult>>(status.send()));
  Decoded<shell::StatusesReply> statuses = decodeStatusesResult(answered);
  if (!statuses.ok())
    throw std::runtime_error("the status answer does not decode: " + statuses.error);
  if (!statuses.value->error.has_value()) return {"status accepted", std::nullopt};
  const RpcError& error = *statuses.value->error;
  return {"status refused: " + format(error.code) + ": " + error.message, error.code};
}

int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool wrongSecret = args.size() == 3 && args[2] == "--wrong-secret";
  if (args.size() != 2 && !wrongSecret) {
    std::cerr << "usage: impostor STATE_DIR TASK_ID [--wrong-secret]\n";
    return 2;
  }
  try {
    Identity identity = readIdentity(args[0]);
    if (wrongSecret && !identity.secret.empty()) identity.secret.back() ^= 1;
    kj::AsyncIoContext io = kj::setupAsyncIo();
    Outcome outcome;
    for (int i = 1; i <= ATTEMPTS_MAX; ++i) {
      outcome = attempt(io, identity, args[1]);
      // A stale session (ours was replaced by the real node's) says nothing about permission.
      bool stale = outcome.refusal == ErrorCode::INVALID_ARGUMENT ||
                   outcome.refusal == ErrorCode::NOT_FOUND ||
                   outcome.refusal == ErrorCode::UNAVAILABLE;
      if (!stale) break;
      std::cerr << "impostor: attempt " << i << ": " << outcome.line << "\n";
    }
    std::cout << outcome.line << std::endl;
    return 0;
  } catch (const kj::Exception& error) {
    std::cerr << "impostor: " << error.getDescription().cStr() << "\n";
  } catch (const std::exception& error) {
    std::cerr << "impostor: " << error.what() << "\n";
  }
  return 1;
}

}  // namespace
}  // namespace swarmlet::io

int main(int argc, char** argv) {
  return swarmlet::io::run(argc, argv);
}
