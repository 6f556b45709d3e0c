// What the checker tests assert: that a checker reported a violation of one rule (sim/rules.h),
// with words of its detail, or that a world rule is broken. tests/sim/rules-test.py reads these
// assertions to require that every rule has a test planting its violation.
#pragma once

#include <string>

#include "sim/rules.h"
#include "sim/world-rules.h"

namespace swarmlet::sim {

template <typename Checker>
bool reports(const Checker& checker, Rule rule, const std::string& words = "") {
  std::string prefix = std::string(ruleInfo(rule).name) + ": ";
  for (const std::string& violation : checker.violations()) {
    if (violation.starts_with(prefix) && violation.find(words) != std::string::npos) return true;
  }
  return false;
}

// The same for the world's rules (sim/world-rules.h): `broken` names `rule`, with `words`.
inline bool breaks(const std::optional<Broken>& broken, Rule rule, const std::string& words = "") {
  return broken.has_value() && broken->rule == rule &&
         broken->detail.find(words) != std::string::npos;
}

}  // namespace swarmlet::sim
