// The process executor: the calls (run), the shim's life (spawn, watch, outcome), recovery of
// what an earlier agent process left, and the node's description.
#include "io/process-executor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kj/debug.h>

// glibc 2.36's <sys/pidfd.h> lacks the extern "C" of its other headers (fixed in 2.37).
extern "C" {
#include <sys/pidfd.h>
}

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <set>
#include <tuple>

#include "io/task-files.h"

namespace swarmlet::io {

using agent::ErrorClass;
using agent::ExecutorCall;
using agent::ExecutorOperation;
using agent::ExecutorResult;
namespace layout = task_layout;

namespace {

ExecutorResult success(std::optional<int32_t> exitCode = std::nullopt) {
  return ExecutorResult{ErrorClass::NONE, exitCode, {}};
}
ExecutorResult temporary(std::string message) {
  return ExecutorResult{ErrorClass::TEMPORARY, std::nullopt, std::move(message)};
}
ExecutorResult fatal(std::string message, std::optional<int32_t> exitCode = std::nullopt) {
  return ExecutorResult{ErrorClass::FATAL, exitCode, std::move(message)};
}

kj::Duration toKj(Duration duration) {
  return duration.count() * kj::NANOSECONDS;
}

// Names the executor turns into file names: no separators, no hidden or special entries.
bool isFileName(const std::string& name) {
  if (name.empty() || name.size() > FILE_NAME_LENGTH_MAX || name[0] == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

bool hasNul(const std::string& text) {
  return text.find('\0') != std::string::npos;
}

// Why the task cannot be run as given; empty when it can.
std::string invalidTask(const Task& task) {
  if (!isFileName(task.id.value)) {
    return "task id '" + task.id.value + "' cannot name a directory (letters, digits, '-', '_' " +
           "and '.', not first, at most " + std::to_string(FILE_NAME_LENGTH_MAX) + ")";
  }
  const TaskSpec& spec = task.spec;
  if (spec.command.empty()) return "task " + task.id.value + " has no command";
  size_t bytes = spec.command.size() + 1;
  if (hasNul(spec.command)) return "the command of task " + task.id.value + " holds a NUL byte";
  for (const std::string& arg : spec.args) {
    if (hasNul(arg)) return "an argument of task " + task.id.value + " holds a NUL byte";
    bytes += arg.size() + 1;
  }
  for (const auto& [key, value] : spec.env) {
    if (key.empty() || key.find('=') != std::string::npos || hasNul(key) || hasNul(value))
      return "environment variable '" + key + "' of task " + task.id.value + " is not valid";
    bytes += key.size() + value.size() + 2;
  }
  if (bytes > layout::LAUNCH_BYTES_MAX) {
    return "the command, arguments and environment of task " + task.id.value + " exceed " +
           std::to_string(layout::LAUNCH_BYTES_MAX) + " bytes";
  }
  return {};
}

std::vector<std::string> launchEnvironment(const TaskSpec& spec) {
  std::vector<std::string> env;
  if (spec.env.count("PATH") == 0) env.push_back(std::string("PATH=") + layout::DEFAULT_PATH);
  for (const auto& [key, value] : spec.env)
    env.push_back(key + "=" + value);
  return env;
}

// Why `path` cannot be executed; empty when it can.
std::string notExecutable(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return "cannot execute " + path + ": " + ::strerror(errno);
  if (S_ISDIR(info.st_mode)) return "cannot execute " + path + ": it is a directory";
  if (::access(path.c_str(), X_OK) != 0) return "cannot execute " + path + ": " + ::strerror(errno);
  return {};
}

struct ResolvedCommand {
  std::string path;
  std::string error;
};

// The file the shim executes: the command itself when it names a path (relative to the task's
// working directory `work`), else the first executable match in the task's PATH.
ResolvedCommand resolveCommand(const TaskSpec& spec, const std::string& work) {
  const std::string& command = spec.command;
  if (command.find('/') != std::string::npos) {
    std::string path = command[0] == '/' ? command : joinPath(work, command);
    return {path, notExecutable(path)};
  }
  auto it = spec.env.find("PATH");
  std::string searchPath = it != spec.env.end() ? it->second : layout::DEFAULT_PATH;
  size_t start = 0;
  while (start <= searchPath.size()) {
    size_t end = searchPath.find(':', start);
    if (end == std::string::npos) end = searchPath.size();
    std::string directory = searchPath.substr(start, end - start);
    if (!directory.empty()) {
      std::string path = joinPath(directory, command);
      if (notExecutable(path).empty()) return {path, {}};
    }
    start = end + 1;
  }
  return {{}, "cannot execute " + command + ": no such command in PATH (" + searchPath + ")"};
}

std::string signalName(int signal) {
  const char* abbreviation = ::sigabbrev_np(signal);
  return abbreviation != nullptr ? std::string("SIG") + abbreviation : "an unknown signal";
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

// The WAIT result of an exit-status file's line.
ExecutorResult parseExitStatus(const std::string& text, const std::string& path) {
  std::string line = trimmed(text);
  auto number = [&](size_t prefix) -> std::optional<int32_t> {
    std::string digits = line.substr(prefix);
    char* end = nullptr;
    long value = std::strtol(digits.c_str(), &end, 10);
    if (digits.empty() || *end != '\0' || value < 0 || value > 255) return std::nullopt;
    return static_cast<int32_t>(value);
  };
  if (line.rfind("exit ", 0) == 0) {
    if (auto code = number(5)) {
      if (*code == 0) return success(0);
      return fatal("exited with code " + std::to_string(*code), *code);
    }
  } else if (line.rfind("signal ", 0) == 0) {
    if (auto signal = number(7)) {
      return fatal("killed by signal " + std::to_string(*signal) + " (" + signalName(*signal) + ")",
                   128 + *signal);
    }
  } else if (line.rfind("failed ", 0) == 0) {
    return fatal(line.substr(7));
  }
  return fatal("the task shim left an unreadable exit status in " + path);
}

// The process is this task's shim: a session leader started as `shim TASK_DIR ...` (a pid file
// a task overwrote cannot make the executor signal another process).
bool isShimOf(const ProcessStat& process, const std::string& dir) {
  if (process.session != process.pid) return false;
  FileRead cmdline = readFile("/proc/" + std::to_string(process.pid) + "/cmdline", 64 * 1024);
  if (!cmdline.data.has_value()) return false;
  std::vector<std::string> argv = splitNul(*cmdline.data);
  return argv.size() == 3 && argv[1] == dir;
}

// Some shim holds the task's lock (only a live shim does).
bool shimLockHeld(const std::string& dir) {
  int fd = ::open(joinPath(dir, layout::SHIM_LOCK_FILE).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  bool held = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

bool pollReadable(int fd) {
  pollfd request{fd, POLLIN, 0};
  return ::poll(&request, 1, 0) > 0 && (request.revents & POLLIN) != 0;
}

}  // namespace

// --- Per-task state -----------------------------------------------------------------------------

struct ProcessExecutor::Controller {
  TaskId id;
  // Set by RESOLVE and UPDATE; absent for a task recovered from disk until its RESOLVE.
  std::optional<TaskSpec> spec;
  // A shim was started for the task (by this executor or an earlier one).
  bool launched = false;
  // The shim runs and is watched; pidfd is valid (owned by the Watch in `exited`).
  bool alive = false;
  // The shim is this process's child (to be reaped), not one adopted after a restart.
  bool child = false;
  // START has not yet read the shim's report (the outcome waits for it).
  bool reportPending = false;
  // The shim reported that another shim holds the task: its end says nothing of the task.
  bool busy = false;
  // The watched shim ended.
  bool ended = false;
  int pidfd = -1;
  pid_t shimPid = 0;
  uint64_t shimStartTime = 0;
  // WAIT's answer, once the shim ended.
  std::optional<ExecutorResult> outcome;
  // The outcome came from the shim's exit-status: it cleaned up after the task itself.
  bool statusRecorded = false;
  // Resolves when the watched shim ended (after shimEnded ran).
  kj::Maybe<kj::ForkedPromise<void>> exited;
  // START's answer, from the shim's report.
  kj::Maybe<kj::ForkedPromise<ExecutorResult>> started;

  // REQUIRES: a shim was watched (alive, or after a spawn).
  kj::Promise<void> whenExited() {
    KJ_IF_MAYBE (promise, exited) {
      return promise->addBranch();
    }
    KJ_FAIL_ASSERT("no shim watched for task", id.value);
  }
};

// A pidfd and its observer; the observer goes first.
struct ProcessExecutor::Watch {
  kj::AutoCloseFd fd;
  kj::Own<kj::UnixEventPort::FdObserver> observer;
};

// Reads the shim's report line (until end of file, at most REPORT_BYTES_MAX).
class ProcessExecutor::ReportReader {
 public:
  ReportReader(kj::UnixEventPort& eventPort, kj::AutoCloseFd fd)
      : fd_(kj::mv(fd)),
        observer_(eventPort, fd_.get(), kj::UnixEventPort::FdObserver::OBSERVE_READ) {}

  kj::Promise<std::string> read() {
    for (;;) {
      char buffer[512];
      ssize_t n = ::read(fd_.get(), buffer, sizeof(buffer));
      if (n > 0) {
        data_.append(buffer, static_cast<size_t>(n));
        if (data_.size() >= layout::REPORT_BYTES_MAX) return kj::mv(data_);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return observer_.whenBecomesReadable().then([this] { return read(); });
      return kj::mv(data_);
    }
  }

 private:
  kj::AutoCloseFd fd_;
  kj::UnixEventPort::FdObserver observer_;
  std::string data_;
};

// --- Opening and recovery -----------------------------------------------------------------------

kj::OneOf<kj::Own<ProcessExecutor>, std::string> ProcessExecutor::open(
    kj::UnixEventPort& eventPort, kj::Timer& timer, ProcessExecutorOptions options) {
  if (options.stateDir.empty())
    return std::string("no state directory given: name the agent's state directory");
  FileStatus status = makeDirectory(options.stateDir, 0700);
  if (!status.ok()) return status.error + ": check the state directory's path and permissions";
  char* real = ::realpath(options.stateDir.c_str(), nullptr);
  if (real == nullptr) return FileStatus::fromErrno("resolve", options.stateDir, errno).error;
  options.stateDir = real;
  ::free(real);
  status = makeDirectory(joinPath(options.stateDir, layout::TASKS_DIRECTORY), 0700);
  if (!status.ok()) return status.error + ": check the state directory's permissions";
  if (::access(options.shimPath.c_str(), X_OK) != 0 || options.shimPath.empty()) {
    return "the task shim '" + options.shimPath + "' cannot be executed (" + ::strerror(errno) +
           "): install swarmlet-task-shim beside swarmd or name its path";
  }
  if (bootId().empty()) {
    return std::string("cannot read /proc/sys/kernel/random/boot_id: the executor needs /proc");
  }
  int self = ::pidfd_open(::getpid(), 0);
  if (self < 0) {
    return std::string("this kernel cannot watch processes (pidfd_open: ") + ::strerror(errno) +
           "): Linux 5.3 or later is needed";
  }
  ::close(self);
  if (options.stopGrace < Duration() || options.killWait <= Duration())
    return std::string("the stop grace must not be negative and the kill wait must be positive");
  if (options.logFileBytes < layout::LOG_FILE_BYTES_MIN) {
    return "log files must be allowed at least " + std::to_string(layout::LOG_FILE_BYTES_MIN) +
           " bytes";
  }
  return kj::heap<ProcessExecutor>(Token{}, eventPort, timer, kj::mv(options));
}

ProcessExecutor::ProcessExecutor(Token, kj::UnixEventPort& eventPort, kj::Timer& timer,
                                 ProcessExecutorOptions options)
    : eventPort_(eventPort),
      timer_(timer),
      options_(kj::mv(options)),
      tasksDir_(joinPath(options_.stateDir, layout::TASKS_DIRECTORY)),
      bootId_(bootId()) {
  std::set<std::string> names;
  if (DIR* dir = ::opendir(tasksDir_.c_str())) {
    while (dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      struct stat info;
      if (isFileName(name) && ::lstat(joinPath(tasksDir_, name).c_str(), &info) == 0 &&
          S_ISDIR(info.st_mode)) {
        names.insert(name);
      }
    }
    ::closedir(dir);
  }
  for (const std::string& name : names) {
    auto controller = kj::heap<Controller>();
    controller->id = TaskId{name};
    RecoveredState state = examine(*controller);
    recovered_.push_back(RecoveredTask{controller->id, state});
    controllers_.emplace(controller->id, kj::mv(controller));
  }
}

ProcessExecutor::~ProcessExecutor() noexcept(false) {}

std::string ProcessExecutor::taskDir(const TaskId& id) const {
  return joinPath(tasksDir_, id.value);
}

// Reads what the task's directory says of its shim: none, a live one (watched from now on),
// or one that ended (its outcome recorded, or lost).
RecoveredState ProcessExecutor::examine(Controller& controller) {
  std::string dir = taskDir(controller.id);
  FileRead pidFile = readFile(joinPath(dir, layout::SHIM_PID_FILE), layout::SMALL_FILE_BYTES_MAX);
  if (pidFile.missing) {
    controller.launched = false;
    return RecoveredState::NOT_STARTED;
  }
  controller.launched = true;
  long long pid = 0;
  unsigned long long startTime = 0;
  char boot[64] = {};
  bool readable =
      pidFile.data.has_value() &&
      std::sscanf(pidFile.data->c_str(), "%lld %llu %63s", &pid, &startTime, boot) == 3 && pid > 0;
  bool thisBoot = readable && boot == bootId_;
  if (thisBoot && adoptShim(controller, static_cast<pid_t>(pid), startTime))
    return RecoveredState::RUNNING;
  // The pid file names no live shim of this task. A shim that holds the task's lock all the
  // same (its pid file was damaged) is looked for among the session leaders.
  if (shimLockHeld(dir)) {
    for (const ProcessStat& process : listProcesses()) {
      if (process.session == process.pid && isShimOf(process, dir) &&
          adoptShim(controller, process.pid, process.startTime)) {
        return RecoveredState::RUNNING;
      }
    }
  }
  if (!readable) {
    controller.outcome = fatal("the task's shim pid file in " + dir + " is unreadable");
    return RecoveredState::LOST;
  }
  if (!thisBoot) {
    // Nothing of the task survived the reboot; its pid and start time name nothing now.
    if (settleOutcome(controller)) return RecoveredState::EXITED;
    controller.outcome = fatal("the machine restarted while task " + controller.id.value + " ran");
    return RecoveredState::LOST;
  }
  controller.shimPid = static_cast<pid_t>(pid);
  controller.shimStartTime = startTime;
  std::optional<ProcessStat> named = readProcessStat(controller.shimPid);
  if (named.has_value() && named->startTime == startTime && named->state != 'Z') {
    // A live process that is not the shim: the file lies, and that process's session is not
    // the task's to clean up.
    controller.shimPid = 0;
  }
  return settleOutcome(controller) ? RecoveredState::EXITED : RecoveredState::LOST;
}

// Watches process `pid` as the task's shim if it is one: alive (not a zombie), started at
// `startTime`, a session leader started for this task's directory.
bool ProcessExecutor::adoptShim(Controller& controller, pid_t pid, uint64_t startTime) {
  int pidfd = ::pidfd_open(pid, 0);
  if (pidfd < 0) return false;
  // Checked after opening: the pidfd names the process the start time belongs to.
  std::optional<ProcessStat> stat = readProcessStat(pid);
  if (!stat.has_value() || stat->startTime != startTime || stat->state == 'Z' ||
      !isShimOf(*stat, taskDir(controller.id))) {
    ::close(pidfd);
    return false;
  }
  controller.shimPid = pid;
  controller.shimStartTime = startTime;
  watch(controller, pidfd, /*child=*/false);
  return true;
}

// --- The shim's life ----------------------------------------------------------------------------

void ProcessExecutor::watch(Controller& controller, int pidfd, bool child) {
  auto watch = kj::heap<Watch>();
  watch->fd = kj::AutoCloseFd(pidfd);
  watch->observer = kj::heap<kj::UnixEventPort::FdObserver>(
      eventPort_, pidfd, kj::UnixEventPort::FdObserver::OBSERVE_READ);
  kj::Promise<void> readable = watch->observer->whenBecomesReadable();
  // An already ended process may have made its one transition before the observer existed.
  if (pollReadable(pidfd)) readable = kj::READY_NOW;
  controller.alive = true;
  controller.child = child;
  controller.ended = false;
  controller.busy = false;
  controller.pidfd = pidfd;
  controller.exited =
      readable.then([this, &controller] { shimEnded(controller); }).attach(kj::mv(watch)).fork();
}

void ProcessExecutor::shimEnded(Controller& controller) {
  controller.alive = false;
  controller.ended = true;
  controller.pidfd = -1;
  if (controller.child) {
    int status = 0;
    // ECHILD when someone else reaped it (a SIGCHLD handler of the process): fine.
    ::waitpid(controller.shimPid, &status, WNOHANG);
  }
  if (!controller.reportPending && !controller.busy) settleOutcome(controller);
}

// The outcome of an ended shim: its exit-status file (true), or lost (false; the task's
// leftovers are killed).
bool ProcessExecutor::settleOutcome(Controller& controller) {
  std::string path = joinPath(taskDir(controller.id), layout::EXIT_STATUS_FILE);
  FileRead status = readFile(path, layout::SMALL_FILE_BYTES_MAX);
  controller.statusRecorded = status.data.has_value();
  if (status.data.has_value()) {
    controller.outcome = parseExitStatus(*status.data, path);
    return true;
  }
  killLeftovers(controller);
  controller.outcome = fatal("the task's shim (pid " + std::to_string(controller.shimPid) +
                             ") ended without recording the task's exit status" +
                             (status.error.empty() ? "" : " (" + status.error + ")") +
                             "; what was left of the task was killed (see " +
                             joinPath(taskDir(controller.id), layout::SHIM_LOG_FILE) + ")");
  return false;
}

// A safety net once the shim is gone: every process of the shim's session that started after
// it (what a shim killed from outside leaves), SIGKILLed.
void ProcessExecutor::killLeftovers(Controller& controller) {
  if (controller.shimPid <= 0 || controller.alive) return;
  for (const ProcessStat& process : listProcesses()) {
    if (process.session == controller.shimPid && process.startTime >= controller.shimStartTime &&
        process.state != 'Z') {
      ::kill(process.pid, SIGKILL);
    }
  }
}

bool ProcessExecutor::signalShim(Controller& controller, int signal) {
  if (!controller.alive) return false;
  return ::pidfd_send_signal(controller.pidfd, signal, nullptr, 0) == 0 || errno == ESRCH;
}

// Success once the watched shim ended; TEMPORARY `lateMessage` if it takes longer than `limit`.
kj::Promise<ExecutorResult> ProcessExecutor::waitExited(Controller& controller, Duration limit,
                                                        std::string lateMessage) {
  if (!controller.alive) return success();
  return controller.whenExited()
      .then([] { return success(); })
      .exclusiveJoin(timer_.afterDelay(toKj(limit)).then([lateMessage = kj::mv(lateMessage)] {
        return temporary(lateMessage);
      }));
}

// --- The calls ----------------------------------------------------------------------------------

kj::Promise<ExecutorResult> ProcessExecutor::run(const ExecutorOperation& operation) {
  return kj::evalNow([&]() -> kj::Promise<ExecutorResult> {
           switch (operation.call) {
             case ExecutorCall::RESOLVE:
               return resolve(operation);
             case ExecutorCall::UPDATE:
               return update(operation);
             case ExecutorCall::REMOVE:
               return remove(operation.taskId);
             default:
               break;
           }
           auto it = controllers_.find(operation.taskId);
           if (it == controllers_.end()) {
             // Nothing of a task without a controller exists on this node.
             if (operation.call == ExecutorCall::SHUTDOWN) return success();
             return fatal("task " + operation.taskId.value + " has no controller (RESOLVE first)");
           }
           Controller& controller = *it->second;
           switch (operation.call) {
             case ExecutorCall::PREPARE:
               return prepare(controller);
             case ExecutorCall::START:
               return start(controller);
             case ExecutorCall::WAIT:
               return wait(controller);
             case ExecutorCall::SHUTDOWN:
               return shutdown(controller);
             default:
               KJ_UNREACHABLE;
           }
         })
      .catch_([](kj::Exception&& exception) {
        return temporary("executor error: " + std::string(exception.getDescription().cStr()));
      });
}

ExecutorResult ProcessExecutor::resolve(const ExecutorOperation& operation) {
  if (!operation.task.has_value()) return fatal("RESOLVE without its task");
  const Task& task = *operation.task;
  std::string invalid = invalidTask(task);
  if (!invalid.empty()) return fatal(invalid);
  auto it = controllers_.find(task.id);
  if (it == controllers_.end()) {
    if (controllers_.size() >= EXECUTOR_TASKS_MAX) {
      return fatal("the executor already holds " + std::to_string(EXECUTOR_TASKS_MAX) +
                   " tasks, its bound");
    }
    auto controller = kj::heap<Controller>();
    controller->id = task.id;
    it = controllers_.emplace(task.id, kj::mv(controller)).first;
  }
  it->second->spec = task.spec;
  return success();
}

ExecutorResult ProcessExecutor::update(const ExecutorOperation& operation) {
  if (!operation.task.has_value()) return fatal("UPDATE without its task");
  auto it = controllers_.find(operation.taskId);
  if (it == controllers_.end())
    return fatal("task " + operation.taskId.value + " has no controller (RESOLVE first)");
  std::string invalid = invalidTask(*operation.task);
  if (!invalid.empty()) return fatal(invalid);
  // A running process keeps its command; the new spec serves a START still to come.
  it->second->spec = operation.task->spec;
  return success();
}

ExecutorResult ProcessExecutor::prepare(Controller& controller) {
  if (controller.launched) return success();
  if (!controller.spec.has_value())
    return fatal("task " + controller.id.value + " was not resolved");
  std::string dir = taskDir(controller.id);
  std::string work = joinPath(dir, layout::WORK_DIRECTORY);
  FileStatus status = makeDirectory(dir, 0700);
  if (status.ok()) status = makeDirectory(work, 0700);
  if (!status.ok()) return temporary(status.error);
  struct Item {
    std::string name;
    std::string data;
  };
  std::vector<Item> secrets, configs;
  for (const SecretId& id : controller.spec->secrets) {
    auto it = secrets_.find(id);
    if (it == secrets_.end()) return temporary("secret " + id.value + " is not installed");
    secrets.push_back({it->second.name, it->second.data});
  }
  for (const ConfigId& id : controller.spec->configs) {
    auto it = configs_.find(id);
    if (it == configs_.end()) return temporary("config " + id.value + " is not installed");
    configs.push_back({it->second.name, it->second.data});
  }
  for (auto [kind, directory, items] :
       {std::tuple{"secret", layout::SECRETS_DIRECTORY, &secrets},
        std::tuple{"config", layout::CONFIGS_DIRECTORY, &configs}}) {
    std::string path = joinPath(work, directory);
    status = removeTree(path);
    if (status.ok()) status = makeDirectory(path, 0700);
    if (!status.ok()) return temporary(status.error);
    std::set<std::string> seen;
    for (const Item& item : *items) {
      if (!isFileName(item.name))
        return fatal(std::string(kind) + " name '" + item.name + "' cannot be a file name");
      if (!seen.insert(item.name).second)
        return fatal("task " + controller.id.value + " names two " + kind + "s '" + item.name +
                     "'");
      // Readable by the agent's user only, as every task of this executor runs as that user.
      status = writeFileAtomic(joinPath(path, item.name), item.data, 0400, /*durable=*/false);
      if (!status.ok()) return temporary(status.error);
    }
  }
  return success();
}

kj::Promise<ExecutorResult> ProcessExecutor::start(Controller& controller) {
  if (controller.alive && !controller.launched) {
    return temporary("task " + controller.id.value + " waits for a shim of an earlier agent");
  }
  if (!controller.launched) {
    controller.started = nullptr;
    examine(controller);
  }
  if (controller.launched) {
    // Started already (this START was retried, or an earlier agent started it): WAIT says how
    // it went.
    KJ_IF_MAYBE (started, controller.started) {
      return started->addBranch();
    }
    return success();
  }
  if (!controller.spec.has_value())
    return fatal("task " + controller.id.value + " was not resolved");
  std::string dir = taskDir(controller.id);
  std::string work = joinPath(dir, layout::WORK_DIRECTORY);
  FileStatus status = makeDirectory(dir, 0700);
  if (status.ok()) status = makeDirectory(work, 0700);
  if (!status.ok()) return temporary(status.error);
  ResolvedCommand command = resolveCommand(*controller.spec, work);
  if (!command.error.empty()) return fatal(command.error);
  std::vector<std::string> argv{controller.spec->command};
  argv.insert(argv.end(), controller.spec->args.begin(), controller.spec->args.end());
  for (auto [name, data] :
       {std::pair{layout::EXEC_PATH_FILE, command.path},
        std::pair{layout::ARGV_FILE, joinNul(argv)},
        std::pair{layout::ENV_FILE, joinNul(launchEnvironment(*controller.spec))}}) {
    status = writeFileAtomic(joinPath(dir, name), data, 0600, /*durable=*/false);
    if (!status.ok()) return temporary(status.error);
  }
  return spawnShim(controller, dir);
}

kj::Promise<ExecutorResult> ProcessExecutor::spawnShim(Controller& controller,
                                                       const std::string& dir) {
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0)
    return temporary("cannot make a pipe for the task shim: " + std::string(::strerror(errno)));
  ::fcntl(report[0], F_SETFL, O_NONBLOCK);
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_t actions;
  ::posix_spawnattr_init(&attributes);
  ::posix_spawn_file_actions_init(&actions);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  ::posix_spawnattr_setflags(&attributes,
                             POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  ::posix_spawnattr_setsigmask(&attributes, &none);
  ::posix_spawnattr_setsigdefault(&attributes, &all);
  std::string shimLog = joinPath(dir, layout::SHIM_LOG_FILE);
  ::posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, shimLog.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
  ::posix_spawn_file_actions_adddup2(&actions, report[1], layout::REPORT_FD);
  ::posix_spawn_file_actions_addclosefrom_np(&actions, layout::REPORT_FD + 1);
  std::string logBytes = std::to_string(options_.logFileBytes);
  std::vector<std::string> args{options_.shimPath, dir, logBytes};
  std::vector<char*> argv;
  for (std::string& arg : args)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  char* env[] = {nullptr};
  pid_t pid = 0;
  int error =
      ::posix_spawn(&pid, options_.shimPath.c_str(), &actions, &attributes, argv.data(), env);
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attributes);
  ::close(report[1]);
  kj::AutoCloseFd reportFd(report[0]);
  if (error != 0) {
    return temporary("cannot start the task shim " + options_.shimPath + ": " + ::strerror(error));
  }
  // Our child, not reaped yet: its pid cannot have been reused.
  int pidfd = ::pidfd_open(pid, 0);
  if (pidfd < 0) {
    int pidfdError = errno;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return temporary("cannot watch the task shim: pidfd_open: " +
                     std::string(::strerror(pidfdError)));
  }
  controller.launched = true;
  controller.shimPid = pid;
  std::optional<ProcessStat> stat = readProcessStat(pid);
  controller.shimStartTime = stat.has_value() ? stat->startTime : 0;
  controller.outcome.reset();
  watch(controller, pidfd, /*child=*/true);
  controller.reportPending = true;
  auto reader = kj::heap<ReportReader>(eventPort_, kj::mv(reportFd));
  kj::Promise<std::string> line = reader->read();
  auto reported = line.attach(kj::mv(reader)).then([this, &controller](std::string report) {
    return readReport(controller, report);
  });
  auto silent = timer_.afterDelay(toKj(START_REPORT_TIMEOUT)).then([this, &controller] {
    signalShim(controller, layout::KILL_SIGNAL);
    return readReport(controller, "");
  });
  kj::ForkedPromise<ExecutorResult> started = reported.exclusiveJoin(kj::mv(silent)).fork();
  kj::Promise<ExecutorResult> answer = started.addBranch();
  controller.started = kj::mv(started);
  return answer;
}

// START's result from the shim's report line ("" when it said nothing).
ExecutorResult ProcessExecutor::readReport(Controller& controller, const std::string& report) {
  controller.reportPending = false;
  std::string line = trimmed(report);
  if (line == "busy") {
    // Another shim (of an agent that crashed while starting this task) holds the task; the
    // next START takes it up from its pid file.
    controller.busy = true;
    controller.launched = false;
    return temporary("another task shim holds task " + controller.id.value + "; START is retried");
  }
  if (controller.ended) settleOutcome(controller);
  if (line.rfind("started ", 0) == 0) return success();
  if (line.rfind("failed ", 0) == 0) return fatal(line.substr(7));
  return fatal("the task shim stopped before starting the task" +
               (line.empty() ? std::string() : " (it said '" + line + "')") + ": see " +
               joinPath(taskDir(controller.id), layout::SHIM_LOG_FILE));
}

kj::Promise<ExecutorResult> ProcessExecutor::wait(Controller& controller) {
  auto answer = [&controller]() {
    if (controller.outcome.has_value()) return *controller.outcome;
    if (!controller.launched) return fatal("task " + controller.id.value + " was never started");
    return temporary("the outcome of task " + controller.id.value + " is not known yet");
  };
  if (controller.alive) {
    return controller.whenExited().then(kj::mv(answer));
  }
  return answer();
}

kj::Promise<ExecutorResult> ProcessExecutor::shutdown(Controller& controller) {
  if (!controller.alive) return success();
  signalShim(controller, layout::STOP_SIGNAL);
  std::string late = "task " + controller.id.value + " still runs " +
                     formatDuration(options_.killWait) + " after SIGKILL";
  auto forced = timer_.afterDelay(toKj(options_.stopGrace))
                    .then([this, &controller, late = kj::mv(late)]() mutable {
                      signalShim(controller, layout::KILL_SIGNAL);
                      return waitExited(controller, options_.killWait, kj::mv(late));
                    });
  return controller.whenExited().then([] { return success(); }).exclusiveJoin(kj::mv(forced));
}

kj::Promise<ExecutorResult> ProcessExecutor::remove(const TaskId& id) {
  auto it = controllers_.find(id);
  if (it == controllers_.end()) {
    if (!isFileName(id.value)) return success();
    struct stat info;
    if (::lstat(taskDir(id).c_str(), &info) != 0) return success();
    auto controller = kj::heap<Controller>();
    controller->id = id;
    examine(*controller);
    it = controllers_.emplace(id, kj::mv(controller)).first;
  }
  Controller& controller = *it->second;
  if (!controller.alive) return finishRemove(id);
  signalShim(controller, layout::KILL_SIGNAL);
  std::string late =
      "task " + id.value + " still runs " + formatDuration(options_.killWait) + " after SIGKILL";
  return waitExited(controller, options_.killWait, kj::mv(late))
      .then([this, id](ExecutorResult result) -> kj::Promise<ExecutorResult> {
        if (result.errorClass != ErrorClass::NONE) return result;
        return finishRemove(id);
      });
}

kj::Promise<ExecutorResult> ProcessExecutor::finishRemove(const TaskId& id) {
  auto it = controllers_.find(id);
  if (it == controllers_.end()) return success();
  // A shim that recorded a status left nothing of the task; otherwise look (cheap: rare).
  if (it->second->launched && !it->second->statusRecorded) killLeftovers(*it->second);
  FileStatus status = removeTree(taskDir(id));
  if (!status.ok()) return temporary(status.error);
  controllers_.erase(it);
  return success();
}

// --- Dependencies and the node ------------------------------------------------------------------

void ProcessExecutor::updateDependencies(const agent::UpdateDependencies& update) {
  for (const SecretId& id : update.secretsRemoved)
    secrets_.erase(id);
  for (const ConfigId& id : update.configsRemoved)
    configs_.erase(id);
  for (const Secret& secret : update.secretsAdded)
    secrets_[secret.id] = secret;
  for (const Config& config : update.configsAdded)
    configs_[config.id] = config;
  KJ_REQUIRE(secrets_.size() <= limits::SECRETS_MAX, secrets_.size());
  KJ_REQUIRE(configs_.size() <= limits::CONFIGS_MAX, configs_.size());
}

NodeDescription ProcessExecutor::describe() const {
  NodeDescription description;
  char hostname[256] = {};
  if (::gethostname(hostname, sizeof(hostname) - 1) == 0) description.hostname = hostname;
  if (description.hostname.size() > limits::HOSTNAME_LENGTH_MAX)
    description.hostname.resize(limits::HOSTNAME_LENGTH_MAX);
  utsname names;
  if (::uname(&names) == 0) {
    std::string system = names.sysname;
    std::transform(system.begin(), system.end(), system.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    description.platform = system + "/" + names.machine;
  }
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  int64_t count = ::sched_getaffinity(0, sizeof(cpus), &cpus) == 0
                      ? CPU_COUNT(&cpus)
                      : static_cast<int64_t>(::sysconf(_SC_NPROCESSORS_ONLN));
  description.cpus = count * 1000;
  description.memoryBytes = static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) *
                            static_cast<int64_t>(::sysconf(_SC_PAGE_SIZE));
  return description;
}

}  // namespace swarmlet::io
