#include "io/codec-dispatcher.h"

#include "core/format.h"
#include "io/codec-limits.h"
#include "io/codec-read.h"
#include "io/codec-types.h"

namespace swarmlet::io {
namespace codec {
namespace {

// The optional error of a reply: the union's `error` member, or none.
template <typename Reader>
bool readReplyError(Check& check, const Path& at, Reader reader, std::optional<RpcError>& out) {
  out.emplace();
  return readRequired(check, at.field("error"), reader.hasError(), reader.getError(), *out);
}

}  // namespace

bool read(Check& check, const Path& at, schema::OpenSession::Reader reader,
          shell::OpenSessionCall& out) {
  return readId(check, at.field("previousSessionId"), reader.getPreviousSessionId(),
                Presence::OPTIONAL, out.previousSessionId) &&
         readRequired(check, at.field("description"), reader.hasDescription(),
                      reader.getDescription(), out.description);
}

bool read(Check& check, const Path& at, schema::Dispatcher::SessionParams::Reader reader,
          shell::OpenSessionCall& out) {
  return readRequired(check, at.field("open"), reader.hasOpen(), reader.getOpen(), out) &&
         check.present(at.field("sink"), reader.hasSink());
}

bool read(Check& check, const Path& at, schema::SessionResult::Reader reader,
          shell::SessionReply& out) {
  switch (reader.which()) {
    case schema::SessionResult::OPENED: {
      Path opened = at.field("opened");
      auto group = reader.getOpened();
      return check.present(opened.field("session"), group.hasSession()) &&
             readId(check, opened.field("sessionId"), group.getSessionId(), Presence::REQUIRED,
                    out.sessionId) &&
             readRequired(check, opened.field("message"), group.hasMessage(), group.getMessage(),
                          out.message);
    }
    case schema::SessionResult::ERROR:
      return readReplyError(check, at, reader, out.error);
  }
  return check.unknownValue(at, static_cast<uint16_t>(reader.which()));
}

bool read(Check& check, const Path& at, schema::HeartbeatResult::Reader reader,
          shell::HeartbeatReply& out) {
  switch (reader.which()) {
    case schema::HeartbeatResult::PERIOD: {
      out.period = Duration::nanoseconds(reader.getPeriod());
      if (out.period < limits::HEARTBEAT_PERIOD_MIN || out.period > limits::HEARTBEAT_PERIOD_MAX) {
        return check.fail(at.field("period"),
                          formatDuration(out.period) + " is outside [" +
                              formatDuration(limits::HEARTBEAT_PERIOD_MIN) + ", " +
                              formatDuration(limits::HEARTBEAT_PERIOD_MAX) + "]");
      }
      return true;
    }
    case schema::HeartbeatResult::ERROR:
      return readReplyError(check, at, reader, out.error);
  }
  return check.unknownValue(at, static_cast<uint16_t>(reader.which()));
}

bool read(Check& check, const Path& at, schema::Session::UpdateTaskStatusParams::Reader reader,
          shell::StatusesCall& out) {
  out.batch = reader.getBatch();
  Path updatesAt = at.field("updates");
  auto updates = reader.getUpdates();
  if (!check.count(updatesAt, updates.size(), limits::STATUS_UPDATES_PER_CALL_MAX)) return false;
  for (unsigned int i = 0; i < updates.size(); ++i) {
    if (!read(check, updatesAt.index(i), updates[i], out.updates.emplace_back())) return false;
  }
  return true;
}

bool read(Check& check, const Path& at, schema::StatusesResult::Reader reader,
          shell::StatusesReply& out) {
  out.batch = reader.getBatch();
  switch (reader.which()) {
    case schema::StatusesResult::NONE:
      return check.fail(at, "no answer (neither accepted nor an error)");
    case schema::StatusesResult::ACCEPTED:
      return true;
    case schema::StatusesResult::ERROR:
      return readReplyError(check, at, reader, out.error);
  }
  return check.unknownValue(at, static_cast<uint16_t>(reader.which()));
}

bool read(Check& check, const Path& at, schema::SessionSink::MessageParams::Reader reader,
          shell::SessionPush& out) {
  return readId(check, at.field("sessionId"), reader.getSessionId(), Presence::REQUIRED,
                out.sessionId) &&
         readRequired(check, at.field("message"), reader.hasMessage(), reader.getMessage(),
                      out.message);
}

bool read(Check& check, const Path& at, schema::SessionSink::AssignmentsParams::Reader reader,
          shell::AssignmentsPush& out) {
  return readId(check, at.field("sessionId"), reader.getSessionId(), Presence::REQUIRED,
                out.sessionId) &&
         readRequired(check, at.field("message"), reader.hasMessage(), reader.getMessage(),
                      out.message);
}

bool read(Check& check, const Path& at, schema::SessionSink::EndParams::Reader reader,
          shell::SessionEnd& out) {
  return readId(check, at.field("sessionId"), reader.getSessionId(), Presence::OPTIONAL,
                out.sessionId) &&
         readRequired(check, at.field("error"), reader.hasError(), reader.getError(), out.error);
}

}  // namespace codec

using codec::asText;
using codec::decodeRoot;

// --- encoders ---------------------------------------------------------------------------------

void encode(schema::Dispatcher::SessionParams::Builder builder,
            const shell::OpenSessionCall& call) {
  auto open = builder.initOpen();
  open.setPreviousSessionId(asText(call.previousSessionId.value));
  encode(open.initDescription(), call.description);
}

void encode(schema::SessionResult::Builder builder, const shell::SessionReply& reply) {
  if (reply.error.has_value()) {
    encode(builder.initError(), *reply.error);
    return;
  }
  auto opened = builder.initOpened();
  opened.setSessionId(asText(reply.sessionId.value));
  encode(opened.initMessage(), reply.message);
}

void encode(schema::HeartbeatResult::Builder builder, const shell::HeartbeatReply& reply) {
  if (reply.error.has_value()) {
    encode(builder.initError(), *reply.error);
  } else {
    builder.setPeriod(reply.period.count());
  }
}

void encode(schema::Session::UpdateTaskStatusParams::Builder builder,
            const shell::StatusesCall& call) {
  builder.setBatch(call.batch);
  auto updates = builder.initUpdates(static_cast<unsigned int>(call.updates.size()));
  encodeAll<schema::TaskStatusUpdate>(updates, call.updates);
}

void encode(schema::StatusesResult::Builder builder, const shell::StatusesReply& reply) {
  builder.setBatch(reply.batch);
  if (reply.error.has_value()) {
    encode(builder.initError(), *reply.error);
  } else {
    builder.setAccepted();
  }
}

void encode(schema::SessionSink::MessageParams::Builder builder, const shell::SessionPush& push) {
  builder.setSessionId(asText(push.sessionId.value));
  encode(builder.initMessage(), push.message);
}

void encode(schema::SessionSink::AssignmentsParams::Builder builder,
            const shell::AssignmentsPush& push) {
  builder.setSessionId(asText(push.sessionId.value));
  encode(builder.initMessage(), push.message);
}

void encode(schema::SessionSink::EndParams::Builder builder, const shell::SessionEnd& end) {
  builder.setSessionId(asText(end.sessionId.value));
  encode(builder.initError(), end.error);
}

// --- decoders ---------------------------------------------------------------------------------

Decoded<shell::OpenSessionCall> decodeSessionParams(
    schema::Dispatcher::SessionParams::Reader reader) {
  return decodeRoot<shell::OpenSessionCall>("session", reader);
}

Decoded<shell::SessionReply> decodeSessionResult(schema::SessionResult::Reader reader) {
  return decodeRoot<shell::SessionReply>("result", reader);
}

Decoded<shell::HeartbeatReply> decodeHeartbeatResult(schema::HeartbeatResult::Reader reader) {
  return decodeRoot<shell::HeartbeatReply>("heartbeat", reader);
}

Decoded<shell::StatusesCall> decodeStatusesCall(
    schema::Session::UpdateTaskStatusParams::Reader reader, const SessionId& session) {
  auto decoded = decodeRoot<shell::StatusesCall>("updateTaskStatus", reader);
  if (decoded.ok()) decoded.value->sessionId = session;
  return decoded;
}

Decoded<shell::StatusesReply> decodeStatusesResult(schema::StatusesResult::Reader reader) {
  return decodeRoot<shell::StatusesReply>("statuses", reader);
}

Decoded<shell::SessionPush> decodeSessionPush(schema::SessionSink::MessageParams::Reader reader) {
  return decodeRoot<shell::SessionPush>("message", reader);
}

Decoded<shell::AssignmentsPush> decodeAssignmentsPush(
    schema::SessionSink::AssignmentsParams::Reader reader) {
  return decodeRoot<shell::AssignmentsPush>("assignments", reader);
}

Decoded<shell::SessionEnd> decodeSessionEnd(schema::SessionSink::EndParams::Reader reader) {
  return decodeRoot<shell::SessionEnd>("end", reader);
}

}  // namespace swarmlet::io
