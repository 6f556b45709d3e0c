// The agent harness's directives for the work half (tests/testdata/agent-work/*.txt):
// assignments, executor results, status answers, restarts and views of the store and tasks.
#include <stdexcept>

#include "core/format.h"
#include "tests/transcript/agent-harness.h"

namespace swarmlet::transcript {
namespace {

[[noreturn]] void fail(const std::string& message) {
  throw std::runtime_error(message);
}

TaskState stateArg(const Args& args, const std::string& key, const std::string& fallback) {
  std::string text = args.string(key, fallback);
  std::optional<TaskState> state = parseTaskState(text);
  if (!state.has_value()) fail("not a task state: " + text);
  return *state;
}

ErrorCode parseErrorCode(const std::string& text) {
  for (ErrorCode code : {ErrorCode::UNAVAILABLE, ErrorCode::DEADLINE_EXCEEDED, ErrorCode::NOT_FOUND,
                         ErrorCode::INVALID_ARGUMENT, ErrorCode::PERMISSION_DENIED,
                         ErrorCode::ABORTED, ErrorCode::UNAUTHENTICATED, ErrorCode::INTERNAL}) {
    if (format(code) == text) return code;
  }
  fail("not an error code: " + text);
}

// task ID [service=S] [slot=N] [desired=STATE] [state=STATE] [version=N] [command=C]
//         [secrets=(..)] [configs=(..)]
Task parseTask(const std::string& id, const Args& args, Instant now) {
  args.expectOnly(
      {"service", "slot", "desired", "state", "version", "command", "secrets", "configs"});
  Task task;
  task.id = TaskId{id};
  task.serviceId = ServiceId{args.string("service", "")};
  task.slot = static_cast<uint64_t>(args.maybeInteger("slot").value_or(0));
  task.desiredState = stateArg(args, "desired", "running");
  task.status.state = stateArg(args, "state", "assigned");
  task.status.timestamp = now;
  task.version = static_cast<uint64_t>(args.maybeInteger("version").value_or(1));
  task.spec.command = args.string("command", "run");
  if (args.has("secrets")) {
    for (const auto& item : args.list("secrets"))
      task.spec.secrets.push_back(SecretId{item});
  }
  if (args.has("configs")) {
    for (const auto& item : args.list("configs"))
      task.spec.configs.push_back(ConfigId{item});
  }
  return task;
}

// One input line of `assign`: an UPDATE (task/secret/config ...) or a REMOVE (remove KIND ID).
AssignmentChange parseChange(const std::string& line, Instant now) {
  Args args = parseArgs(line);
  std::vector<std::string> words = args.words();
  AssignmentChange change;
  if (!words.empty() && words[0] == "remove") {
    change.action = AssignmentAction::REMOVE;
    words.erase(words.begin());
  }
  if (words.size() != 2) fail("expected `[remove] task|secret|config ID ...`: " + line);
  const std::string& kind = words[0];
  const std::string& id = words[1];
  if (kind == "task") {
    if (change.action == AssignmentAction::REMOVE) {
      Task removed;
      removed.id = TaskId{id};
      change.item = removed;
    } else {
      change.item = parseTask(id, args, now);
    }
  } else if (kind == "secret") {
    change.item = Secret{SecretId{id}, id, args.string("data", "secret-" + id)};
  } else if (kind == "config") {
    change.item = Config{ConfigId{id}, id, args.string("data", "config-" + id)};
  } else {
    fail("not task, secret or config: " + kind);
  }
  return change;
}

}  // namespace

std::optional<std::vector<std::string>> AgentHarness::handleWork(const Stanza& stanza) {
  const std::string& d = stanza.directive;
  const Args& args = stanza.args;
  if (d == "assign") return handleAssign(args, stanza.input);
  if (d == "done") return handleDone(args);
  if (d == "ack" || d == "send-fail") return handleStatusAnswer(d, args);
  if (d == "restart") return handleRestart(args);
  if (d == "store") return handleStore();
  if (d == "tasks") return handleTasks();
  return std::nullopt;
}

// assign complete|incremental [applies-to=R] [results-in=R] [gen=N], then one change a line:
//   task ID [desired=..] [state=..] ...   remove task ID   secret ID   remove config ID ...
// By default an INCREMENTAL applies to the previous message's resultsIn and each message
// results in r1, r2, ...
std::vector<std::string> AgentHarness::handleAssign(const Args& args,
                                                    const std::vector<std::string>& input) {
  args.expectOnly({"applies-to", "results-in", "gen"});
  std::vector<std::string> words = args.words();
  if (words.size() != 1 || (words[0] != "complete" && words[0] != "incremental")) {
    fail("assign complete|incremental");
  }
  AssignmentsMessage message;
  bool complete = words[0] == "complete";
  message.type = complete ? AssignmentType::COMPLETE : AssignmentType::INCREMENTAL;
  message.appliesTo = args.string("applies-to", complete ? "" : lastResultsIn_);
  message.resultsIn = args.string("results-in", "r" + std::to_string(++assignmentsGiven_));
  lastResultsIn_ = message.resultsIn;
  for (const std::string& line : input)
    message.changes.push_back(parseChange(line, now_));
  Generation generation = generationArg(args, agent().state().session.generation, "session");
  return step(agent::AssignmentsReceived{generation, message}, false);
}

// done TASK [ok|temporary|fatal|canceled] [msg="..."] [exit=N] [op=N]: completes the task's
// operation in flight (or op=N) with that result.
std::vector<std::string> AgentHarness::handleDone(const Args& args) {
  args.expectOnly({"msg", "exit", "op"});
  std::vector<std::string> words = args.words();
  if (words.empty() || words.size() > 2) fail("done TASK [ok|temporary|fatal|canceled]");
  TaskId task{words[0]};
  agent::ExecutorDone done{task, 0, {}};
  if (args.has("op")) {
    done.operation = static_cast<agent::OperationId>(args.integer("op"));
  } else {
    auto it = operations_.find(task);
    if (it == operations_.end()) fail("no operation in flight for " + task.value + "; name op=");
    done.operation = it->second.operation;
  }
  std::string outcome = words.size() == 2 ? words[1] : "ok";
  if (outcome == "ok") {
    done.result.errorClass = agent::ErrorClass::NONE;
  } else if (outcome == "temporary") {
    done.result.errorClass = agent::ErrorClass::TEMPORARY;
  } else if (outcome == "fatal") {
    done.result.errorClass = agent::ErrorClass::FATAL;
  } else if (outcome == "canceled") {
    done.result.errorClass = agent::ErrorClass::CANCELED;
  } else {
    fail("not a result (ok, temporary, fatal, canceled): " + outcome);
  }
  done.result.message = args.string("msg", "");
  if (args.has("exit")) done.result.exitCode = static_cast<int32_t>(args.integer("exit"));
  return step(done, false);
}

// ack [batch=N] [gen=N] | send-fail code=CODE [msg="..."] [batch=N] [gen=N]: answers the last
// status batch sent (or the named one).
std::vector<std::string> AgentHarness::handleStatusAnswer(const std::string& directive,
                                                          const Args& args) {
  args.expectOnly({"batch", "gen", "code", "msg"});
  if (!lastSend_.has_value() && (!args.has("batch") || !args.has("gen"))) {
    fail("no status batch sent yet; name batch= and gen=");
  }
  BatchId batch =
      args.has("batch") ? static_cast<BatchId>(args.integer("batch")) : lastSend_->batch;
  Generation generation =
      args.has("gen") ? static_cast<Generation>(args.integer("gen")) : lastSend_->generation;
  if (directive == "ack") return step(agent::StatusesAcked{generation, batch}, false);
  RpcError error{parseErrorCode(args.string("code")), args.string("msg", "")};
  return step(agent::StatusesFailed{generation, batch, error}, false);
}

// restart [seed=N]: the agent crashes (memory, operations and sends in flight are lost) and
// starts again from the store the Persist effects wrote, with the same description and managers.
std::vector<std::string> AgentHarness::handleRestart(const Args& args) {
  args.expectOnly({"seed"});
  const agent::AgentState& old = agent().state();
  agent::Start start;
  start.description = old.description;
  start.managers = old.remotes.peers();
  start.role = old.role;
  agent().crash(agent::AgentConfig{static_cast<uint64_t>(args.maybeInteger("seed").value_or(1))});
  start.store = agent().store();
  operations_.clear();
  lastSend_.reset();
  opening_.reset();
  heartbeat_.reset();
  describe_.reset();
  std::vector<std::string> output{"> restarted from a store of " +
                                  std::to_string(start.store.size()) + " tasks"};
  for (auto& line : step(start, false))
    output.push_back(std::move(line));
  return output;
}

// store: the store's records, one a line.
std::vector<std::string> AgentHarness::handleStore() {
  std::vector<std::string> output;
  for (const auto& [id, record] : agent().store()) {
    std::string line = id.value + (record.assigned ? " assigned" : " unassigned") +
                       " desired=" + format(record.task.desiredState) +
                       " version=" + std::to_string(record.task.version);
    line += record.status.has_value() ? " status=(" + format(*record.status) + ")" : " no-status";
    output.push_back(line);
  }
  if (output.empty()) output.push_back("store empty");
  return output;
}

// tasks: the worker's tasks, one a line, then the reporter.
std::vector<std::string> AgentHarness::handleTasks() {
  std::vector<std::string> output;
  for (const auto& [id, entry] : agent().state().worker.tasks)
    output.push_back(format(entry));
  output.push_back(format(agent().state().reporter));
  return output;
}

std::vector<std::string> AgentHarness::effectLines(const agent::Effect& effect) const {
  if (const auto* persist = std::get_if<agent::Persist>(&effect)) {
    std::vector<std::string> lines{"persist"};
    for (const auto& op : persist->ops)
      lines.push_back("  " + format(op));
    return lines;
  }
  if (const auto* send = std::get_if<agent::SendStatuses>(&effect)) {
    std::vector<std::string> lines{"send-statuses gen=" + std::to_string(send->generation) +
                                   " batch=" + std::to_string(send->batch) +
                                   " session=" + send->sessionId.value};
    for (const auto& update : send->updates)
      lines.push_back("  " + format(update));
    return lines;
  }
  return {format(effect)};
}

void AgentHarness::trackWork(const agent::Input& input, const std::vector<agent::Effect>& effects) {
  if (const auto* done = std::get_if<agent::ExecutorDone>(&input)) {
    auto it = operations_.find(done->task);
    if (it != operations_.end() && it->second.operation == done->operation) operations_.erase(it);
  }
  for (const agent::Effect& effect : effects) {
    if (const auto* operation = std::get_if<agent::ExecutorOperation>(&effect)) {
      operations_[operation->taskId] = *operation;
    }
    if (const auto* send = std::get_if<agent::SendStatuses>(&effect)) lastSend_ = *send;
  }
}

}  // namespace swarmlet::transcript
