#!/usr/bin/env python3
"""Hostile-input harness: hundreds of bad invocations and files across every command.

    python3 scripts/hostile-inputs.py [--binary .build/release/collapse] [--list]

Each case changes one flag (or one input file) of a small valid invocation to a value that is
not allowed, and asserts that the tool handles it cleanly:
  * exit status ≠ 0 and not killed by a signal;
  * stderr names the flag or the file, and holds no crash report ("Fatal error", "Backtrace",
    "Stack dump");
  * nothing is written: no output directory or file appears;
  * no input is touched: every file given to the command keeps its bytes.
Exit status 0 when every case passes, 1 otherwise (each failure printed). Run by the test suite
(CLITests.HostileInputTests) and usable alone.
"""
import argparse
import hashlib
import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

INTEGER_BAD = ["", "0", "-1", "abc", "1.5", "1e400", "99999999999999999999", "nan", ","]
REAL_BAD = ["", "nan", "inf", "-inf", "-1", "abc", "1e400", ","]
LIST_BAD = ["1,,2", "1,1", ",", "1;2"]
CHOICE_BAD = ["bogus", "", "replace;accumulate"]


def cases(tmp: Path) -> list[tuple[str, list[str], str, list[Path]]]:
    """(label, arguments, the text stderr must name, input files) per case."""
    out: list[tuple[str, list[str], str, list[Path]]] = []

    def add(base: list[str], flag: str, values: list[str], needle: str | None = None, inputs: list[Path] | None = None):
        for v in values:
            out.append((f"{' '.join(base[:2])} {flag} {v!r}", base + [flag, v], needle or flag, inputs or []))

    sim = ["simulate", "--generations", "2", "--repeats", "4", "--seed", "1", "--threads", "1", "--output", "out"]
    for flag in ["--dimension", "--samples"]:
        add(sim, flag, INTEGER_BAD + LIST_BAD)
    add(sim, "--noise-variance", REAL_BAD + ["0", "1e13"] + LIST_BAD)
    add(sim, "--generations", INTEGER_BAD)
    add(sim, "--repeats", INTEGER_BAD + ["1"])
    add(sim, "--regimes", CHOICE_BAD + ["replace,replace"])
    add(sim, "--real-fraction", REAL_BAD + ["1.5"])
    add(sim, "--engine", CHOICE_BAD)
    add(sim, "--design", CHOICE_BAD)
    add(sim, "--seed", ["", "-1", "abc", "18446744073709551616", "1.5"])
    add(sim, "--threads", ["0", "-1", "abc", "5000"])
    add(sim, "--max-memory", ["", "0", "-1G", "abc", "1Q", "nan"])
    add(sim, "--shard", ["", "3/3", "-1/2", "1", "a/b", "1/0"])
    # Combinations the family refuses.
    add(sim + ["--regimes", "replace"], "--real-fraction", ["0.5"])
    add(sim + ["--samples", "5"], "--engine", ["sufficient"])
    add(sim + ["--regimes", "mix"], "--design", ["fresh"])

    # Config files: malformed, unknown keys, wrong types, not a regular file, binary, too deep.
    configs = {
        "unknown.toml": "sampels = 3\n", "type.toml": "dimension = \"ten\"\n", "table.toml": "[grid]\nsamples = 3\n",
        "unterminated.toml": "regimes = [\"replace\"\n", "dup.toml": "samples = 3\nsamples = 4\n",
        "family.toml": "family = \"quantum\"\n", "deep.toml": "dimension = " + "[" * 50 + "]" * 50 + "\n",
        "nul.toml": "samples = 3\x00\n", "negative.toml": "repeats = -5\n", "nan.toml": "noise_variance = nan\n",
        "crlf-bad.toml": "# c\r\nsamples = 0\r\n", "empty-array.toml": "samples = []\n", "string-seed.toml": "seed = \"x\"\n",
    }
    for name, text in configs.items():
        path = tmp / name
        path.write_bytes(text.encode())
        out.append((f"sweep --config {name}", ["sweep", "--config", str(path), "--output", "out"], name, [path]))
        out.append((f"simulate --config {name}", sim + ["--config", str(path)], name, [path]))
    binary = tmp / "binary.toml"
    binary.write_bytes(bytes(range(256)) * 4)
    out.append(("sweep --config binary", ["sweep", "--config", str(binary), "--output", "out"], "binary.toml", [binary]))
    fifo = tmp / "fifo.toml"
    os.mkfifo(fifo)
    out.append(("sweep --config fifo", ["sweep", "--config", str(fifo), "--output", "out"], "fifo.toml", []))
    out.append(("sweep --config dir", ["sweep", "--config", str(tmp), "--output", "out"], str(tmp), []))
    out.append(("sweep --config missing", ["sweep", "--config", str(tmp / "nope.toml"), "--output", "out"], "nope.toml", []))

    sweep = ["sweep", "--generations", "2", "--repeats", "4", "--seed", "1", "--output", "out"]
    add(sweep, "--experiment", ["bogus", ""])
    add(["sweep"], "--show", ["bogus"])
    add(sweep, "--dimension", INTEGER_BAD)
    add(sweep, "--samples", INTEGER_BAD)
    add(sweep + ["--experiment", "kde-moons-samples"], "--dimension", ["3"], needle="--dimension")

    gen = ["generative", "--model", "gaussian", "--samples", "20", "--generations", "2", "--repeats", "2", "--seed", "1", "--output", "out"]
    add(gen, "--samples", INTEGER_BAD + ["1"])
    add(gen, "--test-size", INTEGER_BAD)
    add(gen, "--generations", INTEGER_BAD)
    add(gen, "--repeats", INTEGER_BAD + ["1"])
    add(["generative", "--samples", "20", "--output", "out"], "--model", CHOICE_BAD)
    add(gen, "--dataset", CHOICE_BAD)
    add(["generative", "--model", "kde", "--samples", "20", "--output", "out"], "--bandwidth", ["", "-1", "0", "nan", "wide"])
    add(gen, "--regimes", CHOICE_BAD)
    add(gen, "--real-fraction", REAL_BAD)
    # Point files: missing, a directory, empty, ragged, non-numeric, binary, a FIFO.
    files = {"empty.csv": b"", "ragged.csv": b"1,2\n3\n4,5\n", "text.csv": b"a,b\nc,d\n", "binary.csv": bytes(range(256)),
             "nan.csv": b"1,2\nnan,3\n", "header-only.csv": b"x,y\n"}
    for name, data in files.items():
        path = tmp / name
        path.write_bytes(data)
        out.append((f"generative --data {name}", ["generative", "--model", "gaussian", "--dataset", "csv", "--data", str(path),
                                                  "--samples", "5", "--test-size", "2", "--output", "out"], name, [path]))
    out.append(("generative --data missing", ["generative", "--model", "gaussian", "--dataset", "csv", "--data", str(tmp / "nope.csv"),
                                             "--output", "out"], "nope.csv", []))
    out.append(("generative --data dir", ["generative", "--model", "gaussian", "--dataset", "csv", "--data", str(tmp),
                                         "--output", "out"], str(tmp), []))
    pfifo = tmp / "points.fifo"
    os.mkfifo(pfifo)
    out.append(("generative --data fifo", ["generative", "--model", "gaussian", "--dataset", "csv", "--data", str(pfifo),
                                          "--output", "out"], "points.fifo", []))

    for model in ["lm", "vae", "diffusion"]:
        nn = ["neural", model, "--preset", "smoke", "--generations", "2", "--seed", "1", "--output", "out"]
        add(nn, "--preset", CHOICE_BAD)
        add(nn, "--generations", INTEGER_BAD + ["101"])
        add(nn, "--steps", INTEGER_BAD)
        add(nn, "--epochs", REAL_BAD + ["0"])
        add(nn, "--regimes", CHOICE_BAD + ["mix"])
        add(nn, "--max-memory", ["abc", "0", "1K"])   # bad sizes, and one the memory guard refuses
    add(["neural", "lm", "--preset", "smoke", "--output", "out"], "--temperature", REAL_BAD + ["0", "11"])
    neural_files = {"lm": {"bad-utf8.txt": b"story\nab\xff\n", "few.txt": b"one\ntwo\n", "empty.txt": b""},
                    "vae": {"labels.idx": bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]), "cut.idx": bytes([0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28]) + bytes(100),
                            "huge.idx": bytes([0, 0, 8, 3, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28]), "empty.idx": b""},
                    "diffusion": {"bad.xyz": b"3\nframe\nC 0 0 0\nC 1.5 x 0\nC 3 0 0\n", "big.xyz": b"9223372036854775806\nframe\nC 0 0 0\n", "max.xyz": b"9223372036854775807",
                                  "negative.xyz": b"-3\nframe\n", "empty.xyz": b""}}
    for model, table in neural_files.items():
        for name, data in table.items():
            path = tmp / name
            path.write_bytes(data)
            out.append((f"neural {model} --data {name}", ["neural", model, "--preset", "smoke", "--data", str(path), "--output", "out"],
                        name, [path]))

    # external: the reference trainer on a small valid corpus, one bad value at a time.
    real, held = tmp / "ext-real.txt", tmp / "ext-test.txt"
    real.write_bytes(b"the cat sat\non the mat\n" * 20)
    held.write_bytes(b"a dog ran\n" * 5)
    unigram = "python3 " + str(Path(__file__).resolve().parent.parent / "examples/trainers/unigram.py")
    ex = ["external", "--trainer", unigram, "--data", str(real), "--test", str(held), "--output", "out"]
    add(ex, "--generations", INTEGER_BAD + ["1001"], inputs=[real, held])
    add(ex, "--samples", INTEGER_BAD + ["41"], inputs=[real, held])
    add(ex, "--repeats", INTEGER_BAD, inputs=[real, held])
    add(ex, "--regimes", CHOICE_BAD, inputs=[real, held])
    add(ex, "--step-timeout", REAL_BAD + ["0"], inputs=[real, held])
    add(ex, "--keep-models", CHOICE_BAD, inputs=[real, held])
    add(ex, "--format", ["", "csv", "binary:0", "binary:-1", "jsonl"], inputs=[real, held])
    for name, data in {"ext-empty.txt": b"", "ext-dir": None}.items():
        path = tmp / name
        if data is None:
            path.mkdir(exist_ok=True)
        else:
            path.write_bytes(data)
        out.append((f"external --data {name}", ["external", "--trainer", unigram, "--data", str(path), "--test", str(held), "--output", "out"],
                    "--data", [held]))
    for trainer in ["", "no-such-trainer-command", "echo not-json", "exit 3", "printf '{\"formats\": []}'"]:
        out.append((f"external --trainer {trainer!r}", ["external", "--trainer", trainer, "--data", str(real), "--test", str(held), "--output", "out"],
                    "--trainer", [real, held]))
    # data: the dataset, --count, the dataset options, the seed, --output.
    for name in ["bogus", "", "csv", "corpus"]:
        out.append((f"data {name!r}", ["data", name, "--count", "10", "--output", "out"], "DATASET", []))
    add(["data", "moons", "--output", "out"], "--count", INTEGER_BAD + ["1000001"])
    add(["data", "stories", "--output", "out"], "--count", ["9"])
    dat = ["data", "moons", "--count", "10", "--output", "out"]
    add(dat, "--seed", ["", "-1", "abc", "18446744073709551616", "1.5"])
    add(dat, "--model", CHOICE_BAD + ["poisson"])
    add(dat, "--dimension", ["3"])
    add(dat, "--preset", ["smoke"])
    add(["data", "gaussian", "--count", "10", "--output", "out"], "--dimension", INTEGER_BAD + ["101"])
    add(["data", "zipf", "--count", "10", "--output", "out"], "--support", INTEGER_BAD)
    add(["data", "zipf", "--count", "10", "--output", "out"], "--exponent", REAL_BAD)
    add(["data", "poisson", "--count", "10", "--output", "out"], "--rate", REAL_BAD + ["0", "1001"])
    add(["data", "markov", "--count", "10", "--output", "out"], "--vocabulary", INTEGER_BAD + ["1"])
    add(["data", "markov", "--count", "10", "--output", "out"], "--sequence-length", INTEGER_BAD)
    add(["data", "stories", "--count", "10", "--output", "out"], "--preset", CHOICE_BAD)
    out.append(("data --output dir", ["data", "moons", "--count", "10", "--output", str(tmp)], "--output", []))
    out.append(("data --output missing dir", ["data", "moons", "--count", "10", "--output", "no/x.csv"], "no/x.csv", []))
    existing = tmp / "existing.csv"
    existing.write_bytes(b"x1\n1\n")
    out.append(("data onto existing", ["data", "moons", "--count", "10", "--output", str(existing)], "--force", [existing]))

    th = ["theory"]
    add(th, "--model", CHOICE_BAD)
    add(th, "--dimension", INTEGER_BAD)
    add(th, "--samples", INTEGER_BAD + ["11"])
    add(th, "--noise-variance", REAL_BAD + ["0"])
    add(th, "--generations", INTEGER_BAD)
    add(th, "--regimes", CHOICE_BAD + ["mix", "accumulate-subsample"])
    add(th, "--format", CHOICE_BAD)
    add(["theory", "--model", "poisson"], "--rate", REAL_BAD + ["0"])
    add(["theory", "--model", "mixing"], "--weight", REAL_BAD + ["0", "1.5"])
    add(["theory", "--model", "categorical"], "--zipf-support", ["0", "-1", "abc", "2000000"])
    add(["theory", "--model", "categorical"], "--zipf-exponent", ["-1", "nan", "abc"])
    add(["theory", "--model", "gaussian-refit"], "--estimator", CHOICE_BAD)
    add(["theory", "--model", "ridge"], "--ridge", ["-1", "nan", "abc", ""])
    add(["theory", "--model", "ridge"], "--spectrum", CHOICE_BAD)
    add(["theory", "--model", "exact"], "--discount", ["-0.1", "1.5", "nan", "abc"])
    add(["theory", "--model", "exact", "--dimension", "100000", "--samples", "10"], "--generations", ["2"], needle="--model exact")
    add(["theory", "--model", "gaussian-refit-d"], "--covariance-eigenvalues", ["0", "-1", "nan", "1,,2", "abc"])

    add(["verify"], "--false-alarm", ["0", "0.5", "-1", "nan", "abc"])
    add(["verify"], "--only", ["Z1", "", ",", "V1,,V2"])
    add(["verify"], "--seeds", ["5-3", "a-b", "0-5000", ""])
    add(["verify"], "--max-memory", ["1K", "lots"])
    add(["verify"], "--results", ["missing.csv", ""])
    add(["reproduce", "--output", "out"], "--repeats", INTEGER_BAD + ["1"])
    add(["reproduce", "--output", "out"], "--false-alarm", ["0", "0.5", "nan"])
    add(["reproduce", "--output", "out"], "--engine", CHOICE_BAD)

    # plot: bad files and flags.
    results = tmp / "results.csv"
    results.write_text("regime,generation,dimension,samples,noise_variance,repeats,mean_test_error,std_error,theory_test_error\n"
                       "replace,1,2,10,1.0,4,0.5,0.1,0.4\n")
    for name, data in {"garbage.csv": b"a,b\n1\n", "empty-results.csv": b"", "quoted.csv": b"\"a,b\n", "binary-results.csv": bytes(range(256))}.items():
        path = tmp / name
        path.write_bytes(data)
        out.append((f"plot {name}", ["plot", str(path), "--output", "out.svg"], name, [path]))
    out.append(("plot missing", ["plot", str(tmp / "none.csv"), "--output", "out.svg"], "none.csv", []))
    out.append(("plot onto itself", ["plot", str(results), "--output", str(results)], "--output", [results]))
    out.append(("plot pdf named .svg", ["plot", str(results), "--format", "pdf", "--output", "out.svg"], "--format", [results]))
    out.append(("plot to jpg", ["plot", str(results), "--output", "out.jpg"], "--output", [results]))
    add(["plot", str(results), "--output", "out.svg"], "--format", CHOICE_BAD)
    add(["plot", str(results), "--output", "out.svg"], "--width", ["0", "-5", "abc", "99999"])
    add(["plot", str(results), "--output", "out.svg"], "--font-size", ["0", "nan", "abc", "-1"])
    add(["plot", str(results), "--output", "out.svg"], "--view", CHOICE_BAD)
    add(["plot", str(results), "--output", "out.svg"], "--dimension", ["0", "-1", "abc", "7"])
    add(["plot", str(results), "--output", "out.svg"], "--noise-variance", ["0", "nan", "abc"])
    out.append(("merge missing", ["merge", str(tmp / "nope"), "--output", "out"], "nope", []))
    out.append(("merge not a run", ["merge", str(tmp), "--output", "out"], str(tmp), []))
    return out


def digest(path: Path) -> str | None:
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=str(ROOT / ".build" / "release" / "collapse"))
    ap.add_argument("--list", action="store_true", help="print the cases and exit")
    args = ap.parse_args()
    binary = Path(args.binary).resolve()
    if not binary.is_file():
        print(f"no collapse binary at {binary}; run `swift build -c release`", file=sys.stderr)
        return 2
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="collapse-hostile-") as t:
        tmp = Path(t)
        inputs = tmp / "inputs"
        inputs.mkdir()
        all_cases = cases(inputs)
        if args.list:
            for label, argv, _, _ in all_cases:
                print(label)
            print(f"{len(all_cases)} cases")
            return 0
        for i, (label, argv, needle, files) in enumerate(all_cases):
            work = tmp / f"w{i}"
            work.mkdir()
            before = {f: digest(f) for f in files}
            try:
                run = subprocess.run([str(binary), *argv], cwd=work, capture_output=True, text=True, timeout=60,
                                     stdin=subprocess.DEVNULL, errors="replace")
            except subprocess.TimeoutExpired:
                failures.append(f"{label}: hung (no exit within 60 s)")
                continue
            problems = []
            if run.returncode == 0:
                problems.append("exit status 0")
            if run.returncode < 0 or run.returncode >= 128 and run.returncode != 130:
                problems.append(f"killed or crashed (status {run.returncode})")
            err = run.stderr
            if any(s in err for s in ("Fatal error", "Backtrace", "Stack dump", "Program crashed")):
                problems.append("crash report on stderr")
            if needle not in err:
                problems.append(f"stderr does not name {needle!r}")
            if any(work.iterdir()):
                problems.append(f"wrote {sorted(p.name for p in work.iterdir())}")
            for f, d in before.items():
                if digest(f) != d:
                    problems.append(f"changed its input {f.name}")
            if problems:
                failures.append(f"{label}: {'; '.join(problems)}\n    stderr: {err.strip()[:300]}")
        print(f"{len(all_cases)} hostile cases, {len(failures)} failed")
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
