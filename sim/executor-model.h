// The simulated node's executor: how long each executor call takes and how it ends, drawn from
// the node's own PRNG stream. Processes belong to the node, not to the agent: they survive an
// agent crash (as containers survive a dockerd-less agent restart) and are what the agent finds
// again when it resolves a restored task. With the EXECUTOR family on, starts fail, processes
// exit after a while (one in four with status 0: a task that completes, the rest non-zero),
// prepares fail for a while, and stops are slow.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "core/agent/effect.h"
#include "core/prng.h"
#include "sim/profile.h"

namespace swarmlet::sim {

struct Process {
  bool started = false;
  bool exited = false;
  // When a started process exits by itself (nullopt: it runs until stopped).
  std::optional<Instant> exitAt;
  int32_t exitCode = 0;
  // The process ignores signals: SHUTDOWN takes long, WAIT never returns by itself.
  bool hung = false;
};

struct CallOutcome {
  // When the call completes; nullopt: not by itself (a WAIT on a process that runs on).
  std::optional<Instant> at;
  agent::ExecutorResult result;
};

class ExecutorModel {
 public:
  ExecutorModel(const Profile& profile, uint64_t seed);

  // Starts `call` for `task` at `now`: changes the node's processes as the call would and says
  // when and how it ends.
  CallOutcome begin(Instant now, const TaskId& task, agent::ExecutorCall call);
  // A WAIT begun now: when its process ends (the world asks again after a SHUTDOWN, for a WAIT
  // still waiting for a process that ran on).
  CallOutcome waitOutcome(Instant now, const TaskId& task);
  void hang(const TaskId& task) { processes_[task].hung = true; }
  const std::map<TaskId, Process>& processes() const { return processes_; }
  // The executor recovers: no more hangs (heal phase).
  void calm();

 private:
  Duration between(int64_t lowMicros, int64_t highMicros);
  bool failure(double share);

  Profile profile_;
  Prng prng_;
  bool calm_ = false;
  std::map<TaskId, Process> processes_;
};

}  // namespace swarmlet::sim
