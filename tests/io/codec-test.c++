// The codec (io/codec*.h, io/record-codec.h): every value a core holds survives encoding,
// serialisation to bytes and decoding unchanged (a seeded property over thousands of generated
// values), and every class of bad input is refused with one line naming the field: unknown enum
// values and union members, over-long or malformed ids and texts, too many list entries, a
// heartbeat period out of range, missing required fields, truncated and garbage bytes.
#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/format.h"
#include "io/codec.h"
#include "io/record-codec.h"
#include "storage.capnp.h"
#include "tests/io/codec-generator.h"

namespace swarmlet::io {
namespace {

using testing::ValueGenerator;

// Values per kind in the round-trip property; SWARMLET_CODEC_VALUES=N runs a longer sweep.
// Under the sanitizers (about 40x slower) a quarter of them.
int valuesPerKind() {
  const char* text = std::getenv("SWARMLET_CODEC_VALUES");
  if (text != nullptr) return std::atoi(text);
  return std::getenv("SWARMLET_SANITIZED") != nullptr ? 500 : 2000;
}

constexpr uint64_t SEED = 0xC0DEC;

// A stable stream number for each kind of value (FNV-1a), so that kinds draw independently.
uint64_t streamOf(const char* kind) {
  uint64_t hash = 14695981039346656037u;
  for (const char* c = kind; *c != 0; ++c)
    hash = (hash ^ static_cast<unsigned char>(*c)) * 1099511628211u;
  return hash;
}

// `value` encoded into a fresh message as a `Schema`, serialised to flat-array words, read back
// as untrusted bytes and decoded with `decode`.
template <typename Schema, typename T, typename Decode>
Decoded<T> throughBytes(const T& value, Decode&& decode) {
  capnp::MallocMessageBuilder message;
  encode(message.initRoot<Schema>(), value);
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  Decoded<kj::Array<capnp::word>> aligned = wordsFromBytes(bytes);
  KJ_ASSERT(aligned.ok(), aligned.error);
  return decodeMessage<Schema, T>("test", *aligned.value, limits::MESSAGE_TRAVERSAL_LIMIT_WORDS,
                                  decode);
}

// Runs `count` generated values of one kind through `roundTrip` and expects each to come back
// equal. `describe` prints a value for the failure message.
template <typename T, typename Make, typename RoundTrip>
void expectRoundTrips(const char* kind, Make&& make, RoundTrip&& roundTrip) {
  ValueGenerator generator(Prng::deriveSeed(SEED, streamOf(kind)));
  int count = valuesPerKind();
  for (int i = 0; i < count; ++i) {
    T value = make(generator);
    Decoded<T> decoded = roundTrip(value);
    ASSERT_TRUE(decoded.ok()) << kind << " #" << i << ": " << decoded.error;
    ASSERT_TRUE(*decoded.value == value) << kind << " #" << i << " came back different";
  }
}

template <typename Schema, typename T, typename Decode>
auto viaBytes(Decode decode) {
  return [decode](const T& value) { return throughBytes<Schema, T>(value, decode); };
}

// --- round trips -----------------------------------------------------------------------------

TEST(CodecRoundTrip, Tasks) {
  expectRoundTrips<Task>(
      "task", [](ValueGenerator& g) { return g.task(); },
      viaBytes<schema::Task, Task>([](schema::Task::Reader r) { return decodeTask(r); }));
}

TEST(CodecRoundTrip, SessionMessages) {
  expectRoundTrips<SessionMessage>(
      "session-message", [](ValueGenerator& g) { return g.sessionMessage(); },
      viaBytes<schema::SessionMessage, SessionMessage>(
          [](schema::SessionMessage::Reader r) { return decodeSessionMessage(r); }));
}

TEST(CodecRoundTrip, ManagerTypes) {
  expectRoundTrips<manager::NodeRecord>(
      "node-record", [](ValueGenerator& g) { return g.nodeRecord(); },
      viaBytes<schema::NodeRecord, manager::NodeRecord>(
          [](schema::NodeRecord::Reader r) { return decodeNodeRecord(r); }));
  expectRoundTrips<manager::ServiceRecord>(
      "service-record", [](ValueGenerator& g) { return g.serviceRecord(); },
      viaBytes<schema::ServiceRecord, manager::ServiceRecord>(
          [](schema::ServiceRecord::Reader r) { return decodeServiceRecord(r); }));
}

TEST(CodecRoundTrip, DispatcherCalls) {
  expectRoundTrips<shell::OpenSessionCall>(
      "open-session", [](ValueGenerator& g) { return g.openSessionCall(); },
      [](const shell::OpenSessionCall& call) {
        capnp::MallocMessageBuilder message;
        auto params = message.initRoot<schema::Dispatcher::SessionParams>();
        encode(params, call);
        params.setSink(kj::heap<schema::SessionSink::Server>());
        return decodeSessionParams(params.asReader());
      });
  SessionId session{"session-1"};
  expectRoundTrips<shell::StatusesCall>(
      "statuses-call", [&](ValueGenerator& g) { return g.statusesCall(session); },
      viaBytes<schema::Session::UpdateTaskStatusParams, shell::StatusesCall>(
          [&](schema::Session::UpdateTaskStatusParams::Reader r) {
            return decodeStatusesCall(r, session);
          }));
}

TEST(CodecRoundTrip, DispatcherReplies) {
  expectRoundTrips<shell::SessionReply>(
      "session-reply", [](ValueGenerator& g) { return g.sessionReply(); },
      [](const shell::SessionReply& reply) {
        capnp::MallocMessageBuilder message;
        auto result = message.initRoot<schema::SessionResult>();
        encode(result, reply);
        if (!reply.error.has_value()) {
          result.getOpened().setSession(kj::heap<schema::Session::Server>());
        }
        return decodeSessionResult(result.asReader());
      });
  expectRoundTrips<shell::HeartbeatReply>(
      "heartbeat-reply", [](ValueGenerator& g) { return g.heartbeatReply(); },
      viaBytes<schema::HeartbeatResult, shell::HeartbeatReply>(
          [](schema::HeartbeatResult::Reader r) { return decodeHeartbeatResult(r); }));
  expectRoundTrips<shell::StatusesReply>(
      "statuses-reply", [](ValueGenerator& g) { return g.statusesReply(); },
      viaBytes<schema::StatusesResult, shell::StatusesReply>(
          [](schema::StatusesResult::Reader r) { return decodeStatusesResult(r); }));
}

TEST(CodecRoundTrip, DispatcherPushes) {
  expectRoundTrips<shell::SessionPush>(
      "session-push", [](ValueGenerator& g) { return g.sessionPush(); },
      viaBytes<schema::SessionSink::MessageParams, shell::SessionPush>(
          [](schema::SessionSink::MessageParams::Reader r) { return decodeSessionPush(r); }));
  expectRoundTrips<shell::AssignmentsPush>(
      "assignments-push", [](ValueGenerator& g) { return g.assignmentsPush(); },
      viaBytes<schema::SessionSink::AssignmentsParams, shell::AssignmentsPush>(
          [](schema::SessionSink::AssignmentsParams::Reader r) {
            return decodeAssignmentsPush(r);
          }));
  expectRoundTrips<shell::SessionEnd>(
      "session-end", [](ValueGenerator& g) { return g.sessionEnd(); },
      viaBytes<schema::SessionSink::EndParams, shell::SessionEnd>(
          [](schema::SessionSink::EndParams::Reader r) { return decodeSessionEnd(r); }));
}

TEST(CodecRoundTrip, ControlOperationsAndAnswers) {
  expectRoundTrips<manager::ControlOperation>(
      "control-operation", [](ValueGenerator& g) { return g.controlOperation(); },
      viaBytes<schema::ControlOperation, manager::ControlOperation>(
          [](schema::ControlOperation::Reader r) { return decodeControlOperation(r); }));
  expectRoundTrips<manager::ControlAnswer>(
      "control-answer", [](ValueGenerator& g) { return g.controlAnswer(); },
      viaBytes<schema::ControlResult, manager::ControlAnswer>(
          [](schema::ControlResult::Reader r) { return decodeControlResult(r); }));
  expectRoundTrips<TaskFilter>(
      "task-filter", [](ValueGenerator& g) { return g.taskFilter(); },
      viaBytes<schema::TaskFilter, TaskFilter>(
          [](schema::TaskFilter::Reader r) { return decodeTaskFilter(r); }));
}

TEST(CodecRoundTrip, ControlQueries) {
  expectRoundTrips<Lookup<manager::ServiceRecord>>(
      "service-lookup",
      [](ValueGenerator& g) -> Lookup<manager::ServiceRecord> {
        if (g.coin()) return g.controlError();
        return g.serviceRecord();
      },
      viaBytes<schema::ServiceLookup, Lookup<manager::ServiceRecord>>(
          [](schema::ServiceLookup::Reader r) { return decodeServiceLookup(r); }));
  expectRoundTrips<Lookup<SecretInfo>>(
      "secret-lookup",
      [](ValueGenerator& g) -> Lookup<SecretInfo> {
        if (g.coin()) return g.controlError();
        return g.secretInfo();
      },
      viaBytes<schema::SecretLookup, Lookup<SecretInfo>>(
          [](schema::SecretLookup::Reader r) { return decodeSecretLookup(r); }));
  expectRoundTrips<std::vector<Task>>(
      "task-list",
      [](ValueGenerator& g) {
        std::vector<Task> tasks(g.below(4));
        for (Task& task : tasks)
          task = g.task();
        return tasks;
      },
      [](const std::vector<Task>& tasks) {
        capnp::MallocMessageBuilder message;
        auto results = message.initRoot<schema::Control::ListTasksResults>();
        encodeAll<schema::Task>(results.initTasks(static_cast<unsigned int>(tasks.size())), tasks);
        return decodeTaskList(results.asReader().getTasks());
      });
}

TEST(CodecRoundTrip, StoreRecords) {
  expectRoundTrips<agent::StoredTask>(
      "stored-task", [](ValueGenerator& g) { return g.storedTask(); },
      [](const agent::StoredTask& record) { return decodeStoredTask(encodeStoredTask(record)); });
  expectRoundTrips<std::vector<Peer>>(
      "peers", [](ValueGenerator& g) { return g.peers(); },
      [](const std::vector<Peer>& peers) { return decodePeers(encodePeers(peers)); });
  expectRoundTrips<manager::Record>(
      "manager-record", [](ValueGenerator& g) { return g.managerRecord(); },
      [](const manager::Record& record) {
        return decodeManagerRecord(encodeManagerRecord(record));
      });
  expectRoundTrips<StoreMeta>(
      "store-meta", [](ValueGenerator& g) { return g.storeMeta(); },
      [](const StoreMeta& meta) { return decodeStoreMeta(encodeStoreMeta(meta)); });
}

// --- refusals: each names the field --------------------------------------------------------------

// A StatusesCall with `count` valid updates, as a message the test may then damage.
struct StatusesMessage {
  capnp::MallocMessageBuilder message;
  schema::Session::UpdateTaskStatusParams::Builder params =
      message.initRoot<schema::Session::UpdateTaskStatusParams>();

  explicit StatusesMessage(size_t count) {
    shell::StatusesCall call;
    call.batch = 7;
    for (size_t i = 0; i < count; ++i) {
      call.updates.push_back(TaskStatusUpdate{TaskId{"t" + std::to_string(i)},
                                              TaskStatus{TaskState::RUNNING, {}, "", "", {}}});
    }
    encode(params, call);
  }

  Decoded<shell::StatusesCall> decode() {
    return decodeStatusesCall(params.asReader(), SessionId{"s"});
  }
};

TEST(CodecRefuses, UnknownTaskStateNamesTheField) {
  StatusesMessage statuses(5);
  statuses.params.getUpdates()[3].getStatus().setState(901);
  auto decoded = statuses.decode();
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error, "updates[3].status.state: unknown value 901");
}

TEST(CodecRefuses, UnknownEnumValue) {
  capnp::MallocMessageBuilder message;
  auto push = message.initRoot<schema::SessionSink::MessageParams>();
  SessionMessage value;
  value.node = NodeInfo{NodeId{"n1"}, NodeRole::WORKER, NodeRole::MANAGER, NodeAvailability::DRAIN};
  encode(push.initMessage(), value);
  push.setSessionId("s1");
  push.getMessage().getNode().getValue().setDesiredRole(static_cast<schema::NodeRole>(7));
  auto decoded = decodeSessionPush(push.asReader());
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error, "message.node.desiredRole: unknown value 7");

  capnp::MallocMessageBuilder other;
  auto error = other.initRoot<schema::RpcError>();
  error.setCode(static_cast<schema::ErrorCode>(8));
  EXPECT_EQ(decodeRpcError(error.asReader()).error, "code: unknown value 8");
}

// A union member this version does not know, as a newer writer would send it: the discriminant
// is set past the last member the schema names.
TEST(CodecRefuses, UnknownUnionMember) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::Record>();
  encode(root.initConfig(), Config{ConfigId{"c1"}, "name", "data"});
  auto proto = capnp::Schema::from<schema::Record>().getProto().getStruct();
  auto data = capnp::toAny(root).getDataSection();
  uint32_t offset = proto.getDiscriminantOffset() * 2;
  data[offset] = 9;
  data[offset + 1] = 0;
  auto words = capnp::messageToFlatArray(message);
  auto decoded = decodeManagerRecord(words);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error, "record: unknown kind 9 (written by a newer version?)");
}

TEST(CodecRefuses, OverLongAndMalformedIds) {
  capnp::MallocMessageBuilder message;
  auto change = message.initRoot<schema::AssignmentChange>();
  Task task;
  task.id = TaskId{std::string(limits::ID_LENGTH_MAX, 'a')};
  encode(change, AssignmentChange{AssignmentAction::UPDATE, task});
  EXPECT_TRUE(decodeAssignmentChange(change.asReader()).ok());

  change.getItem().getTask().setId(std::string(limits::ID_LENGTH_MAX + 1, 'a'));
  EXPECT_EQ(decodeAssignmentChange(change.asReader()).error,
            "item.task.id: too long (129 bytes, at most 128)");
  change.getItem().getTask().setId("bad id");
  EXPECT_EQ(decodeAssignmentChange(change.asReader()).error,
            "item.task.id: byte 0x20 at offset 3 is not allowed in an id (printable ASCII "
            "without spaces)");
  change.getItem().getTask().setId("");
  EXPECT_EQ(decodeAssignmentChange(change.asReader()).error, "item.task.id: must not be empty");
  // An optional id may be empty, but not malformed.
  change.getItem().getTask().setId("t1");
  change.getItem().getTask().setNodeId("n\x01");
  EXPECT_EQ(decodeAssignmentChange(change.asReader()).error,
            "item.task.nodeId: byte 0x01 at offset 1 is not allowed in an id (printable ASCII "
            "without spaces)");
}

TEST(CodecRefuses, OverLongTexts) {
  capnp::MallocMessageBuilder message;
  auto params = message.initRoot<schema::Dispatcher::SessionParams>();
  NodeDescription description;
  description.hostname = std::string(limits::HOSTNAME_LENGTH_MAX + 1, 'h');
  encode(params, shell::OpenSessionCall{SessionId{}, description});
  params.setSink(kj::heap<schema::SessionSink::Server>());
  EXPECT_EQ(decodeSessionParams(params.asReader()).error,
            "open.description.hostname: too long (256 bytes, at most 255)");

  capnp::MallocMessageBuilder control;
  auto operation = control.initRoot<schema::ControlOperation>();
  encode(operation,
         manager::CreateSecret{"s", std::string(limits::SECRET_DATA_BYTES_MAX + 1, 'x')});
  EXPECT_EQ(decodeControlOperation(operation.asReader()).error,
            "createSecret.data: too long (512001 bytes, at most 512000)");
  encode(operation, manager::CreateConfig{std::string(limits::NAME_LENGTH_MAX + 1, 'n'), ""});
  EXPECT_EQ(decodeControlOperation(operation.asReader()).error,
            "createConfig.name: too long (65 bytes, at most 64)");
  manager::ServiceSpec spec;
  spec.task.command = std::string(limits::COMMAND_LENGTH_MAX + 1, 'c');
  encode(operation, manager::CreateService{spec});
  EXPECT_EQ(decodeControlOperation(operation.asReader()).error,
            "createService.task.command: too long (4097 bytes, at most 4096)");
}

TEST(CodecRefuses, TooManyStatusUpdates) {
  StatusesMessage atTheBound(limits::STATUS_UPDATES_PER_CALL_MAX);
  auto decoded = atTheBound.decode();
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  EXPECT_EQ(decoded.value->updates.size(), limits::STATUS_UPDATES_PER_CALL_MAX);

  StatusesMessage tooMany(limits::STATUS_UPDATES_PER_CALL_MAX + 1);
  EXPECT_EQ(tooMany.decode().error, "updates: 10001 entries, at most 10000 allowed");
}

TEST(CodecRefuses, TooManyNetworkKeysAndDependencies) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::SessionMessage>();
  SessionMessage value;
  value.networkKeys = std::vector<EncryptionKey>(limits::NETWORK_KEYS_MAX + 1);
  encode(root, value);
  EXPECT_EQ(decodeSessionMessage(root.asReader()).error,
            "networkKeys: 17 entries, at most 16 allowed");

  capnp::MallocMessageBuilder assignments;
  auto set = assignments.initRoot<schema::AssignmentsMessage>();
  AssignmentsMessage complete;
  for (size_t i = 0; i <= limits::SECRETS_MAX; ++i) {
    complete.changes.push_back(
        {AssignmentAction::UPDATE, Secret{SecretId{"s" + std::to_string(i)}, "", ""}});
  }
  encode(set, complete);
  EXPECT_EQ(decodeAssignmentsMessage(set.asReader()).error,
            "changes: 10001 secrets, at most 10000 allowed");
}

TEST(CodecTruncates, ManagerListsLongerThanTheBound) {
  SessionMessage value;
  for (size_t i = 0; i < limits::MANAGERS_MAX + 3; ++i) {
    value.managers.push_back(
        WeightedPeer{Peer{NodeId{"m" + std::to_string(i)}, "10.0.0.1:4242"}, 10});
  }
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::SessionMessage>();
  encode(root, value);
  // The entries past the bound are not even looked at.
  root.getManagers()[limits::MANAGERS_MAX].getPeer().setAddress("");
  auto decoded = decodeSessionMessage(root.asReader());
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  ASSERT_EQ(decoded.value->managers.size(), limits::MANAGERS_MAX);
  EXPECT_EQ(decoded.value->managers.back().peer.nodeId.value, "m63");

  std::vector<Peer> saved(limits::MANAGERS_MAX + 1, Peer{NodeId{}, "join:1"});
  auto peers = decodePeers(encodePeers(saved));
  ASSERT_TRUE(peers.ok()) << peers.error;
  EXPECT_EQ(peers.value->size(), limits::MANAGERS_MAX);
}

TEST(CodecRefuses, HeartbeatPeriodOutOfRange) {
  capnp::MallocMessageBuilder message;
  auto result = message.initRoot<schema::HeartbeatResult>();
  result.setPeriod(limits::HEARTBEAT_PERIOD_MIN.count());
  EXPECT_TRUE(decodeHeartbeatResult(result.asReader()).ok());
  result.setPeriod(limits::HEARTBEAT_PERIOD_MAX.count());
  EXPECT_TRUE(decodeHeartbeatResult(result.asReader()).ok());
  result.setPeriod(Duration::milliseconds(5).count());
  EXPECT_EQ(decodeHeartbeatResult(result.asReader()).error, "period: 5ms is outside [10ms, 3600s]");
  result.setPeriod((limits::HEARTBEAT_PERIOD_MAX + Duration::nanoseconds(1)).count());
  EXPECT_FALSE(decodeHeartbeatResult(result.asReader()).ok());
  result.setPeriod(-1);
  EXPECT_FALSE(decodeHeartbeatResult(result.asReader()).ok());
  // Found by fuzz-dispatcher: printing the most negative period negated INT64_MIN (undefined).
  result.setPeriod(INT64_MIN);
  EXPECT_EQ(decodeHeartbeatResult(result.asReader()).error,
            "period: -9223372036.854s is outside [10ms, 3600s]");
}

TEST(CodecRefuses, MissingRequiredFields) {
  StatusesMessage statuses(2);
  // Cap'n Proto cannot unset a pointer; disown() drops it, leaving it null.
  statuses.params.getUpdates()[1].disownStatus();
  EXPECT_EQ(statuses.decode().error, "updates[1].status: missing");

  capnp::MallocMessageBuilder reply;
  auto result = reply.initRoot<schema::SessionResult>();
  encode(result, shell::SessionReply{SessionId{"s1"}, SessionMessage{}, std::nullopt});
  EXPECT_EQ(decodeSessionResult(result.asReader()).error, "opened.session: missing");

  capnp::MallocMessageBuilder empty;
  EXPECT_EQ(decodeControlOperation(empty.initRoot<schema::ControlOperation>().asReader()).error,
            "operation: no operation given");
  EXPECT_EQ(decodeControlResult(empty.initRoot<schema::ControlResult>().asReader()).error,
            "result: no answer (neither done nor an error)");
  EXPECT_EQ(decodeStatusesResult(empty.initRoot<schema::StatusesResult>().asReader()).error,
            "statuses: no answer (neither accepted nor an error)");
  EXPECT_EQ(decodeSessionEnd(empty.initRoot<schema::SessionSink::EndParams>().asReader()).error,
            "error: missing");
  EXPECT_EQ(decodeStoredTask(capnp::messageToFlatArray(empty)).error, "task: missing");
}

TEST(CodecRefuses, DuplicateAndMalformedMapKeys) {
  capnp::MallocMessageBuilder message;
  auto spec = message.initRoot<schema::TaskSpec>();
  auto env = spec.initEnv(2);
  env[0].setKey("A");
  env[1].setKey("A");
  EXPECT_EQ(decodeTaskSpec(spec.asReader()).error, "env[1].key: duplicate key \"A\"");
  env[1].setKey("B=C");
  EXPECT_EQ(decodeTaskSpec(spec.asReader()).error, "env[1].key: must not contain '='");
  env[1].setKey("");
  EXPECT_EQ(decodeTaskSpec(spec.asReader()).error, "env[1].key: must not be empty");
}

TEST(CodecRefuses, ImpossibleStoredServiceSpecs) {
  manager::ServiceSpec spec;
  spec.name = "web";
  spec.task.command = "/bin/web";
  spec.replicas = 3;
  EXPECT_TRUE(
      decodeManagerRecord(encodeManagerRecord(manager::ServiceRecord{ServiceId{"s1"}, spec, 1}))
          .ok());

  spec.replicas = -1;
  EXPECT_EQ(
      decodeManagerRecord(encodeManagerRecord(manager::ServiceRecord{ServiceId{"s1"}, spec, 1}))
          .error,
      "service.spec.replicas: -1 is outside [0, 100000]");
  // The same spec in a control request reaches the core, which explains the refusal itself.
  capnp::MallocMessageBuilder message;
  auto operation = message.initRoot<schema::ControlOperation>();
  encode(operation, manager::CreateService{spec});
  EXPECT_TRUE(decodeControlOperation(operation.asReader()).ok());

  spec.replicas = 0;
  spec.restart.delay = Duration::seconds(-1);
  EXPECT_EQ(
      decodeManagerRecord(encodeManagerRecord(manager::ServiceRecord{ServiceId{"s1"}, spec, 1}))
          .error,
      "service.spec.restart.delay: must not be negative (got -1000000000)");
}

TEST(CodecRefuses, TruncatedAndGarbageBytes) {
  Task task;
  task.id = TaskId{"t1"};
  task.spec.command = "/bin/sleep";
  kj::Array<capnp::word> words = encodeStoredTask(agent::StoredTask{task, true, TaskStatus{}});
  ASSERT_TRUE(decodeStoredTask(words).ok());

  auto truncated = decodeStoredTask(words.slice(0, words.size() - 1));
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.error.rfind("storedTask: malformed message: ", 0), 0u) << truncated.error;

  auto longer = kj::heapArray<capnp::word>(words.size() + 2);
  kj::ArrayPtr<kj::byte> longerBytes = longer.asBytes();
  std::memcpy(longerBytes.begin(), words.asBytes().begin(), words.asBytes().size());
  std::memset(longerBytes.begin() + words.asBytes().size(), 0, 2 * sizeof(capnp::word));
  EXPECT_EQ(decodeStoredTask(longer).error, "storedTask: 2 words of garbage after the message");

  EXPECT_EQ(decodeStoredTask(kj::ArrayPtr<const capnp::word>()).error,
            "storedTask: empty (no bytes)");

  kj::byte odd[13] = {};
  EXPECT_EQ(wordsFromBytes(kj::arrayPtr(odd, 13)).error,
            "13 bytes are not a whole number of 8-byte words (a truncated or damaged message)");

  // Random words: refused or (rarely) a valid record, never a crash.
  Prng prng(SEED);
  int refused = 0;
  for (int i = 0; i < 2000; ++i) {
    auto garbage = kj::heapArray<capnp::word>(1 + prng.uniform(16));
    for (kj::byte& byte : garbage.asBytes())
      byte = static_cast<kj::byte>(prng.next());
    refused += decodeStoredTask(garbage).ok() ? 0 : 1;
    refused += decodeManagerRecord(garbage).ok() ? 0 : 1;
  }
  EXPECT_GT(refused, 3900);
}

// A text field read where the message holds a struct: Cap'n Proto's own refusal, caught.
TEST(CodecRefuses, PointerOfTheWrongKind) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::TaskStatusUpdate>();
  encode(root, TaskStatusUpdate{TaskId{"t1"}, TaskStatus{}});
  // Point taskId (pointer 0) at a struct: reinterpret through AnyStruct.
  capnp::toAny(root).getPointerSection()[0].initAs<schema::TaskStatus>();
  auto decoded = decodeTaskStatusUpdate(root.asReader());
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error.rfind("taskStatusUpdate: malformed message: ", 0), 0u) << decoded.error;
}

TEST(CodecRefuses, MessagesPastTheTraversalLimit) {
  shell::StatusesCall call;
  for (int i = 0; i < 100; ++i)
    call.updates.push_back({TaskId{"t" + std::to_string(i)}, {}});
  capnp::MallocMessageBuilder message;
  encode(message.initRoot<schema::Session::UpdateTaskStatusParams>(), call);
  auto words = capnp::messageToFlatArray(message);
  auto decode = [](schema::Session::UpdateTaskStatusParams::Reader r) {
    return decodeStatusesCall(r, SessionId{"s"});
  };
  using Params = schema::Session::UpdateTaskStatusParams;
  EXPECT_TRUE((decodeMessage<Params, shell::StatusesCall>("call", words, 100'000, decode).ok()));
  auto limited = decodeMessage<Params, shell::StatusesCall>("call", words, 50, decode);
  ASSERT_FALSE(limited.ok());
  EXPECT_NE(limited.error.find("traversal limit"), std::string::npos) << limited.error;
}

TEST(CodecEncodes, FreeTextClippedAtACharacterBoundary) {
  RpcError error{ErrorCode::INTERNAL, std::string(limits::ERROR_MESSAGE_LENGTH_MAX - 1, 'e')};
  error.message += "\xc3\xa9\xc3\xa9";  // two two-byte characters across the bound
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<schema::RpcError>();
  encode(root, error);
  auto decoded = decodeRpcError(root.asReader());
  ASSERT_TRUE(decoded.ok()) << decoded.error;
  EXPECT_EQ(decoded.value->message, std::string(limits::ERROR_MESSAGE_LENGTH_MAX - 1, 'e'));
  // Text within the bound goes out whole.
  encode(root, RpcError{ErrorCode::INTERNAL, "fine \xc3\xa9"});
  EXPECT_EQ(decodeRpcError(root.asReader()).value->message, "fine \xc3\xa9");
}

TEST(CodecStoreMeta, RefusesNewerLayoutsAndOtherKinds) {
  EXPECT_EQ(checkStoreMeta(StoreMeta{}, StoreKind::AGENT), std::nullopt);
  auto newer =
      checkStoreMeta(StoreMeta{STORE_SCHEMA_VERSION + 1, StoreKind::AGENT}, StoreKind::AGENT);
  ASSERT_TRUE(newer.has_value());
  EXPECT_EQ(*newer,
            "the store was written with layout version 2, newer than this binary's 1: run a "
            "newer swarmlet on it");
  auto other =
      checkStoreMeta(StoreMeta{STORE_SCHEMA_VERSION, StoreKind::MANAGER}, StoreKind::AGENT);
  ASSERT_TRUE(other.has_value());
  EXPECT_NE(other->find("a manager's store, not an agent's"), std::string::npos) << *other;
  EXPECT_EQ(decodeStoreMeta(encodeStoreMeta(StoreMeta{0, StoreKind::AGENT})).error,
            "schemaVersion: must not be 0");
}

TEST(CodecRefs, RefuseEmptyLongAndControlCharacters) {
  EXPECT_EQ(*decodeRef("web frontend").value, "web frontend");
  EXPECT_EQ(decodeRef("").error, "ref: must not be empty");
  EXPECT_EQ(decodeRef("a\nb").error, "ref: must not contain control characters");
  std::string longRef(limits::REF_LENGTH_MAX + 1, 'r');
  EXPECT_EQ(decodeRef(capnp::Text::Reader(longRef.c_str(), longRef.size())).error,
            "ref: too long (256 bytes, at most 255)");
}

}  // namespace
}  // namespace swarmlet::io
