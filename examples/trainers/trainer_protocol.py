"""Helpers shared by the reference trainers: the parts of docs/trainer-protocol.md that do
not depend on the model (records, TRAIN.json, arguments, output). Standard library only.

A trainer script imports this module from its own directory (Python puts a script's
directory first on ``sys.path``), so copy both files together when adapting a trainer.
"""

import argparse
import json
import os
import sys

PROTOCOL = 1
MAX_SEED = 2**63 - 1


class TrainerError(Exception):
    """A bad argument or an unreadable input: reported on stderr, exit status 1."""


def read_records(path):
    """Returns the records of a `lines` file as bytes, without their "\\n".

    Record ``i`` is the ``i``-th "\\n"-separated line (0-based); a final line without "\\n"
    is a record, a file ending in "\\n" has no empty record after it, an empty file has none.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise TrainerError(f"cannot read {path}: {e.strerror or e}") from None
    records = data.split(b"\n")
    if records[-1] == b"":
        records.pop()  # what follows a final "\n" (or the whole of an empty file)
    return records


def read_json(path, missing_hint=""):
    """The JSON value in the file at ``path``; ``missing_hint`` follows an unreadable file's message."""
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except OSError as e:
        raise TrainerError(f"cannot read {path}: {e.strerror or e}{missing_hint}") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise TrainerError(f"{path} is not valid JSON: {e}") from None


def read_training_set(train_path, fmt):
    """Returns the training records (bytes) that TRAIN.json lists, in order.

    Part ``{"path", "start", "count"}`` is records ``start ..< start + count`` of ``path``;
    the training set is the concatenation of the parts. Each file is read once however
    many parts name it. The declared ``protocol``, ``format`` and ``records`` are checked.
    """
    spec = read_json(train_path)
    if not isinstance(spec, dict) or not isinstance(spec.get("parts"), list):
        raise TrainerError(f'{train_path}: expected an object with a list "parts"')
    if spec.get("protocol") != PROTOCOL:
        raise TrainerError(f"{train_path}: protocol {spec.get('protocol')!r}, expected {PROTOCOL}")
    if spec.get("format", fmt) != fmt:
        raise TrainerError(f"{train_path}: format {spec.get('format')!r} differs from --format {fmt}")
    files = {}
    records = []
    for k, part in enumerate(spec["parts"]):
        where = f"{train_path}: part {k}"
        if not isinstance(part, dict) or not isinstance(part.get("path"), str):
            raise TrainerError(f'{where}: expected {{"path": string, "start": integer, "count": integer}}')
        start, count = part.get("start"), part.get("count")
        for name, v in (("start", start), ("count", count)):
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise TrainerError(f'{where}: "{name}" must be a non-negative integer, got {v!r}')
        path = part["path"]
        if path not in files:
            files[path] = read_records(path)
        held = files[path]
        if start + count > len(held):
            raise TrainerError(f"{where}: records {start} ..< {start + count} of {path}, which holds {len(held)}")
        records.extend(held[start:start + count])
    total = spec.get("records")
    if total is not None and total != len(records):
        raise TrainerError(f'{train_path}: "records" is {total!r} but the parts hold {len(records)}')
    return records


def atomic_write(path, data):
    """Writes ``data`` (bytes) to a temporary file beside ``path``, then renames it into place,
    so ``path`` never holds a partial file."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise TrainerError(f"cannot write {path}: {e.strerror or e}") from None


def integer(low, high=None):
    """An argparse type: a decimal integer in ``low … high``."""
    def parse(text):
        try:
            v = int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if v < low or (high is not None and v > high):
            bound = f"in {low} … {high}" if high is not None else f">= {low}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {v}")
        return v
    return parse


def positive_float(text):
    """An argparse type: a finite number > 0."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (0 < v < float("inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return v


def existing_dir(text):
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text} is not an existing directory")
    return text


def add_steps(parser, fmt="lines"):
    """Adds the protocol's four steps and their arguments as subcommands of ``parser``
    (the trainer's own options stay on ``parser``, before the step name)."""
    steps = parser.add_subparsers(dest="step", metavar="STEP", required=True)

    def step(name, help_text):
        s = steps.add_parser(name, help=help_text, allow_abbrev=False)
        if name != "info":
            s.add_argument("--format", required=True, choices=[fmt])
            s.add_argument("--seed", required=True, type=integer(0, MAX_SEED))
        return s

    step("info", "print the protocol version, record formats and name")
    s = step("fit", "fit a model on the records TRAIN.json lists and save it in --model-dir")
    s.add_argument("--train", required=True)
    s.add_argument("--model-dir", required=True, type=existing_dir)
    s = step("sample", "write --count sampled records to --output")
    s.add_argument("--model-dir", required=True, type=existing_dir)
    s.add_argument("--count", required=True, type=integer(0))
    s.add_argument("--output", required=True)
    s = step("evaluate", "print test_loss on the records of --test")
    s.add_argument("--model-dir", required=True, type=existing_dir)
    s.add_argument("--test", required=True)


def run(prog, args, steps):
    """Runs ``steps[args.step](args)`` and prints its result as the JSON last line; a
    TrainerError goes to stderr with exit status 1. Returns the exit status."""
    try:
        result = steps[args.step](args)
    except TrainerError as e:
        print(f"{prog} {args.step}: error: {e}", file=sys.stderr)
        return 1
    sys.stdout.flush()
    print(json.dumps(result, sort_keys=True, allow_nan=False))
    return 0
