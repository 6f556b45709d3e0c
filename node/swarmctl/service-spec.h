// The service spec `service create` sends and `service update` changes: what the flags said,
// as values, applied to a spec. Update reads the current spec and changes only what was given,
// so every field here is optional or a list of changes. Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/manager/store.h"
#include "core/task.h"
#include "core/time.h"

namespace swarmlet::swarmctl {

// What create or update was told; an absent field was not given. Secrets and configs are ids
// (the references resolved).
struct ServiceChanges {
  std::optional<std::string> name;
  std::optional<manager::ServiceMode> mode;
  std::optional<int64_t> replicas;
  std::map<std::string, std::string> envSet;
  std::vector<std::string> envRemove;
  std::optional<manager::RestartCondition> restartCondition;
  std::optional<Duration> restartDelay;
  std::optional<int64_t> restartMaxAttempts;
  std::optional<Duration> restartWindow;
  std::optional<int64_t> updateParallelism;
  std::optional<Duration> updateDelay;
  std::vector<SecretId> secretsAdd;
  std::vector<SecretId> secretsRemove;
  std::vector<ConfigId> configsAdd;
  std::vector<ConfigId> configsRemove;
  // The command and its arguments; replaces both.
  std::optional<std::vector<std::string>> command;

  bool operator==(const ServiceChanges&) const = default;
};

// A new service before its flags: replicated, one replica, the core's default policies.
manager::ServiceSpec defaultSpec();

// `spec` with `changes` applied: removals before additions (so "--env-rm A --env A=1" sets A),
// an added secret or config that is there already is not added twice, and a service made global
// without a replica count gets 0 (a global service takes none).
manager::ServiceSpec applyChanges(manager::ServiceSpec spec, const ServiceChanges& changes);

std::optional<manager::ServiceMode> parseMode(const std::string& text);
std::optional<manager::RestartCondition> parseRestartCondition(const std::string& text);
// "K=V" as {K, V} (V may be empty or hold '='); nullopt without '=' or with an empty K.
std::optional<std::pair<std::string, std::string>> parseEnv(const std::string& text);
// A decimal integer, nothing else around it ("3", "-1"); nullopt otherwise.
std::optional<int64_t> parseInteger(const std::string& text);

}  // namespace swarmlet::swarmctl
