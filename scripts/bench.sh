#!/usr/bin/env bash
# Runs the benchmark package (Benchmarks/, ordo-one/benchmark) single-threaded and prints a
# summary: the median wall time of each benchmark and the literal engine's cost per generation
# relative to the irreducible work of a generation (T normals + one Xᵀ·noise dgemv); target ≤ 2×.
#
#   scripts/bench.sh                                  # everything (a few minutes on 2 cores;
#                                                     # the first build adds several)
#   scripts/bench.sh --filter 'literal replicate.*'   # extra arguments go to `benchmark`
#                                                     # (--filter is a whole-match regex)
#   BENCH_MAX_RATIO=2 scripts/bench.sh                # exit 1 when a ratio is above 2
#
# The raw results (JMH JSON, medians in µs) are left in Benchmarks/.build/bench-results/.
# For package-benchmark's own tables run:
#   OPENBLAS_NUM_THREADS=1 swift package --package-path Benchmarks benchmark
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

export OPENBLAS_NUM_THREADS=1
results="$root/Benchmarks/.build/bench-results"
mkdir -p "$results"
rm -f "$results/Current_run.jmh.json"

start=$(date +%s)
swift package --package-path Benchmarks --allow-writing-to-package-directory benchmark \
    --no-progress --format jmh --path "$results" "$@"
elapsed=$(( $(date +%s) - start ))

python3 - "$results/Current_run.jmh.json" "$elapsed" <<'PY'
import json, os, sys

path, elapsed = sys.argv[1], int(sys.argv[2])
prefix = "package.benchmark.CollapseBenchmarks."
medians = {}  # benchmark name -> median wall time in µs
for element in json.load(open(path)):
    # The JMH export writes the name with spaces as underscores (the names contain none).
    name = element["benchmark"].removeprefix(prefix).replace("_", " ")
    wall = element["secondaryMetrics"].get("Time (wall clock)")
    if wall is not None:
        medians[name] = wall["scorePercentiles"]["50.0"]

order = [
    "normal sampler: 1000 normals",
    "factorisation: LeastSquaresSolver 1000x32",
    "irreducible: 1000 normals + one X^T·noise (dgemv) d=32 T=1000",
    "one OLS generation (X^T noise + refit), d=32 T=1000",
    "literal replicate replace d=32 T=1000 N=1",
    "literal replicate replace d=32 T=1000 N=51",
    "literal replicate accumulate d=32 T=1000 N=1",
    "literal replicate accumulate d=32 T=1000 N=51",
    "literal replicate chain replace d=32 T=1000 N=50",
    "literal replicate chain accumulate d=32 T=1000 N=50",
    "literal replicate chain accumulate-subsample d=32 T=1000 N=50",
    "literal replicate chain mix(0.5) d=32 T=1000 N=50",
    "sufficient replicate chain replace d=32 T=1000 N=50",
    "sufficient replicate chain accumulate d=32 T=1000 N=50",
    "reproduce: MonteCarlo.run 15 cells literal R=100 threads=1",
    "reproduce: MonteCarlo.run 15 cells sufficient R=1000 threads=1",
]
names = [n for n in order if n in medians] + sorted(n for n in medians if n not in order)

def show(us):
    if us >= 1e6: return f"{us / 1e6:10.3f} s "
    if us >= 1e3: return f"{us / 1e3:10.3f} ms"
    return f"{us:10.3f} µs"

print()
print(f"Median wall time, single-threaded (OPENBLAS_NUM_THREADS=1); run took {elapsed} s")
width = max((len(n) for n in names), default=0)
for n in names:
    print(f"  {n:<{width}}  {show(medians[n])}")

irreducible = medians.get(order[2])
failed = False
max_ratio = os.environ.get("BENCH_MAX_RATIO")
if irreducible:
    print()
    print(f"Literal engine, cost of one generation = (t[N=51] − t[N=1]) / 50, "
          f"vs the irreducible {show(irreducible).strip()} (target ≤ 2×)")
    rows = []
    for regime in ["replace", "accumulate"]:
        t1 = medians.get(f"literal replicate {regime} d=32 T=1000 N=1")
        t51 = medians.get(f"literal replicate {regime} d=32 T=1000 N=51")
        if t1 is not None and t51 is not None:
            rows.append((f"{regime} (chain)", (t51 - t1) / 50))
    direct = medians.get(order[3])
    if direct is not None:
        rows.append(("one OLS generation (direct solver calls)", direct))
    for label, cost in rows:
        ratio = cost / irreducible
        verdict = "within target" if ratio <= 2 else "ABOVE target"
        print(f"  {label:<42} {show(cost)}  ratio {ratio:5.2f}×  {verdict}")
        if max_ratio is not None and ratio > float(max_ratio):
            failed = True
sys.exit(1 if failed else 0)
PY
