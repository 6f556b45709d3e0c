// node ls, inspect, promote, demote, drain, pause, activate, rm.
#include <memory>

#include "node/swarmctl/commands.h"
#include "node/swarmctl/format-json.h"
#include "node/swarmctl/format-table.h"
#include "node/swarmctl/format-text.h"
#include "node/swarmctl/print.h"
#include "node/swarmctl/references.h"

namespace swarmlet::swarmctl {
namespace {

void listNodes(Context& context) {
  Connection& control = context.control();
  // One call after the other: argument order would leave which failure is reported unspecified.
  std::vector<manager::NodeRecord> nodes = control.listNodes();
  std::vector<NodeView> views = nodeViews(nodes, control.tryInspectCluster());
  Json array = Json::array();
  std::vector<std::string> ids;
  for (const NodeView& view : views) {
    array.push_back(nodeJson(view));
    ids.push_back(view.node.id.value);
  }
  printList(context, nodeTable(views), array, ids);
}

void inspectNode(Context& context, const std::string& ref) {
  Connection& control = context.control();
  manager::NodeRecord node = control.inspectNode(resolveNode(control, ref));
  NodeView view{node, managerStatus(node, control.tryInspectCluster())};
  printRecord(context, nodeText(view), nodeJson(view), node.id.value);
}

using NodeOperation = manager::ControlOperation (*)(const NodeId&);

// A command that resolves NODE, applies one operation to it and prints its id.
void addNodeOperation(CLI::App& node, Command& selected, const std::string& name,
                      const std::string& description, NodeOperation operation) {
  CLI::App* leaf = node.add_subcommand(name, description);
  auto ref = std::make_shared<std::string>();
  leaf->add_option("node", *ref, "The node: its id, hostname or a unique id prefix")->required();
  onSelect(*leaf, selected, [ref, operation](Context& context) {
    NodeId id = resolveNode(context.control(), *ref);
    context.control().apply(operation(id));
    printChanged(context, id.value);
  });
}

}  // namespace

void addNodeCommands(CLI::App& app, Command& selected) {
  CLI::App& node = addGroup(app, "node", "The cluster's nodes");

  CLI::App* ls = node.add_subcommand("ls", "List the nodes");
  onSelect(*ls, selected, listNodes);

  CLI::App* inspect = node.add_subcommand("inspect", "Show one node");
  auto ref = std::make_shared<std::string>();
  inspect->add_option("node", *ref, "The node: its id, hostname or a unique id prefix")->required();
  onSelect(*inspect, selected, [ref](Context& context) { inspectNode(context, *ref); });

  addNodeOperation(
      node, selected, "promote", "Make a worker a manager",
      [](const NodeId& id) -> manager::ControlOperation { return manager::PromoteNode{id}; });
  addNodeOperation(
      node, selected, "demote", "Make a manager a worker (not the last manager)",
      [](const NodeId& id) -> manager::ControlOperation { return manager::DemoteNode{id}; });
  addNodeOperation(
      node, selected, "drain", "Stop placing tasks on the node and move its tasks elsewhere",
      [](const NodeId& id) -> manager::ControlOperation { return manager::DrainNode{id}; });
  addNodeOperation(
      node, selected, "pause", "Stop placing new tasks on the node; its tasks keep running",
      [](const NodeId& id) -> manager::ControlOperation { return manager::PauseNode{id}; });
  addNodeOperation(
      node, selected, "activate", "Place tasks on the node again",
      [](const NodeId& id) -> manager::ControlOperation { return manager::ActivateNode{id}; });

  CLI::App* rm = node.add_subcommand(
      "rm", "Remove a worker from the cluster (without --force, only a DOWN one)");
  auto removed = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  rm->add_flag("--force", *force, "Remove the node even if it is not DOWN");
  rm->add_option("node", *removed, "The node: its id, hostname or a unique id prefix")->required();
  onSelect(*rm, selected, [removed, force](Context& context) {
    NodeId id = resolveNode(context.control(), *removed);
    context.control().apply(manager::RemoveNode{id, *force});
    printChanged(context, id.value);
  });
}

}  // namespace swarmlet::swarmctl
