#include "node/swarmctl/cli.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <ostream>
#include <string>

#include "node/swarmctl/commands.h"
#include "node/swarmctl/context.h"
#include "node/swarmctl/failure.h"

#ifndef SWARMLET_VERSION
#error "SWARMLET_VERSION (the project's version) must be defined by the build"
#endif

namespace swarmlet::swarmctl {
namespace {

constexpr const char* FOOTER =
    "Exit status: 0 done, 1 the cluster refused the request, 2 usage error, 3 swarmd "
    "unreachable.\nGlobal options (-s, --addr, -o, -q) go before or after the command; see "
    "swarmctl --help.\nEnvironment: SWARM_SOCKET, the control socket when -s is not given.";

void addGlobalOptions(CLI::App& app, GlobalOptions& options) {
  app.add_option("-s,--socket", options.socket,
                 "swarmd's control socket (default $SWARM_SOCKET, else " +
                     std::string(DEFAULT_SOCKET) + ")")
      ->envname("SWARM_SOCKET");
  app.add_option("--addr", options.address, "swarmd's control API over TCP instead (HOST:PORT)");
  app.add_option("-o,--output", options.output, "table (default) or json")
      ->check(CLI::IsMember({"table", "json"}));
  app.add_flag("-q,--quiet", options.quiet, "Print ids only, one per line");
  app.set_version_flag("--version", std::string("swarmctl ") + SWARMLET_VERSION);
}

// The deepest command the parse reached ("swarmctl service create" is `create`), and its path.
CLI::App& reached(CLI::App& app, std::string& path) {
  path = app.get_name();
  CLI::App* at = &app;
  for (std::vector<CLI::App*> chosen; !(chosen = at->get_subcommands()).empty();) {
    at = chosen.front();
    path += " " + at->get_name();
  }
  return *at;
}

// CLI11 checks what is required before what is left over, so a typo ("swarmctl frobnicate",
// "--bogus" before a missing argument) would read as "A subcommand is required": the words it
// could not place are named instead.
std::string usageMessage(CLI::App& app, CLI::App& deepest, const std::string& path,
                         const CLI::ParseError& error) {
  std::vector<std::string> extras = app.remaining(true);
  // CLI11 keeps the "--" it read among them.
  extras.erase(std::remove(extras.begin(), extras.end(), "--"), extras.end());
  if (extras.empty() || dynamic_cast<const CLI::RequiredError*>(&error) == nullptr) {
    return error.what();
  }
  if (deepest.get_require_subcommand_min() > 0 && extras.front().rfind('-', 0) != 0) {
    return "\"" + extras.front() + "\" is not a command of " + path;
  }
  return CLI::ExtrasError(extras).what();
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err, std::istream& in) {
  CLI::App app(
      "swarmctl controls a swarmlet cluster through the control API of its leader's "
      "swarmd.",
      "swarmctl");
  // Global options may come after the subcommand too: subcommands hand what they do not know to
  // their parent (inherited by every subcommand added below).
  app.fallthrough();
  app.require_subcommand(1);
  app.footer(FOOTER);
  GlobalOptions options;
  addGlobalOptions(app, options);
  Command selected;
  addClusterCommands(app, selected);
  addNodeCommands(app, selected);
  addServiceCommands(app, selected);
  addTaskCommands(app, selected);
  addSecretAndConfigCommands(app, selected);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // --help and --version are "errors" of exit code 0: CLI11 prints them.
    if (error.get_exit_code() == 0) return app.exit(error, out, err);
    std::string path;
    CLI::App& deepest = reached(app, path);
    err << "swarmctl: " << usageMessage(app, deepest, path, error) << "; see " << path
        << " --help\n";
    return static_cast<int>(ExitCode::USAGE);
  }
  KJ_ASSERT(selected != nullptr, "a command line parsed without selecting a command");
  Context context(std::move(options), out, in);
  try {
    selected(context);
  } catch (const Failure& failure) {
    out.flush();
    err << "swarmctl: " << failure.line << "\n";
    return static_cast<int>(failure.code);
  }
  out.flush();
  return static_cast<int>(ExitCode::SUCCESS);
}

}  // namespace swarmlet::swarmctl
