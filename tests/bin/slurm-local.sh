#!/usr/bin/env bash
# slurm-local.sh - start/stop a REAL private one-node Slurm cluster for the
# tests of `adreport run --slurm` (tests/run_slurm.rs starts and stops it).
#
# NEEDS
#   * root (the daemons run as root; SlurmUser=root)
#   * Debian 12 packages:  apt-get install -y slurmctld slurmd slurm-client munge
#     (tested with Slurm 22.05.8-4+deb12u3, munge 0.5.15)
#   * TCP ports 6817 (slurmctld) and 6818 (slurmd) free on 127.0.0.1
#     (override: SLURM_LOCAL_CTLD_PORT / SLURM_LOCAL_SLURMD_PORT)
#   * no systemd, no cgroups (by default), no network, no /etc/slurm or
#     /etc/munge changes:
#     everything (munge key + socket, slurm.conf, pid files, logs, spool,
#     state, jobcomp log) lives in $SLURM_LOCAL_DIR (default /tmp/adreport-slurm),
#     whose path components must be world-executable (munged insists).
#
# GIVES
#   * one node, named after `hostname -s`, NodeAddr 127.0.0.1, with the real
#     CPU count (from `slurmd -C`; fake more with SLURM_LOCAL_CPUS=N) and
#     RealMemory = 95% of the real memory; DefMemPerCPU = RealMemory/CPUs so
#     that N one-CPU jobs run at once (memory is still a consumable resource:
#     a job with --mem=<most of the node> runs alone);
#   * one partition "debug" (Default=YES, MaxTime=INFINITE);
#   * sbatch/srun/salloc/squeue/scancel/scontrol/sinfo, job arrays,
#     dependencies, time limits; jobs may run as any local user;
#   * NO GPUs / GRES (--gres=gpu:1, --gpus=1 are rejected at submit time with
#     "Invalid generic resource (gres) specification", exit 1);
#   * NO accounting database: sacct prints "Slurm accounting storage is
#     disabled" and exits 1.  A finished job's state/exit code is available
#       - for MinJobAge=300 s after it ends:  scontrol -o show job <id>
#         (JobState=, ExitCode=rc:signal) or  squeue -t all -j <id> -o '%T %r'
#       - forever: one line per job in $SLURM_LOCAL_DIR/log/jobcomp.log
#         (jobcomp/filetxt: JobId= JobState= ExitCode= ArrayJobId= ...)
#   * no cgroups by default: proctrack/linuxproc (scancel/timeouts still kill
#     the whole process tree), task/none (no CPU binding, no memory limit).
#     SLURM_LOCAL_CGROUP=1 switches to proctrack/cgroup + task/cgroup
#     (needs a writable cgroup v1 hierarchy, as on the Debian 12 VM it was
#     tested on; a cgroup-v2-only host without systemd is untested and
#     unlikely to work with Slurm 22.05): --mem is enforced
#     (JobState=OUT_OF_MEMORY) and tasks are bound to their CPUs; stop
#     removes the empty /sys/fs/cgroup/*/slurm_<host> dirs it created.
#
# USAGE
#   slurm-local.sh start    # idempotent; prints "export SLURM_CONF=..." lines
#                           # on stdout (eval them), logs on stderr; returns
#                           # once the node is idle, or exits 1 with the
#                           # daemon logs within $SLURM_LOCAL_TIMEOUT (60) s.
#                           # A cold start begins from empty state (job ids
#                           # restart at 1, old logs moved to *.prev).
#   slurm-local.sh stop     # cancels all jobs of this cluster, stops only the
#                           # daemons that start launched (pid files in
#                           # $SLURM_LOCAL_DIR), exits 0 if nothing is left.
#   slurm-local.sh status   # pids + sinfo; exit 0 iff all daemons are up
#   slurm-local.sh env      # print the export lines again
#
#   eval "$(tools/slurm-local.sh start)"
#   srun hostname; sbatch --array=0-5 --wrap 'echo $SLURM_ARRAY_TASK_ID'
#   tools/slurm-local.sh stop
#
# MEASURED (2-core Debian 12 VM): start 0.4 s (munged -> node idle 0.2 s);
#   srun runs at once; the first batch job waits ~3 s after a cold start,
#   later ones start on the next 1 s scheduler tick; a 6-task array of
#   `sleep 3` takes ~12 s on 2 CPUs (~14 s right after start); a dependent
#   job starts ~2 s after its parent ends; stop ~2 s.
# GOTCHAS
#   * clients need SLURM_CONF (no /etc/slurm/slurm.conf: without it they try
#     DNS SRV "configless" lookup and fail);
#   * `sbatch --wait` polls with back-off (a 12 s array returned after 42 s):
#     poll `squeue -h -j ID` / `scontrol -o show job ID` instead;
#   * `squeue --json` ignores -j and lists every job still in memory,
#     finished ones included; its exit_code is the raw wait status (256 = 1);
#   * a job whose afterok parent failed stays PENDING
#     (DependencyNeverSatisfied) until cancelled;
#   * jobcomp.log: match ' ExitCode=' (there is also DerivedExitCode=); a
#     cancelled job is logged ExitCode=0:0 (scontrol shows 0:15);
#   * time limits have 1-minute granularity (--time=00:00:05 -> 1 min,
#     killed after 66 s here); EnforcePartLimits=ALL rejects -N 2, -c >CPUs.
#
# Extra slurm.conf lines may be passed in SLURM_LOCAL_EXTRA_CONF (appended
# last; a key given there replaces the generated line with that key), e.g.
#   SLURM_LOCAL_EXTRA_CONF=$'MinJobAge=3600\nKillWait=30'
# Other knobs: SLURM_LOCAL_CPUS=N (advertise N CPUs whatever the hardware,
# via SlurmdParameters=config_overrides; no binding so oversubscription is
# harmless), SLURM_LOCAL_TIMEOUT (60).
set -euo pipefail

DIR=$(realpath -m -- "${SLURM_LOCAL_DIR:-/tmp/adreport-slurm}")
CTLD_PORT=${SLURM_LOCAL_CTLD_PORT:-6817}
SLURMD_PORT=${SLURM_LOCAL_SLURMD_PORT:-6818}
TIMEOUT=${SLURM_LOCAL_TIMEOUT:-60}
CONF=$DIR/slurm.conf
SOCK=$DIR/munge/munge.socket
MUNGE_PID=$DIR/munge/munged.pid
CTLD_PID=$DIR/slurmctld.pid
SLURMD_PID=$DIR/slurmd.pid
# marker put in the daemons' environment (slurmstepd inherits it)
MARK="SLURM_LOCAL_OWNER=$DIR"

log() { echo "slurm-local: $*" >&2; }
die() { echo "slurm-local: ERROR: $*" >&2; exit 1; }

# pid from a pid file, only if that process is alive and was started by us
# (its command line mentions $DIR/)
ours() {
    local f=$1 pid
    [[ -s $f ]] || return 1
    pid=$(tr -dc '0-9' <"$f")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/" || return 1
    echo "$pid"
}

node_state() { SLURM_CONF=$CONF timeout 10 sinfo -h -N -o '%T' 2>/dev/null | head -n1; }

print_env() {
    printf 'export SLURM_CONF=%q\n' "$CONF"
    printf 'export SLURM_LOCAL_DIR=%q\n' "$DIR"
    echo "# jobcomp log (finished jobs): $DIR/log/jobcomp.log"
    echo "# daemon logs: $DIR/log/slurmctld.log $DIR/log/slurmd.log $DIR/munge/munged.log"
}

dump_logs() {
    local f
    for f in "$DIR/log/start.log" "$DIR/munge/munged.log" "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log"; do
        [[ -f $f ]] && { echo "----- tail $f" >&2; tail -n 25 "$f" >&2; }
    done
    return 0
}

# wait_for SECONDS CMD... : poll CMD every 0.1 s
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# start failed: show the logs, stop whatever was launched, exit 1
fail() {
    dump_logs
    (cmd_stop) >/dev/null 2>&1 || true
    die "$* (logs kept in $DIR/log, $DIR/munge)"
}

died() {   # died NAME PIDFILE LOGFILE: daemon hit fatal or is gone
    grep -qs 'fatal:' "$3" "$DIR/log/start.log" && return 0
    [[ -s $2 ]] && ! ours "$2" >/dev/null && return 0
    return 1
}
ctld_ready() {
    SLURM_CONF=$CONF timeout 5 scontrol ping 2>/dev/null | grep -q 'is UP' && return 0
    died slurmctld "$CTLD_PID" "$DIR/log/slurmctld.log" && return 0
    return 1
}
node_ready() {
    case $(node_state) in idle | inval*) return 0 ;; esac   # inval: give up now
    died slurmd "$SLURMD_PID" "$DIR/log/slurmd.log" && return 0
    died slurmctld "$CTLD_PID" "$DIR/log/slurmctld.log" && return 0
    return 1
}

port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

none_alive() { local p; for p; do kill -0 "$p" 2>/dev/null && return 1; done; return 0; }

# stop_daemons NAME=PIDFILE... : SIGTERM all (in parallel), SIGKILL after 10 s
stop_daemons() {
    local a pid pids=()
    for a; do
        pid=$(ours "${a#*=}") || continue
        log "stopping ${a%%=*} (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid")
    done
    ((${#pids[@]})) || return 0
    STOPPED=1
    if ! wait_for 10 none_alive "${pids[@]}"; then
        log "sending SIGKILL to ${pids[*]}"
        kill -KILL "${pids[@]}" 2>/dev/null || true
        wait_for 5 none_alive "${pids[@]}" || true
    fi
    for a; do rm -f "${a#*=}"; done
}

# slurmstepd processes (and their job processes) left behind by our slurmd
stray_stepds() {
    local p
    for p in /proc/[0-9]*; do
        [[ $(cat "$p/comm" 2>/dev/null) == slurmstepd ]] || continue
        tr '\0' '\n' <"$p/environ" 2>/dev/null | grep -qxF -- "$MARK" && echo "${p#/proc/}"
    done
    return 0
}

jobs_gone() {
    [[ -z $(SLURM_CONF=$CONF timeout 5 squeue -h -t running,completing,configuring -o %A 2>/dev/null) ]]
}

cmd_stop() {
    STOPPED=0
    if ours "$CTLD_PID" >/dev/null && ours "$SLURMD_PID" >/dev/null; then
        local jobs
        jobs=$(SLURM_CONF=$CONF timeout 10 squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ' || true)
        if [[ -n ${jobs// } ]]; then
            log "cancelling jobs: $jobs"
            # shellcheck disable=SC2086
            SLURM_CONF=$CONF timeout 10 scancel $jobs 2>/dev/null || true
            if ! wait_for 2 jobs_gone; then
                # shellcheck disable=SC2086
                SLURM_CONF=$CONF timeout 10 scancel --full --signal=KILL $jobs 2>/dev/null || true
                wait_for 15 jobs_gone || log "jobs still running after 17 s, killing their slurmstepd"
            fi
        fi
    fi
    stop_daemons slurmd="$SLURMD_PID" slurmctld="$CTLD_PID" munged="$MUNGE_PID"
    local s
    s=$(stray_stepds | tr '\n' ' ')
    if [[ -n ${s// } ]]; then
        STOPPED=1
        log "killing leftover slurmstepd: $s"
        # shellcheck disable=SC2086
        kill -KILL $s 2>/dev/null || true
    fi
    s=$(stray_stepds | tr '\n' ' ')
    [[ -z ${s// } ]] || die "slurmstepd still alive: $s"
    if [[ -s $DIR/cgroup.created ]]; then   # SLURM_LOCAL_CGROUP=1 leftovers
        local c
        while read -r c; do
            if [[ $c == /sys/fs/cgroup/*/slurm_* && -d $c ]]; then
                find "$c" -depth -type d -exec rmdir {} + 2>/dev/null || log "could not remove $c"
            fi
        done <"$DIR/cgroup.created"
        rm -f "$DIR/cgroup.created"
    fi
    if ((STOPPED)); then log "stopped"; else log "nothing of ours was running ($DIR)"; fi
}

write_conf() {
    local host cpus mem hw line realmem
    host=$(hostname -s)
    [[ -n $host ]] || die "hostname -s is empty"
    # e.g. NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105
    line=$(slurmd -C | head -n1)
    mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$line")
    cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<<"$line")
    [[ -n $mem && -n $cpus ]] || die "cannot parse 'slurmd -C': $line"
    realmem=$((mem * 95 / 100))
    local cg="# ProctrackType/TaskPlugin above: no cgroups"
    if [[ ${SLURM_LOCAL_CGROUP:-0} == 1 ]]; then
        printf 'CgroupPlugin=autodetect\nConstrainCores=yes\nConstrainRAMSpace=yes\n' >"$DIR/cgroup.conf"
        cg=$'ProctrackType=proctrack/cgroup\nTaskPlugin=task/cgroup,task/affinity'
        local c
        for c in /sys/fs/cgroup/{cpuset,freezer,memory}; do
            if [[ -d $c && ! -e $c/slurm_$host ]]; then echo "$c/slurm_$host" >>"$DIR/cgroup.created"; fi
        done
    else
        rm -f "$DIR/cgroup.conf"
    fi
    if [[ -n ${SLURM_LOCAL_CPUS:-} ]]; then
        cpus=$SLURM_LOCAL_CPUS
        hw="CPUs=$cpus"
    else
        hw=$(grep -o 'CPUs=.*ThreadsPerCore=[0-9]*' <<<"$line")
    fi
    cat >"$CONF.base" <<EOF
# generated by slurm-local.sh $(date -Is)
ClusterName=local
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SOCK
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
StateSaveLocation=$DIR/spool/ctld
SlurmdSpoolDir=$DIR/spool/d
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$DIR/plugstack.conf
MailProg=/bin/true
MpiDefault=none
$(if [[ ${SLURM_LOCAL_CGROUP:-0} != 1 ]]; then printf 'ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none'; fi)
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.log
SchedulerType=sched/backfill
# CI tuning: consider new batch jobs every 1 s instead of every 3 s
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=$((realmem / cpus))
EnforcePartLimits=ALL
ReturnToService=2
KillWait=5
SlurmdParameters=config_overrides
$cg
NodeName=$host NodeHostname=$host NodeAddr=127.0.0.1 $hw RealMemory=$realmem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    # SLURM_LOCAL_EXTRA_CONF lines replace generated lines with the same key
    printf '%s\n' "${SLURM_LOCAL_EXTRA_CONF:-}" >"$CONF.extra"
    # (NodeName= / PartitionName= lines are added, never replaced)
    awk -F= 'NR == FNR { k = tolower($1)
                         if (k ~ /^[a-z]/ && k != "nodename" && k != "partitionname") seen[k] = 1
                         next }
             !(tolower($1) in seen)' "$CONF.extra" "$CONF.base" >"$CONF"
    cat "$CONF.extra" >>"$CONF"
    rm -f "$CONF.base" "$CONF.extra"
    : >"$DIR/plugstack.conf"
    echo "$host"
}

cmd_start() {
    [[ $(id -u) == 0 ]] || die "must run as root"
    local b
    for b in munged mungekey munge unmunge slurmctld slurmd sinfo scontrol; do
        command -v "$b" >/dev/null || die "$b not found: apt-get install -y slurmctld slurmd slurm-client munge"
    done

    # idempotent: already fully up -> just print the env
    if ours "$MUNGE_PID" >/dev/null && ours "$CTLD_PID" >/dev/null && ours "$SLURMD_PID" >/dev/null; then
        case $(node_state) in
            idle | mixed | allocated | completing)
                log "already running ($DIR)"; print_env; return 0 ;;
        esac
    fi
    # partially up / stale -> stop what is ours and start from scratch
    (cmd_stop) || true

    local t0=$SECONDS host r0=${EPOCHREALTIME:-0}
    port_busy "$CTLD_PORT" && die "port $CTLD_PORT already in use (another slurmctld?); set SLURM_LOCAL_CTLD_PORT"
    port_busy "$SLURMD_PORT" && die "port $SLURMD_PORT already in use (another slurmd?); set SLURM_LOCAL_SLURMD_PORT"

    # fresh state, keep previous logs as *.prev
    mkdir -p "$DIR" "$DIR/munge" "$DIR/log"
    chmod 755 "$DIR" "$DIR/munge"
    rm -rf "$DIR/spool" "$SOCK" "$SOCK.lock"
    mkdir -p "$DIR/spool/ctld" "$DIR/spool/d"
    for b in log/start.log log/slurmctld.log log/slurmd.log log/jobcomp.log munge/munged.log; do
        if [[ -f $DIR/$b ]]; then mv -f "$DIR/$b" "$DIR/$b.prev"; fi
    done

    # 1. munge (private key + socket)
    if [[ ! -s $DIR/munge/munge.key ]]; then
        mungekey --create --keyfile="$DIR/munge/munge.key" 2>/dev/null ||
            dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
    fi
    chmod 400 "$DIR/munge/munge.key"
    # daemons get no terminal: stdio -> log/start.log (so that
    # "$(slurm-local.sh start)" and CI steps never wait on an open pipe)
    env "$MARK" munged --socket="$SOCK" --key-file="$DIR/munge/munge.key" \
        --pid-file="$MUNGE_PID" --log-file="$DIR/munge/munged.log" \
        --seed-file="$DIR/munge/munged.seed" </dev/null >>"$DIR/log/start.log" 2>&1 ||
        fail "munged failed to start"
    wait_for 10 bash -c "munge -n -S '$SOCK' </dev/null | unmunge -S '$SOCK' >/dev/null 2>&1" ||
        fail "munge credential round-trip failed"

    # 2. slurm.conf + daemons
    host=$(write_conf) || fail "cannot write $CONF"
    export SLURM_CONF=$CONF
    env "$MARK" slurmctld -f "$CONF" </dev/null >>"$DIR/log/start.log" 2>&1 || fail "slurmctld failed to start"
    if ! wait_for 15 ctld_ready || died slurmctld "$CTLD_PID" "$DIR/log/slurmctld.log"; then
        fail "slurmctld did not come up"
    fi
    env "$MARK" slurmd -f "$CONF" -N "$host" </dev/null >>"$DIR/log/start.log" 2>&1 || fail "slurmd failed to start"

    # 3. wait for the node to be idle
    local left=$((TIMEOUT - (SECONDS - t0)))
    ((left > 0)) || left=1
    wait_for "$left" node_ready || true
    local st
    st=$(node_state)
    if [[ $st != idle ]]; then
        SLURM_CONF=$CONF scontrol show node >&2 2>/dev/null || true
        fail "node not idle after $((SECONDS - t0)) s (state '$st', limit ${TIMEOUT} s)"
    fi
    log "cluster up in $(awk -v a="$r0" -v b="${EPOCHREALTIME:-0}" 'BEGIN { printf "%.2f", b - a }') s: node $host, $(SLURM_CONF=$CONF sinfo -h -o '%c CPUs, %m MB, partition %P')"
    print_env | tee "$DIR/env"
}

cmd_status() {
    local rc=0 n f
    for n in munged:$MUNGE_PID slurmctld:$CTLD_PID slurmd:$SLURMD_PID; do
        f=${n#*:}
        if p=$(ours "$f"); then log "${n%%:*} running (pid $p)"; else log "${n%%:*} not running"; rc=1; fi
    done
    ((rc == 0)) && SLURM_CONF=$CONF sinfo >&2
    return $rc
}

case ${1:-} in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) print_env ;;
    *) echo "usage: $0 start|stop|status|env   (state dir: \$SLURM_LOCAL_DIR, default /tmp/adreport-slurm)" >&2; exit 2 ;;
esac
