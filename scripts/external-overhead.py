#!/usr/bin/env python3
"""Orchestration overhead of `collapse external` (issue 15): the run's wall time minus the time
its trainer steps took (each step's own wall time, from process start to exit, recorded by
collapse in work/*/result.json, and the info step's, in the manifest), as a fraction of the
steps' time. What remains is collapse's own work: its start, the files of every step (with
an fsync per committed step), the results, manifest and figure.

Runs the reference trainer (examples/trainers/unigram.py) at the size the test suite uses:
5 regimes, 3 generations, 50 real records, 2 replicates (48 steps). Prints each run and the
median over --runs runs.

    python3 scripts/external-overhead.py [--binary .build/release/collapse] [--runs 5]
"""
import argparse, json, os, random, shutil, statistics, subprocess, sys, tempfile, time

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/collapse")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--directory", default=None, help="where the runs write (default: the system temporary directory)")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    trainer = "python3 " + os.path.abspath("examples/trainers/unigram.py")
    work = tempfile.mkdtemp(prefix="collapse-overhead-", dir=a.directory)
    r = random.Random(12345)
    words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "to", "big", "red", "sun"]
    def lines(n): return "".join(" ".join(r.choice(words) for _ in range(3 + r.randrange(6))) + "\n" for _ in range(n))
    open(os.path.join(work, "real.txt"), "w").write(lines(300))
    open(os.path.join(work, "test.txt"), "w").write(lines(60))
    fractions = []
    for i in range(a.runs):
        out = os.path.join(work, f"run{i}")
        started = time.monotonic()
        subprocess.run([binary, "external", "--trainer", trainer, "--data", "real.txt", "--test", "test.txt",
                        "--regimes", "replace,accumulate,accumulate-subsample,mix,fresh-real", "--real-fraction", "0.25",
                        "--generations", "3", "--samples", "50", "--repeats", "2", "--seed", str(i), "--quiet",
                        "--output", out], cwd=work, check=True, stdout=subprocess.DEVNULL)
        wall = time.monotonic() - started
        steps = [json.load(open(os.path.join(out, "work", d, "result.json")))["seconds"]
                 for d in os.listdir(os.path.join(out, "work")) if not d.startswith(".")]
        # The info step (run once before the grid) is the trainer's time too.
        trainer_time = sum(steps) + json.load(open(os.path.join(out, "manifest.json")))["parameters"]["trainer_info_seconds"]
        fraction = (wall - trainer_time) / trainer_time
        fractions.append(fraction)
        print(f"run {i}: {len(steps)} steps, wall {wall:.3f} s, trainer steps {trainer_time:.3f} s, "
              f"orchestration {wall - trainer_time:.3f} s = {100 * fraction:.1f} % of the trainer's time")
    print(f"median orchestration overhead over {a.runs} runs: {100 * statistics.median(fractions):.1f} %")
    shutil.rmtree(work)

if __name__ == "__main__":
    sys.exit(main())
