# The on-disk records of the agent's and the manager's stores: each LevelDB value is one of these
# as a Cap'n Proto message in flat-array form (io/record-codec.h). The store decides the keys; a
# record never names its own key. Records are read back by later versions of swarmlet, so the
# compatibility rules of schemas/README.md apply with full force here.

@0x9b87ba4ebc1463d9;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("swarmlet::schema");

using Types = import "types.capnp";

# The layout version of both stores. A store written with a higher version is refused (the
# binary is older than its data); a lower one is migrated or refused by the store, never read as
# if it were current. Bump it only for a change that old readers would misread.
const storeSchemaVersion :UInt32 = 1;

# The value of a store's metadata key, written when the store is created.
struct StoreMeta {
  schemaVersion @0 :UInt32;
  kind @1 :StoreKind;
}

enum StoreKind {
  agent @0;
  manager @1;
}

# --- the agent's store (core/agent/store.h) ---------------------------------------------------

# One task's record: the task as assigned (its status blanked), whether it is still assigned to
# this node, and the agent's latest status for it.
struct StoredTask {
  task @0 :Types.Task;
  assigned @1 :Bool;
  status :union {
    none @2 :Void;
    value @3 :Types.TaskStatus;
  }
}

# The manager list an agent saves (PersistManagers) to seed its next start.
struct ManagerList {
  managers @0 :List(Types.Peer);
}

# --- the manager's store (core/manager/store.h) -----------------------------------------------

# One record of the manager's cluster state. Exactly one of the five kinds; the codec refuses a
# record whose kind it does not know (written by a newer version).
struct Record {
  union {
    node @0 :Types.NodeRecord;
    service @1 :Types.ServiceRecord;
    task @2 :Types.Task;
    secret @3 :Types.Secret;
    config @4 :Types.Config;
  }
}

# --- the manager's cluster identity (io/cluster-auth.h), under v1/cluster/ -------------------

# The cluster itself (key v1/cluster/meta): its id, the digest every join token carries, and the
# secrets of the worker's and the manager's join tokens.
struct ClusterMeta {
  id @0 :Text;
  digest @1 :Text;
  workerSecret @2 :Text;
  managerSecret @3 :Text;
}

# One node's credential (key v1/cluster/node/<node id>), drawn when it joined, and where it said
# it serves agents once it is a manager.
struct NodeAuth {
  nodeId @0 :Text;
  secret @1 :Data;
  hostname @2 :Text;
  advertiseAddress @3 :Text;
  joinedAs @4 :Types.NodeRole;    # what its join token granted
}
