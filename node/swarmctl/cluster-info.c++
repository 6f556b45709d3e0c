#include "node/swarmctl/cluster-info.h"

#include <kj/exception.h>

#include <optional>

#include "core/limits.h"
#include "io/codec-types.h"

namespace swarmlet::swarmctl {
namespace {

// `text` into `out` when it has at most `maxBytes` bytes; else the line naming `field`.
std::optional<std::string> readText(capnp::Text::Reader text, size_t maxBytes, const char* field,
                                    std::string& out) {
  if (text.size() > maxBytes) {
    return std::string(field) + ": longer than " + std::to_string(maxBytes) + " bytes";
  }
  out.assign(text.begin(), text.size());
  return std::nullopt;
}

std::optional<std::string> read(schema::ClusterInfo::Reader reader, ClusterInfo& out) {
  if (auto bad = readText(reader.getId(), limits::ID_LENGTH_MAX, "id", out.id)) return bad;
  if (auto bad = readText(reader.getLeaderNodeId(), limits::ID_LENGTH_MAX, "leaderNodeId",
                          out.leader.value)) {
    return bad;
  }
  auto managers = reader.getManagers();
  if (managers.size() > limits::MANAGERS_MAX) {
    return "managers: more than " + std::to_string(limits::MANAGERS_MAX) + " entries";
  }
  for (unsigned int i = 0; i < managers.size(); ++i) {
    io::Decoded<Peer> peer = io::decodePeer(managers[i]);
    if (!peer.ok()) return "managers[" + std::to_string(i) + "]." + peer.error;
    out.managers.push_back(std::move(*peer.value));
  }
  if (auto bad = readText(reader.getWorkerToken(), JOIN_TOKEN_LENGTH_MAX, "workerToken",
                          out.workerToken)) {
    return bad;
  }
  return readText(reader.getManagerToken(), JOIN_TOKEN_LENGTH_MAX, "managerToken",
                  out.managerToken);
}

}  // namespace

io::Decoded<ClusterInfo> decodeClusterInfo(schema::ClusterInfo::Reader reader) {
  ClusterInfo info;
  std::optional<std::string> bad;
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&]() { bad = read(reader, info); })) {
    return io::Decoded<ClusterInfo>::failure("cluster: malformed message: " +
                                             std::string(exception->getDescription().cStr()));
  }
  if (bad.has_value()) return io::Decoded<ClusterInfo>::failure("cluster." + *bad);
  return io::Decoded<ClusterInfo>::success(std::move(info));
}

}  // namespace swarmlet::swarmctl
