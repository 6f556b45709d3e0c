#include "io/codec-read.h"

#include <kj/debug.h>

#include <iterator>

// The enums of schemas/types.capnp: every value named both ways; a value the schema does not
// name (written by a newer version) is refused, never cast.
namespace swarmlet::io::codec {

schema::NodeRole toSchema(NodeRole role) {
  switch (role) {
    case NodeRole::WORKER:
      return schema::NodeRole::WORKER;
    case NodeRole::MANAGER:
      return schema::NodeRole::MANAGER;
  }
  KJ_UNREACHABLE;
}

bool readEnum(Check& check, const Path& at, schema::NodeRole value, NodeRole& out) {
  switch (value) {
    case schema::NodeRole::WORKER:
      out = NodeRole::WORKER;
      return true;
    case schema::NodeRole::MANAGER:
      out = NodeRole::MANAGER;
      return true;
  }
  return check.unknownValue(at, static_cast<uint16_t>(value));
}

schema::NodeAvailability toSchema(NodeAvailability availability) {
  switch (availability) {
    case NodeAvailability::ACTIVE:
      return schema::NodeAvailability::ACTIVE;
    case NodeAvailability::PAUSE:
      return schema::NodeAvailability::PAUSE;
    case NodeAvailability::DRAIN:
      return schema::NodeAvailability::DRAIN;
  }
  KJ_UNREACHABLE;
}

bool readEnum(Check& check, const Path& at, schema::NodeAvailability value, NodeAvailability& out) {
  switch (value) {
    case schema::NodeAvailability::ACTIVE:
      out = NodeAvailability::ACTIVE;
      return true;
    case schema::NodeAvailability::PAUSE:
      out = NodeAvailability::PAUSE;
      return true;
    case schema::NodeAvailability::DRAIN:
      out = NodeAvailability::DRAIN;
      return true;
  }
  return check.unknownValue(at, static_cast<uint16_t>(value));
}

// The core's ErrorCode and the schema's enumerate the same codes in the same order.
constexpr ErrorCode ERROR_CODES[] = {
    ErrorCode::UNAVAILABLE,      ErrorCode::DEADLINE_EXCEEDED, ErrorCode::NOT_FOUND,
    ErrorCode::INVALID_ARGUMENT, ErrorCode::PERMISSION_DENIED, ErrorCode::ABORTED,
    ErrorCode::UNAUTHENTICATED,  ErrorCode::INTERNAL,
};
static_assert(static_cast<uint16_t>(schema::ErrorCode::INTERNAL) + 1 == std::size(ERROR_CODES));
static_assert(static_cast<uint16_t>(schema::ErrorCode::UNAUTHENTICATED) ==
              static_cast<uint16_t>(ErrorCode::UNAUTHENTICATED));

bool readEnum(Check& check, const Path& at, schema::ErrorCode value, ErrorCode& out) {
  auto index = static_cast<uint16_t>(value);
  if (index >= std::size(ERROR_CODES)) return check.unknownValue(at, index);
  out = ERROR_CODES[index];
  KJ_ASSERT(static_cast<uint16_t>(out) == index);
  return true;
}

schema::ErrorCode toSchema(ErrorCode code) {
  auto index = static_cast<uint16_t>(code);
  KJ_ASSERT(index < std::size(ERROR_CODES), index);
  return static_cast<schema::ErrorCode>(index);
}

bool readTaskState(Check& check, const Path& at, uint16_t value, TaskState& out) {
  for (TaskState state : ALL_TASK_STATES) {
    if (static_cast<uint16_t>(state) == value) {
      out = state;
      return true;
    }
  }
  return check.unknownValue(at, value);
}

schema::AssignmentAction toSchema(AssignmentAction action) {
  return action == AssignmentAction::UPDATE ? schema::AssignmentAction::UPDATE
                                            : schema::AssignmentAction::REMOVE;
}

bool readEnum(Check& check, const Path& at, schema::AssignmentAction value, AssignmentAction& out) {
  switch (value) {
    case schema::AssignmentAction::UPDATE:
      out = AssignmentAction::UPDATE;
      return true;
    case schema::AssignmentAction::REMOVE:
      out = AssignmentAction::REMOVE;
      return true;
  }
  return check.unknownValue(at, static_cast<uint16_t>(value));
}

schema::AssignmentType toSchema(AssignmentType type) {
  return type == AssignmentType::COMPLETE ? schema::AssignmentType::COMPLETE
                                          : schema::AssignmentType::INCREMENTAL;
}

bool readEnum(Check& check, const Path& at, schema::AssignmentType value, AssignmentType& out) {
  switch (value) {
    case schema::AssignmentType::COMPLETE:
      out = AssignmentType::COMPLETE;
      return true;
    case schema::AssignmentType::INCREMENTAL:
      out = AssignmentType::INCREMENTAL;
      return true;
  }
  return check.unknownValue(at, static_cast<uint16_t>(value));
}

schema::NodeStatus toSchema(manager::NodeStatus status) {
  switch (status) {
    case manager::NodeStatus::UNKNOWN:
      return schema::NodeStatus::UNKNOWN;
    case manager::NodeStatus::DOWN:
      return schema::NodeStatus::DOWN;
    case manager::NodeStatus::READY:
      return schema::NodeStatus::READY;
    case manager::NodeStatus::DISCONNECTED:
      return schema::NodeStatus::DISCONNECTED;
  }
  KJ_UNREACHABLE;
}

bool readEnum(Check& check, const Path& at, schema::NodeStatus value, manager::NodeStatus& out) {
  switch (value) {
    case schema::NodeStatus::UNKNOWN:
      out = manager::NodeStatus::UNKNOWN;
      return true;
    case schema::NodeStatus::DOWN:
      out = manager::NodeStatus::DOWN;
      return true;
    case schema::NodeStatus::READY:
      out = manager::NodeStatus::READY;
      return true;
    case schema::NodeStatus::DISCONNECTED:
      out = manager::NodeStatus::DISCONNECTED;
      return true;
  }
  return check.unknownValue(at, static_cast<uint16_t>(value));
}

schema::ServiceMode toSchema(manager::ServiceMode mode) {
  return mode == manager::ServiceMode::REPLICATED ? schema::ServiceMode::REPLICATED
                                                  : schema::ServiceMode::GLOBAL;
}

bool readEnum(Check& check, const Path& at, schema::ServiceMode value, manager::ServiceMode& out) {
  switch (value) {
    case schema::ServiceMode::REPLICATED:
      out = manager::ServiceMode::REPLICATED;
      return true;
    case schema::ServiceMode::GLOBAL:
      out = manager::ServiceMode::GLOBAL;
      return true;
  }
  return check.unknownValue(at, static_cast<uint16_t>(value));
}

schema::RestartCondition toSchema(manager::RestartCondition condition) {
  switch (condition) {
    case manager::RestartCondition::ANY:
      return schema::RestartCondition::ANY;
    case manager::RestartCondition::ON_FAILURE:
      return schema::RestartCondition::ON_FAILURE;
    case manager::RestartCondition::NONE:
      return schema::RestartCondition::NONE;
  }
  KJ_UNREACHABLE;
}

bool readEnum(Check& check, const Path& at, schema::RestartCondition value,
              manager::RestartCondition& out) {
  switch (value) {
    case schema::RestartCondition::ANY:
      out = manager::RestartCondition::ANY;
      return true;
    case schema::RestartCondition::ON_FAILURE:
      out = manager::RestartCondition::ON_FAILURE;
      return true;
    case schema::RestartCondition::NONE:
      out = manager::RestartCondition::NONE;
      return true;
  }
  return check.unknownValue(at, static_cast<uint16_t>(value));
}

bool readEnum(Check& check, const Path& at, schema::ControlErrorCode value,
              manager::ControlErrorCode& out) {
  switch (value) {
    case schema::ControlErrorCode::INVALID_ARGUMENT:
      out = manager::ControlErrorCode::INVALID_ARGUMENT;
      return true;
    case schema::ControlErrorCode::NOT_FOUND:
      out = manager::ControlErrorCode::NOT_FOUND;
      return true;
    case schema::ControlErrorCode::ALREADY_EXISTS:
      out = manager::ControlErrorCode::ALREADY_EXISTS;
      return true;
    case schema::ControlErrorCode::FAILED_PRECONDITION:
      out = manager::ControlErrorCode::FAILED_PRECONDITION;
      return true;
  }
  return check.unknownValue(at, static_cast<uint16_t>(value));
}

schema::ControlErrorCode toSchema(manager::ControlErrorCode code) {
  switch (code) {
    case manager::ControlErrorCode::INVALID_ARGUMENT:
      return schema::ControlErrorCode::INVALID_ARGUMENT;
    case manager::ControlErrorCode::NOT_FOUND:
      return schema::ControlErrorCode::NOT_FOUND;
    case manager::ControlErrorCode::ALREADY_EXISTS:
      return schema::ControlErrorCode::ALREADY_EXISTS;
    case manager::ControlErrorCode::FAILED_PRECONDITION:
      return schema::ControlErrorCode::FAILED_PRECONDITION;
  }
  KJ_UNREACHABLE;
}

}  // namespace swarmlet::io::codec
