# The values shared by the wire protocol and the on-disk records: the core's value types of
# core/types.h, core/task.h and core/manager/store.h, field for field. io/codec*.h converts them
# to and from the core types and validates everything a reader gets (docs/codec.md).
#
# Rules (schemas/README.md has them in full):
# - Field ordinals are only ever appended; nothing is renumbered, retyped or removed.
# - Durations and instants are Int64 nanoseconds (core/time.h).
# - An optional value is a named union whose FIRST member is `none :Void`, so a message that
#   lacks the field (an older writer) reads as absent.
# - A map is a list of key/value entries; a duplicate key is refused by the codec.
# - Schema defaults equal the core struct's defaults, so a missing field decodes as the core's
#   default value.
# - TaskState is carried as SwarmKit's number (UInt16), not as an enum: the numeric order is the
#   order in which a task's state advances, and new states are inserted between existing ones.

@0x82dca54a6a7f55e2;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("swarmlet::schema");

# --- core/types.h ---------------------------------------------------------------------------

# A manager as an agent knows it. nodeId is empty for a join address not yet named by a manager.
struct Peer {
  nodeId @0 :Text;
  address @1 :Text;
}

struct WeightedPeer {
  peer @0 :Peer;
  weight @1 :Int64;
}

enum NodeRole {
  worker @0;
  manager @1;
}

enum NodeAvailability {
  active @0;
  pause @1;
  drain @2;
}

# One entry of a string map (labels, environment).
struct Entry {
  key @0 :Text;
  value @1 :Text;
}

struct NodeDescription {
  hostname @0 :Text;
  platform @1 :Text;
  cpus @2 :Int64;           # thousandths of a CPU
  memoryBytes @3 :Int64;
  labels @4 :List(Entry);
}

struct NodeInfo {
  id @0 :Text;
  role @1 :NodeRole;
  desiredRole @2 :NodeRole;
  availability @3 :NodeAvailability;
}

struct EncryptionKey {
  subsystem @0 :Text;
  key @1 :Data;
  lamportTime @2 :UInt64;
}

# One message on the session stream. An absent field means "no news", not "empty".
struct SessionMessage {
  managers @0 :List(WeightedPeer);
  node :union {
    none @1 :Void;
    value @2 :NodeInfo;
  }
  networkKeys :union {
    none @3 :Void;
    value @4 :List(EncryptionKey);
  }
}

# The class of a failed call, named after what the caller does next (docs/protocol.md).
enum ErrorCode {
  unavailable @0;
  deadlineExceeded @1;
  notFound @2;
  invalidArgument @3;
  permissionDenied @4;
  aborted @5;
  unauthenticated @6;
  internal @7;
}

struct RpcError {
  code @0 :ErrorCode;
  message @1 :Text;
}

# --- core/task.h ----------------------------------------------------------------------------

struct TaskSpec {
  command @0 :Text;
  args @1 :List(Text);
  env @2 :List(Entry);
  secrets @3 :List(Text);   # secret ids
  configs @4 :List(Text);   # config ids
}

struct TaskStatus {
  state @0 :UInt16;         # a TaskState number (core/task.h): 0 new, 64 pending, ... 832 orphaned
  timestamp @1 :Int64;      # nanoseconds on the clock of whoever changed the status
  message @2 :Text;
  error @3 :Text;
  exitCode :union {
    none @4 :Void;
    value @5 :Int32;
  }
}

struct Task {
  id @0 :Text;
  serviceId @1 :Text;
  slot @2 :UInt64;
  nodeId @3 :Text;          # empty while the task is not placed
  spec @4 :TaskSpec;
  desiredState @5 :UInt16;  # a TaskState number
  status @6 :TaskStatus;
  version @7 :UInt64;
}

struct Secret {
  id @0 :Text;
  name @1 :Text;
  data @2 :Data;
}

struct Config {
  id @0 :Text;
  name @1 :Text;
  data @2 :Data;
}

enum AssignmentAction {
  update @0;
  remove @1;
}

# One change of an assignment set. A remove needs only the item's id.
struct AssignmentChange {
  action @0 :AssignmentAction;
  item :union {
    task @1 :Task;
    secret @2 :Secret;
    config @3 :Config;
  }
}

enum AssignmentType {
  complete @0;
  incremental @1;
}

struct AssignmentsMessage {
  type @0 :AssignmentType;
  appliesTo @1 :Text;
  resultsIn @2 :Text;
  changes @3 :List(AssignmentChange);
}

struct TaskStatusUpdate {
  taskId @0 :Text;
  status @1 :TaskStatus;
}

# --- core/manager/store.h -------------------------------------------------------------------

enum NodeStatus {
  unknown @0;
  down @1;
  ready @2;
  disconnected @3;
}

struct NodeRecord {
  id @0 :Text;
  description @1 :NodeDescription;
  status @2 :NodeStatus;
  statusMessage @3 :Text;
  availability @4 :NodeAvailability;
  role @5 :NodeRole;
  desiredRole @6 :NodeRole;
  version @7 :UInt64;
}

enum ServiceMode {
  replicated @0;
  global @1;
}

enum RestartCondition {
  any @0;
  onFailure @1;
  none @2;
}

struct RestartPolicy {
  condition @0 :RestartCondition;
  delay @1 :Int64 = 5000000000;  # 5 s, the core's default
  maxAttempts @2 :Int64;         # 0: unlimited
  window @3 :Int64;              # 0: the whole life of the service
}

struct UpdatePolicy {
  parallelism @0 :Int64 = 1;     # 0: all at once
  delay @1 :Int64;
}

struct ServiceSpec {
  name @0 :Text;
  mode @1 :ServiceMode;
  replicas @2 :Int64;
  task @3 :TaskSpec;
  restart @4 :RestartPolicy;
  update @5 :UpdatePolicy;
}

struct ServiceRecord {
  id @0 :Text;
  spec @1 :ServiceSpec;
  version @2 :UInt64;
}
