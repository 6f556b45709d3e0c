// The cluster as Control.inspectCluster and Control.rotateToken answer it (schemas/control.capnp,
// ClusterInfo): its id, its leader, its managers and both join tokens. The io codec has no
// conversion of ClusterInfo yet, so swarmctl reads it here, with the same rules (bounded fields,
// one line naming the first bad one, never a throw); the managers go through io::decodePeer.
// A value; the decoder is stateless and safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "control.capnp.h"
#include "core/types.h"
#include "io/decoded.h"

namespace swarmlet::swarmctl {

// A join token ("SWMTKN-1-<cluster digest>-<secret>") is far shorter; more is a broken answer.
inline constexpr size_t JOIN_TOKEN_LENGTH_MAX = 1024;

struct ClusterInfo {
  std::string id;
  NodeId leader;
  // The leader first.
  std::vector<Peer> managers;
  std::string workerToken;
  std::string managerToken;

  bool operator==(const ClusterInfo&) const = default;
};

io::Decoded<ClusterInfo> decodeClusterInfo(schema::ClusterInfo::Reader reader);

}  // namespace swarmlet::swarmctl
