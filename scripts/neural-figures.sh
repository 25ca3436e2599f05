#!/usr/bin/env bash
# Redraws the figures of the committed neural runs (notebooks-exports/neural/*/ and seeds/*/) from
# their results.csv with the current renderer: figure.svg by `collapse neural plot`, and
# figure.png (where the run has one) by rsvg-convert (Debian's librsvg2-bin), as `collapse plot`
# renders PNG. Runs written before the long results format (one column per metric) are read
# through a long-format copy in a temporary directory; the committed results.csv is not changed.
# Seconds; no training.
#
#   swift build -c release && scripts/neural-figures.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
collapse=.build/release/collapse
[[ -x "$collapse" ]] || { echo "neural-figures: build first: swift build -c release" >&2; exit 1; }
command -v rsvg-convert > /dev/null || { echo "neural-figures: rsvg-convert missing; install Debian's librsvg2-bin" >&2; exit 1; }
tmp="$(mktemp -d "${TMPDIR:-/tmp}/neural-figures.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

for dir in notebooks-exports/neural/*/ notebooks-exports/neural/seeds/*/; do
    dir=${dir%/}
    [[ -f "$dir/results.csv" ]] || continue
    work="$tmp/$(basename "$dir")"
    mkdir -p "$work"
    # One row per (regime, generation, metric): the long format's required columns, one run each.
    python3 - "$dir/results.csv" "$work/results.csv" <<'PY'
import csv, sys
source, target = sys.argv[1:3]
with open(source, newline="") as f:
    rows = list(csv.reader(f))
header = rows[0]
if "metric" in header:  # already long
    with open(target, "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    sys.exit(0)
datasets = {"lm": "stories", "vae": "glyphs", "diffusion": "conformers"}
metrics = header[3:]
with open(target, "w", newline="") as f:
    out = csv.writer(f, lineterminator="\n")
    out.writerow(["model", "dataset", "regime", "real_fraction", "generation", "metric", "mean", "std_error", "theory", "repeats"])
    for r in rows[1:]:
        model, regime, generation = r[0], r[1], r[2]
        for name, value in zip(metrics, r[3:]):
            out.writerow([model, datasets.get(model, model), regime, "", generation, name, value, "", "", "1"])
PY
    "$collapse" neural plot --input "$work" > /dev/null
    cp "$work/figure.svg" "$dir/figure.svg"
    if [[ -f "$dir/figure.png" ]]; then
        rsvg-convert --format png --background-color white --output "$dir/figure.png" "$dir/figure.svg"
    fi
    echo "neural-figures: $dir/figure.svg$([[ -f "$dir/figure.png" ]] && echo " and figure.png")"
done
