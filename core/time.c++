#include "core/time.h"

#include <cstdlib>

namespace swarmlet {
namespace {

// Renders `value / divisor` with up to three decimals, trailing zeros removed. REQUIRES: the
// result is exact to three decimals or the caller accepts truncation.
std::string scaled(uint64_t value, uint64_t divisor, const char* unit) {
  uint64_t whole = value / divisor;
  uint64_t thousandths = (value % divisor) * 1000 / divisor;
  std::string text = std::to_string(whole);
  if (thousandths != 0) {
    std::string fraction = std::to_string(thousandths);
    fraction.insert(0, 3 - fraction.size(), '0');
    while (fraction.back() == '0')
      fraction.pop_back();
    text += "." + fraction;
  }
  return text + unit;
}

}  // namespace

std::string formatDuration(Duration d) {
  int64_t n = d.count();
  if (n == 0) return "0s";
  std::string sign = n < 0 ? "-" : "";
  // Unsigned, so that INT64_MIN (which a peer can send) has a magnitude too.
  uint64_t magnitude = n < 0 ? 0 - static_cast<uint64_t>(n) : static_cast<uint64_t>(n);
  if (magnitude >= 1'000'000'000) return sign + scaled(magnitude, 1'000'000'000, "s");
  if (magnitude >= 1'000'000) return sign + scaled(magnitude, 1'000'000, "ms");
  if (magnitude >= 1'000) return sign + scaled(magnitude, 1'000, "us");
  return sign + std::to_string(magnitude) + "ns";
}

std::string formatInstant(Instant t) {
  return "t=" + formatDuration(t - Instant::origin());
}

kj::String KJ_STRINGIFY(Duration d) {
  std::string text = formatDuration(d);
  return kj::heapString(text.data(), text.size());
}

kj::String KJ_STRINGIFY(Instant t) {
  std::string text = formatInstant(t);
  return kj::heapString(text.data(), text.size());
}

}  // namespace swarmlet
