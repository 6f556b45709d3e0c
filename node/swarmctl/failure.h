// How a swarmctl command ends when it cannot do what was asked: an exit status of the contract
// and one line for stderr. A command stops at its first failure, wherever it is found (a
// reference that names nothing, a refusal of the manager, a lost connection), so a Failure is
// thrown and main() catches it once, prints "swarmctl: <line>" and exits with its code; CLI11
// reports its parse errors the same way. Expected failures of the pure parts (a duration, a
// reference) are data there (io::Decoded, std::variant) and become a Failure only in the
// command that met them.
#pragma once

#include <string>
#include <utility>

namespace swarmlet::swarmctl {

enum class ExitCode : int {
  SUCCESS = 0,
  // The cluster refused the request: not found, already exists, invalid argument, failed
  // precondition, an ambiguous reference.
  REFUSED = 1,
  // A bad flag or a missing argument.
  USAGE = 2,
  // swarmd cannot be reached: no socket, connection refused, the connection lost.
  UNREACHABLE = 3,
};

struct Failure {
  ExitCode code = ExitCode::REFUSED;
  // "<what is wrong>; <what to do>", without the "swarmctl: " prefix and the newline.
  std::string line;
};

[[noreturn]] inline void fail(ExitCode code, std::string line) {
  throw Failure{code, std::move(line)};
}

}  // namespace swarmlet::swarmctl
