#include "sim/profile.h"

#include <cmath>
#include <cstdio>

#include "core/prng.h"

namespace swarmlet::sim {
namespace {

constexpr uint64_t PROFILE_STREAM = 0x70726f66;  // "prof"

const char* const FAMILY_NAMES[FAULT_FAMILY_COUNT] = {
    "session",       "delay",  "drop", "duplicate", "reorder",  "partition", "agent-crash",
    "manager-crash", "leader", "role", "leave",     "executor", "clock"};

bool perMessage(FaultFamily f) {
  return f == FaultFamily::DELAY || f == FaultFamily::DROP || f == FaultFamily::DUPLICATE ||
         f == FaultFamily::REORDER || f == FaultFamily::EXECUTOR || f == FaultFamily::CLOCK;
}

// The range of rates for one family at "default" intensity: per-minute rates for events,
// probabilities for per-message faults, skew ratio for clocks.
struct Range {
  double low;
  double high;
  Duration lengthLow;
  Duration lengthHigh;
};

Range defaultRange(FaultFamily f) {
  using D = Duration;
  switch (f) {
    case FaultFamily::SESSION:
      return {0.2, 3, D(), D()};
    case FaultFamily::DELAY:
      return {0.001, 0.02, D::milliseconds(200), D::seconds(8)};
    case FaultFamily::DROP:
      return {0.001, 0.03, D(), D()};
    case FaultFamily::DUPLICATE:
      return {0.001, 0.03, D(), D()};
    case FaultFamily::REORDER:
      return {0.005, 0.05, D::milliseconds(5), D::milliseconds(200)};
    case FaultFamily::PARTITION:
      return {0.1, 1.5, D::seconds(1), D::seconds(40)};
    case FaultFamily::AGENT_CRASH:
      return {0.05, 1, D::milliseconds(500), D::seconds(30)};
    case FaultFamily::MANAGER_CRASH:
      return {0.02, 0.5, D::seconds(1), D::seconds(20)};
    case FaultFamily::LEADER:
      return {0.02, 0.5, D::milliseconds(500), D::seconds(5)};
    case FaultFamily::ROLE:
      return {0.02, 0.4, D(), D()};
    case FaultFamily::LEAVE:
      return {0.01, 0.2, D(), D()};
    case FaultFamily::EXECUTOR:
      return {0.01, 0.15, D::seconds(1), D::seconds(20)};
    case FaultFamily::CLOCK:
      return {0.001, 0.05, D(), D()};
  }
  return {0, 0, D(), D()};
}

double drawBetween(Prng& prng, double low, double high) {
  return low + (high - low) * prng.uniformUnit();
}

Duration drawLength(Prng& prng, Duration low, Duration high) {
  if (high <= low) return low;
  return low + prng.uniformDuration(high - low);
}

std::string percent(double probability) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2g%%", probability * 100);
  return text;
}

std::string perMinute(double rate) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2g/min", rate);
  return text;
}

}  // namespace

std::string format(FaultFamily family) {
  return FAMILY_NAMES[static_cast<size_t>(family)];
}

std::optional<FaultFamily> parseFaultFamily(const std::string& text) {
  for (size_t i = 0; i < FAULT_FAMILY_COUNT; ++i) {
    if (text == FAMILY_NAMES[i]) return static_cast<FaultFamily>(i);
  }
  return std::nullopt;
}

std::optional<FaultSelection> parseFaultSelection(const std::string& text, std::string& error) {
  FaultSelection selection;
  if (text == "none")
    selection.mode = FaultSelection::Mode::NONE;
  else if (text == "light")
    selection.mode = FaultSelection::Mode::LIGHT;
  else if (text == "default")
    selection.mode = FaultSelection::Mode::DEFAULT;
  else if (text == "heavy")
    selection.mode = FaultSelection::Mode::HEAVY;
  else {
    selection.mode = FaultSelection::Mode::LIST;
    size_t start = 0;
    size_t colon = text.find(':');
    if (colon != std::string::npos) {
      std::string intensity = text.substr(0, colon);
      if (intensity == "light")
        selection.intensity = FaultSelection::Mode::LIGHT;
      else if (intensity == "default")
        selection.intensity = FaultSelection::Mode::DEFAULT;
      else if (intensity == "heavy")
        selection.intensity = FaultSelection::Mode::HEAVY;
      else {
        error = "unknown intensity '" + intensity + "' before a list (light, default or heavy)";
        return std::nullopt;
      }
      start = colon + 1;
    }
    while (start <= text.size()) {
      size_t comma = text.find(',', start);
      std::string name =
          text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      auto family = parseFaultFamily(name);
      if (!family.has_value()) {
        error = "unknown fault family '" + name + "' (none, light, default, heavy, or a list of: ";
        for (size_t i = 0; i < FAULT_FAMILY_COUNT; ++i)
          error += (i ? ", " : "") + std::string(FAMILY_NAMES[i]);
        error += ")";
        return std::nullopt;
      }
      selection.families.push_back(*family);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return selection;
}

Profile drawProfile(uint64_t seed, const FaultSelection& selection) {
  Prng prng(Prng::deriveSeed(seed, PROFILE_STREAM));
  Profile profile;
  profile.latencyMin = Duration::microseconds(100 + static_cast<int64_t>(prng.uniform(900)));
  profile.latencyMax =
      profile.latencyMin + Duration::microseconds(static_cast<int64_t>(prng.uniform(5000)));
  using Mode = FaultSelection::Mode;
  double onProbability = selection.mode == Mode::LIGHT   ? 0.3
                         : selection.mode == Mode::HEAVY ? 1
                                                         : 0.5;
  Mode intensity = selection.mode == Mode::LIST ? selection.intensity : selection.mode;
  double scale = intensity == Mode::LIGHT ? 0.3 : intensity == Mode::HEAVY ? 3 : 1;
  for (size_t i = 0; i < FAULT_FAMILY_COUNT; ++i) {
    auto family = static_cast<FaultFamily>(i);
    // Every draw happens whatever the mode, so one family's settings do not depend on another's.
    bool coin = prng.uniformUnit() < onProbability;
    Range range = defaultRange(family);
    double rate = drawBetween(prng, range.low, range.high) * scale;
    Duration length = drawLength(prng, range.lengthLow, range.lengthHigh);
    bool enabled = false;
    switch (selection.mode) {
      case Mode::NONE:
        enabled = false;
        break;
      case Mode::LIST:
        for (FaultFamily f : selection.families)
          enabled = enabled || f == family;
        break;
      default:
        enabled = coin;
    }
    if (perMessage(family) && rate > 0.5) rate = 0.5;
    profile[family] = FamilySettings{enabled, enabled ? rate : 0, enabled ? length : Duration()};
  }
  // Log-uniform in [5ms, 2s): most runs replicate fast, some have followers that lag.
  profile.replicationLagMax =
      Duration::microseconds(static_cast<int64_t>(5000 * std::pow(400.0, prng.uniformUnit())));
  return profile;
}

std::string format(const Profile& profile) {
  std::string text = "latency=[" + formatDuration(profile.latencyMin) + "," +
                     formatDuration(profile.latencyMax) +
                     "] replication-lag<=" + formatDuration(profile.replicationLagMax);
  bool any = false;
  for (size_t i = 0; i < FAULT_FAMILY_COUNT; ++i) {
    auto family = static_cast<FaultFamily>(i);
    const FamilySettings& settings = profile[family];
    if (!settings.enabled) continue;
    any = true;
    text += " " + format(family) + "=" +
            (perMessage(family) ? percent(settings.rate) : perMinute(settings.rate));
    if (settings.length > Duration()) text += "(" + formatDuration(settings.length) + ")";
  }
  return any ? text : text + " faults=none";
}

}  // namespace swarmlet::sim
