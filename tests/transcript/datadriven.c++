#include "tests/transcript/datadriven.h"

#include <kj/exception.h>

#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace swarmlet::transcript {
namespace {

[[noreturn]] void fail(const std::string& message) {
  throw std::runtime_error(message);
}

// Splits a directive line into words, keeping (...) groups and "..." strings together.
std::vector<std::string> splitWords(const std::string& line, const std::string& where) {
  std::vector<std::string> words;
  std::string current;
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      current += c;
      if (c == '\\' && i + 1 < line.size())
        current += line[++i];
      else if (c == '"')
        quoted = false;
      continue;
    }
    if (c == '"') quoted = true;
    if (c == '(') depth++;
    if (c == ')') depth--;
    if (c == ' ' && depth == 0) {
      if (!current.empty()) words.push_back(current);
      current.clear();
      continue;
    }
    current += c;
  }
  if (quoted || depth != 0) fail(where + ": unbalanced quotes or parentheses");
  if (!current.empty()) words.push_back(current);
  return words;
}

std::string unquote(const std::string& text) {
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return text;
  std::string result;
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] == '\\' && i + 2 < text.size()) {
      char next = text[++i];
      result += next == 'n' ? '\n' : next == 't' ? '\t' : next;
    } else {
      result += text[i];
    }
  }
  return result;
}

Arg parseArg(const std::string& word) {
  size_t equals = word.find('=');
  if (equals == std::string::npos || word.front() == '"' || word.front() == '(') {
    return Arg{word, "", true};
  }
  std::string value = word.substr(equals + 1);
  if (value.size() >= 2 && value.front() == '(' && value.back() == ')') {
    value = value.substr(1, value.size() - 2);
  } else {
    value = unquote(value);
  }
  return Arg{word.substr(0, equals), value, false};
}

}  // namespace

bool Args::has(const std::string& key) const {
  for (const auto& arg : args_) {
    if (!arg.bare && arg.key == key) return true;
  }
  return false;
}

std::string Args::string(const std::string& key) const {
  for (const auto& arg : args_) {
    if (!arg.bare && arg.key == key) return arg.value;
  }
  fail("missing argument " + key + "=");
}

std::string Args::string(const std::string& key, const std::string& fallback) const {
  return has(key) ? string(key) : fallback;
}

int64_t Args::integer(const std::string& key) const {
  std::string text = string(key);
  size_t used = 0;
  int64_t value = 0;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) fail("argument " + key + "=" + text + " is not an integer");
  return value;
}

std::optional<int64_t> Args::maybeInteger(const std::string& key) const {
  if (!has(key)) return std::nullopt;
  return integer(key);
}

Duration Args::duration(const std::string& key) const {
  return parseDuration(string(key));
}

std::vector<std::string> Args::list(const std::string& key) const {
  std::string text = string(key);
  std::vector<std::string> items;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') depth++;
    if (c == ')') depth--;
    if (c == ',' && depth == 0) {
      items.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty() || !items.empty()) items.push_back(current);
  return items;
}

std::vector<std::string> Args::words() const {
  std::vector<std::string> words;
  for (const auto& arg : args_) {
    if (arg.bare) words.push_back(unquote(arg.key));
  }
  return words;
}

void Args::expectOnly(const std::vector<std::string>& known) const {
  for (const auto& arg : args_) {
    if (arg.bare) continue;
    bool found = false;
    for (const auto& key : known)
      found = found || key == arg.key;
    if (!found) fail("unknown argument " + arg.key + "=");
  }
}

Duration parseDuration(const std::string& text) {
  size_t unitStart = 0;
  while (unitStart < text.size() && (std::isdigit(static_cast<unsigned char>(text[unitStart])) ||
                                     text[unitStart] == '.' || text[unitStart] == '-')) {
    unitStart++;
  }
  std::string number = text.substr(0, unitStart);
  std::string unit = text.substr(unitStart);
  if (number.empty()) fail("not a duration: " + text);
  double scale = unit == "ns"   ? 1
                 : unit == "us" ? 1e3
                 : unit == "ms" ? 1e6
                 : unit == "s"  ? 1e9
                 : unit == "m"  ? 60e9
                 : unit == "h"  ? 3600e9
                                : -1;
  if (scale < 0) fail("not a duration (unit ns, us, ms, s, m or h): " + text);
  return Duration::nanoseconds(std::llround(std::stod(number) * scale));
}

Transcript parseTranscript(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("cannot read " + path);
  Transcript transcript{path, {}, {}};
  for (std::string line; std::getline(in, line);)
    transcript.lines.push_back(line);
  const auto& lines = transcript.lines;
  size_t i = 0;
  while (i < lines.size()) {
    if (lines[i].empty() || lines[i][0] == '#') {
      i++;
      continue;
    }
    std::string where = path + ":" + std::to_string(i + 1);
    std::vector<std::string> words = splitWords(lines[i], where);
    Stanza stanza;
    stanza.file = path;
    stanza.line = static_cast<int>(i + 1);
    stanza.directive = words[0];
    std::vector<Arg> args;
    for (size_t w = 1; w < words.size(); ++w)
      args.push_back(parseArg(words[w]));
    stanza.args = Args(std::move(args));
    for (i++; i < lines.size() && lines[i] != "----"; i++) {
      if (lines[i].empty()) fail(where + ": a blank line before ----");
      stanza.input.push_back(lines[i]);
    }
    if (i == lines.size()) fail(where + ": missing ----");
    stanza.expectedBegin = ++i;
    while (i < lines.size() && !lines[i].empty())
      stanza.expected.push_back(lines[i++]);
    stanza.expectedEnd = i;
    transcript.stanzas.push_back(std::move(stanza));
  }
  return transcript;
}

std::vector<std::vector<std::string>> runStanzas(const Transcript& transcript,
                                                 const Handler& handler) {
  std::vector<std::vector<std::string>> outputs;
  for (const Stanza& stanza : transcript.stanzas) {
    std::vector<std::string> output;
    try {
      output = handler(stanza);
    } catch (const kj::Exception& e) {
      // The description only: the file and line of the failed check would churn the transcript.
      output.push_back(std::string("error: ") + e.getDescription().cStr());
    } catch (const std::exception& e) {
      output.push_back(std::string("error: ") + e.what());
    }
    if (output.empty()) output.push_back("ok");
    outputs.push_back(std::move(output));
  }
  return outputs;
}

void rewriteTranscript(const Transcript& transcript,
                       const std::vector<std::vector<std::string>>& outputs) {
  std::ostringstream out;
  size_t next = 0;
  for (size_t s = 0; s < transcript.stanzas.size(); ++s) {
    const Stanza& stanza = transcript.stanzas[s];
    for (; next < stanza.expectedBegin; ++next)
      out << transcript.lines[next] << "\n";
    for (const auto& line : outputs[s])
      out << line << "\n";
    next = stanza.expectedEnd;
  }
  for (; next < transcript.lines.size(); ++next)
    out << transcript.lines[next] << "\n";
  std::ofstream(transcript.path) << out.str();
}

Args parseArgs(const std::string& line) {
  std::vector<Arg> args;
  for (const std::string& word : splitWords(line, line))
    args.push_back(parseArg(word));
  return Args(std::move(args));
}

}  // namespace swarmlet::transcript
