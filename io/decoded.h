// The outcome of decoding bytes that came from outside the process (a peer's message, a record
// read from disk): the value, or one line for a person naming what is wrong and where. Decoding
// never asserts and never throws on bad input; the caller decides what a refusal means (an error
// to the peer, a refusal to open a store).
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace swarmlet::io {

template <typename T>
struct Decoded {
  std::optional<T> value;
  // Empty when value is set; otherwise e.g. "task.status.state: unknown value 901".
  std::string error;

  bool ok() const { return value.has_value(); }
  static Decoded success(T v) { return Decoded{std::move(v), {}}; }
  static Decoded failure(std::string why) { return Decoded{std::nullopt, std::move(why)}; }
};

}  // namespace swarmlet::io
