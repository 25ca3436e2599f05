#!/usr/bin/env python3
"""Empirical observation, not a theorem (proof R1, §4): how the collapse-aware optimal ridge
penalty λ* of the deterministic equivalent scales with the effective noise level.

For a power-law spectrum s_i = i^-β with source exponent r (s_i·w*_i² ∝ i^-(1+2βr)), it
minimises the deterministic equivalent numerically (`collapse theory --model ridge --ridge
optimal`) at T = T₀ over a range of T (d ≪ T, so the collapse factor ≈ df₂), and fits the
log-log slope of λ* against the effective noise σ²/T + nσ₀²/T₀. Dohmatob et al. state the
exponent β/(2βr + 1); this script only prints the fitted slope beside it, over all sizes and
over the last pair, and min κ*/s_d: where κ* comes within a few decades of the smallest
eigenvalue s_d = d^-β the finite dimension, not the power law, drives λ*.

Usage: scripts/ridge-optimal-scaling.py [path/to/collapse]
"""
import csv
import io
import math
import subprocess
import sys

collapse = sys.argv[1] if len(sys.argv) > 1 else ".build/release/collapse"
d, s2, s02, synthetic = 20000, 0.1, 0.1, 3
sizes = [100000, 300000, 1000000, 3000000, 10000000]


def optimal(beta, r, t):
    out = subprocess.run([collapse, "theory", "--model", "ridge", "--spectrum", "power-law", "--beta", str(beta), "--source", str(r),
                          "--ridge", "optimal", "--dimension", str(d), "--samples", str(t), "--generator-samples", str(t),
                          "--noise-variance", str(s2), "--generator-noise-variance", str(s02), "--generations", str(synthetic + 1),
                          "--format", "wide"], check=True, capture_output=True, text=True).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    last = rows[-1]
    return float(last["ridge"]), float(last["theory_test_error"]), float(last["kappa"])


def slope(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


print(f"d = {d}, σ² = {s2}, σ₀² = {s02}, n = {synthetic} synthetic generations, T = T₀ in {sizes}")
print(f"{'β':>5} {'r':>5} {'λ* slope':>9} {'last pair':>10} {'β/(2βr+1)':>10} {'risk slope':>11} {'last pair':>10} {'2βr/(2βr+1)':>12} {'min κ*/s_d':>11}")
for beta, r in [(1.5, 0.5), (1.5, 0.25), (2.0, 0.5), (2.0, 0.75), (1.2, 0.4)]:
    noise, lam, risk, kappas = [], [], [], []
    for t in sizes:
        l, e, k = optimal(beta, r, t)
        kappas.append(k)
        noise.append(math.log(s2 / t + synthetic * s02 / t))
        lam.append(math.log(l))
        risk.append(math.log(e))
    print(f"{beta:>5} {r:>5} {slope(noise, lam):>9.4f} {slope(noise[-2:], lam[-2:]):>10.4f} {beta / (2 * beta * r + 1):>10.4f} "
          f"{slope(noise, risk):>11.4f} {slope(noise[-2:], risk[-2:]):>10.4f} {2 * beta * r / (2 * beta * r + 1):>12.4f} {min(kappas) * d ** beta:>11.3g}")
