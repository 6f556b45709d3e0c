// swarmctl's output: the table renderer, the contract's tables and JSON keys, the inspect text,
// and the views they are computed from (node/swarmctl/{table,format-*,views}.h).
#include <gtest/gtest.h>

#include "node/swarmctl/format-json.h"
#include "node/swarmctl/format-table.h"
#include "node/swarmctl/format-text.h"
#include "node/swarmctl/table.h"
#include "node/swarmctl/views.h"

namespace swarmlet::swarmctl {
namespace {

manager::NodeRecord nodeRecord(const std::string& id, const std::string& hostname, NodeRole role,
                               manager::NodeStatus status) {
  manager::NodeRecord node;
  node.id = NodeId{id};
  node.description.hostname = hostname;
  node.description.platform = "linux/amd64";
  node.description.cpus = 1500;
  node.description.memoryBytes = 1 << 30;
  node.description.labels = {{"zone", "a"}};
  node.status = status;
  node.role = role;
  node.desiredRole = role;
  node.version = 7;
  return node;
}

manager::ServiceRecord serviceRecord(const std::string& id, const std::string& name,
                                     int64_t replicas) {
  manager::ServiceRecord service;
  service.id = ServiceId{id};
  service.spec.name = name;
  service.spec.replicas = replicas;
  service.spec.task.command = "/bin/sleep";
  service.spec.task.args = {"100"};
  service.version = 3;
  return service;
}

Task task(const std::string& id, const std::string& service, uint64_t slot, const std::string& node,
          TaskState desired, TaskState current) {
  Task task;
  task.id = TaskId{id};
  task.serviceId = ServiceId{service};
  task.slot = slot;
  task.nodeId = NodeId{node};
  task.desiredState = desired;
  task.status.state = current;
  task.version = 2;
  return task;
}

TEST(Table, ColumnsAreSeparatedByTwoSpacesAtLeastWithoutTrailingSpaces) {
  Table table{{"ID", "NAME", "LAST"}, {{"a", "longer name", ""}, {"abcdef", "x", "z"}}};
  EXPECT_EQ(table.render(),
            "ID      NAME         LAST\n"
            "a       longer name\n"
            "abcdef  x            z\n");
}

TEST(Table, WidthsCountCharactersAndControlCharactersPrintAsSpaces) {
  Table table{{"A", "B"}, {{"h\xC3\xA9llo", "x"}, {"two\nlines", "y"}}};
  EXPECT_EQ(table.render(),
            "A          B\n"
            "h\xC3\xA9llo      x\n"
            "two lines  y\n");
  EXPECT_EQ(displayWidth("h\xC3\xA9llo"), 5u);
  EXPECT_EQ(printable("a\tb\x7f"), "a b ");
}

TEST(Table, AnEmptyTableIsItsHeader) {
  EXPECT_EQ(nodeTable({}).render(), "ID  HOSTNAME  STATUS  AVAILABILITY  MANAGER STATUS\n");
  EXPECT_EQ(serviceTable({}).render(), "ID  NAME  MODE  REPLICAS  COMMAND\n");
  EXPECT_EQ(taskTable({}).render(), "ID  NAME  NODE  DESIRED STATE  CURRENT STATE  MESSAGE\n");
  EXPECT_EQ(secretTable({}).render(), "ID  NAME  SIZE\n");
  EXPECT_EQ(configTable({}).render(), "ID  NAME  SIZE\n");
}

TEST(Views, ManagerStatusIsLeaderReachableUnreachableOrEmpty) {
  ClusterInfo cluster{"cluster-1", NodeId{"n1"}, {}, "", ""};
  auto leader = nodeRecord("n1", "one", NodeRole::MANAGER, manager::NodeStatus::READY);
  auto reachable = nodeRecord("n2", "two", NodeRole::MANAGER, manager::NodeStatus::READY);
  auto unreachable = nodeRecord("n3", "three", NodeRole::MANAGER, manager::NodeStatus::DOWN);
  auto worker = nodeRecord("n4", "four", NodeRole::WORKER, manager::NodeStatus::READY);
  EXPECT_EQ(managerStatus(leader, cluster), "Leader");
  EXPECT_EQ(managerStatus(reachable, cluster), "Reachable");
  EXPECT_EQ(managerStatus(unreachable, cluster), "Unreachable");
  EXPECT_EQ(managerStatus(worker, cluster), "");
  // Without the cluster (a swarmd without inspectCluster), nobody has one.
  EXPECT_EQ(managerStatus(leader, std::nullopt), "");

  std::vector<NodeView> views = nodeViews({worker, unreachable, leader, reachable}, cluster);
  EXPECT_EQ(nodeTable(views).render(),
            "ID  HOSTNAME  STATUS  AVAILABILITY  MANAGER STATUS\n"
            "n4  four      READY   ACTIVE\n"
            "n1  one       READY   ACTIVE        Leader\n"
            "n3  three     DOWN    ACTIVE        Unreachable\n"
            "n2  two       READY   ACTIVE        Reachable\n");
}

TEST(Views, ReplicasCountRunningTasksTheServiceWantsRunning) {
  auto web = serviceRecord("s1", "web", 3);
  std::vector<Task> tasks = {
      task("t1", "s1", 1, "n1", TaskState::RUNNING, TaskState::RUNNING),
      task("t2", "s1", 2, "n1", TaskState::RUNNING, TaskState::STARTING),
      // Being shut down while still running: not counted.
      task("t3", "s1", 3, "n1", TaskState::SHUTDOWN, TaskState::RUNNING),
      task("t4", "s2", 1, "n1", TaskState::RUNNING, TaskState::RUNNING),
  };
  ServiceView view = serviceView(web, tasks);
  EXPECT_EQ(view.desired, 3);
  EXPECT_EQ(view.running, 1);

  auto global = serviceRecord("s2", "agents", 0);
  global.spec.mode = manager::ServiceMode::GLOBAL;
  std::vector<Task> globalTasks = {
      task("t5", "s2", 0, "n1", TaskState::RUNNING, TaskState::RUNNING),
      task("t6", "s2", 0, "n2", TaskState::RUNNING, TaskState::PENDING)};
  EXPECT_EQ(serviceView(global, globalTasks).desired, 2);
  EXPECT_EQ(serviceView(global, globalTasks).running, 1);

  EXPECT_EQ(serviceTable(serviceViews({web, global}, tasks)).render(),
            "ID  NAME    MODE        REPLICAS  COMMAND\n"
            "s2  agents  global      1/1       /bin/sleep 100\n"
            "s1  web     replicated  1/3       /bin/sleep 100\n");
}

TEST(Views, TasksAreNamedBySlotOrNodeAndShowTheirNodesHostname) {
  auto web = serviceRecord("s1", "web", 2);
  auto global = serviceRecord("s2", "agents", 0);
  global.spec.mode = manager::ServiceMode::GLOBAL;
  auto node = nodeRecord("n1", "host-1", NodeRole::WORKER, manager::NodeStatus::READY);
  Task failed = task("t0", "s1", 1, "n1", TaskState::SHUTDOWN, TaskState::FAILED);
  failed.status.message = "started";
  failed.status.error = "exit status 2";
  std::vector<Task> tasks = {
      task("t2", "s1", 2, "", TaskState::RUNNING, TaskState::PENDING),
      task("t1", "s1", 1, "n1", TaskState::RUNNING, TaskState::RUNNING),
      failed,
      task("t3", "s2", 0, "n1", TaskState::RUNNING, TaskState::RUNNING),
      // The task of a removed service on a node that left.
      task("t4", "s9", 1, "n9", TaskState::SHUTDOWN, TaskState::SHUTDOWN),
  };
  EXPECT_EQ(taskTable(taskViews(tasks, {web, global}, {node})).render(),
            "ID  NAME       NODE    DESIRED STATE  CURRENT STATE  MESSAGE\n"
            "t3  agents.n1  host-1  RUNNING        RUNNING\n"
            "t4  s9.1       n9      SHUTDOWN       SHUTDOWN\n"
            "t1  web.1      host-1  RUNNING        RUNNING\n"
            "t0  web.1      host-1  SHUTDOWN       FAILED         started: exit status 2\n"
            "t2  web.2              RUNNING        PENDING\n");
  std::vector<Candidate> candidates = taskCandidates(tasks, {web, global});
  EXPECT_EQ(resolve(candidates, "web.1"), (std::variant<std::string, Unresolved>("t1")));
}

TEST(Json, NodeKeysAreTheContracts) {
  auto node = nodeRecord("n1", "one", NodeRole::MANAGER, manager::NodeStatus::READY);
  node.statusMessage = "heartbeating";
  Json json = nodeJson(NodeView{node, "Leader"});
  EXPECT_EQ(render(json),
            R"({
  "id": "n1",
  "hostname": "one",
  "status": "READY",
  "statusMessage": "heartbeating",
  "availability": "ACTIVE",
  "role": "manager",
  "desiredRole": "manager",
  "managerStatus": "Leader",
  "platform": "linux/amd64",
  "cpus": 1.5,
  "memoryBytes": 1073741824,
  "labels": {
    "zone": "a"
  },
  "version": 7
}
)");
  node.description.cpus = 2000;
  EXPECT_EQ(nodeJson(NodeView{node, ""})["cpus"], 2);
}

TEST(Json, ServiceKeysAreTheContractsWithDurationsAsStrings) {
  auto service = serviceRecord("s1", "web", 3);
  service.spec.task.env = {{"A", "1"}};
  service.spec.task.secrets = {SecretId{"x1"}};
  service.spec.task.configs = {ConfigId{"c1"}, ConfigId{"c2"}};
  service.spec.restart.condition = manager::RestartCondition::ON_FAILURE;
  service.spec.restart.delay = Duration::milliseconds(1500);
  service.spec.restart.maxAttempts = 4;
  service.spec.update.parallelism = 2;
  service.spec.update.delay = Duration::seconds(90);
  Json json = serviceJson(ServiceView{service, 3, 2});
  EXPECT_EQ(json.dump(),
            R"({"id":"s1","name":"web","mode":"replicated","replicas":3,)"
            R"("runningTasks":2,"command":"/bin/sleep","args":["100"],"env":{"A":"1"},)"
            R"("secrets":["x1"],"configs":["c1","c2"],"restart":{"condition":)"
            R"("on-failure","delay":"1.5s","maxAttempts":4,"window":"0s"},)"
            R"("update":{"parallelism":2,"delay":"90s"},"version":3})");
}

TEST(Json, TaskKeysAreTheContractsAndExitCodeIsNullWhenNone) {
  auto web = serviceRecord("s1", "web", 1);
  Task running = task("t1", "s1", 1, "n1", TaskState::RUNNING, TaskState::RUNNING);
  running.status.message = "started";
  std::vector<TaskView> views = taskViews({running}, {web}, {});
  EXPECT_EQ(taskJson(views[0]).dump(),
            R"({"id":"t1","name":"web.1","serviceId":"s1","serviceName":"web","slot":1,)"
            R"("nodeId":"n1","desiredState":"RUNNING","currentState":"RUNNING","message":)"
            R"("started","error":"","exitCode":null,"version":2})");
  running.status.exitCode = 3;
  EXPECT_EQ(taskJson(taskViews({running}, {web}, {})[0])["exitCode"], 3);
}

TEST(Json, SecretConfigClusterAndIdKeys) {
  EXPECT_EQ(secretJson(io::SecretInfo{SecretId{"x1"}, "password", 12}).dump(),
            R"({"id":"x1","name":"password","size":12})");
  EXPECT_EQ(configJson(io::ConfigInfo{ConfigId{"c1"}, "conf", 0}).dump(),
            R"({"id":"c1","name":"conf","size":0})");
  ClusterInfo cluster{
      "k1", NodeId{"n1"}, {Peer{NodeId{"n1"}, "127.0.0.1:4242"}}, "SWMTKN-1-a-w", "SWMTKN-1-a-m"};
  EXPECT_EQ(clusterJson(cluster).dump(),
            R"({"id":"k1","leader":"n1","managers":[{"nodeId":"n1","address":"127.0.0.1:4242"}],)"
            R"("tokens":{"worker":"SWMTKN-1-a-w","manager":"SWMTKN-1-a-m"}})");
  EXPECT_EQ(render(idJson("s1")), "{\n  \"id\": \"s1\"\n}\n");
}

TEST(Json, BytesThatAreNotUtf8DoNotBreakTheOutput) {
  EXPECT_EQ(render(Json("a\xff")), "\"a\xEF\xBF\xBD\"\n");
}

TEST(Text, ClusterInspectPrintsTheContractsLines) {
  ClusterInfo cluster{"k1",
                      NodeId{"n1"},
                      {Peer{NodeId{"n1"}, "127.0.0.1:4242"}, Peer{NodeId{"n2"}, "10.0.0.2:4242"}},
                      "SWMTKN-1-a-w",
                      "SWMTKN-1-a-m"};
  EXPECT_EQ(clusterText(cluster),
            "ID: k1\n"
            "Leader: n1\n"
            "Managers:\n"
            "  n1 127.0.0.1:4242\n"
            "  n2 10.0.0.2:4242\n"
            "Worker token: SWMTKN-1-a-w\n"
            "Manager token: SWMTKN-1-a-m\n");
}

TEST(Text, ServiceAndNodeInspectShowTheirFields) {
  auto service = serviceRecord("s1", "web", 2);
  service.spec.task.env = {{"A", "1"}};
  std::string text = serviceText(ServiceView{service, 2, 1});
  EXPECT_NE(text.find("ID: s1\nName: web\nMode: replicated\nReplicas: 1/2\n"
                      "Command: /bin/sleep 100\nEnv:\n  A=1\nSecrets:\nConfigs:\n"
                      "Restart condition: any\nRestart delay: 5s\n"),
            std::string::npos)
      << text;
  auto node = nodeRecord("n1", "one", NodeRole::WORKER, manager::NodeStatus::DOWN);
  std::string nodeLines = nodeText(NodeView{node, ""});
  EXPECT_NE(nodeLines.find("Status: DOWN\n"), std::string::npos) << nodeLines;
  EXPECT_NE(nodeLines.find("CPUs: 1.5\n"), std::string::npos) << nodeLines;
  EXPECT_NE(nodeLines.find("Labels:\n  zone=a\n"), std::string::npos) << nodeLines;
}

}  // namespace
}  // namespace swarmlet::swarmctl
