// The agent driver's loop (agent-driver.h): core steps, the pipeline's port operations, group
// commit, the executor, the timer and the stop. The session connections are in
// agent-driver-session.c++.
#include "io/agent-driver.h"

#include <kj/debug.h>

#include "core/limits.h"
#include "core/overloaded.h"
#include "io/agent-driver-connection.h"

namespace swarmlet::io {

kj::Promise<kj::Own<kj::AsyncIoStream>> TcpDialer::connect(const std::string& address) {
  return network_.parseAddress(address).then(
      [](kj::Own<kj::NetworkAddress>&& resolved) { return resolved->connect(); });
}

kj::Vector<agent::Effect> AgentCore::step(Instant now, agent::Input&& input) {
  agent_.step(now, kj::mv(input));
  return agent_.takeEffects();
}

std::optional<Instant> AgentCore::nextDeadline() const {
  KJ_IF_MAYBE (deadline, agent_.nextDeadline()) {
    return *deadline;
  }
  return std::nullopt;
}

AgentDriver::AgentDriver(AgentPorts ports, AgentDriverOptions options)
    : timer_(ports.timer),
      store_(ports.store),
      executor_(ports.executor),
      dialer_(ports.dialer),
      core_(ports.core),
      notices_(ports.notices),
      options_(kj::mv(options)),
      origin_(ports.timer.now()),
      tasks_(*this) {}

AgentDriver::~AgentDriver() noexcept(false) {}

std::optional<std::string> AgentDriver::start() {
  KJ_REQUIRE(!started_, "the agent driver starts once");
  started_ = true;
  StoreResult<AgentRestored> restored = store_.restore();
  if (!restored.ok()) {
    std::string error = "cannot start the agent: " + restored.error().message;
    finish(AgentExit{error});
    return error;
  }
  agent::Start start;
  start.description = options_.description;
  start.managers = kj::mv(restored.value().managers);
  if (start.managers.empty()) start.managers.push_back(Peer{NodeId{}, options_.joinAddress});
  start.role = options_.role;
  start.store = kj::mv(restored.value().tasks);
  KJ_LOG(INFO, "agent starting", options_.nodeId.value, start.store.size(), start.managers.size());
  stepCore(kj::mv(start));
  return std::nullopt;
}

kj::Promise<AgentExit> AgentDriver::onStopped() {
  return exitPromise_.addBranch().then([this]() { return *exit_; });
}

// A request from outside steps the core on a turn of its own: called from a notice, in the
// middle of executing a step's operations, stepping at once would run the request's operations
// ahead of the rest of that step's.
kj::Promise<AgentExit> AgentDriver::stop() {
  KJ_REQUIRE(started_, "stop() before start()");
  tasks_.add(kj::evalLater([this]() { stepCore(agent::StopRequested{}); }));
  return onStopped();
}

void AgentDriver::leave() {
  KJ_REQUIRE(started_, "leave() before start()");
  tasks_.add(kj::evalLater([this]() { stepCore(agent::LeaveRequested{}); }));
}

Instant AgentDriver::now() const {
  return Instant::fromNanoseconds((timer_.now() - origin_) / kj::NANOSECONDS);
}

// Every input reaches the core here, from the event loop: never from inside a step (each
// completion is a promise continuation of its own).
void AgentDriver::stepCore(agent::Input&& input) {
  if (exit_.has_value() || agentStopped_) return;
  KJ_ASSERT(!stepping_ && !pumping_, "the core was stepped from inside its own step");
  stepping_ = true;
  stats_.steps++;
  kj::Vector<agent::Effect> effects = core_.step(now(), kj::mv(input));
  stepping_ = false;
  pipeline_.intake(kj::mv(effects));
  pump();
}

void AgentDriver::deliver(std::optional<agent::Input>&& input) {
  if (input.has_value()) stepCore(kj::mv(*input));
}

void AgentDriver::pump() {
  KJ_ASSERT(!pumping_, "operations executed out of order");
  pumping_ = true;
  KJ_DEFER(pumping_ = false);
  for (shell::AgentPortOp& op : pipeline_.takeOps()) {
    if (exit_.has_value()) return;
    execute(kj::mv(op));
  }
  armTimer();
  finishIfDone();
}

void AgentDriver::execute(shell::AgentPortOp&& op) {
  std::visit(Overloaded{
                 [&](shell::SyncStore&& sync) { commitSoon(kj::mv(sync.ops)); },
                 [&](shell::Dial&& dialOp) { dial(kj::mv(dialOp)); },
                 [&](shell::Send&& sendOp) { send(kj::mv(sendOp)); },
                 [&](shell::Hangup&& hangupOp) { hangup(hangupOp); },
                 [&](agent::ExecutorOperation&& operation) { runOperation(kj::mv(operation)); },
                 [&](agent::CancelOperation&& cancel) { cancelOperation(cancel); },
                 [&](agent::DescribeNode&& request) { describe(request); },
                 [&](agent::UpdateDependencies&& update) { executor_.updateDependencies(update); },
                 [&](agent::PersistManagers&& persist) {
                   if (auto error = store_.saveManagers(persist.managers)) {
                     fail("cannot save the manager list: " + error->message);
                   }
                 },
                 [&](auto&& other) { notice(shell::AgentPortOp(kj::mv(other))); },
             },
             kj::mv(op));
}

// Group commit: the write runs after the events already queued in this turn of the loop, so
// that their Persists, queued in the pipeline behind this sync, join the next one.
void AgentDriver::commitSoon(std::vector<agent::StoreOp>&& ops) {
  tasks_.add(kj::evalLater([this, ops = kj::mv(ops)]() {
    if (exit_.has_value()) return;
    if (auto error = store_.commit(ops)) {
      fail("cannot write the task store: " + error->message);
      return;
    }
    stats_.commits++;
    stats_.committedOps += ops.size();
    pipeline_.synced();
    pump();
  }));
}

void AgentDriver::runOperation(agent::ExecutorOperation&& operation) {
  KJ_REQUIRE(operations_.size() < limits::TASKS_MAX, "more executor calls than tasks");
  agent::OperationId id = operation.operation;
  TaskId task = operation.taskId;
  auto cancel = kj::newPromiseAndFulfiller<void>();
  operations_[id] = kj::mv(cancel.fulfiller);
  kj::Promise<agent::ExecutorResult> call =
      kj::evalNow([&]() { return executor_.run(operation); }).catch_([](kj::Exception&& exception) {
        return agent::ExecutorResult{agent::ErrorClass::TEMPORARY, std::nullopt,
                                     std::string(exception.getDescription().cStr())};
      });
  auto canceled = cancel.promise.then([]() {
    return agent::ExecutorResult{agent::ErrorClass::CANCELED, std::nullopt,
                                 "canceled by the agent"};
  });
  tasks_.add(call.exclusiveJoin(kj::mv(canceled))
                 .then([this, id, task = kj::mv(task)](agent::ExecutorResult&& result) mutable {
                   operations_.erase(id);
                   stepCore(agent::ExecutorDone{kj::mv(task), id, kj::mv(result)});
                 }));
}

// Dropping the call's promise cancels it (the exclusive join above); the core hears CANCELED.
void AgentDriver::cancelOperation(const agent::CancelOperation& cancel) {
  auto it = operations_.find(cancel.operation);
  if (it == operations_.end()) return;  // finished already: its ExecutorDone is on its way
  it->second->fulfill();
}

void AgentDriver::describe(const agent::DescribeNode& request) {
  RequestId id = request.request;
  tasks_.add(kj::evalNow([this]() { return executor_.describe(); })
                 .catch_([](kj::Exception&& exception) -> std::optional<NodeDescription> {
                   KJ_LOG(WARNING, "describing the node failed", exception.getDescription());
                   return std::nullopt;
                 })
                 .then([this, id](std::optional<NodeDescription>&& description) {
                   stepCore(agent::NodeDescribed{id, kj::mv(description)});
                 }));
}

void AgentDriver::notice(shell::AgentPortOp&& op) {
  AgentNotices fallback;
  AgentNotices& notices = notices_ != nullptr ? *notices_ : fallback;
  std::visit(Overloaded{
                 [&](agent::NotifyNodeChange& e) { notices.nodeChanged(e.node); },
                 [&](agent::NotifyRoleChange& e) {
                   KJ_LOG(INFO, "the manager wants this node in another role",
                          e.role == NodeRole::MANAGER ? "manager" : "worker");
                   notices.roleChanged(e.role);
                 },
                 [&](agent::SetNetworkKeys& e) { notices.networkKeysChanged(e.keys); },
                 [&](agent::SignalReady&) {
                   KJ_LOG(INFO, "agent ready: first session registered");
                   notices.ready();
                 },
                 [&](agent::SignalLeft&) {
                   KJ_LOG(INFO, "the node left the cluster; stopping");
                   notices.left();
                   tasks_.add(kj::evalLater([this]() { stepCore(agent::StopRequested{}); }));
                 },
                 [&](agent::AgentStopped& e) {
                   agentStopped_ = true;
                   stopError_ = e.error;
                   if (!e.error.empty()) KJ_LOG(ERROR, "agent stopped", e.error);
                 },
                 [&](auto&) { KJ_FAIL_ASSERT("not a notice"); },
             },
             op);
}

// One timer, armed at the core's next deadline; rearming cancels the previous wait.
void AgentDriver::armTimer() {
  if (exit_.has_value() || agentStopped_) {
    timerCanceler_.cancel("the agent stopped");
    armedAt_.reset();
    return;
  }
  std::optional<Instant> deadline = core_.nextDeadline();
  if (deadline == armedAt_) return;
  timerCanceler_.cancel("rearmed");
  armedAt_ = deadline;
  if (!deadline.has_value()) return;
  kj::TimePoint at = origin_ + deadline->sinceOrigin() * kj::NANOSECONDS;
  tasks_.add(timerCanceler_.wrap(timer_.atTime(at))
                 .then(
                     [this]() {
                       armedAt_.reset();
                       stepCore(agent::Tick{});
                     },
                     [](kj::Exception&&) {}));
}

void AgentDriver::finishIfDone() {
  if (agentStopped_ && draining_ == 0 && !pipeline_.syncing()) finish(AgentExit{stopError_});
}

void AgentDriver::finish(AgentExit exit) {
  if (exit_.has_value()) return;
  exit_ = exit;
  timerCanceler_.cancel("the agent stopped");
  armedAt_.reset();
  exitPair_.fulfiller->fulfill();
}

// A failure the agent cannot go on from (the store refused a write): everything stops, and the
// error reaches onStopped().
void AgentDriver::fail(std::string error) {
  KJ_LOG(ERROR, error);
  std::vector<Generation> open;
  for (auto& entry : connections_)
    open.push_back(entry.first);
  for (Generation generation : open)
    retire(generation, false);
  operations_.clear();
  finish(AgentExit{kj::mv(error)});
}

void AgentDriver::taskFailed(kj::Exception&& exception) {
  // After a stop, the calls dropped with it end this way.
  if (exit_.has_value()) return;
  // A continuation of the driver threw: a bug. Stop rather than run on half done.
  fail(std::string("agent driver bug: ") + exception.getDescription().cStr());
}

}  // namespace swarmlet::io
