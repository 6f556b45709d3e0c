// secret create NAME [FILE|-], secret ls, secret rm S; the same for config.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <istream>
#include <iterator>
#include <memory>

#include "core/limits.h"
#include "node/swarmctl/commands.h"
#include "node/swarmctl/failure.h"
#include "node/swarmctl/format-json.h"
#include "node/swarmctl/format-table.h"
#include "node/swarmctl/print.h"
#include "node/swarmctl/references.h"
#include "node/swarmctl/views.h"

namespace swarmlet::swarmctl {
namespace {

// At most `limit` + 1 bytes of `in`: enough to tell that it is too large without reading all.
std::string readAtMost(std::istream& in, size_t limit) {
  std::string data;
  std::istreambuf_iterator<char> at(in), end;
  for (; at != end && data.size() <= limit; ++at)
    data.push_back(*at);
  return data;
}

// The data of `secret create NAME FILE`: the file, or stdin for "-" or no FILE.
std::string readData(Context& context, const std::string& file, const char* kind) {
  const size_t limit = limits::SECRET_DATA_BYTES_MAX;
  std::string data;
  if (file.empty() || file == "-") {
    data = readAtMost(context.in(), limit);
  } else {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      fail(ExitCode::USAGE, "cannot read " + file + ": " + std::strerror(errno) +
                                "; give a readable file, or - for stdin");
    }
    data = readAtMost(in, limit);
  }
  if (data.size() > limit) {
    fail(ExitCode::REFUSED, std::string("the ") + kind + " data is larger than " +
                                std::to_string(limit) + " bytes; give a smaller one");
  }
  return data;
}

struct CreateFlags {
  std::string name;
  std::string file;
};

// One kind: its name, and how its commands reach the control API.
struct DataKind {
  const char* name;
  const char* description;
  manager::ControlOperation (*create)(std::string name, std::string data);
  manager::ControlOperation (*remove)(const std::string& id);
  std::vector<Candidate> (*candidates)(Connection& control);
  void (*list)(Context& context);
  const RecordKind& kind;
};

template <typename Info>
void printInfos(Context& context, const std::vector<Info>& infos, Table table,
                Json (*toJson)(const Info&)) {
  Json array = Json::array();
  std::vector<std::string> ids;
  for (const Info& info : infos) {
    array.push_back(toJson(info));
    ids.push_back(info.id.value);
  }
  printList(context, table, array, ids);
}

const DataKind SECRET{"secret",
                      "Secrets: data the tasks that name them get as files (never shown again)",
                      [](std::string name, std::string data) -> manager::ControlOperation {
                        return manager::CreateSecret{std::move(name), std::move(data)};
                      },
                      [](const std::string& id) -> manager::ControlOperation {
                        return manager::RemoveSecret{SecretId{id}};
                      },
                      [](Connection& control) { return secretCandidates(control.listSecrets()); },
                      [](Context& context) {
                        auto secrets = sortedByName(context.control().listSecrets());
                        printInfos(context, secrets, secretTable(secrets), secretJson);
                      },
                      SECRET_KIND};

const DataKind CONFIG{"config",
                      "Configs: data the tasks that name them get as files",
                      [](std::string name, std::string data) -> manager::ControlOperation {
                        return manager::CreateConfig{std::move(name), std::move(data)};
                      },
                      [](const std::string& id) -> manager::ControlOperation {
                        return manager::RemoveConfig{ConfigId{id}};
                      },
                      [](Connection& control) { return configCandidates(control.listConfigs()); },
                      [](Context& context) {
                        auto configs = sortedByName(context.control().listConfigs());
                        printInfos(context, configs, configTable(configs), configJson);
                      },
                      CONFIG_KIND};

void addDataCommands(CLI::App& app, Command& selected, const DataKind& data) {
  CLI::App& group = addGroup(app, data.name, data.description);
  const std::string kind = data.name;

  CLI::App* create = group.add_subcommand(
      "create", "Create a " + kind + " from FILE, or from stdin (no FILE or -), and print its id");
  auto flags = std::make_shared<CreateFlags>();
  create->add_option("name", flags->name, "The " + kind + "'s name (unique)")->required();
  create->add_option("file", flags->file, "The file to read; - or none: stdin");
  onSelect(*create, selected, [flags, &data](Context& context) {
    std::string bytes = readData(context, flags->file, data.name);
    printChanged(context, context.control().apply(data.create(flags->name, std::move(bytes))));
  });

  CLI::App* ls = group.add_subcommand("ls", "List the " + kind + "s (names and sizes only)");
  onSelect(*ls, selected, data.list);

  CLI::App* rm = group.add_subcommand("rm", "Remove a " + kind + " no service uses");
  auto ref = std::make_shared<std::string>();
  rm->add_option(kind, *ref, "The " + kind + ": its id, name or a unique id prefix")->required();
  onSelect(*rm, selected, [ref, &data](Context& context) {
    std::string id = resolveOrFail(data.candidates(context.control()), *ref, data.kind);
    context.control().apply(data.remove(id));
    printChanged(context, id);
  });
}

}  // namespace

void addSecretAndConfigCommands(CLI::App& app, Command& selected) {
  addDataCommands(app, selected, SECRET);
  addDataCommands(app, selected, CONFIG);
}

}  // namespace swarmlet::swarmctl
