#include "node/swarmd/log.h"

#include <kj/debug.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace swarmlet::node {

namespace {

LogLevel minimum = LogLevel::INFO;
LogFormat style = LogFormat::TEXT;

const char* levelName(LogLevel level) {
  switch (level) {
    case LogLevel::DEBUG:
      return "debug";
    case LogLevel::INFO:
      return "info";
    case LogLevel::WARN:
      return "warn";
    case LogLevel::ERROR:
      return "error";
  }
  return "info";
}

std::string now() {
  auto at = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return text;
}

// A text value as it is, or quoted (with " and \ escaped) when it holds a space, quote or =,
// or is empty.
std::string textValue(std::string_view value) {
  bool plain = !value.empty();
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      plain = false;
    }
  }
  if (plain) return std::string(value);
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    if (c == '\n') {
      quoted += "\\n";
      continue;
    }
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

std::optional<LogLevel> parseLogLevel(std::string_view text) {
  if (text == "debug") return LogLevel::DEBUG;
  if (text == "info") return LogLevel::INFO;
  if (text == "warn" || text == "warning") return LogLevel::WARN;
  if (text == "error") return LogLevel::ERROR;
  return std::nullopt;
}

std::optional<LogFormat> parseLogFormat(std::string_view text) {
  if (text == "text") return LogFormat::TEXT;
  if (text == "json") return LogFormat::JSON;
  return std::nullopt;
}

void configureLog(LogLevel level, LogFormat format) {
  minimum = level;
  style = format;
  kj::_::Debug::setLogLevel(level == LogLevel::DEBUG   ? kj::LogSeverity::INFO
                            : level == LogLevel::ERROR ? kj::LogSeverity::ERROR
                                                       : kj::LogSeverity::WARNING);
}

bool logs(LogLevel level) {
  return level >= minimum;
}

std::string formatLogLine(LogFormat format, const std::string& time, LogLevel level,
                          std::string_view message, const std::vector<LogField>& fields) {
  if (format == LogFormat::JSON) {
    nlohmann::ordered_json line;
    line["time"] = time;
    line["level"] = levelName(level);
    line["msg"] = std::string(message);
    for (const auto& [key, value] : fields)
      line[key] = value;
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string line = "time=" + time + " level=" + levelName(level) + " msg=" + textValue(message);
  for (const auto& [key, value] : fields)
    line += " " + key + "=" + textValue(value);
  return line;
}

void log(LogLevel level, std::string_view message, const std::vector<LogField>& fields) {
  if (!logs(level)) return;
  std::string line = formatLogLine(style, now(), level, message, fields) + "\n";
  // One write per line, so lines of concurrent processes on one stderr do not interleave.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  log(level, message, std::vector<LogField>(fields));
}

void KjLogBridge::logMessage(kj::LogSeverity severity, const char* file, int line, int,
                             kj::String&& text) {
  // KJ's INFO lines (the libraries' own chatter, and the io layer's progress notes that swarmd
  // logs in its own words) are debug lines here.
  LogLevel level = severity == kj::LogSeverity::DBG || severity == kj::LogSeverity::INFO
                       ? LogLevel::DEBUG
                   : severity == kj::LogSeverity::WARNING ? LogLevel::WARN
                                                          : LogLevel::ERROR;
  std::string message(text.cStr());
  while (!message.empty() && message.back() == '\n')
    message.pop_back();
  log(level, message, {{"source", std::string(file) + ":" + std::to_string(line)}});
}

}  // namespace swarmlet::node
