// Runs the swarmctl binary as a child process, as a person's shell would: arguments, stdin, a
// working directory and an environment without SWARM_SOCKET unless the test sets one; collects
// its exit status, stdout and stderr.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace swarmlet::swarmctl::testing {

struct Ran {
  // The exit status; 128 + the signal when it was killed by one.
  int status = -1;
  std::string out;
  std::string err;
};

struct RunOptions {
  std::string in;
  // Empty: the test's own working directory.
  std::string workingDirectory;
  // Set in the child's environment (after SWARM_SOCKET was removed from it).
  std::map<std::string, std::string> environment;
};

Ran runSwarmctl(const std::string& binary, const std::vector<std::string>& args,
                const RunOptions& options = {});

}  // namespace swarmlet::swarmctl::testing
