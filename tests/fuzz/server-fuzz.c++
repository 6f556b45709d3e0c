// Fuzzes the manager server's request handling (io/manager-server.h): one connection sends what
// the input says while another, well-behaved node holds a session. Whatever the fuzzed
// connection sends, the server must not crash, assert or hang, and the other node's heartbeat
// must still be answered. In-memory pipes, a manual timer and LevelDB's memory Env: no real time.
//
// The input's first byte picks what the fuzzed connection does with the rest:
//   0  raw bytes on the connection (the Cap'n Proto RPC stream itself);
//   1  a session call whose parameters are the rest, read as Dispatcher.session's params;
//   2  a status call on an opened session, its parameters read from the rest.
// SWARMLET_WRITE_SEEDS=DIR writes a few valid inputs to DIR (the committed corpus) and exits.
#include <capnp/message.h>
#include <capnp/rpc-twoparty.h>
#include <capnp/serialize.h>
#include <kj/async-io.h>
#include <kj/timer.h>
#include <leveldb/env.h>
#include <leveldb/helpers/memenv.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "io/codec-dispatcher.h"
#include "io/codec.h"
#include "io/manager-server.h"

namespace swarmlet::io {
namespace {

constexpr kj::Duration STEP = 50 * kj::MILLISECONDS;
constexpr int STEPS_MAX = 40;

class QuietSink final : public schema::SessionSink::Server {
 public:
  kj::Promise<void> message(MessageContext) override { return kj::READY_NOW; }
  kj::Promise<void> assignments(AssignmentsContext) override { return kj::READY_NOW; }
  kj::Promise<void> end(EndContext) override { return kj::READY_NOW; }
};

struct Loop {
  kj::EventLoop loop;
  kj::WaitScope waitScope{loop};
  kj::TimerImpl timer{kj::origin<kj::TimePoint>()};

  // Runs the loop, advancing the manual timer, until `promise` is ready (or the steps run out).
  template <typename T>
  bool settle(kj::Promise<T>& promise) {
    for (int step = 0; step < STEPS_MAX; ++step) {
      if (promise.poll(waitScope)) return true;
      timer.advanceTo(timer.now() + STEP);
    }
    return promise.poll(waitScope);
  }
};

Loop& loop() {
  static Loop* instance = new Loop;
  return *instance;
}

// A client of the server on one end of an in-memory pipe.
struct Client {
  explicit Client(ManagerServer& server) {
    auto pipe = kj::newTwoWayPipe();
    server.accept(kj::mv(pipe.ends[0]));
    stream = kj::mv(pipe.ends[1]);
    rpc = kj::heap<capnp::TwoPartyClient>(*stream);
    dispatcher = rpc->bootstrap().castAs<schema::Dispatcher>();
  }

  // Opens a session as `node`; returns its capability (null when refused).
  kj::Maybe<schema::Session::Client> open(const std::string& node, const std::string& secret) {
    auto request = dispatcher.sessionRequest();
    NodeDescription description;
    description.hostname = node;
    encode(request, shell::OpenSessionCall{{}, description});
    request.setSink(kj::heap<QuietSink>());
    request.initCredential().setNodeId(node);
    request.getCredential().setSecret(
        kj::arrayPtr(reinterpret_cast<const kj::byte*>(secret.data()), secret.size()));
    auto promise = request.send();
    if (!loop().settle(promise)) return nullptr;
    auto response = promise.wait(loop().waitScope);
    if (!response.getResult().isOpened()) return nullptr;
    return response.getResult().getOpened().getSession();
  }

  kj::Own<kj::AsyncIoStream> stream;
  kj::Own<capnp::TwoPartyClient> rpc;
  schema::Dispatcher::Client dispatcher = nullptr;
};

kj::Array<capnp::word> wordsOf(const uint8_t* bytes, size_t size) {
  auto words = kj::heapArray<capnp::word>(size / sizeof(capnp::word));
  memcpy(words.begin(), bytes, words.size() * sizeof(capnp::word));
  return words;
}

void fuzzedConnection(ManagerServer& server, const uint8_t* data, size_t size) {
  uint8_t mode = size > 0 ? data[0] % 3 : 0;
  const uint8_t* rest = size > 0 ? data + 1 : data;
  size_t restSize = size > 0 ? size - 1 : 0;
  if (mode == 0) {
    auto pipe = kj::newTwoWayPipe();
    server.accept(kj::mv(pipe.ends[0]));
    auto written =
        pipe.ends[1]->write(rest, restSize).then([&end = *pipe.ends[1]]() { end.shutdownWrite(); });
    loop().settle(written);
    return;
  }
  auto words = wordsOf(rest, restSize);
  Client client(server);
  // A malformed message throws while it is read: the server never sees the call then.
  kj::runCatchingExceptions([&]() {
    capnp::FlatArrayMessageReader reader(words, untrustedReaderOptions(1 << 16));
    if (mode == 1) {
      auto fuzzed = reader.getRoot<schema::Dispatcher::SessionParams>();
      auto request = client.dispatcher.sessionRequest();
      request.setOpen(fuzzed.getOpen());
      request.setCredential(fuzzed.getCredential());
      request.setSink(kj::heap<QuietSink>());
      auto promise = request.send().ignoreResult();
      loop().settle(promise);
    } else {
      auto fuzzed = reader.getRoot<schema::Session::UpdateTaskStatusParams>();
      KJ_IF_MAYBE (session, client.open("node-1", "secret-1")) {
        auto request = session->updateTaskStatusRequest();
        request.setBatch(fuzzed.getBatch());
        request.setUpdates(fuzzed.getUpdates());
        auto promise = request.send().ignoreResult();
        loop().settle(promise);
      }
    }
  });
}

void runOne(const uint8_t* data, size_t size) {
  std::unique_ptr<leveldb::Env> env(leveldb::NewMemEnv(leveldb::Env::Default()));
  auto db = LevelDbStore::open("/manager", StoreKind::MANAGER, StoreOptions{env.get()});
  KJ_REQUIRE(db.ok(), db.error().message);
  ManagerServerOptions options;
  options.listenAddress = "";
  options.store = db.value().get();
  options.seed = 1;
  options.heartbeatPeriod = Duration::seconds(1);
  options.managers = {Peer{NodeId{"manager-1"}, "127.0.0.1:4242"}};
  options.credentials = {{NodeId{"node-1"}, "secret-1"}, {NodeId{"node-2"}, "secret-2"}};
  auto opened = ManagerServer::open(loop().timer, kj::mv(options));
  KJ_REQUIRE(opened.ok(), opened.error().message);
  kj::Own<ManagerServer> server = kj::mv(opened.value());
  {
    Client good(*server);
    schema::Session::Client session = nullptr;
    KJ_IF_MAYBE (opened, good.open("node-2", "secret-2")) {
      session = *opened;
    } else {
      KJ_FAIL_ASSERT("the well-behaved node could not open its session");
    }
    fuzzedConnection(*server, data, size);
    // The other connection is undisturbed.
    auto beat = session.heartbeatRequest().send();
    KJ_ASSERT(loop().settle(beat), "the well-behaved node's heartbeat was not answered");
    // Answered, with a period or an RpcError: refused only when the fuzzed connection proved it
    // was node-2 too (the fuzzer can find the secret) and opened a newer session.
    auto answer = beat.wait(loop().waitScope);
    KJ_ASSERT(answer.isPeriod() || answer.isError(), "the heartbeat's answer is neither");
  }
  server = nullptr;
  loop().waitScope.poll();
}

void writeSeeds(const std::string& directory) {
  auto save = [&](const std::string& name, uint8_t mode, capnp::MessageBuilder& message) {
    kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
    std::ofstream out(directory + "/" + name, std::ios::binary);
    out.put(static_cast<char>(mode));
    out.write(words.asChars().begin(), static_cast<std::streamsize>(words.asChars().size()));
  };
  {
    capnp::MallocMessageBuilder message;
    auto params = message.initRoot<schema::Dispatcher::SessionParams>();
    params.initOpen().initDescription().setHostname("node-1");
    params.initCredential().setNodeId("node-1");
    params.getCredential().setSecret(
        kj::arrayPtr(reinterpret_cast<const kj::byte*>("secret-1"), 8));
    save("session-valid", 1, message);
    params.getCredential().setNodeId("node-2");
    save("session-wrong-secret", 1, message);
  }
  {
    capnp::MallocMessageBuilder message;
    auto params = message.initRoot<schema::Session::UpdateTaskStatusParams>();
    params.setBatch(1);
    auto updates = params.initUpdates(2);
    updates[0].setTaskId("t1");
    updates[0].initStatus().setState(512);
    updates[1].setTaskId("t2");
    updates[1].initStatus().setState(901);
    save("statuses", 2, message);
  }
  std::ofstream(directory + "/raw", std::ios::binary) << '\0' << "not a capnp stream";
}

}  // namespace
}  // namespace swarmlet::io

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (const char* seeds = std::getenv("SWARMLET_WRITE_SEEDS")) {
    swarmlet::io::writeSeeds(seeds);
    std::exit(0);
  }
  swarmlet::io::runOne(data, size);
  return 0;
}
