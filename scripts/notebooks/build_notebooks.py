#!/usr/bin/env python3
"""Writes the notebooks in this folder from the cell sources below (unexecuted).

The .ipynb files are generated so that a change is reviewed here, as plain Python, and the
notebooks stay byte-for-byte reproducible (fixed cell ids, no outputs, no execution counts).

    python3 scripts/notebooks/build_notebooks.py           # (re)write the .ipynb files
    python3 scripts/notebooks/build_notebooks.py --check   # exit 1 if a committed .ipynb is out of date

Executed copies (HTML, Markdown + PNG) are made by scripts/export-notebooks.sh.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def md(text: str):
    return new_markdown_cell(textwrap.dedent(text).strip("\n"))


def code(text: str):
    return new_code_cell(textwrap.dedent(text).strip("\n"))


# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------

# Columns each notebook reads (all are in every linear results.csv that collapse writes).
FIGURE_COLUMNS = [
    "metric", "regime", "generation", "dimension", "samples", "noise_variance", "repeats",
    "mean", "ci95_low", "ci95_high", "theory",
]
Z_COLUMNS = FIGURE_COLUMNS + ["std_error", "z", "z_given_design"]


def setup_cell(env_var: str, default: str, experiment: str, required: list[str]) -> str:
    """First code cell: imports, CSV path from the environment, load + validate."""
    return f'''
    import json
    import os
    from pathlib import Path

    import numpy as np
    import pandas as pd
    import matplotlib.pyplot as plt

    %matplotlib inline
    plt.rcParams.update({{
        "figure.dpi": 100, "savefig.dpi": 100, "font.size": 9,
        "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.5,
    }})
    pd.set_option("display.max_rows", 400)
    pd.set_option("display.width", 160)

    # The CSV is taken from ${env_var}; by default the sweep's output, relative to this notebook.
    CSV_PATH = Path(os.environ.get("{env_var}", "{default}"))
    REQUIRED_COLUMNS = {required!r}


    class ResultsCSVError(Exception):
        """The results CSV is missing or does not have the `collapse` results.csv schema."""


    def load_results(path: Path) -> pd.DataFrame:
        if not path.is_file():
            raise ResultsCSVError(
                f"{{path}}: no such file. Generate it from the repository root with "
                f"`.build/release/collapse sweep --experiment {experiment} --output results/{experiment}` "
                f"(or run scripts/export-notebooks.sh), or set {env_var} to a results.csv written by collapse.")
        frame = pd.read_csv(path)
        missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
        if missing:
            raise ResultsCSVError(
                f"{{path}}: missing required column(s) {{', '.join(missing)}}; found {{', '.join(map(str, frame.columns))}}. "
                "Expected the results.csv schema of `collapse simulate`/`sweep` (docs/results-schema.md).")
        # The long results format: the linear chain's rows are those of metric test_error.
        frame = frame[frame["metric"] == "test_error"].reset_index(drop=True)
        if frame.empty:
            raise ResultsCSVError(f"{{path}}: the CSV has no rows of metric test_error.")
        return frame  # rows stay in the CSV's grid order (regimes in the order the sweep ran them)


    df = load_results(CSV_PATH)
    manifest_path = CSV_PATH.parent / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else None
    print(f"read {{len(df)}} rows from {{CSV_PATH}}")
    '''


SUMMARY_CELL = '''
def describe_grid(frame: pd.DataFrame, manifest) -> pd.DataFrame:
    """One row per grid axis: the values present in the CSV."""
    rows = {
        "regimes": ", ".join(dict.fromkeys(frame["regime"])),
        "dimension d": ", ".join(str(v) for v in sorted(frame["dimension"].unique())),
        "samples per generation T": ", ".join(str(v) for v in sorted(frame["samples"].unique())),
        "noise variance σ²": ", ".join(f"{v:g}" for v in sorted(frame["noise_variance"].unique())),
        "generations n": f"1 … {frame['generation'].max()}",
        "replicates R per cell": ", ".join(str(v) for v in sorted(frame["repeats"].unique())),
    }
    if manifest is not None:
        params = manifest.get("parameters", {})
        rows["experiment"] = str(params.get("name", manifest.get("command", "?")))
        rows["seed"] = str(manifest.get("seed", "?"))
        rows["collapse version"] = str(manifest.get("version", "?"))
    return pd.DataFrame({"value": rows})


describe_grid(df, manifest)
'''


# --------------------------------------------------------------------------------------------
# paper-linear.ipynb
# --------------------------------------------------------------------------------------------

def paper_linear():
    cells = [
        md(r'''
        # Replace vs accumulate in linear regression (Gerstgrasser et al. 2024, Fig. 2 style)

        This notebook reads the `results.csv` of `collapse sweep --experiment paper-linear` and redraws
        the linear-regression figure of *Is Model Collapse Inevitable?* (Gerstgrasser et al. 2024,
        arXiv 2404.01413): Monte Carlo test error of a chain of least-squares fits, each trained on
        labels produced by the previous fit, next to the closed forms.

        **Setting.** Dimension $d = 32$, $T \in \{100, 316, 1000\}$ samples per generation, noise
        variance $\sigma^2 \in \{0.01, 0.1, 1, 10, 100\}$, 50 model fits, 1000 replicates per cell (the
        notebook draws whatever grid the CSV holds). Each replicate draws a design $X \in \mathbb{R}^{T\times d}$
        with i.i.d. $N(0,1)$ entries, reused by every generation, and $w^* \sim N(0, I_d)$:

        - $y_1 = X w^* + E_1$, $\quad y_n = X \hat w_{n-1} + E_n$, $\quad E_n \sim N(0, \sigma^2 I_T)$ fresh each generation;
        - **replace**: $\hat w_n$ is the OLS fit to $(X, y_n)$ only;
        - **accumulate**: $\hat w_n$ is the OLS fit to all $n$ datasets stacked, $(X, y_1), \dots, (X, y_n)$;
        - test error $= \lVert \hat w_n - w^* \rVert^2$, the exact excess risk for $x \sim N(0, I_d)$.

        **Indexing.** $n = 1$ is the first model, fit on real data only; $n$ counts every model fit.
        (Dohmatob et al. 2024 count only synthetic generations: their $n$ is our $n - 1$.)

        **Theory** (expectation over the Gaussian design, $T \ge d + 2$; proofs T1, T2 in `proofs/`):

        $$\mathbb{E}[\text{error}_n^{\text{replace}}] = \frac{\sigma^2\, n\, d}{T - d - 1},
        \qquad
        \mathbb{E}[\text{error}_n^{\text{accumulate}}] = \frac{\sigma^2 d}{T - d - 1} \sum_{i=1}^{n} \frac{1}{i^2}
        \;\le\; \frac{\sigma^2 d}{T - d - 1}\cdot\frac{\pi^2}{6}.$$

        Replacing makes the error grow linearly in $n$ without bound; accumulating keeps it below
        $\pi^2/6 \approx 1.645$ times the error of the first fit.

        **Input.** The CSV path comes from the environment variable `COLLAPSE_PAPER_CSV`; by default
        `../../results/paper-linear/results.csv` relative to this notebook (written by
        `scripts/export-notebooks.sh` or `.build/release/collapse sweep --experiment paper-linear --output results/paper-linear`).
        '''),
        code(setup_cell("COLLAPSE_PAPER_CSV", "../../results/paper-linear/results.csv", "paper-linear", FIGURE_COLUMNS)),
        code(SUMMARY_CELL),
        md(r'''
        ## The figure

        Columns: samples per generation $T$. Rows: regime (replace, accumulate). One colour per noise
        variance $\sigma^2$. Solid line: Monte Carlo mean over the replicates, with its 95% band
        (`ci95_low` … `ci95_high`, normal approximation; where the lower end is not positive the band is
        drawn to the bottom of the axes). Dashed black line: the closed form (`theory`).
        The $y$ axis is logarithmic and shared by all panels, so the two rows compare directly.
        '''),
        code(r'''
        REGIME_ORDER = ["replace", "accumulate"]


        def positive_band(low: np.ndarray, floor: float) -> np.ndarray:
            """Log axes cannot show a band reaching zero or below: clip it to a floor under the data."""
            return np.where(low > 0, low, floor)


        def paper_figure(frame: pd.DataFrame, d: int):
            regimes = [r for r in REGIME_ORDER if r in set(frame["regime"])]
            samples = sorted(frame["samples"].unique())
            noises = sorted(frame["noise_variance"].unique())
            colours = dict(zip(noises, plt.cm.viridis(np.linspace(0.0, 0.88, len(noises)))))
            floor = 0.3 * frame.loc[frame["mean"] > 0, "mean"].min()

            fig, axes = plt.subplots(len(regimes), len(samples), figsize=(3.9 * len(samples) + 1.6, 3.2 * len(regimes)),
                                     sharex=True, sharey=True, squeeze=False)
            for i, regime in enumerate(regimes):
                for j, t in enumerate(samples):
                    ax = axes[i, j]
                    for s2 in noises:
                        sub = frame[(frame["regime"] == regime) & (frame["samples"] == t)
                                    & (frame["noise_variance"] == s2)].sort_values("generation")
                        if sub.empty:
                            continue
                        n = sub["generation"].to_numpy()
                        ax.fill_between(n, positive_band(sub["ci95_low"].to_numpy(), floor), sub["ci95_high"].to_numpy(),
                                        color=colours[s2], alpha=0.25, linewidth=0)
                        ax.plot(n, sub["mean"], color=colours[s2], linewidth=1.8)
                        th = sub.dropna(subset=["theory"])
                        if not th.empty:
                            ax.plot(th["generation"], th["theory"], color="black", linestyle="--",
                                    linewidth=0.9, dashes=(4, 3))
                    ax.set_yscale("log")
                    ax.set_title(f"{regime}, T = {t}")
                    if i == len(regimes) - 1:
                        ax.set_xlabel("model-fitting iteration n")
                    if j == 0:
                        ax.set_ylabel(f"{regime}\ntest error ‖ŵₙ − w*‖²")
            handles = [plt.Line2D([], [], color=colours[s2], linewidth=1.8, label=f"σ² = {s2:g}") for s2 in noises]
            handles += [plt.Line2D([], [], color="grey", linewidth=1.8, label="Monte Carlo mean (95% band)"),
                        plt.Line2D([], [], color="black", linestyle="--", dashes=(4, 3), linewidth=0.9, label="theory")]
            fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
            repeats = ", ".join(str(r) for r in sorted(frame["repeats"].unique()))
            fig.suptitle(f"Linear regression, d = {d}: replace vs accumulate (R = {repeats} replicates per cell)")
            fig.tight_layout()
            return fig


        for d in sorted(df["dimension"].unique()):
            paper_figure(df[df["dimension"] == d], d)
            plt.show()
        '''),
        md(r'''
        ## Growth from the first fit to the last

        The closed forms predict the ratio of the last generation's error to the first one's without
        reference to $T$ or $\sigma^2$: $N$ for replace and $\sum_{i \le N} 1/i^2$ for accumulate
        ($\approx 1.625$ at $N = 50$). The table shows the Monte Carlo ratio next to it for every cell.
        '''),
        code(r'''
        def growth_table(frame: pd.DataFrame) -> pd.DataFrame:
            last = int(frame["generation"].max())
            keys = ["regime", "dimension", "samples", "noise_variance"]
            first = frame[frame["generation"] == 1].set_index(keys)["mean"]
            final = frame[frame["generation"] == last].set_index(keys)["mean"]
            out = pd.DataFrame({"MC error, n = 1": first, f"MC error, n = {last}": final,
                                f"MC ratio n={last} / n=1": final / first}).reset_index()
            harmonic2 = sum(1.0 / i**2 for i in range(1, last + 1))
            out["theory ratio"] = np.where(out["regime"] == "replace", float(last), harmonic2)
            out["rank"] = out["regime"].map({r: k for k, r in enumerate(REGIME_ORDER)})
            out = out.sort_values(["rank", "dimension", "samples", "noise_variance"], kind="stable")
            out = out.rename(columns={"dimension": "d", "samples": "T", "noise_variance": "σ²"})
            out["σ²"] = out["σ²"].map(lambda v: f"{v:g}")
            for column in ["MC error, n = 1", f"MC error, n = {last}"]:
                out[column] = out[column].map(lambda v: f"{v:.4g}")
            return out.drop(columns="rank").set_index(["regime", "d", "T", "σ²"]).round(3)


        growth_table(df[df["regime"].isin(REGIME_ORDER)])
        '''),
    ]
    return cells


# --------------------------------------------------------------------------------------------
# collapse-or-thrive.ipynb
# --------------------------------------------------------------------------------------------

def collapse_or_thrive():
    cells = [
        md(r'''
        # Collapse or thrive? Three data regimes over a grid of $(d, T, \sigma^2)$ (Kazdan et al. 2024)

        This notebook reads the `results.csv` of `collapse sweep --experiment collapse-or-thrive-linear`
        and draws the linear-regression grid of *Collapse or Thrive? Perils and Promises of Synthetic Data
        in a Self-Generating World* (Kazdan et al. 2024, arXiv 2410.16713).

        **Setting.** Dimension $d \in \{1, 3, 10, 32, 100\}$, $T \in \{10, 32, 100, 316, 1000\}$ samples
        per generation, $\sigma^2 \in \{0.1, 1, 10\}$, 100 model fits, 100 replicates per cell (the notebook
        draws whatever grid the CSV holds). The chain is that of the paper-linear notebook — fixed
        Gaussian design $X \in \mathbb{R}^{T\times d}$, $y_1 = X w^* + E_1$, $y_n = X\hat w_{n-1} + E_n$,
        test error $\lVert \hat w_n - w^*\rVert^2$, $n = 1$ the fit on real data — with three regimes:

        - **replace**: fit the newest dataset only ($T$ points);
        - **accumulate**: fit all $n$ datasets stacked ($nT$ points);
        - **accumulate-subsample**: pool as accumulate, then fit $T$ points drawn without replacement from
          the pool — a fixed training budget, as in Kazdan et al.

        Closed forms exist for replace ($\sigma^2 n d/(T-d-1)$) and accumulate
        ($\sigma^2 d/(T-d-1)\sum_{i\le n} 1/i^2$), drawn dashed where defined; accumulate-subsample has none.

        **Cells with $T \le d + 1$.** The design-averaged expectation needs $T \ge d + 2$ (at $T = d + 1$ it
        is infinite), so those cells have an empty `theory`. For $T < d$ the model is
        over-parameterised: each fit is the minimum-norm least-squares solution and the error includes the
        bias $\lVert (I - P) w^* \rVert^2$ of the unseen directions. At $T = d$ the fit interpolates the
        data, and at $T = d + 1$ the design-averaged error has an infinite mean: there the Monte Carlo
        error is heavy-tailed (huge, with wide bands). Such panels are shaded grey below and marked † in the
        heat maps. The design is fixed, so stacking copies of the same $X$ never adds rank: for $T < d$ no
        regime removes the bias of the unseen directions, and accumulate stays flat at about that bias.

        **Input.** The CSV path comes from the environment variable `COLLAPSE_COT_CSV`; by default
        `../../results/collapse-or-thrive-linear/results.csv` relative to this notebook (written by
        `scripts/export-notebooks.sh` or `.build/release/collapse sweep --experiment collapse-or-thrive-linear --output results/collapse-or-thrive-linear`).
        '''),
        code(setup_cell("COLLAPSE_COT_CSV", "../../results/collapse-or-thrive-linear/results.csv",
                        "collapse-or-thrive-linear", FIGURE_COLUMNS)),
        code(SUMMARY_CELL),
        code(r'''
        REGIME_ORDER = ["replace", "accumulate", "accumulate-subsample"]
        REGIME_COLOURS = {"replace": "#d62728", "accumulate": "#1f77b4", "accumulate-subsample": "#2ca02c"}
        regimes = [r for r in REGIME_ORDER if r in set(df["regime"])]
        dims = sorted(df["dimension"].unique())
        samples = sorted(df["samples"].unique())
        noises = sorted(df["noise_variance"].unique())
        last_generation = int(df["generation"].max())


        def no_theory(d: int, t: int) -> bool:
            """T <= d + 1: no design-averaged expectation (T < d: over-parameterised, min-norm fits)."""
            return t <= d + 1


        cells = df[["dimension", "samples"]].drop_duplicates()
        flagged = cells[[no_theory(d, t) for d, t in zip(cells["dimension"], cells["samples"])]].copy()
        flagged["kind"] = ["T < d: over-parameterised, min-norm fits" if t < d else
                           "T = d: square design, interpolating fit" if t == d else
                           "T = d + 1: design-averaged mean infinite"
                           for d, t in zip(flagged["dimension"], flagged["samples"])]
        print(f"{len(flagged)} of {len(cells)} (d, T) cells have T ≤ d + 1 (empty theory column):")
        flagged.reset_index(drop=True)
        '''),
        md(r'''
        ## Test error against generation, one grid per noise variance

        Rows: dimension $d$; columns: samples per generation $T$. In each panel the three regimes are three
        coloured lines (Monte Carlo mean, with the 95% band where its lower end is positive), the closed forms
        dashed in the same colour where they exist, and a logarithmic $y$ axis scaled per panel (errors
        differ by orders of magnitude across the grid). Grey panels have $T \le d + 1$.
        '''),
        code(r'''
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter


        def positive_band(low: np.ndarray, floor: float) -> np.ndarray:
            return np.where(low > 0, low, floor)


        def tidy_log_axis(ax):
            """Label decades (1-2-5 or 1…9 when the panel spans about a decade or less) as plain numbers."""
            lo, hi = ax.get_ylim()
            span = np.log10(hi / lo)
            if span < 0.7:
                ax.yaxis.set_major_locator(LogLocator(base=10, subs=np.arange(1.0, 10.0)))
            elif span < 1.3:
                ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())


        def grid_figure(frame: pd.DataFrame, s2: float):
            fig, axes = plt.subplots(len(dims), len(samples), figsize=(2.6 * len(samples) + 1.8, 2.0 * len(dims) + 0.8),
                                     sharex=True, squeeze=False)
            for i, d in enumerate(dims):
                for j, t in enumerate(samples):
                    ax = axes[i, j]
                    cell = frame[(frame["dimension"] == d) & (frame["samples"] == t)]
                    if no_theory(d, t):
                        ax.set_facecolor("#eeeeee")
                    if cell.empty:
                        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center")
                        continue
                    positive = cell.loc[cell["mean"] > 0, "mean"]
                    floor = 0.5 * positive.min() if not positive.empty else 1e-12
                    for regime in regimes:
                        sub = cell[cell["regime"] == regime].sort_values("generation")
                        if sub.empty:
                            continue
                        n = sub["generation"].to_numpy()
                        ax.fill_between(n, positive_band(sub["ci95_low"].to_numpy(), floor), sub["ci95_high"].to_numpy(),
                                        color=REGIME_COLOURS[regime], alpha=0.18, linewidth=0)
                        ax.plot(n, sub["mean"], color=REGIME_COLOURS[regime], linewidth=1.4)
                        th = sub.dropna(subset=["theory"])
                        if not th.empty:
                            ax.plot(th["generation"], th["theory"], color=REGIME_COLOURS[regime],
                                    linestyle="--", linewidth=0.9, alpha=0.9)
                    ax.set_yscale("log")
                    tidy_log_axis(ax)
                    ax.tick_params(labelsize=7)
                    if no_theory(d, t):
                        ax.text(0.03, 0.95, "T < d" if t < d else "T ≤ d+1", transform=ax.transAxes,
                                ha="left", va="top", fontsize=7, color="#555555")
                    if i == 0:
                        ax.set_title(f"T = {t}")
                    if j == 0:
                        ax.set_ylabel(f"d = {d}\ntest error")
                    if i == len(dims) - 1:
                        ax.set_xlabel("iteration n")
            handles = [plt.Line2D([], [], color=REGIME_COLOURS[r], linewidth=1.4, label=r) for r in regimes]
            handles += [plt.Line2D([], [], color="black", linestyle="--", linewidth=0.9, label="theory (where defined)"),
                        plt.Rectangle((0, 0), 1, 1, facecolor="#eeeeee", edgecolor="#999999", label="T ≤ d + 1: no theory")]
            fig.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
            repeats = ", ".join(str(r) for r in sorted(frame["repeats"].unique()))
            fig.suptitle(f"σ² = {s2:g}: test error vs model-fitting iteration (R = {repeats} replicates per cell)")
            fig.tight_layout()
            return fig


        for s2 in noises:
            grid_figure(df[df["noise_variance"] == s2], s2)
            plt.show()
        '''),
        md(r'''
        ## Who wins at the last generation: ratio heat maps

        For each noise variance, two maps over $(d, T)$ of the ratio of Monte Carlo mean test errors at the
        last generation: **accumulate / replace** (below 1: accumulating real and synthetic data beats
        replacing) and **accumulate-subsample / accumulate** (above 1: the price of keeping the training
        set at $T$ points instead of $nT$). The colour is $\log_{10}$ of the ratio on one diverging scale
        shared by all panels (blue < 1 < red); the number printed is the ratio. † marks $T \le d + 1$.
        '''),
        code(r'''
        from matplotlib.colors import TwoSlopeNorm

        RATIOS = [("accumulate", "replace"), ("accumulate-subsample", "accumulate")]


        def ratio_tables(frame: pd.DataFrame) -> dict:
            last = frame[frame["generation"] == last_generation]
            wide = last.pivot_table(index=["noise_variance", "dimension", "samples"], columns="regime",
                                    values="mean", aggfunc="first")
            out = {}
            for num, den in RATIOS:
                if num in wide.columns and den in wide.columns:
                    out[(num, den)] = (wide[num] / wide[den]).unstack("samples")
            return out


        tables = ratio_tables(df)
        if not tables:
            print("The CSV lacks the regimes needed for the ratios:", ", ".join(regimes))
        else:
            logs = np.concatenate([np.log10(t.to_numpy(dtype=float)).ravel() for t in tables.values()])
            logs = logs[np.isfinite(logs)]
            span = max(0.1, float(np.max(np.abs(logs)))) if logs.size else 1.0
            norm = TwoSlopeNorm(vmin=-span, vcenter=0.0, vmax=span)
            keys = list(tables)
            fig, axes = plt.subplots(len(noises), len(keys), squeeze=False, layout="constrained",
                                     figsize=(0.8 * len(samples) * len(keys) + 3.4, 0.5 * len(dims) * len(noises) + 1.4))
            for i, s2 in enumerate(noises):
                for j, key in enumerate(keys):
                    ax = axes[i, j]
                    ax.grid(False)
                    table = tables[key].loc[s2].reindex(index=dims, columns=samples)
                    values = table.to_numpy(dtype=float)
                    image = ax.imshow(np.log10(values), cmap="RdBu_r", norm=norm, aspect="auto")
                    for a, d in enumerate(dims):
                        for b, t in enumerate(samples):
                            v = values[a, b]
                            if not np.isfinite(v):
                                continue
                            label = f"{v:.2g}" + ("†" if no_theory(d, t) else "")
                            dark = abs(np.log10(v)) > 0.6 * span
                            ax.text(b, a, label, ha="center", va="center", fontsize=7,
                                    color="white" if dark else "black")
                    ax.set_xticks(range(len(samples)), [str(t) for t in samples])
                    ax.set_yticks(range(len(dims)), [str(d) for d in dims])
                    if i == len(noises) - 1:
                        ax.set_xlabel("T")
                    ax.set_ylabel(f"σ² = {s2:g}\nd" if j == 0 else "d")
                    if i == 0:
                        ax.set_title(f"{key[0]} / {key[1]}", fontsize=9)
            fig.colorbar(image, ax=axes, shrink=0.6, label="log₁₀ ratio")
            fig.suptitle(f"Ratios of mean test error at the last generation, n = {last_generation}  († : T ≤ d + 1)")
            plt.show()
        '''),
        md(r'''
        The same ratios as numbers (rows $(\sigma^2, d)$, columns $T$):
        '''),
        code(r'''
        if tables:
            display(pd.concat({f"{num} / {den}": table for (num, den), table in tables.items()}, names=["ratio"]).round(4))
        '''),
    ]
    return cells


# --------------------------------------------------------------------------------------------
# mc-vs-theory.ipynb
# --------------------------------------------------------------------------------------------

def mc_vs_theory():
    cells = [
        md(r'''
        # Monte Carlo against theory (paper-linear sweep)

        This notebook tabulates the Monte Carlo estimates of the paper-linear sweep next to the closed forms
        and checks them with the two statistics the CSV carries:

        - `z` $= (\bar e - \mathbb{E}[e])/\mathrm{SE}$: the Monte Carlo mean against the
          expectation over the Gaussian design (T1, T2 in `proofs/`), with the standard error of the mean.
          Its normal approximation needs finite higher moments of $\operatorname{tr}((X^\top X)^{-1})$,
          comfortably true on the paper-linear grid ($T - d \ge 68$;
          the CLI's own checks require $T \ge d + 10$).
        - `z_given_design` $= \sum_i Z_i/\sqrt{R}$: each replicate's error standardised by its exact mean
          and variance given that replicate's design and $w^*$ (L2); valid for every $T$.

        Under a correct implementation each is approximately $N(0, 1)$. With $K$ such numbers and a
        family-wise false-alarm probability $\alpha = 10^{-3}$, every $|z|$ should stay below the
        Bonferroni threshold $z^* = \Phi^{-1}(1 - \alpha/(2K))$. Bonferroni holds under any dependence,
        which matters: the generations of one chain share the design and the replicates, so their $z$
        values are strongly correlated, and the histogram at the end is lumpier than $K$ independent
        draws would be. Generation $n = 1$ is the fit on real data.

        **Input.** The CSV path comes from `COLLAPSE_PAPER_CSV`; by default
        `../../results/paper-linear/results.csv` relative to this notebook.
        '''),
        code(setup_cell("COLLAPSE_PAPER_CSV", "../../results/paper-linear/results.csv", "paper-linear", Z_COLUMNS)),
        code(SUMMARY_CELL),
        md(r'''
        ## Table: generations 1, 2, 5, 10, 20, 50

        One row per (regime, $T$, $\sigma^2$, $n$) for the generations present in the CSV; all dimensions in
        the CSV are listed (the paper-linear sweep has $d = 32$ only).
        '''),
        code(r'''
        from statistics import NormalDist

        GENERATIONS = [1, 2, 5, 10, 20, 50]
        REGIME_ORDER = ["replace", "accumulate"]


        def fmt_z(z: float) -> str:
            return "" if pd.isna(z) else f"{z:+.2f}"


        def comparison_table(frame: pd.DataFrame) -> pd.DataFrame:
            present = [g for g in GENERATIONS if g in set(frame["generation"])]
            sub = frame[frame["generation"].isin(present)].copy()
            sub["regime_rank"] = sub["regime"].map({r: k for k, r in enumerate(REGIME_ORDER)}).fillna(99)
            sub = sub.sort_values(["regime_rank", "dimension", "samples", "noise_variance", "generation"], kind="stable")
            table = pd.DataFrame({
                "regime": sub["regime"], "d": sub["dimension"], "T": sub["samples"],
                "σ²": sub["noise_variance"].map(lambda v: f"{v:g}"), "n": sub["generation"],
                "MC mean ± SE": [f"{m:.5g} ± {s:.2g}" for m, s in zip(sub["mean"], sub["std_error"])],
                "theory": ["" if pd.isna(t) else f"{t:.5g}" for t in sub["theory"]],
                "z": sub["z"].map(fmt_z),
                "z_given_design": sub["z_given_design"].map(fmt_z),
            })
            return table.set_index(["regime", "d", "T", "σ²", "n"])


        table = comparison_table(df)
        print(f"{len(table)} rows; generations shown: {sorted(set(table.index.get_level_values('n')))}")
        table
        '''),
        md(r'''
        ## Summary: largest $|z|$ against the Bonferroni threshold

        $K$ counts every non-empty `z` and `z_given_design` in the CSV (all generations, both
        statistics; the same family as `collapse reproduce`), and, on the second line, only those in the table above.
        '''),
        code(r'''
        ALPHA = 1e-3


        def z_summary(frame: pd.DataFrame, label: str) -> dict:
            z = frame["z"].dropna().abs()
            zg = frame["z_given_design"].dropna().abs()
            k = len(z) + len(zg)
            z_star = NormalDist().inv_cdf(1 - ALPHA / (2 * k)) if k else float("nan")
            worst = max(z.max() if len(z) else 0.0, zg.max() if len(zg) else 0.0)
            return {
                "rows": label, "K": k, "α": ALPHA, "z*": round(z_star, 3),
                "max |z|": round(float(z.max()), 3) if len(z) else None,
                "max |z_given_design|": round(float(zg.max()), 3) if len(zg) else None,
                "verdict": ("no z values" if k == 0 else
                            "agrees with theory" if worst <= z_star else "DISAGREES with theory"),
            }


        shown = df[df["generation"].isin(GENERATIONS)]
        summary = pd.DataFrame([z_summary(df, "all rows"), z_summary(shown, "tabulated generations")]).set_index("rows")
        K, Z_STAR = int(summary.loc["all rows", "K"]), float(summary.loc["all rows", "z*"])
        summary
        '''),
        code(r'''
        # Where the largest deviations are (all rows):
        long = df.melt(id_vars=["regime", "dimension", "samples", "noise_variance", "generation"],
                       value_vars=["z", "z_given_design"], var_name="statistic", value_name="value").dropna(subset=["value"])
        long.assign(abs_z=long["value"].abs()).sort_values("abs_z", ascending=False, kind="stable").head(5).drop(columns="abs_z").round(3).reset_index(drop=True)
        '''),
        md(r'''
        ## Distribution of the $z$ values

        Histograms (density) of all `z` and `z_given_design` values in the CSV, against the $N(0, 1)$
        density; the dotted lines are $\pm z^*$.
        '''),
        code(r'''
        normal = NormalDist()
        stats = [c for c in ["z", "z_given_design"] if df[c].notna().any()]
        if not stats:
            print("No z values in this CSV (no theory column).")
        else:
            fig, axes = plt.subplots(1, len(stats), figsize=(5.2 * len(stats), 3.6), squeeze=False)
            for ax, column in zip(axes[0], stats):
                z = df[column].dropna().to_numpy()
                edge = max(4.5, np.ceil(np.max(np.abs(z))) + 0.5, Z_STAR + 0.5)
                ax.hist(z, bins=np.linspace(-edge, edge, int(4 * edge) + 1), density=True,
                        color="#7fa7d4", edgecolor="white", linewidth=0.5, label=f"{len(z)} values")
                grid = np.linspace(-edge, edge, 400)
                ax.plot(grid, [normal.pdf(x) for x in grid], color="black", linewidth=1.3, label="N(0, 1) density")
                for sign in (-1, 1):
                    ax.axvline(sign * Z_STAR, color="#d62728", linestyle=":", linewidth=1.2,
                               label=f"±z* = ±{Z_STAR:.2f} (K = {K})" if sign > 0 else None)
                ax.set_title(f"{column}: mean {z.mean():+.2f}, sd {z.std(ddof=1):.2f}")
                ax.set_xlabel("z")
                ax.set_ylabel("density")
                ax.legend(fontsize=7, loc="upper left")
            fig.tight_layout()
            plt.show()
        '''),
    ]
    return cells


NOTEBOOKS = {
    "paper-linear": paper_linear,
    "collapse-or-thrive": collapse_or_thrive,
    "mc-vs-theory": mc_vs_theory,
}


def build(name: str) -> nbformat.NotebookNode:
    nb = new_notebook(cells=NOTEBOOKS[name]())
    for k, cell in enumerate(nb.cells):
        cell["id"] = f"{name}-{k:02d}"  # fixed ids: regenerating gives the same bytes
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nbformat.validate(nb)
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that the .ipynb files are up to date")
    args = parser.parse_args()
    stale = []
    for name in NOTEBOOKS:
        path = HERE / f"{name}.ipynb"
        text = render(build(name))
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print(f"out of date: {', '.join(stale)}; run python3 scripts/notebooks/build_notebooks.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
