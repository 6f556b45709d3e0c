#!/usr/bin/env python3
"""Runs every benchmark of bench/figures.json and prints one table of its figures.

Usage: scripts/bench.py --build DIR [--smoke] [--json FILE] [--html DIR] [--only PROGRAM,...]

Each program runs once (Google Benchmark programs with --benchmark_format=json, e2e-measure
parsed from its lines); each figure is read from its result and set against the floor and the
target that bench/figures.json quotes from shared/design/targets.md. --smoke runs each program
briefly and checks only that every figure got a value (exit status 1 otherwise): speed is never
judged here. A progress line goes to stderr while it runs.
"""
import argparse
import html
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


class Progress:
    """One line on stderr, rewritten in place on a terminal."""

    def __init__(self, total):
        self.total = total
        self.start = time.monotonic()
        self.tty = sys.stderr.isatty()

    def show(self, done, what):
        elapsed = time.monotonic() - self.start
        line = f"[{done}/{self.total}] {what} ({elapsed:.0f} s)"
        if self.tty:
            sys.stderr.write("\r\033[K" + line)
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def end(self):
        if self.tty:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def run_benchmark(path, args, env, samples_dir):
    """Runs one Google Benchmark program; returns ({name: result}, error text or None)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = out.name
    command = [path, f"--benchmark_out={out_path}", "--benchmark_out_format=json"] + args
    full_env = dict(os.environ, BENCH_SAMPLES_DIR=samples_dir, **env)
    try:
        done = subprocess.run(command, env=full_env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        with open(out_path) as f:
            text = f.read()
        report = json.loads(text) if text.strip() else {"benchmarks": []}
    except (OSError, ValueError) as error:
        return {}, f"{os.path.basename(path)}: {error}"
    finally:
        if os.path.exists(out_path):
            os.unlink(out_path)
    results = {}
    for entry in report.get("benchmarks", []):
        if entry.get("error_occurred"):
            continue
        results[entry["name"]] = entry
    error = None
    if done.returncode != 0:
        error = f"{os.path.basename(path)} exited {done.returncode}: {done.stderr.strip()[-500:]}"
    return results, error


def parse_e2e(text):
    """e2e-measure's lines -> {prefix: {"median": s, "runs": [...]}, "idle": {...}}."""
    results = {}
    for line in text.splitlines():
        m = re.match(r"(.*?): median ([\d.]+) s, max ([\d.]+) s \(runs:([\d. ]*)\)", line)
        if m:
            runs = [float(x) for x in m.group(4).split()]
            results[m.group(1)] = {"median": float(m.group(2)), "runs": runs}
            continue
        m = re.search(r"idle with .*?: ([\d.]+) MiB resident, ([\d.]+)% of a core", line)
        if m:
            results["idle"] = {"rss": float(m.group(1)), "cpu": float(m.group(2))}
    return results


def run_e2e(path, env):
    try:
        done = subprocess.run([path], env=dict(os.environ, **env), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    except OSError as error:
        return {}, f"e2e-measure: {error}"
    error = None
    if done.returncode != 0:
        error = f"e2e-measure exited {done.returncode}: {done.stderr.strip()[-500:]}"
    return parse_e2e(done.stdout), error


def benchmark_value(figure, results, smoke):
    name = figure["benchmark"]
    if smoke and "smoke_benchmark" in figure:
        name = figure["smoke_benchmark"]
    entry = results.get(name)
    if entry is None:
        return None, []
    counter = figure["counter"]
    if counter in ("real_time", "cpu_time"):
        seconds = entry[counter] * TIME_UNITS[entry.get("time_unit", "ns")]
        return seconds / TIME_UNITS[figure["unit"]], []
    value = entry.get(counter)
    return (float(value) if value is not None else None), []


def e2e_value(figure, results):
    prefix = figure["line"]
    if "field" in figure:
        idle = results.get("idle")
        return (idle[figure["field"]] if idle else None), []
    for key, result in results.items():
        if re.match(prefix, key):
            return result["median"], result["runs"]
    return None, []


def read_samples(samples_dir, name):
    path = os.path.join(samples_dir, name + ".txt")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [float(x) for x in f.read().split()]


def floor_ratio(figure, value):
    """>= 1 when the floor is met: value/floor when higher is better, floor/value when lower."""
    floor = figure.get("floor")
    if floor is None or value is None or value < 0:
        return None
    if value == 0:
        return math.inf if figure["better"] == "lower" else 0.0
    return value / floor if figure["better"] == "higher" else floor / value


def format_ratio(ratio):
    if ratio is None:
        return "-"
    if math.isinf(ratio):
        return "inf"
    return f"{ratio:.2f}" if ratio >= 0.01 or ratio == 0 else f"{ratio:.1e}"


def format_number(value):
    if value is None:
        return "-"
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:.2f}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.1f}k"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def print_table(rows, mode):
    headers = ["figure", "value", "unit", "floor", "target", "x floor", ""]
    lines = []
    for row in rows:
        ratio = row["floor_ratio"]
        verdict = ""
        if row["value"] is None:
            verdict = "NO VALUE" if not row.get("skipped") else row["skipped"]
        elif ratio is not None:
            verdict = "ok" if ratio >= 1 else "BELOW FLOOR"
        lines.append([row["title"], format_number(row["value"]), row["unit"],
                      format_number(row["floor"]), format_number(row["target"]),
                      format_ratio(ratio), verdict])
    widths = [max(len(str(x[i])) for x in lines + [headers]) for i in range(len(headers))]
    def fmt(cells):
        out = []
        for i, cell in enumerate(cells):
            out.append(cell.ljust(widths[i]) if i in (0, 2, 6) else cell.rjust(widths[i]))
        return "  ".join(out).rstrip()
    print(f"swarmlet benchmarks ({mode})")
    print(fmt(headers))
    print(fmt(["-" * w for w in widths]))
    layer = None
    for row, cells in zip(rows, lines):
        if row["layer"] != layer:
            layer = row["layer"]
            print(f"[{layer}]")
        print(fmt(cells))
    docker = [r for r in rows if r.get("docker")]
    if docker:
        print("Docker swarm mode for the same steps (targets.md):")
        for row in docker:
            print(f"  {row['title']}: {row['docker']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build-release"))
    parser.add_argument("--figures", default=os.path.join(ROOT, "bench", "figures.json"))
    parser.add_argument("--smoke", action="store_true", help="run each benchmark briefly")
    parser.add_argument("--json", metavar="FILE", help="write the table as JSON")
    parser.add_argument("--html", metavar="DIR", help="write a self-contained page DIR/index.html")
    parser.add_argument("--only", help="comma-separated programs to run (default: all)")
    args = parser.parse_args()

    with open(args.figures) as f:
        spec = json.load(f)
    programs = spec["programs"]
    selected = list(programs) if not args.only else args.only.split(",")
    for name in selected:
        if name not in programs:
            parser.error(f"unknown program {name}")

    progress = Progress(len(selected))
    samples_dir = tempfile.mkdtemp(prefix="bench-samples-")
    outcomes = {}
    errors = []
    start = time.monotonic()
    for index, name in enumerate(selected):
        program = programs[name]
        progress.show(index, f"running {name}")
        path = os.path.join(args.build, program["path"])
        env = program.get("smoke_env" if args.smoke else "env", {})
        if program.get("kind") == "e2e":
            results, error = run_e2e(path, env)
        else:
            extra = program.get("smoke_args" if args.smoke else "args", [])
            results, error = run_benchmark(path, extra, env, samples_dir)
        outcomes[name] = results
        if error:
            errors.append(error)
    progress.show(len(selected), "done")
    progress.end()
    wall = time.monotonic() - start

    rows = []
    for figure in spec["figures"]:
        program = figure["program"]
        row = {key: figure.get(key) for key in
               ("id", "layer", "title", "unit", "better", "floor", "target", "row", "docker")}
        row["program"] = program
        row["benchmark"] = figure.get("benchmark")
        samples = []
        if program == "suite":
            value = wall if args.smoke and not args.only else None
            if value is None:
                row["skipped"] = "measured by --smoke"
        elif program not in selected:
            value = None
            row["skipped"] = "not run"
        elif figure.get("line"):
            value, samples = e2e_value(figure, outcomes[program])
        else:
            value, samples = benchmark_value(figure, outcomes[program], args.smoke)
        if figure.get("samples") and figure["samples"] != "runs":
            samples = read_samples(samples_dir, figure["samples"])
        row["value"] = value
        row["samples"] = samples
        row["floor_ratio"] = floor_ratio(figure, value)
        rows.append(row)

    mode = ("smoke" if args.smoke else "full") + f", build {os.path.relpath(args.build, ROOT)}"
    print_table(rows, mode)
    sys.stdout.flush()
    print(f"wall time {wall:.0f} s")
    for error in errors:
        print("error: " + error, file=sys.stderr)
    missing = [r for r in rows if r["value"] is None and not r.get("skipped")]
    for row in missing:
        print(f"error: no value for {row['id']} ({row['program']} {row['benchmark'] or ''})",
              file=sys.stderr)

    for row in rows:  # JSON has no infinity: the ratio of a zero cost is written as null
        row["meets_floor"] = None if row["floor_ratio"] is None else row["floor_ratio"] >= 1
        if row["floor_ratio"] is not None and math.isinf(row["floor_ratio"]):
            row["floor_ratio"] = None
    report = {"mode": mode, "wall_seconds": wall, "figures": rows,
              "not_measured": spec.get("not_measured", []), "errors": errors}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    if args.html:
        os.makedirs(args.html, exist_ok=True)
        with open(os.path.join(args.html, "index.html"), "w") as f:
            f.write(render_html(report))
    return 1 if errors or missing else 0


# --- The HTML page: one bar per figure against its floor and target, histograms of samples ---

def bar_svg(row):
    """A horizontal log-scale bar: the value, with the floor (red) and target (green) marks."""
    width, height, left = 420, 28, 4
    points = [v for v in (row["value"], row["floor"], row["target"]) if v]
    if not points:
        return ""
    lo = min(points) / 3
    hi = max(points) * 3
    def x(v):
        return left + (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (
            width - 2 * left)
    parts = [f'<svg width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f6f6f6"/>']
    if row["value"]:
        color = "#d54" if row.get("meets_floor") is False else "#4a7"
        parts.append(f'<rect x="{left}" y="8" width="{max(1, x(row["value"]) - left):.1f}" '
                     f'height="12" fill="{color}"/>')
    for value, color, label in ((row["floor"], "#c00", "floor"), (row["target"], "#070", "target")):
        if value:
            parts.append(f'<line x1="{x(value):.1f}" y1="2" x2="{x(value):.1f}" y2="26" '
                         f'stroke="{color}" stroke-width="2"><title>{label} '
                         f'{format_number(value)}</title></line>')
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(samples, unit):
    if len(samples) < 2:
        return ""
    width, height, bins = 420, 120, 30
    ordered = sorted(samples)
    lo = ordered[0]
    # Beyond the 99th percentile, samples go to the last bin, so that a few outliers do not
    # squeeze the distribution into the first bins.
    clipped = len(ordered) >= 100
    hi = ordered[int(0.99 * (len(ordered) - 1))] if clipped else ordered[-1]
    if hi <= lo:
        hi = lo + 1
    counts = [0] * bins
    for s in samples:
        counts[max(0, min(bins - 1, int((s - lo) / (hi - lo) * bins)))] += 1
    top = max(counts)
    bar = width / bins
    parts = [f'<svg width="{width}" height="{height + 16}" xmlns="http://www.w3.org/2000/svg">']
    for i, c in enumerate(counts):
        h = c / top * height
        parts.append(f'<rect x="{i * bar:.1f}" y="{height - h:.1f}" width="{bar - 1:.1f}" '
                     f'height="{h:.1f}" fill="#58a"><title>{c}</title></rect>')
    parts.append(f'<text x="0" y="{height + 13}" font-size="11">{format_number(lo)} {unit}</text>')
    parts.append(f'<text x="{width}" y="{height + 13}" font-size="11" text-anchor="end">'
                 f'{format_number(hi)} {unit}{" (p99; beyond it in the last bar)" if clipped else ""}'
                 '</text></svg>')
    return "".join(parts)


def render_html(report):
    e = html.escape
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>swarmlet benchmarks</title>",
           "<style>body{font:14px sans-serif;margin:2em}td,th{padding:3px 8px;text-align:left}"
           "tr.below td{background:#fee}.num{text-align:right}</style></head><body>",
           f"<h1>swarmlet benchmarks</h1><p>{e(report['mode'])}; wall time "
           f"{report['wall_seconds']:.0f} s. Bars are on a log scale; the red mark is the floor, "
           "the green one the target (shared/design/targets.md).</p><table>",
           "<tr><th>figure</th><th>value</th><th>unit</th><th>floor</th><th>target</th>"
           "<th>x floor</th><th></th></tr>"]
    for row in report["figures"]:
        ratio = row["floor_ratio"]
        below = row.get("meets_floor") is False
        out.append(f"<tr class='{'below' if below else ''}'><td>{e(row['title'])}</td>"
                   f"<td class='num'>{format_number(row['value'])}</td><td>{e(row['unit'])}</td>"
                   f"<td class='num'>{format_number(row['floor'])}</td>"
                   f"<td class='num'>{format_number(row['target'])}</td>"
                   f"<td class='num'>{format_ratio(ratio)}</td>"
                   f"<td>{bar_svg(row)}</td></tr>")
    out.append("</table><h2>Latency distributions</h2>")
    seen = set()
    for row in report["figures"]:
        key = (row["program"], tuple(row["samples"]))
        if len(row["samples"]) < 2 or key in seen:
            continue
        seen.add(key)
        out.append(f"<h3>{e(row['title'])} ({len(row['samples'])} samples)</h3>")
        out.append(histogram_svg(row["samples"], row["unit"]))
    out.append("<h2>Not measured</h2><ul>")
    for item in report["not_measured"]:
        out.append(f"<li>{e(item['row'])}: {e(item['reason'])}</li>")
    out.append("</ul></body></html>")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
