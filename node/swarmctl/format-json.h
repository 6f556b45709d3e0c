// swarmctl's `-o json` output: one JSON value per record with the contract's camelCase keys, in
// the order the contract lists them (nlohmann::ordered_json). Lists print an array of these,
// inspect one object, create {"id": "..."}. States are upper case as in the tables, roles
// "worker"/"manager", modes "replicated"/"global", durations strings as core/time.h prints them
// ("5s", "1.5s", "0s"). Pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "io/codec-control.h"
#include "node/swarmctl/cluster-info.h"
#include "node/swarmctl/views.h"

namespace swarmlet::swarmctl {

using Json = nlohmann::ordered_json;

// id, hostname, status, statusMessage, availability, role, desiredRole, managerStatus,
// platform, cpus (CPUs: the record's thousandths divided by 1000), memoryBytes, labels, version
Json nodeJson(const NodeView& view);
// id, name, mode, replicas (desired), runningTasks, command, args, env, secrets, configs,
// restart {condition, delay, maxAttempts, window}, update {parallelism, delay}, version
Json serviceJson(const ServiceView& view);
// id, name, serviceId, serviceName, slot, nodeId, desiredState, currentState, message, error,
// exitCode (null when none), version
Json taskJson(const TaskView& view);
// id, name, size
Json secretJson(const io::SecretInfo& secret);
Json configJson(const io::ConfigInfo& config);
// id, leader, managers [{nodeId, address}], tokens {worker, manager}
Json clusterJson(const ClusterInfo& cluster);
// {"id": id}: what create (and every other change) prints.
Json idJson(const std::string& id);

// Indented by two spaces, ending in '\n'. Bytes that are not UTF-8 print as U+FFFD.
std::string render(const Json& value);

}  // namespace swarmlet::swarmctl
