#!/usr/bin/env python3
"""Compare the Swift `collapse simulate` binary with the numpy reference: speed and correctness.

Timing (default d=32, T=1000, N=50 generations, sigma^2=1, the paper's setting). Each regime
in {replace, accumulate} is timed separately, so a number measures one regime's chain only.
Both programs run single-threaded: OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=MKL_NUM_THREADS=1 in
the environment of both, and `--threads 1` for Swift.
  reference: scripts/reference/numpy_reference.py with R_ref replicates (default 20 for replace, 5 for
             accumulate, whose literal re-stacking pinv costs ~1 s per replicate); time per
             replicate = its own time.perf_counter() around the regime's chain (no interpreter
             start-up).
  swift:     .build/release/collapse simulate ... --repeats R_swift (default 2000) --threads 1;
             time per replicate = manifest.json "wall_seconds" / R_swift (simulation only, no
             process start-up or CSV writing).
Both are also timed externally (process wall time / R, start-up included). Every timing is
repeated --runs times (default 3; run k uses seed --seed + k) and the table shows medians;
ratio = reference / swift.

Correctness. The timing runs are no good for this: 5 accumulate replicates give a standard error
that is itself too noisy for a normal-approximation z-test to mean anything, and enough
reference replicates at d=32, T=1000 would take ~40 min (2000 x 1.2 s). So the check runs at a
smaller setting where the slow reference is cheap: d=8, T=100, the same N (default 50) and
sigma^2, 2000 reference and 20000 Swift replicates, both regimes (the same code paths; only
the sizes differ). For each regime and generation n in {1, 2, 10, 25, 50} (those <= N, plus
N itself) it computes
    z = (m_ref - m_swift) / sqrt(se_ref^2 + se_swift^2)
and compares |z| with the Bonferroni threshold z* = Phi^-1(1 - alpha/(2K)), K = number of
(regime, generation) pairs, alpha = --false-alarm (default 1e-3): a correct Swift tool fails
with probability at most alpha (up to the normal approximation, which is good here: R >= 2000
and T - d >= 10 so the error has finite higher moments, proof L1). Power: the reference SE
is ~1.2% of the mean at this setting, so a bias of ~5% or more in either program is caught.
The closed-form expectation (T1/T2) is printed alongside for context; it is not part of the
verdict. Exit status 1 if any |z| > z*, 2 if something could not be run.

--quick: d=4, T=50, N=5, one run, a few replicates -- checks that the script works, in seconds.
Any size flag given explicitly overrides the profile.

Usage:
  scripts/compare-reference.py            # full: about 65 s on a 2-core machine
  scripts/compare-reference.py --quick
"""

import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "scripts" / "reference" / "numpy_reference.py"
REGIMES = ("replace", "accumulate")
CHECK_GENERATIONS = (1, 2, 10, 25, 50)
# Single-threaded BLAS for both programs.
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

# Defaults per profile; a flag given on the command line wins.
PROFILES = {
    "full": dict(dimension=32, samples=1000, generations=50, runs=3,
                 ref_repeats_replace=20, ref_repeats_accumulate=5, swift_repeats=2000,
                 check_dimension=8, check_samples=100, check_ref_repeats=2000,
                 check_swift_repeats=20000),
    "quick": dict(dimension=4, samples=50, generations=5, runs=1,
                  ref_repeats_replace=5, ref_repeats_accumulate=5, swift_repeats=50,
                  check_dimension=4, check_samples=50, check_ref_repeats=500,
                  check_swift_repeats=5000),
}

try:
    from scipy.stats import norm
    normal_quantile = norm.ppf
except ImportError:                       # scipy is optional
    normal_quantile = statistics.NormalDist().inv_cdf


def die(message):
    print(f"compare-reference: {message}", file=sys.stderr)
    sys.exit(2)


def run(command):
    """Runs a command with single-threaded BLAS; returns (stdout, process wall seconds)."""
    start = time.perf_counter()
    command = [str(part) for part in command]
    done = subprocess.run(command, env=ENV, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        die(f"command failed (exit {done.returncode}): {' '.join(command)}\n{done.stderr}")
    return done.stdout, wall


def read_means(path):
    """{(regime, generation): (mean, standard error)} from a results CSV of either program
    (collapse's long format, metric test_error, or the reference's wide layout)."""
    with open(path, newline="") as f:
        return {(row["regime"], int(row["generation"])):
                (float(row["mean"] if "mean" in row else row["mean_test_error"]), float(row["std_error"]))
                for row in csv.DictReader(f) if row.get("metric", "test_error") == "test_error"}


def run_reference(size, regimes, repeats, seed, workdir):
    """Returns (in-process seconds per regime, process wall seconds, means)."""
    out = Path(workdir) / "reference.csv"
    stdout, wall = run([sys.executable, REFERENCE, "--dimension", size["d"], "--samples", size["T"],
                        "--noise-variance", size["s2"], "--generations", size["N"],
                        "--repeats", repeats, "--regimes", ",".join(regimes),
                        "--seed", seed, "--output", out])
    seconds = {m[1]: float(m[2]) for m in
               re.finditer(r"timing regime=(\S+) repeats=\d+ total_seconds=(\S+)", stdout)}
    return seconds, wall, read_means(out)


def run_swift(binary, size, regimes, repeats, seed, workdir):
    """Returns (manifest wall_seconds, process wall seconds, means)."""
    out = Path(workdir) / "swift"
    _, wall = run([binary, "simulate", "--dimension", size["d"], "--samples", size["T"],
                   "--noise-variance", size["s2"], "--generations", size["N"],
                   "--regimes", ",".join(regimes), "--repeats", repeats, "--threads", "1",
                   "--seed", seed, "--output", out])
    manifest = json.loads((out / "manifest.json").read_text())
    return manifest["wall_seconds"], wall, read_means(out / "results.csv")


def theory(regime, n, d, T, s2):
    """Closed-form expectation over the Gaussian design (T1/T2), or None when T < d + 2."""
    if T < d + 2:
        return None
    c = s2 * d / (T - d - 1)
    return c * n if regime == "replace" else c * sum(1 / i ** 2 for i in range(1, n + 1))


def timings(args, binary, size):
    ms = lambda seconds, r: f"{1000 * seconds / r:10.3f}"
    print(f"Timing: d={size['d']} T={size['T']} sigma^2={size['s2']} N={size['N']}, single-threaded, "
          f"median of {args.runs} run(s)")
    print(f"{'regime':<11} {'R_ref':>5} {'R_swift':>7} | {'ref ms/rep':>10} {'swift ms/rep':>12} "
          f"{'ratio':>7} | {'ref proc':>10} {'swift proc':>10} {'ratio':>7}")
    for regime in REGIMES:
        r_ref = args.ref_repeats_replace if regime == "replace" else args.ref_repeats_accumulate
        samples = {"ref": [], "swift": [], "ref_proc": [], "swift_proc": []}
        for k in range(args.runs):
            with tempfile.TemporaryDirectory() as workdir:
                seconds, wall, _ = run_reference(size, [regime], r_ref, args.seed + k, workdir)
                samples["ref"].append(seconds[regime] / r_ref)
                samples["ref_proc"].append(wall / r_ref)
                seconds, wall, _ = run_swift(binary, size, [regime], args.swift_repeats, args.seed + k, workdir)
                samples["swift"].append(seconds / args.swift_repeats)
                samples["swift_proc"].append(wall / args.swift_repeats)
        med = {key: statistics.median(values) for key, values in samples.items()}
        print(f"{regime:<11} {r_ref:>5} {args.swift_repeats:>7} | {ms(med['ref'], 1)} "
              f"{ms(med['swift'], 1):>12} {med['ref'] / med['swift']:7.1f} | "
              f"{ms(med['ref_proc'], 1)} {ms(med['swift_proc'], 1)} "
              f"{med['ref_proc'] / med['swift_proc']:7.1f}")
        if args.runs > 1:                  # the individual runs behind the medians
            print("    per run (ms/rep): " + "; ".join(
                f"{key} " + ", ".join(f"{1000 * v:.3f}" for v in values) for key, values in samples.items()))
    print("(ref/swift ms/rep: in-process timers; proc: process wall time / R, start-up included)\n")


def correctness(args, binary, size):
    gens = sorted({n for n in CHECK_GENERATIONS if n <= size["N"]} | {size["N"]})
    K = len(REGIMES) * len(gens)
    z_star = normal_quantile(1 - args.false_alarm / (2 * K))
    with tempfile.TemporaryDirectory() as workdir:
        _, _, ref = run_reference(size, REGIMES, args.check_ref_repeats, args.seed + 1000, workdir)
        _, _, swift = run_swift(binary, size, REGIMES, args.check_swift_repeats, args.seed + 2000, workdir)
    print(f"Correctness: d={size['d']} T={size['T']} sigma^2={size['s2']} N={size['N']}, "
          f"R_ref={args.check_ref_repeats}, R_swift={args.check_swift_repeats}; "
          f"K={K}, alpha={args.false_alarm:g}, z*={z_star:.3f}")
    print(f"{'regime':<11} {'gen':>4} {'reference mean ± SE':>24} {'swift mean ± SE':>24} "
          f"{'theory':>10} {'z':>7}  verdict")
    failed = 0
    for regime in REGIMES:
        for n in gens:
            (m_r, se_r), (m_s, se_s) = ref[(regime, n)], swift[(regime, n)]
            z = (m_r - m_s) / (se_r ** 2 + se_s ** 2) ** 0.5
            ok = abs(z) <= z_star
            failed += not ok
            th = theory(regime, n, size["d"], size["T"], size["s2"])
            print(f"{regime:<11} {n:>4} {m_r:>13.6g} ± {se_r:<8.3g} {m_s:>13.6g} ± {se_s:<8.3g} "
                  f"{'' if th is None else f'{th:.6g}':>10} {z:7.2f}  {'ok' if ok else 'FAIL'}")
    print(f"{K - failed}/{K} agree (max |z| allowed {z_star:.3f})")
    return failed == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="See the module docstring for the method.")
    parser.add_argument("--binary", help="collapse binary (default: .build/release/collapse in the repository)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (d=4, T=50, N=5), to test the script")
    parser.add_argument("--noise-variance", type=float, default=1.0, help="sigma^2 (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="base seed (default 1)")
    parser.add_argument("--false-alarm", type=float, default=1e-3, help="family-wise alpha (default 0.001)")
    for name in PROFILES["full"]:
        parser.add_argument("--" + name.replace("_", "-"), type=int, default=None,
                            help=f"default {PROFILES['full'][name]} ({PROFILES['quick'][name]} with --quick)")
    args = parser.parse_args()
    for name, value in PROFILES["quick" if args.quick else "full"].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
        elif getattr(args, name) < (2 if "repeats" in name else 1):
            parser.error(f"argument --{name.replace('_', '-')}: {getattr(args, name)} is too small")
    if not args.noise_variance > 0 or args.noise_variance == float("inf"):
        parser.error("argument --noise-variance: expected a finite number > 0")
    if not 0 < args.false_alarm < 1:
        parser.error("argument --false-alarm: expected a number in (0, 1)")
    if args.seed < 0 or args.seed + 2000 >= 2 ** 64:
        parser.error("argument --seed: expected an integer in 0...2^64-2001")

    binary = Path(args.binary).resolve() if args.binary else ROOT / ".build" / "release" / "collapse"
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        die(f"Swift binary {binary} not found; build it first: cd {ROOT} && swift build -c release")

    timing_size = dict(d=args.dimension, T=args.samples, N=args.generations, s2=args.noise_variance)
    check_size = dict(d=args.check_dimension, T=args.check_samples, N=args.generations,
                      s2=args.noise_variance)
    timings(args, str(binary), timing_size)
    return 0 if correctness(args, str(binary), check_size) else 1


if __name__ == "__main__":
    sys.exit(main())
