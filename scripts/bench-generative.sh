#!/usr/bin/env bash
# Times each generative model's default experiment (`collapse generative --model M`: 100
# generations, 100 replicates, T = 300 points per generation, a held-out test set of 100,
# regimes replace and accumulate) and prints the median wall time of RUNS runs per model.
#
#   scripts/bench-generative.sh              # 3 runs per model, --threads 2
#   RUNS=5 THREADS=4 scripts/bench-generative.sh gmm kde
#
# Needs a release build (swift build -c release). Outputs go to a temporary directory.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
binary="$root/.build/release/collapse"
runs="${RUNS:-3}"
threads="${THREADS:-2}"
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(gaussian kde gmm categorical poisson ngram)
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

echo "# $(nproc) cores, --threads $threads, $runs runs per model; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %12s %18s  %s\n' model median_wall_s median_cpu/threads "runs: wall/cpu (s)"
median() { sort -n | python3 -c "import sys; v=[float(x) for x in sys.stdin]; print(f'{v[len(v)//2]:.2f}')"; }
for m in "${models[@]}"; do
    walls=(); cpus=(); pairs=()
    for i in $(seq 1 "$runs"); do
        /usr/bin/time -f "%e %U %S" -o "$scratch/time" \
            "$binary" generative --model "$m" --seed "$i" --threads "$threads" --output "$scratch/$m-$i" > /dev/null
        read -r wall user sys < "$scratch/time"
        cpu=$(python3 -c "print(f'{($user + $sys) / $threads:.2f}')")
        walls+=("$wall"); cpus+=("$cpu"); pairs+=("$wall/$cpu")
    done
    printf '%-12s %12s %18s  %s\n' "$m" "$(printf '%s\n' "${walls[@]}" | median)" "$(printf '%s\n' "${cpus[@]}" | median)" "${pairs[*]}"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
