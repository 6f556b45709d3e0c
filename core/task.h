// Task, secret, config and assignment values shared by the agent and manager cores (SwarmKit
// api/types.proto and api/dispatcher.proto, reduced to what the worker acts on). Plain values:
// copyable, comparable, printable (core/format.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/time.h"
#include "core/types.h"

namespace swarmlet {

using TaskId = Id<struct TaskIdTag>;
using ServiceId = Id<struct ServiceIdTag>;
using SecretId = Id<struct SecretIdTag>;
using ConfigId = Id<struct ConfigIdTag>;

// SwarmKit's numbering: the numeric order is the order in which a task's state may advance.
// States up to ASSIGNED are set by the manager; ACCEPTED..REJECTED by the agent; REMOVE is only
// ever a desired state; ORPHANED is set by the manager for tasks of a node down for long.
enum class TaskState : uint16_t {
  NEW = 0,
  PENDING = 64,
  ASSIGNED = 192,
  ACCEPTED = 256,
  PREPARING = 320,
  READY = 384,
  STARTING = 448,
  RUNNING = 512,
  COMPLETE = 576,
  SHUTDOWN = 640,
  FAILED = 704,
  REJECTED = 768,
  REMOVE = 800,
  ORPHANED = 832,
};

// All states in order, for parsing, printing and property tests.
inline constexpr TaskState ALL_TASK_STATES[] = {
    TaskState::NEW,       TaskState::PENDING,  TaskState::ASSIGNED, TaskState::ACCEPTED,
    TaskState::PREPARING, TaskState::READY,    TaskState::STARTING, TaskState::RUNNING,
    TaskState::COMPLETE,  TaskState::SHUTDOWN, TaskState::FAILED,   TaskState::REJECTED,
    TaskState::REMOVE,    TaskState::ORPHANED,
};

// What the executor runs: a process with arguments and environment, and the secrets and
// configs it needs (installed before the task is prepared).
struct TaskSpec {
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::vector<SecretId> secrets;
  std::vector<ConfigId> configs;

  auto operator<=>(const TaskSpec&) const = default;
};

struct TaskStatus {
  TaskState state = TaskState::NEW;
  // When the status last changed, on the clock of whoever changed it.
  Instant timestamp;
  std::string message;
  std::string error;
  std::optional<int32_t> exitCode;

  bool operator==(const TaskStatus&) const = default;
};

struct Task {
  TaskId id;
  ServiceId serviceId;
  // Replicated services number their tasks by slot (from 1); global services use 0.
  uint64_t slot = 0;
  NodeId nodeId;
  TaskSpec spec;
  TaskState desiredState = TaskState::NEW;
  TaskStatus status;
  // Bumped by the manager on every change of the task's spec or desired state.
  uint64_t version = 0;

  bool operator==(const Task&) const = default;
};

struct Secret {
  SecretId id;
  std::string name;
  std::string data;

  auto operator<=>(const Secret&) const = default;
};

struct Config {
  ConfigId id;
  std::string name;
  std::string data;

  auto operator<=>(const Config&) const = default;
};

enum class AssignmentAction : uint8_t { UPDATE, REMOVE };

// One change of an assignment set. A REMOVE carries only the item's id.
struct AssignmentChange {
  AssignmentAction action = AssignmentAction::UPDATE;
  std::variant<Task, Secret, Config> item;

  bool operator==(const AssignmentChange&) const = default;
};

enum class AssignmentType : uint8_t { COMPLETE, INCREMENTAL };

// One message of a node's assignment stream: first a COMPLETE set (appliesTo empty), then
// INCREMENTAL changes, each applying to the previous message's resultsIn.
struct AssignmentsMessage {
  AssignmentType type = AssignmentType::COMPLETE;
  std::string appliesTo;
  std::string resultsIn;
  std::vector<AssignmentChange> changes;

  bool operator==(const AssignmentsMessage&) const = default;
};

struct TaskStatusUpdate {
  TaskId taskId;
  TaskStatus status;

  bool operator==(const TaskStatusUpdate&) const = default;
};

// True for the states a task never leaves (COMPLETE and later).
constexpr bool isTerminal(TaskState state) {
  return state >= TaskState::COMPLETE;
}

}  // namespace swarmlet
