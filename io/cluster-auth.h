// The cluster's identity on its leader: the cluster id, the join tokens and every node's
// credential, kept in the manager's LevelDB under `v1/cluster/` beside the core's records
// (docs/swarmd.md, "Join tokens and identity"). The manager server consults it before anything
// a call says reaches the core: a join() is checked against the tokens, a session() against the
// credentials. The core never sees tokens or secrets.
//
// A join token is `SWMTKN-1-<digest>-<secret>` in SwarmKit's shape: the digest (50 base36
// characters) names the cluster and is the same in both tokens; the secret (25 base36
// characters) says which role the token grants. Rotating a token draws a new secret: the old one
// is refused from then on, nodes that already joined keep their credentials. SwarmKit's digest is
// that of its root CA certificate; ours is drawn at random when the cluster is created, and the
// joining node checks that the manager's cluster carries the digest of its token.
//
// Every change is written to the store (synced) before it takes effect in memory, so an answer
// given is never lost by a crash. Ownership: borrows its LevelDbStore, which must outlive it.
// Thread-safety: none; the manager's event loop uses it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/types.h"
#include "io/leveldb-store.h"

namespace swarmlet::io {

inline constexpr size_t TOKEN_DIGEST_LENGTH = 50;
inline constexpr size_t TOKEN_SECRET_LENGTH = 25;
inline constexpr size_t NODE_ID_LENGTH = 25;
inline constexpr size_t NODE_SECRET_BYTES = 32;
inline constexpr std::string_view JOIN_TOKEN_PREFIX = "SWMTKN-1-";
inline constexpr std::string_view CLUSTER_PREFIX = "v1/cluster/";

// `length` characters drawn uniformly from [0-9a-z] with the operating system's randomness.
std::string drawBase36(size_t length);
// `bytes` random bytes from the operating system.
std::string drawBytes(size_t bytes);

struct JoinToken {
  std::string digest;
  std::string secret;

  bool operator==(const JoinToken&) const = default;
};

std::string formatJoinToken(const JoinToken& token);
// The token's parts, or one line saying what is wrong with its shape.
std::variant<JoinToken, std::string> parseJoinToken(std::string_view text);

// What a successful join grants.
struct JoinGrant {
  NodeId node;
  std::string secret;
  NodeRole role = NodeRole::WORKER;
};

// A node's credential as the leader keeps it.
struct NodeAuthEntry {
  NodeId node;
  std::string secret;
  std::string hostname;
  std::string advertiseAddress;
  NodeRole joinedAs = NodeRole::WORKER;
};

class ClusterAuth {
 public:
  // Reads `v1/cluster/` of `db`: a cluster that was created, or none yet (created() is false).
  // Refuses a record that does not decode, naming its key.
  static StoreResult<ClusterAuth> load(LevelDbStore& db);

  ClusterAuth(ClusterAuth&&) = default;

  bool created() const { return !id_.empty(); }
  // Creates the cluster: its id, digest and both token secrets drawn at random, and the first
  // node's credential. REQUIRES: !created().
  [[nodiscard]] std::optional<StoreError> create(const NodeAuthEntry& first);

  const std::string& id() const { return id_; }
  JoinToken token(NodeRole role) const;

  // Checks `token` and, when it is valid, draws the new node's id and secret and stores them.
  // Refused: one line saying what is wrong and what to do (a token of another cluster, a
  // rotated or mistyped one).
  using JoinOutcome = std::variant<JoinGrant, std::string, StoreError>;
  JoinOutcome join(std::string_view token, const std::string& hostname,
                   const std::string& advertiseAddress);
  // Draws a new secret for the token of `role`.
  [[nodiscard]] std::optional<StoreError> rotate(NodeRole role);
  // Forgets a node's credential (the node was removed): it can no longer open a session.
  [[nodiscard]] std::optional<StoreError> revoke(const NodeId& node);

  // Whether `secret` is the credential of `node` (compared in constant time).
  bool authenticate(const NodeId& node, std::string_view secret) const;
  const NodeAuthEntry* find(const NodeId& node) const;
  const std::map<NodeId, NodeAuthEntry>& nodes() const { return nodes_; }

 private:
  explicit ClusterAuth(LevelDbStore& db) : db_(&db) {}
  [[nodiscard]] std::optional<StoreError> writeMeta(const std::string& workerSecret,
                                                    const std::string& managerSecret);
  [[nodiscard]] std::optional<StoreError> writeNode(const NodeAuthEntry& entry);

  LevelDbStore* db_;
  std::string id_;
  std::string digest_;
  std::string workerSecret_;
  std::string managerSecret_;
  std::map<NodeId, NodeAuthEntry> nodes_;
};

// Compares secrets in time that depends on their lengths only, not on where they differ.
bool sameSecret(std::string_view expected, std::string_view given);

}  // namespace swarmlet::io
