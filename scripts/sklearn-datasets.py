#!/usr/bin/env python3
"""Two-sample agreement of collapse's moons, circles and blobs with scikit-learn's generators.

Usage: sklearn-datasets.py DIR

DIR/cases.json lists cases, each {"name", "generator": "moons"|"circles"|"blobs", "n",
"noise", "factor", "cluster_std", "centers": [[...], ...], "files": [CSV, ...]}: each CSV (header
x1,...,xd, as `collapse data` writes it) is one of our samples of n points. For every case
scikit-learn draws as many samples of n (random_state 0, 1, ...; blobs with our centres, since
scikit-learn would draw its own from random_state) and

- with no noise (moons, circles): each of our samples must be scikit-learn's, as a multiset
  (sorted rows equal within 1e-12): the design is deterministic, only the order is random;
- otherwise: the pooled points pass a two-sample Kolmogorov-Smirnov test on each of the
  projections x1, x2, x1 + x2, x1 - x2, |x| and |x - (1, 1/2)| (blobs in d > 2: every
  coordinate and the sum), at a
  family-wise false-alarm probability of 1e-3, Bonferroni over all tests of all cases.
  Points within one sample are stratified (a design plus independent noise), not i.i.d.;
  stratification only makes an empirical CDF less variable, so the nominal level bounds the
  false-alarm rate (the test is conservative).

Exit status 0 when every check passes, 1 otherwise; one line per check on stdout.
"""
import json
import os
import sys

import numpy as np
from scipy.stats import ks_2samp
from sklearn.datasets import make_blobs, make_circles, make_moons

FAMILY_ALPHA = 1e-3


def theirs(case, seed):
    g, n = case["generator"], case["n"]
    noise = case.get("noise") or None
    if g == "moons":
        return make_moons(n, noise=noise, random_state=seed)[0]
    if g == "circles":
        return make_circles(n, noise=noise, factor=case["factor"], random_state=seed)[0]
    return make_blobs(n, centers=np.array(case["centers"]), cluster_std=case["cluster_std"], random_state=seed)[0]


def projections(x):
    d = x.shape[1]
    out = {f"x{j + 1}": x[:, j] for j in range(d)}
    out["sum"] = x.sum(axis=1)
    if d == 2:
        out["x1-x2"] = x[:, 0] - x[:, 1]
        # The radii about the circles' centre and the inner moon's: where the noise and the
        # factor show most.
        out["|x|"] = np.hypot(x[:, 0], x[:, 1])
        out["|x-(1,1/2)|"] = np.hypot(x[:, 0] - 1, x[:, 1] - 0.5)
    return out


def main(directory):
    with open(os.path.join(directory, "cases.json")) as f:
        cases = json.load(f)
    ks_cases = [c for c in cases if c["generator"] == "blobs" or c.get("noise")]
    tests = sum(len(projections(np.zeros((1, len(c["centers"][0]) if c["generator"] == "blobs" else 2)))) for c in ks_cases)
    alpha = FAMILY_ALPHA / max(tests, 1)
    failed = 0
    for case in cases:
        ours = [np.loadtxt(os.path.join(directory, f), delimiter=",", skiprows=1, ndmin=2) for f in case["files"]]
        sk = [theirs(case, seed) for seed in range(len(ours))]
        if case in ks_cases:
            a, b = np.vstack(ours), np.vstack(sk)
            pa, pb = projections(a), projections(b)
            for key in pa:
                p = ks_2samp(pa[key], pb[key]).pvalue
                ok = p > alpha
                failed += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {case['name']} {key}: KS p = {p:.3g} (alpha {alpha:.2g}, {len(a)} vs {len(b)} points)")
        else:
            for i, (x, y) in enumerate(zip(ours, sk)):
                xs, ys = x[np.lexsort(x.T[::-1])], y[np.lexsort(y.T[::-1])]
                ok = xs.shape == ys.shape and np.allclose(xs, ys, rtol=0, atol=1e-12)
                failed += not ok
                if not ok or i == 0:
                    print(f"{'ok  ' if ok else 'FAIL'} {case['name']} sample {i}: the same multiset as scikit-learn's" +
                          ("" if ok else f" (max difference {np.abs(xs - ys).max() if xs.shape == ys.shape else 'shape'})"))
    print(f"{failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
