// The generic LevelDB layer (io/leveldb-store.h): how it opens a directory, and the one-line
// error for each way a directory can be unusable. Logic on LevelDB's memory Env; the lock and
// permission errors on the real file system, from this process and from a second one.
#include "io/leveldb-store.h"

#include <gtest/gtest.h>
#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>
#include <leveldb/write_batch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/record-codec.h"
#include "tests/io/store-test-util.h"

namespace swarmlet::io {
namespace {

const std::string MEM_DIR = "/mem/store";

class MemoryStoreTest : public ::testing::Test {
 protected:
  kj::Own<LevelDbStore> openOk() {
    auto opened = LevelDbStore::open(MEM_DIR, StoreKind::AGENT, options());
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    if (!opened.ok()) throw std::runtime_error(opened.error().message);
    return kj::mv(opened.value());
  }

  StoreError openFails() {
    auto opened = LevelDbStore::open(MEM_DIR, StoreKind::AGENT, options());
    EXPECT_FALSE(opened.ok());
    if (opened.ok()) return StoreError{StoreErrorKind::IO, "(opened)"};
    return opened.error();
  }

  void put(LevelDbStore& store, const std::string& key, const std::string& value) {
    leveldb::WriteBatch batch;
    batch.Put(key, value);
    auto failed = store.commit(batch);
    ASSERT_FALSE(failed.has_value()) << failed->message;
  }

  StoreOptions options() {
    StoreOptions result;
    result.env = env_.get();
    return result;
  }

  std::unique_ptr<leveldb::Env> env_{leveldb::NewMemEnv(leveldb::Env::Default())};
};

std::string bytesOf(const kj::Array<capnp::word>& words) {
  return std::string(words.asChars().begin(), words.asChars().size());
}

std::string metaBytes(uint32_t version, StoreKind kind) {
  StoreMeta meta;
  meta.schemaVersion = version;
  meta.kind = kind;
  return bytesOf(encodeStoreMeta(meta));
}

TEST_F(MemoryStoreTest, AFreshStoreRecordsItsLayoutVersionAndKind) {
  auto store = openOk();
  auto meta = store->get(STORE_META_KEY);
  ASSERT_TRUE(meta.ok());
  ASSERT_TRUE(meta.value().has_value());
  EXPECT_EQ(*meta.value(), metaBytes(STORE_SCHEMA_VERSION, StoreKind::AGENT));
  EXPECT_EQ(store->kind(), StoreKind::AGENT);
}

TEST_F(MemoryStoreTest, CommittedKeysSurviveAReopen) {
  {
    auto store = openOk();
    put(*store, "v1/a", "one");
  }
  auto store = openOk();
  auto value = store->get("v1/a");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value.value(), std::optional<std::string>("one"));
  auto missing = store->get("v1/b");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing.value().has_value());
}

TEST_F(MemoryStoreTest, ScanVisitsExactlyThePrefixInKeyOrder) {
  auto store = openOk();
  leveldb::WriteBatch batch;
  for (const char* key : {"v1/b/2", "v1/a", "v1/b/1", "v1/b", "v1/c", "v1/b/3"})
    batch.Put(key, std::string("value of ") + key);
  batch.Delete("v1/b/3");
  ASSERT_FALSE(store->commit(batch).has_value());
  std::vector<std::string> seen;
  auto failed = store->scan("v1/b/", [&](std::string_view key, std::string_view value) {
    EXPECT_EQ(value, "value of " + std::string(key));
    seen.emplace_back(key);
    return std::optional<StoreError>();
  });
  EXPECT_FALSE(failed.has_value());
  EXPECT_EQ(seen, (std::vector<std::string>{"v1/b/1", "v1/b/2"}));
}

TEST_F(MemoryStoreTest, ScanStopsAtTheVisitorsError) {
  auto store = openOk();
  put(*store, "v1/x/1", "a");
  put(*store, "v1/x/2", "b");
  int visits = 0;
  auto failed = store->scan("v1/x/", [&](std::string_view key, std::string_view) {
    ++visits;
    return std::optional<StoreError>(store->corruptRecord(key, "planted"));
  });
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(visits, 1);
  EXPECT_EQ(failed->kind, StoreErrorKind::CORRUPT);
  EXPECT_NE(failed->message.find("record v1/x/1 is damaged (planted)"), std::string::npos)
      << failed->message;
}

TEST_F(MemoryStoreTest, ANewerLayoutVersionIsRefusedWithWhatToDo) {
  {
    auto store = openOk();
    put(*store, std::string(STORE_META_KEY), metaBytes(STORE_SCHEMA_VERSION + 1, StoreKind::AGENT));
  }
  StoreError error = openFails();
  EXPECT_EQ(error.kind, StoreErrorKind::VERSION);
  EXPECT_EQ(error.message,
            "store " + MEM_DIR + ": " +
                *checkStoreMeta({STORE_SCHEMA_VERSION + 1, StoreKind::AGENT}, StoreKind::AGENT));
  EXPECT_NE(error.message.find("newer"), std::string::npos) << error.message;
}

TEST_F(MemoryStoreTest, AVersionZeroIsCorruption) {
  {
    // The codec refuses version 0 itself; an older layout is one below the current version,
    // which exists only once the layout changes.
    auto store = openOk();
    put(*store, std::string(STORE_META_KEY), metaBytes(0, StoreKind::AGENT));
  }
  StoreError error = openFails();
  EXPECT_EQ(error.kind, StoreErrorKind::CORRUPT);
  EXPECT_NE(error.message.find("record meta/version is damaged (schemaVersion: must not be 0)"),
            std::string::npos)
      << error.message;
}

TEST_F(MemoryStoreTest, TheOtherRolesStoreIsRefused) {
  { openOk(); }
  auto opened = LevelDbStore::open(MEM_DIR, StoreKind::MANAGER, options());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, StoreErrorKind::FOREIGN);
  EXPECT_EQ(opened.error().message,
            "store " + MEM_DIR + ": " +
                *checkStoreMeta({STORE_SCHEMA_VERSION, StoreKind::AGENT}, StoreKind::MANAGER));
}

TEST_F(MemoryStoreTest, AnUnreadableVersionIsCorruptionNamingTheKey) {
  {
    auto store = openOk();
    put(*store, std::string(STORE_META_KEY), std::string(16, '\xff'));
  }
  StoreError error = openFails();
  EXPECT_EQ(error.kind, StoreErrorKind::CORRUPT);
  EXPECT_EQ(error.message.rfind("store " + MEM_DIR + ": record meta/version is damaged (", 0), 0u)
      << error.message;
}

TEST_F(MemoryStoreTest, ADatabaseWithoutAVersionIsNotOurs) {
  {
    // Written by something else: LevelDB directly, no meta/version.
    leveldb::Options dbOptions;
    dbOptions.create_if_missing = true;
    dbOptions.env = env_.get();
    leveldb::DB* raw = nullptr;
    ASSERT_TRUE(leveldb::DB::Open(dbOptions, MEM_DIR, &raw).ok());
    std::unique_ptr<leveldb::DB> db(raw);
    ASSERT_TRUE(db->Put(leveldb::WriteOptions(), "users/1", "alice").ok());
  }
  StoreError error = openFails();
  EXPECT_EQ(error.kind, StoreErrorKind::FOREIGN);
  EXPECT_EQ(error.message, "store " + MEM_DIR +
                               ": holds a LevelDB database that swarmlet did not write (it has no "
                               "meta/version key); choose another state directory");
}

TEST_F(MemoryStoreTest, ADamagedManifestIsCorruption) {
  { openOk(); }
  std::vector<std::string> files;
  ASSERT_TRUE(env_->GetChildren(MEM_DIR, &files).ok());
  int damaged = 0;
  for (const std::string& file : files) {
    if (file.rfind("MANIFEST-", 0) != 0) continue;
    ASSERT_TRUE(
        leveldb::WriteStringToFile(env_.get(), std::string(200, '\x5a'), MEM_DIR + "/" + file)
            .ok());
    ++damaged;
  }
  ASSERT_EQ(damaged, 1);
  StoreError error = openFails();
  EXPECT_EQ(error.kind, StoreErrorKind::CORRUPT);
  EXPECT_EQ(error.message.rfind("store " + MEM_DIR + ": the database is damaged (Corruption: ", 0),
            0u)
      << error.message;
  EXPECT_EQ(error.message.find('\n'), std::string::npos);
}

TEST_F(MemoryStoreTest, ACurrentFileNamingNoManifestIsCorruption) {
  { openOk(); }
  ASSERT_TRUE(leveldb::WriteStringToFile(env_.get(), "garbage", MEM_DIR + "/CURRENT").ok());
  StoreError error = openFails();
  EXPECT_EQ(error.kind, StoreErrorKind::CORRUPT);
  EXPECT_NE(error.message.find("restore the directory from a backup"), std::string::npos);
}

TEST(PrintableKey, EscapesWhatATerminalWouldNotShow) {
  EXPECT_EQ(printableKey("v1/agent/task/abc"), "v1/agent/task/abc");
  EXPECT_EQ(printableKey(std::string("a\nb\\c\0\xff", 7)), "a\\x0ab\\x5cc\\x00\\xff");
}

// --- The real file system ------------------------------------------------------------------

std::string lockMessage(const std::string& dir) {
  return "store " + dir +
         ": another process is using it (another swarmd holds its LOCK file); stop that "
         "process, or choose another state directory";
}

TEST(RealStore, OpeningTwiceInOneProcessFailsClearly) {
  test::TempDir temp;
  const std::string dir = temp.path() + "/state";
  auto first = LevelDbStore::open(dir, StoreKind::AGENT);
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = LevelDbStore::open(dir, StoreKind::AGENT);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, StoreErrorKind::LOCKED);
  EXPECT_EQ(second.error().message, lockMessage(dir));
  // Closing the first frees the directory.
  first.value() = nullptr;
  EXPECT_TRUE(LevelDbStore::open(dir, StoreKind::AGENT).ok());
}

TEST(RealStore, ADirectoryHeldByAnotherProcessFailsClearly) {
  test::TempDir temp;
  const std::string dir = temp.path() + "/state";
  test::Child holder({test::helperPath("store-lock-helper"), "hold", dir});
  ASSERT_EQ(holder.readLine(), "held");
  auto opened = LevelDbStore::open(dir, StoreKind::AGENT);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, StoreErrorKind::LOCKED);
  EXPECT_EQ(opened.error().message, lockMessage(dir));
  holder.closeStdin();
  int status = holder.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // The holder is gone: the directory opens again.
  EXPECT_TRUE(LevelDbStore::open(dir, StoreKind::AGENT).ok());
}

TEST(RealStore, AnotherProcessIsRefusedWhileThisOneHoldsIt) {
  test::TempDir temp;
  const std::string dir = temp.path() + "/state";
  auto held = LevelDbStore::open(dir, StoreKind::AGENT);
  ASSERT_TRUE(held.ok()) << held.error().message;
  test::Child other({test::helperPath("store-lock-helper"), "open", dir});
  EXPECT_EQ(other.readLine(), "error LOCKED " + lockMessage(dir));
  int status = other.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

TEST(RealStore, ADirectoryThisUserMayNotUseFailsClearly) {
  test::TempDir temp;
  const std::string dir = temp.path() + "/state";
  ASSERT_TRUE(LevelDbStore::open(dir, StoreKind::AGENT).ok());
  ASSERT_EQ(chmod(dir.c_str(), 0), 0);
  std::string line;
  if (geteuid() == 0) {
    // Root ignores modes: ask a second process running as an ordinary user.
    test::Child other({test::helperPath("store-lock-helper"), "open-as-nobody", dir});
    line = other.readLine();
    other.wait();
  } else {
    auto opened = LevelDbStore::open(dir, StoreKind::AGENT);
    ASSERT_FALSE(opened.ok());
    line = "error " + std::string(storeErrorKindName(opened.error().kind)) + " " +
           opened.error().message;
  }
  EXPECT_EQ(line.rfind("error PERMISSION store " + dir + ": permission denied (", 0), 0u) << line;
  EXPECT_NE(line.find("run as the user that owns the directory, or fix its owner and mode"),
            std::string::npos)
      << line;
}

TEST(RealStore, AMissingParentDirectoryFailsClearly) {
  test::TempDir temp;
  const std::string dir = temp.path() + "/no/such/parent";
  auto opened = LevelDbStore::open(dir, StoreKind::AGENT);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, StoreErrorKind::IO);
  EXPECT_EQ(opened.error().message.rfind("store " + dir + ": cannot be created (", 0), 0u)
      << opened.error().message;
  EXPECT_NE(opened.error().message.find("check that its parent directory exists"),
            std::string::npos);
}

}  // namespace
}  // namespace swarmlet::io
