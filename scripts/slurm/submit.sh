#!/usr/bin/env bash
# Submits a sharded sweep as a SLURM job array plus a merge job that runs when all shards succeed.
#   scripts/slurm/submit.sh SHARDS OUT (--experiment NAME | --config FILE) [--seed S] [-- extra sweep flags]
# Example: scripts/slurm/submit.sh 8 results/cot --experiment collapse-or-thrive-linear
set -euo pipefail
usage() { echo "usage: $0 SHARDS OUT (--experiment NAME | --config FILE) [--seed S] [-- extra sweep flags]" >&2; exit 2; }
[ $# -ge 4 ] || usage
shards="$1"; out="$2"; shift 2
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "SHARDS must be a positive integer, got '$shards'" >&2; exit 2; }
experiment=""; config=""; seed=""; extra=""
while [ $# -gt 0 ]; do
    case "$1" in
        --experiment) experiment="$2"; shift 2 ;;
        --config) config="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        --) shift; extra="$*"; break ;;
        *) usage ;;
    esac
done
[ -n "$experiment$config" ] || usage
here="$(cd "$(dirname "$0")" && pwd)"
collapse="${COLLAPSE:-$(pwd)/.build/release/collapse}"
[ -x "$collapse" ] || { echo "no collapse binary at $collapse; run 'swift build -c release' or set COLLAPSE" >&2; exit 2; }
mkdir -p "$out"
vars="ALL,COLLAPSE=$collapse,OUT=$out,EXPERIMENT=$experiment,CONFIG=$config,SEED=$seed,EXTRA_ARGS=$extra"
array_id=$(sbatch --parsable --array=0-$((shards - 1)) --export="$vars" "$here/sweep-array.sbatch")
merge_id=$(sbatch --parsable --dependency=afterok:"$array_id" --export="$vars" "$here/merge.sbatch")
echo "submitted array job $array_id ($shards shards) and merge job $merge_id; results: $out/results.csv"
