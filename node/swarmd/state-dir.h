// swarmd's state directory (docs/swarmd.md, "The state directory"): held with an exclusive lock
// for the life of the process, so a second swarmd on it is refused with one line; and the
// node's identity (identity.json, mode 0600), written once the node has one and rewritten
// atomically when its role changes. The stores and the executor keep their own subdirectories.
//
// Ownership: a StateDir owns the lock's descriptor; the lock goes with it (or with the process).
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "core/types.h"

namespace swarmlet::node {

// Who this node is and how it reaches its cluster.
struct Identity {
  std::string clusterId;
  NodeId nodeId;
  std::string secret;  // the credential's secret (bytes; hex in the file)
  NodeRole role = NodeRole::WORKER;
  bool leader = false;      // this node created the cluster and keeps its manager state
  std::string joinAddress;  // where it joined: the leader, for a follower's forwarding
  std::string listenAddress;
  std::string advertiseAddress;
  std::string hostname;

  bool operator==(const Identity&) const = default;
};

class StateDir {
 public:
  // Creates `path` (mode 0700) when missing and locks it. Refused, with one line saying what to
  // do: a directory another swarmd holds (naming its pid), one that cannot be created or used.
  static std::variant<StateDir, std::string> lock(const std::string& path);

  StateDir(StateDir&& other) noexcept;
  StateDir& operator=(StateDir&&) = delete;
  ~StateDir();

  // The identity, none on a node's first start, or one line saying why it cannot be read.
  std::variant<std::optional<Identity>, std::string> readIdentity() const;
  // Writes the identity atomically (a temporary file, fsync, rename); nullopt when done.
  std::optional<std::string> saveIdentity(const Identity& identity) const;

  const std::string& path() const { return path_; }
  std::string agentStore() const { return path_ + "/agent"; }
  std::string managerStore() const { return path_ + "/manager"; }
  std::string executorDir() const { return path_ + "/executor"; }
  std::string controlSocket() const { return path_ + "/swarmd.sock"; }
  std::string identityFile() const { return path_ + "/identity.json"; }

 private:
  StateDir(std::string path, int lockFd) : path_(std::move(path)), lockFd_(lockFd) {}

  std::string path_;
  int lockFd_ = -1;
};

}  // namespace swarmlet::node
