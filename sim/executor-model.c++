#include "sim/executor-model.h"

namespace swarmlet::sim {

using agent::ErrorClass;
using agent::ExecutorCall;
using agent::ExecutorResult;

ExecutorModel::ExecutorModel(const Profile& profile, uint64_t seed)
    : profile_(profile), prng_(seed) {}

Duration ExecutorModel::between(int64_t lowMicros, int64_t highMicros) {
  return Duration::microseconds(
      lowMicros +
      static_cast<int64_t>(prng_.uniform(static_cast<uint64_t>(highMicros - lowMicros + 1))));
}

bool ExecutorModel::failure(double share) {
  const FamilySettings& executor = profile_[FaultFamily::EXECUTOR];
  double roll = prng_.uniformUnit();
  return executor.enabled && !calm_ && roll < executor.rate * share;
}

void ExecutorModel::calm() {
  calm_ = true;
  for (auto& [id, process] : processes_)
    process.hung = false;
}

CallOutcome ExecutorModel::begin(Instant now, const TaskId& task, ExecutorCall call) {
  Process& process = processes_[task];
  switch (call) {
    case ExecutorCall::RESOLVE:
      if (failure(0.1)) return {now + between(100, 2000), {ErrorClass::FATAL, {}, "no such image"}};
      return {now + between(100, 2000), {}};
    case ExecutorCall::UPDATE:
      return {now + between(100, 1000), {}};
    case ExecutorCall::PREPARE:
      if (failure(1)) {
        return {now + between(5'000, 200'000), {ErrorClass::TEMPORARY, {}, "image pull timed out"}};
      }
      if (failure(0.2))
        return {now + between(1'000, 20'000), {ErrorClass::FATAL, {}, "image not found"}};
      return {now + between(5'000, 200'000), {}};
    case ExecutorCall::START: {
      if (failure(0.3))
        return {now + between(2'000, 30'000), {ErrorClass::FATAL, {}, "exec format error"}};
      process = Process{};
      process.started = true;
      if (failure(1)) {
        process.exitAt = now + between(1'000'000, 60'000'000);
        // One in four ends its work and exits 0 (a task that completes); the others fail.
        process.exitCode = prng_.uniform(4) == 0 ? 0 : 1 + static_cast<int32_t>(prng_.uniform(137));
      }
      return {now + between(2'000, 30'000), {}};
    }
    case ExecutorCall::WAIT:
      return waitOutcome(now, task);
    case ExecutorCall::SHUTDOWN: {
      Duration stop = process.hung ? between(1'000'000, 10'000'000) : between(5'000, 100'000);
      if (process.started && !process.exited) {
        process.exited = true;
        process.exitCode = 143;
        process.exitAt = now + stop;
      }
      return {now + stop, {}};
    }
    case ExecutorCall::REMOVE:
      processes_.erase(task);
      return {now + between(1'000, 20'000), {}};
  }
  return {now, {}};
}

CallOutcome ExecutorModel::waitOutcome(Instant now, const TaskId& task) {
  Process& process = processes_[task];
  if (!process.started) {
    return {now + between(100, 1000), {ErrorClass::FATAL, {}, "no process to wait for"}};
  }
  if (process.hung && !process.exited) return {std::nullopt, {}};
  if (!process.exitAt.has_value()) return {std::nullopt, {}};
  Instant at = *process.exitAt > now ? *process.exitAt : now;
  if (process.exitCode == 0) return {at, {ErrorClass::NONE, 0, "exited"}};
  return {at,
          {ErrorClass::FATAL, process.exitCode,
           "process exited with status " + std::to_string(process.exitCode)}};
}

}  // namespace swarmlet::sim
