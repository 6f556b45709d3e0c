// Time as a value. The core never reads a clock: the caller of `step(now, input)` passes the
// current Instant, and the core keeps durations and deadlines as plain integers of nanoseconds.
// Both types are trivially copyable values; they are safe to share between threads.
#pragma once

#include <kj/string.h>

#include <compare>
#include <cstdint>
#include <string>

namespace swarmlet {

// A span of time in nanoseconds. May be negative (a difference of instants).
class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration nanoseconds(int64_t n) { return Duration(n); }
  static constexpr Duration microseconds(int64_t n) { return Duration(n * 1'000); }
  static constexpr Duration milliseconds(int64_t n) { return Duration(n * 1'000'000); }
  static constexpr Duration seconds(int64_t n) { return Duration(n * 1'000'000'000); }
  static constexpr Duration minutes(int64_t n) { return seconds(n * 60); }
  static constexpr Duration hours(int64_t n) { return minutes(n * 60); }

  constexpr int64_t count() const { return nanoseconds_; }
  constexpr double toSeconds() const { return static_cast<double>(nanoseconds_) / 1e9; }

  constexpr Duration operator+(Duration other) const {
    return Duration(nanoseconds_ + other.nanoseconds_);
  }
  constexpr Duration operator-(Duration other) const {
    return Duration(nanoseconds_ - other.nanoseconds_);
  }
  constexpr Duration operator*(int64_t factor) const { return Duration(nanoseconds_ * factor); }
  constexpr Duration operator/(int64_t divisor) const { return Duration(nanoseconds_ / divisor); }
  constexpr Duration& operator+=(Duration other) {
    nanoseconds_ += other.nanoseconds_;
    return *this;
  }
  constexpr auto operator<=>(const Duration&) const = default;

 private:
  constexpr explicit Duration(int64_t nanoseconds) : nanoseconds_(nanoseconds) {}
  int64_t nanoseconds_ = 0;
};

// A point on the caller's monotonic time line, in nanoseconds since an origin the caller chose
// (process start in production, zero in the simulator and in transcripts).
class Instant {
 public:
  constexpr Instant() = default;
  static constexpr Instant fromNanoseconds(int64_t n) { return Instant(n); }
  static constexpr Instant origin() { return Instant(0); }

  constexpr int64_t sinceOrigin() const { return nanoseconds_; }

  constexpr Instant operator+(Duration d) const { return Instant(nanoseconds_ + d.count()); }
  constexpr Instant operator-(Duration d) const { return Instant(nanoseconds_ - d.count()); }
  constexpr Duration operator-(Instant other) const {
    return Duration::nanoseconds(nanoseconds_ - other.nanoseconds_);
  }
  constexpr auto operator<=>(const Instant&) const = default;

 private:
  constexpr explicit Instant(int64_t nanoseconds) : nanoseconds_(nanoseconds) {}
  int64_t nanoseconds_ = 0;
};

constexpr Duration min(Duration a, Duration b) {
  return a < b ? a : b;
}
constexpr Duration max(Duration a, Duration b) {
  return a < b ? b : a;
}

// "1.5s", "300ms", "0s", "8s", "57.123ms": the shortest exact rendering in the largest unit that
// keeps at most three decimals. Stable: transcripts and logs depend on it.
std::string formatDuration(Duration d);
// An instant as its offset from the origin, e.g. "t=1.5s".
std::string formatInstant(Instant t);

// So that KJ_ASSERT/KJ_REQUIRE print the operands of a failed check.
kj::String KJ_STRINGIFY(Duration d);
kj::String KJ_STRINGIFY(Instant t);

}  // namespace swarmlet
