#include "tests/node/e2e/process.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace swarmlet::e2e {
namespace {

constexpr Milliseconds POLL_INTERVAL{10};
constexpr size_t OUTPUT_SHOWN_MAX = 4000;

std::string readFileOr(const std::string& path, const std::string& otherwise) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return otherwise;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> splitNul(const std::string& data) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < data.size()) {
    size_t end = data.find('\0', start);
    if (end == std::string::npos) end = data.size();
    parts.push_back(data.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

int statusOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// A zombie has a command line of its own no longer; its state letter follows the name.
bool isZombie(const std::string& pid) {
  std::string stat = readFileOr("/proc/" + pid + "/stat", "");
  size_t close = stat.rfind(')');
  return close == std::string::npos || stat.size() <= close + 2 || stat[close + 2] == 'Z';
}

// Every live process with its argv, this process excluded.
std::vector<std::pair<pid_t, std::vector<std::string>>> liveProcesses() {
  std::vector<std::pair<pid_t, std::vector<std::string>>> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr)
    throw std::runtime_error("cannot read /proc: " + std::string(strerror(errno)));
  while (dirent* entry = ::readdir(proc)) {
    pid_t pid = static_cast<pid_t>(::atoi(entry->d_name));
    if (pid <= 0 || pid == ::getpid()) continue;
    std::string cmdline = readFileOr("/proc/" + std::string(entry->d_name) + "/cmdline", "");
    if (cmdline.empty() || isZombie(entry->d_name)) continue;
    found.emplace_back(pid, splitNul(cmdline));
  }
  ::closedir(proc);
  return found;
}

std::string shown(const std::string& text) {
  if (text.size() <= OUTPUT_SHOWN_MAX) return text;
  return "..." + text.substr(text.size() - OUTPUT_SHOWN_MAX);
}

std::string joined(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& arg : argv)
    line += (line.empty() ? "" : " ") + arg;
  return line;
}

// posix_spawn with the given descriptors as stdin, stdout and stderr.
pid_t spawnWith(const std::vector<std::string>& argv, int in, int out, int err) {
  if (argv.empty()) throw std::runtime_error("spawn: no command");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err, STDERR_FILENO);
  std::vector<char*> args;
  std::vector<std::string> copies = argv;
  for (std::string& arg : copies)
    args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  int error = ::posix_spawn(&pid, copies[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0)
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::string(strerror(error)));
  return pid;
}

int openOrThrow(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + strerror(errno));
  return fd;
}

}  // namespace

std::string CommandResult::describe() const {
  std::ostringstream text;
  text << "$ " << joined(argv) << "\n";
  if (timedOut) {
    text << "(still running at the limit: killed)\n";
  } else {
    text << "(exit " << exitCode << ")\n";
  }
  text << "stdout:\n" << shown(out) << (out.empty() || out.back() == '\n' ? "" : "\n");
  text << "stderr:\n" << shown(err) << (err.empty() || err.back() == '\n' ? "" : "\n");
  return text.str();
}

CommandResult runCommand(const std::vector<std::string>& argv, const std::string& scratch,
                         Milliseconds limit, const std::string& input) {
  static int counter = 0;
  std::string base = scratch + "/command-" + std::to_string(++counter);
  { std::ofstream(base + ".in", std::ios::binary) << input; }
  int in = openOrThrow(base + ".in", O_RDONLY);
  int out = openOrThrow(base + ".out", O_WRONLY | O_CREAT | O_TRUNC);
  int err = openOrThrow(base + ".err", O_WRONLY | O_CREAT | O_TRUNC);
  CommandResult result;
  result.argv = argv;
  pid_t pid = 0;
  try {
    pid = spawnWith(argv, in, out, err);
  } catch (...) {
    ::close(in), ::close(out), ::close(err);
    throw;
  }
  ::close(in), ::close(out), ::close(err);
  std::optional<int> status = waitForExit(pid, limit);
  if (!status.has_value()) {
    ::kill(pid, SIGKILL);
    status = waitForExit(pid, Milliseconds(5000));
    result.timedOut = true;
  }
  result.exitCode = status.value_or(-1);
  result.out = readFileOr(base + ".out", "");
  result.err = readFileOr(base + ".err", "");
  for (const char* suffix : {".in", ".out", ".err"})
    ::unlink((base + suffix).c_str());
  return result;
}

pid_t spawnProcess(const std::vector<std::string>& argv, const std::string& logPath) {
  int in = openOrThrow("/dev/null", O_RDONLY);
  int log = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    ::close(in);
    throw std::runtime_error("cannot open " + logPath + ": " + strerror(errno));
  }
  std::string banner = "=== " + joined(argv) + "\n";
  ssize_t ignored = ::write(log, banner.data(), banner.size());
  (void)ignored;
  pid_t pid = 0;
  try {
    pid = spawnWith(argv, in, log, log);
  } catch (...) {
    ::close(in), ::close(log);
    throw;
  }
  ::close(in), ::close(log);
  return pid;
}

std::optional<int> exitedAlready(pid_t pid) {
  int status = 0;
  pid_t got = ::waitpid(pid, &status, WNOHANG);
  if (got == pid) return statusOf(status);
  if (got < 0 && errno == ECHILD) return -1;  // not ours, or reaped before
  return std::nullopt;
}

std::optional<int> waitForExit(pid_t pid, Milliseconds limit) {
  Clock::time_point until = Clock::now() + limit;
  while (true) {
    if (std::optional<int> status = exitedAlready(pid)) return status;
    if (Clock::now() >= until) return std::nullopt;
    pause(POLL_INTERVAL);
  }
}

std::vector<pid_t> processesRunning(const std::vector<std::string>& argv) {
  std::vector<pid_t> pids;
  for (const auto& [pid, args] : liveProcesses()) {
    if (args == argv) pids.push_back(pid);
  }
  return pids;
}

std::vector<pid_t> processesMentioning(const std::string& text) {
  std::vector<pid_t> pids;
  for (const auto& [pid, args] : liveProcesses()) {
    for (const std::string& arg : args) {
      if (arg.find(text) != std::string::npos) {
        pids.push_back(pid);
        break;
      }
    }
  }
  return pids;
}

std::vector<std::string> environmentOf(pid_t pid) {
  return splitNul(readFileOr("/proc/" + std::to_string(pid) + "/environ", ""));
}

uint16_t freePort() {
  static std::set<uint16_t> handedOut;
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket: " + std::string(strerror(errno)));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof(address);
    bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                 ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    ::close(fd);
    if (!bound)
      throw std::runtime_error("cannot bind a loopback port: " + std::string(strerror(errno)));
    uint16_t port = ntohs(address.sin_port);
    if (handedOut.insert(port).second) return port;
  }
  throw std::runtime_error("no fresh loopback port after 100 tries");
}

std::string tailOfFile(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::deque<std::string> kept;
  std::string line;
  while (std::getline(in, line)) {
    kept.push_back(line);
    if (kept.size() > lines) kept.pop_front();
  }
  std::string text;
  for (const std::string& each : kept)
    text += each + "\n";
  return text;
}

std::string readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path + ": " + strerror(errno));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void pause(Milliseconds duration) {
  std::this_thread::sleep_for(duration);
}

}  // namespace swarmlet::e2e
