#!/usr/bin/env bash
# Speed and memory of `adreport compare` at scale (issue 7). Release build, this machine.
#   bash benches/perf.sh            # W1 (1M records), W2 (sample-results), W3 (200 summary points), scaling
#   AIPERF=/path/to/venv/bin/aiperf bash benches/perf.sh   # also `aiperf plot` side by side on W2
# Workloads are generated into a temp dir (W1 is about 3.2 GB) and removed at the end.
# Prints one line per measurement; timings are the median of RUNS runs (default 5), with the
# machine's core count in the header.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin adreport --example gen_aiperf_sweep
bin=$target/release/adreport
gen=$target/release/examples/gen_aiperf_sweep
work=$(mktemp -d "${PERF_DIR:-/tmp}/adreport-perf.XXXXXX")
trap 'rm -rf "$work"' EXIT

# measure NAME RECORDS -- command...: median wall over $runs runs (after one warm-up), peak RSS.
measure() {
  local name=$1 records=$2; shift 3
  "$@" >/dev/null 2>&1 || { echo "$name: command failed: $*"; return 1; }
  local walls=() rss=0
  for _ in $(seq "$runs"); do
    local out
    /usr/bin/time -o "$work/time.txt" -f '%e %M' "$@" >/dev/null 2>&1
    out=$(tail -1 "$work/time.txt")
    walls+=("${out% *}")
    local r=${out#* }
    (( r > rss )) && rss=$r
  done
  local median
  median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  awk -v n="$name" -v w="$median" -v r="$rss" -v rec="$records" 'BEGIN {
    line = sprintf("%s: wall %.2f s, peak RSS %.0f MB", n, w, r / 1024)
    if (rec > 0) line = line sprintf(", %.0f records/s, %.2f us/record", rec / w, w / rec * 1e6)
    print line }'
}

compare_args=(--sla ttft=500,tpot=7)
echo "# adreport $("$bin" --version) on $(nproc) cores, $(date -u +%Y-%m-%d)"

"$gen" --out "$work/w1" --records 1000000 >/dev/null
measure "W1 compare (2 x 16 points, 1,000,000 records)" 1000000 -- \
  "$bin" compare "$work/w1/baseline" "$work/w1/tuned" "${compare_args[@]}" -o "$work/w1-out"
rm -rf "$work/w1"

measure "W2 compare (sample-results/aiperf, 8 points)" 0 -- \
  "$bin" compare sample-results/aiperf/baseline sample-results/aiperf/tuned "${compare_args[@]}" -o "$work/w2-out"

"$gen" --out "$work/w3" --labels w3a,w3b --points 100 --records 200000 --summary-only >/dev/null
measure "W3 compare (200 summary-only points)" 0 -- \
  "$bin" compare "$work/w3/w3a" "$work/w3/w3b" "${compare_args[@]}" -o "$work/w3-out"
rm -rf "$work/w3"

# Cost per record: the same sweep shape at growing size should cost the same per record.
for n in 250000 500000; do
  "$gen" --out "$work/s$n" --records "$n" >/dev/null
  measure "scaling compare ($n records)" "$n" -- \
    "$bin" compare "$work/s$n/baseline" "$work/s$n/tuned" "${compare_args[@]}" -o "$work/s$n-out"
  rm -rf "$work/s$n"
done

if [ -n "${AIPERF:-}" ]; then
  # aiperf plot renders through plotly/kaleido and needs a Chromium (Debian's chromium works).
  mkdir -p "$work/plot-in"
  cp -r sample-results/aiperf/baseline sample-results/aiperf/tuned "$work/plot-in/"
  measure "aiperf plot (sample-results/aiperf, 8 runs)" 0 -- \
    "$AIPERF" plot "$work/plot-in" --output "$work/aiperf-plot-out"
fi
