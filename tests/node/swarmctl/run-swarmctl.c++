#include "tests/node/swarmctl/run-swarmctl.h"

#include <fcntl.h>
#include <kj/debug.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

extern char** environ;

namespace swarmlet::swarmctl::testing {
namespace {

// The child's environment: ours without SWARM_SOCKET, then `extra`.
std::vector<std::string> environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> entries;
  for (char** at = environ; *at != nullptr; ++at) {
    if (std::strncmp(*at, "SWARM_SOCKET=", 13) != 0) entries.push_back(*at);
  }
  for (const auto& [key, value] : extra)
    entries.push_back(key + "=" + value);
  return entries;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Reads `out` and `err` until both close.
void collect(int out, int err, Ran& ran) {
  pollfd fds[2] = {{out, POLLIN, 0}, {err, POLLIN, 0}};
  std::string* into[2] = {&ran.out, &ran.err};
  int open = 2;
  while (open > 0) {
    KJ_SYSCALL(::poll(fds, 2, -1));
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        into[i]->append(buffer, static_cast<size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

}  // namespace

Ran runSwarmctl(const std::string& binary, const std::vector<std::string>& args,
                const RunOptions& options) {
  int in[2], out[2], err[2];
  KJ_SYSCALL(::pipe2(in, O_CLOEXEC));
  KJ_SYSCALL(::pipe2(out, O_CLOEXEC));
  KJ_SYSCALL(::pipe2(err, O_CLOEXEC));
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env = environment(options.environment);
  std::vector<char*> argvPointers = pointers(argv);
  std::vector<char*> envPointers = pointers(env);
  pid_t pid = ::fork();
  KJ_REQUIRE(pid >= 0, "fork failed");
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (!options.workingDirectory.empty() && ::chdir(options.workingDirectory.c_str()) != 0) {
      ::_exit(126);
    }
    ::execve(binary.c_str(), argvPointers.data(), envPointers.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  // The inputs of these tests are far smaller than a pipe's buffer.
  KJ_REQUIRE(options.in.size() < 16384);
  if (!options.in.empty()) {
    KJ_SYSCALL(::write(in[1], options.in.data(), options.in.size()));
  }
  ::close(in[1]);
  Ran ran;
  collect(out[0], err[0], ran);
  int status = 0;
  KJ_SYSCALL(::waitpid(pid, &status, 0));
  ran.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return ran;
}

}  // namespace swarmlet::swarmctl::testing
