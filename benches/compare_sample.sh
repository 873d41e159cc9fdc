#!/usr/bin/env bash
# Benchmark: the full `adreport compare` on the bundled sample-results/, release build.
# Prints wall time (min / median / max over RUNS runs) and peak RSS. Not a test: numbers only.
#   bash benches/compare_sample.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/adreport"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args=(compare sample-results/aiperf/baseline sample-results/aiperf/tuned --sla ttft=500,tpot=7 -o "$out/report")
"$bin" "${args[@]}" >/dev/null   # warm the page cache
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s.%N)
  NO_COLOR=1 "$bin" "${args[@]}" >/dev/null
  end=$(date +%s.%N)
  times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')")
done
rss_kb=$(/usr/bin/time -f '%M' "$bin" "${args[@]}" 2>&1 >/dev/null | tail -1)
printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$runs" -v rss="$rss_kb" '
  { t[NR] = $1 }
  END { printf "compare sample-results: runs %d, wall min %.3f s, median %.3f s, max %.3f s, peak RSS %.1f MB\n",
        runs, t[1], t[int((NR + 1) / 2)], t[NR], rss / 1024 }'
