// The process executor on real processes under the real task shim: exit codes, signals, the
// stop grace, logs, arguments and environment, secrets, cancellation, bad commands, removal,
// and an agent crash with a new executor on the same state directory. Every task carries a
// marker in its environment, so a scan of /proc finds anything a test left running.
#include "io/process-executor.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "io/task-files.h"
#include "io/task-layout.h"

namespace swarmlet::io {

void PrintTo(const RecoveredTask& task, std::ostream* out) {
  static const char* const NAMES[] = {"NOT_STARTED", "RUNNING", "EXITED", "LOST"};
  *out << task.id.value << ":" << NAMES[static_cast<int>(task.state)];
}

namespace {

using agent::ErrorClass;
using agent::ExecutorCall;
using agent::ExecutorOperation;
using agent::ExecutorResult;
namespace layout = task_layout;

constexpr const char* MARKER_VARIABLE = "SWARMLET_TEST_MARKER";

std::string uniqueMarker() {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = test != nullptr ? test->name() : "no-test";
  return "swarmlet-executor-test-" + std::to_string(::getpid()) + "-" + name;
}

std::string makeTemporaryDirectory() {
  char pattern[] = "/tmp/swarmlet-executor-XXXXXX";
  char* made = ::mkdtemp(pattern);
  EXPECT_NE(made, nullptr) << "mkdtemp: " << ::strerror(errno);
  return made != nullptr ? made : "/tmp";
}

// Live processes whose environment holds `marker` (zombies do not count: they run nothing).
std::vector<pid_t> markedProcesses(const std::string& marker) {
  std::vector<pid_t> found;
  std::string needle = std::string(MARKER_VARIABLE) + "=" + marker;
  for (const ProcessStat& process : listProcesses()) {
    if (process.state == 'Z') continue;
    FileRead environ = readFile("/proc/" + std::to_string(process.pid) + "/environ", 1 << 20);
    if (!environ.data.has_value()) continue;
    for (const std::string& item : splitNul(*environ.data)) {
      if (item == needle) found.push_back(process.pid);
    }
  }
  return found;
}

// Everything a test started: its tasks (by marker) and their shims (whose command line names a
// directory under `tempDir`), killed and waited for, so the directory can be removed.
void killTestProcesses(const std::string& marker, const std::string& tempDir) {
  for (int round = 0; round < 200; ++round) {
    std::vector<pid_t> found = markedProcesses(marker);
    for (const ProcessStat& process : listProcesses()) {
      if (process.state == 'Z') continue;
      FileRead cmdline = readFile("/proc/" + std::to_string(process.pid) + "/cmdline", 1 << 20);
      if (cmdline.data.has_value() && cmdline.data->find(tempDir + "/") != std::string::npos)
        found.push_back(process.pid);
    }
    if (found.empty()) return;
    for (pid_t pid : found)
      ::kill(pid, SIGKILL);
    ::usleep(10'000);
  }
  ADD_FAILURE() << "processes of the test outlived it";
}

void waitUntilGone(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    std::optional<ProcessStat> stat = readProcessStat(pid);
    if (!stat.has_value() || stat->state == 'Z') return;
    ::usleep(10'000);
  }
  ADD_FAILURE() << "process " << pid << " did not end";
}

pid_t shimOf(const std::string& taskDir) {
  FileRead line = readFile(joinPath(taskDir, task_layout::SHIM_PID_FILE), 4096);
  return line.data.has_value() ? static_cast<pid_t>(std::atol(line.data->c_str())) : 0;
}

std::string contents(const std::string& path) {
  FileRead read = readFile(path, 1 << 20);
  return read.data.value_or("<" + (read.missing ? std::string("missing") : read.error) + ">");
}

bool exists(const std::string& path) {
  struct stat info;
  return ::lstat(path.c_str(), &info) == 0;
}

Task makeTask(const std::string& id, const std::string& marker, std::string command,
              std::vector<std::string> args) {
  Task task;
  task.id = TaskId{id};
  task.spec.command = std::move(command);
  task.spec.args = std::move(args);
  task.spec.env[MARKER_VARIABLE] = marker;
  return task;
}

Task shellTask(const std::string& id, const std::string& marker, const std::string& script) {
  return makeTask(id, marker, "/bin/sh", {"-c", script});
}

ProcessExecutorOptions optionsFor(const std::string& stateDir) {
  ProcessExecutorOptions options;
  options.stateDir = stateDir;
  options.shimPath = SWARMLET_TASK_SHIM;
  options.stopGrace = Duration::seconds(5);
  options.killWait = Duration::seconds(5);
  return options;
}

// An event loop, a state directory and an executor on it; whatever a test left running is
// killed at the end.
struct ExecutorTest : ::testing::Test {
  ExecutorTest() : marker(uniqueMarker()), tempDir(makeTemporaryDirectory()) {
    stateDir = joinPath(tempDir, "state");
    openExecutor(optionsFor(stateDir));
  }
  ~ExecutorTest() noexcept override {
    executor = nullptr;
    killTestProcesses(marker, tempDir);
    FileStatus removed = removeTree(tempDir);
    if (!removed.ok()) ADD_FAILURE() << removed.error;
  }

  void openExecutor(ProcessExecutorOptions options) {
    executor = nullptr;
    auto opened = ProcessExecutor::open(io.unixEventPort, timer, std::move(options));
    if (opened.is<std::string>()) {
      ADD_FAILURE() << opened.get<std::string>();
      return;
    }
    executor = kj::mv(opened.get<kj::Own<ProcessExecutor>>());
  }

  ExecutorOperation operation(const TaskId& id, ExecutorCall call,
                              std::optional<Task> task = std::nullopt) {
    return ExecutorOperation{id, ++lastOperation, call, std::move(task)};
  }
  ExecutorResult call(const TaskId& id, ExecutorCall call) {
    return executor->run(operation(id, call)).wait(ws);
  }
  ExecutorResult resolve(const Task& task) {
    return executor->run(operation(task.id, ExecutorCall::RESOLVE, task)).wait(ws);
  }
  // RESOLVE, PREPARE and START, each expected to succeed.
  void start(const Task& task) {
    for (ExecutorCall step : {ExecutorCall::RESOLVE, ExecutorCall::PREPARE, ExecutorCall::START}) {
      ExecutorResult result = step == ExecutorCall::RESOLVE ? resolve(task) : call(task.id, step);
      ASSERT_EQ(result.errorClass, ErrorClass::NONE) << result.message;
    }
  }
  ExecutorResult runToEnd(const Task& task) {
    start(task);
    return call(task.id, ExecutorCall::WAIT);
  }

  void sleepFor(kj::Duration duration) { timer.afterDelay(duration).wait(ws); }
  // Polls `condition` every 10 ms for up to `limit`.
  bool eventually(const std::function<bool()>& condition, kj::Duration limit = 5 * kj::SECONDS) {
    for (kj::Duration waited = 0 * kj::SECONDS; waited < limit; waited += 10 * kj::MILLISECONDS) {
      if (condition()) return true;
      sleepFor(10 * kj::MILLISECONDS);
    }
    return condition();
  }

  std::string taskDir(const std::string& id) const {
    return joinPath(joinPath(stateDir, layout::TASKS_DIRECTORY), id);
  }

  kj::AsyncIoContext io = kj::setupAsyncIo();
  kj::WaitScope& ws = io.waitScope;
  kj::Timer& timer = io.provider->getTimer();
  std::string marker;
  std::string tempDir;
  std::string stateDir;
  kj::Own<ProcessExecutor> executor;
  agent::OperationId lastOperation = 0;
};

TEST_F(ExecutorTest, ExitZeroIsSuccessWithExitCodeZero) {
  ExecutorResult result = runToEnd(shellTask("t1", marker, "exit 0"));
  EXPECT_EQ(result.errorClass, ErrorClass::NONE) << result.message;
  EXPECT_EQ(result.exitCode, 0);
  EXPECT_EQ(result.message, "");
}

TEST_F(ExecutorTest, NonZeroExitIsFatalWithItsCode) {
  ExecutorResult result = runToEnd(shellTask("t1", marker, "exit 3"));
  EXPECT_EQ(result.errorClass, ErrorClass::FATAL);
  EXPECT_EQ(result.exitCode, 3);
  EXPECT_EQ(result.message, "exited with code 3");
}

TEST_F(ExecutorTest, DeathBySignalIsFatalAndNamesTheSignal) {
  ExecutorResult result = runToEnd(shellTask("t1", marker, "kill -KILL $$"));
  EXPECT_EQ(result.errorClass, ErrorClass::FATAL);
  EXPECT_EQ(result.exitCode, 128 + SIGKILL);
  EXPECT_EQ(result.message, "killed by signal 9 (SIGKILL)");
}

TEST_F(ExecutorTest, ShutdownStopsAProcessWithSigterm) {
  Task task = shellTask("t1", marker, "exec sleep 30");
  start(task);
  ASSERT_TRUE(eventually([&] { return markedProcesses(marker).size() == 1; }));
  auto began = std::chrono::steady_clock::now();
  ExecutorResult stopped = call(task.id, ExecutorCall::SHUTDOWN);
  auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(stopped.errorClass, ErrorClass::NONE) << stopped.message;
  // Well inside the 5 s grace: SIGTERM did it.
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_EQ(markedProcesses(marker), std::vector<pid_t>{});
  ExecutorResult waited = call(task.id, ExecutorCall::WAIT);
  EXPECT_EQ(waited.exitCode, 128 + SIGTERM);
  EXPECT_EQ(waited.message, "killed by signal 15 (SIGTERM)");
}

TEST_F(ExecutorTest, ShutdownKillsAProcessIgnoringSigtermAfterTheGrace) {
  ProcessExecutorOptions options = optionsFor(stateDir);
  options.stopGrace = Duration::milliseconds(300);
  openExecutor(options);
  Task task = shellTask("t1", marker, "trap '' TERM; echo ready; sleep 30");
  start(task);
  std::string out = joinPath(taskDir("t1"), layout::STDOUT_LOG_FILE);
  ASSERT_TRUE(eventually([&] { return contents(out) == "ready\n"; })) << contents(out);
  auto began = std::chrono::steady_clock::now();
  ExecutorResult stopped = call(task.id, ExecutorCall::SHUTDOWN);
  auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(stopped.errorClass, ErrorClass::NONE) << stopped.message;
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_EQ(markedProcesses(marker), std::vector<pid_t>{});
  ExecutorResult waited = call(task.id, ExecutorCall::WAIT);
  EXPECT_EQ(waited.exitCode, 128 + SIGKILL);
}

TEST_F(ExecutorTest, OutputGoesToTheTasksLogFiles) {
  ExecutorResult result = runToEnd(shellTask("t1", marker, "echo to-out; echo to-err >&2"));
  EXPECT_EQ(result.errorClass, ErrorClass::NONE) << result.message;
  EXPECT_EQ(contents(joinPath(taskDir("t1"), layout::STDOUT_LOG_FILE)), "to-out\n");
  EXPECT_EQ(contents(joinPath(taskDir("t1"), layout::STDERR_LOG_FILE)), "to-err\n");
}

TEST_F(ExecutorTest, LogFilesAreRotatedAtTheirBound) {
  ProcessExecutorOptions options = optionsFor(stateDir);
  options.logFileBytes = 4096;
  openExecutor(options);
  ExecutorResult result = runToEnd(shellTask("t1", marker, "head -c 20000 /dev/zero | tr '\\0' x"));
  EXPECT_EQ(result.errorClass, ErrorClass::NONE) << result.message;
  std::string current = contents(joinPath(taskDir("t1"), layout::STDOUT_LOG_FILE));
  std::string previous =
      contents(joinPath(taskDir("t1"), std::string(layout::STDOUT_LOG_FILE) + ".1"));
  EXPECT_LE(current.size(), 4096u);
  EXPECT_EQ(previous.size(), 4096u);
  EXPECT_EQ((20000 - current.size()) % 4096, 0u) << "whole files were rotated";
  EXPECT_EQ(current.find_first_not_of('x'), std::string::npos);
}

TEST_F(ExecutorTest, ArgumentsEnvironmentAndWorkingDirectoryReachTheProcess) {
  Task task =
      makeTask("t1", marker, "sh",
               {"-c", "printf '%s|%s|%s|%s|%s' \"$0\" \"$1\" \"$GREETING\" \"$PWD\" \"$PATH\"",
                "first arg", "second"});
  task.spec.env["GREETING"] = "hello world";
  ExecutorResult result = runToEnd(task);
  EXPECT_EQ(result.errorClass, ErrorClass::NONE) << result.message;
  EXPECT_EQ(contents(joinPath(taskDir("t1"), layout::STDOUT_LOG_FILE)),
            "first arg|second|hello world|" + joinPath(taskDir("t1"), layout::WORK_DIRECTORY) +
                "|" + layout::DEFAULT_PATH);
}

// Tries to open `path` for reading as user and group 65534 (nobody); the errno it got, or 0.
int openAsNobody(const std::string& path) {
  pid_t child = ::fork();
  if (child == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(250);
    int fd = ::open(path.c_str(), O_RDONLY);
    ::_exit(fd >= 0 ? 0 : errno);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 251;
}

TEST_F(ExecutorTest, SecretsAreFilesOnlyTheTasksUserCanRead) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to try another user";
  agent::UpdateDependencies update;
  update.secretsAdded.push_back(Secret{SecretId{"s1"}, "db-password", "hunter2"});
  update.configsAdded.push_back(Config{ConfigId{"c1"}, "app.conf", "level=debug"});
  executor->updateDependencies(update);
  Task task = shellTask("t1", marker, "cat secrets/db-password configs/app.conf; sleep 30");
  task.spec.secrets.push_back(SecretId{"s1"});
  task.spec.configs.push_back(ConfigId{"c1"});
  start(task);
  std::string out = joinPath(taskDir("t1"), layout::STDOUT_LOG_FILE);
  ASSERT_TRUE(eventually([&] { return contents(out) == "hunter2level=debug"; })) << contents(out);

  std::string work = joinPath(taskDir("t1"), layout::WORK_DIRECTORY);
  std::string secret = joinPath(joinPath(work, layout::SECRETS_DIRECTORY), "db-password");
  struct stat info;
  ASSERT_EQ(::stat(secret.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0400u);
  EXPECT_EQ(openAsNobody(secret), EACCES);
  // Even with every directory on the way opened up, the file's own mode refuses.
  for (const std::string& dir : {tempDir, stateDir, joinPath(stateDir, layout::TASKS_DIRECTORY),
                                 taskDir("t1"), work, joinPath(work, layout::SECRETS_DIRECTORY)})
    ASSERT_EQ(::chmod(dir.c_str(), 0755), 0) << dir;
  EXPECT_EQ(openAsNobody(secret), EACCES);
  EXPECT_EQ(openAsNobody(taskDir("t1")), 0) << "the check can succeed";

  EXPECT_EQ(call(task.id, ExecutorCall::REMOVE).errorClass, ErrorClass::NONE);
  EXPECT_FALSE(exists(secret));
  EXPECT_FALSE(exists(taskDir("t1")));
}

TEST_F(ExecutorTest, PrepareWaitsForASecretNotInstalled) {
  Task task = shellTask("t1", marker, "true");
  task.spec.secrets.push_back(SecretId{"s9"});
  ASSERT_EQ(resolve(task).errorClass, ErrorClass::NONE);
  ExecutorResult result = call(task.id, ExecutorCall::PREPARE);
  EXPECT_EQ(result.errorClass, ErrorClass::TEMPORARY);
  EXPECT_EQ(result.message, "secret s9 is not installed");
}

TEST_F(ExecutorTest, CancelledWaitLeavesTheProcessRunning) {
  Task task = shellTask("t1", marker, "exec sleep 30");
  start(task);
  {
    kj::Promise<ExecutorResult> waiting = executor->run(operation(task.id, ExecutorCall::WAIT));
    sleepFor(100 * kj::MILLISECONDS);
    EXPECT_FALSE(waiting.poll(ws));
  }  // dropped: cancelled
  sleepFor(100 * kj::MILLISECONDS);
  EXPECT_EQ(markedProcesses(marker).size(), 1u);
  // A fresh WAIT sees the end that SHUTDOWN brings.
  kj::Promise<ExecutorResult> waiting = executor->run(operation(task.id, ExecutorCall::WAIT));
  EXPECT_EQ(call(task.id, ExecutorCall::SHUTDOWN).errorClass, ErrorClass::NONE);
  EXPECT_EQ(waiting.wait(ws).exitCode, 128 + SIGTERM);
}

TEST_F(ExecutorTest, StartOfACommandThatCannotRunIsFatalAndNamesThePath) {
  std::string plainFile = joinPath(tempDir, "not-executable");
  ASSERT_TRUE(writeFileAtomic(plainFile, "#!/bin/sh\n", 0644, false).ok());
  struct Case {
    std::string command;
    std::string message;
  };
  for (const Case& bad : {Case{"/nonexistent/tool",
                               "cannot execute /nonexistent/tool: No such "
                               "file or directory"},
                          Case{plainFile, "cannot execute " + plainFile + ": Permission denied"},
                          Case{"no-such-tool-xyz",
                               "cannot execute no-such-tool-xyz: no such "
                               "command in PATH"}}) {
    Task task = makeTask("t-" + std::to_string(lastOperation), marker, bad.command, {});
    ASSERT_EQ(resolve(task).errorClass, ErrorClass::NONE);
    ASSERT_EQ(call(task.id, ExecutorCall::PREPARE).errorClass, ErrorClass::NONE);
    ExecutorResult result = call(task.id, ExecutorCall::START);
    EXPECT_EQ(result.errorClass, ErrorClass::FATAL);
    EXPECT_EQ(result.message.substr(0, bad.message.size()), bad.message) << result.message;
  }
}

TEST_F(ExecutorTest, ResolveRefusesAnIdThatCannotNameADirectory) {
  for (std::string id : {"../escape", "a/b", ".hidden", ""}) {
    ExecutorResult result = resolve(shellTask(id, marker, "true"));
    EXPECT_EQ(result.errorClass, ErrorClass::FATAL) << id;
    EXPECT_NE(result.message.find("cannot name a directory"), std::string::npos) << result.message;
  }
}

TEST_F(ExecutorTest, RemoveLeavesNoProcessAndNoDirectory) {
  // Children in the task's group, and one that left it for a session of its own.
  Task task = shellTask("t1", marker, "sleep 30 & setsid sleep 30 & wait");
  start(task);
  ASSERT_TRUE(eventually([&] { return markedProcesses(marker).size() == 3; }))
      << markedProcesses(marker).size();
  ExecutorResult removed = call(task.id, ExecutorCall::REMOVE);
  EXPECT_EQ(removed.errorClass, ErrorClass::NONE) << removed.message;
  EXPECT_EQ(markedProcesses(marker), std::vector<pid_t>{});
  EXPECT_FALSE(exists(taskDir("t1")));
  // Removing again (a retry after a crash) finds nothing to do.
  EXPECT_EQ(call(task.id, ExecutorCall::REMOVE).errorClass, ErrorClass::NONE);
}

TEST_F(ExecutorTest, AnEndingTaskTakesWhatItLeftAlong) {
  ExecutorResult result =
      runToEnd(shellTask("t1", marker, "sleep 30 & setsid sleep 30 & echo started"));
  EXPECT_EQ(result.errorClass, ErrorClass::NONE) << result.message;
  EXPECT_EQ(markedProcesses(marker), std::vector<pid_t>{});
}

TEST_F(ExecutorTest, StartTwiceRunsOneProcess) {
  Task task = shellTask("t1", marker, "exec sleep 30");
  start(task);
  EXPECT_EQ(call(task.id, ExecutorCall::START).errorClass, ErrorClass::NONE);
  sleepFor(100 * kj::MILLISECONDS);
  EXPECT_EQ(markedProcesses(marker).size(), 1u);
}

TEST_F(ExecutorTest, AShimKilledFromOutsideLeavesNothingRunning) {
  Task task = shellTask("t1", marker, "sleep 30 & wait");
  start(task);
  ASSERT_TRUE(eventually([&] { return markedProcesses(marker).size() == 2; }));
  pid_t shim = shimOf(taskDir("t1"));
  ASSERT_GT(shim, 0);
  ASSERT_EQ(::kill(shim, SIGKILL), 0);
  ExecutorResult result = call(task.id, ExecutorCall::WAIT);
  EXPECT_EQ(result.errorClass, ErrorClass::FATAL);
  EXPECT_NE(result.message.find("ended without recording the task's exit status"),
            std::string::npos)
      << result.message;
  EXPECT_TRUE(eventually([&] { return markedProcesses(marker).empty(); }));
}

TEST_F(ExecutorTest, AStoppedExecutorLeavesTasksRunningForTheNextOne) {
  Task task = shellTask("t1", marker, "exec sleep 30");
  start(task);
  openExecutor(optionsFor(stateDir));
  ASSERT_NE(executor.get(), nullptr);
  EXPECT_EQ(executor->recovered(),
            (std::vector<RecoveredTask>{{TaskId{"t1"}, RecoveredState::RUNNING}}));
  EXPECT_EQ(markedProcesses(marker).size(), 1u);
  // A REMOVE needs no RESOLVE: what the driver does for a task its store no longer knows.
  EXPECT_EQ(call(task.id, ExecutorCall::REMOVE).errorClass, ErrorClass::NONE);
  EXPECT_EQ(markedProcesses(marker), std::vector<pid_t>{});
  EXPECT_FALSE(exists(taskDir("t1")));
}

TEST_F(ExecutorTest, UpdateChangesWhatALaterStartRuns) {
  Task task = shellTask("t1", marker, "exit 1");
  ASSERT_EQ(resolve(task).errorClass, ErrorClass::NONE);
  task.spec.args = {"-c", "exit 4"};
  ASSERT_EQ(executor->run(operation(task.id, ExecutorCall::UPDATE, task)).wait(ws).errorClass,
            ErrorClass::NONE);
  ASSERT_EQ(call(task.id, ExecutorCall::PREPARE).errorClass, ErrorClass::NONE);
  ASSERT_EQ(call(task.id, ExecutorCall::START).errorClass, ErrorClass::NONE);
  EXPECT_EQ(call(task.id, ExecutorCall::WAIT).exitCode, 4);
}

TEST_F(ExecutorTest, StartWaitsWhileAnotherShimHoldsTheTask) {
  Task task = shellTask("t1", marker, "exit 0");
  ASSERT_EQ(resolve(task).errorClass, ErrorClass::NONE);
  ASSERT_EQ(call(task.id, ExecutorCall::PREPARE).errorClass, ErrorClass::NONE);
  // What a shim of a crashed agent, still starting, looks like from here.
  std::string lock = joinPath(taskDir("t1"), layout::SHIM_LOCK_FILE);
  int held = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX), 0);
  ExecutorResult busy = call(task.id, ExecutorCall::START);
  EXPECT_EQ(busy.errorClass, ErrorClass::TEMPORARY);
  EXPECT_EQ(busy.message, "another task shim holds task t1; START is retried");
  EXPECT_EQ(markedProcesses(marker), std::vector<pid_t>{});
  ::close(held);
  ExecutorResult started;
  EXPECT_TRUE(eventually([&] {
    started = call(task.id, ExecutorCall::START);
    return started.errorClass != ErrorClass::TEMPORARY;
  })) << started.message;
  EXPECT_EQ(started.errorClass, ErrorClass::NONE) << started.message;
  EXPECT_EQ(call(task.id, ExecutorCall::WAIT).exitCode, 0);
}

TEST_F(ExecutorTest, ADamagedPidFileNeitherHidesTheShimNorNamesAnotherProcess) {
  Task task = shellTask("t1", marker, "exec sleep 30");
  start(task);
  executor = nullptr;
  // The pid file now names init, with init's true start time.
  std::optional<ProcessStat> init = readProcessStat(1);
  ASSERT_TRUE(init.has_value());
  std::string forged = "1 " + std::to_string(init->startTime) + " " + bootId() + "\n";
  ASSERT_TRUE(
      writeFileAtomic(joinPath(taskDir("t1"), layout::SHIM_PID_FILE), forged, 0600, false).ok());
  openExecutor(optionsFor(stateDir));
  ASSERT_NE(executor.get(), nullptr);
  EXPECT_EQ(executor->recovered(),
            (std::vector<RecoveredTask>{{TaskId{"t1"}, RecoveredState::RUNNING}}));
  ASSERT_EQ(resolve(task).errorClass, ErrorClass::NONE);
  EXPECT_EQ(call(task.id, ExecutorCall::SHUTDOWN).errorClass, ErrorClass::NONE);
  EXPECT_EQ(call(task.id, ExecutorCall::WAIT).exitCode, 128 + SIGTERM);
  EXPECT_EQ(markedProcesses(marker), std::vector<pid_t>{});
}

TEST_F(ExecutorTest, APidFileOfAnEarlierBootNamesNoProcess) {
  // A shim that recorded no status, on a machine that restarted since: its pid and start time,
  // counted from an earlier boot, may name anything now, so nothing is killed by them.
  Task task = shellTask("t1", marker, "exec sleep 30");
  start(task);
  executor = nullptr;
  pid_t shim = shimOf(taskDir("t1"));
  ASSERT_GT(shim, 0);
  std::optional<ProcessStat> self = readProcessStat(::getpid());
  ASSERT_TRUE(self.has_value());
  ASSERT_EQ(::kill(shim, SIGKILL), 0);
  waitUntilGone(shim);
  // The pid file now names this test process, as of another boot.
  std::string earlier = std::to_string(::getpid()) + " " + std::to_string(self->startTime) +
                        " 00000000-0000-0000-0000-000000000000\n";
  ASSERT_TRUE(
      writeFileAtomic(joinPath(taskDir("t1"), layout::SHIM_PID_FILE), earlier, 0600, false).ok());
  openExecutor(optionsFor(stateDir));
  ASSERT_NE(executor.get(), nullptr);
  EXPECT_EQ(executor->recovered(),
            (std::vector<RecoveredTask>{{TaskId{"t1"}, RecoveredState::LOST}}));
  ExecutorResult waited = call(task.id, ExecutorCall::WAIT);
  EXPECT_EQ(waited.message, "the machine restarted while task t1 ran");
  EXPECT_EQ(call(task.id, ExecutorCall::REMOVE).errorClass, ErrorClass::NONE);
}

TEST_F(ExecutorTest, OpenRefusesAShimThatCannotRun) {
  ProcessExecutorOptions options = optionsFor(stateDir);
  options.shimPath = "/nonexistent/swarmlet-task-shim";
  auto opened = ProcessExecutor::open(io.unixEventPort, timer, options);
  ASSERT_TRUE(opened.is<std::string>());
  EXPECT_NE(opened.get<std::string>().find("'/nonexistent/swarmlet-task-shim' cannot be executed"),
            std::string::npos)
      << opened.get<std::string>();
}

TEST_F(ExecutorTest, DescribeNamesThisMachine) {
  NodeDescription description = executor->describe();
  char hostname[256] = {};
  ASSERT_EQ(::gethostname(hostname, sizeof(hostname) - 1), 0);
  EXPECT_EQ(description.hostname, hostname);
  EXPECT_EQ(description.platform.rfind("linux/", 0), 0u) << description.platform;
  EXPECT_GE(description.cpus, 1000);
  EXPECT_GT(description.memoryBytes, 0);
}

// --- An agent crash ---------------------------------------------------------------------------

// The crash tests fork before this thread has an event loop (the child makes its own).
std::string releaseFile(const std::string& dir, const std::string& id) {
  return joinPath(dir, "release-" + id);
}
std::string waitForRelease(const std::string& dir, const std::string& id, int code) {
  return "while [ ! -e " + releaseFile(dir, id) + " ]; do sleep 0.02; done; exit " +
         std::to_string(code);
}

// In a child process: an executor that starts `tasks`, says so on `ready`, and waits to be
// killed. Never returns.
[[noreturn]] void runAgentUntilKilled(const std::string& stateDir, const std::vector<Task>& tasks,
                                      int ready) {
  auto io = kj::setupAsyncIo();
  auto opened =
      ProcessExecutor::open(io.unixEventPort, io.provider->getTimer(), optionsFor(stateDir));
  if (!opened.is<kj::Own<ProcessExecutor>>()) ::_exit(1);
  ProcessExecutor& executor = *opened.get<kj::Own<ProcessExecutor>>();
  agent::OperationId operation = 0;
  for (const Task& task : tasks) {
    for (ExecutorCall call : {ExecutorCall::RESOLVE, ExecutorCall::PREPARE, ExecutorCall::START}) {
      ExecutorResult result =
          executor.run(ExecutorOperation{task.id, ++operation, call, task}).wait(io.waitScope);
      if (result.errorClass != ErrorClass::NONE) ::_exit(2);
    }
  }
  ssize_t written = ::write(ready, "k", 1);
  (void)written;
  for (;;)
    ::pause();
}

TEST(ExecutorCrashTest, TasksOfACrashedAgentAreAdoptedWithTheirOutcomes) {
  std::string marker = uniqueMarker();
  std::string tempDir = makeTemporaryDirectory();
  std::string stateDir = joinPath(tempDir, "state");
  // running: ends after the restart; early: ended before the crash; meanwhile: ends while no
  // agent runs; long: stopped after the restart.
  std::vector<Task> tasks{shellTask("running", marker, waitForRelease(tempDir, "running", 7)),
                          shellTask("early", marker, "exit 5"),
                          shellTask("meanwhile", marker, waitForRelease(tempDir, "meanwhile", 9)),
                          shellTask("long", marker, "sleep 30 & sleep 30")};
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t agent = ::fork();
  ASSERT_GE(agent, 0);
  if (agent == 0) {
    ::close(ready[0]);
    runAgentUntilKilled(stateDir, tasks, ready[1]);
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the first agent did not start its tasks";
  ::close(ready[0]);
  ASSERT_EQ(::kill(agent, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(agent, &status, 0), agent);
  ASSERT_TRUE(WIFSIGNALED(status));

  std::string tasksDir = joinPath(stateDir, layout::TASKS_DIRECTORY);
  ASSERT_TRUE(writeFileAtomic(releaseFile(tempDir, "meanwhile"), "", 0600, false).ok());
  waitUntilGone(shimOf(joinPath(tasksDir, "meanwhile")));
  waitUntilGone(shimOf(joinPath(tasksDir, "early")));

  {
    auto io = kj::setupAsyncIo();
    auto opened =
        ProcessExecutor::open(io.unixEventPort, io.provider->getTimer(), optionsFor(stateDir));
    ASSERT_TRUE(opened.is<kj::Own<ProcessExecutor>>()) << opened.get<std::string>();
    ProcessExecutor& executor = *opened.get<kj::Own<ProcessExecutor>>();
    EXPECT_EQ(executor.recovered(),
              (std::vector<RecoveredTask>{{TaskId{"early"}, RecoveredState::EXITED},
                                          {TaskId{"long"}, RecoveredState::RUNNING},
                                          {TaskId{"meanwhile"}, RecoveredState::EXITED},
                                          {TaskId{"running"}, RecoveredState::RUNNING}}));
    agent::OperationId operation = 100;
    auto run = [&](const Task& task, ExecutorCall call) {
      return executor.run(ExecutorOperation{task.id, ++operation, call, task}).wait(io.waitScope);
    };
    // What the restored agent core does: RESOLVE, then the step its stored status asks for.
    for (const Task& task : tasks)
      ASSERT_EQ(run(task, ExecutorCall::RESOLVE).errorClass, ErrorClass::NONE);
    EXPECT_EQ(run(tasks[1], ExecutorCall::WAIT).exitCode, 5);
    EXPECT_EQ(run(tasks[2], ExecutorCall::WAIT).exitCode, 9);
    kj::Promise<ExecutorResult> waiting =
        executor.run(ExecutorOperation{tasks[0].id, ++operation, ExecutorCall::WAIT, {}});
    EXPECT_FALSE(waiting.poll(io.waitScope));
    ASSERT_TRUE(writeFileAtomic(releaseFile(tempDir, "running"), "", 0600, false).ok());
    ExecutorResult running = waiting.wait(io.waitScope);
    EXPECT_EQ(running.errorClass, ErrorClass::FATAL);
    EXPECT_EQ(running.exitCode, 7);
    EXPECT_EQ(running.message, "exited with code 7");
    // The long one is stopped cleanly, and every task removed.
    EXPECT_EQ(run(tasks[3], ExecutorCall::SHUTDOWN).errorClass, ErrorClass::NONE);
    for (const Task& task : tasks)
      EXPECT_EQ(run(task, ExecutorCall::REMOVE).errorClass, ErrorClass::NONE);
    EXPECT_EQ(markedProcesses(marker), std::vector<pid_t>{});
  }
  killTestProcesses(marker, tempDir);
  EXPECT_TRUE(removeTree(tempDir).ok());
}

TEST(ExecutorCrashTest, TasksOfACrashedAgentWhoseShimDiedTooAreStopped) {
  std::string marker = uniqueMarker();
  std::string tempDir = makeTemporaryDirectory();
  std::string stateDir = joinPath(tempDir, "state");
  std::vector<Task> tasks{shellTask("orphaned", marker, "sleep 30 & wait")};
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t agent = ::fork();
  ASSERT_GE(agent, 0);
  if (agent == 0) {
    ::close(ready[0]);
    runAgentUntilKilled(stateDir, tasks, ready[1]);
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);
  std::string dir = joinPath(joinPath(stateDir, layout::TASKS_DIRECTORY), "orphaned");
  pid_t shim = shimOf(dir);
  ASSERT_GT(shim, 0);
  for (int i = 0; i < 500 && markedProcesses(marker).size() < 2; ++i)
    ::usleep(10'000);
  // The agent and the shim die together (a machine-wide OOM kill, say); the background sleep
  // is left, reparented.
  ::kill(agent, SIGKILL);
  ::kill(shim, SIGKILL);
  ::waitpid(agent, nullptr, 0);
  for (int i = 0; i < 500 && markedProcesses(marker).size() != 1; ++i)
    ::usleep(10'000);
  ASSERT_EQ(markedProcesses(marker).size(), 1u) << "the background sleep outlived the shim";
  {
    auto io = kj::setupAsyncIo();
    auto opened =
        ProcessExecutor::open(io.unixEventPort, io.provider->getTimer(), optionsFor(stateDir));
    ASSERT_TRUE(opened.is<kj::Own<ProcessExecutor>>());
    ProcessExecutor& executor = *opened.get<kj::Own<ProcessExecutor>>();
    EXPECT_EQ(executor.recovered(),
              (std::vector<RecoveredTask>{{TaskId{"orphaned"}, RecoveredState::LOST}}));
    for (int i = 0; i < 500 && !markedProcesses(marker).empty(); ++i)
      ::usleep(10'000);
    EXPECT_EQ(markedProcesses(marker), std::vector<pid_t>{});
    ExecutorResult waited =
        executor.run(ExecutorOperation{tasks[0].id, 1, ExecutorCall::WAIT, {}}).wait(io.waitScope);
    EXPECT_EQ(waited.errorClass, ErrorClass::FATAL);
    EXPECT_NE(waited.message.find("without recording"), std::string::npos) << waited.message;
  }
  killTestProcesses(marker, tempDir);
  EXPECT_TRUE(removeTree(tempDir).ok());
}

}  // namespace
}  // namespace swarmlet::io
