#!/usr/bin/env python3
"""Independent numpy reference for the linear model-collapse chain.

This follows the published algorithm of the papers' code (Dohmatob, Feng & Kempe 2024;
Gerstgrasser et al. 2024) literally, with the conventions of docs/theory-and-proofs.md / THEORY.md §0-§2:

  per replicate:  X (T x d) i.i.d. N(0, 1), drawn once and reused by every generation
                  w* ~ N(0, I_d)
  generation 1:   y_1 = X w* + sigma * N(0, I_T),              w_1 = pinv(X) @ y_1
  generation n:   y_n = X w_{n-1} + sigma * N(0, I_T)   (fresh noise, same X)
                  training set by regime:
                    replace               (X, y_n) only
                    accumulate            vstack of (X, y_1), ..., (X, y_n)
                    accumulate-subsample  T rows drawn without replacement from that pool
                  w_n = np.linalg.pinv(X_train) @ y_train
  test error:     ||w_n - w*||^2  (exact excess risk for x ~ N(0, I)).

Accumulate refits pinv on the whole stacked matrix every generation, so its cost grows with the
generation index. That is deliberate: this is the slow, obviously-correct algorithm, not the
Swift fast path. Randomness comes from numpy's Generator (np.random.default_rng); the streams
are NOT those of the Swift tool, only the distribution is the same.

Replicate i of every regime uses the generator default_rng([seed, i]) for X, w* and the label
noise, so the regimes of one replicate share their draws (as in the Swift tool); the subsample
indices come from a separate generator default_rng([seed, i, 1]).

Writes a CSV with columns
  regime,generation,dimension,samples,noise_variance,repeats,mean_test_error,std_error
(std_error = sample standard deviation / sqrt(R)) and prints, per regime, one line
  timing regime=<name> repeats=<R> total_seconds=<s> per_replicate_ms=<ms>
measured with time.perf_counter around that regime's chain over all replicates.

For single-threaded timings set OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
in the environment (scripts/compare-reference.py does).

Example:
  python3 scripts/reference/numpy_reference.py --dimension 32 --samples 1000 --noise-variance 1 \
      --generations 50 --repeats 20 --regimes replace,accumulate --seed 0 --output out.csv
"""

import argparse
import csv
import math
import os
import sys
import time

import numpy as np

REGIMES = ("replace", "accumulate", "accumulate-subsample")


def run_chain(regime, d, T, sigma, generations, seed, replicate):
    """One replicate's chain; returns the test error of generations 1..N as an array."""
    rng = np.random.default_rng([seed, replicate])
    sub_rng = np.random.default_rng([seed, replicate, 1])  # only used by accumulate-subsample
    X = rng.standard_normal((T, d))
    w_star = rng.standard_normal(d)
    errors = np.empty(generations)
    pool_X, pool_y = [], []          # every (X, y_j) generated so far (accumulate regimes)
    w_prev = w_star                  # generation 1 labels come from the true parameter
    for n in range(generations):
        y = X @ w_prev + sigma * rng.standard_normal(T)
        if regime == "replace":
            X_train, y_train = X, y
        else:
            pool_X.append(X)
            pool_y.append(y)
            X_train, y_train = np.vstack(pool_X), np.concatenate(pool_y)
            if regime == "accumulate-subsample":
                rows = sub_rng.choice(X_train.shape[0], size=T, replace=False)
                X_train, y_train = X_train[rows], y_train[rows]
        w_hat = np.linalg.pinv(X_train) @ y_train   # min-norm least squares
        errors[n] = np.sum((w_hat - w_star) ** 2)
        w_prev = w_hat
    return errors


def positive_int(minimum):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is out of range; expected an integer >= {minimum}")
        return value
    return parse


def noise_variance(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} is out of range; expected a finite number > 0")
    return value


def seed_value(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer")
    if not 0 <= value < 2 ** 64:
        raise argparse.ArgumentTypeError(f"{value} is out of range; expected an integer in 0...2^64-1")
    return value


def regime_list(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected at least one regime")
    for name in names:
        if name not in REGIMES:
            raise argparse.ArgumentTypeError(f"unknown regime {name!r}; expected any of {', '.join(REGIMES)}")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"regime listed twice in {text!r}")
    return names


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dimension", type=positive_int(1), default=32, help="d (>= 1; default 32)")
    parser.add_argument("--samples", type=positive_int(1), default=1000, help="T per generation (>= 1; default 1000)")
    parser.add_argument("--noise-variance", type=noise_variance, default=1.0, help="sigma^2 (> 0; default 1)")
    parser.add_argument("--generations", type=positive_int(1), default=50, help="N model fits (>= 1; default 50)")
    parser.add_argument("--repeats", type=positive_int(2), default=20, help="replicates R (>= 2; default 20)")
    parser.add_argument("--regimes", type=regime_list, default=["replace", "accumulate"],
                        help=f"comma-separated, any of {', '.join(REGIMES)} (default replace,accumulate)")
    parser.add_argument("--seed", type=seed_value, default=0, help="root seed in 0...2^64-1 (default 0)")
    parser.add_argument("--output", required=True, help="CSV file to write")
    args = parser.parse_args(argv)
    if os.path.isdir(args.output):
        parser.error(f"argument --output: {args.output!r} is a directory; expected a file path")
    parent = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(parent):
        parser.error(f"argument --output: directory {parent!r} does not exist")
    return args


def main(argv=None):
    args = parse_args(argv)
    sigma = math.sqrt(args.noise_variance)
    rows = []
    for regime in args.regimes:
        start = time.perf_counter()
        errors = np.array([run_chain(regime, args.dimension, args.samples, sigma,
                                     args.generations, args.seed, i)
                           for i in range(args.repeats)])      # shape (R, N)
        elapsed = time.perf_counter() - start
        print(f"timing regime={regime} repeats={args.repeats} total_seconds={elapsed:.6f} "
              f"per_replicate_ms={1000 * elapsed / args.repeats:.4f}", flush=True)
        means = errors.mean(axis=0)
        ses = errors.std(axis=0, ddof=1) / math.sqrt(args.repeats)
        for n in range(args.generations):
            rows.append([regime, n + 1, args.dimension, args.samples, repr(args.noise_variance),
                         args.repeats, repr(float(means[n])), repr(float(ses[n]))])
    tmp = args.output + ".tmp"
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["regime", "generation", "dimension", "samples", "noise_variance",
                         "repeats", "mean_test_error", "std_error"])
        writer.writerows(rows)
    os.replace(tmp, args.output)                 # never leave a half-written CSV behind
    return 0


if __name__ == "__main__":
    sys.exit(main())
