// The agent driver's session connections (agent-driver-connection.h): Dial, Send and Hangup of
// the agent pipeline over Cap'n Proto, and the pushes of the manager on the SessionSink. Every
// answer, push and lost connection goes to the pipeline (arrive, connectionLost), never to the
// core directly.
#include "io/agent-driver-connection.h"

#include <kj/debug.h>

#include "core/overloaded.h"
#include "io/codec.h"

namespace swarmlet::io {

namespace {

std::string exceptionText(const kj::Exception& exception) {
  return std::string(exception.getDescription().cStr());
}

// A call that failed in transport (the connection broke, the peer threw) is `unavailable`:
// the agent backs off and reconnects (schemas/README.md).
RpcError transportError(const char* call, const kj::Exception& exception) {
  return RpcError{ErrorCode::UNAVAILABLE,
                  std::string(call) + " failed: " + exceptionText(exception)};
}

// The manager answered something the codec refuses: a bug on its side.
RpcError refusedAnswer(const char* call, const std::string& why) {
  KJ_LOG(WARNING, "refused the manager's answer", call, why);
  return RpcError{ErrorCode::INTERNAL,
                  std::string("the manager's answer to ") + call + " was refused: " + why};
}

}  // namespace

void AgentDriver::dial(shell::Dial&& dialOp) {
  Generation generation = dialOp.connection;
  KJ_ASSERT(connections_.count(generation) == 0, "a second connection for one generation",
            generation);
  auto owned = kj::heap<Connection>(static_cast<kj::TaskSet::ErrorHandler&>(*this), generation,
                                    dialOp.manager.address);
  Connection& connection = *owned;
  connections_.emplace(generation, kj::mv(owned));
  KJ_LOG(INFO, "dialing manager", connection.address, generation);
  stats_.dials++;
  connection.tasks.add(
      kj::evalNow([&]() { return dialer_.connect(connection.address); })
          .then(
              [this, &connection,
               open = kj::mv(dialOp.open)](kj::Own<kj::AsyncIoStream>&& stream) mutable {
                connection.stream = kj::mv(stream);
                connection.network = kj::heap<capnp::TwoPartyVatNetwork>(
                    *connection.stream, capnp::rpc::twoparty::Side::CLIENT,
                    untrustedReaderOptions(limits::MESSAGE_TRAVERSAL_LIMIT_WORDS));
                connection.rpc = kj::heap(capnp::makeRpcClient(*connection.network));
                Generation generation = connection.generation;
                connection.tasks.add(connection.network->onDisconnect().then([this, generation]() {
                  lost(generation, "the manager closed the connection");
                }));
                openSession(connection, open);
              },
              [this, &connection](kj::Exception&& exception) {
                lost(connection.generation,
                     "cannot connect to " + connection.address + ": " + exceptionText(exception));
              }));
}

void AgentDriver::openSession(Connection& connection, const shell::OpenSessionCall& open) {
  capnp::MallocMessageBuilder vat(8);
  auto server = vat.initRoot<capnp::rpc::twoparty::VatId>();
  server.setSide(capnp::rpc::twoparty::Side::SERVER);
  auto dispatcher = connection.rpc->bootstrap(server).castAs<schema::Dispatcher>();
  auto request = dispatcher.sessionRequest();
  encode(request, open);
  request.setSink(kj::heap<Sink>(*this, connection.generation));
  auto credential = request.initCredential();
  credential.setNodeId(options_.nodeId.value);
  credential.setSecret(kj::arrayPtr(reinterpret_cast<const kj::byte*>(options_.credential.data()),
                                    options_.credential.size()));
  Generation generation = connection.generation;
  track(connection,
        request.send().then(
            [this, &connection](capnp::Response<schema::Dispatcher::SessionResults>&& response) {
              Decoded<shell::SessionReply> reply = decodeSessionResult(response.getResult());
              if (!reply.ok()) {
                arrive(connection.generation,
                       shell::SessionReply{{}, {}, refusedAnswer("session", reply.error)});
                return;
              }
              if (!reply.value->error.has_value()) {
                connection.session = response.getResult().getOpened().getSession();
              }
              arrive(connection.generation, kj::mv(*reply.value));
            },
            [this, generation](kj::Exception&& exception) {
              arrive(generation, shell::SessionReply{{}, {}, transportError("session", exception)});
            }));
}

// Counts the call in flight until it ends (answered, failed or dropped with the connection).
void AgentDriver::track(Connection& connection, kj::Promise<void>&& call) {
  connection.callsInFlight++;
  connection.tasks.add(call.attach(kj::defer([&connection]() {
    connection.callsInFlight--;
    if (connection.callsInFlight > 0) return;
    KJ_IF_MAYBE (idle, connection.idle) {
      (*idle)->fulfill();
    }
  })));
}

void AgentDriver::send(shell::Send&& sendOp) {
  auto it = connections_.find(sendOp.connection);
  Connection* connection = it == connections_.end() ? nullptr : it->second.get();
  schema::Session::Client* session = nullptr;
  if (connection != nullptr) {
    KJ_IF_MAYBE (open, connection->session) {
      session = open;
    }
  }
  KJ_ASSERT(session != nullptr, "a session call without an open session", sendOp.connection);
  Generation generation = sendOp.connection;
  std::visit(
      Overloaded{
          [&](shell::HeartbeatCall&) {
            track(*connection,
                  session->heartbeatRequest().send().then(
                      [this, generation](capnp::Response<schema::HeartbeatResult>&& response) {
                        Decoded<shell::HeartbeatReply> reply = decodeHeartbeatResult(response);
                        if (!reply.ok()) {
                          reply.value =
                              shell::HeartbeatReply{{}, refusedAnswer("heartbeat", reply.error)};
                        }
                        arrive(generation, kj::mv(*reply.value));
                      },
                      [this, generation](kj::Exception&& exception) {
                        arrive(generation,
                               shell::HeartbeatReply{{}, transportError("heartbeat", exception)});
                      }));
          },
          [&](shell::StatusesCall& call) {
            auto request = session->updateTaskStatusRequest();
            encode(request, call);
            BatchId batch = call.batch;
            track(
                *connection,
                request.send().then(
                    [this, generation, batch](capnp::Response<schema::StatusesResult>&& response) {
                      Decoded<shell::StatusesReply> reply = decodeStatusesResult(response);
                      if (!reply.ok()) {
                        reply.value = shell::StatusesReply{
                            batch, refusedAnswer("updateTaskStatus", reply.error)};
                      }
                      arrive(generation, kj::mv(*reply.value));
                    },
                    [this, generation, batch](kj::Exception&& exception) {
                      arrive(generation, shell::StatusesReply{
                                             batch, transportError("updateTaskStatus", exception)});
                    }));
          },
          [&](shell::ResyncCall&) {
            track(*connection, session->resyncRequest().send().then(
                                   [](auto&&) {},
                                   [](kj::Exception&& exception) {
                                     KJ_LOG(WARNING, "resync failed", exceptionText(exception));
                                   }));
          },
          [&](shell::OpenSessionCall&) { KJ_FAIL_REQUIRE("an open is sent by Dial"); },
      },
      sendOp.call);
}

void AgentDriver::hangup(const shell::Hangup& hangupOp) {
  if (hangupOp.error.has_value()) {
    KJ_LOG(INFO, "closing session", hangupOp.connection, hangupOp.error->message);
  }
  retire(hangupOp.connection, hangupOp.reason == agent::CloseReason::STOP);
}

// Forgets the connection. It is destroyed on a later turn of the loop, never inside one of its
// own callbacks; with `drain`, only once its calls were answered or STOP_FLUSH_TIMEOUT passed.
void AgentDriver::retire(Generation generation, bool drain) {
  auto it = connections_.find(generation);
  if (it == connections_.end()) return;
  kj::Own<Connection> connection = kj::mv(it->second);
  connections_.erase(it);
  if (!drain || connection->callsInFlight == 0) {
    tasks_.add(
        kj::evalLater([connection = kj::mv(connection)]() mutable { connection = nullptr; }));
    return;
  }
  auto idle = kj::newPromiseAndFulfiller<void>();
  connection->idle = kj::mv(idle.fulfiller);
  draining_++;
  tasks_.add(idle.promise.exclusiveJoin(timer_.afterDelay(STOP_FLUSH_TIMEOUT))
                 .then([]() {}, [](kj::Exception&&) {})
                 .then([this, connection = kj::mv(connection)]() mutable {
                   draining_--;
                   tasks_.add(kj::evalLater(
                       [connection = kj::mv(connection)]() mutable { connection = nullptr; }));
                   finishIfDone();
                 }));
}

void AgentDriver::arrive(Generation connection, shell::ManagerMessage&& message) {
  if (exit_.has_value()) return;
  deliver(pipeline_.arrive(connection, kj::mv(message)));
  while (auto held = pipeline_.released()) {
    if (exit_.has_value()) return;
    deliver(kj::mv(held));
  }
}

void AgentDriver::lost(Generation connection, const std::string& why) {
  if (exit_.has_value()) return;
  deliver(pipeline_.connectionLost(connection, why));
}

template <typename T>
kj::Promise<void> AgentDriver::Sink::accept(const char* what, Decoded<T>&& decoded) {
  if (!decoded.ok()) {
    KJ_LOG(WARNING, "refused a push from the manager", what, decoded.error);
    driver_.stats_.refusedPushes++;
    driver_.lost(generation_,
                 std::string("the manager pushed a malformed ") + what + ": " + decoded.error);
    return KJ_EXCEPTION(FAILED, std::string(what) + " refused: " + decoded.error);
  }
  driver_.arrive(generation_, shell::ManagerMessage(kj::mv(*decoded.value)));
  return kj::READY_NOW;
}

kj::Promise<void> AgentDriver::Sink::message(MessageContext context) {
  return accept("session message", decodeSessionPush(context.getParams()));
}

kj::Promise<void> AgentDriver::Sink::assignments(AssignmentsContext context) {
  return accept("assignments", decodeAssignmentsPush(context.getParams()));
}

kj::Promise<void> AgentDriver::Sink::end(EndContext context) {
  return accept("session end", decodeSessionEnd(context.getParams()));
}

}  // namespace swarmlet::io
