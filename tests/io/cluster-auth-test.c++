// Tests of the cluster's identity on its leader (io/cluster-auth.h): the join token's shape, the
// tokens and credentials as a join, a rotation and a removal change them, and what survives a
// reload of the store. LevelDB on its memory Env.
#include "io/cluster-auth.h"

#include <gtest/gtest.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>
#include <leveldb/write_batch.h>

#include <memory>
#include <set>
#include <string>

namespace swarmlet::io {
namespace {

bool isBase36(const std::string& text) {
  return text.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz") == std::string::npos;
}

TEST(JoinToken, HasSwarmKitsShapeAndParsesBack) {
  JoinToken token{drawBase36(TOKEN_DIGEST_LENGTH), drawBase36(TOKEN_SECRET_LENGTH)};
  std::string text = formatJoinToken(token);
  EXPECT_EQ(text.size(), 9u + 50u + 1u + 25u) << text;
  EXPECT_EQ(text.substr(0, 9), "SWMTKN-1-");
  auto parsed = parseJoinToken(text);
  ASSERT_TRUE(std::holds_alternative<JoinToken>(parsed)) << std::get<std::string>(parsed);
  EXPECT_EQ(std::get<JoinToken>(parsed), token);
}

TEST(JoinToken, MalformedTokensAreRefusedWithALineSayingWhatATokenLooksLike) {
  std::string digest(TOKEN_DIGEST_LENGTH, 'a');
  std::string secret(TOKEN_SECRET_LENGTH, 'b');
  for (const std::string& bad :
       {std::string(""), "SWMTKN-2-" + digest + "-" + secret, "SWMTKN-1-" + digest + secret,
        "SWMTKN-1-" + digest + "-" + "b", "SWMTKN-1-" + digest + "-" + secret + "c",
        "SWMTKN-1-" + std::string(50, 'A') + "-" + secret}) {
    auto parsed = parseJoinToken(bad);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << bad;
    EXPECT_NE(std::get<std::string>(parsed).find("SWMTKN-1-"), std::string::npos);
  }
}

TEST(JoinToken, DrawnIdsAreBase36AndDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = drawBase36(NODE_ID_LENGTH);
    EXPECT_EQ(id.size(), NODE_ID_LENGTH);
    EXPECT_TRUE(isBase36(id)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

class ClusterAuthTest : public testing::Test {
 protected:
  ClusterAuthTest() { reopen(); }
  ~ClusterAuthTest() noexcept override {
    auth.reset();
    db = nullptr;
  }

  void reopen() {
    auth.reset();
    db = nullptr;
    auto opened = LevelDbStore::open("/manager", StoreKind::MANAGER, StoreOptions{memory.get()});
    KJ_REQUIRE(opened.ok(), opened.error().message);
    db = kj::mv(opened.value());
    auto loaded = ClusterAuth::load(*db);
    KJ_REQUIRE(loaded.ok(), loaded.error().message);
    auth.emplace(kj::mv(loaded.value()));
  }

  void create() {
    ASSERT_FALSE(auth->create(NodeAuthEntry{NodeId{"leader"}, "leader-secret", "leader.example",
                                            "127.0.0.1:4242", NodeRole::MANAGER})
                     .has_value());
  }

  JoinGrant join(NodeRole role, const std::string& hostname = "worker.example") {
    auto outcome = auth->join(formatJoinToken(auth->token(role)), hostname, "127.0.0.1:5000");
    KJ_REQUIRE(std::holds_alternative<JoinGrant>(outcome));
    return std::get<JoinGrant>(outcome);
  }

  std::string refusal(const std::string& token) {
    auto outcome = auth->join(token, "someone", "");
    KJ_REQUIRE(std::holds_alternative<std::string>(outcome));
    return std::get<std::string>(outcome);
  }

  std::unique_ptr<leveldb::Env> memory{leveldb::NewMemEnv(leveldb::Env::Default())};
  kj::Own<LevelDbStore> db;
  std::optional<ClusterAuth> auth;
};

TEST_F(ClusterAuthTest, ACreatedClusterHasTwoTokensWithOneDigestAndItsFirstNodesCredential) {
  EXPECT_FALSE(auth->created());
  create();
  EXPECT_TRUE(auth->created());
  EXPECT_EQ(auth->id().size(), 25u);
  JoinToken worker = auth->token(NodeRole::WORKER);
  JoinToken manager = auth->token(NodeRole::MANAGER);
  EXPECT_EQ(worker.digest, manager.digest);
  EXPECT_NE(worker.secret, manager.secret);
  EXPECT_TRUE(auth->authenticate(NodeId{"leader"}, "leader-secret"));
  EXPECT_FALSE(auth->authenticate(NodeId{"leader"}, "leader-secreT"));
  EXPECT_FALSE(auth->authenticate(NodeId{"nobody"}, "leader-secret"));
}

TEST_F(ClusterAuthTest, EachTokenGrantsItsRoleAndANewCredential) {
  create();
  JoinGrant worker = join(NodeRole::WORKER);
  JoinGrant manager = join(NodeRole::MANAGER, "manager.example");
  EXPECT_EQ(worker.role, NodeRole::WORKER);
  EXPECT_EQ(manager.role, NodeRole::MANAGER);
  EXPECT_NE(worker.node, manager.node);
  EXPECT_EQ(worker.node.value.size(), NODE_ID_LENGTH);
  EXPECT_EQ(worker.secret.size(), NODE_SECRET_BYTES);
  EXPECT_TRUE(auth->authenticate(worker.node, worker.secret));
  EXPECT_FALSE(auth->authenticate(worker.node, manager.secret));
  ASSERT_NE(auth->find(manager.node), nullptr);
  EXPECT_EQ(auth->find(manager.node)->hostname, "manager.example");
  EXPECT_EQ(auth->find(manager.node)->advertiseAddress, "127.0.0.1:5000");
  EXPECT_EQ(auth->find(manager.node)->joinedAs, NodeRole::MANAGER);
}

TEST_F(ClusterAuthTest, AWrongSecretOrAnotherClustersDigestIsRefusedAndNothingIsStored) {
  create();
  JoinToken token = auth->token(NodeRole::WORKER);
  std::string wrongSecret = formatJoinToken({token.digest, std::string(TOKEN_SECRET_LENGTH, '0')});
  EXPECT_NE(refusal(wrongSecret).find("rotated"), std::string::npos);
  std::string otherCluster = formatJoinToken({std::string(TOKEN_DIGEST_LENGTH, '0'), token.secret});
  EXPECT_NE(refusal(otherCluster).find("another cluster"), std::string::npos);
  EXPECT_NE(refusal("not-a-token").find("SWMTKN-1-"), std::string::npos);
  EXPECT_EQ(auth->nodes().size(), 1u);
}

TEST_F(ClusterAuthTest, ARotatedTokenIsRefusedAndTheOtherRoleAndJoinedNodesAreUntouched) {
  create();
  JoinGrant joined = join(NodeRole::WORKER);
  std::string oldWorker = formatJoinToken(auth->token(NodeRole::WORKER));
  JoinToken manager = auth->token(NodeRole::MANAGER);
  ASSERT_FALSE(auth->rotate(NodeRole::WORKER).has_value());
  EXPECT_NE(formatJoinToken(auth->token(NodeRole::WORKER)), oldWorker);
  EXPECT_EQ(auth->token(NodeRole::MANAGER), manager);
  EXPECT_NE(refusal(oldWorker).find("rotated"), std::string::npos);
  EXPECT_EQ(join(NodeRole::WORKER).role, NodeRole::WORKER);
  EXPECT_TRUE(auth->authenticate(joined.node, joined.secret));
}

TEST_F(ClusterAuthTest, EverythingSurvivesAReloadAndARevokedNodeStaysRevoked) {
  create();
  JoinGrant kept = join(NodeRole::WORKER);
  JoinGrant removed = join(NodeRole::MANAGER);
  ASSERT_FALSE(auth->rotate(NodeRole::MANAGER).has_value());
  std::string id = auth->id();
  JoinToken worker = auth->token(NodeRole::WORKER);
  JoinToken manager = auth->token(NodeRole::MANAGER);
  ASSERT_FALSE(auth->revoke(removed.node).has_value());
  EXPECT_FALSE(auth->authenticate(removed.node, removed.secret));

  reopen();
  ASSERT_TRUE(auth->created());
  EXPECT_EQ(auth->id(), id);
  EXPECT_EQ(auth->token(NodeRole::WORKER), worker);
  EXPECT_EQ(auth->token(NodeRole::MANAGER), manager);
  EXPECT_TRUE(auth->authenticate(kept.node, kept.secret));
  EXPECT_TRUE(auth->authenticate(NodeId{"leader"}, "leader-secret"));
  EXPECT_FALSE(auth->authenticate(removed.node, removed.secret));
  EXPECT_EQ(auth->find(kept.node)->joinedAs, NodeRole::WORKER);
}

TEST_F(ClusterAuthTest, AnUndecodableRecordIsRefusedNamingItsKey) {
  create();
  leveldb::WriteBatch batch;
  batch.Put("v1/cluster/node/broken", "not a capnp message!");
  ASSERT_FALSE(db->commit(batch).has_value());
  auth.reset();
  auto loaded = ClusterAuth::load(*db);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().kind, StoreErrorKind::CORRUPT);
  EXPECT_NE(loaded.error().message.find("v1/cluster/node/broken"), std::string::npos)
      << loaded.error().message;
}

}  // namespace
}  // namespace swarmlet::io
