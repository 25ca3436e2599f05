#!/usr/bin/env python3
"""Measures how the simulator's cost scales and writes the scaling table of docs/performance.md.

    scripts/scaling.py [--binary .build/release/collapse] [--runs 3] [--no-docs]
    scripts/scaling.py --threads [--max-threads N] [--runs 3] [--binary B] [--json FILE]
    scripts/scaling.py --threads --variant new=.build/release/collapse \
        --variant old=/tmp/old/collapse --variant serial=/tmp/old/collapse:/usr/lib/x86_64-linux-gnu/openblas-serial

For each setting it runs `collapse simulate` `--runs` times and takes the median of the wall
time recorded in manifest.json (compute plus CSV writing; process start-up excluded). Reported:

* per replicate: wall time / repeats (ms), on one thread unless the row says otherwise;
* per generation: the marginal cost of a generation, (t(N2) - t(N1)) / (N2 - N1) per replicate,
  from two runs with N1 and N2 generations. It must not grow with N (constant cost per
  generation) for every regime except accumulate-subsample, whose refit grows with the pool.

The table goes to stdout and, unless --no-docs (alias --no-readme), replaces the text between the markers
`<!-- scaling:begin -->` and `<!-- scaling:end -->` in docs/performance.md.

With --threads it measures parallel efficiency instead: each workload (the linear chain at
d = 4 and at d = 32, a fresh design every generation, the sufficient engine, a generative chain) at 1, 2, 4, ... threads up to
--max-threads (default: all cores), `--runs` runs each, and reports the medians of the process's
wall, user and system time (from wait4), the manifest's wall time (compute and writing, no
process start-up), the efficiency t(1) / (p t(p)) of both, and whether results.csv is
byte-identical across thread counts. At the most threads p it also starts p one-thread runs of
the workload together (unless --no-side-by-side) and reports t(1) over their mean compute time:
the efficiency the machine allows with no code shared (caches, memory bandwidth, the clock it
holds with p cores busy, SMT siblings), against which the compute efficiency at p is read; their
results.csv must equal the others'. With one build (no --variant) and unless --no-docs, a
compact table (wall seconds per thread count, efficiency at the most threads, the machine and the
date) replaces the text between `<!-- threads:begin -->` and `<!-- threads:end -->` in README.md.
Environment variables pass through unchanged: set
OPENBLAS_CORETYPE where the machine needs it, never OPENBLAS_NUM_THREADS (the tool must not
need it).

--variant NAME=BINARY[:LIBDIR] (repeatable) measures several builds side by side: runs of the
variants are interleaved (run i of every variant before run i+1 of any), so load from other
processes falls on all of them alike; LIBDIR, if given, is put first on LD_LIBRARY_PATH (e.g.
Debian's openblas-serial directory) to switch the OpenBLAS a binary loads. Each row names the
BLAS that ran (the manifest's "blas", shortened); results.csv must be byte-identical across
thread counts within each variant, and a last column says whether it equals the first variant's.
Wall-time efficiency needs the cores to itself: on a shared machine run the script under
`nice -n -20` (as root), or the other processes' load decides the figures.
"""
import argparse
import json
import os
import shutil
import signal
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


THREAD_WORKLOADS = [
    # name, arguments after the binary
    ("simulate d=4 T=50 N=50 R=40000",
     ["simulate", "--dimension", "4", "--samples", "50", "--generations", "50", "--repeats", "40000", "--seed", "1"]),
    ("simulate d=32 T=1000 N=50 R=2000",
     ["simulate", "--dimension", "32", "--samples", "1000", "--generations", "50", "--repeats", "2000", "--seed", "1"]),
    ("simulate --design fresh d=4 T=50 N=50 R=10000",
     ["simulate", "--design", "fresh", "--dimension", "4", "--samples", "50", "--generations", "50", "--repeats", "10000",
      "--seed", "1"]),
    ("reproduce (literal, d=32)", ["reproduce"]),
    ("reproduce --engine sufficient", ["reproduce", "--engine", "sufficient"]),
    ("generative poisson R=2000", ["generative", "--model", "poisson", "--repeats", "2000", "--seed", "1"]),
]


def timed(cmd, env=None):
    """(wall, user, sys) seconds of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"scaling: `{' '.join(cmd)}` failed with status {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime, usage.ru_stime


def side_by_side(binary, args, p, out, env=None):
    """The manifests' compute times of `p` one-thread runs of the workload started together, and
    their results.csv files. Nothing is shared between the processes but the machine (cores'
    caches and memory bandwidth, the clock frequency the chip holds with p cores busy, SMT
    siblings), so t(1) / mean of these times is the efficiency the machine itself allows at p:
    the ceiling of any parallel code, and the yardstick for the compute efficiency at p. Each
    starts from a shell that waits for a line on its standard input, sent to all once all are
    started, so that they overlap from the start; a failed run stops the others."""
    procs = []
    try:
        for j in range(p):
            cmd = [binary, *args, "--threads", "1", "--output", f"{out}-{j}"]
            procs.append((cmd, subprocess.Popen(["/bin/sh", "-c", 'read go && exec "$0" "$@"', *cmd], stdin=subprocess.PIPE,
                                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)))
        for _, proc in procs:
            proc.stdin.write(b"go\n")
            proc.stdin.close()
        times, data = [], []
        for j, (cmd, proc) in enumerate(procs):
            if proc.wait() != 0:
                sys.exit(f"scaling: `{' '.join(cmd)}` failed with status {proc.returncode}")
            with open(os.path.join(f"{out}-{j}", "manifest.json")) as f:
                times.append(json.load(f)["wall_seconds"])
            with open(os.path.join(f"{out}-{j}", "results.csv"), "rb") as f:
                data.append(f.read())
            shutil.rmtree(f"{out}-{j}")
        return times, data
    finally:
        for _, proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def parse_variants(a):
    """[(name, binary, env)]: --variant NAME=BINARY[:LIBDIR], or the one --binary."""
    if not a.variant:
        return [("", a.binary, None)]
    out = []
    for spec in a.variant:
        name, sep, rest = spec.partition("=")
        if not sep or not name or not rest:
            sys.exit(f"scaling: --variant {spec!r}: expected NAME=BINARY[:LIBDIR]")
        binary, _, libdir = rest.partition(":")
        if not os.access(binary, os.X_OK):
            sys.exit(f"scaling: --variant {name}: no executable at {binary}")
        env = None
        if libdir:
            env = {**os.environ, "LD_LIBRARY_PATH": libdir + (":" + os.environ["LD_LIBRARY_PATH"]
                                                              if os.environ.get("LD_LIBRARY_PATH") else "")}
        out.append((name, binary, env))
    return out


def short_blas(text):
    """"OpenBLAS Cooperlake (... MAX_THREADS=64; pthreads build; /path)" -> "pthreads", etc."""
    for word in ("pthreads", "sequential", "OpenMP"):
        if f"; {word} build" in text:
            return word + (", serialised" if "calls serialised" in text else "")
    return text.split("(")[-1].split(";")[-1].strip(" )") if "(" in text else text or "?"


def blas_kernel(text):
    """"OpenBLAS Zen (OpenBLAS 0.3.21 ...)" -> "Zen": the kernel family OpenBLAS picked for the CPU."""
    words = text.split()
    return words[1] if len(words) > 1 and words[0] == "OpenBLAS" else "?"


def thread_scaling(a):
    counts = []
    p = 1
    while p <= a.max_threads:
        counts.append(p)
        p *= 2
    if counts[-1] != a.max_threads:
        counts.append(a.max_threads)
    variants = parse_variants(a)
    report = []
    print(f"threads: {counts}; {a.runs} run(s) each; variants: "
          + ", ".join(f"{n or 'default'}={b}" + (f" (LD_LIBRARY_PATH={e['LD_LIBRARY_PATH']})" if e else "")
                      for n, b, e in variants), file=sys.stderr)
    lines = ["| workload | variant | BLAS | threads | wall s | user s | sys s | sys/user | efficiency | compute s | compute efficiency | CSV identical | = first variant |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    workloads = THREAD_WORKLOADS
    if a.workloads:
        keep = [int(i) for i in a.workloads.split(",")]
        workloads = [THREAD_WORKLOADS[i] for i in keep]
    with tempfile.TemporaryDirectory() as tmp:
        for w, (name, args) in enumerate(workloads):
            reference = {}   # per variant: its first results.csv (builds far apart may differ in columns)
            first = None     # the first variant's, to say whether the variants agree
            base = {}
            for p in counts:
                samples = {v[0]: {"wall": [], "user": [], "sys": [], "compute": [], "outside": [], "identical": True, "blas": ""}
                           for v in variants}
                for i in range(a.runs):
                    for vname, binary, env in variants:
                        out = os.path.join(tmp, f"w{w}-{vname}-{p}-{i}")
                        wall, user, sys_ = timed([binary, *args, "--threads", str(p), "--output", out], env)
                        with open(os.path.join(out, "manifest.json")) as f:
                            manifest = json.load(f)
                        with open(os.path.join(out, "results.csv"), "rb") as f:
                            data = f.read()
                        shutil.rmtree(out)
                        reference.setdefault(vname, data)
                        first = first if first is not None else data
                        row = samples[vname]
                        row["identical"] = row["identical"] and data == reference[vname]
                        row["same_as_first"] = row.get("same_as_first", True) and data == first
                        row["blas"] = short_blas(manifest.get("blas", ""))
                        row["kernel"] = blas_kernel(manifest.get("blas", ""))
                        row["wall"].append(wall); row["user"].append(user); row["sys"].append(sys_)
                        row["compute"].append(manifest["wall_seconds"])
                        row["outside"].append(max(wall - manifest["wall_seconds"], 0.0))
                        if p == counts[-1] and p > 1 and not a.no_side_by_side:
                            times, same = side_by_side(binary, args, p, os.path.join(tmp, f"w{w}-{vname}-sbs-{i}"), env)
                            row.setdefault("side_by_side", []).append(statistics.mean(times))
                            row["identical"] = row["identical"] and all(d == reference[vname] for d in same)
                for vname, _, _ in variants:
                    s_ = samples[vname]
                    row = {"workload": name, "command": "collapse " + " ".join(args),
                           "variant": vname, "blas": s_["blas"], "kernel": s_.get("kernel", "?"), "threads": p,
                           "wall": statistics.median(s_["wall"]), "user": statistics.median(s_["user"]),
                           "sys": statistics.median(s_["sys"]), "compute": statistics.median(s_["compute"]),
                           "outside": statistics.median(s_["outside"]),
                           "identical": s_["identical"], "same_as_first": s_["same_as_first"], "runs": a.runs}
                    base.setdefault(vname, row)
                    row["efficiency"] = base[vname]["wall"] / (p * row["wall"])
                    row["compute_efficiency"] = base[vname]["compute"] / (p * row["compute"])
                    if s_.get("side_by_side"):
                        row["side_by_side"] = statistics.median(s_["side_by_side"])
                        row["side_by_side_efficiency"] = base[vname]["compute"] / row["side_by_side"]
                    report.append(row)
                    line = (f"| {name} | {vname or 'default'} | {row['blas']} | {p} | {row['wall']:.3f} | {row['user']:.2f} | "
                            f"{row['sys']:.2f} | {row['sys'] / max(row['user'], 1e-9):.1%} | {row['efficiency']:.0%} | "
                            f"{row['compute']:.3f} | {row['compute_efficiency']:.0%} | {'yes' if row['identical'] else 'NO'} | "
                            f"{'yes' if row['same_as_first'] else 'no'} |")
                    lines.append(line)
                    print(line, flush=True)
                    if "side_by_side" in row:
                        note = (f"| {name} | {vname or 'default'} | | {p} one-thread processes side by side | | | | | | "
                                f"{row['side_by_side']:.3f} | {row['side_by_side_efficiency']:.0%} | "
                                f"{'yes' if row['identical'] else 'NO'} | |")
                        lines.append(note)
                        print(note, flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)
    print("\n".join(lines))
    if not all(r["identical"] for r in report):
        sys.exit("scaling: results.csv differed between thread counts")
    if len(variants) == 1 and not a.no_docs:
        replace_between(os.path.join(ROOT, "README.md"), "<!-- threads:begin -->", "<!-- threads:end -->",
                        readme_table(report, counts, a.runs))


def cpu_name():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


CEILING_THREADS = 16


def serial_ceiling(t1, serial, p):
    """The wall efficiency t1 / (p t(p)) at p threads if everything but `serial` seconds scaled
    perfectly: t(p) = serial + (t1 - serial) / p (Amdahl)."""
    return t1 / (p * serial + t1 - serial)


def readme_table(report, counts, runs):
    """The README's scaling table: one row per workload, wall seconds (system seconds) per thread
    count, the efficiency at the most threads, of the process's wall time and of the manifest's
    compute time, that of as many one-thread runs side by side (when measured), and the process's
    time outside the compute on one thread (start-up, writing, figures; the median of the runs'
    differences) with the wall efficiency it alone allows at 16 threads."""
    top = counts[-1]
    sbs = top > 1 and all("side_by_side" in r for r in report if r["threads"] == top)
    lines = [f"| workload | " + " | ".join(f"{p} thread{'s' if p > 1 else ''}, wall s (sys s)" for p in counts)
             + f" | efficiency at {top}: wall / compute"
             + (f" | {top} one-thread runs side by side: efficiency" if sbs else "")
             + f" | outside compute, s (wall ceiling at {CEILING_THREADS}) |",
             "|---|" + "---|" * (len(counts) + 2 + sbs)]
    for command in dict.fromkeys(r["command"] for r in report):
        rows = {r["threads"]: r for r in report if r["command"] == command}
        cells = [f"{rows[p]['wall']:.2f} ({rows[p]['sys']:.2f})" for p in counts]
        last, one = rows[top], rows[1]
        serial = one["outside"]
        lines.append(f"| `{command}` | " + " | ".join(cells)
                     + f" | {last['efficiency']:.0%} / {last['compute_efficiency']:.0%}"
                     + (f" | {last['side_by_side_efficiency']:.0%}" if sbs else "")
                     + f" | {serial:.3f} ({serial_ceiling(one['wall'], serial, CEILING_THREADS):.0%}) |")
    lines.append("")
    kernels = ", ".join(k for k in dict.fromkeys(r.get("kernel", "?") for r in report) if k != "?")
    lines.append(f"{os.cpu_count()} cores ({cpu_name()}{f'; OpenBLAS {kernels} kernels' if kernels else ''}), "
                 f"{time.strftime('%Y-%m-%d')}, "
                 f"medians of {runs} runs; "
                 "results.csv byte-identical across thread counts; written by `scripts/scaling.py --threads`. "
                 + (f"Side by side: {top} processes of one thread each started together, t(1) over their mean "
                    "compute time; what the machine itself allows (shared caches, memory bandwidth, clock), "
                    "with no code shared. " if sbs else "")
                 + "Outside compute: the median over runs of the process's wall time less the manifest's, on one "
                 "thread (process start-up, "
                 "figures); the ceiling is the wall efficiency at "
                 f"{CEILING_THREADS} threads were the rest to scale perfectly, t(1) / ({CEILING_THREADS} s + t(1) - s).")
    return "\n".join(lines)


def replace_between(path, begin, end, table):
    text = open(path, encoding="utf-8").read()
    if begin not in text or end not in text:
        sys.exit(f"scaling: {os.path.relpath(path, ROOT)} lacks the markers {begin} {end}")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(head + begin + "\n" + table + "\n" + end + tail)
    print(f"updated {os.path.relpath(path, ROOT)}", file=sys.stderr)


def main():
    # A SIGTERM (`timeout`) unwinds like Ctrl-C, so no run started here outlives the script.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("scaling: terminated"))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build/release/collapse"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-docs", "--no-readme", dest="no_docs", action="store_true")
    ap.add_argument("--threads", action="store_true", help="measure parallel efficiency instead")
    ap.add_argument("--max-threads", type=int, default=os.cpu_count())
    ap.add_argument("--json", help="with --threads: also write the rows as JSON")
    ap.add_argument("--workloads", help="with --threads: indices of the workloads to run, e.g. 0,2 (default: all)")
    ap.add_argument("--no-side-by-side", action="store_true",
                    help="with --threads: skip the one-thread processes run side by side at the most threads")
    ap.add_argument("--variant", action="append", metavar="NAME=BINARY[:LIBDIR]",
                    help="with --threads: a build to measure side by side (repeatable; default: --binary alone)")
    a = ap.parse_args()
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"scaling: no collapse binary at {a.binary}; run `swift build -c release` first")
    if a.runs < 1:
        sys.exit("scaling: --runs must be >= 1")
    if a.threads:
        thread_scaling(a)
        return
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
    if not a.no_docs:
        replace_between(os.path.join(ROOT, "docs", "performance.md"), "<!-- scaling:begin -->", "<!-- scaling:end -->", table)


if __name__ == "__main__":
    main()
