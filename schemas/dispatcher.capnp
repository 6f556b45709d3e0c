# The agent-manager protocol (docs/protocol.md, core/shell/messages.h) as Cap'n Proto interfaces.
#
# A manager serves Dispatcher as its bootstrap capability. An agent opens a session by calling
# session() with its own SessionSink; a successful result carries a Session capability through
# which the agent makes every further call of that session, so no call names its session id: the
# capability is the session. Dropping the Session capability (or the connection) ends the session
# (the manager core sees SessionClosed). The manager pushes session messages, assignment sets and
# the end of the session as calls on the SessionSink; `-> stream` gives them flow control.
#
# Errors the cores understand (docs/protocol.md, "Errors") are data: an RpcError in the result.
# An exception (a broken connection, a bug) is a transport failure; the agent's shell maps it to
# `unavailable`. Node identity is never in a message: the manager's shell takes it from the
# connection's credentials.

@0xd31d4758289427ea;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("swarmlet::schema");

using Types = import "types.capnp";

interface Dispatcher {
  # Opens (or resumes) a session. The manager answers once the core has decided; until then
  # nothing is pushed on `sink`. `credential` authenticates the node (refused: an
  # `unauthenticated` error); the first session() that passes binds the connection to its node.
  session @0 (open :OpenSession, sink :SessionSink, credential :NodeCredential)
      -> (result :SessionResult);

  # A new node asks to join the cluster with a join token (`SWMTKN-1-<cluster digest>-<secret>`,
  # docs/swarmd.md). The manager checks the token, draws the node's id and secret, stores them
  # and answers with them; the node keeps them in its state directory and presents them as its
  # credential on every session() from then on. `advertiseAddress` is where the node serves
  # agents once it is a manager. A refused token is an `unauthenticated` error.
  join @1 (token :Text, hostname :Text, advertiseAddress :Text) -> (result :JoinResult);
}

struct JoinResult {
  union {
    joined :group {
      nodeId @0 :Text;
      secret @1 :Data;
      clusterId @2 :Text;
      role @3 :Types.NodeRole;      # what the token grants: a manager token makes a manager
      managers @4 :List(Types.Peer);  # the leader first
    }
    error @5 :Types.RpcError;
  }
}

# Who the caller is, checked by the manager's shell before anything the call says reaches the
# core; never part of the session's messages. Stands in for a TLS client certificate until join
# tokens and certificates exist.
struct NodeCredential {
  nodeId @0 :Text;
  secret @1 :Data;
}

# Dispatcher.Session (shell::OpenSessionCall).
struct OpenSession {
  previousSessionId @0 :Text;   # empty on a node's first session
  description @1 :Types.NodeDescription;
}

# The answer to session() (shell::SessionReply).
struct SessionResult {
  union {
    opened :group {
      session @0 :Session;      # the session; drop it to close the session
      sessionId @1 :Text;
      message @2 :Types.SessionMessage;   # the first message of the session stream
    }
    error @3 :Types.RpcError;
  }
}

interface Session {
  heartbeat @0 () -> HeartbeatResult;
  # Many updates in one call; `batch` is the agent's number for this send, echoed in the result.
  updateTaskStatus @1 (batch :UInt64, updates :List(Types.TaskStatusUpdate)) -> StatusesResult;
  # The agent saw a gap in its assignment stream: the manager sends a fresh COMPLETE set.
  resync @2 () -> ();
}

# shell::HeartbeatReply: the period until the next heartbeat, in nanoseconds, or an error.
struct HeartbeatResult {
  union {
    period @0 :Int64;
    error @1 :Types.RpcError;
  }
}

# shell::StatusesReply.
struct StatusesResult {
  batch @0 :UInt64;
  union {
    none @1 :Void;                  # refused by the codec: a missing answer is not a success
    accepted @2 :Void;
    error @3 :Types.RpcError;
  }
}

# Implemented by the agent, one per session() call. Every push names the session it belongs to,
# so a push that outlived its session can be told apart.
interface SessionSink {
  # A later message on the session stream (shell::SessionPush).
  message @0 (sessionId :Text, message :Types.SessionMessage) -> stream;
  # The next message of the assignment stream (shell::AssignmentsPush).
  assignments @1 (sessionId :Text, message :Types.AssignmentsMessage) -> stream;
  # The session's streams ended (shell::SessionEnd); the node must register again. An empty
  # session id ends a session() call that is still unanswered.
  end @2 (sessionId :Text, error :Types.RpcError) -> ();
}
