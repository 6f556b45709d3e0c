// What the process executor (io/process-executor.h) and the task shim (io/task-shim.c++) agree
// on: the files of a task's directory, the signals the shim obeys, the report line it writes,
// and the bounds both keep. Constants only; safe everywhere. docs/executor.md has the picture.
//
//   STATE/tasks/<task id>/            mode 0700, created by PREPARE, deleted by REMOVE
//     work/                           the task's working directory (the task's own files)
//       secrets/<name>, configs/<name>  mode 0400, written by PREPARE
//     exec-path, argv, env            the launch: written by START, read by the shim
//     shim.lock                       held (flock) by the live shim: one shim per task
//     shim.pid                        "<pid> <start time> <boot id>\n", by the shim before the task
//     shim.log                        the shim's own complaints (its stderr)
//     stdout.log, stderr.log          the task's output (rotated to *.log.1 past the bound)
//     exit-status                     "exit N" | "signal N" | "failed <why>", by the shim at the
//     end
#pragma once

#include <signal.h>

#include <cstddef>
#include <cstdint>

namespace swarmlet::io::task_layout {

inline constexpr const char* TASKS_DIRECTORY = "tasks";
// The task's working directory, apart from the shim's files so the task cannot clobber them by
// accident; its secrets and configs are below it.
inline constexpr const char* WORK_DIRECTORY = "work";
inline constexpr const char* SECRETS_DIRECTORY = "secrets";
inline constexpr const char* CONFIGS_DIRECTORY = "configs";
inline constexpr const char* EXEC_PATH_FILE = "exec-path";
inline constexpr const char* ARGV_FILE = "argv";
inline constexpr const char* ENV_FILE = "env";
inline constexpr const char* SHIM_LOCK_FILE = "shim.lock";
inline constexpr const char* SHIM_PID_FILE = "shim.pid";
inline constexpr const char* SHIM_LOG_FILE = "shim.log";
inline constexpr const char* STDOUT_LOG_FILE = "stdout.log";
inline constexpr const char* STDERR_LOG_FILE = "stderr.log";
inline constexpr const char* EXIT_STATUS_FILE = "exit-status";

// The shim writes one report line on this descriptor, then closes it: "started <task pid>\n",
// or "failed <why>\n" when the task could not be started, or "busy\n" when another shim holds
// the task's lock.
inline constexpr int REPORT_FD = 3;
inline constexpr size_t REPORT_BYTES_MAX = 4096;

// Signals the shim obeys (sent with pidfd_send_signal, so a reused pid is never hit).
// STOP_SIGNAL is passed on to the task's process group as is; KILL_SIGNAL makes the shim send
// SIGKILL to it. Every other catchable signal is ignored by the shim.
inline constexpr int STOP_SIGNAL = SIGTERM;
inline constexpr int KILL_SIGNAL = SIGUSR1;

// The launch files together: the task's command, arguments and environment (Linux's own limit
// on them is about a quarter of the stack limit, 2 MiB by default).
inline constexpr size_t LAUNCH_BYTES_MAX = 1024 * 1024;
// Small files: shim.pid, exit-status.
inline constexpr size_t SMALL_FILE_BYTES_MAX = 4096;
// Each log file is rotated once it holds this much; a task keeps at most two files per stream.
inline constexpr uint64_t LOG_FILE_BYTES_DEFAULT = 16 * 1024 * 1024;
inline constexpr uint64_t LOG_FILE_BYTES_MIN = 1024;
// The shim's cleanup after the task's main process ended: rounds of "kill every descendant,
// reap them"; each round takes the orphans the previous one made. A task that forks faster
// than the rounds kill keeps processes past the bound, which shim.log then names.
inline constexpr int CLEANUP_ROUNDS_MAX = 1000;
// PATH for a task whose environment names none (also where a bare command is looked up).
inline constexpr const char* DEFAULT_PATH =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

static_assert(LOG_FILE_BYTES_MIN <= LOG_FILE_BYTES_DEFAULT);
static_assert(REPORT_FD > 2, "the shim's stdin, stdout and stderr stay standard");

}  // namespace swarmlet::io::task_layout
