# The control API that swarmctl uses: every control operation of the manager core
# (core/manager/input.h, ControlOperation) and read-only queries of the cluster state. A manager
# serves Control beside Dispatcher (how a client reaches it, a local socket or an authenticated
# connection, is the shell's decision).
#
# A refused request is data: a ControlError in the result, never an exception. Secret data is
# write-only: no query returns it.

@0x92f76701b52b4dca;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("swarmlet::schema");

using Types = import "types.capnp";

interface Control {
  # One control operation; the answer comes after the change is durable.
  apply @0 (operation :ControlOperation) -> ControlResult;

  # Queries. A `ref` is an id, or a name (hostname for nodes) when no id matches; an empty
  # filter field matches everything.
  listNodes @1 () -> (nodes :List(Types.NodeRecord));
  inspectNode @2 (ref :Text) -> NodeLookup;
  listServices @3 () -> (services :List(Types.ServiceRecord));
  inspectService @4 (ref :Text) -> ServiceLookup;
  listTasks @5 (filter :TaskFilter) -> (tasks :List(Types.Task));
  inspectTask @6 (ref :Text) -> TaskLookup;
  listSecrets @7 () -> (secrets :List(SecretInfo));
  inspectSecret @8 (ref :Text) -> SecretLookup;
  listConfigs @9 () -> (configs :List(ConfigInfo));
  inspectConfig @10 (ref :Text) -> ConfigLookup;

  # The cluster: its id, its leader, the managers agents are told of, and both join tokens.
  inspectCluster @11 () -> ClusterInfo;
  # Draws a new secret for the join token of `role`; the old token is refused from then on
  # (nodes that already joined keep their credentials). Answers with the cluster as it now is.
  rotateToken @12 (role :Types.NodeRole) -> ClusterInfo;
}

struct ClusterInfo {
  id @0 :Text;
  leaderNodeId @1 :Text;
  managers @2 :List(Types.Peer);    # the leader first
  workerToken @3 :Text;
  managerToken @4 :Text;
}

# manager::ControlOperation, one member per operation.
struct ControlOperation {
  union {
    none @0 :Void;                  # refused by the codec: no operation given
    createService @1 :Types.ServiceSpec;
    updateService :group {
      service @2 :Text;
      spec @3 :Types.ServiceSpec;   # replaces the whole spec
    }
    scaleService :group {
      service @4 :Text;
      replicas @5 :Int64;
    }
    removeService @6 :Text;
    promoteNode @7 :Text;
    demoteNode @8 :Text;
    drainNode @9 :Text;
    pauseNode @10 :Text;
    activateNode @11 :Text;
    removeNode :group {
      node @12 :Text;
      force @13 :Bool;              # without it, only a DOWN worker can be removed
    }
    createSecret :group {
      name @14 :Text;
      data @15 :Data;
    }
    removeSecret @16 :Text;
    createConfig :group {
      name @17 :Text;
      data @18 :Data;
    }
    removeConfig @19 :Text;
  }
}

# manager::ControlErrorCode, after the gRPC codes of SwarmKit's control API.
enum ControlErrorCode {
  invalidArgument @0;
  notFound @1;
  alreadyExists @2;
  failedPrecondition @3;
}

struct ControlError {
  code @0 :ControlErrorCode;
  message @1 :Text;
}

# manager::ControlAnswer: done (with the id of what was created, empty otherwise) or refused.
struct ControlResult {
  union {
    none @0 :Void;                  # refused by the codec: a missing answer is not a success
    done @1 :Text;
    error @2 :ControlError;
  }
}

struct TaskFilter {
  serviceId @0 :Text;
  nodeId @1 :Text;
}

# A secret as queries show it: never its data.
struct SecretInfo {
  id @0 :Text;
  name @1 :Text;
  dataBytes @2 :UInt64;
}

# A config as lists show it; inspectConfig returns its data too.
struct ConfigInfo {
  id @0 :Text;
  name @1 :Text;
  dataBytes @2 :UInt64;
}

struct NodeLookup {
  union {
    found @0 :Types.NodeRecord;
    error @1 :ControlError;
  }
}

struct ServiceLookup {
  union {
    found @0 :Types.ServiceRecord;
    error @1 :ControlError;
  }
}

struct TaskLookup {
  union {
    found @0 :Types.Task;
    error @1 :ControlError;
  }
}

struct SecretLookup {
  union {
    found @0 :SecretInfo;
    error @1 :ControlError;
  }
}

struct ConfigLookup {
  union {
    found @0 :Types.Config;
    error @1 :ControlError;
  }
}
