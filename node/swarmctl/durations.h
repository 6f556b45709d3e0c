// Durations on swarmctl's command line (--restart-delay, --update-delay, ...): Go's
// time.ParseDuration syntax without a sign, so that "0s", "500ms", "5s", "1m30s" and "1.5s" all
// read as people expect and everything formatDuration (core/time.h) prints reads back. Every
// duration swarmctl takes is a delay, and the manager refuses negative ones, so a sign is refused
// here already. Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "core/time.h"
#include "io/decoded.h"

namespace swarmlet::swarmctl {

// One or more decimal numbers, each followed by a unit: ns, us (or µs), ms, s, m, h. A bare "0"
// is zero. The error names the text and shows the accepted forms.
io::Decoded<Duration> parseDuration(std::string_view text);

}  // namespace swarmlet::swarmctl
