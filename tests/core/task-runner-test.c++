// The pure rules of the work half: the exec.Do table, what each executor result does, the retry
// delays, the reporter's pending map and the dependency differences.
#include "core/agent/task-runner.h"

#include <gtest/gtest.h>

#include "core/agent/reporter.h"
#include "core/agent/worker.h"
#include "core/limits.h"

namespace swarmlet::agent {
namespace {

TaskEntry entry(TaskState state, TaskState desired,
                ControllerState controller = ControllerState::RESOLVED) {
  TaskEntry e;
  e.task.id = TaskId{"t1"};
  e.task.status.state = state;
  e.task.status.message = "before";
  e.task.desiredState = desired;
  e.controller = controller;
  return e;
}

TaskEntry inFlight(TaskState state, ExecutorCall call) {
  TaskEntry e = entry(state, TaskState::RUNNING);
  e.operation = 1;
  e.call = call;
  return e;
}

RunnerStep call(ExecutorCall c) {
  return Call{c};
}

TEST(TaskRunnerTable, FollowsExecDoOrder) {
  WorkerState worker;
  using S = TaskState;
  EXPECT_EQ(nextStep(entry(S::ASSIGNED, S::RUNNING), worker),
            RunnerStep(Transition{S::ACCEPTED, "accepted"}));
  EXPECT_EQ(nextStep(entry(S::ACCEPTED, S::RUNNING), worker),
            RunnerStep(Transition{S::PREPARING, "preparing"}));
  EXPECT_EQ(nextStep(entry(S::PREPARING, S::RUNNING), worker), call(ExecutorCall::PREPARE));
  EXPECT_EQ(nextStep(entry(S::READY, S::RUNNING), worker),
            RunnerStep(Transition{S::STARTING, "starting"}));
  EXPECT_EQ(nextStep(entry(S::STARTING, S::RUNNING), worker), call(ExecutorCall::START));
  EXPECT_EQ(nextStep(entry(S::RUNNING, S::RUNNING), worker), call(ExecutorCall::WAIT));
  EXPECT_EQ(nextStep(entry(S::COMPLETE, S::RUNNING), worker), RunnerStep(Idle{}));
  // Desired READY: prepared, then left alone.
  EXPECT_EQ(nextStep(entry(S::PREPARING, S::READY), worker), call(ExecutorCall::PREPARE));
  EXPECT_EQ(nextStep(entry(S::READY, S::READY), worker), RunnerStep(Idle{}));
  // Desired at or past SHUTDOWN wins over everything until the task has ended.
  EXPECT_EQ(nextStep(entry(S::ASSIGNED, S::SHUTDOWN), worker), call(ExecutorCall::SHUTDOWN));
  EXPECT_EQ(nextStep(entry(S::RUNNING, S::REMOVE), worker), call(ExecutorCall::SHUTDOWN));
  EXPECT_EQ(nextStep(entry(S::FAILED, S::SHUTDOWN), worker), RunnerStep(Idle{}));
  // Past the desired state: nothing.
  EXPECT_EQ(nextStep(entry(S::STARTING, S::READY), worker), RunnerStep(Idle{}));
}

TEST(TaskRunnerTable, ResolvesFirstUpdatesBeforeGoingOnAndWaitsForDependencies) {
  WorkerState worker;
  using S = TaskState;
  EXPECT_EQ(nextStep(entry(S::ASSIGNED, S::RUNNING, ControllerState::UNRESOLVED), worker),
            call(ExecutorCall::RESOLVE));
  EXPECT_EQ(nextStep(entry(S::COMPLETE, S::RUNNING, ControllerState::UNRESOLVED), worker),
            RunnerStep(Idle{}));
  TaskEntry changed = entry(S::RUNNING, S::RUNNING);
  changed.specChanged = true;
  EXPECT_EQ(nextStep(changed, worker), call(ExecutorCall::UPDATE));
  TaskEntry needs = entry(S::PREPARING, S::RUNNING);
  needs.task.spec.secrets = {SecretId{"s1"}};
  needs.task.spec.configs = {ConfigId{"c1"}};
  EXPECT_EQ(nextStep(needs, worker), RunnerStep(AwaitDependencies{"secret s1, config c1"}));
  worker.secrets[SecretId{"s1"}] = Secret{SecretId{"s1"}, "s1", ""};
  worker.configs[ConfigId{"c1"}] = Config{ConfigId{"c1"}, "c1", ""};
  EXPECT_EQ(nextStep(needs, worker), call(ExecutorCall::PREPARE));
}

TEST(TaskRunnerTable, RemovesATaskNoLongerAssigned) {
  WorkerState worker;
  using S = TaskState;
  TaskEntry e = entry(S::RUNNING, S::RUNNING, ControllerState::UNRESOLVED);
  e.assigned = false;
  EXPECT_EQ(effectiveDesiredState(e), S::SHUTDOWN);
  EXPECT_EQ(nextStep(e, worker), call(ExecutorCall::RESOLVE));
  e.controller = ControllerState::RESOLVED;
  EXPECT_EQ(nextStep(e, worker), call(ExecutorCall::SHUTDOWN));
  e.task.status.state = S::SHUTDOWN;
  EXPECT_EQ(nextStep(e, worker), call(ExecutorCall::REMOVE));
  e.controller = ControllerState::REMOVED;
  EXPECT_EQ(nextStep(e, worker), RunnerStep(Forget{}));
}

TEST(TaskRunnerResults, SuccessesAdvanceFailuresEndOrRetry) {
  using S = TaskState;
  ExecutorResult ok;
  ResultEffect prepared = interpretResult(inFlight(S::PREPARING, ExecutorCall::PREPARE), ok);
  EXPECT_EQ(prepared.status.state, S::READY);
  EXPECT_EQ(prepared.status.message, "prepared");
  EXPECT_FALSE(prepared.retry);

  ExecutorResult fatal{ErrorClass::FATAL, 2, "boom"};
  ResultEffect rejected = interpretResult(inFlight(S::PREPARING, ExecutorCall::PREPARE), fatal);
  EXPECT_EQ(rejected.status.state, S::REJECTED);
  EXPECT_EQ(rejected.status.error, "boom");
  ResultEffect failed = interpretResult(inFlight(S::STARTING, ExecutorCall::START), fatal);
  EXPECT_EQ(failed.status.state, S::FAILED);
  EXPECT_EQ(failed.status.exitCode, 2);
  ResultEffect noController = interpretResult(inFlight(S::ASSIGNED, ExecutorCall::RESOLVE), fatal);
  EXPECT_EQ(noController.status.state, S::REJECTED);
  EXPECT_EQ(noController.controller, ControllerState::FAILED);

  // A resolved task is accepted whatever its desired state; one being removed is not, and a
  // finished one keeps its status when resolving fails.
  TaskEntry desiredNew = inFlight(S::NEW, ExecutorCall::RESOLVE);
  desiredNew.task.desiredState = S::NEW;
  ResultEffect accepted = interpretResult(desiredNew, ok);
  EXPECT_EQ(accepted.status.state, S::ACCEPTED);
  EXPECT_EQ(accepted.status.message, "accepted");
  EXPECT_EQ(accepted.controller, ControllerState::RESOLVED);
  TaskEntry removing = inFlight(S::ASSIGNED, ExecutorCall::RESOLVE);
  removing.assigned = false;
  EXPECT_EQ(interpretResult(removing, ok).status.state, S::ASSIGNED);
  TaskEntry finished = inFlight(S::COMPLETE, ExecutorCall::RESOLVE);
  finished.task.status.message = "finished";
  EXPECT_EQ(interpretResult(finished, fatal).status, finished.task.status);

  ExecutorResult temporary{ErrorClass::TEMPORARY, std::nullopt, "later"};
  ResultEffect retried = interpretResult(inFlight(S::STARTING, ExecutorCall::START), temporary);
  EXPECT_EQ(retried.status.state, S::STARTING);
  EXPECT_EQ(retried.status.error, "later");
  EXPECT_TRUE(retried.retry);
  EXPECT_TRUE(interpretResult(inFlight(S::RUNNING, ExecutorCall::UPDATE), fatal).retry);
}

TEST(TaskRunnerResults, ACancellationRerunsOnlyWhenAskedFor) {
  ExecutorResult canceled{ErrorClass::CANCELED, std::nullopt, ""};
  TaskEntry asked = inFlight(TaskState::RUNNING, ExecutorCall::WAIT);
  asked.cancelRequested = true;
  EXPECT_FALSE(interpretResult(asked, canceled).retry);
  EXPECT_TRUE(interpretResult(inFlight(TaskState::RUNNING, ExecutorCall::WAIT), canceled).retry);
  EXPECT_EQ(interpretResult(asked, canceled).status, asked.task.status);
}

TEST(TaskRunnerRetry, DelaysDoubleFromOneSecondToTheBound) {
  EXPECT_EQ(retryDelay(1), Duration::seconds(1));
  EXPECT_EQ(retryDelay(2), Duration::seconds(2));
  EXPECT_EQ(retryDelay(3), Duration::seconds(4));
  EXPECT_EQ(retryDelay(6), Duration::seconds(32));
  EXPECT_EQ(retryDelay(7), limits::TASK_RETRY_MAX);
  EXPECT_EQ(retryDelay(1'000'000), limits::TASK_RETRY_MAX);
}

TEST(Reporter, AnOlderOrEqualStatusNeverReplacesANewerOne) {
  ReporterState reporter;
  TaskId t1{"t1"};
  TaskStatus running{TaskState::RUNNING, Instant::origin() + Duration::seconds(2), "started", "",
                     std::nullopt};
  TaskStatus starting{TaskState::STARTING, Instant::origin() + Duration::seconds(3), "", "",
                      std::nullopt};
  offerStatus(reporter, t1, running);
  offerStatus(reporter, t1, starting);
  EXPECT_EQ(reporter.pending.at(t1), running);
  TaskStatus sameButOther = running;
  sameButOther.message = "other";
  offerStatus(reporter, t1, sameButOther);  // equal state and time: not newer
  EXPECT_EQ(reporter.pending.at(t1), running);
  TaskStatus later = running;
  later.timestamp = running.timestamp + Duration::seconds(1);
  later.error = "slow";
  offerStatus(reporter, t1, later);
  EXPECT_EQ(reporter.pending.at(t1), later);
}

TEST(Reporter, BatchesAreBoundedAndTakeTurns) {
  ReporterState reporter;
  for (int i = 0; i < 5; ++i)
    offerStatus(reporter, TaskId{"t" + std::to_string(i)}, TaskStatus{});
  auto first = takeBatch(reporter, 2);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].taskId.value, "t0");
  EXPECT_EQ(first[1].taskId.value, "t1");
  // t0 changes again, but the next batch continues after t1.
  offerStatus(reporter, TaskId{"t0"}, TaskStatus{TaskState::ACCEPTED, {}, "", "", {}});
  auto second = takeBatch(reporter, 3);
  ASSERT_EQ(second.size(), 3u);
  EXPECT_EQ(second[0].taskId.value, "t2");
  EXPECT_EQ(second[2].taskId.value, "t4");
  auto third = takeBatch(reporter, 3);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].taskId.value, "t0");
  EXPECT_TRUE(reporter.pending.empty());
}

TEST(WorkerDependencies, CompleteReplacesIncrementalRemovesThenAdds) {
  std::map<SecretId, Secret> secrets{{SecretId{"s1"}, Secret{SecretId{"s1"}, "s1", "a"}},
                                     {SecretId{"s2"}, Secret{SecretId{"s2"}, "s2", "b"}}};
  std::map<ConfigId, Config> configs;
  AssignmentsMessage complete;
  complete.changes.push_back({AssignmentAction::UPDATE, Secret{SecretId{"s2"}, "s2", "b"}});
  complete.changes.push_back({AssignmentAction::UPDATE, Secret{SecretId{"s3"}, "s3", "c"}});
  UpdateDependencies update = applyDependencyChanges(secrets, configs, complete);
  EXPECT_EQ(update.secretsRemoved, std::vector<SecretId>{SecretId{"s1"}});
  ASSERT_EQ(update.secretsAdded.size(), 1u);  // s2 is unchanged
  EXPECT_EQ(update.secretsAdded[0].id.value, "s3");
  EXPECT_EQ(secrets.size(), 2u);

  AssignmentsMessage incremental;
  incremental.type = AssignmentType::INCREMENTAL;
  incremental.changes.push_back({AssignmentAction::REMOVE, Secret{SecretId{"s2"}, "", ""}});
  incremental.changes.push_back({AssignmentAction::UPDATE, Config{ConfigId{"c1"}, "c1", "x"}});
  update = applyDependencyChanges(secrets, configs, incremental);
  EXPECT_EQ(update.secretsRemoved, std::vector<SecretId>{SecretId{"s2"}});
  EXPECT_EQ(update.configsAdded.size(), 1u);
  EXPECT_EQ(secrets.count(SecretId{"s3"}), 1u);
  EXPECT_TRUE(isEmpty(applyDependencyChanges(secrets, configs, incremental)));
}

}  // namespace
}  // namespace swarmlet::agent
