#include "sim/cluster-store.h"

namespace swarmlet::sim {
namespace {

template <typename Key, typename Value>
std::vector<Value> values(const std::map<Key, Value>& map) {
  std::vector<Value> result;
  result.reserve(map.size());
  for (const auto& [key, value] : map)
    result.push_back(value);
  return result;
}

}  // namespace

void applyWrite(manager::ClusterState& store, const manager::Write& write) {
  if (const auto* put = std::get_if<manager::Put>(&write)) {
    std::visit(
        [&](const auto& record) {
          using R = std::decay_t<decltype(record)>;
          if constexpr (std::is_same_v<R, manager::NodeRecord>) store.nodes[record.id] = record;
          if constexpr (std::is_same_v<R, manager::ServiceRecord>)
            store.services[record.id] = record;
          if constexpr (std::is_same_v<R, Task>) store.tasks[record.id] = record;
          if constexpr (std::is_same_v<R, Secret>) store.secrets[record.id] = record;
          if constexpr (std::is_same_v<R, Config>) store.configs[record.id] = record;
        },
        put->record);
    return;
  }
  const auto& del = std::get<manager::Delete>(write);
  switch (del.kind) {
    case manager::RecordKind::NODE:
      store.nodes.erase(NodeId{del.id});
      break;
    case manager::RecordKind::SERVICE:
      store.services.erase(ServiceId{del.id});
      break;
    case manager::RecordKind::TASK:
      store.tasks.erase(TaskId{del.id});
      break;
    case manager::RecordKind::SECRET:
      store.secrets.erase(SecretId{del.id});
      break;
    case manager::RecordKind::CONFIG:
      store.configs.erase(ConfigId{del.id});
      break;
  }
}

manager::StoreSnapshot snapshotOf(const manager::ClusterState& store) {
  return manager::StoreSnapshot{values(store.nodes), values(store.services), values(store.tasks),
                                values(store.secrets), values(store.configs)};
}

}  // namespace swarmlet::sim
