#!/usr/bin/env python3
"""A character n-gram language model speaking the `collapse external` trainer protocol.

Standard library only (Python >= 3.9). The protocol is specified in
docs/trainer-protocol.md; this file is its reference trainer and is run end to end by
the Swift test suite, so every step is fast and fully deterministic given ``--seed``.

Usage (the model's own options come before the step name)::

    unigram.py [--order N] [--max-length L] info
    unigram.py [...] fit      --format lines --train TRAIN.json --model-dir DIR --seed S
    unigram.py [...] sample   --format lines --model-dir DIR --count N --seed S --output FILE
    unigram.py [...] evaluate --format lines --model-dir DIR --test FILE --seed S

The model
---------
A record is one line of text (UTF-8; invalid bytes are decoded as U+FFFD). A line
``x_1 … x_m`` is padded to ``⟨s⟩^(n−1) x_1 … x_m ⟨/s⟩`` (``n`` = ``--order``), and the
model predicts every symbol after the padding, the end-of-line symbol ``⟨/s⟩`` included,
from the ``n − 1`` symbols before it (its *context* ``c``). ``--order 1`` is a unigram
over characters and ``⟨/s⟩`` (the context is empty).

**fit** counts ``N(c, x)``, the number of times symbol ``x`` follows context ``c`` in the
padded training lines, and saves the counts. The vocabulary ``V`` is the set of characters
seen in training.

**sample** draws from the maximum-likelihood estimate ``P̂(x | c) = N(c, x) / N(c)``,
``N(c) = Σ_x N(c, x)``: each line starts from ``⟨s⟩^(n−1)`` and draws symbols until
``⟨/s⟩`` or ``--max-length`` characters. Only seen continuations are ever drawn (the
tails that model collapse erodes are exactly the unseen ones), and every context reached
while sampling was seen in training, so ``P̂`` is always defined.

**evaluate** (and fit's ``train_loss``) scores with add-one (Laplace) smoothing over the
``K = |V| + 2`` outcomes ``V ∪ {⟨/s⟩, ⟨unk⟩}``, test characters outside ``V`` being
mapped to ``⟨unk⟩``::

    P(x | c) = (N(c, x) + 1) / (N(c) + K)

so an unseen context gives the uniform ``1/K`` and the loss is finite for any text.
The loss is the mean cross-entropy per predicted symbol in nats,
``L = −(1/M) Σ_i ln P(x_i | c_i)`` over all ``M`` predicted symbols (one ``⟨/s⟩`` per
line included), and ``perplexity = exp(L)``. A uniform model over the same outcomes
has ``L = ln K``.

Records are addressed exactly as the protocol defines for ``lines``: record ``i`` is the
``i``-th ``"\\n"``-separated line (0-based); a final line without ``"\\n"`` is a record, and
a file ending in ``"\\n"`` has no empty record after it.
"""

import argparse
import json
import math
import os
import random
import sys
from bisect import bisect_right
from collections import Counter

from trainer_protocol import (TrainerError, add_steps, atomic_write, integer, read_json, read_records,
                              read_training_set, run)

PROG = "unigram.py"
MODEL_FILE = "model.json"

# Internal symbols. Lone surrogates never occur in text decoded from UTF-8 (invalid bytes
# become U+FFFD), so they cannot collide with a character of the data.
BOS = "\ud800"  # begin-of-line padding ⟨s⟩ (context only, never predicted)
EOS = "\ud801"  # end-of-line ⟨/s⟩
UNK = "\ud802"  # a test character outside the training vocabulary ⟨unk⟩


def decode(records):
    """Records (bytes) as text: UTF-8, invalid sequences replaced by U+FFFD."""
    return [r.decode("utf-8", errors="replace") for r in records]


def padded_stream(lines, order, vocabulary=None):
    """Concatenates ``⟨s⟩^(n−1) line ⟨/s⟩`` over the lines.

    In this stream the windows of length n whose last symbol is not ⟨s⟩ are exactly the
    (context, symbol) events of the model: a window ending at a line's first character
    reads ⟨s⟩^(n−1) x_1, so no counted window straddles two lines. With ``vocabulary``,
    characters outside it become ⟨unk⟩.
    """
    text = (EOS + BOS * (order - 1)).join(lines)
    if vocabulary is not None:
        unseen = set(text) - vocabulary - {BOS, EOS}
        if unseen:
            text = text.translate({ord(ch): UNK for ch in unseen})
    return BOS * (order - 1) + text + EOS


def ngram_counts(lines, order, vocabulary=None):
    """Counts N(c + x) over the padded lines: a Counter of n-symbol strings."""
    s = padded_stream(lines, order, vocabulary)
    if order == 1:
        return Counter(s)
    # Counting tuples from zip runs in C; only the distinct n-grams are joined.
    tuples = Counter(zip(*(s[i:] for i in range(order))))
    return Counter({"".join(g): n for g, n in tuples.items() if g[-1] != BOS})


# MARK: Model


class NGramModel:
    """Counts N(c, x) of an order-n character model (see the module docstring)."""

    def __init__(self, order, counts):
        self.order = order
        self.counts = counts  # context (n−1 symbols) → {symbol: count}
        self.totals = {c: sum(d.values()) for c, d in counts.items()}
        self.vocabulary = {x for d in counts.values() for x in d} - {EOS}
        self.outcomes = len(self.vocabulary) + 2  # K = |V| + ⟨/s⟩ + ⟨unk⟩

    @classmethod
    def fit(cls, lines, order):
        counts = {}
        for gram, n in ngram_counts(lines, order).items():
            counts.setdefault(gram[:-1], {})[gram[-1]] = n
        return cls(order, counts)

    def cross_entropy(self, lines):
        """Mean −ln P(x | c) in nats per predicted symbol, Laplace-smoothed; (L, M)."""
        return self._cross_entropy(ngram_counts(lines, self.order, self.vocabulary).items())

    def training_cross_entropy(self):
        """`cross_entropy` of the training lines, from the saved counts themselves."""
        return self._cross_entropy((c + x, n) for c, d in self.counts.items() for x, n in d.items())

    def _cross_entropy(self, grams):
        k = self.outcomes
        total, symbols = 0.0, 0
        for gram, n in sorted(grams):  # a fixed summation order
            c, x = gram[:-1], gram[-1]
            seen = self.counts.get(c)
            numerator = (seen.get(x, 0) if seen else 0) + 1
            total -= n * math.log(numerator / (self.totals.get(c, 0) + k))
            symbols += n
        return total / symbols, symbols

    def sample_lines(self, count, rng, max_length, blockwise=True):
        """Draws ``count`` lines from P̂(x | c) with ``rng`` (a random.Random).

        Each symbol is one inverse-CDF draw: with the context's seen symbols in sorted
        order and cumulative counts C_1 < … < C_k = N(c), draw u = rng.random() and take
        the first symbol with C_j > u·N(c). A line stops at ⟨/s⟩ (drawn, not written) or
        after ``max_length`` characters (then no symbol is drawn to end it). An order-1
        model draws in blocks unless ``blockwise`` is false (the same lines either way).
        """
        tables = {c: self._table(d) for c, d in self.counts.items()}
        if self.order == 1 and blockwise:
            return self._sample_unigram(count, rng, max_length, tables[""])
        width = self.order - 1
        start = BOS * width
        draw = rng.random
        out = []
        for _ in range(count):
            line = []
            context = start
            while len(line) < max_length:
                symbols, cumulative, total = tables[context]
                x = symbols[bisect_right(cumulative, draw() * total)]
                if x == EOS:
                    break
                line.append(x)
                context = (context + x)[1:]
            out.append("".join(line))
        return out

    @staticmethod
    def _table(d):
        symbols = sorted(d)
        cumulative, acc = [], 0
        for x in symbols:
            acc += d[x]
            cumulative.append(acc)
        return symbols, cumulative, acc

    @staticmethod
    def _sample_unigram(count, rng, max_length, table):
        """The order-1 case of `sample_lines`, drawing symbols in blocks (the same draws,
        so the same lines, as the symbol-at-a-time loop; `test_trainers.py` checks it).

        With no context, the symbol stream does not depend on where lines end, so lines
        are cut from it afterwards: a run of L characters before ⟨/s⟩ gives
        ⌊L / max_length⌋ lines of ``max_length`` characters, then one of L mod max_length
        (ended by that ⟨/s⟩).
        """
        if max_length == 0:
            return [""] * count  # every line is full before its first draw
        symbols, cumulative, total = table
        draw = rng.random
        out = []
        run = ""  # characters drawn since the last ⟨/s⟩
        block = 1024
        while True:
            drawn = "".join([symbols[bisect_right(cumulative, draw() * total)] for _ in range(block)])
            *ended, run_tail = (run + drawn).split(EOS)
            for text in ended:
                full = len(text) // max_length
                out.extend(text[k * max_length:(k + 1) * max_length] for k in range(full))
                out.append(text[full * max_length:])
                if len(out) >= count:
                    return out[:count]
            # A run longer than max_length holds whole lines already; keep only its tail.
            full = len(run_tail) // max_length
            out.extend(run_tail[k * max_length:(k + 1) * max_length] for k in range(full))
            if len(out) >= count:
                return out[:count]
            run = run_tail[full * max_length:]
            block = min(2 * block, 1 << 18)

    def to_json(self):
        return {
            "model": "character n-gram", "order": self.order,
            "symbols": {"bos": BOS, "eos": EOS},
            "counts": {c: dict(sorted(d.items())) for c, d in sorted(self.counts.items())},
        }

    @classmethod
    def from_json(cls, obj):
        try:
            order = obj["order"]
            if obj["symbols"] != {"bos": BOS, "eos": EOS}:
                raise ValueError("unknown special symbols")
            counts = {c: {x: int(n) for x, n in d.items()} for c, d in obj["counts"].items()}
            if not isinstance(order, int) or order < 1 or any(len(c) != order - 1 for c in counts):
                raise ValueError("bad order")
        except (KeyError, TypeError, AttributeError, ValueError) as e:
            raise TrainerError(f"the saved model is malformed ({e})") from None
        return cls(order, counts)


def save_model(model, model_dir):
    path = os.path.join(model_dir, MODEL_FILE)
    atomic_write(path, json.dumps(model.to_json(), sort_keys=True).encode("ascii"))


def load_model(model_dir, order):
    path = os.path.join(model_dir, MODEL_FILE)
    model = NGramModel.from_json(read_json(path, " (is this a model directory from fit?)"))
    if model.order != order:
        raise TrainerError(f"the model in {model_dir} has order {model.order}, but --order is {order}")
    return model


# MARK: Steps


def step_info(args):
    return {"protocol": 1, "formats": ["lines"], "name": "unigram", "version": 1,
            "model": f"character {args.order}-gram", "order": args.order}


def step_fit(args):
    lines = decode(read_training_set(args.train, args.format))
    if not lines:
        raise TrainerError(f"{args.train}: the training set is empty")
    model = NGramModel.fit(lines, args.order)
    save_model(model, args.model_dir)
    loss, symbols = model.training_cross_entropy()
    return {"train_loss": loss, "records": len(lines), "symbols": symbols,
            "vocabulary": len(model.vocabulary), "contexts": len(model.counts)}


def step_sample(args):
    model = load_model(args.model_dir, args.order)
    lines = model.sample_lines(args.count, random.Random(args.seed), args.max_length)
    atomic_write(args.output, "".join(line + "\n" for line in lines).encode("utf-8"))
    return {}


def step_evaluate(args):
    model = load_model(args.model_dir, args.order)
    lines = decode(read_records(args.test))
    if not lines:
        raise TrainerError(f"{args.test}: the test file holds no records")
    loss, symbols = model.cross_entropy(lines)
    return {"test_loss": loss, "perplexity": math.exp(loss), "test_symbols": symbols}


# MARK: Arguments


def parser():
    p = argparse.ArgumentParser(prog=PROG, allow_abbrev=False,
                                description="Character n-gram trainer for `collapse external` (docs/trainer-protocol.md).")
    p.add_argument("--order", type=integer(1), default=1,
                   help="n: predict each character from the n−1 before it (default 1, a unigram)")
    p.add_argument("--max-length", type=integer(0), default=1000,
                   help="sampled lines stop after this many characters (default 1000)")
    add_steps(p)
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    return run(PROG, args, {"info": step_info, "fit": step_fit, "sample": step_sample, "evaluate": step_evaluate})


if __name__ == "__main__":
    sys.exit(main())
