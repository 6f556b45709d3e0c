// What swarmd logs of its cores: the manager's steps (sessions opened and closed, nodes changing
// status, control operations, and at debug level every task status the manager records) and the
// agent's (its session, its executor calls at debug level, its stop). Field names are stable:
// `node.id`, `session.id`, `task.id`, `service.id`, `state`, `error`.
#pragma once

#include <map>
#include <vector>

#include "core/manager/effect.h"
#include "core/manager/input.h"
#include "core/manager/state.h"
#include "io/agent-driver.h"

namespace swarmlet::node {

// The manager server's observer (io::ManagerServerOptions::observer).
class ManagerEventLog {
 public:
  void observe(Instant now, const manager::Input& input,
               const std::vector<manager::Effect>& effects, const manager::ManagerState& state);

 private:
  std::map<NodeId, manager::NodeStatus> nodeStatus_;
  std::map<TaskId, TaskState> taskState_;
};

// The agent core, logging what it does.
class LoggedAgentCore final : public io::AgentCorePort {
 public:
  LoggedAgentCore(const agent::AgentConfig& config, NodeId node)
      : core_(config), node_(std::move(node)) {}
  kj::Vector<agent::Effect> step(Instant now, agent::Input&& input) override;
  std::optional<Instant> nextDeadline() const override { return core_.nextDeadline(); }
  const agent::AgentState& state() const override { return core_.state(); }

 private:
  io::AgentCore core_;
  NodeId node_;
};

}  // namespace swarmlet::node
