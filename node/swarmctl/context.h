// What every swarmctl command runs with: the global options (-s, --addr, -o, -q), its streams,
// and the connection to swarmd, opened on first use so that --help and usage errors never
// connect. main() builds one Context for the one command a command line selects.
// Ownership: the Context owns the connection; the streams are borrowed. Thread-safety: none.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <utility>

#include "node/swarmctl/connection.h"

namespace swarmlet::swarmctl {

// The default control socket: swarmd's default state directory, relative to where swarmctl runs.
inline constexpr const char* DEFAULT_SOCKET = "./swarmlet-state/swarmd.sock";

struct GlobalOptions {
  std::string socket = DEFAULT_SOCKET;
  // HOST:PORT of the control API over TCP; empty: the socket.
  std::string address;
  // "table" or "json".
  std::string output = "table";
  bool quiet = false;
};

class Context {
 public:
  Context(GlobalOptions options, std::ostream& out, std::istream& in)
      : options_(std::move(options)), out_(out), in_(in) {}
  KJ_DISALLOW_COPY(Context);

  bool json() const { return options_.output == "json"; }
  bool quiet() const { return options_.quiet; }
  std::ostream& out() { return out_; }
  std::istream& in() { return in_; }

  // Connects on the first call (a failure is UNREACHABLE).
  Connection& control() {
    if (!connection_.has_value()) {
      Endpoint endpoint = options_.address.empty() ? Endpoint{options_.socket, false}
                                                   : Endpoint{options_.address, true};
      connection_.emplace(std::move(endpoint));
    }
    return *connection_;
  }

 private:
  GlobalOptions options_;
  std::ostream& out_;
  std::istream& in_;
  std::optional<Connection> connection_;
};

// A command's body, chosen while the command line is parsed and run after it parsed cleanly.
using Command = std::function<void(Context&)>;

}  // namespace swarmlet::swarmctl
