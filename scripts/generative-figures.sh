#!/usr/bin/env bash
# Regenerates the generative-model figures of docs/generative.md (notebooks-exports/generative/): one
# experiment per model family under all five regimes, then `collapse plot` writes each figure as
# SVG and as PNG (the PNG needs rsvg-convert: Debian's librsvg2-bin, which scripts/install-deps.sh
# installs). A few minutes on two cores.
#
#   swift build -c release && scripts/generative-figures.sh
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
collapse=.build/release/collapse
out=notebooks-exports/generative
mkdir -p "$out" results
regimes=(--regimes replace,accumulate,accumulate-subsample,mix,fresh-real --real-fraction 0.5)

run() {
    local name=$1; shift
    echo "+ collapse generative $* ${regimes[*]} --seed 1 --output results/generative-$name --force"
    "$collapse" generative "$@" "${regimes[@]}" --seed 1 --output "results/generative-$name" --force > /dev/null
    "$collapse" plot "results/generative-$name/results.csv" --output "$out/$name.svg"
    "$collapse" plot "results/generative-$name/results.csv" --output "$out/$name.png"
}

run gaussian --model gaussian
run kde --model kde
run gmm --model gmm
run categorical --model categorical
run poisson --model poisson
run ngram --model ngram
