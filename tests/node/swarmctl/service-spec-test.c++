// The service spec create sends and update changes (node/swarmctl/service-spec.h), and the
// ClusterInfo reader (node/swarmctl/cluster-info.h).
#include "node/swarmctl/service-spec.h"

#include <capnp/message.h>
#include <gtest/gtest.h>

#include "node/swarmctl/cluster-info.h"

namespace swarmlet::swarmctl {
namespace {

manager::ServiceSpec webSpec() {
  manager::ServiceSpec spec = defaultSpec();
  spec.name = "web";
  spec.replicas = 2;
  spec.task.command = "/bin/sleep";
  spec.task.args = {"100"};
  spec.task.env = {{"A", "1"}, {"B", "2"}};
  spec.task.secrets = {SecretId{"x1"}, SecretId{"x2"}};
  spec.task.configs = {ConfigId{"c1"}};
  return spec;
}

TEST(ServiceSpec, ANewServiceIsReplicatedWithOneReplicaAndTheCoresPolicies) {
  manager::ServiceSpec spec = defaultSpec();
  EXPECT_EQ(spec.mode, manager::ServiceMode::REPLICATED);
  EXPECT_EQ(spec.replicas, 1);
  EXPECT_EQ(spec.restart, manager::RestartPolicy{});
  EXPECT_EQ(spec.update, manager::UpdatePolicy{});
}

TEST(ServiceSpec, NoChangesChangeNothing) {
  EXPECT_EQ(applyChanges(webSpec(), ServiceChanges{}), webSpec());
}

TEST(ServiceSpec, OnlyTheFieldsGivenChange) {
  ServiceChanges changes;
  changes.replicas = 5;
  changes.restartDelay = Duration::seconds(1);
  changes.updateParallelism = 0;
  manager::ServiceSpec expected = webSpec();
  expected.replicas = 5;
  expected.restart.delay = Duration::seconds(1);
  expected.update.parallelism = 0;
  EXPECT_EQ(applyChanges(webSpec(), changes), expected);

  ServiceChanges every;
  every.name = "api";
  every.restartCondition = manager::RestartCondition::NONE;
  every.restartMaxAttempts = 3;
  every.restartWindow = Duration::minutes(1);
  every.updateDelay = Duration::milliseconds(500);
  every.command = std::vector<std::string>{"/bin/echo", "a", "b"};
  manager::ServiceSpec changed = applyChanges(webSpec(), every);
  EXPECT_EQ(changed.name, "api");
  EXPECT_EQ(changed.restart.condition, manager::RestartCondition::NONE);
  EXPECT_EQ(changed.restart.maxAttempts, 3);
  EXPECT_EQ(changed.restart.window, Duration::minutes(1));
  EXPECT_EQ(changed.update.delay, Duration::milliseconds(500));
  EXPECT_EQ(changed.task.command, "/bin/echo");
  EXPECT_EQ(changed.task.args, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(changed.task.env, webSpec().task.env);
}

TEST(ServiceSpec, RemovalsComeBeforeAdditions) {
  ServiceChanges changes;
  changes.envRemove = {"A", "B", "missing"};
  changes.envSet = {{"A", "new"}, {"C", "3"}};
  changes.secretsRemove = {SecretId{"x1"}};
  changes.secretsAdd = {SecretId{"x1"}, SecretId{"x2"}, SecretId{"x3"}};
  changes.configsRemove = {ConfigId{"c1"}};
  manager::ServiceSpec spec = applyChanges(webSpec(), changes);
  EXPECT_EQ(spec.task.env, (std::map<std::string, std::string>{{"A", "new"}, {"C", "3"}}));
  // x2 is there already: not added twice; x1 removed then added: at the end.
  EXPECT_EQ(spec.task.secrets,
            (std::vector<SecretId>{SecretId{"x2"}, SecretId{"x1"}, SecretId{"x3"}}));
  EXPECT_TRUE(spec.task.configs.empty());
}

TEST(ServiceSpec, AServiceMadeGlobalTakesNoReplicas) {
  ServiceChanges changes;
  changes.mode = manager::ServiceMode::GLOBAL;
  manager::ServiceSpec spec = applyChanges(defaultSpec(), changes);
  EXPECT_EQ(spec.mode, manager::ServiceMode::GLOBAL);
  EXPECT_EQ(spec.replicas, 0);
  // Given anyway, the count reaches the manager, which refuses it.
  changes.replicas = 3;
  EXPECT_EQ(applyChanges(defaultSpec(), changes).replicas, 3);
}

TEST(ServiceSpec, ParsesModesConditionsEnvAndIntegers) {
  EXPECT_EQ(parseMode("global"), manager::ServiceMode::GLOBAL);
  EXPECT_EQ(parseMode("replicated"), manager::ServiceMode::REPLICATED);
  EXPECT_EQ(parseMode("Global"), std::nullopt);
  EXPECT_EQ(parseRestartCondition("on-failure"), manager::RestartCondition::ON_FAILURE);
  EXPECT_EQ(parseRestartCondition("any"), manager::RestartCondition::ANY);
  EXPECT_EQ(parseRestartCondition("none"), manager::RestartCondition::NONE);
  EXPECT_EQ(parseRestartCondition("always"), std::nullopt);
  using Pair = std::pair<std::string, std::string>;
  EXPECT_EQ(parseEnv("K=V"), Pair("K", "V"));
  EXPECT_EQ(parseEnv("K="), Pair("K", ""));
  EXPECT_EQ(parseEnv("K=a=b"), Pair("K", "a=b"));
  EXPECT_EQ(parseEnv("K"), std::nullopt);
  EXPECT_EQ(parseEnv("=V"), std::nullopt);
  EXPECT_EQ(parseInteger("3"), 3);
  EXPECT_EQ(parseInteger("-1"), -1);
  EXPECT_EQ(parseInteger(""), std::nullopt);
  EXPECT_EQ(parseInteger("3x"), std::nullopt);
  EXPECT_EQ(parseInteger(" 3"), std::nullopt);
  EXPECT_EQ(parseInteger("99999999999999999999"), std::nullopt);
}

TEST(ClusterInfoCodec, ReadsTheClusterAndRefusesOversizedFields) {
  capnp::MallocMessageBuilder message;
  auto builder = message.initRoot<schema::ClusterInfo>();
  builder.setId("k1");
  builder.setLeaderNodeId("n1");
  auto managers = builder.initManagers(1);
  managers[0].setNodeId("n1");
  managers[0].setAddress("127.0.0.1:4242");
  builder.setWorkerToken("SWMTKN-1-a-w");
  builder.setManagerToken("SWMTKN-1-a-m");
  io::Decoded<ClusterInfo> decoded = decodeClusterInfo(builder.asReader());
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  EXPECT_EQ(*decoded.value, (ClusterInfo{"k1",
                                         NodeId{"n1"},
                                         {Peer{NodeId{"n1"}, "127.0.0.1:4242"}},
                                         "SWMTKN-1-a-w",
                                         "SWMTKN-1-a-m"}));

  builder.setWorkerToken(std::string(JOIN_TOKEN_LENGTH_MAX + 1, 'x'));
  EXPECT_EQ(decodeClusterInfo(builder.asReader()).error,
            "cluster.workerToken: longer than 1024 bytes");
  builder.setWorkerToken("ok");
  builder.getManagers()[0].setAddress("");
  EXPECT_FALSE(decodeClusterInfo(builder.asReader()).ok());
  EXPECT_EQ(decodeClusterInfo(builder.asReader()).error.rfind("cluster.managers[0].", 0), 0u)
      << decodeClusterInfo(builder.asReader()).error;
}

}  // namespace
}  // namespace swarmlet::swarmctl
