#!/usr/bin/env bash
# Regenerates the real guidellm, inference-perf and aiperf fixtures (tests/data/guidellm/,
# tests/data/inference-perf/, tests/data/llm-d/inference-perf-0.7.0-partial/,
# tests/data/cross_tool/) by running the
# real tools, installed from the package indexes into throw-away venvs under WORK, against
# the project's mock server (examples/mock_openai_server.rs). Offline apart from the package
# indexes. Not part of CI: CI reads the committed files.
#
#   tests/bin/peer-fixtures.sh [WORK]     (WORK defaults to /tmp/adreport-peer-fixtures)
#
# Needs: cargo, Debian's python3 (3.11) with apt access (python3-torch, for guidellm),
# a Python >= 3.12 (`python3.12` on PATH, or PY312=/path/to/python3.12) for inference-perf.
# The numbers differ from run to run (the mock jitters each request by 5 %); the tests read
# the committed files, so after regenerating, update the expected values in
# tests/ingest_peer_tools.rs from the new files.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${1:-/tmp/adreport-peer-fixtures}
PORT=${PORT:-18765}
# The first Python >= 3.12 that runs (pyenv's shims exist for versions they will not run).
if [ -z "${PY312:-}" ]; then
  for c in python3.13 python3.12 "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python; do
    if "$c" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then PY312=$c; break; fi
  done
fi
[ -n "${PY312:-}" ] || { echo "inference-perf needs Python >= 3.12; set PY312=/path/to/python" >&2; exit 1; }
mkdir -p "$WORK"
cd "$WORK"

# 1. The mock server: 20 ms to the first token, 2 ms per token, 5 % per-request jitter.
# (MOCK=/path/to/mock_openai_server uses a binary already built.)
if [ -z "${MOCK:-}" ]; then
  cargo build --quiet --manifest-path "$REPO/Cargo.toml" --example mock_openai_server
  MOCK="${CARGO_TARGET_DIR:-$REPO/target}/debug/examples/mock_openai_server"
fi
"$MOCK" --port "$PORT" --ttft-ms 20 --itl-ms 2 --jitter 0.05 --speed-seed 7 >"$WORK/mock.log" 2>&1 &
MOCK_PID=$!
trap 'kill "$MOCK_PID" 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done

# 2. A tokenizer without the network: the DeepSeek tokenizer.json the litellm wheel bundles.
python3 -m venv "$WORK/venv-dl"
"$WORK/venv-dl/bin/pip" download -q --no-deps litellm==1.109.1 -d "$WORK/wheels"
mkdir -p "$WORK/tok/hf"
unzip -o -q -j "$WORK"/wheels/litellm-1.109.1-*.whl \
  litellm/litellm_core_utils/tokenizers/deepseek_tokenizer.json -d "$WORK/tok"
mv "$WORK/tok/deepseek_tokenizer.json" "$WORK/tok/hf/tokenizer.json"
echo '{"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 16384, "bos_token": null, "eos_token": null}' \
  >"$WORK/tok/hf/tokenizer_config.json"
TOK="$WORK/tok/hf"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1

# 3. guidellm 0.8.1. Its data loader imports torch; PyPI's torch pulls gigabytes of CUDA
#    libraries, so Debian's CPU-only python3-torch (1.13.1) is used through a venv on
#    Debian's python3 with --system-site-packages; guidellm itself with --no-deps plus its
#    declared runtime dependencies except torch (and jinja2, imported at start-up).
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-torch
fi
/usr/bin/python3 -m venv --system-site-packages "$WORK/venv-guidellm"
"$WORK/venv-guidellm/bin/pip" install -q --no-deps guidellm==0.8.1
"$WORK/venv-guidellm/bin/pip" install -q "click~=8.4.0" "culsans~=0.10.0" "datasets>=5.0.1" \
  eval_type_backport faker "ftfy>=6.0.0" "httpx[http2]<1.0.0" loguru msgpack "numpy>=2.0.0" \
  protobuf "pydantic>=2.11.7" "pydantic-settings>=2.0.0" "pyyaml>=6.0.0" rich sanic tabulate \
  transformers "uvloop>=0.18" "more-itertools>=10.8.0" "typing-extensions>=4.15.0" \
  "websockets>=13.0" jinja2
G=("$WORK/venv-guidellm/bin/guidellm" run
  --backend "kind=openai_http,target=http://127.0.0.1:$PORT,model=mock-llm"
  --data kind=synthetic_text,prompt_tokens=128,output_tokens=64
  --tokenizer "kind=huggingface_auto,model=$TOK"
  --constraint kind=max_requests,count=40 --disable-console-interactive)
"${G[@]}" --profile '{"kind": "concurrent", "streams": [1, 4, 8]}' \
  --output "kind=json,path=$WORK/guidellm/concurrent/benchmarks.json" \
  --output "kind=yaml,path=$WORK/guidellm/concurrent/benchmarks.yaml" \
  --output "kind=csv,path=$WORK/guidellm/concurrent/benchmarks.csv" >"$WORK/guidellm-concurrent.log" 2>&1
"${G[@]}" --profile '{"kind": "sweep", "sweep_size": 5, "strategy_type": "poisson"}' \
  --output "kind=json,path=$WORK/guidellm/sweep/benchmarks.json" >"$WORK/guidellm-sweep.log" 2>&1

# 4. inference-perf 0.7.0 (Python >= 3.12), with the configs kept beside the fixtures.
"$PY312" -m venv "$WORK/venv-ip"
"$WORK/venv-ip/bin/pip" install -q inference-perf==0.7.0
for kind in rate concurrent; do
  sed -e "s#/tmp/tok/hf#$TOK#" -e "s#http://127.0.0.1:18765#http://127.0.0.1:$PORT#" \
    -e "s#/tmp/fx/ip/$kind#$WORK/inference-perf/$kind#" \
    "$REPO/tests/data/inference-perf/config_$kind.yml" >"$WORK/config_$kind.yml"
  "$WORK/venv-ip/bin/inference-perf" -c "$WORK/config_$kind.yml" >"$WORK/ip-$kind.log" 2>&1
done

# 5. One server, two tools (tests/data/cross_tool/): aiperf 0.13.0 and guidellm, three repeats
#    each at concurrency 1, 4, 8, alternating. aiperf's builtin tokenizer needs tiktoken's BPE
#    files, taken from the same litellm wheel.
mkdir -p "$WORK/tiktoken"
unzip -o -q -j "$WORK"/wheels/litellm-1.109.1-*.whl \
  litellm/litellm_core_utils/tokenizers/fb374d419588a4632f3f557e76b4b70aebbca790 \
  litellm/litellm_core_utils/tokenizers/9b5ad71b2ce5302211f9c61530b329a4922fc6a4 -d "$WORK/tiktoken"
python3 -m venv "$WORK/venv-aiperf"
"$WORK/venv-aiperf/bin/pip" install -q aiperf==0.13.0
for R in 1 2 3; do
  for C in 1 4 8; do
    TIKTOKEN_CACHE_DIR="$WORK/tiktoken" "$WORK/venv-aiperf/bin/aiperf" profile --model mock-llm \
      --tokenizer builtin --url "127.0.0.1:$PORT" --endpoint-type chat --streaming \
      --concurrency $C --request-count 40 --isl 128 --osl 64 \
      --artifact-dir "$WORK/cross_tool/aiperf/rep_$R/isl_128_osl_64_conc_$C" \
      --num-warmup-requests 1 --extra-inputs '{"ignore_eos": true, "min_tokens": 64}' >"$WORK/aiperf-$R-$C.log" 2>&1
    rm -rf "$WORK/cross_tool/aiperf/rep_$R/isl_128_osl_64_conc_$C/logs" \
      "$WORK/cross_tool/aiperf/rep_$R/isl_128_osl_64_conc_$C/inputs.json"
  done
  if [ "$R" = 1 ]; then
    mkdir -p "$WORK/cross_tool/guidellm/rep_1"
    cp "$WORK/guidellm/concurrent/benchmarks.json" "$WORK/cross_tool/guidellm/rep_1/"
  else
    "${G[@]}" --profile '{"kind": "concurrent", "streams": [1, 4, 8]}' \
      --output "kind=json,path=$WORK/cross_tool/guidellm/rep_$R/benchmarks.json" >"$WORK/guidellm-rep-$R.log" 2>&1
  fi
done

# 6. Into the repository.
rm -rf "$REPO/tests/data/guidellm/concurrent" "$REPO/tests/data/guidellm/sweep" \
  "$REPO/tests/data/inference-perf/rate" "$REPO/tests/data/inference-perf/concurrent" \
  "$REPO/tests/data/cross_tool/aiperf" "$REPO/tests/data/cross_tool/guidellm"
cp -r "$WORK/cross_tool/aiperf" "$WORK/cross_tool/guidellm" "$REPO/tests/data/cross_tool/"
cp -r "$WORK/guidellm/concurrent" "$WORK/guidellm/sweep" "$REPO/tests/data/guidellm/"
cp -r "$WORK/inference-perf/rate" "$WORK/inference-perf/concurrent" "$REPO/tests/data/inference-perf/"
cp "$WORK/inference-perf/rate/inference-perf.partial.stage_2.yaml" \
  "$REPO/tests/data/llm-d/inference-perf-0.7.0-partial/"
echo "fixtures regenerated from $WORK"
