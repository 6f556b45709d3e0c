#include "sim/report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "core/format.h"

namespace swarmlet::sim {
namespace {

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else if (c == '"')
      out += "&quot;";
    else
      out += c;
  }
  return out;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

const char* colorOf(const std::string& kind) {
  if (kind == "session") return "#4caf50";
  if (kind == "down") return "#e53935";
  if (kind == "leader") return "#1e88e5";
  return "#9e9e9e";
}

std::string timeline(const RunResult& result) {
  std::set<std::string> hosts;
  for (const Span& span : result.timeline)
    hosts.insert(span.host);
  if (!result.schedule.empty()) hosts.insert("faults");
  double total = std::max(result.simulated.toSeconds(), 1.0);
  const double width = 900, left = 110, row = 26;
  std::map<std::string, size_t> rowOf;
  for (const std::string& host : hosts)
    rowOf.emplace(host, rowOf.size());
  double height = row * static_cast<double>(hosts.size()) + 30;
  std::string svg = "<svg width='" + number(left + width + 40) + "' height='" + number(height) +
                    "' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif' font-size='11'>";
  for (const auto& [host, index] : rowOf) {
    double y = static_cast<double>(index) * row + 4;
    svg += "<text x='2' y='" + number(y + 11) + "'>" + escape(host) + "</text>";
    svg += "<line x1='" + number(left) + "' x2='" + number(left + width) + "' y1='" +
           number(y + row / 2) + "' y2='" + number(y + row / 2) + "' stroke='#eee'/>";
  }
  for (const Span& span : result.timeline) {
    double x0 = left + width * (span.begin - Instant::origin()).toSeconds() / total;
    double x1 = left + width * (span.end - Instant::origin()).toSeconds() / total;
    double y = static_cast<double>(rowOf[span.host]) * row + 4;
    svg += "<rect x='" + number(x0) + "' y='" + number(y + 2) + "' width='" +
           number(std::max(x1 - x0, 1.0)) + "' height='12' fill='" + colorOf(span.kind) +
           "'><title>" +
           escape(span.kind + " " + formatInstant(span.begin) + " .. " + formatInstant(span.end) +
                  " " + span.label) +
           "</title></rect>";
  }
  // Under each node's sessions, its tasks as the agent holds them: a band split by phase.
  std::map<std::string, std::vector<const TaskSample*>> samplesOf;
  for (const TaskSample& sample : result.taskSamples)
    samplesOf[sample.host].push_back(&sample);
  for (const auto& [host, samples] : samplesOf) {
    double y = static_cast<double>(rowOf[host]) * row + 4 + 16;
    for (size_t i = 0; i < samples.size(); ++i) {
      const TaskSample& s = *samples[i];
      uint32_t tasks = s.starting + s.running + s.finished;
      if (tasks == 0) continue;
      Instant end =
          i + 1 < samples.size() ? samples[i + 1]->at : Instant::origin() + result.simulated;
      double x0 = left + width * (s.at - Instant::origin()).toSeconds() / total;
      double x1 = left + width * (end - Instant::origin()).toSeconds() / total;
      std::string title = std::to_string(s.running) + " running, " + std::to_string(s.starting) +
                          " starting, " + std::to_string(s.finished) + " finished from " +
                          formatInstant(s.at);
      double band = 0;
      for (auto [count, color] : {std::pair{s.running, "#2e7d32"}, std::pair{s.starting, "#fdd835"},
                                  std::pair{s.finished, "#90a4ae"}}) {
        double h = 7.0 * count / tasks;
        if (h <= 0) continue;
        svg += "<rect x='" + number(x0) + "' y='" + number(y + band) + "' width='" +
               number(std::max(x1 - x0, 1.0)) + "' height='" + number(h) + "' fill='" + color +
               "'><title>" + escape(title) + "</title></rect>";
        band += h;
      }
    }
  }
  for (const Fault& fault : result.schedule) {
    double x = left + width * (fault.at - Instant::origin()).toSeconds() / total;
    double y = static_cast<double>(rowOf["faults"]) * row + 4;
    svg += "<circle cx='" + number(x) + "' cy='" + number(y + row / 2) +
           "' r='4' fill='#fb8c00'><title>" + escape(format(fault)) + "</title></circle>";
  }
  double axis = static_cast<double>(hosts.size()) * row + 20;
  for (int tick = 0; tick <= 10; ++tick) {
    double x = left + width * tick / 10;
    svg += "<text x='" + number(x - 10) + "' y='" + number(axis) + "'>" +
           number(total * tick / 10) + "s</text>";
  }
  return svg + "</svg>";
}

std::string histogram(const std::vector<Duration>& samples, const std::string& title) {
  if (samples.empty()) return "<p>" + escape(title) + ": no samples.</p>";
  std::vector<double> ms;
  for (Duration d : samples)
    ms.push_back(d.toSeconds() * 1000);
  std::sort(ms.begin(), ms.end());
  double top = std::max(ms.back(), 0.001);
  const int buckets = 40;
  std::vector<int> counts(buckets, 0);
  for (double v : ms)
    counts[std::min(buckets - 1, static_cast<int>(v / top * buckets))]++;
  int highest = *std::max_element(counts.begin(), counts.end());
  std::string svg =
      "<svg width='620' height='150' xmlns='http://www.w3.org/2000/svg' "
      "font-family='sans-serif' font-size='11'>";
  for (int i = 0; i < buckets; ++i) {
    double h = 110.0 * counts[i] / std::max(highest, 1);
    svg += "<rect x='" + number(10 + i * 15) + "' y='" + number(120 - h) + "' width='13' height='" +
           number(h) + "' fill='#5c6bc0'><title>" + std::to_string(counts[i]) + "</title></rect>";
  }
  svg +=
      "<text x='10' y='140'>0 ms</text><text x='560' y='140'>" + number(top) + " ms</text></svg>";
  auto quantile = [&](double q) { return ms[static_cast<size_t>(q * (ms.size() - 1))]; };
  return "<h3>" + escape(title) + "</h3>" + svg + "<p>" + std::to_string(ms.size()) +
         " samples; p50 " + number(quantile(0.5)) + " ms, p99 " + number(quantile(0.99)) +
         " ms, max " + number(ms.back()) + " ms</p>";
}

}  // namespace

std::string renderReport(const WorldConfig& config, const RunResult& result,
                         const std::string& replay) {
  const RunStats& s = result.stats;
  std::string verdict = result.passed
                            ? "<p class='pass'>PASS: every invariant held</p>"
                            : "<p class='fail'>FAIL at " + formatInstant(result.violationAt) +
                                  ": " + escape(result.violation) + "</p>";
  std::string html =
      "<!DOCTYPE html><html><head><meta charset='utf-8'><title>swarmsim seed " +
      std::to_string(config.seed) +
      "</title><style>body{font-family:sans-serif;margin:2em;color:#222}"
      "td{padding:2px 12px}.pass{color:#2e7d32;font-weight:bold}.fail{color:#c62828;"
      "font-weight:bold}code{background:#f4f4f4;padding:2px 4px}</style></head><body>";
  html += "<h1>swarmsim seed " + std::to_string(config.seed) + "</h1>" + verdict;
  html += "<p>Replay: <code>" + escape(replay) + "</code></p>";
  html += "<p>Profile: <code>" + escape(format(result.profile)) + "</code></p>";
  html += "<table><tr><td>agents / managers</td><td>" + std::to_string(config.agents) + " / " +
          std::to_string(config.managers) + "</td></tr><tr><td>simulated</td><td>" +
          formatDuration(result.simulated) + "</td></tr><tr><td>events</td><td>" +
          std::to_string(s.events) + "</td></tr><tr><td>registrations</td><td>" +
          std::to_string(s.registrations) + "</td></tr><tr><td>session failures</td><td>" +
          std::to_string(s.sessionFailures) + "</td></tr><tr><td>statuses sent</td><td>" +
          std::to_string(s.statusesSent) + "</td></tr><tr><td>leader changes</td><td>" +
          std::to_string(s.leaderChanges) + "</td></tr><tr><td>faults applied</td><td>" +
          std::to_string(s.faultsApplied) +
          "</td></tr><tr><td>messages sent / dropped / cut</td><td>" +
          std::to_string(s.network.sent) + " / " + std::to_string(s.network.dropped) + " / " +
          std::to_string(s.network.cut) + "</td></tr></table>";
  html +=
      "<h2>Timeline</h2><p>Bars: green, a registered session; red, down; blue, leader. "
      "Under each node, its tasks as the agent holds them: dark green running, yellow not yet "
      "running, grey finished. Orange dots: scheduled faults. Hover for details.</p>" +
      timeline(result);
  html += "<h2>Distributions</h2>" + histogram(s.heartbeatRoundTrips, "Heartbeat round trip") +
          histogram(s.statusLatencies, "Status report latency (send to acknowledgement)");
  return html + "</body></html>\n";
}

}  // namespace swarmlet::sim
