// The duration parser of swarmctl's flags (node/swarmctl/durations.h).
#include "node/swarmctl/durations.h"

#include <gtest/gtest.h>

namespace swarmlet::swarmctl {
namespace {

Duration parsed(const std::string& text) {
  io::Decoded<Duration> result = parseDuration(text);
  EXPECT_TRUE(result.ok()) << text << ": " << result.error;
  return result.value.value_or(Duration::nanoseconds(-1));
}

std::string refusal(const std::string& text) {
  io::Decoded<Duration> result = parseDuration(text);
  EXPECT_FALSE(result.ok()) << text << " was accepted as " << result.value->count() << "ns";
  return result.error;
}

TEST(ParseDuration, ReadsTheContractsExamples) {
  EXPECT_EQ(parsed("0s"), Duration());
  EXPECT_EQ(parsed("500ms"), Duration::milliseconds(500));
  EXPECT_EQ(parsed("5s"), Duration::seconds(5));
  EXPECT_EQ(parsed("1m30s"), Duration::seconds(90));
}

TEST(ParseDuration, ReadsEveryUnitAndBareZero) {
  EXPECT_EQ(parsed("0"), Duration());
  EXPECT_EQ(parsed("7ns"), Duration::nanoseconds(7));
  EXPECT_EQ(parsed("3us"), Duration::microseconds(3));
  EXPECT_EQ(parsed("3\xC2\xB5s"), Duration::microseconds(3));
  EXPECT_EQ(parsed("3\xCE\xBCs"), Duration::microseconds(3));
  EXPECT_EQ(parsed("2m"), Duration::minutes(2));
  EXPECT_EQ(parsed("2h"), Duration::hours(2));
  EXPECT_EQ(parsed("1h2m3s4ms5us6ns"), Duration::hours(1) + Duration::minutes(2) +
                                           Duration::seconds(3) + Duration::milliseconds(4) +
                                           Duration::microseconds(5) + Duration::nanoseconds(6));
}

TEST(ParseDuration, ReadsFractions) {
  EXPECT_EQ(parsed("1.5s"), Duration::milliseconds(1500));
  EXPECT_EQ(parsed(".5s"), Duration::milliseconds(500));
  EXPECT_EQ(parsed("5.s"), Duration::seconds(5));
  EXPECT_EQ(parsed("0.25h"), Duration::minutes(15));
  EXPECT_EQ(parsed("57.123ms"), Duration::microseconds(57123));
  // Below a nanosecond is dropped.
  EXPECT_EQ(parsed("1.9ns"), Duration::nanoseconds(1));
  EXPECT_EQ(parsed("0.3333333333s"), Duration::nanoseconds(333333333));
}

TEST(ParseDuration, ReadsBackWhatFormatDurationPrints) {
  for (Duration d : {Duration(), Duration::nanoseconds(3), Duration::microseconds(1500),
                     Duration::milliseconds(57123), Duration::seconds(90), Duration::hours(30)}) {
    EXPECT_EQ(parsed(formatDuration(d)), d) << formatDuration(d);
  }
}

TEST(ParseDuration, RefusesWhatIsNotADuration) {
  EXPECT_EQ(refusal("5"),
            "invalid duration \"5\": missing unit (use a number and a unit (ns, us, ms, s, m, h), "
            "e.g. 500ms, 5s, 1m30s)");
  EXPECT_NE(refusal("").find("empty"), std::string::npos);
  EXPECT_NE(refusal("5x").find("unknown unit"), std::string::npos);
  EXPECT_NE(refusal("1m30").find("missing unit"), std::string::npos);
  EXPECT_NE(refusal("s").find("expected a number"), std::string::npos);
  EXPECT_NE(refusal(".s").find("expected a number"), std::string::npos);
  EXPECT_NE(refusal("-5s").find("expected a number"), std::string::npos);
  EXPECT_NE(refusal("+5s").find("expected a number"), std::string::npos);
  EXPECT_NE(refusal("5 s").find("unknown unit"), std::string::npos);
  EXPECT_NE(refusal("1.2.3s").find("unknown unit"), std::string::npos);
}

TEST(ParseDuration, RefusesWhatDoesNotFitInt64Nanoseconds) {
  // 2^63 ns is about 292 years: 2562047h fits, 2562048h does not.
  EXPECT_EQ(parsed("2562047h"), Duration::hours(2562047));
  EXPECT_NE(refusal("2562048h").find("too large"), std::string::npos);
  EXPECT_NE(refusal("99999999999999999999s").find("too large"), std::string::npos);
  EXPECT_NE(refusal("2562047h2562047h").find("too large"), std::string::npos);
}

}  // namespace
}  // namespace swarmlet::swarmctl
