#include "node/swarmctl/durations.h"

#include <kj/debug.h>

#include <cstdint>
#include <optional>

namespace swarmlet::swarmctl {
namespace {

constexpr const char* FORMS =
    "use a number and a unit (ns, us, ms, s, m, h), e.g. 500ms, 5s, 1m30s";

struct Unit {
  std::string_view name;
  int64_t nanoseconds;
};

// Longer names first, so that "ms" is not read as "m" followed by "s".
constexpr Unit UNITS[] = {
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // U+00B5 MICRO SIGN
    {"\xCE\xBCs", 1'000},  // U+03BC GREEK SMALL LETTER MU
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
};

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// The unit at the start of `rest`, or nullopt.
std::optional<Unit> unitAt(std::string_view rest) {
  for (const Unit& unit : UNITS) {
    if (rest.substr(0, unit.name.size()) == unit.name) return unit;
  }
  return std::nullopt;
}

// total += digit * scale, false on overflow of int64_t.
bool addScaled(int64_t& total, int64_t digit, int64_t scale) {
  int64_t product = 0;
  if (__builtin_mul_overflow(digit, scale, &product)) return false;
  return !__builtin_add_overflow(total, product, &total);
}

io::Decoded<Duration> refuse(std::string_view text, const std::string& why) {
  return io::Decoded<Duration>::failure("invalid duration \"" + std::string(text) + "\": " + why +
                                        " (" + FORMS + ")");
}

}  // namespace

io::Decoded<Duration> parseDuration(std::string_view text) {
  if (text.empty()) return refuse(text, "empty");
  if (text == "0") return io::Decoded<Duration>::success(Duration());
  int64_t total = 0;
  size_t at = 0;
  while (at < text.size()) {
    size_t start = at;
    int64_t whole = 0;
    for (; at < text.size() && isDigit(text[at]); ++at) {
      if (__builtin_mul_overflow(whole, 10, &whole) ||
          __builtin_add_overflow(whole, text[at] - '0', &whole)) {
        return refuse(text, "too large");
      }
    }
    bool hasWhole = at > start;
    size_t fractionStart = at;
    if (at < text.size() && text[at] == '.') fractionStart = ++at;
    while (at < text.size() && isDigit(text[at]))
      ++at;
    size_t fractionEnd = at;
    if (!hasWhole && fractionEnd == fractionStart) return refuse(text, "expected a number");
    std::optional<Unit> unit = unitAt(text.substr(at));
    if (!unit.has_value()) return refuse(text, at == text.size() ? "missing unit" : "unknown unit");
    if (!addScaled(total, whole, unit->nanoseconds)) return refuse(text, "too large");
    // Each fraction digit weighs a tenth of the one before; below a nanosecond it is dropped.
    int64_t scale = unit->nanoseconds;
    for (size_t i = fractionStart; i < fractionEnd; ++i) {
      scale /= 10;
      if (!addScaled(total, text[i] - '0', scale)) return refuse(text, "too large");
    }
    at += unit->name.size();
    KJ_ASSERT(at > start, "the parser did not advance");
  }
  KJ_ASSERT(total >= 0);
  return io::Decoded<Duration>::success(Duration::nanoseconds(total));
}

}  // namespace swarmlet::swarmctl
