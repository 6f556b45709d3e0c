// Domain value types shared by the agent and manager cores: ids, peers, node descriptions,
// session messages and RPC errors. All are plain values: copyable, comparable and printable
// (core/format.h). Core value state uses std::string/std::vector/std::map because KJ's owned
// containers are move-only; see docs/decisions.md.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace swarmlet {

// A strongly typed identifier: an opaque string that cannot be mixed up with another kind.
template <typename Tag>
struct Id {
  std::string value;

  bool empty() const { return value.empty(); }
  auto operator<=>(const Id&) const = default;
};

using NodeId = Id<struct NodeIdTag>;
using SessionId = Id<struct SessionIdTag>;

// Numbers the sessions of one agent; every session-scoped effect and completion names one.
using Generation = uint64_t;
// Numbers the agent's requests that are not session-scoped (node descriptions).
using RequestId = uint64_t;
// Numbers the agent's status sends (one SendStatuses carries a batch of updates).
using BatchId = uint64_t;

// A manager as the agent knows it. The join address has an empty node id until the first
// session message names the managers (SwarmKit keys peers by the whole pair too).
struct Peer {
  NodeId nodeId;
  std::string address;

  auto operator<=>(const Peer&) const = default;
};

struct WeightedPeer {
  Peer peer;
  int64_t weight = 0;

  auto operator<=>(const WeightedPeer&) const = default;
};

enum class NodeRole : uint8_t { WORKER, MANAGER };
enum class NodeAvailability : uint8_t { ACTIVE, PAUSE, DRAIN };

// What the executor reports about this machine; sent when a session opens.
struct NodeDescription {
  std::string hostname;
  std::string platform;
  int64_t cpus = 0;  // in thousandths of a CPU
  int64_t memoryBytes = 0;
  std::map<std::string, std::string> labels;

  auto operator<=>(const NodeDescription&) const = default;
};

// The manager's record of this node, as far as the agent acts on it. Status is left out on
// purpose: the agent ignores status-only changes (SwarmKit's nodesEqual).
struct NodeInfo {
  NodeId id;
  NodeRole role = NodeRole::WORKER;
  NodeRole desiredRole = NodeRole::WORKER;
  NodeAvailability availability = NodeAvailability::ACTIVE;

  auto operator<=>(const NodeInfo&) const = default;
};

struct EncryptionKey {
  std::string subsystem;
  std::string key;
  uint64_t lamportTime = 0;

  auto operator<=>(const EncryptionKey&) const = default;
};

// One message on the session stream. Absent fields mean "no news", not "empty".
struct SessionMessage {
  std::vector<WeightedPeer> managers;
  std::optional<NodeInfo> node;
  std::optional<std::vector<EncryptionKey>> networkKeys;

  bool operator==(const SessionMessage&) const = default;
};

// The class of a failed call, named after what the caller does next (docs/protocol.md).
enum class ErrorCode : uint8_t {
  UNAVAILABLE,        // transport down, manager not ready: reconnect with backoff
  DEADLINE_EXCEEDED,  // no answer in time: reconnect with backoff
  NOT_FOUND,          // node or task unknown to the manager
  INVALID_ARGUMENT,   // stale session: register again
  PERMISSION_DENIED,  // acting for another node: reconnect, the manager decides
  ABORTED,            // the manager asks the node to go elsewhere
  UNAUTHENTICATED,    // bad credentials: retrying cannot help before a first session
  INTERNAL,           // a bug on the other side
};

struct RpcError {
  ErrorCode code = ErrorCode::UNAVAILABLE;
  std::string message;

  bool operator==(const RpcError&) const = default;
};

}  // namespace swarmlet
