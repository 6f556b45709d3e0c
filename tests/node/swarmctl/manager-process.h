// A manager for swarmctl's tests: an io::ManagerServer in a forked child process, with its own
// KJ event loop, serving the control API on DIR/swarmlet-state/swarmd.sock and on a loopback TCP
// port, its store a LevelDB directory under DIR. Optionally one fake agent ("worker-1", id
// "node-1") holds a session with it from inside the child: it heartbeats, and reports every task
// it is assigned as RUNNING (SHUTDOWN once told to stop), so that nodes and running tasks exist
// without real processes. The parent runs swarmctl against it.
// Ownership: the object owns the child; destroying it kills the child (SIGKILL) and reaps it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace swarmlet::swarmctl::testing {

class ManagerProcess {
 public:
  // Starts the child and waits until it serves (and the fake agent's session is open).
  ManagerProcess(const std::string& directory, bool withAgent);
  ~ManagerProcess();
  ManagerProcess(const ManagerProcess&) = delete;
  ManagerProcess& operator=(const ManagerProcess&) = delete;

  const std::string& socketPath() const { return socketPath_; }
  // "127.0.0.1:PORT" of the control API over TCP.
  const std::string& controlAddress() const { return controlAddress_; }

 private:
  void stop();

  pid_t pid_ = -1;
  std::string socketPath_;
  std::string controlAddress_;
};

}  // namespace swarmlet::swarmctl::testing
