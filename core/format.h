// The one printer of the project: every input, effect and state of the cores as one stable line
// of text. Transcripts, logs and simulator traces all print through here, so a line seen in one
// reads the same in the others. Output never depends on addresses, wall-clock time or hash order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/agent/effect.h"
#include "core/agent/input.h"
#include "core/agent/state.h"
#include "core/task.h"
#include "core/time.h"
#include "core/types.h"

namespace swarmlet {

// A double-quoted string with \" \\ \n \t escaped.
std::string quote(const std::string& text);

std::string format(ErrorCode code);
std::string format(const RpcError& error);
std::string format(NodeRole role);
std::string format(NodeAvailability availability);
std::string format(const Peer& peer);
std::string format(const std::vector<Peer>& peers);
std::string format(const std::vector<WeightedPeer>& peers);
std::string format(const std::vector<EncryptionKey>& keys);
std::string format(const NodeDescription& description);
std::string format(const NodeInfo& node);
std::string format(const SessionMessage& message);
std::string format(const Remotes& remotes);

// Tasks and assignments (core/task.h).
std::string format(TaskState state);
// Parses format(TaskState) back ("running"); nullopt for anything else.
std::optional<TaskState> parseTaskState(const std::string& text);
std::string format(const TaskStatus& status);
std::string format(const TaskSpec& spec);
std::string format(const Task& task);
std::string format(const AssignmentChange& change);
std::string format(const AssignmentsMessage& message);
std::string format(const TaskStatusUpdate& update);

// The work half's values (core/agent/store.h, executor.h, state.h).
std::string format(const agent::StoreOp& op);
std::string format(agent::ExecutorCall call);
std::string format(agent::ErrorClass errorClass);
std::string format(const agent::ExecutorResult& result);
std::string format(agent::ControllerState controller);
std::string format(const agent::TaskEntry& entry);
std::string format(const agent::ReporterState& reporter);

std::string format(const agent::Input& input);
std::string format(const agent::Effect& effect);
std::string format(agent::SessionPhase phase);
std::string format(const agent::SessionState& session);
std::string format(const agent::AgentState& state);

}  // namespace swarmlet

// --- Manager core (core/format-manager.c++) ----------------------------------------------------
// Kept in its own section (and its own includes) so that the agent and manager halves of this
// printer grow without touching each other.

#include "core/manager/effect.h"
#include "core/manager/input.h"
#include "core/manager/state.h"

namespace swarmlet {

std::string format(manager::NodeStatus status);
std::string format(manager::ServiceMode mode);
std::string format(manager::ControlErrorCode code);
std::string format(const manager::NodeRecord& node);
std::string format(const manager::ServiceSpec& spec);
std::string format(const manager::ServiceRecord& service);
std::string format(const manager::Write& write);
std::string format(const manager::ControlOperation& operation);
std::string format(const manager::Input& input);
std::string format(const manager::Effect& effect);
// One line: counts of records, sessions, queued updates and orchestrator memory.
std::string format(const manager::ManagerState& state);

}  // namespace swarmlet
