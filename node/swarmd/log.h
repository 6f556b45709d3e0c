// swarmd's log: one line per event on stderr, with stable field names (`node.id`, `session.id`,
// `task.id`, `service.id`, ...), as text (`time=... level=info msg="..." key=value`) or as one
// JSON object per line. KJ's own log lines (KJ_LOG in io/) are rewritten into the same shape by
// a KJ exception callback, so nothing reaches stderr in another format. Process-wide: configure
// once, first thing in main(). Thread-safety: one thread writes (the event loop's).
#pragma once

#include <kj/exception.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace swarmlet::node {

enum class LogLevel { DEBUG, INFO, WARN, ERROR };
enum class LogFormat { TEXT, JSON };

std::optional<LogLevel> parseLogLevel(std::string_view text);
std::optional<LogFormat> parseLogFormat(std::string_view text);

using LogField = std::pair<std::string, std::string>;

// Lines below `level` are dropped; KJ's log level follows.
void configureLog(LogLevel level, LogFormat format);
bool logs(LogLevel level);
void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
void log(LogLevel level, std::string_view message, const std::vector<LogField>& fields);
// The line log() would write (without the newline), at `time` ("2026-12-02T14:50:01.123Z").
std::string formatLogLine(LogFormat format, const std::string& time, LogLevel level,
                          std::string_view message, const std::vector<LogField>& fields);

// While alive, KJ_LOG lines go through log(): severity mapped to a level, the text as the
// message, and `source=file:line`.
class KjLogBridge final : public kj::ExceptionCallback {
 public:
  void logMessage(kj::LogSeverity severity, const char* file, int line, int contextDepth,
                  kj::String&& text) override;
};

}  // namespace swarmlet::node
