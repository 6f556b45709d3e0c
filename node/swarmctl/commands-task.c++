// task ls [--service S] [--node N], task inspect T.
#include <memory>

#include "node/swarmctl/commands.h"
#include "node/swarmctl/format-json.h"
#include "node/swarmctl/format-table.h"
#include "node/swarmctl/format-text.h"
#include "node/swarmctl/print.h"
#include "node/swarmctl/references.h"

namespace swarmlet::swarmctl {
namespace {

struct TaskFilterFlags {
  std::string service;
  std::string node;
};

void listTasks(Context& context, const TaskFilterFlags& flags) {
  Connection& control = context.control();
  io::TaskFilter filter;
  if (!flags.service.empty()) filter.service = resolveService(control, flags.service);
  if (!flags.node.empty()) filter.node = resolveNode(control, flags.node);
  std::vector<Task> tasks = control.listTasks(filter);
  std::vector<manager::ServiceRecord> services = control.listServices();
  std::vector<TaskView> views = taskViews(tasks, services, control.listNodes());
  Json array = Json::array();
  std::vector<std::string> ids;
  for (const TaskView& view : views) {
    array.push_back(taskJson(view));
    ids.push_back(view.task.id.value);
  }
  printList(context, taskTable(views), array, ids);
}

void inspectTask(Context& context, const std::string& ref) {
  Connection& control = context.control();
  Task task = control.inspectTask(resolveTask(control, ref));
  std::vector<manager::ServiceRecord> services = control.listServices();
  std::vector<TaskView> views = taskViews({task}, services, control.listNodes());
  KJ_ASSERT(views.size() == 1);
  printRecord(context, taskText(views.front()), taskJson(views.front()), task.id.value);
}

}  // namespace

void addTaskCommands(CLI::App& app, Command& selected) {
  CLI::App& task = addGroup(app, "task", "Tasks: the processes of the services, one per slot");

  CLI::App* ls = task.add_subcommand("ls", "List the tasks, the ones they replaced too");
  auto flags = std::make_shared<TaskFilterFlags>();
  ls->add_option("--service", flags->service,
                 "Only the tasks of this service (id, name or unique id prefix)");
  ls->add_option("--node", flags->node,
                 "Only the tasks on this node (id, hostname or unique id prefix)");
  onSelect(*ls, selected, [flags](Context& context) { listTasks(context, *flags); });

  CLI::App* inspect = task.add_subcommand("inspect", "Show one task");
  auto ref = std::make_shared<std::string>();
  inspect->add_option("task", *ref, "The task: its id, its name (web.1) or a unique id prefix")
      ->required();
  onSelect(*inspect, selected, [ref](Context& context) { inspectTask(context, *ref); });
}

}  // namespace swarmlet::swarmctl
