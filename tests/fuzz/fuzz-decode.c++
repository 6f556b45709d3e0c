#include "tests/fuzz/fuzz-decode.h"

#include <capnp/message.h>
#include <capnp/serialize.h>

#include <cstdio>
#include <cstdlib>

#include "control.capnp.h"
#include "dispatcher.capnp.h"
#include "io/codec.h"
#include "io/record-codec.h"

namespace swarmlet::io::fuzz {
namespace {

// Untrusted input gets the records' traversal limit: the same code path as a connection's, and
// a slow input shows up within libFuzzer's per-input timeout.
constexpr uint64_t TRAVERSAL_LIMIT_WORDS = limits::RECORD_TRAVERSAL_LIMIT_WORDS;

[[noreturn]] void mismatch(const char* message, const std::string& why) {
  std::fprintf(stderr, "codec fuzz: a decoded %s did not survive a second round trip: %s\n",
               message, why.c_str());
  std::abort();
}

// Decodes `words` as a `Root` with `decode`; if accepted, encodes the value into a fresh
// message (`refill` sets what the codec leaves to the drivers, such as capabilities) and
// decodes it again: it must come back equal.
template <typename Root, typename T, typename Decode, typename Refill>
bool tryMessage(const char* name, kj::ArrayPtr<const capnp::word> words, Decode&& decode,
                Refill&& refill) {
  Decoded<T> first = decodeMessage<Root, T>(name, words, TRAVERSAL_LIMIT_WORDS, decode);
  if (!first.ok()) {
    if (first.error.empty()) mismatch(name, "a refusal without a reason");
    return false;
  }
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<Root>();
  encode(root, *first.value);
  refill(root);
  Decoded<T> second = decode(root.asReader());
  if (!second.ok()) mismatch(name, second.error);
  if (!(*second.value == *first.value)) mismatch(name, "the value changed");
  return true;
}

template <typename Root, typename T, typename Decode>
bool tryMessage(const char* name, kj::ArrayPtr<const capnp::word> words, Decode&& decode) {
  return tryMessage<Root, T>(name, words, decode, [](typename Root::Builder) {});
}

// A store record: decoded from words, re-encoded to words, decoded again.
template <typename T, typename Decode, typename Encode>
bool tryRecord(const char* name, kj::ArrayPtr<const capnp::word> words, Decode&& decode,
               Encode&& encode) {
  Decoded<T> first = decode(words);
  if (!first.ok()) return false;
  Decoded<T> second = decode(encode(*first.value));
  if (!second.ok()) mismatch(name, second.error);
  if (!(*second.value == *first.value)) mismatch(name, "the value changed");
  return true;
}

int dispatcher(kj::ArrayPtr<const capnp::word> words) {
  using schema::Dispatcher;
  using schema::SessionSink;
  int accepted = 0;
  accepted += tryMessage<Dispatcher::SessionParams, shell::OpenSessionCall>(
      "session call", words, [](auto r) { return decodeSessionParams(r); },
      [](Dispatcher::SessionParams::Builder b) { b.setSink(kj::heap<SessionSink::Server>()); });
  accepted += tryMessage<schema::SessionResult, shell::SessionReply>(
      "session result", words, [](auto r) { return decodeSessionResult(r); },
      [](schema::SessionResult::Builder b) {
        if (b.isOpened()) b.getOpened().setSession(kj::heap<schema::Session::Server>());
      });
  accepted += tryMessage<schema::HeartbeatResult, shell::HeartbeatReply>(
      "heartbeat result", words, [](auto r) { return decodeHeartbeatResult(r); });
  accepted += tryMessage<schema::Session::UpdateTaskStatusParams, shell::StatusesCall>(
      "status call", words, [](auto r) { return decodeStatusesCall(r, SessionId{"fuzz"}); });
  accepted += tryMessage<schema::StatusesResult, shell::StatusesReply>(
      "statuses result", words, [](auto r) { return decodeStatusesResult(r); });
  accepted += tryMessage<SessionSink::MessageParams, shell::SessionPush>(
      "session push", words, [](auto r) { return decodeSessionPush(r); });
  accepted += tryMessage<SessionSink::AssignmentsParams, shell::AssignmentsPush>(
      "assignments push", words, [](auto r) { return decodeAssignmentsPush(r); });
  accepted += tryMessage<SessionSink::EndParams, shell::SessionEnd>(
      "session end", words, [](auto r) { return decodeSessionEnd(r); });
  return accepted;
}

// The list queries' results, re-encoded with encodeAll.
template <typename Results, typename Schema, typename T, typename Get, typename Init,
          typename Decode>
bool tryList(const char* name, kj::ArrayPtr<const capnp::word> words, Get get, Init init,
             Decode decode) {
  auto first = decodeMessage<Results, std::vector<T>>(
      name, words, TRAVERSAL_LIMIT_WORDS,
      [&](typename Results::Reader r) { return decode(get(r)); });
  if (!first.ok()) return false;
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<Results>();
  encodeAll<Schema>(init(root, static_cast<unsigned int>(first.value->size())), *first.value);
  auto second = decode(get(root.asReader()));
  if (!second.ok()) mismatch(name, second.error);
  if (!(*second.value == *first.value)) mismatch(name, "the value changed");
  return true;
}

int control(kj::ArrayPtr<const capnp::word> words) {
  using schema::Control;
  int accepted = 0;
  accepted += tryMessage<schema::ControlOperation, manager::ControlOperation>(
      "control operation", words, [](auto r) { return decodeControlOperation(r); });
  accepted += tryMessage<schema::ControlResult, manager::ControlAnswer>(
      "control result", words, [](auto r) { return decodeControlResult(r); });
  accepted += tryMessage<schema::TaskFilter, TaskFilter>(
      "task filter", words, [](auto r) { return decodeTaskFilter(r); });
  accepted += tryMessage<schema::NodeLookup, Lookup<manager::NodeRecord>>(
      "node lookup", words, [](auto r) { return decodeNodeLookup(r); });
  accepted += tryMessage<schema::ServiceLookup, Lookup<manager::ServiceRecord>>(
      "service lookup", words, [](auto r) { return decodeServiceLookup(r); });
  accepted += tryMessage<schema::TaskLookup, Lookup<Task>>(
      "task lookup", words, [](auto r) { return decodeTaskLookup(r); });
  accepted += tryMessage<schema::SecretLookup, Lookup<SecretInfo>>(
      "secret lookup", words, [](auto r) { return decodeSecretLookup(r); });
  accepted += tryMessage<schema::ConfigLookup, Lookup<Config>>(
      "config lookup", words, [](auto r) { return decodeConfigLookup(r); });
  accepted += decodeMessage<Control::InspectNodeParams, std::string>(
                  "ref", words, TRAVERSAL_LIMIT_WORDS, [](auto r) { return decodeRef(r.getRef()); })
                  .ok();
  accepted += tryList<Control::ListNodesResults, schema::NodeRecord, manager::NodeRecord>(
      "node list", words, [](auto r) { return r.getNodes(); },
      [](auto b, unsigned int n) { return b.initNodes(n); },
      [](auto list) { return decodeNodeList(list); });
  accepted += tryList<Control::ListServicesResults, schema::ServiceRecord, manager::ServiceRecord>(
      "service list", words, [](auto r) { return r.getServices(); },
      [](auto b, unsigned int n) { return b.initServices(n); },
      [](auto list) { return decodeServiceList(list); });
  accepted += tryList<Control::ListTasksResults, schema::Task, Task>(
      "task list", words, [](auto r) { return r.getTasks(); },
      [](auto b, unsigned int n) { return b.initTasks(n); },
      [](auto list) { return decodeTaskList(list); });
  accepted += tryList<Control::ListSecretsResults, schema::SecretInfo, SecretInfo>(
      "secret list", words, [](auto r) { return r.getSecrets(); },
      [](auto b, unsigned int n) { return b.initSecrets(n); },
      [](auto list) { return decodeSecretList(list); });
  accepted += tryList<Control::ListConfigsResults, schema::ConfigInfo, ConfigInfo>(
      "config list", words, [](auto r) { return r.getConfigs(); },
      [](auto b, unsigned int n) { return b.initConfigs(n); },
      [](auto list) { return decodeConfigList(list); });
  return accepted;
}

int storage(kj::ArrayPtr<const capnp::word> words) {
  int accepted = 0;
  accepted += tryRecord<agent::StoredTask>(
      "stored task", words, [](auto w) { return decodeStoredTask(w); },
      [](const auto& v) { return encodeStoredTask(v); });
  accepted += tryRecord<std::vector<Peer>>(
      "manager list", words, [](auto w) { return decodePeers(w); },
      [](const auto& v) { return encodePeers(v); });
  accepted += tryRecord<manager::Record>(
      "manager record", words, [](auto w) { return decodeManagerRecord(w); },
      [](const auto& v) { return encodeManagerRecord(v); });
  accepted += tryRecord<StoreMeta>(
      "store meta", words, [](auto w) { return decodeStoreMeta(w); },
      [](const auto& v) { return encodeStoreMeta(v); });
  return accepted;
}

}  // namespace

const char* familyName(Family family) {
  switch (family) {
    case Family::DISPATCHER:
      return "dispatcher";
    case Family::CONTROL:
      return "control";
    case Family::STORAGE:
      return "storage";
  }
  KJ_UNREACHABLE;
}

int decodeEveryMessage(Family family, kj::ArrayPtr<const capnp::word> words) {
  switch (family) {
    case Family::DISPATCHER:
      return dispatcher(words);
    case Family::CONTROL:
      return control(words);
    case Family::STORAGE:
      return storage(words);
  }
  KJ_UNREACHABLE;
}

void fuzzOneInput(Family family, const uint8_t* bytes, size_t size) {
  auto input = kj::arrayPtr(reinterpret_cast<const kj::byte*>(bytes), size);
  Decoded<kj::Array<capnp::word>> words = wordsFromBytes(input);
  if (!words.ok()) {
    words = wordsFromBytes(input.slice(0, size - size % sizeof(capnp::word)));
    KJ_ASSERT(words.ok(), words.error);
  }
  decodeEveryMessage(family, *words.value);
}

}  // namespace swarmlet::io::fuzz
