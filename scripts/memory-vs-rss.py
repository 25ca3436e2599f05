#!/usr/bin/env python3
"""Checks the memory guard's estimates against measured peak memory.

Runs the release binary for every family at three sizes each, reads the estimate the run
recorded (manifest.json: parameters.estimated_bytes, the number the memory guard compares with
--max-memory and 80 % of available memory), measures the run's peak resident set size, and
prints one line per run:

    family, size, estimate, peak RSS, baseline, working = peak - baseline, ratio, verdict

The baseline is the peak RSS of the binary on a near-empty run (a 1-dimensional simulate with 2
samples), measured here and printed: the binary, its libraries and the Swift runtime, which no
estimate counts. ratio = estimate / working; a run passes when 1/2 <= ratio <= 2. The raw ratio
estimate / peak RSS (nothing subtracted) is printed beside it. Sizes are chosen so that the
working memory dominates the baseline.

Peak RSS comes from /usr/bin/time -v ("Maximum resident set size") when it exists, else from
os.wait4's resource usage of that one child (getrusage of the child, ru_maxrss).

Exit status: 0 when every run is within 2x, 1 when any is not, 2 when a run failed.
Usage: scripts/memory-vs-rss.py [--binary .build/release/collapse] [--only linear,generative,neural]
Python 3 standard library only; about a minute on 2 cores.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

TIME = "/usr/bin/time"


def peak_rss(argv, cwd):
    """Runs argv; returns (exit status, peak RSS in bytes, stderr text, seconds)."""
    started = time.time()
    if os.access(TIME, os.X_OK):
        p = subprocess.run([TIME, "-v"] + argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        kb = None
        for line in p.stderr.splitlines():
            if "Maximum resident set size" in line:
                kb = int(line.split(":")[-1])
        if kb is None:
            raise RuntimeError("no 'Maximum resident set size' in the output of /usr/bin/time -v")
        # /usr/bin/time reports a command's status as its own; a killed command shows in the text.
        return p.returncode, kb * 1024, p.stderr, time.time() - started
    p = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, usage.ru_maxrss * 1024, err, time.time() - started   # Linux: ru_maxrss in KiB


def mb(x):
    return f"{x / 1e6:.1f} MB"


def write_xyz(path, atoms, frames, seed=7):
    """A wobbly carbon zigzag chain of `atoms` atoms, `frames` conformations (bonds 1.53 A)."""
    rng = random.Random(seed)
    with open(path, "w") as f:
        for k in range(frames):
            f.write(f"{atoms}\nframe {k + 1}\n")
            for i in range(atoms):
                x = 1.25 * i + rng.gauss(0, 0.03)
                y = (0.88 if i % 2 else 0.0) + rng.gauss(0, 0.03)
                z = 0.3 * ((i // 2) % 2) + rng.gauss(0, 0.03)
                f.write(f"C {x:.4f} {y:.4f} {z:.4f}\n")


def runs(work):
    """(family, size label, arguments) of every measured run."""
    out = []
    common = ["--seed", "1", "--threads", "1", "--quiet"]
    # Linear: the design, its factorisation and the Gram matrix (T d and d^2 doubles per worker).
    for d, t in [(500, 1000), (1000, 2000), (1500, 3000)]:
        out.append(("linear", f"simulate d={d} T={t}",
                    ["simulate", "--dimension", str(d), "--samples", str(t), "--generations", "3", "--repeats", "2",
                     "--regimes", "replace,accumulate"] + common))
    # Generative: accumulate pools of T points per generation (gaussian in d = 10); a categorical
    # model over a large support (its count and probability tables).
    for t in [10_000, 20_000, 40_000]:
        out.append(("generative", f"gaussian d=10 T={t} N=20 acc",
                    ["generative", "--model", "gaussian", "--dimension", "10", "--samples", str(t), "--generations", "20",
                     "--repeats", "2", "--regimes", "accumulate"] + common))
    for k in [1_000_000, 2_000_000, 4_000_000]:
        out.append(("generative", f"categorical K={k} T=10000",
                    ["generative", "--model", "categorical", "--support", str(k), "--samples", "10000", "--generations", "3",
                     "--repeats", "2", "--regimes", "replace"] + common))
    # Neural: the LM's training tape (its model sizes are the preset's alone: one, two and three
    # small chains at once, cells running concurrently); the VAE's
    # accumulate pool of 2000 images per generation; the DDPM's pool on a large molecule read
    # with --data (smoke preset: 100 training conformers of 3000 atoms, 36 KB each).
    for regimes in ["replace", "replace,accumulate", "replace,accumulate,accumulate-subsample"]:
        k = regimes.count(",") + 1
        out.append(("neural", f"lm small N=1, {k} chain(s) on {k} thread(s)",
                    ["neural", "lm", "--preset", "small", "--generations", "1", "--steps", "3", "--regimes", regimes,
                     "--seed", "1", "--threads", str(k), "--quiet"]))
    for n in [2, 8, 16]:
        out.append(("neural", f"vae small N={n} acc", ["neural", "vae", "--preset", "small", "--generations", str(n), "--steps", "5",
                                                       "--regimes", "accumulate"] + common))
    xyz = os.path.join(work, "chain-3000.xyz")
    write_xyz(xyz, 3000, 150)
    for n in [2, 10, 25]:
        out.append(("neural", f"diffusion smoke 3000 atoms N={n} acc",
                    ["neural", "diffusion", "--preset", "smoke", "--data", xyz, "--generations", str(n), "--steps", "3",
                     "--regimes", "accumulate"] + common))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".build", "release", "collapse"))
    ap.add_argument("--only", default="linear,generative,neural", help="comma-separated families")
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"memory-vs-rss: {binary} is not an executable; build with `swift build -c release` or pass --binary")
    families = set(args.only.split(","))
    work = tempfile.mkdtemp(prefix="memory-vs-rss-")
    try:
        how = f"{TIME} -v" if os.access(TIME, os.X_OK) else "os.wait4 resource usage (ru_maxrss)"
        status, base, err, _ = peak_rss([binary, "simulate", "--dimension", "1", "--samples", "2", "--generations", "2",
                                         "--repeats", "2", "--seed", "1", "--threads", "1", "--quiet",
                                         "--output", os.path.join(work, "baseline")], work)
        if status != 0:
            sys.exit(f"memory-vs-rss: the baseline run failed ({status}):\n{err}")
        print(f"peak RSS from {how}; baseline (binary on `simulate --dimension 1 --samples 2`): {mb(base)}, "
              "subtracted from every peak: working = peak - baseline, ratio = estimate / working")
        header = ["family", "size", "estimate", "peak RSS", "working", "ratio", "raw", "verdict", "s"]
        rows, failed, outside = [], False, False
        for k, (family, size, argv) in enumerate(runs(work)):
            if family not in families:
                continue
            out = os.path.join(work, f"run-{k}")
            status, peak, err, seconds = peak_rss([binary] + argv + ["--output", out], work)
            if status != 0:
                print(f"FAILED ({status}): collapse {' '.join(argv)}\n{err}", file=sys.stderr)
                failed = True
                continue
            with open(os.path.join(out, "manifest.json")) as f:
                estimate = json.load(f)["parameters"]["estimated_bytes"]
            working = peak - base
            ratio = estimate / working if working > 0 else float("inf")
            ok = 0.5 <= ratio <= 2
            outside |= not ok
            rows.append([family, size, mb(estimate), mb(peak), mb(working), f"{ratio:.2f}", f"{estimate / peak:.2f}",
                         "within 2x" if ok else "OUTSIDE 2x", f"{seconds:.0f}"])
            shutil.rmtree(out, ignore_errors=True)
            print("  " + " | ".join(rows[-1]), file=sys.stderr, flush=True)
        widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
        for r in [header] + rows:
            print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
        if failed:
            return 2
        print("all within 2x" if not outside else "some estimates are outside 2x of the measured working memory")
        return 1 if outside else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
