#!/usr/bin/env bash
# Submits a sharded sweep as a SLURM job array plus a merge job that runs when all shards succeed.
#   scripts/slurm/submit.sh SHARDS OUT (--experiment NAME | --config FILE) [--seed S] [-- extra sweep flags]
# Example: scripts/slurm/submit.sh 8 results/cot --experiment collapse-or-thrive-linear
#
# The settings reach the jobs as environment variables (sbatch --export=ALL), and the extra sweep
# flags as arguments of the batch script, each one verbatim. (They are not put into the
# --export=VAR=value list: sbatch splits that list at every comma, which silently cut
# `--noise-variance 0.01,1` down to `--noise-variance 0.01`.)
# The merge job is cancelled (--kill-on-invalid-dep) if a shard fails, instead of pending forever.
set -euo pipefail
usage() { echo "usage: $0 SHARDS OUT (--experiment NAME | --config FILE) [--seed S] [-- extra sweep flags]" >&2; exit 2; }
[ $# -ge 4 ] || usage
shards="$1"; out="$2"; shift 2
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "SHARDS must be a positive integer, got '$shards'" >&2; exit 2; }
experiment=""; config=""; seed=""; extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --experiment) [ $# -ge 2 ] || usage; experiment="$2"; shift 2 ;;
        --config) [ $# -ge 2 ] || usage; config="$2"; shift 2 ;;
        --seed) [ $# -ge 2 ] || usage; seed="$2"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) usage ;;
    esac
done
[ -n "$experiment$config" ] || usage
here="$(cd "$(dirname "$0")" && pwd)"
collapse="${COLLAPSE:-$(pwd)/.build/release/collapse}"
[ -x "$collapse" ] || { echo "no collapse binary at $collapse; run 'swift build -c release' or set COLLAPSE" >&2; exit 2; }
if [ -n "$config" ]; then
    [ -f "$config" ] || { echo "no config file at $config" >&2; exit 2; }
    config="$(cd "$(dirname "$config")" && pwd)/$(basename "$config")"
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"    # absolute, so the jobs do not depend on their working directory
# EXTRA_ARGS is set empty so that a value in the caller's environment does not leak into the jobs.
export COLLAPSE="$collapse" OUT="$out" EXPERIMENT="$experiment" CONFIG="$config" SEED="$seed" \
    SHARDS="$shards" EXTRA_ARGS=""
array_id=$(sbatch --parsable --array=0-$((shards - 1)) --export=ALL "$here/sweep-array.sbatch" ${extra[@]+"${extra[@]}"})
array_id="${array_id%%;*}"   # --parsable prints "id" or "id;cluster"
merge_id=$(sbatch --parsable --dependency=afterok:"$array_id" --kill-on-invalid-dep=yes --export=ALL \
    "$here/merge.sbatch")
merge_id="${merge_id%%;*}"
echo "submitted array job $array_id ($shards shards) and merge job $merge_id; results: $out/results.csv"
