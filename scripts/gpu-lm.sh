#!/usr/bin/env bash
# The paper's language model (examples/trainers/torch_lm.py --preset paper: GPT-2 style, 8.9M
# parameters) through `collapse external` on the lent GPU machine (issue 15): replace and
# accumulate over 5 generations on 100,000 built-in stories, then accumulate-subsample if time
# is left, in ONE device call. Runs there from the repository root with $OUT set; needs the
# bundle of scripts/device-bundle.sh carried along (the machine has PyTorch but no Swift):
#
#   here:    scripts/device-bundle.sh                       # .device/collapse-bundle.tar.xz
#   device:  run(command: "scripts/gpu-lm.sh", carry: [".device"], timeout_s: 600)
#   back:    $OUT/gpu-lm/ → notebooks-exports/neural/gpu-lm/ (add figure.png with rsvg-convert)
#
# What comes back in $OUT/gpu-lm/ (7 files at most; the tool returns 8): results.csv,
# manifest.json, figure.svg (replace + accumulate), results-accumulate-subsample.csv (when that
# run finished), COMMANDS.md (machine, exact commands, date stamps, wall times, a table of every
# step with its own seconds and numbers, what stopped it), run.log (everything printed),
# steps.tar.gz (each step's command, stdout, stderr, result.json and the first 40 sampled
# stories of each sample step; the runs' manifests, configs and figures).
#
# CPU rehearsal (proves everything but CUDA; about a minute on 2 cores):
#   OUT=/tmp/out GPU_LM_SMOKE=1 PATH=/tmp/torchvenv/bin:$PATH scripts/gpu-lm.sh
#
# Sizing (the figures of /work/shared/bench/README.md, H200, measured with PyTorch 2.11):
#   data: `collapse data stories --preset paper` gives stories of at most 127 bytes, 91.7 bytes
#     each on average with the "\n", so 100,000 stories are a 9.17 MB training stream.
#   fit: one step of 32 × 256 bytes took 12.0 ms in fp32/TF32 and 15.7 ms under bf16 autocast,
#     which torch_lm.py uses on CUDA; take 15.7 ms. One epoch = 9.17e6 / 8192 = 1,120 steps
#     = 17.6 s. With --epochs E a fit on n·T records costs n·E·17.6 s. Generation 1 (and its
#     sample) is shared by the regimes, so replace + accumulate over 5 generations train
#     1 + 4·1 + (2+3+4+5) = 19 units of T: 19 · 17.6 · E s. E = 0.5: 167 s (E = 1: 334 s,
#     which with the rest below overruns the call).
#   sample: 100,000 stories per sample step, 7 sample steps (1 shared + 3 + 3). With
#     --sample-batch 8192 that is 13 batches × at most 127 positions (--max-length 127, the
#     data's own bound; the Swift model allows T − 1 = 255) = 1,651 model passes of one
#     position for 8,192 sequences. Each pass: 2 × 8.9M parameters × 8192 ≈ 0.15 TFLOP of
#     matrix work (≈ 0.5 ms), reading the bf16 key/value cache (8192 · 7 layers · 2 · 320 · 2 B
#     = 73 MB per cached position, ≈ 64 positions on average: ≈ 1.2 ms at 4 TB/s), ≈ 150 kernel
#     launches and one host sync (≈ 2–3 ms): ≈ 5 ms, so ≈ 8 s per sample step; take 20 s with
#     the process start: 140 s. The cache is 9.3 GB at this batch (fine on an H100 or H200).
#   evaluate: 2,000 held-out stories ≈ 715 windows of 257 bytes, 23 forward passes: < 1 s, plus
#     the process start: 9 steps × 4 s = 36 s.
#   process starts: each step is a new python3 (import torch, CUDA context, load model):
#     ≈ 3 s × 9 fits = 27 s, plus the info step.
#   total for replace + accumulate ≈ 167 + 140 + 36 + 27 + 3 ≈ 373 s ≈ 6.2 min; unpacking,
#   nvidia-smi and the export ≈ 10 s. The guard stops collapse with SIGINT at 520 s after the
#   script started (GPU_LM_DEADLINE), so the call ends by ≈ 540 s, inside the tool's 600 s.
#   Accumulate-subsample (its own output: generation 1 is refitted, ≈ 5 fits + 4 samples +
#   5 evaluations ≈ 180 s) starts only when at least GPU_LM_SUBSAMPLE_MIN = 200 s remain.
#
# Durability: collapse commits every finished step in its work directory. The runs live in
# GPU_LM_WORK (default /tmp/gpu-lm) on the device; when the guard (or a failed step) stops a run,
# the finished steps stay there and COMMANDS.md lists them. The machine stays warm for about 30 s
# after a call: calling `scripts/gpu-lm.sh` again at once finds the run there and passes
# --resume, so only the unfinished steps run. A fresh machine starts bare: then rerun from the
# beginning, with GPU_LM_EPOCHS or GPU_LM_GENERATIONS lowered if the first call's step table
# says the sizing above was too optimistic (a partial run is too large to carry: each model is
# 35 MB and each sample file 9 MB).
#
# Settings (environment): GPU_LM_STORIES (100000), GPU_LM_HELDOUT (2000), GPU_LM_GENERATIONS (5),
# GPU_LM_EPOCHS (0.5), GPU_LM_SAMPLE_BATCH (8192), GPU_LM_MAX_LENGTH (127), GPU_LM_SEED (1),
# GPU_LM_DEADLINE (520 s), GPU_LM_STEP_TIMEOUT (300 s), GPU_LM_SUBSAMPLE (1: try it),
# GPU_LM_SUBSAMPLE_MIN (200 s), GPU_LM_WORK (/tmp/gpu-lm), GPU_LM_BUNDLE
# (.device/collapse-bundle.tar.xz), GPU_LM_SMOKE (1: smoke preset on the CPU, 300 stories,
# 2 generations: the script's logic without a GPU).
set -euo pipefail

began=$(date +%s)
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
: "${OUT:?gpu-lm: set OUT to the folder whose files come back (the device tool sets it)}"

smoke=${GPU_LM_SMOKE:-0}
if [[ "$smoke" == 1 ]]; then
    stories=${GPU_LM_STORIES:-300} heldout=${GPU_LM_HELDOUT:-50} generations=${GPU_LM_GENERATIONS:-2}
    epochs=${GPU_LM_EPOCHS:-0.5} sample_batch=${GPU_LM_SAMPLE_BATCH:-128} max_length=${GPU_LM_MAX_LENGTH:-31}
    preset=smoke device="cpu --threads 2" data_preset=smoke
else
    stories=${GPU_LM_STORIES:-100000} heldout=${GPU_LM_HELDOUT:-2000} generations=${GPU_LM_GENERATIONS:-5}
    epochs=${GPU_LM_EPOCHS:-0.5} sample_batch=${GPU_LM_SAMPLE_BATCH:-8192} max_length=${GPU_LM_MAX_LENGTH:-127}
    preset=paper device=cuda data_preset=paper
fi
seed=${GPU_LM_SEED:-1}
deadline=${GPU_LM_DEADLINE:-520}
step_timeout=${GPU_LM_STEP_TIMEOUT:-300}
subsample=${GPU_LM_SUBSAMPLE:-1}
subsample_min=${GPU_LM_SUBSAMPLE_MIN:-200}
work=${GPU_LM_WORK:-/tmp/gpu-lm}
bundle=${GPU_LM_BUNDLE:-.device/collapse-bundle.tar.xz}

dest="$OUT/gpu-lm"
mkdir -p "$dest" "$work"
exec > >(tee -a "$dest/run.log") 2>&1
tee_pid=$!
# Let tee write the last lines to run.log before the call returns.
trap 'exec 1>&- 2>&-; wait "$tee_pid" 2> /dev/null || true' EXIT
commands="$dest/COMMANDS.md"
elapsed() { echo $(($(date +%s) - began)); }
say() { echo "gpu-lm [$(elapsed) s]: $*"; }
stamp() { date -u +%Y-%m-%dT%H:%M:%SZ; }
note() { printf '%s\n' "$@" >> "$commands"; }

# A call that resumes keeps the earlier calls' record (GPU_LM_WORK survives while the machine is warm).
rm -f "$commands"
[[ -f "$work/COMMANDS.md" ]] && { cp "$work/COMMANDS.md" "$commands"; printf '\n---\n\n' >> "$commands"; }
{
    echo "# The paper-size language model through \`collapse external\` on a GPU (scripts/gpu-lm.sh)"
    echo
    echo "Started $(stamp) on $(hostname); repository $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (working tree differs)')."
    echo "Settings: stories $stories, held-out $heldout, generations $generations, epochs $epochs, sample batch $sample_batch, max length $max_length, seed $seed, deadline $deadline s, step timeout $step_timeout s$([[ "$smoke" == 1 ]] && echo ', SMOKE (CPU, smoke preset)')."
    echo
} >> "$commands"

# MARK: collapse from the bundle

. scripts/device-collapse.sh
device_collapse "$bundle" "$work"
version=$collapse_version
collapse() { "$collapse_bin" "$@"; }
command -v timeout > /dev/null || { say "no timeout(1) here (coreutils); it guards the deadline"; exit 2; }

# MARK: the machine

{
    echo "## Machine"
    echo
    echo '```'
    if command -v nvidia-smi > /dev/null; then nvidia-smi 2>&1 | head -20; else echo "nvidia-smi: not on the PATH"; fi
    python3 -c 'import sys, torch; print("python", sys.version.split()[0], "torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' 2>&1
    echo "$(nproc) CPUs; $(ldd --version | head -1); collapse $version"
    echo '```'
    echo
} >> "$commands"
tail -n 6 "$commands"
if [[ "$smoke" != 1 ]] && ! python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)'; then
    note "**Stopped: PyTorch sees no CUDA device on this machine.** Nothing was run."
    say "PyTorch sees no CUDA device; stopping (GPU_LM_SMOKE=1 rehearses on the CPU)"
    exit 3
fi

# MARK: data

data="$work/stories.txt" test="$work/heldout.txt"
t0=$(date +%s)
collapse data stories --preset "$data_preset" --count $((stories + heldout)) --seed "$seed" --output "$work/all.txt" --force
head -n "$stories" "$work/all.txt" > "$data"
tail -n "$heldout" "$work/all.txt" > "$test"
note "## Commands" "" '```sh' \
    "collapse data stories --preset $data_preset --count $((stories + heldout)) --seed $seed --output all.txt" \
    "head -n $stories all.txt > stories.txt; tail -n $heldout all.txt > heldout.txt   # $(($(date +%s) - t0)) s; $(wc -c < "$data") + $(wc -c < "$test") bytes" \
    '```' ""

trainer="python3 examples/trainers/torch_lm.py --preset $preset --device $device --epochs $epochs --sample-batch $sample_batch --max-length $max_length"

# One collapse external run, guarded by the deadline. Arguments: output folder, regimes.
# Sets run_rc (0: finished; 124/130/137...: stopped) and prints why.
external() {
    local output=$1 regimes=$2 resume=() left
    left=$((deadline - $(elapsed)))
    [[ -d "$output" ]] && [[ -n "$(ls -A "$output")" ]] && resume=(--resume)
    local args=(external --trainer "$trainer" --data "$data" --test "$test" --regimes "$regimes"
        --generations "$generations" --seed "$seed" --step-timeout "$step_timeout" --keep-models last
        --output "$output" "${resume[@]}")
    local shown="collapse" a
    for a in "${args[@]}"; do [[ "$a" =~ ^[A-Za-z0-9_./,=:-]+$ ]] && shown+=" $a" || shown+=" '$a'"; done
    note "\`\`\`sh" "# $(stamp), $left s before the deadline" "$shown" "\`\`\`"
    say "collapse ${args[*]} (guard: SIGINT in $left s)"
    local t=$(date +%s)
    set +e
    # --foreground: timeout signals collapse alone. Without it, timeout also signals its own
    # process group, collapse included, and a second SIGINT makes collapse exit at once
    # without stopping the step in progress (seen in the CPU rehearsal: an orphaned trainer).
    timeout --foreground -s INT -k 60 "$left" "$collapse_bin" "${args[@]}"
    run_rc=$?
    set -e
    local wall=$(($(date +%s) - t))
    case $run_rc in
        0) note "Finished $(stamp): exit 0, wall time $wall s." "" ;;
        124 | 130) note "**Stopped by the deadline guard** (SIGINT) at $(stamp) after $wall s, exit $run_rc: finished steps are kept; call scripts/gpu-lm.sh again at once on the warm machine to resume." "" ;;
        *) note "**Failed** at $(stamp) after $wall s, exit $run_rc (see run.log for collapse's message; finished steps are kept, a rerun resumes)." "" ;;
    esac
    say "exit $run_rc after $wall s"
}

external "$work/run" replace,accumulate
main_rc=$run_rc
if [[ $main_rc == 0 ]]; then
    cp "$work/run/results.csv" "$work/run/manifest.json" "$dest/"
    [[ -f "$work/run/figure.svg" ]] && cp "$work/run/figure.svg" "$dest/"
fi

sub_rc=skipped
if [[ "$subsample" == 1 && $main_rc == 0 ]]; then
    left=$((deadline - $(elapsed)))
    if ((left >= subsample_min)); then
        external "$work/run-subsample" accumulate-subsample
        sub_rc=$run_rc
        [[ $sub_rc == 0 ]] && cp "$work/run-subsample/results.csv" "$dest/results-accumulate-subsample.csv"
    else
        note "Accumulate-subsample not started: $left s before the deadline, fewer than $subsample_min s." ""
        say "accumulate-subsample skipped ($left s left)"
    fi
fi

# MARK: what comes back

# The steps of both runs, in the order they finished: kind, own wall time, the trainer's
# numbers; and the tarball of their logs.
python3 - "$work" "$dest" >> "$commands" <<'PY'
import glob, io, json, os, sys, tarfile
work, dest = sys.argv[1:3]
rows = []
for run in ("run", "run-subsample"):
    for d in glob.glob(os.path.join(work, run, "work", "*-*")):
        result = os.path.join(d, "result.json")
        if not os.path.exists(result):
            rows.append((float("inf"), run, os.path.basename(d), None, None, {}))
            continue
        r = json.load(open(result))
        records = None
        if os.path.basename(d).startswith("fit-"):
            try:
                records = json.load(open(os.path.join(d, "train.json"))).get("records")
            except (OSError, ValueError):
                pass
        rows.append((os.path.getmtime(result), run, os.path.basename(d), r.get("seconds"), records, r.get("reply", {})))
rows.sort(key=lambda r: r[0])
print("## Steps, in the order they finished\n")
print("Own wall time per step as collapse recorded it (process start included); `fit s` is the")
print("trainer's own time inside it. A step without result.json did not finish.\n")
print("| run | step | wall s | records | fit s | numbers |")
print("|---|---|---|---|---|---|")
total = 0.0
for _, run, name, seconds, records, reply in rows:
    if seconds is None:
        print(f"| {run} | {name} | unfinished | | | |")
        continue
    total += seconds
    inner = reply.get("seconds")
    numbers = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in sorted(reply.items())
                        if k in ("train_loss", "steps", "test_loss", "bits_per_byte", "bytes"))
    print(f"| {run} | {name} | {seconds:.1f} | {records or ''} | {'' if inner is None else f'{inner:.1f}'} | {numbers} |")
print(f"\n{sum(1 for r in rows if r[3] is not None)} steps finished, {total:.0f} s of step time in all.\n")

with tarfile.open(os.path.join(dest, "steps.tar.gz"), "w:gz") as tar:
    for run in ("run", "run-subsample"):
        base = os.path.join(work, run)
        for name in ("experiment.toml", "manifest.json", "results.csv", "figure.svg"):
            if os.path.exists(os.path.join(base, name)):
                tar.add(os.path.join(base, name), arcname=f"{run}/{name}")
        for d in sorted(glob.glob(os.path.join(base, "work", "*-*"))):
            for name in ("command.txt", "result.json", "step.stdout", "step.stderr", "train.json"):
                p = os.path.join(d, name)
                if os.path.exists(p):
                    tar.add(p, arcname=f"{run}/work/{os.path.basename(d)}/{name}")
            samples = os.path.join(d, "samples.txt")
            if os.path.exists(samples):
                with open(samples, "rb") as f:
                    head = b"".join(f.readline() for _ in range(40))
                info = tarfile.TarInfo(f"{run}/work/{os.path.basename(d)}/samples.head.txt")
                info.size = len(head)
                tar.addfile(info, io.BytesIO(head))
PY

note "## Outcome" "" \
    "replace,accumulate: exit $main_rc; accumulate-subsample: $sub_rc. Ended $(stamp), $(elapsed) s after the script started." \
    "" "To resume a stopped run: call scripts/gpu-lm.sh again while the machine is warm (it finds $work/run and passes --resume)."
cp "$commands" "$work/COMMANDS.md"
say "done: $(ls "$dest" | tr '\n' ' ')"
[[ $main_rc == 0 ]]
