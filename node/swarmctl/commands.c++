#include "node/swarmctl/commands.h"

#include "node/swarmctl/durations.h"
#include "node/swarmctl/service-spec.h"

namespace swarmlet::swarmctl {

void onSelect(CLI::App& leaf, Command& selected, Command command) {
  leaf.callback([&selected, command = std::move(command)]() { selected = command; });
}

CLI::App& addGroup(CLI::App& parent, const std::string& name, const std::string& description) {
  CLI::App* group = parent.add_subcommand(name, description);
  group->require_subcommand(1);
  return *group;
}

CLI::Validator durationValidator() {
  return CLI::Validator(
      [](const std::string& text) {
        io::Decoded<Duration> parsed = parseDuration(text);
        return parsed.ok() ? std::string() : parsed.error;
      },
      "DURATION");
}

CLI::Validator envValidator() {
  return CLI::Validator(
      [](const std::string& text) {
        return parseEnv(text).has_value() ? std::string() : "\"" + text + "\" is not KEY=VALUE";
      },
      "KEY=VALUE");
}

}  // namespace swarmlet::swarmctl
