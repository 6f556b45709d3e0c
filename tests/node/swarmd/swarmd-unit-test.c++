// Unit tests of swarmd's parts that need no cluster: the log line's two formats, and the state
// directory's lock and identity file on a real file system.
#include <gtest/gtest.h>
#include <kj/debug.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "node/swarmd/log.h"
#include "node/swarmd/state-dir.h"

namespace swarmlet::node {
namespace {

TEST(SwarmdLog, TextLinesQuoteOnlyWhatNeedsIt) {
  std::string line =
      formatLogLine(LogFormat::TEXT, "2026-12-02T14:50:01.123Z", LogLevel::INFO, "session opened",
                    {{"node.id", "abc"}, {"error", "say \"no\""}, {"empty", ""}});
  EXPECT_EQ(line,
            "time=2026-12-02T14:50:01.123Z level=info msg=\"session opened\" node.id=abc "
            "error=\"say \\\"no\\\"\" empty=\"\"");
  EXPECT_EQ(formatLogLine(LogFormat::TEXT, "t", LogLevel::WARN, "ready", {}),
            "time=t level=warn msg=ready");
}

TEST(SwarmdLog, JsonLinesAreOneObjectWithTheSameKeys) {
  std::string line = formatLogLine(LogFormat::JSON, "t", LogLevel::ERROR, "node status\nDOWN",
                                   {{"node.id", "n1"}, {"task.id", "t\"1"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["time"], "t");
  EXPECT_EQ(parsed["level"], "error");
  EXPECT_EQ(parsed["msg"], "node status\nDOWN");
  EXPECT_EQ(parsed["node.id"], "n1");
  EXPECT_EQ(parsed["task.id"], "t\"1");
}

TEST(SwarmdLog, LevelsAndFormatsParse) {
  EXPECT_EQ(parseLogLevel("debug"), LogLevel::DEBUG);
  EXPECT_EQ(parseLogLevel("warn"), LogLevel::WARN);
  EXPECT_EQ(parseLogLevel("loud"), std::nullopt);
  EXPECT_EQ(parseLogFormat("json"), LogFormat::JSON);
  EXPECT_EQ(parseLogFormat("xml"), std::nullopt);
}

class StateDirTest : public testing::Test {
 protected:
  StateDirTest() {
    std::string pattern = "/tmp/swarmd-unit-XXXXXX";
    KJ_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    base = pattern;
  }
  ~StateDirTest() override {
    std::error_code ignored;
    std::filesystem::remove_all(base, ignored);
  }
  std::string base;
};

TEST_F(StateDirTest, ASecondHolderIsRefusedNamingTheFirstsPid) {
  auto first = StateDir::lock(base + "/node");
  ASSERT_TRUE(std::holds_alternative<StateDir>(first)) << std::get<std::string>(first);
  struct stat info {};
  ASSERT_EQ(::stat((base + "/node").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  auto second = StateDir::lock(base + "/node");
  ASSERT_TRUE(std::holds_alternative<std::string>(second));
  const std::string& why = std::get<std::string>(second);
  EXPECT_NE(why.find("in use by another swarmd"), std::string::npos) << why;
  EXPECT_NE(why.find("pid " + std::to_string(::getpid())), std::string::npos) << why;
  // Released with its holder.
  { StateDir gone = std::move(std::get<StateDir>(first)); }
  EXPECT_TRUE(std::holds_alternative<StateDir>(StateDir::lock(base + "/node")));
}

TEST_F(StateDirTest, AMissingParentIsRefusedWithALine) {
  auto refused = StateDir::lock(base + "/no/such/parent");
  ASSERT_TRUE(std::holds_alternative<std::string>(refused));
  EXPECT_NE(std::get<std::string>(refused).find("cannot create the state directory"),
            std::string::npos);
}

TEST_F(StateDirTest, TheIdentityRoundTripsInAFileOnlyItsOwnerReads) {
  auto locked = StateDir::lock(base + "/node");
  ASSERT_TRUE(std::holds_alternative<StateDir>(locked));
  StateDir& dir = std::get<StateDir>(locked);
  auto none = dir.readIdentity();
  ASSERT_TRUE(std::holds_alternative<std::optional<Identity>>(none));
  EXPECT_FALSE(std::get<std::optional<Identity>>(none).has_value());

  Identity identity{"cluster",         NodeId{"node"},  std::string("\0\xff secret", 9),
                    NodeRole::MANAGER, false,           "127.0.0.1:4242",
                    "127.0.0.1:4243",  "10.0.0.1:4243", "host"};
  ASSERT_EQ(dir.saveIdentity(identity), std::nullopt);
  auto read = dir.readIdentity();
  ASSERT_TRUE(std::holds_alternative<std::optional<Identity>>(read)) << std::get<std::string>(read);
  EXPECT_EQ(std::get<std::optional<Identity>>(read), identity);
  struct stat info {};
  ASSERT_EQ(::stat(dir.identityFile().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(StateDirTest, ADamagedIdentityIsRefusedSayingWhatToDo) {
  auto locked = StateDir::lock(base + "/node");
  ASSERT_TRUE(std::holds_alternative<StateDir>(locked));
  StateDir& dir = std::get<StateDir>(locked);
  for (const char* text : {"not json", "{\"nodeId\": \"n\"}",
                           "{\"clusterId\":\"c\",\"nodeId\":\"n\",\"secret\":\"zz\","
                           "\"role\":\"worker\",\"leader\":false}"}) {
    std::ofstream(dir.identityFile()) << text;
    auto read = dir.readIdentity();
    ASSERT_TRUE(std::holds_alternative<std::string>(read)) << text;
    EXPECT_NE(std::get<std::string>(read).find("is damaged"), std::string::npos);
    EXPECT_NE(std::get<std::string>(read).find("join the node again"), std::string::npos);
  }
}

}  // namespace
}  // namespace swarmlet::node
