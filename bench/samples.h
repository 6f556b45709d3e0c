// Latency samples for scripts/bench.sh's histograms: when BENCH_SAMPLES_DIR names a directory,
// a benchmark writes the samples of one figure to BENCH_SAMPLES_DIR/NAME.txt, one number a line
// (the last run of the benchmark wins). Without it nothing is written.
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace swarmlet::bench {

inline void writeSamples(const std::string& name, const std::vector<double>& samples) {
  const char* dir = std::getenv("BENCH_SAMPLES_DIR");
  if (dir == nullptr || *dir == '\0') return;
  std::ofstream out(std::string(dir) + "/" + name + ".txt", std::ios::trunc);
  for (double sample : samples)
    out << sample << "\n";
}

}  // namespace swarmlet::bench
