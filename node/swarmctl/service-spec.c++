#include "node/swarmctl/service-spec.h"

#include <algorithm>
#include <charconv>

namespace swarmlet::swarmctl {
namespace {

template <typename Id>
void changeIds(std::vector<Id>& ids, const std::vector<Id>& remove, const std::vector<Id>& add) {
  for (const Id& id : remove)
    ids.erase(std::remove(ids.begin(), ids.end(), id), ids.end());
  for (const Id& id : add) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  }
}

template <typename T>
void set(T& field, const std::optional<T>& change) {
  if (change.has_value()) field = *change;
}

}  // namespace

manager::ServiceSpec defaultSpec() {
  manager::ServiceSpec spec;
  spec.mode = manager::ServiceMode::REPLICATED;
  spec.replicas = 1;
  return spec;
}

manager::ServiceSpec applyChanges(manager::ServiceSpec spec, const ServiceChanges& changes) {
  set(spec.name, changes.name);
  if (changes.mode.has_value() && *changes.mode != spec.mode) {
    spec.mode = *changes.mode;
    if (spec.mode == manager::ServiceMode::GLOBAL) spec.replicas = 0;
  }
  set(spec.replicas, changes.replicas);
  for (const std::string& key : changes.envRemove)
    spec.task.env.erase(key);
  for (const auto& [key, value] : changes.envSet)
    spec.task.env[key] = value;
  set(spec.restart.condition, changes.restartCondition);
  set(spec.restart.delay, changes.restartDelay);
  set(spec.restart.maxAttempts, changes.restartMaxAttempts);
  set(spec.restart.window, changes.restartWindow);
  set(spec.update.parallelism, changes.updateParallelism);
  set(spec.update.delay, changes.updateDelay);
  changeIds(spec.task.secrets, changes.secretsRemove, changes.secretsAdd);
  changeIds(spec.task.configs, changes.configsRemove, changes.configsAdd);
  if (changes.command.has_value() && !changes.command->empty()) {
    spec.task.command = changes.command->front();
    spec.task.args.assign(changes.command->begin() + 1, changes.command->end());
  }
  return spec;
}

std::optional<manager::ServiceMode> parseMode(const std::string& text) {
  if (text == "replicated") return manager::ServiceMode::REPLICATED;
  if (text == "global") return manager::ServiceMode::GLOBAL;
  return std::nullopt;
}

std::optional<manager::RestartCondition> parseRestartCondition(const std::string& text) {
  if (text == "any") return manager::RestartCondition::ANY;
  if (text == "on-failure") return manager::RestartCondition::ON_FAILURE;
  if (text == "none") return manager::RestartCondition::NONE;
  return std::nullopt;
}

std::optional<std::pair<std::string, std::string>> parseEnv(const std::string& text) {
  size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) return std::nullopt;
  return std::make_pair(text.substr(0, equals), text.substr(equals + 1));
}

std::optional<int64_t> parseInteger(const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [at, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || at != end) return std::nullopt;
  return value;
}

}  // namespace swarmlet::swarmctl
