// Processes for the end-to-end tests: run a command to its end with its output captured, start a
// long-running one with its output in a log file, wait for an exit with a limit, find processes
// in /proc by their command line, pick free loopback ports. Plain POSIX, no event loop; every
// wait has a limit. Single-threaded, like the tests that use it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace swarmlet::e2e {

using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::milliseconds;

// A command run to its end. `exitCode` is the exit status, or 128 + the signal that ended it
// (as a shell reports it); a command still running at the limit is killed and `timedOut` set.
struct CommandResult {
  std::vector<std::string> argv;
  int exitCode = -1;
  bool timedOut = false;
  std::string out;
  std::string err;

  // The command, its exit and both outputs, for a failure message.
  std::string describe() const;
};

// Runs `argv` (argv[0] a path) with `input` on its stdin, for at most `limit`. Output goes through
// files under `scratch` (a directory that exists), so a chatty command never blocks on a pipe.
CommandResult runCommand(const std::vector<std::string>& argv, const std::string& scratch,
                         Milliseconds limit, const std::string& input = "");

// Starts `argv` with stdin from /dev/null and stdout and stderr appended to `logPath`. Returns
// the pid; throws std::runtime_error when the program cannot be started.
pid_t spawnProcess(const std::vector<std::string>& argv, const std::string& logPath);

// Waits for the child `pid` to end, for at most `limit`: its exit status (128 + signal for a
// signal), or nullopt if it is still running.
std::optional<int> waitForExit(pid_t pid, Milliseconds limit);

// The child `pid` if it has ended: its exit status as above; nullopt while it runs; -1 if it is
// no child of this process (or was reaped before).
std::optional<int> exitedAlready(pid_t pid);

// The live (not zombie) processes whose command line is exactly `argv`.
std::vector<pid_t> processesRunning(const std::vector<std::string>& argv);

// The live processes with an argument that contains `text` (e.g. a test's scratch directory).
std::vector<pid_t> processesMentioning(const std::string& text);

// The environment of a live process ("K=V" entries); empty when it cannot be read.
std::vector<std::string> environmentOf(pid_t pid);

// A loopback TCP port that was free a moment ago and that this process has not handed out
// before (two calls never return the same port).
uint16_t freePort();

// The last `lines` lines of a file ("" if it cannot be read).
std::string tailOfFile(const std::string& path, size_t lines);

// The whole of a small file; throws std::runtime_error when it cannot be read.
std::string readWholeFile(const std::string& path);

// Sleeps on the steady clock.
void pause(Milliseconds duration);

}  // namespace swarmlet::e2e
