#include "sim/rules.h"

#include <array>

#include <kj/debug.h>

namespace swarmlet::sim {
namespace {

using enum Rule;

// In the order of the enum (checked below and by the rules test).
constexpr std::array RULES{
    RuleInfo{SESSION_ONE_OPEN, "session.one-open", "9.5.1",
             "at most one session generation is open at a time"},
    RuleInfo{SESSION_GENERATIONS_INCREASE, "session.generations-increase", "9.5.1",
             "each session opened has a higher generation than the last, and the generation "
             "never goes back"},
    RuleInfo{SESSION_CLOSE_MATCHES_OPEN, "session.close-matches-open", "9.5.1, 9.5.6",
             "every session the agent opened is closed exactly once, with one close-session, "
             "and its phase agrees with the effects"},
    RuleInfo{SESSION_BACKOFF_BOUNDED, "session.backoff-bounded", "9.5.2",
             "the backoff stays within [0, 8s]"},
    RuleInfo{SESSION_BACKOFF_FORMULA, "session.backoff-formula", "9.5.2; decisions 11",
             "after k failures without a registration the backoff is min(8s, 100ms*(2^k-1))"},
    RuleInfo{SESSION_BACKOFF_RESET, "session.backoff-reset", "9.5.2; decisions 11",
             "the backoff returns to 0 on a registration, and only then"},
    RuleInfo{SESSION_DELAY_WITHIN_BACKOFF, "session.delay-within-backoff", "9.5.2",
             "every session delay drawn is in [0, backoff), and 0 only when the backoff is 0"},
    RuleInfo{SESSION_READY_ONCE, "session.ready-once", "9.5.3",
             "signal-ready is emitted once in the agent's life, and the agent is ready exactly "
             "when it was"},
    RuleInfo{SESSION_NOTHING_AFTER_STOP, "session.nothing-after-stop", "9.5.3; decisions 10",
             "agent-stopped is the agent's last effect, and a stopped agent emitted it"},
    RuleInfo{SESSION_HEARTBEAT_IN_SESSION, "session.heartbeat-in-session", "9.5.4",
             "a heartbeat goes out only on the open, registered session and carries its id"},
    RuleInfo{SESSION_ONE_HEARTBEAT, "session.one-heartbeat", "9.5.5; decisions 6",
             "at most one heartbeat is outstanding, and the agent's bookkeeping agrees"},
    RuleInfo{SESSION_HEARTBEAT_PACED, "session.heartbeat-paced", "9.5.5",
             "the next heartbeat goes out no sooner than the period the manager gave with its "
             "answer"},
    RuleInfo{SESSION_DEADLINE_AHEAD, "session.deadline-ahead", "core contract",
             "a running agent always has a deadline in the future, a stopped one none"},
    RuleInfo{WORK_STREAM_CHAINS, "work.stream-chains", "9.5.8",
             "the agent applies an assignments message exactly when it chains: a COMPLETE, or an "
             "INCREMENTAL whose appliesTo is the stream's last resultsIn"},
    RuleInfo{WORK_COMPLETE_SET_ASSIGNED, "work.complete-set-assigned", "9.5.10",
             "after a COMPLETE set is applied, the tasks the agent holds as assigned are exactly "
             "the set's; every other task it holds is on its way out"},
    RuleInfo{WORK_CANCEL_NAMES_OPERATION, "work.cancel-names-operation", "core contract",
             "a cancel names an executor operation in flight"},
    RuleInfo{WORK_PERSIST_NOT_EMPTY, "work.persist-not-empty", "core contract",
             "a persist effect writes something"},
    RuleInfo{WORK_STATUS_MONOTONIC, "work.status-monotonic", "9.5.12",
             "a task's status never moves backwards, in the store or in memory"},
    RuleInfo{WORK_TIMESTAMP_IFF_CHANGED, "work.timestamp-iff-changed", "9.5.17",
             "a status is written again only when it changed, and then with the step's time"},
    RuleInfo{WORK_DELETE_AFTER_REMOVE, "work.delete-after-remove", "9.5.10",
             "a task's record is deleted only after the executor removed it, with no operation "
             "in flight"},
    RuleInfo{WORK_STORE_OP_ON_RECORD, "work.store-op-on-record", "core contract",
             "a store operation other than a put names a record that exists"},
    RuleInfo{WORK_ONE_OPERATION, "work.one-operation", "9.5.12",
             "at most one executor operation per task is in flight, and the agent's bookkeeping "
             "agrees"},
    RuleInfo{WORK_OPERATION_ON_STORED_TASK, "work.operation-on-stored-task", "9.5.15",
             "the executor is asked to act only on a task whose record is stored"},
    RuleInfo{WORK_BATCH_BOUNDED, "work.batch-bounded", "decisions 13",
             "a status batch holds between 1 and the limit's updates"},
    RuleInfo{WORK_SEND_IN_SESSION, "work.send-in-session", "9.5.4",
             "statuses go out only on the registered session"},
    RuleInfo{WORK_ONE_BATCH, "work.one-batch", "decisions 13",
             "at most one status batch is in flight, and the reporter's bookkeeping agrees"},
    RuleInfo{WORK_PERSIST_BEFORE_SEND, "work.persist-before-send", "9.5.15",
             "a status is sent only after it was persisted"},
    RuleInfo{WORK_SEND_ONLY_ASSIGNED, "work.send-only-assigned", "decisions 17",
             "nothing is reported for a task that left the assignment set"},
    RuleInfo{WORK_SEND_ORDER, "work.send-order", "9.5.16",
             "within one session a task's reported states never decrease"},
    RuleInfo{WORK_MEMORY_EQUALS_STORE, "work.memory-equals-store", "9.5.10",
             "the agent's tasks in memory equal its durable store, record by record"},
    RuleInfo{WORK_DESIRED_MONOTONIC, "work.desired-monotonic", "9.5.12",
             "a task's desired state at the agent never decreases"},
    RuleInfo{WORK_PENDING_KNOWN, "work.pending-known", "9.5.16",
             "a status waiting to be reported belongs to a task the agent holds"},
    RuleInfo{WORK_RETRY_AFTER_DELAY, "work.retry-after-delay", "9.5.14",
             "an executor call that failed temporarily is made again no sooner than 1s later, "
             "unless the task was assigned anew meanwhile"},
    RuleInfo{WORK_LEAVE_IGNORES_ASSIGNMENTS, "work.leave-ignores-assignments", "9.5.11",
             "once the node is leaving, no assignment adds a task or assigns one again"},
    RuleInfo{WORK_LEFT_ONLY_WHEN_EMPTY, "work.left-only-when-empty", "9.5.11; decisions 9",
             "signal-left is emitted only when the agent holds no task"},
    RuleInfo{MANAGER_HEARTBEAT_PERIOD, "manager.heartbeat-period", "9.5.18",
             "the period the manager gives is the configured one within its epsilon"},
    RuleInfo{MANAGER_MESSAGE_IN_SESSION, "manager.message-in-session", "9.5.4",
             "session messages and assignments go only to a node's current session"},
    RuleInfo{MANAGER_MEMORY_EQUALS_STORE, "manager.memory-equals-store", "9.5.15",
             "the manager's records in memory equal what it persisted"},
    RuleInfo{MANAGER_RESTART_RESTORES_STORE, "manager.restart-restores-store", "9.5.15",
             "a manager starts from exactly the store its predecessor persisted"},
    RuleInfo{MANAGER_NO_LIVE_TASK_OF_REMOVED_SERVICE, "manager.no-live-task-of-removed-service",
             "docs/manager.md", "a removed service leaves no live task behind"},
    RuleInfo{MANAGER_FINISHED_NOT_LIVE, "manager.finished-not-live", "docs/manager.md",
             "a task that finished is not counted live"},
    RuleInfo{MANAGER_ONE_LIVE_PER_UNIT, "manager.one-live-per-unit", "docs/manager.md",
             "a replicated service's slot, or a global service's node, holds at most one live "
             "task"},
    RuleInfo{MANAGER_PLACE_ON_READY_ACTIVE, "manager.place-on-ready-active", "docs/manager.md",
             "a task is placed only on a node that is READY and ACTIVE"},
    RuleInfo{MANAGER_STATUS_MONOTONIC, "manager.status-monotonic", "9.5.12",
             "a stored task's status never moves backwards, whatever an agent reports"},
    RuleInfo{MANAGER_DESIRED_MONOTONIC, "manager.desired-monotonic", "9.5.12",
             "a stored task's desired state never moves backwards"},
    RuleInfo{MANAGER_TASK_STAYS_ON_ITS_NODE, "manager.task-stays-on-its-node", "docs/manager.md",
             "a placed task never moves to another node"},
    RuleInfo{MANAGER_DOWN_AFTER_GRACE, "manager.down-after-grace", "9.5.18",
             "a node is marked DOWN only 3 periods after its last heartbeat, or 6 after a "
             "manager's start"},
    RuleInfo{MANAGER_SESSION_AFTER_READY, "manager.session-after-ready", "9.5.20",
             "a session is answered only once the store holds the node READY"},
    RuleInfo{MANAGER_REGISTRATION_RATE, "manager.registration-rate", "9.5.19",
             "a node registers at most 3 times in a chain of registrations less than 8s apart"},
    RuleInfo{MANAGER_STREAM_CHAINS, "manager.stream-chains", "9.5.8",
             "each session's assignments start with a COMPLETE, and every INCREMENTAL applies to "
             "the previous message's resultsIn"},
    RuleInfo{MANAGER_INCREMENTAL_BOUNDED, "manager.incremental-bounded", "docs/manager.md",
             "an INCREMENTAL holds at most the limit's changes"},
    RuleInfo{MANAGER_SENDS_WHAT_IS_STORED, "manager.sends-what-is-stored", "9.5.15",
             "every task, secret and config sent is what the store holds, and a REMOVE names one "
             "it no longer holds"},
    RuleInfo{MANAGER_SENDS_TO_OWNER, "manager.sends-to-owner", "docs/manager.md",
             "a task is sent only to the node it is placed on"},
    RuleInfo{MANAGER_ACK_AFTER_STORE, "manager.ack-after-store", "9.5.15",
             "a status is acknowledged only once the store holds it (or its task is gone)"},
    RuleInfo{MANAGER_CONTROL_ANSWER_AFTER_STORE, "manager.control-answer-after-store",
             "docs/manager.md", "a control answer names only a record already stored"},
    RuleInfo{WORLD_INSTALLED_BEFORE_PREPARE, "world.installed-before-prepare", "9.5.9",
             "a task is prepared only after its secrets and configs are installed"},
    RuleInfo{WORLD_AGENT_STOPS_CLEANLY, "world.agent-stops-cleanly", "decisions 10",
             "no agent stops with an error in a run whose credentials are good"},
    RuleInfo{WORLD_STALE_INPUT_CHANGES_NOTHING, "world.stale-input-changes-nothing",
             "core contract; decisions 15",
             "an input of a superseded session or operation changes nothing: no effect, the same "
             "state"},
    RuleInfo{WORLD_CORE_ASSERTIONS_HOLD, "world.core-assertions-hold", "core contract",
             "no KJ_ASSERT or KJ_REQUIRE of a core fails"},
    RuleInfo{WORLD_INVALID_CONTROL_REFUSED, "world.invalid-control-refused", "docs/manager.md",
             "a control request that is invalid against the records is refused with the code its "
             "flaw calls for, and changes no service, secret, config or node"},
    RuleInfo{WORLD_FORGED_STATUS_REFUSED, "world.forged-status-refused", "spec 6.5; 9.5.12",
             "a status call naming another node's task is refused whole as permission denied, "
             "and no task ever holds a status its own agent did not report (nor one moving it "
             "backwards)"},
    RuleInfo{WORLD_BAD_CREDENTIALS_STOP, "world.bad-credentials-stop", "spec 1.4; decisions 3",
             "an agent whose credentials are refused before its first session stops, saying "
             "that its credentials are why"},
    RuleInfo{WORLD_UNADDRESSED_MANAGER_NEVER_DIALLED, "world.unaddressed-manager-never-dialled",
             "decisions 14", "no agent dials a managers-list entry without an address"},
    RuleInfo{LIVENESS_A_LEADER, "liveness.a-leader", "docs/manager.md",
             "after the heal phase some manager leads"},
    RuleInfo{LIVENESS_AGENTS_REGISTERED, "liveness.agents-registered", "9.5.7",
             "after the heal phase every live agent is registered"},
    RuleInfo{LIVENESS_VIEWS_AGREE, "liveness.views-agree", "9.5.15",
             "after the heal phase the manager knows every task an agent holds, at the agent's "
             "status"},
    RuleInfo{LIVENESS_DESIRED_STATE_REACHED, "liveness.desired-state-reached", "9.5.13",
             "after the heal phase every task an agent still runs has the manager's desired "
             "state"},
    RuleInfo{LIVENESS_GLOBAL_ON_EVERY_NODE, "liveness.global-on-every-node", "docs/manager.md",
             "after the heal phase every global service runs once on every ready, active node"},
    RuleInfo{LIVENESS_SERVICES_AT_COUNT, "liveness.services-at-count", "docs/manager.md",
             "after the heal phase every replicated service runs its replicas on live nodes"},
};

constexpr bool inEnumOrder() {
  for (size_t i = 0; i < RULES.size(); ++i) {
    if (static_cast<size_t>(RULES[i].rule) != i) return false;
  }
  return true;
}
static_assert(inEnumOrder(), "RULES must list every rule in the enum's order");
static_assert(static_cast<size_t>(LIVENESS_SERVICES_AT_COUNT) + 1 == RULES.size(),
              "every rule needs an entry in RULES");

}  // namespace

const RuleInfo& ruleInfo(Rule rule) {
  size_t index = static_cast<size_t>(rule);
  KJ_REQUIRE(index < RULES.size(), "unknown rule", index);
  return RULES[index];
}

std::span<const RuleInfo> allRules() {
  return RULES;
}

std::string violationOf(Rule rule, const std::string& detail) {
  std::string text(ruleInfo(rule).name);
  text += ": ";
  text += detail;
  return text;
}

}  // namespace swarmlet::sim
