// The process executor: the agent's executor calls (core/agent/executor.h) carried out on real
// processes. Each task runs its command, arguments and environment under its own task shim
// (io/task-shim.c++), in its own session and process group, with stdout and stderr in log files
// and secrets and configs as private files, all in STATE/tasks/<task id>/ (io/task-layout.h).
// The shim outlives the agent: after an agent crash a new executor on the same state directory
// finds every task's shim again (pid file checked against /proc start time), waits on it through
// a pidfd, and reads the exit status it recorded. docs/executor.md has the decisions.
//
// Ownership: main() builds one ProcessExecutor per agent and hands it to the agent driver,
// which owns it. It holds no thread; everything runs on the thread of the KJ event loop whose
// UnixEventPort and Timer it was given (they must outlive it), and it is not thread-safe.
// Destroying it leaves the tasks running (as SwarmKit leaves containers when the agent stops).
#pragma once

#include <kj/async-unix.h>
#include <kj/async.h>
#include <kj/one-of.h>
#include <kj/timer.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/agent/effect.h"
#include "core/agent/executor.h"
#include "core/limits.h"
#include "core/task.h"
#include "core/time.h"
#include "core/types.h"
#include "io/task-layout.h"

namespace swarmlet::io {

// SHUTDOWN sends SIGTERM, then SIGKILL after the grace (Docker's default stop timeout).
inline constexpr Duration STOP_GRACE_DEFAULT = Duration::seconds(10);
// How long a process may take to go after SIGKILL before SHUTDOWN or REMOVE answers TEMPORARY
// (a process stuck in the kernel); the agent retries the call.
inline constexpr Duration KILL_WAIT_DEFAULT = Duration::seconds(10);
// How long START waits for the shim's report that the task's process is running.
inline constexpr Duration START_REPORT_TIMEOUT = Duration::seconds(10);
// The most tasks the executor holds at once (the agent's own bound; one pidfd each while the
// task runs, so the agent's RLIMIT_NOFILE must allow as many).
inline constexpr size_t EXECUTOR_TASKS_MAX = limits::TASKS_MAX;
// The longest task id, secret name or config name the executor turns into a file name.
inline constexpr size_t FILE_NAME_LENGTH_MAX = 255;

struct ProcessExecutorOptions {
  // The agent's state directory (created if missing); tasks live in STATE/tasks.
  std::string stateDir;
  // The swarmlet-task-shim executable.
  std::string shimPath;
  Duration stopGrace = STOP_GRACE_DEFAULT;
  Duration killWait = KILL_WAIT_DEFAULT;
  // Each of a task's log files is rotated past this size (two files per stream at most).
  uint64_t logFileBytes = task_layout::LOG_FILE_BYTES_DEFAULT;
};

// What the executor found of a task when it opened: left by an earlier agent process.
enum class RecoveredState : uint8_t {
  NOT_STARTED,  // prepared, never started
  RUNNING,      // its shim runs: adopted, WAIT and SHUTDOWN work on it as before
  EXITED,       // it ended while no agent ran: WAIT reports its recorded exit status
  LOST,         // its shim died without a status: what was left of the task was killed
};

struct RecoveredTask {
  TaskId id;
  RecoveredState state = RecoveredState::NOT_STARTED;

  bool operator==(const RecoveredTask&) const = default;
};

class ProcessExecutor {
  struct Token {};

 public:
  // Creates STATE/tasks if needed, checks the shim and the kernel (pidfd_open), and takes up
  // every task directory found there. On failure: one line saying what is wrong and what to do.
  static kj::OneOf<kj::Own<ProcessExecutor>, std::string> open(kj::UnixEventPort& eventPort,
                                                               kj::Timer& timer,
                                                               ProcessExecutorOptions options);

  // Use open().
  ProcessExecutor(Token, kj::UnixEventPort& eventPort, kj::Timer& timer,
                  ProcessExecutorOptions options);
  ~ProcessExecutor() noexcept(false);
  KJ_DISALLOW_COPY(ProcessExecutor);

  // One executor call; resolves with its result (never rejects). Dropping the promise cancels
  // the call (the driver then reports CANCELED itself) and leaves the task as the call left it:
  // a dropped WAIT leaves the process running, a dropped SHUTDOWN may leave it terminating.
  // REQUIRES: one call in flight per task (the agent's rule); promises are dropped before the
  // executor.
  //   RESOLVE  checks the task's id and spec and makes its controller.       FATAL if invalid.
  //   UPDATE   replaces the spec used by a later START.                      FATAL if invalid.
  //   PREPARE  creates the task's directory and writes its secrets and configs.
  //            TEMPORARY while one is not installed.
  //   START    starts the shim and the task. FATAL when the command is missing or cannot run.
  //   WAIT     until the task's main process ended: exit 0 is success (exitCode 0), another code
  //            FATAL ("exited with code 3"), a signal FATAL (exitCode 128+n, "killed by signal
  //            9 (SIGKILL)").
  //   SHUTDOWN SIGTERM to the task's process group, SIGKILL after the grace; resolves once the
  //            shim and everything of the task are gone.
  //   REMOVE   SIGKILL to whatever still runs, then deletes the task's directory.
  kj::Promise<agent::ExecutorResult> run(const agent::ExecutorOperation& operation);

  // Installs and removes secrets and configs (in memory; PREPARE writes what a task names).
  void updateDependencies(const agent::UpdateDependencies& update);

  // Hostname, platform ("linux/x86_64"), CPUs usable by this process (thousandths) and memory.
  NodeDescription describe() const;

  // What open() found, in task id order. A task here that the agent's store does not know was
  // left by a lost record: the driver passes it a REMOVE.
  const std::vector<RecoveredTask>& recovered() const { return recovered_; }

 private:
  struct Controller;
  struct Watch;
  class ReportReader;

  std::string taskDir(const TaskId& id) const;
  RecoveredState examine(Controller& controller);
  bool adoptShim(Controller& controller, pid_t pid, uint64_t startTime);
  void watch(Controller& controller, int pidfd, bool child);
  void shimEnded(Controller& controller);
  bool settleOutcome(Controller& controller);
  void killLeftovers(Controller& controller);
  bool signalShim(Controller& controller, int signal);
  kj::Promise<agent::ExecutorResult> waitExited(Controller& controller, Duration limit,
                                                std::string lateMessage);

  agent::ExecutorResult resolve(const agent::ExecutorOperation& operation);
  agent::ExecutorResult update(const agent::ExecutorOperation& operation);
  agent::ExecutorResult prepare(Controller& controller);
  kj::Promise<agent::ExecutorResult> start(Controller& controller);
  kj::Promise<agent::ExecutorResult> wait(Controller& controller);
  kj::Promise<agent::ExecutorResult> shutdown(Controller& controller);
  kj::Promise<agent::ExecutorResult> remove(const TaskId& id);
  kj::Promise<agent::ExecutorResult> finishRemove(const TaskId& id);
  kj::Promise<agent::ExecutorResult> spawnShim(Controller& controller, const std::string& path);
  agent::ExecutorResult readReport(Controller& controller, const std::string& report);

  kj::UnixEventPort& eventPort_;
  kj::Timer& timer_;
  ProcessExecutorOptions options_;
  std::string tasksDir_;
  // Pid files of another boot name no process.
  std::string bootId_;
  std::map<SecretId, Secret> secrets_;
  std::map<ConfigId, Config> configs_;
  std::map<TaskId, kj::Own<Controller>> controllers_;
  std::vector<RecoveredTask> recovered_;
};

}  // namespace swarmlet::io
