#!/usr/bin/env bash
# How long chromium takes to load report.html of a 16-point x 3-label compare (issue 23: < 1 s).
#   bash benches/report_load.sh        # RUNS (default 5) runs of the browser test, median
# Each run of `render_charts_browser`'s 16x3 test loads the page three times in real headless
# chromium and prints the best load event as a BENCH line; this prints the median over the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
cargo test --quiet --test render_charts_browser --no-run >/dev/null 2>&1
times=()
for _ in $(seq "$runs"); do
  line=$(cargo test --quiet --test render_charts_browser chromium_loads_a_16_point -- --nocapture 2>/dev/null | grep '^BENCH' | head -1)
  echo "$line"
  times+=("$(sed -E 's/.*load event ([0-9]+) ms.*/\1/' <<<"$line")")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "# report.html 16x3 load event in chromium: median ${median} ms over $runs runs on $(nproc) cores"
