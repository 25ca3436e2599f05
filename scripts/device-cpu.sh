#!/usr/bin/env bash
# The CPU-host measurements of the lent accelerator machine (16 cores, PyTorch, no Swift), in ONE
# device call: issue 18's side-by-side of `collapse neural bench` and scripts/torch-anchor.py on
# one core, and issue 19's parallel efficiency at 1, 2, 4, 8, 16 threads (scripts/scaling.py
# --threads, with 16 one-thread runs side by side) plus the Collapse-or-Thrive sweep at 16
# threads and, time left, on one. Runs there from the
# repository root with $OUT set; needs the bundle of scripts/device-bundle.sh carried along:
#
#   here:    scripts/device-bundle.sh                           # .device/collapse-bundle.tar.xz
#   device:  run(command: "scripts/device-cpu.sh", carry: [".device"], timeout_s: 600)
#   back:    $OUT/device-cpu/: MACHINE.txt, bench-N.txt and torch-anchor-N.txt (3 rounds),
#            scaling.md and scaling.json, sweep.txt, run.log
#
# CPU rehearsal here (2 cores; PyTorch from a venv; about 3 minutes; no one-thread sweep):
#   OUT=/tmp/out DEVICE_CPU_SMOKE=1 PATH=/tmp/torchvenv/bin:$PATH scripts/device-cpu.sh
#
# Sizing on the 16-core Xeon (figures of issues 18 and 19, older code): the bench rounds take
# about 35 s each (PyTorch's script about 20 s, collapse's about 15 s): 105 s. scaling.py
# --threads --runs 3 at 1, 2, 4, 8, 16 threads: reproduce 7.6 s on one thread, about 15 s over
# the five counts, the d = 4, d = 32 and fresh-design runs about 3 s each, the sufficient engine 2 s, Poisson
# (13 s on one thread) about 26 s; three runs each: about 150 s, plus 16 one-thread runs side by
# side per workload and run (about its one-thread time each, some 25 s, more with 16 cores
# busy): about 75-95 s. The sweep at 16 threads: under 39 s (the issue's figure before the cells
# in flight). On one thread it took 119 s: it runs only while DEVICE_CPU_DEADLINE (500 s after
# the start) leaves 150 s, under `timeout`, which the side-by-side runs now usually take; that
# one-thread figure (older code) is the reference then.
# OPENBLAS_CORETYPE=SkylakeX throughout: that host's default kernel detection ran sgemm at
# 19 GFLOP/s (never set in tests or CI).
set -euo pipefail

began=$(date +%s)
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
: "${OUT:?device-cpu: set OUT to the folder whose files come back (the device tool sets it)}"
smoke=${DEVICE_CPU_SMOKE:-0}
deadline=${DEVICE_CPU_DEADLINE:-500}
bundle=${DEVICE_CPU_BUNDLE:-.device/collapse-bundle.tar.xz}
work=${DEVICE_CPU_WORK:-/tmp/device-cpu}
out="$OUT/device-cpu"
mkdir -p "$out" "$work"
log="$out/run.log"
say() { echo "device-cpu [$(($(date +%s) - began)) s]: $*" | tee -a "$log" >&2; }
left() { echo $((deadline - ($(date +%s) - began))); }
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-SkylakeX}
if [[ "$smoke" == 1 ]]; then rounds=1 runs=1 max_threads=2 bench_runs=3; else rounds=3 runs=3 max_threads=$(nproc) bench_runs=10; fi

# MARK: collapse from the bundle (scripts/device-collapse.sh; scaling.py runs the wrapper)
. scripts/device-collapse.sh
device_collapse "$bundle" "$work"
wrapper=$collapse_bin version=$collapse_version
say "OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE"
{
    echo "date: $(date -u +%FT%TZ)"
    echo "collapse: $version ($(head -1 "$work/bundle/collapse-bundle/BUNDLE.txt" 2> /dev/null || echo '?'))"
    echo "cores: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "memory: $(grep MemTotal /proc/meminfo | tr -s ' ')"
    echo "python: $(python3 --version 2>&1); torch: $(python3 -c 'import torch; print(torch.__version__)' 2>&1 | tail -1)"
    echo "OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE; load: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$out/MACHINE.txt"

# MARK: issue 18, one core each, side by side: PyTorch then collapse, $rounds rounds
for i in $(seq 1 "$rounds"); do
    python3 scripts/torch-anchor.py --preset small --runs "$bench_runs" > "$out/torch-anchor-$i.txt" 2>> "$log" || say "torch-anchor.py failed (round $i)"
    if [[ -s "$out/torch-anchor-$i.txt" ]]; then
        "$wrapper" neural bench --preset small --runs "$bench_runs" --quiet --anchor "$out/torch-anchor-$i.txt" > "$out/bench-$i.txt" 2>> "$log" || say "bench failed (round $i)"
    else
        "$wrapper" neural bench --preset small --runs "$bench_runs" --quiet > "$out/bench-$i.txt" 2>> "$log" || say "bench failed (round $i)"
    fi
    say "bench round $i done"
done

# MARK: issue 19, parallel efficiency at 1, 2, 4, ... threads
timeout --foreground $(($(left) > 60 ? $(left) - 30 : 30)) python3 scripts/scaling.py --threads --runs "$runs" --max-threads "$max_threads" \
    --binary "$wrapper" --no-docs --json "$out/scaling.json" > "$out/scaling.md" 2>> "$log" || say "scaling.py stopped ($?)"
say "scaling done"

# MARK: the Collapse-or-Thrive grid (75 cells of 7 blocks) at all threads, then on one if time is left
sweep() {  # threads, seconds allowed
    local threads=$1 dir="$work/cot-$1" s e
    rm -rf "$dir"
    s=$(date +%s%N)
    if ! timeout --foreground "$2" "$wrapper" sweep --experiment collapse-or-thrive-linear --threads "$threads" --quiet \
        --output "$dir" > /dev/null 2>> "$log"; then
        say "sweep at $threads threads stopped (limit $2 s)"
        return 0
    fi
    e=$(date +%s%N)
    echo "threads $threads: wall $(((e - s) / 1000000)) ms, manifest wall_seconds $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["wall_seconds"])' "$dir/manifest.json"), results.csv sha256 $(sha256sum "$dir/results.csv" | cut -c1-16)" >> "$out/sweep.txt"
}
sweep "$max_threads" 120
if [[ "$smoke" != 1 ]]; then
    if (($(left) > 150)); then sweep 1 $(($(left) - 10)); else say "no time left for the one-thread sweep"; fi
fi
say "done in $(($(date +%s) - began)) s"
