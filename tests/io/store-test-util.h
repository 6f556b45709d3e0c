// Helpers of the store tests that use real parts: a temporary directory on the real file system,
// and a helper program run as a child process with pipes to its stdin and stdout. Test-only;
// failures abort the test (KJ_REQUIRE / KJ_SYSCALL), they are not outside input.
#pragma once

#include <fcntl.h>
#include <kj/debug.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

namespace swarmlet::io::test {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/swarmlet-store-XXXXXX";
    KJ_REQUIRE(mkdtemp(pattern.data()) != nullptr, "mkdtemp failed", pattern);
    path_ = pattern;
  }
  ~TempDir() noexcept {
    std::error_code ignored;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(path_, ignored);
  }
  KJ_DISALLOW_COPY(TempDir);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The path of a helper program built beside the running test executable.
inline std::string helperPath(const std::string& name) {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / name).string();
}

// A child process running `program args...`, its stdin and stdout connected to pipes. The
// destructor kills and reaps it if the test did not.
class Child {
 public:
  explicit Child(const std::vector<std::string>& argv) {
    KJ_REQUIRE(!argv.empty());
    std::vector<char*> args;
    for (const std::string& arg : argv)
      args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    int toChild[2];
    int fromChild[2];
    KJ_SYSCALL(pipe2(toChild, O_CLOEXEC));
    KJ_SYSCALL(pipe2(fromChild, O_CLOEXEC));
    pid_ = fork();
    KJ_REQUIRE(pid_ >= 0, "fork failed");
    if (pid_ == 0) {
      // Only async-signal-safe calls between fork and exec.
      dup2(toChild[0], STDIN_FILENO);
      dup2(fromChild[1], STDOUT_FILENO);
      execv(args[0], args.data());
      _exit(127);
    }
    close(toChild[0]);
    close(fromChild[1]);
    stdin_ = toChild[1];
    stdout_ = fromChild[0];
  }
  ~Child() noexcept {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (stdout_ >= 0) close(stdout_);
  }
  KJ_DISALLOW_COPY(Child);

  // The next line the child wrote, without its newline; empty at end of file.
  std::string readLine() {
    std::string line;
    char c = 0;
    while (true) {
      ssize_t n = read(stdout_, &c, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || c == '\n') return line;
      line.push_back(c);
    }
  }

  // Closes the child's stdin (helpers that wait for it then exit).
  void closeStdin() {
    if (stdin_ >= 0) close(stdin_);
    stdin_ = -1;
  }

  void killHard() {
    KJ_REQUIRE(pid_ > 0);
    KJ_SYSCALL(kill(pid_, SIGKILL));
  }

  // Waits for the child to end; returns its wait status.
  int wait() {
    KJ_REQUIRE(pid_ > 0, "the child was reaped already");
    int status = 0;
    KJ_SYSCALL(waitpid(pid_, &status, 0));
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
};

}  // namespace swarmlet::io::test
