// One swarmd: the node's identity (created, joined or resumed), its agent (always), the
// cluster's manager (on the node that created the cluster), a forwarding manager endpoint (on a
// node promoted to manager), all on one KJ event loop, until a signal stops it gracefully or
// something fails (docs/swarmd.md).
#pragma once

#include <kj/async-io.h>

#include "node/swarmd/flags.h"

namespace swarmlet::node {

// Runs the node; returns the process's exit status (flags.h). REQUIRES: SIGTERM and SIGINT were
// captured (kj::UnixEventPort::captureSignal) before `io` was set up.
int runNode(kj::AsyncIoContext& io, const Flags& flags);

}  // namespace swarmlet::node
