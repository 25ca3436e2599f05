#!/usr/bin/env bash
# Integration test of the SLURM job-array scripts against a real, throwaway, single-node SLURM
# cluster that lives only on 127.0.0.1:
#   scripts/slurm/integration-test.sh
#
# 1. installs Debian's slurm-wlm and munge if slurmctld/slurmd/sbatch/munged are missing (apt-get;
#    needs root, as do the daemons);
# 2. writes a private cluster into a fresh temp dir (never /etc): a munge key and socket,
#    slurm.conf (found through SLURM_CONF), state, spool and logs; picks two free TCP ports; binds
#    every daemon to 127.0.0.1 (CommunicationParameters=NoInAddrAny,NoCtldInAddrAny);
# 3. starts munged, slurmctld and slurmd (node "localhost", shaped after `slurmd -C`);
# 4. runs `submit.sh 3 OUT --experiment paper-linear -- --repeats 50 --noise-variance <the
#    experiment's own five values>` and polls squeue until the array and the merge job are gone,
#    then the same for a generative sweep (`--experiment kde-moons-samples -- --repeats 20
#    --generations 10`: sharding works for every family of the experiment engine);
#    the comma-separated flag value and the comma and space in OUT are deliberate: they guard
#    against extra flags or paths being cut at commas by sbatch --export;
# 5. checks, for each, that all three array tasks and the merge job COMPLETED and that
#    OUT/results.csv is byte-identical (cmp) to the unsharded `collapse sweep` with the same flags;
# 6. cancels what is left, stops the daemons it started (by their pids) and exits 0 on PASS,
#    1 on FAIL. The temp dir is removed on PASS and kept (with logs) on FAIL or with IT_KEEP=1.
#
# Each run uses its own cluster, so it is idempotent and does not touch a system SLURM or munge.
# Environment: COLLAPSE (binary; default .build/release/collapse, built with `swift build -c
# release` if missing), IT_TIMEOUT (overall limit in seconds, default 300), IT_KEEP=1.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
limit="${IT_TIMEOUT:-300}"
start_s=$SECONDS
shards=3
repeats=50

# A SLURM environment we may have been started from (say, inside a job of a real cluster) must not
# steer our private cluster.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(SLURM|SBATCH|SALLOC|SRUN|SQUEUE|SINFO|SCONTROL|SCANCEL)_' || true)

tmp=""; started_pids=(); result=fail; reason=""
say() { printf '== [%3ds] %s\n' "$((SECONDS - start_s))" "$*"; }
remaining() { local r=$((limit - (SECONDS - start_s))); [ "$r" -gt 0 ] && echo "$r" || echo 1; }
bounded() { # bounded MAX_SECONDS cmd...: runs cmd with at most min(MAX, time left)
    local max="$1"; shift
    local r; r=$(remaining); [ "$r" -lt "$max" ] && max="$r"
    timeout -k 5 "$max" "$@"
}
fail() { reason="$*"; exit 1; }

finish() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -n "$tmp" ] && [ -n "${SLURM_CONF:-}" ] && [ -S "$tmp/munge/sock/munge.socket" ]; then
        # Nothing of ours may outlive the test: cancel what is left, give it a moment to go.
        if [ -n "$(timeout 10 squeue -h 2>/dev/null)" ]; then
            timeout 10 scancel --user="$(id -un)" >/dev/null 2>&1 || true
            for _ in 1 2 3 4 5 6 7 8 9 10; do [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break; sleep 1; done
        fi
    fi
    # Stop the daemons this run started, newest first, by pid.
    local i pid stop_s=$SECONDS
    for ((i = ${#started_pids[@]} - 1; i >= 0; i--)); do
        pid="${started_pids[i]}"
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    [ ${#started_pids[@]} -gt 0 ] && say "stopped the daemons this run started (pids ${started_pids[*]}) in $((SECONDS - stop_s)) s"
    if [ "$result" = pass ] && [ "$rc" -eq 0 ]; then
        echo "PASS: SLURM job arrays ($shards shards) + merge jobs reproduce the unsharded results.csv byte for byte (linear and generative sweeps)"
        [ -n "$tmp" ] && { if [ "${IT_KEEP:-}" = 1 ]; then echo "kept $tmp"; else rm -rf "$tmp"; fi; }
        echo "total $((SECONDS - start_s)) s"
        echo "1 passed, 0 failed"
        exit 0
    fi
    [ -n "$reason" ] || reason="interrupted or unexpected error (exit status $rc)"
    if [ -n "$tmp" ] && [ -d "$tmp" ]; then
        local f
        for f in "$tmp"/log/slurmctld.log "$tmp"/log/slurmd.log "$tmp"/munge/munged.log "$tmp"/work/*.log; do
            [ -s "$f" ] || continue
            echo "---- last lines of $f"; tail -n 15 "$f"
        done
        echo "kept $tmp for inspection"
    fi
    echo "FAIL: $reason"
    echo "total $((SECONDS - start_s)) s"
    echo "0 passed, 1 failed"
    exit 1
}
trap finish EXIT
trap 'reason="interrupted by a signal"; exit 1' INT TERM

# ---- prerequisites -------------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || fail "must run as root (apt-get, and slurmd/slurmctld as root)"
missing=()
for c in slurmctld slurmd sbatch squeue sinfo scontrol scancel srun munged munge unmunge; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "missing ${missing[*]}: installing slurm-wlm and munge with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    bounded 120 apt-get update -qq || fail "apt-get update failed"
    bounded 240 apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null \
        || fail "apt-get install slurm-wlm munge failed"
    # Debian's postinst may start the system services; they use /etc and the default ports,
    # not ours, so they are left alone.
fi
say "$(slurmctld -V), munge $(munged --version 2>&1 | head -1 | awk '{print $1}' | sed 's/munge-//')"

collapse="${COLLAPSE:-$repo/.build/release/collapse}"
if [ ! -x "$collapse" ]; then
    [ -n "${COLLAPSE:-}" ] && fail "COLLAPSE=$COLLAPSE is not an executable"
    say "no binary at $collapse: swift build -c release"
    (cd "$repo" && bounded 280 swift build -c release) || fail "swift build -c release failed"
fi
collapse="$(cd "$(dirname "$collapse")" && pwd)/$(basename "$collapse")"

# ---- private cluster -----------------------------------------------------------------------------
tmp="$(mktemp -d /tmp/collapse-slurm-it.XXXXXX)" || fail "mktemp failed"
chmod 755 "$tmp"   # munged insists that every directory above its socket is searchable by all
mkdir -p "$tmp/munge/key" "$tmp/munge/sock" "$tmp/state" "$tmp/spool" "$tmp/log" "$tmp/work"
chmod 700 "$tmp/munge/key"; chmod 755 "$tmp/munge" "$tmp/munge/sock"

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ctld_port=""
for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! port_in_use "$p" && ! port_in_use "$((p + 1))"; then ctld_port=$p; break; fi
done
[ -n "$ctld_port" ] || fail "found no two free TCP ports on 127.0.0.1"
slurmd_port=$((ctld_port + 1))

# The node as slurmd sees the hardware, renamed to localhost. The array tasks ask for 2 CPUs, so a
# 1-CPU machine is declared with 2 (config_overrides: slurmd then trusts the file, not the hardware).
hw="$(slurmd -C 2>/dev/null | head -n 1)"
[[ "$hw" == NodeName=* ]] || fail "slurmd -C printed no node line: '$hw'"
cpus="$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$hw")"
mem="$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")"
slurmd_params=""
if [ "${cpus:-0}" -ge 2 ]; then
    node_line="$(sed 's/^NodeName=[^ ]*/NodeName=localhost NodeAddr=127.0.0.1/' <<<"$hw")"
else
    node_line="NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=${mem:-1000}"
    slurmd_params="SlurmdParameters=config_overrides"
fi

dd if=/dev/urandom of="$tmp/munge/key/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/key/munge.key"
sock="$tmp/munge/sock/munge.socket"

cat > "$tmp/slurm.conf" <<EOF
# Throwaway single-node cluster of scripts/slurm/integration-test.sh; everything on 127.0.0.1.
ClusterName=collapse-it
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
$slurmd_params
$node_line State=UNKNOWN
PartitionName=it Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$tmp/slurm.conf"
say "private cluster in $tmp (slurmctld 127.0.0.1:$ctld_port, slurmd 127.0.0.1:$slurmd_port; $node_line)"

wait_pidfile() { # wait_pidfile FILE NAME: pid of a daemon that has written FILE, or fail
    local pid=""
    for _ in $(seq 1 100); do
        pid="$(cat "$1" 2>/dev/null || true)"
        [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
        sleep 0.1
    done
    return 1
}

bounded 20 munged --key-file="$tmp/munge/key/munge.key" --socket="$sock" \
    --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/munge/munged.log" \
    --seed-file="$tmp/munge/munged.seed" || fail "munged did not start"
pid="$(wait_pidfile "$tmp/munge/munged.pid")" || fail "munged wrote no pid file"
started_pids+=("$pid")
bounded 10 munge -n -S "$sock" | bounded 10 unmunge -S "$sock" >/dev/null \
    || fail "munge credential round trip failed on $sock"
say "munged running (pid $pid), credential round trip ok"

bounded 20 slurmctld || fail "slurmctld did not start"
pid="$(wait_pidfile "$tmp/slurmctld.pid")" || fail "slurmctld exited or wrote no pid file"
started_pids+=("$pid")
bounded 20 slurmd -N localhost || fail "slurmd did not start"
pid2="$(wait_pidfile "$tmp/slurmd.pid")" || fail "slurmd exited or wrote no pid file"
started_pids+=("$pid2")
say "slurmctld (pid $pid) and slurmd (pid $pid2) running"

state=""
for _ in $(seq 1 60); do
    state="$(bounded 5 sinfo -h -n localhost -o %T 2>/dev/null || true)"
    [ "$state" = idle ] && break
    sleep 0.5
done
[ "$state" = idle ] || fail "node localhost never became idle (sinfo says '$state')"
host="$(bounded 30 srun -N1 -n1 -t 1 hostname 2>&1)" || fail "srun hostname failed: $host"
say "sinfo: partition it, node localhost idle; srun hostname -> $host"

# ---- the test ------------------------------------------------------------------------------------
# sharded NAME EXPERIMENT FLAG...: the experiment with FLAGs, unsharded and as a SLURM job array
# of $shards tasks plus the merge job; the merged results.csv must equal the unsharded one.
sharded() {
    local name="$1" experiment="$2"; shift 2
    local ref="$tmp/ref-$name" out="$tmp/out-$name, sharded"
    say "$name: reference: collapse sweep --experiment $experiment $* (unsharded)"
    bounded 180 "$collapse" sweep --experiment "$experiment" "$@" --output "$ref" --quiet \
        >"$ref.log" 2>&1 || fail "$name: unsharded reference sweep failed: $(tail -n 3 "$ref.log")"
    [ -s "$ref/results.csv" ] || fail "$name: reference run wrote no results.csv"

    local submit_s=$SECONDS sub array_id merge_id
    say "$name: submit.sh $shards '$out' --experiment $experiment -- $*"
    sub="$(cd "$tmp/work" && COLLAPSE="$collapse" bounded 60 "$here/submit.sh" "$shards" "$out" \
        --experiment "$experiment" -- "$@" 2>&1)" || fail "$name: submit.sh failed: $sub"
    echo "$sub"
    array_id="$(sed -n 's/^submitted array job \([0-9]*\) .*/\1/p' <<<"$sub")"
    merge_id="$(sed -n 's/.* and merge job \([0-9]*\);.*/\1/p' <<<"$sub")"
    [ -n "$array_id" ] && [ -n "$merge_id" ] || fail "$name: could not read the job ids from submit.sh's output"

    local queue=""
    while :; do
        queue="$(bounded 10 squeue -h -j "$array_id,$merge_id" -o '%i %T %r' 2>&1)" \
            || fail "squeue failed (is slurmctld still up?): $queue"
        [ -z "$queue" ] && break
        [ "$(remaining)" -gt 15 ] || fail "$name: jobs still queued near the time limit: $(tr '\n' ';' <<<"$queue")"
        sleep 1
    done
    say "$name: array job $array_id and merge job $merge_id left the queue after $((SECONDS - submit_s)) s"

    local states summary n_done i
    states="$(bounded 10 scontrol -o show job "$array_id" 2>&1; bounded 10 scontrol -o show job "$merge_id" 2>&1)"
    summary="$(awk '{ id = ""; task = ""; st = ""
        for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] == "JobId") id = kv[2]
            else if (kv[1] == "ArrayTaskId") task = kv[2]; else if (kv[1] == "JobState") st = kv[2] }
        if (id != "") print (task != "" ? "array task " task " (job " id ")" : "merge job " id) ": " st }' <<<"$states" | sort)"
    echo "$summary" | sed 's/^/   /'
    n_done="$(grep -c ': COMPLETED$' <<<"$summary")"
    [ "$n_done" -eq $((shards + 1)) ] || fail "$name: expected $((shards + 1)) COMPLETED jobs (the $shards array tasks and the merge), got $n_done"
    for ((i = 0; i < shards; i++)); do
        [ -s "$out/shard-$i/results.csv" ] || fail "$name: array task $i wrote no $out/shard-$i/results.csv"
    done
    [ -s "$out/results.csv" ] || fail "$name: the merge job wrote no $out/results.csv"
    cmp "$ref/results.csv" "$out/results.csv" \
        || fail "$name: merged results.csv differs from the unsharded run ($(wc -l <"$out/results.csv") vs $(wc -l <"$ref/results.csv") lines)"
    say "$name: cmp: merged results.csv ($(wc -l <"$out/results.csv") lines) is byte-identical to the unsharded run"
}

noise="$("$collapse" sweep --show paper-linear | sed -n 's/^noise_variance = \[\(.*\)\]$/\1/p' | tr -d ' ')"
[[ "$noise" == *,* ]] || fail "could not read paper-linear's noise_variance list (got '$noise')"
sharded linear paper-linear --repeats "$repeats" --noise-variance "$noise"
# A family other than the linear chain: the KDE experiment (three cells, T = 100, 300, 1000).
sharded generative kde-moons-samples --repeats 20 --generations 10
result=pass
exit 0
