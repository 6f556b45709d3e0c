#include "core/time.h"

#include <gtest/gtest.h>

#include "core/prng.h"

namespace swarmlet {
namespace {

TEST(FormatDuration, PicksTheLargestUnitWithUpToThreeDecimals) {
  EXPECT_EQ(formatDuration(Duration()), "0s");
  EXPECT_EQ(formatDuration(Duration::milliseconds(100)), "100ms");
  EXPECT_EQ(formatDuration(Duration::milliseconds(1500)), "1.5s");
  EXPECT_EQ(formatDuration(Duration::milliseconds(6300)), "6.3s");
  EXPECT_EQ(formatDuration(Duration::seconds(8)), "8s");
  EXPECT_EQ(formatDuration(Duration::nanoseconds(57'123'456)), "57.123ms");
  EXPECT_EQ(formatDuration(Duration::microseconds(250)), "250us");
  EXPECT_EQ(formatDuration(Duration::nanoseconds(12)), "12ns");
  EXPECT_EQ(formatDuration(Duration::milliseconds(-300)), "-300ms");
  EXPECT_EQ(formatInstant(Instant::origin() + Duration::seconds(20)), "t=20s");
}

TEST(Prng, TheSameSeedGivesTheSameStream) {
  Prng a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
}

TEST(Prng, UniformStaysBelowItsBound) {
  Prng prng(1);
  for (uint64_t bound : {1ULL, 2ULL, 3ULL, 7ULL, 1000ULL, (1ULL << 63) + 1}) {
    for (int i = 0; i < 1000; ++i)
      EXPECT_LT(prng.uniform(bound), bound);
  }
  for (int i = 0; i < 1000; ++i) {
    double unit = prng.uniformUnit();
    EXPECT_GE(unit, 0.0);
    EXPECT_LT(unit, 1.0);
  }
  EXPECT_ANY_THROW(prng.uniform(0));
  EXPECT_ANY_THROW(prng.uniformDuration(Duration()));
}

TEST(Prng, DerivedSeedsAreDistinctPerStream) {
  EXPECT_NE(Prng::deriveSeed(1, 0), Prng::deriveSeed(1, 1));
  EXPECT_NE(Prng::deriveSeed(1, 0), Prng::deriveSeed(2, 0));
  EXPECT_EQ(Prng::deriveSeed(9, 3), Prng::deriveSeed(9, 3));
}

}  // namespace
}  // namespace swarmlet
