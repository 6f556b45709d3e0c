// Conversions between the agent-manager protocol of schemas/dispatcher.capnp and the shell's
// message values (core/shell/messages.h), with validation (docs/codec.md).
//
// The session capability carries the session: calls made through it (heartbeat,
// updateTaskStatus, resync) name no session id on the wire, so their decoders take the id of
// the session the capability stands for. HeartbeatCall and ResyncCall carry nothing else and
// need no codec. Capabilities themselves (the Session in a SessionResult, the SessionSink in
// the session() call) are the drivers' business: encoders leave them unset, decoders only check
// that they are present.
//
// encode() cannot fail; decodeX() never throws or asserts and names the first bad field, e.g.
// "updates[3].status.state: unknown value 901". Stateless functions; safe from any thread.
#pragma once

#include "core/shell/messages.h"
#include "dispatcher.capnp.h"
#include "io/decoded.h"

namespace swarmlet::io {

// Dispatcher.session(open, sink). The caller sets `sink` itself; the decoder refuses a call
// without one.
void encode(schema::Dispatcher::SessionParams::Builder builder, const shell::OpenSessionCall& call);
Decoded<shell::OpenSessionCall> decodeSessionParams(
    schema::Dispatcher::SessionParams::Reader reader);

// The answer to session(). On success the caller then sets result.opened.session to the
// session's capability; the decoder refuses a success without it, and a success without a
// session id.
void encode(schema::SessionResult::Builder builder, const shell::SessionReply& reply);
Decoded<shell::SessionReply> decodeSessionResult(schema::SessionResult::Reader reader);

// Session.heartbeat's answer. A period outside [HEARTBEAT_PERIOD_MIN, HEARTBEAT_PERIOD_MAX] is
// refused.
void encode(schema::HeartbeatResult::Builder builder, const shell::HeartbeatReply& reply);
Decoded<shell::HeartbeatReply> decodeHeartbeatResult(schema::HeartbeatResult::Reader reader);

// Session.updateTaskStatus. More than STATUS_UPDATES_PER_CALL_MAX updates are refused.
void encode(schema::Session::UpdateTaskStatusParams::Builder builder,
            const shell::StatusesCall& call);
Decoded<shell::StatusesCall> decodeStatusesCall(
    schema::Session::UpdateTaskStatusParams::Reader reader, const SessionId& session);

void encode(schema::StatusesResult::Builder builder, const shell::StatusesReply& reply);
Decoded<shell::StatusesReply> decodeStatusesResult(schema::StatusesResult::Reader reader);

// The pushes on the agent's SessionSink.
void encode(schema::SessionSink::MessageParams::Builder builder, const shell::SessionPush& push);
Decoded<shell::SessionPush> decodeSessionPush(schema::SessionSink::MessageParams::Reader reader);

void encode(schema::SessionSink::AssignmentsParams::Builder builder,
            const shell::AssignmentsPush& push);
Decoded<shell::AssignmentsPush> decodeAssignmentsPush(
    schema::SessionSink::AssignmentsParams::Reader reader);

void encode(schema::SessionSink::EndParams::Builder builder, const shell::SessionEnd& end);
Decoded<shell::SessionEnd> decodeSessionEnd(schema::SessionSink::EndParams::Reader reader);

}  // namespace swarmlet::io
