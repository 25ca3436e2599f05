#!/usr/bin/env python3
"""Measures how the simulator's cost scales and writes the README's scaling table.

    scripts/scaling.py [--binary .build/release/collapse] [--runs 3] [--no-readme]

For each setting it runs `collapse simulate` `--runs` times and takes the median of the wall
time recorded in manifest.json (compute plus CSV writing; process start-up excluded). Reported:

* per replicate: wall time / repeats (ms), on one thread unless the row says otherwise;
* per generation: the marginal cost of a generation, (t(N2) - t(N1)) / (N2 - N1) per replicate,
  from two runs with N1 and N2 generations. It must not grow with N (constant cost per
  generation) for every regime except accumulate-subsample, whose refit grows with the pool.

The table goes to stdout and, unless --no-readme, replaces the text between the markers
`<!-- scaling:begin -->` and `<!-- scaling:end -->` in README.md.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(binary, args, runs):
    """Median manifest wall time (s) of `collapse simulate ARGS`."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            out = os.path.join(tmp, f"r{i}")
            cmd = [binary, "simulate", *args, "--seed", "1", "--output", out]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
            with open(os.path.join(out, "manifest.json")) as f:
                times.append(json.load(f)["wall_seconds"])
    return statistics.median(times)


def sim_args(d, t, n, regime, repeats, engine, threads=1):
    return ["--dimension", str(d), "--samples", str(t), "--generations", str(n), "--regimes", regime,
            "--repeats", str(repeats), "--engine", engine, "--threads", str(threads)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/collapse"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-readme", action="store_true")
    a = ap.parse_args()
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"scaling: no collapse binary at {a.binary}; run `swift build -c release` first")
    if a.runs < 1:
        sys.exit("scaling: --runs must be >= 1")
    started = time.time()
    lines = []
    emit = lines.append

    # 1. Cost per generation vs the number of generations (d = 32, T = 1000).
    emit("**Cost per generation vs generations** (d = 32, T = 1000, one thread; µs per replicate-generation, "
         "marginal cost between N and 2N generations)\n")
    emit("| engine | regime | N = 10→20 | N = 20→40 | N = 40→80 |")
    emit("|---|---|---|---|---|")
    cases = [("literal", "replace", 200), ("literal", "accumulate", 200), ("literal", "mix", 200),
             ("literal", "accumulate-subsample", 20), ("sufficient", "replace", 4000), ("sufficient", "accumulate", 4000)]
    for engine, regime, reps in cases:
        t = {n: run(a.binary, sim_args(32, 1000, n, regime, reps, engine), a.runs) for n in (10, 20, 40, 80)}
        marg = [(t[n2] - t[n1]) / (n2 - n1) / reps * 1e6 for n1, n2 in ((10, 20), (20, 40), (40, 80))]
        emit(f"| {engine} | {regime} | " + " | ".join(f"{m:.1f}" for m in marg) + " |")

    # 2. Per-replicate time vs T and vs d (replace + accumulate together, 50 generations).
    emit("\n**Per replicate vs T** (d = 32, 50 generations, replace + accumulate, one thread; ms)\n")
    ts = [100, 316, 1000, 3162, 10000]
    emit("| engine | " + " | ".join(f"T = {t}" for t in ts) + " |")
    emit("|---|" + "---|" * len(ts))
    for engine, reps in (("literal", 100), ("sufficient", 2000)):
        row = [run(a.binary, sim_args(32, t, 50, "replace,accumulate", reps, engine), a.runs) / reps * 1e3 for t in ts]
        emit(f"| {engine} | " + " | ".join(f"{x:.3f}" for x in row) + " |")

    emit("\n**Per replicate vs d** (T = 1000, 50 generations, replace + accumulate, one thread; ms)\n")
    ds = [4, 16, 64, 256]
    emit("| engine | " + " | ".join(f"d = {d}" for d in ds) + " |")
    emit("|---|" + "---|" * len(ds))
    for engine, reps in (("literal", 50), ("sufficient", 500)):
        row = [run(a.binary, sim_args(d, 1000, 50, "replace,accumulate", reps, engine), a.runs) / reps * 1e3 for d in ds]
        emit(f"| {engine} | " + " | ".join(f"{x:.3f}" for x in row) + " |")

    # 3. Threads.
    emit("\n**Threads** (d = 32, T = 1000, 50 generations, replace + accumulate; wall s, speed-up, parallel efficiency)\n")
    emit("| engine | 1 thread | 2 threads | speed-up | efficiency |")
    emit("|---|---|---|---|---|")
    for engine, reps in (("literal", 1000), ("sufficient", 20000)):
        one = run(a.binary, sim_args(32, 1000, 50, "replace,accumulate", reps, engine, 1), a.runs)
        two = run(a.binary, sim_args(32, 1000, 50, "replace,accumulate", reps, engine, 2), a.runs)
        emit(f"| {engine} | {one:.3f} | {two:.3f} | {one / two:.2f}× | {one / two / 2:.0%} |")

    emit(f"\nMedians of {a.runs} runs each; `scripts/scaling.py` took {time.time() - started:.0f} s.")
    table = "\n".join(lines)
    print(table)
    if not a.no_readme:
        path = os.path.join(ROOT, "README.md")
        text = open(path, encoding="utf-8").read()
        begin, end = "<!-- scaling:begin -->", "<!-- scaling:end -->"
        if begin not in text or end not in text:
            sys.exit("scaling: README.md lacks the scaling markers")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        with open(path, "w", encoding="utf-8") as f:
            f.write(head + begin + "\n" + table + "\n" + end + tail)
        print("updated README.md", file=sys.stderr)


if __name__ == "__main__":
    main()
