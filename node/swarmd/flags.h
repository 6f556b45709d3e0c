// swarmd's command line, parsed (node/swarmd/swarmd.c++) and handed to the node.
#pragma once

#include <string>

#include "core/time.h"
#include "node/swarmd/log.h"

namespace swarmlet::node {

// Exit statuses (docs/swarmd.md, "Exit status").
inline constexpr int EXIT_STOPPED = 0;       // stopped on request (SIGTERM, SIGINT)
inline constexpr int EXIT_FAILED = 1;        // failed while running (a store write, a port, ...)
inline constexpr int EXIT_USAGE = 2;         // a bad flag or value
inline constexpr int EXIT_STATE_DIR = 3;     // the state directory is in use or unusable
inline constexpr int EXIT_JOIN_REFUSED = 4;  // the manager refused the join token
inline constexpr int EXIT_UNREACHABLE = 5;   // no manager answered at --join-addr

struct Flags {
  std::string stateDir = "./swarmlet-state";
  // Empty when not given: the stored value (or the default) is used.
  std::string listenRemoteApi;
  std::string advertiseRemoteApi;
  std::string listenControlApi;
  std::string joinAddr;
  std::string joinToken;
  std::string hostname;
  Duration heartbeatPeriod = Duration::seconds(5);
  Duration joinTimeout = Duration::seconds(20);
  LogLevel logLevel = LogLevel::INFO;
  LogFormat logFormat = LogFormat::TEXT;
};

inline constexpr const char* DEFAULT_LISTEN_REMOTE_API = "127.0.0.1:4242";

}  // namespace swarmlet::node
