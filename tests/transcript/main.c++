// The transcript test binary: one GoogleTest test per file under the testdata directory given
// as the first argument, named after its path (Transcript.agent/backoff). The folder below
// testdata names the harness. Set TRANSCRIPT_REWRITE=1 to rewrite expected outputs in place;
// read every diff before committing it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>

#include "tests/transcript/agent-harness.h"
#include "tests/transcript/datadriven.h"
#include "tests/transcript/manager-harness.h"

namespace swarmlet::transcript {
namespace {

std::vector<std::vector<std::string>> runWithFreshHarness(const std::string& kind,
                                                          const Transcript& transcript) {
  if (kind == "agent" || kind == "agent-work") {
    AgentHarness harness;
    return runStanzas(transcript, [&](const Stanza& s) { return harness.handle(s); });
  }
  if (kind == "manager") {
    ManagerHarness harness;
    return runStanzas(transcript, [&](const Stanza& s) { return harness.handle(s); });
  }
  ADD_FAILURE() << "no harness for folder " << kind;
  return {};
}

std::string joinLines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines)
    text += "    " + line + "\n";
  return text;
}

class TranscriptTest : public testing::Test {
 public:
  TranscriptTest(std::string kind, std::string path)
      : kind_(std::move(kind)), path_(std::move(path)) {}

  void TestBody() override {
    Transcript transcript = parseTranscript(path_);
    auto outputs = runWithFreshHarness(kind_, transcript);
    // The same file run again from scratch must print the same thing: the core is deterministic.
    auto again = runWithFreshHarness(kind_, transcript);
    EXPECT_EQ(outputs, again) << path_ << ": two runs printed different output";
    ASSERT_EQ(outputs.size(), transcript.stanzas.size());
    bool rewrite = std::getenv("TRANSCRIPT_REWRITE") != nullptr;
    for (size_t i = 0; i < outputs.size(); ++i) {
      const Stanza& stanza = transcript.stanzas[i];
      for (const auto& line : outputs[i]) {
        if (line.rfind("VIOLATION:", 0) == 0) ADD_FAILURE_AT(path_.c_str(), stanza.line) << line;
      }
      if (!rewrite && outputs[i] != stanza.expected) {
        ADD_FAILURE_AT(path_.c_str(), stanza.line)
            << stanza.directive << ": output differs\n  expected:\n"
            << joinLines(stanza.expected) << "  actual:\n"
            << joinLines(outputs[i]);
      }
    }
    if (rewrite) rewriteTranscript(transcript, outputs);
  }

 private:
  std::string kind_;
  std::string path_;
};

void registerTranscripts(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == ".txt")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::filesystem::path relative = std::filesystem::relative(file, root);
    std::string kind = relative.begin()->string();
    std::string name = relative.replace_extension().generic_string();
    std::string path = file.string();
    testing::RegisterTest(
        "Transcript", name.c_str(), nullptr, nullptr, path.c_str(), 1,
        [kind, path]() -> testing::Test* { return new TranscriptTest(kind, path); });
  }
}

}  // namespace
}  // namespace swarmlet::transcript

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc != 2) {
    fprintf(stderr, "usage: %s TESTDATA_DIR [gtest flags]\n", argv[0]);
    return 2;
  }
  swarmlet::transcript::registerTranscripts(argv[1]);
  return RUN_ALL_TESTS();
}
