#include "io/cluster-auth.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/debug.h>
#include <leveldb/write_batch.h>
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "io/codec.h"
#include "io/leveldb-slice.h"
#include "storage.capnp.h"

namespace swarmlet::io {

namespace {

constexpr std::string_view BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";
const std::string META_KEY = std::string(CLUSTER_PREFIX) + "meta";
const std::string NODE_PREFIX = std::string(CLUSTER_PREFIX) + "node/";

void fillRandom(unsigned char* out, size_t size) {
  size_t filled = 0;
  while (filled < size) {
    ssize_t got = ::getrandom(out + filled, size - filled, 0);
    if (got < 0 && errno == EINTR) continue;
    KJ_REQUIRE(got > 0, "the operating system gave no randomness", strerror(errno));
    filled += static_cast<size_t>(got);
  }
}

bool isBase36(std::string_view text) {
  for (char c : text) {
    if (BASE36.find(c) == std::string_view::npos) return false;
  }
  return true;
}

std::string textOf(capnp::Text::Reader text) {
  return std::string(text.cStr(), text.size());
}

template <typename Root, typename Fill>
std::optional<StoreError> put(LevelDbStore& db, const std::string& key, Fill&& fill) {
  capnp::MallocMessageBuilder message;
  fill(message.initRoot<Root>());
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  leveldb::WriteBatch batch;
  batch.Put(sliceOf(key), sliceOf(words));
  return db.commit(batch);
}

}  // namespace

std::string drawBase36(size_t length) {
  std::string text;
  text.reserve(length);
  while (text.size() < length) {
    unsigned char bytes[64];
    fillRandom(bytes, sizeof bytes);
    for (unsigned char byte : bytes) {
      // 252 = 7 * 36: rejecting the rest keeps every character equally likely.
      if (byte < 252 && text.size() < length) text += BASE36[byte % 36];
    }
  }
  return text;
}

std::string drawBytes(size_t bytes) {
  std::string out(bytes, '\0');
  fillRandom(reinterpret_cast<unsigned char*>(out.data()), bytes);
  return out;
}

bool sameSecret(std::string_view expected, std::string_view given) {
  if (expected.size() != given.size()) return false;
  unsigned char difference = 0;
  for (size_t i = 0; i < expected.size(); ++i)
    difference |= static_cast<unsigned char>(expected[i] ^ given[i]);
  return difference == 0;
}

std::string formatJoinToken(const JoinToken& token) {
  return std::string(JOIN_TOKEN_PREFIX) + token.digest + "-" + token.secret;
}

std::variant<JoinToken, std::string> parseJoinToken(std::string_view text) {
  const std::string shape = "a join token looks like SWMTKN-1-<50 characters>-<25 characters>";
  if (text.substr(0, JOIN_TOKEN_PREFIX.size()) != JOIN_TOKEN_PREFIX) {
    return "the join token does not start with " + std::string(JOIN_TOKEN_PREFIX) + " (" + shape +
           ")";
  }
  std::string_view rest = text.substr(JOIN_TOKEN_PREFIX.size());
  size_t dash = rest.find('-');
  if (dash != TOKEN_DIGEST_LENGTH || rest.size() != dash + 1 + TOKEN_SECRET_LENGTH ||
      !isBase36(rest.substr(0, dash)) || !isBase36(rest.substr(dash + 1))) {
    return "the join token is malformed (" + shape + " of 0-9 and a-z)";
  }
  return JoinToken{std::string(rest.substr(0, dash)), std::string(rest.substr(dash + 1))};
}

StoreResult<ClusterAuth> ClusterAuth::load(LevelDbStore& db) {
  using Result = StoreResult<ClusterAuth>;
  ClusterAuth auth(db);
  auto refused = db.scan(CLUSTER_PREFIX, [&](std::string_view key, std::string_view value) {
    auto words = wordsOf(value);
    if (!words.ok()) return std::optional<StoreError>(db.corruptRecord(key, words.error));
    std::optional<StoreError> bad;
    auto read = [&](auto decode) {
      KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&]() {
                     capnp::FlatArrayMessageReader reader(
                         *words.value,
                         untrustedReaderOptions(limits::RECORD_TRAVERSAL_LIMIT_WORDS));
                     decode(reader);
                   })) {
        bad = db.corruptRecord(key, exception->getDescription().cStr());
      }
    };
    if (key == META_KEY) {
      read([&](capnp::FlatArrayMessageReader& reader) {
        auto meta = reader.getRoot<schema::ClusterMeta>();
        auth.id_ = textOf(meta.getId());
        auth.digest_ = textOf(meta.getDigest());
        auth.workerSecret_ = textOf(meta.getWorkerSecret());
        auth.managerSecret_ = textOf(meta.getManagerSecret());
      });
      if (!bad && (auth.id_.empty() || auth.digest_.size() != TOKEN_DIGEST_LENGTH)) {
        bad = db.corruptRecord(key, "the cluster record has no id or a malformed digest");
      }
    } else if (key.substr(0, NODE_PREFIX.size()) == NODE_PREFIX) {
      read([&](capnp::FlatArrayMessageReader& reader) {
        auto node = reader.getRoot<schema::NodeAuth>();
        auto secret = node.getSecret();
        NodeAuthEntry entry{
            NodeId{textOf(node.getNodeId())},
            std::string(reinterpret_cast<const char*>(secret.begin()), secret.size()),
            textOf(node.getHostname()), textOf(node.getAdvertiseAddress()),
            node.getJoinedAs() == schema::NodeRole::MANAGER ? NodeRole::MANAGER : NodeRole::WORKER};
        if (entry.node.value != key.substr(NODE_PREFIX.size())) {
          bad = db.corruptRecord(key, "it holds the credential of node " +
                                          printableKey(entry.node.value) + ", not its key's");
          return;
        }
        auth.nodes_.emplace(entry.node, std::move(entry));
      });
    } else {
      bad = db.corruptRecord(key, "not a key of the cluster's identity");
    }
    return bad;
  });
  if (refused.has_value()) return Result::failure(*kj::mv(refused));
  if (auth.id_.empty() && !auth.nodes_.empty()) {
    return Result::failure(
        db.corruptRecord(META_KEY, "node credentials are stored but the cluster record is not"));
  }
  return Result::success(kj::mv(auth));
}

std::optional<StoreError> ClusterAuth::writeMeta(const std::string& workerSecret,
                                                 const std::string& managerSecret) {
  return put<schema::ClusterMeta>(*db_, META_KEY, [&](schema::ClusterMeta::Builder meta) {
    meta.setId(id_);
    meta.setDigest(digest_);
    meta.setWorkerSecret(workerSecret);
    meta.setManagerSecret(managerSecret);
  });
}

std::optional<StoreError> ClusterAuth::writeNode(const NodeAuthEntry& entry) {
  return put<schema::NodeAuth>(
      *db_, NODE_PREFIX + entry.node.value, [&](schema::NodeAuth::Builder node) {
        node.setNodeId(entry.node.value);
        node.setSecret(kj::arrayPtr(reinterpret_cast<const kj::byte*>(entry.secret.data()),
                                    entry.secret.size()));
        node.setHostname(entry.hostname);
        node.setAdvertiseAddress(entry.advertiseAddress);
        node.setJoinedAs(entry.joinedAs == NodeRole::MANAGER ? schema::NodeRole::MANAGER
                                                             : schema::NodeRole::WORKER);
      });
}

std::optional<StoreError> ClusterAuth::create(const NodeAuthEntry& first) {
  KJ_REQUIRE(!created(), "the cluster exists already");
  if (auto error = writeNode(first)) return error;
  nodes_[first.node] = first;
  id_ = drawBase36(25);
  digest_ = drawBase36(TOKEN_DIGEST_LENGTH);
  std::string worker = drawBase36(TOKEN_SECRET_LENGTH);
  std::string manager = drawBase36(TOKEN_SECRET_LENGTH);
  if (auto error = writeMeta(worker, manager)) {
    id_.clear();
    return error;
  }
  workerSecret_ = std::move(worker);
  managerSecret_ = std::move(manager);
  return std::nullopt;
}

JoinToken ClusterAuth::token(NodeRole role) const {
  return JoinToken{digest_, role == NodeRole::MANAGER ? managerSecret_ : workerSecret_};
}

ClusterAuth::JoinOutcome ClusterAuth::join(std::string_view text, const std::string& hostname,
                                           const std::string& advertiseAddress) {
  auto parsed = parseJoinToken(text);
  if (auto* why = std::get_if<std::string>(&parsed)) return *why;
  const JoinToken& token = std::get<JoinToken>(parsed);
  if (!sameSecret(digest_, token.digest)) {
    return std::string(
        "the join token belongs to another cluster (its digest is not this cluster's): take the "
        "token from `swarmctl cluster inspect` on this cluster's manager");
  }
  NodeRole role;
  if (sameSecret(workerSecret_, token.secret)) {
    role = NodeRole::WORKER;
  } else if (sameSecret(managerSecret_, token.secret)) {
    role = NodeRole::MANAGER;
  } else {
    return std::string(
        "the join token is not valid (it was rotated, or mistyped): ask for the current one with "
        "`swarmctl cluster inspect` on the manager");
  }
  NodeAuthEntry entry{NodeId{drawBase36(NODE_ID_LENGTH)}, drawBytes(NODE_SECRET_BYTES), hostname,
                      advertiseAddress, role};
  while (nodes_.count(entry.node))
    entry.node = NodeId{drawBase36(NODE_ID_LENGTH)};
  if (auto error = writeNode(entry)) return *error;
  nodes_[entry.node] = entry;
  return JoinGrant{entry.node, entry.secret, role};
}

std::optional<StoreError> ClusterAuth::rotate(NodeRole role) {
  std::string fresh = drawBase36(TOKEN_SECRET_LENGTH);
  bool manager = role == NodeRole::MANAGER;
  if (auto error = writeMeta(manager ? workerSecret_ : fresh, manager ? fresh : managerSecret_)) {
    return error;
  }
  (manager ? managerSecret_ : workerSecret_) = std::move(fresh);
  return std::nullopt;
}

std::optional<StoreError> ClusterAuth::revoke(const NodeId& node) {
  if (!nodes_.count(node)) return std::nullopt;
  leveldb::WriteBatch batch;
  batch.Delete(sliceOf(NODE_PREFIX + node.value));
  if (auto error = db_->commit(batch)) return error;
  nodes_.erase(node);
  return std::nullopt;
}

bool ClusterAuth::authenticate(const NodeId& node, std::string_view secret) const {
  auto found = nodes_.find(node);
  return found != nodes_.end() && sameSecret(found->second.secret, secret);
}

const NodeAuthEntry* ClusterAuth::find(const NodeId& node) const {
  auto found = nodes_.find(node);
  return found == nodes_.end() ? nullptr : &found->second;
}

}  // namespace swarmlet::io
