#!/usr/bin/env python3
"""Tests of the reference trainers through the trainer protocol (docs/trainer-protocol.md).

Standard library only. Every step runs as `collapse external` runs it::

    /bin/sh -c '<TRAINER> "$@"' collapse-trainer <STEP> --format lines <ARGUMENTS…>

with COLLAPSE_STEP, COLLAPSE_GENERATION and COLLAPSE_PROTOCOL set, and the checks read
only what collapse reads: the exit status, the JSON object on the last non-empty stdout
line, and the records written. torch_lm.py is tested only when this Python can import
torch (run this script with a virtual environment's python to include it).

    python3 examples/trainers/test_trainers.py      # exit status 0: every check passed
"""

import importlib.util
import json
import math
import os
import random
import shlex
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAILURES = []


def check(condition, message):
    if not condition:
        FAILURES.append(message)
        print(f"FAIL {message}", flush=True)
    return condition


def trainer_command(script, *options):
    """A --trainer string: this Python running ``script`` with its own options."""
    return " ".join(shlex.quote(a) for a in (sys.executable, os.path.join(HERE, script), *options))


def step(trainer, name, *arguments, generation=1, expect_ok=True):
    """Runs one protocol step; returns (exit status, last-line JSON object or None, stderr, seconds)."""
    env = dict(os.environ, COLLAPSE_STEP=name, COLLAPSE_PROTOCOL="1")
    env.pop("COLLAPSE_GENERATION", None)
    if name != "info":
        env["COLLAPSE_GENERATION"] = str(generation)
        arguments = ("--format", "lines", *arguments)
    began = time.perf_counter()
    p = subprocess.run(["/bin/sh", "-c", trainer + ' "$@"', "collapse-trainer", name, *map(str, arguments)],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    seconds = time.perf_counter() - began
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    lines = [line for line in out.split("\n") if line.strip()]
    result = None
    if lines:
        try:
            result = json.loads(lines[-1])
        except ValueError:
            result = None
    if expect_ok:
        check(p.returncode == 0, f"{name} exited {p.returncode}: {err.strip()[-400:]}")
        check(isinstance(result, dict), f"{name}: the last non-empty stdout line is not a JSON object: {out[-200:]!r}")
    return p.returncode, result if isinstance(result, dict) else {}, err, seconds


def count_records(path):
    """Records of a `lines` file as collapse counts them: newlines, plus a final unterminated line."""
    with open(path, "rb") as f:
        data = f.read()
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def write(path, text):
    with open(path, "wb") as f:
        f.write(text.encode("utf-8"))
    return path


def train_json(path, parts):
    """A TRAIN.json listing ``parts`` = [(path, start, count)] by reference."""
    spec = {"protocol": 1, "format": "lines", "records": sum(c for _, _, c in parts),
            "parts": [{"path": os.path.abspath(p), "start": s, "count": c} for p, s, c in parts]}
    return write(path, json.dumps(spec))


def corpus(seed, count):
    """Deterministic toy stories: short sentences over a small vocabulary."""
    words = ("the cat dog ran sat on a mat happy sad little big tree Lily Tom said hello and then was very "
             "sun played ball garden friend").split()
    r = random.Random(seed)
    return [" ".join(r.choice(words) for _ in range(r.randint(2, 12))) + "." for _ in range(count)]


def check_sample(trainer, model_dir, out_dir, count, seed, label):
    """Samples ``count`` records; checks the count, the line endings and UTF-8; returns the bytes."""
    path = os.path.join(out_dir, f"{label}-{seed}-{count}.txt")
    _, result, _, seconds = step(trainer, "sample", "--model-dir", model_dir, "--count", count, "--seed", seed,
                                 "--output", path, generation=2)
    data = open(path, "rb").read() if check(os.path.exists(path), f"{label}: sample wrote no {path}") else b""
    check(count_records(path) == count if data or count == 0 else False,
          f"{label}: sample --count {count} wrote {count_records(path) if os.path.exists(path) else 0} records")
    check(data == b"" if count == 0 else data.endswith(b"\n"), f"{label}: sampled records must each end in \\n")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        check(False, f"{label}: sampled text is not valid UTF-8")
    leftovers = [f for f in os.listdir(out_dir) if ".tmp-" in f]
    check(not leftovers, f"{label}: temporary files left beside the output: {leftovers}")
    return data, seconds


def check_protocol_basics(trainer, label, work, train, test, steps):
    """The checks both trainers pass: info, fit, sample, evaluate and their determinism."""
    _, info, _, _ = step(trainer, "info")
    check(info.get("protocol") == 1 and "lines" in info.get("formats", []),
          f"{label}: info must declare protocol 1 and format lines, got {info}")
    models = {}
    for name, seed in (("a", 11), ("b", 11)):
        models[name] = os.path.join(work, f"{label}-model-{name}")
        os.mkdir(models[name])
        _, fit, _, seconds = step(trainer, "fit", "--train", train, "--model-dir", models[name], "--seed", seed)
        steps.append((f"{label} fit", seconds))
        check(isinstance(fit.get("train_loss"), (int, float)) and math.isfinite(fit["train_loss"]),
              f"{label}: fit must report a finite train_loss, got {fit}")
        models[name + "-fit"] = fit
    timeless = [{k: v for k, v in models[n].items() if k != "seconds"} for n in ("a-fit", "b-fit")]
    check(timeless[0] == timeless[1], f"{label}: two fits with the same seed reported different results: {models['a-fit']} vs {models['b-fit']}")
    first, seconds = check_sample(trainer, models["a"], work, 40, 5, label)
    steps.append((f"{label} sample", seconds))
    again, _ = check_sample(trainer, models["b"], work, 40, 5, label + "-again")
    other, _ = check_sample(trainer, models["a"], work, 40, 6, label)
    check(first == again, f"{label}: same model seed and sample seed gave different sample bytes")
    check(first != other, f"{label}: sample seeds 5 and 6 gave the same samples")
    check_sample(trainer, models["a"], work, 0, 5, label)
    losses = []
    for model in (models["a"], models["b"]):
        _, ev, _, seconds = step(trainer, "evaluate", "--model-dir", model, "--test", test, "--seed", 5)
        steps.append((f"{label} evaluate", seconds))
        loss = ev.get("test_loss")
        check(isinstance(loss, (int, float)) and math.isfinite(loss) and loss > 0,
              f"{label}: evaluate must report a finite positive test_loss, got {ev}")
        losses.append(loss)
    check(losses[0] == losses[1], f"{label}: the same fit evaluated twice gave test losses {losses}")
    return models, info


def check_failures(trainer, label, work, model_dir, data_path, all_cases=True):
    """Bad arguments and unreadable inputs exit non-zero with a message on stderr. The
    argument and TRAIN.json checks are shared code (trainer_protocol.py); ``all_cases``
    false runs only the ones that go through the trainer's own code."""
    held = count_records(data_path)
    bad_range = train_json(os.path.join(work, f"{label}-bad-range.json"), [(data_path, 0, 10**6)])
    one_past = train_json(os.path.join(work, f"{label}-one-past.json"), [(data_path, held - 1, 2)])
    missing = train_json(os.path.join(work, f"{label}-missing.json"), [(os.path.join(work, "no-such-file.txt"), 0, 1)])
    empty_dir = os.path.join(work, f"{label}-empty-model")
    os.mkdir(empty_dir)
    cases = [
        ("a part beyond the end of its file", "fit", ["--train", bad_range, "--model-dir", empty_dir, "--seed", 1]),
        ("a part one record past the end of a file ending in \\n", "fit",
         ["--train", one_past, "--model-dir", empty_dir, "--seed", 1]),
        ("a missing data file", "fit", ["--train", missing, "--model-dir", empty_dir, "--seed", 1]),
        ("a missing TRAIN.json", "fit", ["--train", os.path.join(work, "nope.json"), "--model-dir", empty_dir, "--seed", 1]),
        ("a model directory without a model", "sample", ["--model-dir", empty_dir, "--count", 2, "--seed", 1,
                                                        "--output", os.path.join(work, f"{label}-never.txt")]),
        ("a missing test file", "evaluate", ["--model-dir", model_dir, "--test", os.path.join(work, "nope.txt"), "--seed", 1]),
        ("a negative seed", "evaluate", ["--model-dir", model_dir, "--test", data_path, "--seed", -1]),
    ]
    if not all_cases:
        cases = [cases[0], cases[4]]
    for what, name, arguments in cases:
        code, _, err, _ = step(trainer, name, *arguments, expect_ok=False)
        check(code != 0 and "error" in err, f"{label}: {name} with {what} must fail with a message (exit {code}, stderr {err[-200:]!r})")
    if not all_cases:
        return
    code, _, err, _ = step(trainer, "fit", expect_ok=False)
    check(code != 0 and err.strip(), f"{label}: fit without its arguments must fail with a message")
    env = dict(os.environ)
    p = subprocess.run(["/bin/sh", "-c", trainer + ' "$@"', "collapse-trainer", "fit", "--format", "jsonl", "--train",
                        data_path, "--model-dir", model_dir, "--seed", "1"], env=env, capture_output=True)
    check(p.returncode != 0 and b"jsonl" in p.stderr, f"{label}: --format jsonl must be refused")


def test_unigram(work, steps):
    label = "unigram"
    stories = corpus(1, 1800)
    real = write(os.path.join(work, "real.txt"), "\n".join(stories[:1200]) + "\n")
    # No final "\n": its last line is still a record. Holds an empty line and non-ASCII text.
    extra = write(os.path.join(work, "extra.txt"), "\n".join(stories[1200:1500] + ["", "café ✓ naïve"]))
    heldout = write(os.path.join(work, "heldout.txt"), "\n".join(stories[1500:]) + "\nunseen: Ωμέγα 🙂 \t{}\n")
    parts = [(real, 0, 1000), (extra, 290, 12), (real, 1100, 100), (real, 500, 200)]  # extra: its last 12 records
    train = train_json(os.path.join(work, "TRAIN.json"), parts)
    trainer = trainer_command("unigram.py")
    models, info = check_protocol_basics(trainer, label, work, train, heldout, steps)
    fit = models["a-fit"]
    check(info.get("name") == "unigram", f"unigram: info name {info.get('name')!r}")
    check(fit.get("records") == 1312, f"unigram: fit saw {fit.get('records')} records, TRAIN.json lists 1312")
    # ç, é, ✓, ï come only from the final unterminated line of extra.txt, reached by index.
    letters = set("".join(stories)) | set("café ✓ naïve")
    check(fit.get("vocabulary") == len(letters), f"unigram: vocabulary {fit.get('vocabulary')}, expected {len(letters)}")

    # Lower loss than a uniform model over the same K = |V| + 2 outcomes, on its own training text.
    own = write(os.path.join(work, "own.txt"), "\n".join(stories[:1000]))
    _, ev, _, _ = step(trainer, "evaluate", "--model-dir", models["a"], "--test", own, "--seed", 1)
    uniform = math.log(fit["vocabulary"] + 2)
    check(ev.get("test_loss", math.inf) < uniform - 0.3,
          f"unigram: loss {ev.get('test_loss')} on its training text is not below the uniform model's {uniform:.3f}")
    check(abs(ev.get("perplexity", 0) - math.exp(ev.get("test_loss", 0))) < 1e-9 * ev.get("perplexity", 1),
          f"unigram: perplexity {ev.get('perplexity')} is not exp(test_loss)")
    check(fit["train_loss"] < uniform, f"unigram: train_loss {fit['train_loss']} is not below uniform {uniform:.3f}")

    # Records are taken by index: one record of a three-line file without a final "\n".
    abc = write(os.path.join(work, "abc.txt"), "aaa\nbb\nc")
    for start, letter in ((1, "b"), (2, "c")):
        d = os.path.join(work, f"unigram-only-{letter}")
        os.mkdir(d)
        t = train_json(os.path.join(work, f"only-{letter}.json"), [(abc, start, 1), (abc, start, 1)])
        _, f, _, _ = step(trainer, "fit", "--train", t, "--model-dir", d, "--seed", 1)
        check(f.get("vocabulary") == 1 and f.get("records") == 2, f"unigram: record {start} of abc.txt: fit reported {f}")
        data, _ = check_sample(trainer, d, work, 50, 1, f"unigram-only-{letter}")
        check(set(data.decode()) <= {letter, "\n"} and letter in data.decode(),
              f"unigram: a model of record {start} ({letter!r}) sampled {data[:40]!r}")

    # The trainer's own options come before the step; a bigram beats a unigram on held-out text.
    bigram = trainer_command("unigram.py", "--order", "2", "--max-length", "7")
    d = os.path.join(work, "unigram-order2")
    os.mkdir(d)
    step(bigram, "fit", "--train", train, "--model-dir", d, "--seed", 1)
    _, ev1, _, _ = step(trainer, "evaluate", "--model-dir", models["a"], "--test", heldout, "--seed", 1)
    _, ev2, _, _ = step(bigram, "evaluate", "--model-dir", d, "--test", heldout, "--seed", 1)
    check(ev2.get("test_loss", math.inf) < ev1.get("test_loss", 0),
          f"unigram: order 2 held-out loss {ev2.get('test_loss')} is not below order 1's {ev1.get('test_loss')}")
    data, _ = check_sample(bigram, d, work, 200, 3, "unigram-order2")
    check(max(len(r) for r in data.decode().split("\n")) <= 7, "unigram: --max-length 7 let a longer line through")
    code, _, err, _ = step(trainer, "sample", "--model-dir", d, "--count", 1, "--seed", 1, "--output",
                           os.path.join(work, "mismatch.txt"), expect_ok=False)
    check(code != 0 and "order" in err, "unigram: an order-2 model sampled with --order 1 must be refused")

    # The order-1 blockwise sampler draws exactly what the symbol-at-a-time loop draws.
    sys.path.insert(0, HERE)
    spec = importlib.util.spec_from_file_location("unigram_under_test", os.path.join(HERE, "unigram.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.NGramModel.fit(stories[:300] + ["", "", "xy"], 1)
    for max_length in (0, 1, 2, 5, 40, 1000):
        for count in (0, 1, 9, 700):
            a = model.sample_lines(count, random.Random(max_length * 1000 + count), max_length)
            b = model.sample_lines(count, random.Random(max_length * 1000 + count), max_length, blockwise=False)
            check(a == b, f"unigram: blockwise and symbol-at-a-time samplers differ (max_length {max_length}, count {count})")

    check_failures(trainer, label, work, models["a"], real)


def test_torch_lm(work, steps):
    try:
        import torch  # noqa: F401  (only whether it imports)
    except ImportError:
        print("SKIP torch_lm: PyTorch is not installed")
        return
    label = "torch_lm"
    stories = corpus(2, 400)
    real = write(os.path.join(work, "t-real.txt"), "\n".join(stories[:250]) + "\n")
    extra = write(os.path.join(work, "t-extra.txt"), "\n".join(stories[250:300]))
    heldout = write(os.path.join(work, "t-heldout.txt"), "\n".join(stories[300:]) + "\nunseen: Ωμέγα 🙂\n")
    train = train_json(os.path.join(work, "T-TRAIN.json"), [(real, 0, 200), (extra, 40, 10), (real, 150, 100)])
    trainer = trainer_command("torch_lm.py", "--preset", "smoke", "--steps", "60", "--threads", "1", "--device", "cpu")
    models, info = check_protocol_basics(trainer, label, work, train, heldout, steps)
    fit = models["a-fit"]
    d, v = 32, 256
    expected = v * d + 32 * d + 1 * (12 * d * d + 13 * d) + 2 * d + d * v + v  # Swift's parameterCount, smoke
    check(fit.get("parameters") == expected == info.get("parameters"),
          f"torch_lm: parameters {fit.get('parameters')} (info {info.get('parameters')}), Swift's formula gives {expected}")
    check(fit.get("steps") == 60 and fit.get("records") == 310, f"torch_lm: fit reported {fit}")
    _, ev, _, _ = step(trainer, "evaluate", "--model-dir", models["a"], "--test", heldout, "--seed", 1)
    check(ev.get("test_loss", math.inf) < math.log(256) - 1,
          f"torch_lm: test loss {ev.get('test_loss')} after 60 steps is not well below ln 256 = {math.log(256):.3f}")
    short = trainer_command("torch_lm.py", "--preset", "smoke", "--threads", "1", "--device", "cpu", "--max-length", "5")
    data, _ = check_sample(short, models["a"], work, 30, 2, "torch_lm-short")
    check(max(len(r) for r in data.decode().split("\n")) <= 5,  # a byte decodes to one character at most
          "torch_lm: --max-length 5 let a longer record through")
    # --sample-batch: a batch size that does not divide the count (last batch of 2), the same
    # bytes for the same seed and batch size, and the --max-length bound across batches.
    batched = trainer_command("torch_lm.py", "--preset", "smoke", "--threads", "1", "--device", "cpu",
                              "--sample-batch", "7", "--max-length", "20")
    first, _ = check_sample(batched, models["a"], work, 23, 4, "torch_lm-batch7")
    again, _ = check_sample(batched, models["a"], work, 23, 4, "torch_lm-batch7-again")
    check(first == again, "torch_lm: --sample-batch 7 gave different bytes for the same seed")
    check(max(len(r) for r in first.decode().split("\n")) <= 20, "torch_lm: --max-length 20 with --sample-batch 7 let a longer record through")
    check_failures(trainer, label, work, models["a"], real, all_cases=False)


def main():
    began = time.perf_counter()
    steps = []
    with tempfile.TemporaryDirectory(prefix="trainers-test-") as work:
        test_unigram(work, steps)
        test_torch_lm(work, steps)
    for name in sorted({n for n, _ in steps}):
        times = sorted(s for n, s in steps if n == name)
        print(f"{name}: median {times[len(times) // 2] * 1000:.0f} ms over {len(times)} runs (process start included)")
    print(f"{'FAILED' if FAILURES else 'OK'}: {len(FAILURES)} failure(s), {time.perf_counter() - began:.1f} s")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
