// The manager's effect pipeline (manager-pipeline.h): request ids, group commit, pushes to the
// newest connection, and closes that count only for the current connection.
#include "core/shell/manager-pipeline.h"

#include <kj/debug.h>

#include "core/overloaded.h"
#include "core/shell/group-commit.h"

namespace swarmlet::shell {

manager::Input ManagerPipeline::arrive(ConnectionId connection, const NodeId& node,
                                       AgentCall&& call) {
  return std::visit(Overloaded{
                        [&](OpenSessionCall&& c) -> manager::Input {
                          RequestId request = ++lastRequest_;
                          calls_.emplace(request, PendingCall{connection, 0});
                          opens_.emplace(request, PendingOpen{node, connection});
                          return manager::SessionRequested{request, node,
                                                           std::move(c.previousSessionId),
                                                           std::move(c.description)};
                        },
                        [&](HeartbeatCall&& c) -> manager::Input {
                          RequestId request = ++lastRequest_;
                          calls_.emplace(request, PendingCall{connection, 0});
                          return manager::HeartbeatReceived{request, node, std::move(c.sessionId)};
                        },
                        [&](StatusesCall&& c) -> manager::Input {
                          RequestId request = ++lastRequest_;
                          calls_.emplace(request, PendingCall{connection, c.batch});
                          return manager::StatusesReceived{request, node, std::move(c.sessionId),
                                                           std::move(c.updates)};
                        },
                        [&](ResyncCall&& c) -> manager::Input {
                          return manager::ResyncRequested{node, std::move(c.sessionId)};
                        },
                    },
                    std::move(call));
}

std::optional<manager::Input> ManagerPipeline::closed(ConnectionId connection, const NodeId& node) {
  auto stream = streams_.find(node);
  if (stream == streams_.end() || stream->second.connection != connection) return std::nullopt;
  if (newerOpenPending(node, connection)) return std::nullopt;
  manager::SessionClosed closed{node, stream->second.sessionId};
  streams_.erase(stream);
  return closed;
}

manager::Input ManagerPipeline::control(manager::ControlOperation&& operation) {
  return manager::Control{++lastRequest_, std::move(operation)};
}

std::vector<ManagerPortOp> ManagerPipeline::takeOps() {
  std::vector<ManagerPortOp> ops;
  ops.swap(ready_);
  return ops;
}

void ManagerPipeline::committed() {
  KJ_REQUIRE(committing_, "committed() without a commit in flight");
  committing_ = false;
  pump();
}

std::optional<ConnectionId> ManagerPipeline::streamOf(const NodeId& node) const {
  auto stream = streams_.find(node);
  if (stream == streams_.end()) return std::nullopt;
  return stream->second.connection;
}

// As AgentPipeline::pump: every queued Persist joins one commit; what follows the first waits.
void ManagerPipeline::pump() {
  while (!committing_ && !queue_.empty()) {
    if (std::holds_alternative<manager::Persist>(queue_.front())) {
      CommitWrites commit{takeQueuedPersists(queue_, &manager::Persist::writes)};
      ready_.emplace_back(std::in_place_type<CommitWrites>, std::move(commit));
      committing_ = true;
      return;
    }
    manager::Effect effect = std::move(queue_.front());
    queue_.pop_front();
    execute(std::move(effect));
  }
}

void ManagerPipeline::execute(manager::Effect&& effect) {
  auto answer = [&](RequestId request, auto&& message) {
    auto call = calls_.find(request);
    if (call == calls_.end()) return;  // never asked through this pipeline (a caller bug upstream)
    ConnectionId connection = call->second.connection;
    calls_.erase(call);
    ready_.push_back(Reply{connection, request, ManagerMessage(std::move(message))});
  };
  std::visit(Overloaded{
                 [&](manager::SessionAnswer&& e) {
                   auto call = calls_.find(e.request);
                   if (call == calls_.end()) return;
                   opens_.erase(e.request);
                   ConnectionId connection = call->second.connection;
                   if (!e.error.has_value()) {
                     // An old open answered after a newer connection resumed the session keeps the
                     // pushes where they are.
                     auto [stream, inserted] = streams_.try_emplace(e.node, Stream{connection, {}});
                     if (inserted || stream->second.connection <= connection) {
                       stream->second = Stream{connection, e.sessionId};
                     }
                   }
                   answer(e.request, SessionReply{std::move(e.sessionId), std::move(e.message),
                                                  std::move(e.error)});
                 },
                 [&](manager::HeartbeatAnswer&& e) {
                   answer(e.request, HeartbeatReply{e.period, std::move(e.error)});
                 },
                 [&](manager::StatusesAnswer&& e) {
                   auto call = calls_.find(e.request);
                   if (call == calls_.end()) return;
                   answer(e.request, StatusesReply{call->second.batch, std::move(e.error)});
                 },
                 [&](manager::SendSessionMessage&& e) {
                   push(e.node, SessionPush{std::move(e.sessionId), std::move(e.message)});
                 },
                 [&](manager::SendAssignments&& e) {
                   push(e.node, AssignmentsPush{std::move(e.sessionId), std::move(e.message)});
                 },
                 [&](manager::EndSession&& e) {
                   push(e.node, SessionEnd{std::move(e.sessionId), std::move(e.error)});
                   streams_.erase(e.node);
                 },
                 [&](manager::ControlAnswer&& e) { ready_.push_back(ControlReply{std::move(e)}); },
                 [&](manager::Persist&&) { KJ_UNREACHABLE; },
             },
             std::move(effect));
}

bool ManagerPipeline::newerOpenPending(const NodeId& node, ConnectionId connection) const {
  for (const auto& [request, open] : opens_) {
    if (open.node == node && open.connection > connection) return true;
  }
  return false;
}

void ManagerPipeline::push(const NodeId& node, ManagerMessage&& message) {
  auto stream = streams_.find(node);
  if (stream == streams_.end()) return;
  ready_.push_back(Push{stream->second.connection, node, std::move(message)});
}

}  // namespace swarmlet::shell
