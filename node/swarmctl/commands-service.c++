// service create, ls, inspect, update, scale, rm.
#include <map>
#include <memory>

#include "node/swarmctl/commands.h"
#include "node/swarmctl/durations.h"
#include "node/swarmctl/failure.h"
#include "node/swarmctl/format-json.h"
#include "node/swarmctl/format-table.h"
#include "node/swarmctl/format-text.h"
#include "node/swarmctl/print.h"
#include "node/swarmctl/references.h"
#include "node/swarmctl/service-spec.h"
#include "node/swarmctl/views.h"

namespace swarmlet::swarmctl {
namespace {

constexpr const char* SERVICE_HELP = "The service: its id, name or a unique id prefix";

// The flags of create and update as CLI11 fills them; an option's count() says it was given.
struct ServiceFlags {
  std::string service;
  std::string name;
  int64_t replicas = 0;
  std::string mode;
  std::vector<std::string> env;
  std::vector<std::string> envRemove;
  std::string restartCondition;
  std::string restartDelay;
  int64_t restartMaxAttempts = 0;
  std::string restartWindow;
  int64_t updateParallelism = 0;
  std::string updateDelay;
  std::vector<std::string> secrets;
  std::vector<std::string> secretsRemove;
  std::vector<std::string> configs;
  std::vector<std::string> configsRemove;
  std::vector<std::string> command;
  std::map<std::string, CLI::Option*> options;

  bool given(const std::string& flag) const {
    auto found = options.find(flag);
    return found != options.end() && found->second->count() > 0;
  }
};

void addSpecFlags(CLI::App& leaf, ServiceFlags& flags, bool update) {
  auto& o = flags.options;
  o["--name"] = leaf.add_option("--name", flags.name, "The service's name (unique)");
  o["--replicas"] = leaf.add_option("--replicas", flags.replicas,
                                    "Tasks to run (replicated services; default 1)");
  o["--mode"] = leaf.add_option("--mode", flags.mode, "replicated (default) or global")
                    ->check(CLI::IsMember({"replicated", "global"}));
  o["--env"] = leaf.add_option("--env", flags.env, "Set an environment variable (repeatable)")
                   ->allow_extra_args(false)
                   ->check(envValidator());
  o["--restart-condition"] =
      leaf.add_option("--restart-condition", flags.restartCondition,
                      "When a task is restarted: any (default), on-failure or none")
          ->check(CLI::IsMember({"any", "on-failure", "none"}));
  o["--restart-delay"] =
      leaf.add_option("--restart-delay", flags.restartDelay, "Wait before a restart (default 5s)")
          ->check(durationValidator());
  o["--restart-max-attempts"] = leaf.add_option("--restart-max-attempts", flags.restartMaxAttempts,
                                                "Restarts of one slot at most (0: no limit)");
  o["--restart-window"] =
      leaf.add_option("--restart-window", flags.restartWindow,
                      "The window the restart attempts count in (0s: the service's life)")
          ->check(durationValidator());
  o["--update-parallelism"] =
      leaf.add_option("--update-parallelism", flags.updateParallelism,
                      "Tasks replaced at a time by a rolling update (0: all; default 1)");
  o["--update-delay"] = leaf.add_option("--update-delay", flags.updateDelay,
                                        "Wait between two batches of a rolling update")
                            ->check(durationValidator());
  o["--secret"] = leaf.add_option("--secret", flags.secrets,
                                  "Give the tasks a secret: id, name or id prefix (repeatable)")
                      ->allow_extra_args(false);
  o["--config"] = leaf.add_option("--config", flags.configs,
                                  "Give the tasks a config: id, name or id prefix (repeatable)")
                      ->allow_extra_args(false);
  if (update) {
    o["--env-rm"] =
        leaf.add_option("--env-rm", flags.envRemove, "Remove an environment variable (repeatable)")
            ->allow_extra_args(false);
    o["--secret-rm"] =
        leaf.add_option("--secret-rm", flags.secretsRemove, "Take a secret away (repeatable)")
            ->allow_extra_args(false);
    o["--config-rm"] =
        leaf.add_option("--config-rm", flags.configsRemove, "Take a config away (repeatable)")
            ->allow_extra_args(false);
  }
}

Duration duration(const std::string& text) {
  io::Decoded<Duration> parsed = parseDuration(text);
  KJ_ASSERT(parsed.ok(), "the validator let a bad duration through", text);
  return *parsed.value;
}

// The ids `refs` name among `candidates`.
template <typename Id>
std::vector<Id> resolveAll(const std::vector<std::string>& refs,
                           const std::vector<Candidate>& candidates, const RecordKind& kind) {
  std::vector<Id> ids;
  for (const std::string& ref : refs)
    ids.push_back(Id{resolveOrFail(candidates, ref, kind)});
  return ids;
}

// A spec's secrets (configs) as candidates of a removal: named when the record still exists.
template <typename Id>
std::vector<Candidate> inSpec(const std::vector<Id>& ids, const std::vector<Candidate>& known) {
  std::vector<Candidate> candidates;
  for (const Id& id : ids) {
    Candidate candidate{id.value, "", true};
    for (const Candidate& each : known) {
      if (each.id == id.value) candidate.name = each.name;
    }
    candidates.push_back(candidate);
  }
  return candidates;
}

void resolveSecretsAndConfigs(Connection& control, const ServiceFlags& flags,
                              const manager::ServiceSpec& current, ServiceChanges& changes) {
  if (!flags.secrets.empty() || !flags.secretsRemove.empty()) {
    std::vector<Candidate> known = secretCandidates(control.listSecrets());
    changes.secretsAdd = resolveAll<SecretId>(flags.secrets, known, SECRET_KIND);
    changes.secretsRemove =
        resolveAll<SecretId>(flags.secretsRemove, inSpec(current.task.secrets, known), SECRET_KIND);
  }
  if (!flags.configs.empty() || !flags.configsRemove.empty()) {
    std::vector<Candidate> known = configCandidates(control.listConfigs());
    changes.configsAdd = resolveAll<ConfigId>(flags.configs, known, CONFIG_KIND);
    changes.configsRemove =
        resolveAll<ConfigId>(flags.configsRemove, inSpec(current.task.configs, known), CONFIG_KIND);
  }
}

ServiceChanges changesFrom(Connection& control, const ServiceFlags& flags,
                           const manager::ServiceSpec& current) {
  ServiceChanges changes;
  if (flags.given("--name")) changes.name = flags.name;
  if (flags.given("--mode")) changes.mode = parseMode(flags.mode);
  if (flags.given("--replicas")) changes.replicas = flags.replicas;
  for (const std::string& entry : flags.env) {
    auto [key, value] = *parseEnv(entry);
    changes.envSet[key] = value;
  }
  changes.envRemove = flags.envRemove;
  if (flags.given("--restart-condition")) {
    changes.restartCondition = parseRestartCondition(flags.restartCondition);
  }
  if (flags.given("--restart-delay")) changes.restartDelay = duration(flags.restartDelay);
  if (flags.given("--restart-max-attempts")) changes.restartMaxAttempts = flags.restartMaxAttempts;
  if (flags.given("--restart-window")) changes.restartWindow = duration(flags.restartWindow);
  if (flags.given("--update-parallelism")) changes.updateParallelism = flags.updateParallelism;
  if (flags.given("--update-delay")) changes.updateDelay = duration(flags.updateDelay);
  if (!flags.command.empty()) changes.command = flags.command;
  resolveSecretsAndConfigs(control, flags, current, changes);
  return changes;
}

void createService(Context& context, const ServiceFlags& flags) {
  if (flags.mode == "global" && flags.given("--replicas")) {
    fail(ExitCode::USAGE,
         "--replicas applies only to replicated services; see swarmctl service create --help");
  }
  manager::ServiceSpec spec = defaultSpec();
  spec = applyChanges(spec, changesFrom(context.control(), flags, spec));
  printChanged(context, context.control().apply(manager::CreateService{spec}));
}

void updateService(Context& context, const ServiceFlags& flags) {
  Connection& control = context.control();
  ServiceId id = resolveService(control, flags.service);
  manager::ServiceSpec current = control.inspectService(id).spec;
  manager::ServiceSpec spec = applyChanges(current, changesFrom(control, flags, current));
  control.apply(manager::UpdateService{id, spec});
  printChanged(context, id.value);
}

void listServices(Context& context) {
  Connection& control = context.control();
  std::vector<manager::ServiceRecord> services = control.listServices();
  std::vector<ServiceView> views = serviceViews(services, control.listTasks({}));
  Json array = Json::array();
  std::vector<std::string> ids;
  for (const ServiceView& view : views) {
    array.push_back(serviceJson(view));
    ids.push_back(view.service.id.value);
  }
  printList(context, serviceTable(views), array, ids);
}

void inspectService(Context& context, const std::string& ref) {
  Connection& control = context.control();
  manager::ServiceRecord service = control.inspectService(resolveService(control, ref));
  ServiceView view = serviceView(service, control.listTasks(io::TaskFilter{service.id, {}}));
  printRecord(context, serviceText(view), serviceJson(view), service.id.value);
}

// `service scale S=N`, or `service scale S N`.
void scaleService(Context& context, const std::string& target, const std::string& count) {
  std::string ref = target;
  std::string replicas = count;
  if (count.empty()) {
    size_t equals = target.rfind('=');
    if (equals == std::string::npos) {
      fail(ExitCode::USAGE,
           "give the replica count as SERVICE=REPLICAS or SERVICE REPLICAS; see swarmctl service "
           "scale --help");
    }
    ref = target.substr(0, equals);
    replicas = target.substr(equals + 1);
  }
  std::optional<int64_t> number = parseInteger(replicas);
  if (!number.has_value()) {
    fail(ExitCode::USAGE,
         "\"" + replicas + "\" is not a replica count; see swarmctl service scale --help");
  }
  ServiceId id = resolveService(context.control(), ref);
  context.control().apply(manager::ScaleService{id, *number});
  printChanged(context, id.value);
}

void addCreate(CLI::App& service, Command& selected) {
  CLI::App* create = service.add_subcommand(
      "create", "Create a service and print its id: swarmctl service create --name N -- COMMAND");
  auto flags = std::make_shared<ServiceFlags>();
  addSpecFlags(*create, *flags, false);
  flags->options["--name"]->required();
  create->add_option("command", flags->command, "The command to run and its arguments, after --")
      ->required();
  onSelect(*create, selected, [flags](Context& context) { createService(context, *flags); });
}

void addUpdate(CLI::App& service, Command& selected) {
  CLI::App* update = service.add_subcommand(
      "update", "Change a service: only the flags given change; -- COMMAND replaces the command");
  auto flags = std::make_shared<ServiceFlags>();
  update->add_option("service", flags->service, SERVICE_HELP)->required();
  addSpecFlags(*update, *flags, true);
  update->add_option("command", flags->command, "A new command and its arguments, after --");
  onSelect(*update, selected, [flags](Context& context) { updateService(context, *flags); });
}

}  // namespace

void addServiceCommands(CLI::App& app, Command& selected) {
  CLI::App& service = addGroup(app, "service", "Services: the tasks the cluster keeps running");
  addCreate(service, selected);

  CLI::App* ls = service.add_subcommand("ls", "List the services");
  onSelect(*ls, selected, listServices);

  CLI::App* inspect = service.add_subcommand("inspect", "Show one service");
  auto ref = std::make_shared<std::string>();
  inspect->add_option("service", *ref, SERVICE_HELP)->required();
  onSelect(*inspect, selected, [ref](Context& context) { inspectService(context, *ref); });

  addUpdate(service, selected);

  CLI::App* scale = service.add_subcommand(
      "scale", "Set a replicated service's replica count: swarmctl service scale S=N (or S N)");
  auto target = std::make_shared<std::string>();
  auto count = std::make_shared<std::string>();
  scale->add_option("service", *target, "SERVICE=REPLICAS, or SERVICE")->required();
  scale->add_option("replicas", *count, "REPLICAS, when not given after '='");
  onSelect(*scale, selected,
           [target, count](Context& context) { scaleService(context, *target, *count); });

  CLI::App* rm = service.add_subcommand("rm", "Remove a service and stop its tasks");
  auto removed = std::make_shared<std::string>();
  rm->add_option("service", *removed, SERVICE_HELP)->required();
  onSelect(*rm, selected, [removed](Context& context) {
    ServiceId id = resolveService(context.control(), *removed);
    context.control().apply(manager::RemoveService{id});
    printChanged(context, id.value);
  });
}

}  // namespace swarmlet::swarmctl
