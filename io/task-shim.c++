// swarmlet-task-shim: the parent of one task's process, started by the process executor
// (io/process-executor.h) as `swarmlet-task-shim TASK_DIR LOG_FILE_BYTES` with the report pipe on
// descriptor 3. It is its own session and outlives the agent, so a task keeps running, keeps
// its logs and keeps its exit status across an agent crash. It
//   - holds the task's lock (one shim per task), records its pid and start time in shim.pid;
//   - starts the task in its own process group, stdin from /dev/null, stdout and stderr through
//     pipes into stdout.log and stderr.log (rotated past LOG_FILE_BYTES), in work/;
//   - passes STOP_SIGNAL on to the task's group, turns KILL_SIGNAL into SIGKILL for it;
//   - when the task's main process ends, kills everything the task left (its group and every
//     descendant: the shim is a child subreaper), then writes exit-status and exits.
// The layout and signals are in io/task-layout.h. Single-threaded.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "io/task-files.h"
#include "io/task-layout.h"

namespace swarmlet::io {
namespace {

namespace layout = task_layout;

// One line on the shim's stderr (shim.log).
void complain(const std::string& line) {
  std::string text = "swarmlet-task-shim[" + std::to_string(::getpid()) + "]: " + line + "\n";
  ssize_t ignored = ::write(STDERR_FILENO, text.data(), text.size());
  (void)ignored;
}

// The one report line to the executor; a gone executor (EPIPE) is fine.
void report(const std::string& line) {
  std::string text = line + "\n";
  ssize_t ignored = ::write(layout::REPORT_FD, text.data(), text.size());
  (void)ignored;
  ::close(layout::REPORT_FD);
}

struct Launch {
  std::string path;
  std::vector<std::string> argv;
  std::vector<std::string> env;
};

std::optional<Launch> readLaunch(const std::string& dir, std::string& error) {
  Launch launch;
  FileRead path = readFile(joinPath(dir, layout::EXEC_PATH_FILE), layout::LAUNCH_BYTES_MAX);
  FileRead argv = readFile(joinPath(dir, layout::ARGV_FILE), layout::LAUNCH_BYTES_MAX);
  FileRead env = readFile(joinPath(dir, layout::ENV_FILE), layout::LAUNCH_BYTES_MAX);
  for (const FileRead* read : {&path, &argv, &env}) {
    if (!read->data.has_value()) {
      error = read->missing ? "the task's launch files are missing in " + dir : read->error;
      return std::nullopt;
    }
  }
  launch.path = *path.data;
  launch.argv = splitNul(*argv.data);
  launch.env = splitNul(*env.data);
  if (launch.path.empty() || launch.argv.empty()) {
    error = "the task's launch files in " + dir + " name no command";
    return std::nullopt;
  }
  return launch;
}

std::vector<char*> pointers(std::vector<std::string>& items) {
  std::vector<char*> out;
  for (std::string& item : items)
    out.push_back(item.data());
  out.push_back(nullptr);
  return out;
}

// An append-only log file, rotated to "<path>.1" before it would pass its bound.
class LogFile {
 public:
  LogFile(std::string path, uint64_t bytesMax) : path_(std::move(path)), bytesMax_(bytesMax) {}
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  ~LogFile() {
    if (fd_ >= 0) ::close(fd_);
  }

  FileStatus open() {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd_ < 0) return FileStatus::fromErrno("open", path_, errno);
    struct stat info;
    size_ = ::fstat(fd_, &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
    return FileStatus::success();
  }

  // Fills each file to exactly its bound before rotating (lines may be split across files).
  void write(const char* data, size_t size) {
    while (size > 0) {
      if (size_ >= bytesMax_) rotate();
      if (fd_ < 0) return;
      size_t room = static_cast<size_t>(std::min<uint64_t>(bytesMax_ - size_, size));
      ssize_t n = ::write(fd_, data, room);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        complain(FileStatus::fromErrno("write", path_, errno).error + "; output dropped");
        return;
      }
      data += n;
      size -= static_cast<size_t>(n);
      size_ += static_cast<uint64_t>(n);
    }
  }

 private:
  void rotate() {
    std::string previous = path_ + ".1";
    if (::rename(path_.c_str(), previous.c_str()) != 0)
      complain(FileStatus::fromErrno("rotate", path_, errno).error);
    ::close(fd_);
    fd_ = -1;
    size_ = 0;
    FileStatus status = open();
    if (!status.ok()) complain(status.error + "; output dropped");
  }

  std::string path_;
  uint64_t bytesMax_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// One of the task's output pipes and the log it feeds.
struct OutputPipe {
  int fd = -1;
  LogFile* log = nullptr;
  size_t chunkBytes = 0;

  // Copies what the pipe holds; false once it reached its end (then it is closed).
  bool pump() {
    std::vector<char> buffer(chunkBytes);
    for (;;) {
      ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
      if (n <= 0) {
        ::close(fd);
        fd = -1;
        return false;
      }
      log->write(buffer.data(), static_cast<size_t>(n));
    }
  }
};

// In the forked child: become the task. Never returns.
[[noreturn]] void becomeTask(Launch& launch, const std::string& dir, pid_t shim, int devNull,
                             int out, int err, int execError) {
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal != SIGKILL && signal != SIGSTOP) ::signal(signal, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::setpgid(0, 0);
  // The task does not outlive its shim (a shim killed from outside takes the task along).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != shim) ::_exit(127);
  ::dup2(devNull, STDIN_FILENO);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(err, STDERR_FILENO);
  int code = ::chdir(joinPath(dir, layout::WORK_DIRECTORY).c_str());
  if (code == 0) {
    std::vector<char*> argv = pointers(launch.argv);
    std::vector<char*> env = pointers(launch.env);
    ::execve(launch.path.c_str(), argv.data(), env.data());
  }
  int error = errno;
  ssize_t ignored = ::write(execError, &error, sizeof(error));
  (void)ignored;
  ::_exit(127);
}

bool setNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

class Shim {
 public:
  Shim(std::string dir, uint64_t logBytesMax)
      : dir_(std::move(dir)),
        stdout_(joinPath(dir_, layout::STDOUT_LOG_FILE), logBytesMax),
        stderr_(joinPath(dir_, layout::STDERR_LOG_FILE), logBytesMax),
        chunkBytes_(static_cast<size_t>(std::min<uint64_t>(logBytesMax, 64 * 1024))) {}

  int run();

 private:
  bool setUp(int& signals);
  bool startTask(int signals);
  void superviseUntilExit(int signals);
  void handleSignals(int signals);
  void cleanUp();
  void writeExitStatus(const std::string& line);

  std::string dir_;
  LogFile stdout_;
  LogFile stderr_;
  size_t chunkBytes_;
  pid_t task_ = 0;
  OutputPipe pipes_[2];
  siginfo_t exit_{};
};

int Shim::run() {
  int signals = -1;
  if (!setUp(signals)) return 1;
  if (!startTask(signals)) return 0;
  superviseUntilExit(signals);
  cleanUp();
  if (exit_.si_code == CLD_EXITED) {
    writeExitStatus("exit " + std::to_string(exit_.si_status));
  } else {
    writeExitStatus("signal " + std::to_string(exit_.si_status));
  }
  return 0;
}

// Signals, lock, pid file, logs. False (after a report) when the task cannot be started.
bool Shim::setUp(int& signals) {
  if (::fcntl(layout::REPORT_FD, F_SETFD, FD_CLOEXEC) != 0) {
    complain("no report pipe on descriptor 3: this program is started by swarmd");
    return false;
  }
  sigset_t all;
  sigfillset(&all);
  ::sigprocmask(SIG_BLOCK, &all, nullptr);
  sigset_t handled;
  sigemptyset(&handled);
  for (int signal : {SIGCHLD, layout::STOP_SIGNAL, layout::KILL_SIGNAL})
    sigaddset(&handled, signal);
  signals = ::signalfd(-1, &handled, SFD_CLOEXEC | SFD_NONBLOCK);
  if (signals < 0 || ::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    report("failed the task shim cannot watch its children: " + std::string(::strerror(errno)));
    return false;
  }
  std::string lockPath = joinPath(dir_, layout::SHIM_LOCK_FILE);
  int lock = ::open(lockPath.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (lock < 0) {
    report("failed " + FileStatus::fromErrno("open", lockPath, errno).error);
    return false;
  }
  if (::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    report(errno == EWOULDBLOCK ? "busy"
                                : "failed " + FileStatus::fromErrno("lock", lockPath, errno).error);
    return false;
  }
  // The lock descriptor stays open (and locked) until the shim exits.
  std::optional<ProcessStat> self = readProcessStat(::getpid());
  if (!self.has_value()) {
    report("failed the task shim cannot read /proc/self/stat");
    return false;
  }
  std::string boot = bootId();
  if (boot.empty() || boot.find(' ') != std::string::npos) {
    report("failed the task shim cannot read the machine's boot id");
    return false;
  }
  std::string pidLine =
      std::to_string(self->pid) + " " + std::to_string(self->startTime) + " " + boot + "\n";
  // Not synced: it must outlive the agent, not the machine (no process outlives a reboot, and
  // the boot id tells a file of an earlier boot).
  FileStatus status =
      writeFileAtomic(joinPath(dir_, layout::SHIM_PID_FILE), pidLine, 0600, /*durable=*/false);
  if (status.ok()) status = stdout_.open();
  if (status.ok()) status = stderr_.open();
  if (!status.ok()) {
    writeExitStatus("failed " + status.error);
    report("failed " + status.error);
    return false;
  }
  return true;
}

// Forks and execs the task; reports the outcome. False when the task did not start.
bool Shim::startTask(int signals) {
  std::string error;
  std::optional<Launch> launch = readLaunch(dir_, error);
  int out[2], err[2], execError[2];
  int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (launch.has_value() && (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0 ||
                             ::pipe2(execError, O_CLOEXEC) != 0 || devNull < 0)) {
    error = "the task shim cannot make pipes: " + std::string(::strerror(errno));
    launch.reset();
  }
  if (!launch.has_value()) {
    writeExitStatus("failed " + error);
    report("failed " + error);
    return false;
  }
  pid_t shim = ::getpid();
  pid_t child = ::fork();
  if (child == 0) {
    ::close(signals);
    becomeTask(*launch, dir_, shim, devNull, out[1], err[1], execError[1]);
  }
  if (child < 0) {
    error = "the task shim cannot fork: " + std::string(::strerror(errno));
    writeExitStatus("failed " + error);
    report("failed " + error);
    return false;
  }
  // Also here, so that a stop signal right after the report reaches the group.
  ::setpgid(child, child);
  ::close(out[1]);
  ::close(err[1]);
  ::close(execError[1]);
  ::close(devNull);
  int execErrno = 0;
  ssize_t n;
  do {
    n = ::read(execError[0], &execErrno, sizeof(execErrno));
  } while (n < 0 && errno == EINTR);
  ::close(execError[0]);
  if (n == static_cast<ssize_t>(sizeof(execErrno))) {
    ::waitpid(child, nullptr, 0);
    error = "cannot execute " + launch->path + ": " + ::strerror(execErrno);
    writeExitStatus("failed " + error);
    report("failed " + error);
    return false;
  }
  task_ = child;
  pipes_[0] = OutputPipe{out[0], &stdout_, chunkBytes_};
  pipes_[1] = OutputPipe{err[0], &stderr_, chunkBytes_};
  setNonBlocking(out[0]);
  setNonBlocking(err[0]);
  report("started " + std::to_string(child));
  return true;
}

// Pumps output and passes signals on until the task's main process ended (not yet reaped, so
// its pid, and with it the group's id, cannot be reused while the shim works).
void Shim::superviseUntilExit(int signals) {
  for (;;) {
    // Orphans the subreaper inherited are reaped as they end; the task itself is only seen.
    for (;;) {
      siginfo_t info{};
      if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) break;
      if (info.si_pid == task_) {
        exit_ = info;
        return;
      }
      ::waitpid(info.si_pid, nullptr, 0);
    }
    pollfd fds[3] = {{signals, POLLIN, 0}, {pipes_[0].fd, POLLIN, 0}, {pipes_[1].fd, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0 && errno != EINTR) {
      complain("poll failed: " + std::string(::strerror(errno)));
      ::sleep(1);
    }
    for (OutputPipe& pipe : pipes_) {
      if (pipe.fd >= 0) pipe.pump();
    }
    handleSignals(signals);
  }
}

void Shim::handleSignals(int signals) {
  signalfd_siginfo info;
  while (::read(signals, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
    if (static_cast<int>(info.ssi_signo) == layout::STOP_SIGNAL) {
      ::kill(-task_, layout::STOP_SIGNAL);
    } else if (static_cast<int>(info.ssi_signo) == layout::KILL_SIGNAL) {
      ::kill(-task_, SIGKILL);
    }
  }
}

// Kills what the task left: its process group, and every descendant, which the subreaper
// inherits as their parents die. Then reaps the task's main process.
void Shim::cleanUp() {
  pid_t self = ::getpid();
  for (int round = 0;; ++round) {
    ::kill(-task_, SIGKILL);
    std::vector<pid_t> children;
    bool groupAlive = false;
    for (const ProcessStat& process : listProcesses()) {
      if (process.pid == task_) continue;
      if (process.parent == self) children.push_back(process.pid);
      if (process.processGroup == task_ && process.state != 'Z') groupAlive = true;
    }
    for (OutputPipe& pipe : pipes_) {
      if (pipe.fd >= 0) pipe.pump();
    }
    if (children.empty() && !groupAlive) break;
    if (round == layout::CLEANUP_ROUNDS_MAX) {
      complain("the task keeps making processes; " + std::to_string(children.size()) +
               " left after " + std::to_string(round) + " rounds of SIGKILL");
      break;
    }
    for (pid_t child : children)
      ::kill(child, SIGKILL);
    for (pid_t child : children)
      ::waitpid(child, nullptr, 0);
    if (children.empty()) {
      timespec pause{0, 1'000'000};
      ::nanosleep(&pause, nullptr);
    }
  }
  for (OutputPipe& pipe : pipes_) {
    if (pipe.fd >= 0) {
      pipe.pump();
      if (pipe.fd >= 0) ::close(pipe.fd);
      pipe.fd = -1;
    }
  }
  ::waitpid(task_, nullptr, 0);
}

void Shim::writeExitStatus(const std::string& line) {
  FileStatus status =
      writeFileAtomic(joinPath(dir_, layout::EXIT_STATUS_FILE), line + "\n", 0600, true);
  if (!status.ok()) complain(status.error);
}

}  // namespace
}  // namespace swarmlet::io

int main(int argc, char** argv) {
  using namespace swarmlet::io;
  char* end = nullptr;
  uint64_t logBytes = argc == 3 ? std::strtoull(argv[2], &end, 10) : 0;
  if (argc != 3 || argv[1][0] != '/' || end == argv[2] || *end != '\0' ||
      logBytes < task_layout::LOG_FILE_BYTES_MIN) {
    complain("usage: swarmlet-task-shim TASK_DIR LOG_FILE_BYTES (an absolute directory, at least " +
             std::to_string(task_layout::LOG_FILE_BYTES_MIN) +
             " bytes); it is started by swarmd's executor, not by hand");
    return 2;
  }
  Shim shim(argv[1], logBytes);
  return shim.run();
}
