// The specification the simulator checks, as named rules: every invariant of the agent spec's
// section 9.5 that a checker states, and every behaviour docs/ decides that a run can break. A
// violation is reported as "<rule name>: <what happened>", so that a rule's name is what
// --shrink keeps, what a planted bug expects and what a test asserts.
//
// Each rule names the spec item or decision it checks. tests/sim/rules-test.py requires every
// rule to be asserted by a test that plants its violation and to be listed in docs/simulator.md.
//
// Values only; no state.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace swarmlet::sim {

enum class Rule : uint8_t {
  // The agent's session half (sim/agent-checker).
  SESSION_ONE_OPEN,
  SESSION_GENERATIONS_INCREASE,
  SESSION_CLOSE_MATCHES_OPEN,
  SESSION_BACKOFF_BOUNDED,
  SESSION_BACKOFF_FORMULA,
  SESSION_BACKOFF_RESET,
  SESSION_DELAY_WITHIN_BACKOFF,
  SESSION_READY_ONCE,
  SESSION_NOTHING_AFTER_STOP,
  SESSION_HEARTBEAT_IN_SESSION,
  SESSION_ONE_HEARTBEAT,
  SESSION_HEARTBEAT_PACED,
  SESSION_DEADLINE_AHEAD,
  // The agent's work half (sim/worker-checker).
  WORK_STREAM_CHAINS,
  WORK_COMPLETE_SET_ASSIGNED,
  WORK_CANCEL_NAMES_OPERATION,
  WORK_PERSIST_NOT_EMPTY,
  WORK_STATUS_MONOTONIC,
  WORK_TIMESTAMP_IFF_CHANGED,
  WORK_DELETE_AFTER_REMOVE,
  WORK_STORE_OP_ON_RECORD,
  WORK_ONE_OPERATION,
  WORK_OPERATION_ON_STORED_TASK,
  WORK_BATCH_BOUNDED,
  WORK_SEND_IN_SESSION,
  WORK_ONE_BATCH,
  WORK_PERSIST_BEFORE_SEND,
  WORK_SEND_ONLY_ASSIGNED,
  WORK_SEND_ORDER,
  WORK_MEMORY_EQUALS_STORE,
  WORK_DESIRED_MONOTONIC,
  WORK_PENDING_KNOWN,
  WORK_RETRY_AFTER_DELAY,
  WORK_LEAVE_IGNORES_ASSIGNMENTS,
  WORK_LEFT_ONLY_WHEN_EMPTY,
  // The manager (sim/manager-checker).
  MANAGER_HEARTBEAT_PERIOD,
  MANAGER_MESSAGE_IN_SESSION,
  MANAGER_MEMORY_EQUALS_STORE,
  MANAGER_RESTART_RESTORES_STORE,
  MANAGER_NO_LIVE_TASK_OF_REMOVED_SERVICE,
  MANAGER_FINISHED_NOT_LIVE,
  MANAGER_ONE_LIVE_PER_UNIT,
  MANAGER_PLACE_ON_READY_ACTIVE,
  MANAGER_STATUS_MONOTONIC,
  MANAGER_DESIRED_MONOTONIC,
  MANAGER_TASK_STAYS_ON_ITS_NODE,
  MANAGER_DOWN_AFTER_GRACE,
  MANAGER_SESSION_AFTER_READY,
  MANAGER_REGISTRATION_RATE,
  MANAGER_STREAM_CHAINS,
  MANAGER_INCREMENTAL_BOUNDED,
  MANAGER_SENDS_WHAT_IS_STORED,
  MANAGER_SENDS_TO_OWNER,
  MANAGER_ACK_AFTER_STORE,
  MANAGER_CONTROL_ANSWER_AFTER_STORE,
  // The world's own checks (sim/world-rules).
  WORLD_INSTALLED_BEFORE_PREPARE,
  WORLD_AGENT_STOPS_CLEANLY,
  WORLD_STALE_INPUT_CHANGES_NOTHING,
  WORLD_CORE_ASSERTIONS_HOLD,
  WORLD_INVALID_CONTROL_REFUSED,
  WORLD_FORGED_STATUS_REFUSED,
  WORLD_BAD_CREDENTIALS_STOP,
  WORLD_UNADDRESSED_MANAGER_NEVER_DIALLED,
  // Liveness, after the heal phase (sim/world-rules).
  LIVENESS_A_LEADER,
  LIVENESS_AGENTS_REGISTERED,
  LIVENESS_VIEWS_AGREE,
  LIVENESS_DESIRED_STATE_REACHED,
  LIVENESS_GLOBAL_ON_EVERY_NODE,
  LIVENESS_SERVICES_AT_COUNT,
};

struct RuleInfo {
  Rule rule;
  // Stable and unique: "<part>.<words>".
  std::string_view name;
  // What it checks: a spec item ("9.5.12"), a decision ("decisions: ...") or the core contract.
  std::string_view source;
  // The rule, as a sentence.
  std::string_view statement;
};

const RuleInfo& ruleInfo(Rule rule);
std::span<const RuleInfo> allRules();

// "<name>: <detail>", the text of a violation.
std::string violationOf(Rule rule, const std::string& detail);

}  // namespace swarmlet::sim
