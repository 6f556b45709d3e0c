#include "io/codec-check.h"

#include <kj/debug.h>

#include "io/codec-limits.h"

namespace swarmlet::io::codec {
namespace {

std::string bytesWord(size_t n) {
  return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

std::string hexByte(char c) {
  static constexpr char DIGITS[] = "0123456789abcdef";
  auto byte = static_cast<unsigned char>(c);
  return std::string("0x") + DIGITS[byte >> 4] + DIGITS[byte & 0xf];
}

// Printable ASCII without spaces, at most `maxBytes`.
bool token(Check& check, const Path& at, capnp::Text::Reader text, size_t maxBytes,
           const char* kind) {
  if (text.size() > maxBytes) {
    return check.fail(
        at, "too long (" + bytesWord(text.size()) + ", at most " + std::to_string(maxBytes) + ")");
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (!isIdCharacter(text[i])) {
      return check.fail(at, "byte " + hexByte(text[i]) + " at offset " + std::to_string(i) +
                                " is not allowed in " + kind + " (printable ASCII without spaces)");
    }
  }
  return true;
}

}  // namespace

void Path::renderInto(std::string& out) const {
  if (parent_ == nullptr) return;  // the root's label shows only on its own
  parent_->renderInto(out);
  if (name_ != nullptr) {
    if (!out.empty()) out += '.';
    out += name_;
  } else {
    out += '[' + std::to_string(index_) + ']';
  }
}

std::string Path::render() const {
  std::string out;
  renderInto(out);
  return out.empty() ? std::string(name_ == nullptr ? "value" : name_) : out;
}

bool isIdCharacter(char c) {
  return c > ' ' && c <= '~';
}

bool Check::fail(const Path& at, std::string_view what) {
  if (error_.empty()) {
    error_ = at.render();
    error_ += ": ";
    error_ += what;
  }
  return false;
}

bool Check::id(const Path& at, capnp::Text::Reader text, Presence presence, std::string& out) {
  if (text.size() == 0 && presence == Presence::REQUIRED) return fail(at, "must not be empty");
  if (!token(*this, at, text, limits::ID_LENGTH_MAX, "an id")) return false;
  out.assign(text.begin(), text.size());
  return true;
}

bool Check::address(const Path& at, capnp::Text::Reader text, std::string& out) {
  if (text.size() == 0) return fail(at, "must not be empty");
  if (!token(*this, at, text, limits::ADDRESS_LENGTH_MAX, "an address")) return false;
  out.assign(text.begin(), text.size());
  return true;
}

bool Check::text(const Path& at, capnp::Text::Reader text, size_t maxBytes, std::string& out) {
  if (text.size() > maxBytes) {
    return fail(
        at, "too long (" + bytesWord(text.size()) + ", at most " + std::to_string(maxBytes) + ")");
  }
  out.assign(text.begin(), text.size());
  return true;
}

bool Check::data(const Path& at, capnp::Data::Reader data, size_t maxBytes, std::string& out) {
  if (data.size() > maxBytes) {
    return fail(
        at, "too long (" + bytesWord(data.size()) + ", at most " + std::to_string(maxBytes) + ")");
  }
  out.assign(reinterpret_cast<const char*>(data.begin()), data.size());
  return true;
}

bool Check::count(const Path& at, size_t items, size_t maxItems) {
  if (items <= maxItems) return true;
  return fail(at,
              std::to_string(items) + " entries, at most " + std::to_string(maxItems) + " allowed");
}

bool Check::present(const Path& at, bool has) {
  return has || fail(at, "missing");
}

bool Check::notNegative(const Path& at, int64_t value) {
  return value >= 0 || fail(at, "must not be negative (got " + std::to_string(value) + ")");
}

bool Check::unknownValue(const Path& at, uint64_t value) {
  return fail(at, "unknown value " + std::to_string(value));
}

size_t clippedSize(const std::string& text, size_t maxBytes) {
  size_t size = text.size();
  if (size > maxBytes) {
    size = maxBytes;
    // Back up over UTF-8 continuation bytes (10xxxxxx) so that no character is cut in two.
    while (size > 0 && (static_cast<unsigned char>(text[size]) & 0xc0) == 0x80)
      --size;
  }
  KJ_ASSERT(size <= maxBytes && size <= text.size());
  return size;
}

std::string describeException(const kj::Exception& exception) {
  return std::string(exception.getDescription().cStr());
}

bool raisedByCodec(const kj::Exception& exception) {
  std::string_view file = exception.getFile();
  return file.find("io/codec") != std::string_view::npos ||
         file.find("io/record-codec") != std::string_view::npos;
}

}  // namespace swarmlet::io::codec
