// Transcript files in the datadriven style of etcd raft (cockroachdb/datadriven): a file of
// stanzas, each a directive line with arguments, optional input lines, a `----` separator and
// the expected output up to the next blank line. `#` lines between stanzas are comments.
//
//   # why this stanza exists
//   directive word key=value key=(a,b) key="quoted text"
//   optional input line
//   ----
//   expected output
//
// Test-only code: uses the standard library freely. Not thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/time.h"

namespace swarmlet::transcript {

struct Arg {
  std::string key;    // for a bare word, the word itself
  std::string value;  // empty for a bare word; parentheses and quotes removed
  bool bare = false;
};

// A stanza's arguments with typed accessors that fail with a clear message (thrown as
// std::runtime_error and printed into the output, so the stanza fails where it stands).
class Args {
 public:
  Args() = default;
  explicit Args(std::vector<Arg> args) : args_(std::move(args)) {}

  bool has(const std::string& key) const;
  std::string string(const std::string& key) const;
  std::string string(const std::string& key, const std::string& fallback) const;
  int64_t integer(const std::string& key) const;
  std::optional<int64_t> maybeInteger(const std::string& key) const;
  Duration duration(const std::string& key) const;
  // A comma-separated list: key=(a,b,c) gives {"a", "b", "c"}; key=() gives {}.
  std::vector<std::string> list(const std::string& key) const;
  // The bare words, in order (e.g. `advance 1s` gives {"1s"}).
  std::vector<std::string> words() const;
  // Fails unless every key is one of `known` (catches typos in transcripts).
  void expectOnly(const std::vector<std::string>& known) const;

 private:
  std::vector<Arg> args_;
};

// "1.5s", "100ms", "250us", "10ns", "2m", "1h".
Duration parseDuration(const std::string& text);

// The words of one line as arguments, the way a directive line's are parsed (for input lines
// that carry key=value items).
Args parseArgs(const std::string& line);

struct Stanza {
  std::string file;
  int line = 0;  // 1-based line of the directive
  std::string directive;
  Args args;
  std::vector<std::string> input;
  std::vector<std::string> expected;
  // 0-based line range [expectedBegin, expectedEnd) of the expected block, for rewriting.
  size_t expectedBegin = 0;
  size_t expectedEnd = 0;
};

struct Transcript {
  std::string path;
  std::vector<std::string> lines;
  std::vector<Stanza> stanzas;
};

Transcript parseTranscript(const std::string& path);

// Produces a stanza's output (lines without trailing newlines); empty output is printed "ok".
using Handler = std::function<std::vector<std::string>(const Stanza&)>;

// Runs every stanza in order through `handler` and returns the outputs.
std::vector<std::vector<std::string>> runStanzas(const Transcript& transcript,
                                                 const Handler& handler);

// Writes `transcript` back with each stanza's expected block replaced by `outputs`.
void rewriteTranscript(const Transcript& transcript,
                       const std::vector<std::vector<std::string>>& outputs);

}  // namespace swarmlet::transcript
