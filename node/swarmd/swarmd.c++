// swarmd: a swarmlet node (docs/swarmd.md). Parses the command line, sets up the log and the
// event loop, and runs the node until a signal stops it.
#include <signal.h>

#include <kj/async-unix.h>
#include <CLI/CLI.hpp>
#include <string>

#include "node/swarmd/flags.h"
#include "node/swarmd/log.h"
#include "node/swarmd/node.h"

namespace {

using namespace swarmlet;
using namespace swarmlet::node;

// "5s", "500ms", "1m30s" as a Duration; nullopt when malformed.
std::optional<Duration> parseDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
      ++i;
    if (start == i || i - start > 12) return std::nullopt;
    int64_t value = std::stoll(text.substr(start, i - start));
    size_t unit = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
      ++i;
    std::string name = text.substr(unit, i - unit);
    int64_t scale = name == "ms"  ? 1'000'000
                    : name == "s" ? 1'000'000'000
                    : name == "m" ? 60'000'000'000
                    : name == "h" ? 3'600'000'000'000
                                  : 0;
    if (scale == 0) return std::nullopt;
    total += value * scale;
  }
  return Duration::nanoseconds(total);
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  std::string logLevel = "info";
  std::string logFormat = "text";
  std::string heartbeat = "5s";
  std::string joinTimeout = "20s";

  CLI::App app{
      "swarmd: a swarmlet node. On an empty state directory without --join-addr it creates a "
      "cluster and is its manager; with --join-addr and --join-token it joins one; restarted "
      "on a used state directory it resumes. It always runs an agent that runs tasks.",
      "swarmd"};
  app.set_version_flag("--version", std::string("swarmd ") + SWARMLET_VERSION);
  app.add_option("-d,--state-dir", flags.stateDir, "the node's state directory")
      ->capture_default_str();
  app.add_option("--listen-remote-api", flags.listenRemoteApi,
                 "where a manager serves agents, HOST:PORT (default 127.0.0.1:4242)");
  app.add_option("--advertise-remote-api", flags.advertiseRemoteApi,
                 "the address agents are given for this manager (default: the listen address)");
  app.add_option("--listen-control-api", flags.listenControlApi,
                 "the control API's Unix socket on the manager (default DIR/swarmd.sock)");
  app.add_option("--join-addr", flags.joinAddr, "a manager to join, HOST:PORT");
  app.add_option("--join-token", flags.joinToken, "the cluster's worker or manager join token");
  app.add_option("--hostname", flags.hostname, "the node's name (default: the system's hostname)");
  app.add_option("--heartbeat-period", heartbeat,
                 "the cluster's heartbeat period, set when the cluster is created")
      ->capture_default_str();
  app.add_option("--join-timeout", joinTimeout,
                 "how long a first join waits for a manager to answer")
      ->capture_default_str();
  app.add_option("--log-level", logLevel, "debug, info, warn or error")->capture_default_str();
  app.add_option("--log-format", logFormat, "text or json")->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForVersion& version) {
    return app.exit(version);
  } catch (const CLI::ParseError& error) {
    std::cerr << "swarmd: " << error.what() << "; see swarmd --help\n";
    return EXIT_USAGE;
  }

  auto usage = [](const std::string& message) {
    std::cerr << "swarmd: " << message << "; see swarmd --help\n";
    return EXIT_USAGE;
  };
  auto level = parseLogLevel(logLevel);
  if (!level) return usage("--log-level: " + logLevel + " is not debug, info, warn or error");
  auto format = parseLogFormat(logFormat);
  if (!format) return usage("--log-format: " + logFormat + " is not text or json");
  auto period = parseDuration(heartbeat);
  if (!period || *period < Duration::milliseconds(200) || *period > Duration::hours(1)) {
    return usage("--heartbeat-period: " + heartbeat + " is not a duration from 200ms to 1h");
  }
  auto timeout = parseDuration(joinTimeout);
  if (!timeout) return usage("--join-timeout: " + joinTimeout + " is not a duration like 20s");
  if (flags.joinAddr.empty() != flags.joinToken.empty()) {
    return usage(flags.joinAddr.empty() ? "--join-token needs --join-addr"
                                        : "--join-addr needs --join-token");
  }
  if (flags.stateDir.empty()) return usage("--state-dir: empty");
  flags.heartbeatPeriod = *period;
  flags.joinTimeout = *timeout;
  flags.logLevel = *level;
  flags.logFormat = *format;

  configureLog(flags.logLevel, flags.logFormat);
  KjLogBridge bridge;
  ::signal(SIGPIPE, SIG_IGN);
  kj::UnixEventPort::captureSignal(SIGTERM);
  kj::UnixEventPort::captureSignal(SIGINT);
  auto io = kj::setupAsyncIo();
  return runNode(io, flags);
}
