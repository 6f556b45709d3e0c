// swarmctl's command line as a function: the global options, the command tree (commands.h), and
// every way a run ends mapped to the contract's exit status and stderr line:
//   0  done (and --help, --version);
//   1  the cluster refused the request: "swarmctl: <what is wrong>; <what to do>";
//   2  a usage error: "swarmctl: <CLI11's message>; see swarmctl <command> --help";
//   3  swarmd unreachable: "swarmctl: cannot reach swarmd at PATH: <why> (...)".
// main() passes the process's streams; tests may pass their own.
#pragma once

#include <iosfwd>

namespace swarmlet::swarmctl {

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err, std::istream& in);

}  // namespace swarmlet::swarmctl
