// A manager for swarmctl's tests: an io::ManagerServer in a forked child process, with its own
// KJ event loop, serving the control API on DIR/swarmlet-state/swarmd.sock and on a loopback TCP
// port, its store a LevelDB directory under DIR, its cluster created with "manager-1" (the
// leader, at 127.0.0.1:4242) as its first node. Fake agents hold sessions with it from inside
// the child: each heartbeats and reports every task it is assigned as RUNNING (SHUTDOWN once told
// to stop), so that nodes and running tasks exist without real processes. A fake agent with the
// id "manager-1" is the leader's own node.
//
// Or, with WITHOUT_CLUSTER_CALLS, a Control server of an older swarmd: it answers listNodes with
// one manager node and implements nothing else (inspectCluster and rotateToken included).
//
// Ownership: the object owns the child; destroying it kills the child (SIGKILL) and reaps it.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace swarmlet::swarmctl::testing {

struct FakeNode {
  std::string id;
  std::string hostname;
};

enum class ControlServer : uint8_t { MANAGER_SERVER, WITHOUT_CLUSTER_CALLS };

// The leader's node and a worker, as fake agents.
inline const FakeNode LEADER_NODE{"manager-1", "manager-host"};
inline const FakeNode WORKER_NODE{"node-1", "worker-1"};

class ManagerProcess {
 public:
  // Starts the child and waits until it serves (and every fake agent's session is open).
  ManagerProcess(const std::string& directory, const std::vector<FakeNode>& nodes = {},
                 ControlServer server = ControlServer::MANAGER_SERVER);
  ~ManagerProcess();
  ManagerProcess(const ManagerProcess&) = delete;
  ManagerProcess& operator=(const ManagerProcess&) = delete;

  const std::string& socketPath() const { return socketPath_; }
  // "127.0.0.1:PORT" of the control API over TCP (MANAGER_SERVER only).
  const std::string& controlAddress() const { return controlAddress_; }

 private:
  void stop();

  pid_t pid_ = -1;
  std::string socketPath_;
  std::string controlAddress_;
};

}  // namespace swarmlet::swarmctl::testing
