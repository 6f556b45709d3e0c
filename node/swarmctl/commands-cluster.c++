// cluster inspect, cluster rotate-token worker|manager.
#include <memory>
#include <ostream>

#include "node/swarmctl/commands.h"
#include "node/swarmctl/format-json.h"
#include "node/swarmctl/format-text.h"
#include "node/swarmctl/print.h"

namespace swarmlet::swarmctl {
namespace {

void inspectCluster(Context& context) {
  ClusterInfo cluster = context.control().inspectCluster();
  printRecord(context, clusterText(cluster), clusterJson(cluster), cluster.id);
}

// Prints the new token (the cluster as it now is with -o json).
void rotateToken(Context& context, const std::string& role) {
  NodeRole which = role == "manager" ? NodeRole::MANAGER : NodeRole::WORKER;
  ClusterInfo cluster = context.control().rotateToken(which);
  if (context.json() && !context.quiet()) {
    context.out() << render(clusterJson(cluster));
    return;
  }
  context.out() << (which == NodeRole::MANAGER ? cluster.managerToken : cluster.workerToken)
                << '\n';
}

}  // namespace

void addClusterCommands(CLI::App& app, Command& selected) {
  CLI::App& cluster = addGroup(app, "cluster", "The cluster: its id, leader, managers and tokens");

  CLI::App* inspect = cluster.add_subcommand(
      "inspect", "Show the cluster's id, leader, managers and both join tokens");
  onSelect(*inspect, selected, inspectCluster);

  CLI::App* rotate = cluster.add_subcommand(
      "rotate-token",
      "Draw a new join token for workers or managers and print it; the old one is refused from "
      "then on (nodes that already joined are not affected)");
  auto role = std::make_shared<std::string>();
  rotate->add_option("role", *role, "worker or manager")
      ->required()
      ->check(CLI::IsMember({"worker", "manager"}));
  onSelect(*rotate, selected, [role](Context& context) { rotateToken(context, *role); });
}

}  // namespace swarmlet::swarmctl
