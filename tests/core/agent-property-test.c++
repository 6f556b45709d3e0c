// Random runs of the whole agent (session and work halves) against a model manager and
// executor: random assignments (COMPLETE and chained INCREMENTAL sets, sometimes with a gap),
// executor results of every class, session failures and reconnects, status answers (acks,
// unknown-task answers, failures), restarts from the store and leaves. After every step the
// session and worker checkers run (status monotonic per task, one operation in flight per
// task, every send preceded by its persist, store equal to memory, also right after a
// restart). Each run ends with a heal phase: a healthy manager and executor must bring every
// removal to its end and deliver every status.
//
// Seeds 1..AGENT_PROPERTY_SEEDS (default 150) run by default; a failure names its seed, and
// AGENT_PROPERTY_SEED=N replays one.
#include <gtest/gtest.h>
#include <kj/exception.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/agent/agent.h"
#include "core/format.h"
#include "core/prng.h"
#include "sim/agent-checker.h"
#include "sim/worker-checker.h"

namespace swarmlet::agent {
namespace {

const Peer M1{NodeId{"m1"}, "10.0.0.1:4242"};
constexpr int TASK_POOL = 6;
constexpr int SECRET_POOL = 3;

// How often the runs reached the situations the test is about, so it cannot pass vacuously.
struct Coverage {
  uint64_t deletes = 0;
  uint64_t resyncs = 0;
  uint64_t restartsWithTasks = 0;
  uint64_t retries = 0;
  uint64_t sends = 0;
  uint64_t failedSends = 0;
  uint64_t leavesFinished = 0;
  uint64_t specUpdates = 0;
};

class RandomRun {
 public:
  RandomRun(uint64_t seed, Coverage& coverage)
      : seed_(seed), prng_(Prng::deriveSeed(seed, 1)), coverage_(coverage) {}

  // Returns the first problem found, or an empty string.
  std::string run(int steps) {
    try {
      start(StoreSnapshot{});
      for (int i = 0; i < steps && problem_.empty(); ++i)
        randomStep();
      if (problem_.empty()) heal();
    } catch (const kj::Exception& e) {
      problem_ = std::string("exception: ") + e.getDescription().cStr();
    }
    if (problem_.empty()) return problem_;
    std::string text = "seed " + std::to_string(seed_) + ": " + problem_ + "\nlast inputs:\n";
    size_t from = history_.size() > 30 ? history_.size() - 30 : 0;
    for (size_t i = from; i < history_.size(); ++i)
      text += "  " + history_[i] + "\n";
    return text;
  }

 private:
  bool chance(uint64_t percent) { return prng_.uniform(100) < percent; }
  uint64_t pick(uint64_t bound) { return prng_.uniform(bound); }

  void start(StoreSnapshot store) {
    agent_ = std::make_unique<Agent>(AgentConfig{Prng::deriveSeed(seed_, 2 + restarts_)});
    sessionChecker_ = sim::AgentChecker{};
    step(Start{NodeDescription{"n1", "", 0, 0, {}}, {M1}, NodeRole::WORKER, kj::mv(store)});
  }

  void step(const Input& input) {
    history_.push_back(formatInstant(now_) + " " + format(input));
    agent_->step(now_, input);
    kj::Vector<Effect> taken = agent_->takeEffects();
    std::vector<Effect> effects(taken.begin(), taken.end());
    std::optional<Instant> deadline;
    KJ_IF_MAYBE (d, agent_->nextDeadline()) {
      deadline = *d;
    }
    for (const Effect& effect : effects)
      history_.push_back("    -> " + format(effect));
    sessionChecker_.observe(now_, input, effects, agent_->state(), deadline);
    workChecker_.observe(now_, input, effects, agent_->state());
    for (const Effect& effect : effects) {
      if (std::holds_alternative<ResyncAssignments>(effect)) {
        resyncWanted_ = true;
        coverage_.resyncs++;
      }
      if (std::holds_alternative<SendStatuses>(effect)) coverage_.sends++;
      if (std::holds_alternative<SignalLeft>(effect)) coverage_.leavesFinished++;
      if (const auto* operation = std::get_if<ExecutorOperation>(&effect)) {
        if (operation->call == ExecutorCall::UPDATE) coverage_.specUpdates++;
      }
      if (const auto* persist = std::get_if<Persist>(&effect)) {
        for (const StoreOp& op : persist->ops)
          coverage_.deletes += std::holds_alternative<DeleteTask>(op) ? 1 : 0;
      }
    }
    if (std::holds_alternative<StatusesFailed>(input)) coverage_.failedSends++;
    for (const auto& [id, entry] : agent_->state().worker.tasks)
      coverage_.retries += entry.failures > 0 && entry.retryAt.has_value() ? 1 : 0;
    if (!sessionChecker_.violations().empty()) problem_ = sessionChecker_.violations().front();
    if (!workChecker_.violations().empty()) problem_ = workChecker_.violations().front();
  }

  const AgentState& state() const { return agent_->state(); }
  bool running() const { return state().phase == AgentPhase::RUNNING; }
  bool registered() const { return running() && state().session.phase == SessionPhase::REGISTERED; }

  void randomStep() {
    uint64_t roll = pick(100);
    if (!running()) {
      restart();
    } else if (roll < 15) {
      advance();
    } else if (roll < 30) {
      sessionEvent();
    } else if (roll < 45) {
      assignments();
    } else if (roll < 75) {
      executorResult(false);
    } else if (roll < 90) {
      statusAnswer(false);
    } else if (roll < 93) {
      restart();
    } else if (roll < 94) {
      step(LeaveRequested{});
    } else if (roll < 95) {
      step(StopRequested{});
    } else {
      staleCompletion();
    }
  }

  void advance() {
    Duration by = Duration::milliseconds(static_cast<int64_t>(pick(3000)));
    KJ_IF_MAYBE (deadline, agent_->nextDeadline()) {
      if (chance(50) && *deadline > now_) by = *deadline - now_;
    }
    now_ = now_ + by;
    step(Tick{});
  }

  void sessionEvent() {
    const SessionState& session = state().session;
    if (session.phase == SessionPhase::OPENING) {
      if (chance(80)) {
        step(SessionOpened{session.generation, SessionId{"s" + std::to_string(++sessions_)}, {}});
      } else {
        step(SessionFailed{session.generation, RpcError{ErrorCode::UNAVAILABLE, "refused"}});
      }
    } else if (session.phase == SessionPhase::REGISTERED) {
      if (session.heartbeatOutstanding && chance(80)) {
        step(HeartbeatAcked{session.generation, Duration::seconds(5)});
      } else if (chance(30)) {
        step(SessionFailed{session.generation, RpcError{ErrorCode::UNAVAILABLE, "stream ended"}});
      }
    } else {
      advance();
    }
  }

  Task randomTask(int index) {
    Task task;
    task.id = TaskId{"t" + std::to_string(index)};
    task.serviceId = ServiceId{"svc"};
    task.slot = static_cast<uint64_t>(index);
    task.status.state = TaskState::ASSIGNED;
    task.status.timestamp = now_;
    // Mostly RUNNING; sometimes a stop, a lower state (refused once higher) or a rare READY.
    static constexpr TaskState DESIRED[] = {TaskState::RUNNING, TaskState::RUNNING,
                                            TaskState::RUNNING, TaskState::SHUTDOWN,
                                            TaskState::READY,   TaskState::COMPLETE};
    task.desiredState = DESIRED[pick(6)];
    task.version = pick(3);
    task.spec.command = "v" + std::to_string(task.version);
    if (chance(40)) task.spec.secrets.push_back(SecretId{"s" + std::to_string(pick(SECRET_POOL))});
    return task;
  }

  AssignmentChange taskChange(bool remove) {
    int index = static_cast<int>(pick(TASK_POOL));
    if (!remove) return AssignmentChange{AssignmentAction::UPDATE, randomTask(index)};
    Task task;
    task.id = TaskId{"t" + std::to_string(index)};
    return AssignmentChange{AssignmentAction::REMOVE, task};
  }

  AssignmentChange secretChange(bool remove) {
    std::string id = "s" + std::to_string(pick(SECRET_POOL));
    return AssignmentChange{remove ? AssignmentAction::REMOVE : AssignmentAction::UPDATE,
                            Secret{SecretId{id}, id, "data-" + std::to_string(pick(2))}};
  }

  void assignments() {
    if (!registered()) return sessionEvent();
    Generation generation = state().session.generation;
    if (generation != streamGeneration_) {
      streamGeneration_ = generation;
      resyncWanted_ = true;
    }
    AssignmentsMessage message;
    bool complete = resyncWanted_ || chance(25);
    message.type = complete ? AssignmentType::COMPLETE : AssignmentType::INCREMENTAL;
    message.appliesTo = complete ? "" : (chance(5) ? "gap" : lastResultsIn_);
    message.resultsIn = "r" + std::to_string(++messages_);
    uint64_t changes = pick(complete ? TASK_POOL + 1 : 4);
    for (uint64_t i = 0; i < changes; ++i)
      message.changes.push_back(complete ? taskChange(false) : taskChange(chance(30)));
    for (uint64_t i = 0; i < pick(3); ++i)
      message.changes.push_back(secretChange(!complete && chance(30)));
    if (complete) resyncWanted_ = false;
    // An INCREMENTAL sent into a gap is not applied: the chain stays where it was.
    if (complete || message.appliesTo == lastResultsIn_) lastResultsIn_ = message.resultsIn;
    step(AssignmentsReceived{generation, message});
  }

  // Completes one operation in flight; `healthy` only succeeds (and leaves WAITs running).
  void executorResult(bool healthy) {
    std::vector<std::pair<TaskId, const TaskEntry*>> inFlight;
    for (const auto& [id, entry] : state().worker.tasks) {
      if (entry.operation.has_value()) inFlight.push_back({id, &entry});
    }
    if (inFlight.empty()) return healthy ? void() : advance();
    const auto& [id, entry] = inFlight[pick(inFlight.size())];
    if (healthy && entry->call == ExecutorCall::WAIT && !entry->cancelRequested &&
        entry->assigned) {
      return;
    }
    ExecutorResult result;
    uint64_t roll = healthy ? 0 : pick(100);
    if (roll < 55) {
      result.errorClass = ErrorClass::NONE;
      if (entry->call == ExecutorCall::WAIT) result.exitCode = 0;
    } else if (roll < 70) {
      result.errorClass = ErrorClass::TEMPORARY;
      result.message = "try again " + std::to_string(pick(2));
    } else if (roll < 82) {
      result.errorClass = ErrorClass::FATAL;
      result.message = "broken";
      if (entry->call == ExecutorCall::WAIT) result.exitCode = 1;
    } else {
      result.errorClass = ErrorClass::CANCELED;
    }
    OperationId operation = *entry->operation;
    completed_.push_back({id, operation});
    step(ExecutorDone{id, operation, result});
  }

  void statusAnswer(bool healthy) {
    const auto& inFlight = state().reporter.inFlight;
    if (!inFlight.has_value()) return healthy ? void() : advance();
    Generation generation = inFlight->generation;
    BatchId batch = inFlight->batch;
    uint64_t roll = healthy ? 0 : pick(100);
    if (roll < 75) {
      step(StatusesAcked{generation, batch});
    } else if (roll < 85) {
      step(StatusesFailed{generation, batch, RpcError{ErrorCode::NOT_FOUND, "unknown task"}});
    } else {
      step(StatusesFailed{generation, batch, RpcError{ErrorCode::UNAVAILABLE, "send failed"}});
    }
  }

  // Completions that are no longer awaited must be ignored.
  void staleCompletion() {
    if (completed_.empty()) return advance();
    const auto& [id, operation] = completed_[pick(completed_.size())];
    step(ExecutorDone{id, operation, ExecutorResult{ErrorClass::NONE, std::nullopt, ""}});
  }

  void restart() {
    restarts_++;
    if (!workChecker_.store().empty()) coverage_.restartsWithTasks++;
    workChecker_.restarted();
    completed_.clear();
    streamGeneration_ = 0;
    now_ = now_ + Duration::seconds(1);
    start(workChecker_.store());
  }

  // A healthy world: the session registers and stays, every call succeeds (running tasks keep
  // running), every batch is acknowledged. Then every removal has finished and every status
  // has been delivered.
  void heal() {
    for (int i = 0; i < 400 && problem_.empty(); ++i) {
      if (!running()) restart();
      const SessionState& session = state().session;
      if (session.phase == SessionPhase::OPENING) {
        step(SessionOpened{session.generation, SessionId{"s" + std::to_string(++sessions_)}, {}});
      } else if (session.phase == SessionPhase::REGISTERED && session.heartbeatOutstanding) {
        step(HeartbeatAcked{session.generation, Duration::seconds(5)});
      }
      if (registered() && resyncWanted_) assignments();
      executorResult(true);
      statusAnswer(true);
      KJ_IF_MAYBE (deadline, agent_->nextDeadline()) {
        now_ = *deadline;
      }
      step(Tick{});
    }
    if (!problem_.empty()) return;
    for (const auto& [id, entry] : state().worker.tasks) {
      if (!entry.assigned) problem_ = "after healing, " + id.value + " is still being removed";
      if (entry.retryAt.has_value()) problem_ = "after healing, " + id.value + " still retries";
    }
    if (!state().reporter.pending.empty() || state().reporter.inFlight.has_value()) {
      problem_ = "after healing, statuses are still undelivered: " + format(state().reporter);
    }
  }

  uint64_t seed_;
  Prng prng_;
  Coverage& coverage_;
  Instant now_;
  std::unique_ptr<Agent> agent_;
  sim::AgentChecker sessionChecker_;
  sim::WorkerChecker workChecker_;
  std::vector<std::string> history_;
  std::string problem_;
  std::vector<std::pair<TaskId, OperationId>> completed_;
  uint64_t restarts_ = 0;
  uint64_t sessions_ = 0;
  uint64_t messages_ = 0;
  Generation streamGeneration_ = 0;
  std::string lastResultsIn_;
  bool resyncWanted_ = true;
};

uint64_t envNumber(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  return text == nullptr ? fallback : std::strtoull(text, nullptr, 10);
}

TEST(AgentProperty, RandomRunsKeepEveryInvariantAndHeal) {
  uint64_t only = envNumber("AGENT_PROPERTY_SEED", 0);
  uint64_t seeds = envNumber("AGENT_PROPERTY_SEEDS", 150);
  uint64_t first = only != 0 ? only : 1;
  uint64_t last = only != 0 ? only : seeds;
  Coverage coverage;
  for (uint64_t seed = first; seed <= last; ++seed) {
    std::string problem = RandomRun(seed, coverage).run(400);
    ASSERT_TRUE(problem.empty()) << problem << "replay: AGENT_PROPERTY_SEED=" << seed;
  }
  if (only != 0) return;
  EXPECT_GT(coverage.deletes, 0u);
  EXPECT_GT(coverage.resyncs, 0u);
  EXPECT_GT(coverage.restartsWithTasks, 0u);
  EXPECT_GT(coverage.retries, 0u);
  EXPECT_GT(coverage.sends, 0u);
  EXPECT_GT(coverage.failedSends, 0u);
  EXPECT_GT(coverage.leavesFinished, 0u);
  EXPECT_GT(coverage.specUpdates, 0u);
  std::printf(
      "coverage: %lu deletes, %lu resyncs, %lu restarts with tasks, %lu retry steps, "
      "%lu sends, %lu failed sends, %lu leaves finished, %lu spec updates\n",
      coverage.deletes, coverage.resyncs, coverage.restartsWithTasks, coverage.retries,
      coverage.sends, coverage.failedSends, coverage.leavesFinished, coverage.specUpdates);
}

}  // namespace
}  // namespace swarmlet::agent
