#!/usr/bin/env bash
# Speed and size of `adreport history` at scale: a history of RUNS runs x 16 points x 40
# metrics (default 10,000 runs), then `history add` of one more 16-point aiperf sweep and
# `history check` over every series of the newest 60, 200, 1,000 and all runs; then a history
# of 1,000 runs with a +25 % step at run 700 (the issue 24 target: check names night-00700).
# Release build, this machine.
#   bash benches/history.sh          # RUNS=1000 bash benches/history.sh for a quick look
# Prints one line per measurement; timings are the median of REPEAT runs (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-10000}
repeat=${REPEAT:-5}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin adreport --example gen_history_db --example gen_aiperf_sweep
bin=$target/release/adreport
work=$(mktemp -d "${BENCH_DIR:-/tmp}/adreport-history.XXXXXX")
trap 'rm -rf "$work"' EXIT
db=$work/history.db

ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "# adreport $("$bin" --version) on $(nproc) cores, $(date -u +%Y-%m-%d)"
t0=$(ms)
"$target/release/examples/gen_history_db" --db "$db" --runs "$runs" --points 16 --metrics 40 >/dev/null
t1=$(ms)
echo "filled the history: $runs runs x 16 points x 40 metrics in $(( (t1 - t0) / 1000 )) s"
# Fold the WAL into the main file so the size is the database's own.
"$bin" history list --db "$db" --last 1 >/dev/null
python3 - "$db" <<'PY' 2>/dev/null || true
import sqlite3, sys
sqlite3.connect(sys.argv[1]).execute("PRAGMA wal_checkpoint(TRUNCATE)")
PY
size=$(du -b "$db" | cut -f1)
echo "database size: $(( size / 1024 / 1024 )) MB ($(( size / runs )) bytes per run, $(( size / runs / 640 )) bytes per value)"

"$target/release/examples/gen_aiperf_sweep" --out "$work/sweep" --labels nightly --points 16 \
  --records 16000 --summary-only >/dev/null
walls=()
for i in $(seq "$repeat"); do
  t0=$(ms)
  "$bin" history add "$work/sweep/nightly" --db "$db" --run-id "bench-$i" \
    --time "2099-01-0${i}T00:00:00Z" >/dev/null
  t1=$(ms)
  walls+=($(( t1 - t0 )))
done
echo "history add (16-point aiperf sweep, $runs runs stored): median $(printf '%s\n' "${walls[@]}" | median) ms"

for last in 60 200 1000 "$runs"; do
  walls=()
  for _ in $(seq "$repeat"); do
    t0=$(ms)
    "$bin" history check --db "$db" --last "$last" --fail-on-regression 10 >"$work/check.txt" || true
    t1=$(ms)
    walls+=($(( t1 - t0 )))
  done
  echo "history check --last $last (every series): median $(printf '%s\n' "${walls[@]}" | median) ms; $(grep -E '^[0-9]+ runs' "$work/check.txt")"
done

# 1,000 runs, +25 % at run 700 in one series of every 20, +-3 % noise elsewhere.
step_db=$work/step.db
"$target/release/examples/gen_history_db" --db "$step_db" --runs 1000 --points 16 --metrics 40 \
  --step-at 700 --step-pct 25 >/dev/null
walls=()
for _ in $(seq "$repeat"); do
  t0=$(ms)
  "$bin" history check --db "$step_db" --last 1000 --fail-on-regression 10 >"$work/check.txt" || true
  t1=$(ms)
  walls+=($(( t1 - t0 )))
done
named=$(grep -c 'FAIL.*night-00700' "$work/check.txt" || true)
echo "history check, 1000 runs with a +25 % step at run 700: median $(printf '%s\n' "${walls[@]}" | median) ms; $named series gate on first_bad night-00700 (32 stepped)"
