// Writes and checks the fuzz targets' seed corpus (tests/fuzz/corpus/<family>/): a few valid
// encoded messages of every kind, drawn by the codec tests' seeded generator, so that the
// fuzzers start from deep inside the valid space instead of from random bytes.
//
//   make-fuzz-corpus write DIR   (re)writes DIR/<family>/<message>-<n>.bin
//   make-fuzz-corpus check DIR   every file under DIR/<family>/ decodes as a message of its
//                                family, and every family has seeds
//
// The corpus is committed; rerun `write` after a schema change and commit the result.
#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "control.capnp.h"
#include "dispatcher.capnp.h"
#include "io/codec.h"
#include "io/record-codec.h"
#include "tests/fuzz/fuzz-decode.h"
#include "tests/io/codec-generator.h"

namespace swarmlet::io::fuzz {
namespace {

using testing::ValueGenerator;

constexpr uint64_t CORPUS_SEED = 0xF0221;
constexpr int SEEDS_PER_MESSAGE = 3;
// Seeds stay small, so that the fuzzer mutates structure rather than long strings.
constexpr size_t SEED_BYTES_MAX = 2048;
// Draws per seed before giving up on a small one.
constexpr int DRAWS_MAX = 200;

struct Kind {
  Family family;
  const char* name;
  std::function<kj::Array<capnp::word>(ValueGenerator&)> make;
};

template <typename Root, typename Fill>
kj::Array<capnp::word> message(Fill&& fill) {
  capnp::MallocMessageBuilder builder;
  fill(builder.initRoot<Root>());
  return capnp::messageToFlatArray(builder);
}

template <typename Root, typename T>
kj::Array<capnp::word> encoded(const T& value) {
  return message<Root>([&](typename Root::Builder root) { encode(root, value); });
}

std::vector<Kind> kinds() {
  using schema::Control;
  using schema::Dispatcher;
  using schema::SessionSink;
  const Family D = Family::DISPATCHER, C = Family::CONTROL, S = Family::STORAGE;
  return {
      {D, "session-call",
       [](ValueGenerator& g) {
         return message<Dispatcher::SessionParams>([&](Dispatcher::SessionParams::Builder b) {
           encode(b, g.openSessionCall());
           b.setSink(kj::heap<SessionSink::Server>());
         });
       }},
      {D, "session-result",
       [](ValueGenerator& g) {
         return message<schema::SessionResult>([&](schema::SessionResult::Builder b) {
           shell::SessionReply reply = g.sessionReply();
           encode(b, reply);
           if (!reply.error.has_value()) {
             b.getOpened().setSession(kj::heap<schema::Session::Server>());
           }
         });
       }},
      {D, "heartbeat-result",
       [](ValueGenerator& g) { return encoded<schema::HeartbeatResult>(g.heartbeatReply()); }},
      {D, "status-call",
       [](ValueGenerator& g) {
         return encoded<schema::Session::UpdateTaskStatusParams>(g.statusesCall(SessionId{"s"}));
       }},
      {D, "statuses-result",
       [](ValueGenerator& g) { return encoded<schema::StatusesResult>(g.statusesReply()); }},
      {D, "session-push",
       [](ValueGenerator& g) { return encoded<SessionSink::MessageParams>(g.sessionPush()); }},
      {D, "assignments-push",
       [](ValueGenerator& g) {
         return encoded<SessionSink::AssignmentsParams>(g.assignmentsPush());
       }},
      {D, "session-end",
       [](ValueGenerator& g) { return encoded<SessionSink::EndParams>(g.sessionEnd()); }},
      {C, "operation",
       [](ValueGenerator& g) { return encoded<schema::ControlOperation>(g.controlOperation()); }},
      {C, "result",
       [](ValueGenerator& g) { return encoded<schema::ControlResult>(g.controlAnswer()); }},
      {C, "task-filter",
       [](ValueGenerator& g) { return encoded<schema::TaskFilter>(g.taskFilter()); }},
      {C, "node-lookup",
       [](ValueGenerator& g) {
         return encoded<schema::NodeLookup>(Lookup<manager::NodeRecord>(g.nodeRecord()));
       }},
      {C, "service-lookup",
       [](ValueGenerator& g) {
         return encoded<schema::ServiceLookup>(Lookup<manager::ServiceRecord>(g.controlError()));
       }},
      {C, "ref",
       [](ValueGenerator& g) {
         return message<Control::InspectNodeParams>(
             [&](Control::InspectNodeParams::Builder b) { b.setRef(codec::asText(g.id())); });
       }},
      {C, "task-list",
       [](ValueGenerator& g) {
         return message<Control::ListTasksResults>([&](Control::ListTasksResults::Builder b) {
           std::vector<Task> tasks = {g.task(), g.task()};
           encodeAll<schema::Task>(b.initTasks(2), tasks);
         });
       }},
      {C, "secret-list",
       [](ValueGenerator& g) {
         return message<Control::ListSecretsResults>([&](Control::ListSecretsResults::Builder b) {
           std::vector<SecretInfo> secrets = {g.secretInfo()};
           encodeAll<schema::SecretInfo>(b.initSecrets(1), secrets);
         });
       }},
      {S, "stored-task", [](ValueGenerator& g) { return encodeStoredTask(g.storedTask()); }},
      {S, "managers", [](ValueGenerator& g) { return encodePeers(g.peers()); }},
      {S, "record", [](ValueGenerator& g) { return encodeManagerRecord(g.managerRecord()); }},
      {S, "store-meta", [](ValueGenerator& g) { return encodeStoreMeta(g.storeMeta()); }},
  };
}

const Family FAMILIES[] = {Family::DISPATCHER, Family::CONTROL, Family::STORAGE};

int write(const std::filesystem::path& root) {
  ValueGenerator generator(CORPUS_SEED);
  int written = 0;
  for (const Kind& kind : kinds()) {
    std::filesystem::path dir = root / familyName(kind.family);
    std::filesystem::create_directories(dir);
    for (int n = 0; n < SEEDS_PER_MESSAGE; ++n) {
      kj::Array<capnp::word> words = kind.make(generator);
      for (int draw = 1; draw < DRAWS_MAX && words.asBytes().size() > SEED_BYTES_MAX; ++draw) {
        words = kind.make(generator);
      }
      std::filesystem::path file =
          dir / (std::string(kind.name) + "-" + std::to_string(n) + ".bin");
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      auto bytes = words.asChars();
      out.write(bytes.begin(), static_cast<std::streamsize>(bytes.size()));
      if (!out) {
        std::fprintf(stderr, "make-fuzz-corpus: cannot write %s\n", file.c_str());
        return 1;
      }
      ++written;
    }
  }
  std::printf("make-fuzz-corpus: wrote %d seeds under %s\n", written, root.c_str());
  return 0;
}

int check(const std::filesystem::path& root) {
  int bad = 0, total = 0;
  for (Family family : FAMILIES) {
    std::filesystem::path dir = root / familyName(family);
    int seeds = 0;
    if (std::filesystem::is_directory(dir)) {
      for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        std::ifstream in(entry.path(), std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto words = wordsFromBytes(
            kj::arrayPtr(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size()));
        ++seeds;
        if (!words.ok() || decodeEveryMessage(family, *words.value) == 0) {
          std::fprintf(stderr, "make-fuzz-corpus: %s decodes as no %s message%s%s\n",
                       entry.path().c_str(), familyName(family), words.ok() ? "" : ": ",
                       words.error.c_str());
          ++bad;
        }
      }
    }
    if (seeds == 0) {
      std::fprintf(stderr, "make-fuzz-corpus: no seeds in %s\n", dir.c_str());
      ++bad;
    }
    total += seeds;
  }
  if (bad > 0) {
    std::fprintf(stderr,
                 "make-fuzz-corpus: %d problems; regenerate with `make-fuzz-corpus write %s`\n",
                 bad, root.c_str());
    return 1;
  }
  std::printf("make-fuzz-corpus: %d seeds decode\n", total);
  return 0;
}

}  // namespace
}  // namespace swarmlet::io::fuzz

int main(int argc, char** argv) {
  std::string mode = argc == 3 ? argv[1] : "";
  if (mode == "write") return swarmlet::io::fuzz::write(argv[2]);
  if (mode == "check") return swarmlet::io::fuzz::check(argv[2]);
  std::fprintf(stderr, "usage: make-fuzz-corpus write|check CORPUS_DIR\n");
  return 2;
}
