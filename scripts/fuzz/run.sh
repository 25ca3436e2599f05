#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser with libFuzzer (swiftc -sanitize=fuzzer):
#   scripts/fuzz/run.sh [SECONDS] [TARGET...]      # default: 600 s each, every target, two at a time
# Targets: config (FlatTOML + the linear family's spec), results-csv (CSV reader + both results
# schemas), points (point CSV and token corpus), idx, xyz, corpus (neural data files).
# Seeds are the committed files in scripts/fuzz/corpus/TARGET; the growing corpus and any crash
# reproducer go to .build-fuzz/work/TARGET (git-ignored). Each run is limited to 2 GB of RSS and
# 512 MB per allocation, so an input that makes a parser allocate what its header merely claims
# is reported as a crash. Exit status 1 if any target found a crash, leak or timeout.
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-600}"; shift || true
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(config results-csv points idx xyz corpus)
swift build -c release --package-path scripts/fuzz --scratch-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library >/dev/null || { echo "fuzz build failed" >&2; exit 2; }
bin=.build-fuzz/release
# libFuzzer, not Swift's backtracer, must handle a crash, so that it writes the reproducer.
export SWIFT_BACKTRACE=enable=no
status=0
run() {
    local t="$1" work=".build-fuzz/work/$1"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp -n scripts/fuzz/corpus/"$t"/* "$work/corpus/" 2>/dev/null || true
    "$bin/fuzz-$t" "$work/corpus" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=10 \
        -max_len=65536 -artifact_prefix="$work/artifacts/" -print_final_stats=1 >"$work/log" 2>&1
    local rc=$?
    local runs; runs=$(grep -a -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$')
    if [ $rc -eq 0 ]; then echo "fuzz-$t: PASS, ${runs:-?} inputs in ${seconds} s, no crash, leak or timeout"
    else echo "fuzz-$t: FAIL (exit $rc); reproducer in $work/artifacts, log $work/log"; return 1; fi
}
# Two at a time (this machine has two cores).
pids=(); names=()
for t in "${targets[@]}"; do
    run "$t" & pids+=($!); names+=("$t")
    if [ ${#pids[@]} -ge 2 ]; then wait "${pids[0]}" || status=1; pids=("${pids[@]:1}"); names=("${names[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
