// The codec's validation toolkit, shared by its files (io/codec-*.c++) and by nothing else: the
// path of the field being decoded, and the checks every decoder applies (ids, string lengths,
// list lengths, enum values). A check that fails records one line naming the field
// ("updates[3].status.state: unknown value 901") and returns false; decoders stop at the first
// failure. Paths cost nothing until an error is rendered. Not thread-safe; one Check per decode.
#pragma once

#include <capnp/common.h>
#include <capnp/list.h>
#include <kj/exception.h>
#include <kj/string.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "io/decoded.h"

namespace swarmlet::io::codec {

// Where in a message a value sits. A path refers to its parent: build children as temporaries
// in the call that uses them, never store one beyond its parent's life.
class Path {
 public:
  // The root of a decode. `label` names the whole value; it shows only in an error about the
  // root itself ("record: unknown kind 7").
  static Path root(const char* label) { return Path(nullptr, label, NO_INDEX); }
  Path field(const char* name) const { return Path(this, name, NO_INDEX); }
  Path index(size_t i) const { return Path(this, nullptr, i); }

  // "updates[3].status.state"; the root's label when nothing was added to it.
  std::string render() const;

 private:
  static constexpr size_t NO_INDEX = SIZE_MAX;
  Path(const Path* parent, const char* name, size_t index)
      : parent_(parent), name_(name), index_(index) {}
  void renderInto(std::string& out) const;

  const Path* parent_;
  const char* name_;
  size_t index_;
};

enum class Presence : uint8_t { REQUIRED, OPTIONAL };

// What an id may contain: printable ASCII without spaces.
bool isIdCharacter(char c);

class Check {
 public:
  // Records `what` at `at` (the first failure wins) and returns false.
  bool fail(const Path& at, std::string_view what);
  const std::string& error() const { return error_; }

  // An id: at most ID_LENGTH_MAX bytes of printable ASCII without spaces; REQUIRED ids must not
  // be empty.
  bool id(const Path& at, capnp::Text::Reader text, Presence presence, std::string& out);
  // An address (host:port): like an id, but up to ADDRESS_LENGTH_MAX bytes and never empty.
  bool address(const Path& at, capnp::Text::Reader text, std::string& out);
  // Any text of at most `maxBytes` bytes.
  bool text(const Path& at, capnp::Text::Reader text, size_t maxBytes, std::string& out);
  // Any bytes, at most `maxBytes`.
  bool data(const Path& at, capnp::Data::Reader data, size_t maxBytes, std::string& out);
  // A list of at most `maxItems` entries.
  bool count(const Path& at, size_t items, size_t maxItems);
  // A required struct (or capability) pointer that is null.
  bool present(const Path& at, bool has);
  bool notNegative(const Path& at, int64_t value);
  bool unknownValue(const Path& at, uint64_t value);

 private:
  std::string error_;
};

// The public decoders' frame: runs `decode` (a callable taking Check& and returning
// std::optional<T>), and turns a Cap'n Proto exception (a malformed message: an out-of-bounds
// pointer, a traversal limit hit) into a refusal too, so that decoding never throws.
template <typename T, typename Decode>
Decoded<T> decodeFramed(const char* label, Decode&& decode);

// `text` as a Cap'n Proto text (std::string is NUL-terminated, as Text needs).
inline capnp::Text::Reader asText(const std::string& text) {
  return capnp::Text::Reader(text.c_str(), text.size());
}
inline capnp::Data::Reader asData(const std::string& bytes) {
  return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(bytes.data()), bytes.size());
}

// Free text a producer composed (a status message, an error) is clipped by the encoders to
// `maxBytes`, at a UTF-8 character boundary, so that whatever a core holds always decodes on
// the other side. Ids and names are never clipped. Returns the size to keep.
size_t clippedSize(const std::string& text, size_t maxBytes);

// Sets a text field to `text` clipped to `maxBytes`: `init` is the field's initX(size).
template <typename Init>
void setClipped(Init&& init, const std::string& text, size_t maxBytes) {
  size_t size = clippedSize(text, maxBytes);
  capnp::Text::Builder builder = init(static_cast<unsigned int>(size));
  if (size > 0) std::memcpy(builder.begin(), text.data(), size);
}

// --- implementation ---------------------------------------------------------------------------

std::string describeException(const kj::Exception& exception);
// True for an exception the codec's own checks raised (a KJ_ASSERT in io/): that is a bug in the
// codec, not bad input, so decodeFramed lets it propagate instead of calling it a refusal.
bool raisedByCodec(const kj::Exception& exception);

template <typename T, typename Decode>
Decoded<T> decodeFramed(const char* label, Decode&& decode) {
  Check check;
  std::optional<T> value;
  KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&]() { value = decode(check); })) {
    if (raisedByCodec(*exception)) kj::throwFatalException(kj::mv(*exception));
    return Decoded<T>::failure(std::string(label) +
                               ": malformed message: " + describeException(*exception));
  }
  if (!value.has_value()) return Decoded<T>::failure(check.error());
  return Decoded<T>::success(std::move(*value));
}

}  // namespace swarmlet::io::codec
