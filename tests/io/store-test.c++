// The agent's and the manager's stores on LevelDB's memory Env: every agent op means what
// applyStoreOp says (a seeded random op sequence, checked against applyStoreOp on a snapshot,
// across reopens, with both record sources), every manager write what the simulator's
// applyWrite says, and a record that cannot be used is refused with its key named.
#include <gtest/gtest.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>
#include <leveldb/write_batch.h>

#include <memory>
#include <string>
#include <vector>

#include "core/limits.h"
#include "io/agent-store.h"
#include "io/manager-store.h"
#include "io/record-codec.h"
#include "sim/cluster-store.h"
#include "tests/io/store-test-records.h"

namespace swarmlet::io {
namespace {

const std::string MEM_DIR = "/mem/state";

using agent::DeleteTask;
using agent::PutStatus;
using agent::PutTask;
using agent::SetAssigned;
using agent::StoreOp;
using agent::StoreSnapshot;

std::string bytesOf(const kj::Array<capnp::word>& words) {
  return std::string(words.asChars().begin(), words.asChars().size());
}

// A store directory in memory, reopened at will as a process restart would.
class MemoryStore {
 public:
  explicit MemoryStore(StoreKind kind = StoreKind::AGENT) : kind_(kind) { reopen(); }
  ~MemoryStore() noexcept = default;

  LevelDbStore& reopen() {
    db_ = nullptr;
    StoreOptions options;
    options.env = env_.get();
    auto opened = LevelDbStore::open(MEM_DIR, kind_, options);
    KJ_REQUIRE(opened.ok(), opened.error().message);
    db_ = kj::mv(opened.value());
    return *db_;
  }
  LevelDbStore& db() { return *db_; }

  // Writes raw bytes under `key`, as a damaged or foreign record would be.
  void plant(const std::string& key, const std::string& value) {
    leveldb::WriteBatch batch;
    batch.Put(key, value);
    KJ_REQUIRE(!db_->commit(batch).has_value());
  }

 private:
  StoreKind kind_;
  std::unique_ptr<leveldb::Env> env_{leveldb::NewMemEnv(leveldb::Env::Default())};
  kj::Own<LevelDbStore> db_;
};

// --- The agent store -----------------------------------------------------------------------

class AgentStoreTest : public ::testing::TestWithParam<AgentRecordSource> {
 protected:
  // kj::Own's destructor may throw; gtest's may not.
  ~AgentStoreTest() noexcept override { store_ = nullptr; }

  // Reopens the directory and restores a fresh AgentStore from it.
  AgentRestored restart() {
    store_ = nullptr;
    memory_.reopen();
    store_ = kj::heap<AgentStore>(memory_.db(), AgentStoreOptions{GetParam()});
    auto restored = store_->restore();
    KJ_REQUIRE(restored.ok(), restored.error().message);
    return kj::mv(restored.value());
  }

  void commit(const std::vector<StoreOp>& ops) {
    auto failed = store_->commit(ops);
    ASSERT_FALSE(failed.has_value()) << failed->message;
  }

  // A restore that must fail; its error.
  StoreError restoreFails() {
    store_ = nullptr;
    memory_.reopen();
    AgentStore fresh(memory_.db(), AgentStoreOptions{GetParam()});
    auto restored = fresh.restore();
    KJ_REQUIRE(!restored.ok(), "the store restored");
    return restored.error();
  }

  MemoryStore memory_;
  kj::Own<AgentStore> store_;
  test::RecordMaker make_{1};
};

// A random op whose precondition holds on `state`: PutTask on any of 40 ids, the others on an
// existing record.
StoreOp randomOp(test::RecordMaker& make, const StoreSnapshot& state) {
  uint64_t roll = make.below(100);
  if (state.empty() || roll < 30) return PutTask{make.task("t" + std::to_string(make.below(40)))};
  auto it = state.begin();
  std::advance(it, static_cast<long>(make.below(state.size())));
  const TaskId& id = it->first;
  if (roll < 45) return SetAssigned{id, make.chance(50)};
  if (roll < 90) return PutStatus{id, make.status()};
  return DeleteTask{id};
}

TEST_P(AgentStoreTest, RandomOpsMeanWhatApplyStoreOpSays) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    test::RecordMaker make(seed);
    StoreSnapshot model = restart().tasks;
    ASSERT_TRUE(model.empty() || seed > 1);
    size_t opsOfKind[4] = {};
    for (int commitIndex = 1; commitIndex <= 120; ++commitIndex) {
      std::vector<StoreOp> ops;
      StoreSnapshot next = model;
      for (uint64_t i = 0, n = 1 + make.below(12); i < n; ++i) {
        ops.push_back(randomOp(make, next));
        ASSERT_TRUE(agent::applyStoreOp(next, ops.back()));
        ++opsOfKind[ops.back().index()];
      }
      commit(ops);
      model = kj::mv(next);
      if (commitIndex % 20 == 0) {
        ASSERT_EQ(restart().tasks, model) << "seed " << seed << ", commit " << commitIndex;
      }
    }
    EXPECT_EQ(restart().tasks, model) << "seed " << seed;
    for (size_t count : opsOfKind)
      EXPECT_GT(count, 10u) << "seed " << seed << " hardly drew one of the op kinds";
  }
}

TEST_P(AgentStoreTest, PutTaskKeepsTheRecordsAssignedAndStatus) {
  restart();
  Task first = make_.task("a");
  first.status.state = TaskState::ASSIGNED;
  TaskStatus running = make_.status();
  running.state = TaskState::RUNNING;
  commit({PutTask{first}, SetAssigned{first.id, true}, PutStatus{first.id, running}});

  Task second = first;
  second.version = first.version + 1;
  second.spec.args.push_back("--verbose");
  commit({PutTask{second}});

  StoreSnapshot restored = restart().tasks;
  ASSERT_EQ(restored.size(), 1u);
  const agent::StoredTask& record = restored.at(first.id);
  EXPECT_EQ(record.task, agent::withoutStatus(second));
  EXPECT_TRUE(record.assigned);
  EXPECT_EQ(record.status, running);
}

TEST_P(AgentStoreTest, OpsOfOneCommitApplyInOrder) {
  restart();
  Task task = make_.task("a");
  TaskStatus status = make_.status();
  commit({PutTask{task}, PutStatus{task.id, status}, SetAssigned{task.id, true},
          DeleteTask{task.id}, PutTask{task}});
  StoreSnapshot restored = restart().tasks;
  ASSERT_EQ(restored.size(), 1u);
  // Recreated after the delete: neither the status nor the assignment came back.
  EXPECT_EQ(restored.at(task.id), (agent::StoredTask{agent::withoutStatus(task), false, {}}));

  commit({PutTask{make_.task("b")}, DeleteTask{TaskId{"b"}}});
  EXPECT_EQ(restart().tasks.count(TaskId{"b"}), 0u);
}

TEST_P(AgentStoreTest, AnOpOnAMissingRecordWritesNothingOfItsCommit) {
  restart();
  Task task = make_.task("a");
  EXPECT_THROW((void)store_->commit({PutTask{task}, PutStatus{TaskId{"missing"}, make_.status()}}),
               kj::Exception);
  EXPECT_THROW((void)store_->commit({SetAssigned{task.id, true}}), kj::Exception);
  EXPECT_THROW((void)store_->commit({DeleteTask{task.id}}), kj::Exception);
  EXPECT_TRUE(restart().tasks.empty());
}

TEST_P(AgentStoreTest, CommitBeforeRestoreIsACallerBug) {
  AgentStore fresh(memory_.db(), AgentStoreOptions{GetParam()});
  EXPECT_THROW((void)fresh.commit({PutTask{make_.task("a")}}), kj::Exception);
}

TEST_P(AgentStoreTest, TheManagerListIsSavedAndReplaced) {
  EXPECT_TRUE(restart().managers.empty());
  const std::vector<Peer> first = {{NodeId{"m1"}, "10.0.0.1:4242"}, {NodeId{}, "join:4242"}};
  ASSERT_FALSE(store_->saveManagers(first).has_value());
  EXPECT_EQ(restart().managers, first);
  const std::vector<Peer> second = {{NodeId{"m2"}, "10.0.0.2:4242"}};
  ASSERT_FALSE(store_->saveManagers(second).has_value());
  AgentRestored restored = restart();
  EXPECT_EQ(restored.managers, second);
  EXPECT_TRUE(restored.tasks.empty());
}

TEST_P(AgentStoreTest, ARecordThatDoesNotDecodeIsRefusedByKey) {
  restart();
  memory_.plant(agentTaskKey(TaskId{"x"}), std::string(16, '\xff'));
  StoreError error = restoreFails();
  EXPECT_EQ(error.kind, StoreErrorKind::CORRUPT);
  EXPECT_EQ(error.message.rfind("store " + MEM_DIR + ": record v1/agent/task/x is damaged (", 0),
            0u)
      << error.message;
}

TEST_P(AgentStoreTest, ARecordOfPartialWordsIsRefusedByKey) {
  restart();
  memory_.plant(agentTaskKey(TaskId{"x\n"}), "abc");
  StoreError error = restoreFails();
  EXPECT_EQ(error.kind, StoreErrorKind::CORRUPT);
  EXPECT_NE(error.message.find("record v1/agent/task/x\\x0a is damaged (3 bytes are not a whole "
                               "number of 8-byte words"),
            std::string::npos)
      << error.message;
}

TEST_P(AgentStoreTest, ARecordUnderAnotherTasksKeyIsRefused) {
  restart();
  agent::StoredTask record{agent::withoutStatus(make_.task("a")), true, make_.status()};
  memory_.plant(agentTaskKey(TaskId{"b"}), bytesOf(encodeStoredTask(record)));
  StoreError error = restoreFails();
  EXPECT_EQ(error.kind, StoreErrorKind::CORRUPT);
  EXPECT_NE(error.message.find("record v1/agent/task/b is damaged (it holds task a, not its "
                               "key's)"),
            std::string::npos)
      << error.message;
}

TEST_P(AgentStoreTest, ADamagedManagerListIsRefusedByKey) {
  restart();
  memory_.plant(std::string(AGENT_MANAGERS_KEY), std::string(24, '\x7f'));
  StoreError error = restoreFails();
  EXPECT_EQ(error.kind, StoreErrorKind::CORRUPT);
  EXPECT_NE(error.message.find("record v1/agent/managers is damaged ("), std::string::npos)
      << error.message;
}

TEST_P(AgentStoreTest, MoreTasksThanAnAgentHoldsAreRefused) {
  restart();
  leveldb::WriteBatch batch;
  for (size_t i = 0; i <= limits::TASKS_MAX; ++i) {
    Task task;
    task.id = TaskId{"t" + std::to_string(i)};
    batch.Put(agentTaskKey(task.id), bytesOf(encodeStoredTask({task, true, {}})));
  }
  ASSERT_FALSE(memory_.db().commit(batch, false).has_value());
  StoreError error = restoreFails();
  EXPECT_EQ(error.kind, StoreErrorKind::CORRUPT);
  EXPECT_NE(error.message.find("more than 100000 task records"), std::string::npos)
      << error.message;
}

INSTANTIATE_TEST_SUITE_P(BothRecordSources, AgentStoreTest,
                         ::testing::Values(AgentRecordSource::CACHE, AgentRecordSource::READ),
                         [](const auto& info) {
                           return info.param == AgentRecordSource::CACHE ? "Cache" : "Read";
                         });

TEST(AgentStoreRead, ACommitThatReadsADamagedRecordFailsNamingIt) {
  MemoryStore memory;
  AgentStore store(memory.db(), AgentStoreOptions{AgentRecordSource::READ});
  ASSERT_TRUE(store.restore().ok());
  memory.plant(agentTaskKey(TaskId{"x"}), std::string(8, '\0'));
  test::RecordMaker make(1);
  auto failed = store.commit({PutTask{make.task("x")}});
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->kind, StoreErrorKind::CORRUPT);
  EXPECT_NE(failed->message.find("record v1/agent/task/x is damaged ("), std::string::npos)
      << failed->message;
}

// --- The manager store ---------------------------------------------------------------------

constexpr manager::RecordKind KINDS[] = {manager::RecordKind::NODE, manager::RecordKind::SERVICE,
                                         manager::RecordKind::TASK, manager::RecordKind::SECRET,
                                         manager::RecordKind::CONFIG};

manager::StoreSnapshot restoreManager(MemoryStore& memory) {
  ManagerStore store(memory.reopen());
  auto restored = store.restore();
  KJ_REQUIRE(restored.ok(), restored.error().message);
  return kj::mv(restored.value());
}

StoreError managerRestoreFails(MemoryStore& memory) {
  ManagerStore store(memory.reopen());
  auto restored = store.restore();
  KJ_REQUIRE(!restored.ok(), "the manager store restored");
  return restored.error();
}

TEST(ManagerStoreTest, RandomWritesMeanWhatTheSimulatorsApplyWriteSays) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    MemoryStore memory(StoreKind::MANAGER);
    test::RecordMaker make(seed);
    manager::ClusterState model;
    size_t puts = 0;
    size_t deletes = 0;
    for (int commitIndex = 1; commitIndex <= 100; ++commitIndex) {
      std::vector<manager::Write> writes;
      for (uint64_t i = 0, n = 1 + make.below(10); i < n; ++i) {
        manager::RecordKind kind = KINDS[make.below(std::size(KINDS))];
        std::string id = "r" + std::to_string(make.below(8));
        if (make.chance(75)) {
          writes.push_back(manager::Put{make.record(kind, id)});
          ++puts;
        } else {
          writes.push_back(manager::Delete{kind, id});
          ++deletes;
        }
        sim::applyWrite(model, writes.back());
      }
      ManagerStore store(memory.db());
      auto failed = store.commit(writes);
      ASSERT_FALSE(failed.has_value()) << failed->message;
      if (commitIndex % 25 == 0) {
        ASSERT_EQ(restoreManager(memory), sim::snapshotOf(model))
            << "seed " << seed << ", commit " << commitIndex;
      }
    }
    manager::StoreSnapshot restored = restoreManager(memory);
    EXPECT_EQ(restored, sim::snapshotOf(model)) << "seed " << seed;
    EXPECT_FALSE(restored.nodes.empty() || restored.services.empty() || restored.tasks.empty() ||
                 restored.secrets.empty() || restored.configs.empty());
    EXPECT_GT(deletes, 50u);
    EXPECT_GT(puts, 200u);
  }
}

TEST(ManagerStoreTest, ARecordThatDoesNotDecodeIsRefusedByKey) {
  MemoryStore memory(StoreKind::MANAGER);
  memory.plant(managerRecordKey(manager::RecordKind::SERVICE, "s1"), std::string(32, '\x01'));
  StoreError error = managerRestoreFails(memory);
  EXPECT_EQ(error.kind, StoreErrorKind::CORRUPT);
  EXPECT_EQ(
      error.message.rfind("store " + MEM_DIR + ": record v1/manager/service/s1 is damaged (", 0),
      0u)
      << error.message;
}

TEST(ManagerStoreTest, ARecordOfAnotherKindThanItsKeyIsRefused) {
  MemoryStore memory(StoreKind::MANAGER);
  test::RecordMaker make(1);
  memory.plant(managerRecordKey(manager::RecordKind::TASK, "n1"),
               bytesOf(encodeManagerRecord(make.node("n1"))));
  StoreError error = managerRestoreFails(memory);
  EXPECT_EQ(error.kind, StoreErrorKind::CORRUPT);
  EXPECT_NE(error.message.find("record v1/manager/task/n1 is damaged (it holds the node n1, not "
                               "its key's)"),
            std::string::npos)
      << error.message;
}

TEST(ManagerStoreTest, AKeyOfNoRecordKindIsRefused) {
  for (const char* key : {"v1/manager/bogus/x", "v1/manager/task"}) {
    MemoryStore memory(StoreKind::MANAGER);
    memory.plant(key, std::string(8, '\0'));
    StoreError error = managerRestoreFails(memory);
    EXPECT_EQ(error.kind, StoreErrorKind::CORRUPT);
    EXPECT_NE(error.message.find("record " + std::string(key) +
                                 " is damaged (not a key of any record kind)"),
              std::string::npos)
        << error.message;
  }
}

TEST(StoreKinds, EachStoreRequiresItsKindOfDirectory) {
  MemoryStore agentDirectory(StoreKind::AGENT);
  EXPECT_THROW(ManagerStore{agentDirectory.db()}, kj::Exception);
  MemoryStore managerDirectory(StoreKind::MANAGER);
  EXPECT_THROW(AgentStore{managerDirectory.db()}, kj::Exception);
}

}  // namespace
}  // namespace swarmlet::io
