#!/usr/bin/env bash
# End to end with the real client: `adreport run online` launches the mock OpenAI server
# (examples/mock_openai_server.rs) and sweeps it with aiperf from PyPI; then `show` and
# `report` read the results. aiperf cannot download a tokenizer here, so a tiny one is built
# offline with the `tokenizers` package. When PyPI is unreachable: skipped with a message,
# or a failure when CI is set. Measured on a 2-core machine: install ~2 min, sweep ~35 s.
set -euo pipefail
cd "$(dirname "$0")/.."

AIPERF_VERSION=0.13.0
VENV=${AIPERF_VENV:-${TMPDIR:-/tmp}/adreport-aiperf-$AIPERF_VERSION}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# Reachability through pip's own configured index, so no address is written here.
if ! timeout 60 python3 -m pip index versions aiperf >/dev/null 2>&1 && ! timeout 60 python3 -m pip download --no-deps -q -d "$WORK/probe" "aiperf==$AIPERF_VERSION" >/dev/null 2>&1; then
  if [ -n "${CI:-}" ]; then
    echo "e2e_aiperf: FAILED: the Python package index is unreachable, so aiperf cannot be installed; CI is set, so this test must run" >&2
    exit 1
  fi
  echo "SKIP e2e_aiperf: the Python package index is unreachable; cannot install aiperf (with CI set this fails)"
  exit 0
fi

if [ ! -x "$VENV/bin/aiperf" ]; then
  echo "e2e_aiperf: installing aiperf $AIPERF_VERSION into $VENV"
  start=$(date +%s)
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "aiperf==$AIPERF_VERSION"
  echo "e2e_aiperf: installed in $(( $(date +%s) - start )) s"
fi
"$VENV/bin/aiperf" --version
"$VENV/bin/python" tests/clients/make_tokenizer.py "$WORK/tokenizer"

cargo build --bin adreport --example mock_openai_server
TARGET=${CARGO_TARGET_DIR:-target}/debug
PORT=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")

start=$(date +%s)
"$TARGET/adreport" run online \
  --server-cmd "$TARGET/examples/mock_openai_server --port $PORT --ttft-ms 10 --itl-ms 2" \
  --client aiperf --client-cmd "$VENV/bin/aiperf" --tokenizer "$WORK/tokenizer" \
  --concurrencies "1 2 4" --rounds 2 --isl 32 --osl 16 --ready-timeout 60 --point-timeout 300 \
  -o "$WORK/out"
echo "e2e_aiperf: sweep took $(( $(date +%s) - start )) s"

"$TARGET/adreport" show "$WORK/out" --format json > "$WORK/points.json"
python3 - "$WORK/points.json" <<'PY'
import json, sys
points = json.load(open(sys.argv[1]))
assert [p["concurrency"] for p in points] == [1, 2, 4], points
for p in points:
    c = p["concurrency"]
    assert p["source"] == "aiperf" and p["label"] == "sweep", p
    assert p["model"] == "mock-llm", p             # learnt from /v1/models
    assert (p["isl"], p["osl"]) == (32, 16), p
    assert p["requests_ok"] == 2 * c, p          # --rounds 2
    assert p["ttft_avg_ms"] >= 10, p             # the mock sends token i at 10 + 2i ms,
    assert p["e2el_min_ms"] >= 40, p             # so the 16th no sooner than 40 ms in
print("e2e_aiperf: 3 points read back:", [(p["concurrency"], round(p["ttft_avg_ms"], 1)) for p in points])
PY
for c in 1 2 4; do
  test -f "$WORK/out/sweep/isl_32_osl_16_conc_$c/.complete"
  grep -q '"status": "complete"' "$WORK/out/sweep/isl_32_osl_16_conc_$c/run.json"
done
"$TARGET/adreport" report "$WORK/out/sweep" -o "$WORK/report" > /dev/null
test -s "$WORK/report/SUMMARY.txt"
echo "e2e_aiperf: OK"
