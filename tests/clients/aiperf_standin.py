#!/usr/bin/env python3
"""A stand-in for `aiperf profile`, Python stdlib only, for the runner tests.

It takes aiperf's argument set (as `adreport run online --client aiperf` passes it), sends
real streaming chat requests to the server at --url with --concurrency workers, measures
each request, and writes an aiperf 0.13-format artifact directory with the measured numbers:
`profile_export_aiperf.json` (schema 1.4 keys, each metric {unit, avg, p1..p99, min, max,
std, count, sum}), `profile_export.jsonl` (one record per request, warmup included, phase in
metadata.benchmark_phase), `phase_manifest.json` (the profiling phase's start and end in ns)
and `.aiperf_results_ready.json`. `--gpu-telemetry` is accepted and ignored (no GPU here). The structure copies real
aiperf 0.13.0 output (shared/fixtures/real/aiperf/baseline/isl_128_osl_64_conc_1).

Fault hooks for tests, from the environment:
  STANDIN_FAIL_AT_CONC=C   exit 2 at concurrency C before sending anything
  STANDIN_HANG_AT_CONC=C   sleep forever at concurrency C
  STANDIN_DELAY_S=S        sleep S seconds before writing results (widens the Ctrl-C window)

Against the mock server in --virtual-time with --max-batch (its /v1/models says so), requests
go one at a time in the order of the virtual clock (the worker whose clock is earliest sends
next, with mock_t0_ms and mock_clock), so the server's queue sees them in the order a real one
would and the results are the same on every run.
"""

import argparse
import http.client
import json
import math
import os
import shlex
import sys
import threading
import time
import urllib.parse
import uuid

VERSION = "0.13.0"


def parse_args(argv):
    p = argparse.ArgumentParser(prog="aiperf")
    p.add_argument("subcommand", choices=["profile"])
    p.add_argument("--model", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--endpoint-type", default="chat")
    p.add_argument("--streaming", action="store_true")
    p.add_argument("--concurrency", type=int, required=True)
    p.add_argument("--request-count", type=int, required=True)
    p.add_argument("--isl", type=int, default=550)
    p.add_argument("--osl", type=int, default=150)
    p.add_argument("--extra-inputs", default="{}")
    p.add_argument("--num-warmup-requests", type=int, default=0)
    p.add_argument("--request-timeout-seconds", type=float, default=600.0)
    p.add_argument("--artifact-dir", required=True)
    p.add_argument("--tokenizer", default=None)
    return p.parse_known_args(argv)


def one_request(url, model, isl, osl, extra, timeout):
    """Sends one streaming chat request; returns (record metrics, error or None, start/end ns)."""
    u = urllib.parse.urlparse(url if "://" in url else "http://" + url)
    body = {
        "model": model,
        "messages": [{"role": "user", "content": " ".join(["word"] * isl)}],
        "max_completion_tokens": osl,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    body.update(extra)
    start = time.perf_counter_ns()
    start_wall = time.time_ns()
    chunks = []
    virtual = False
    try:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        conn.request("POST", "/v1/chat/completions", json.dumps(body),
                     {"Content-Type": "application/json"})
        resp = conn.getresponse()
        if resp.status != 200:
            msg = resp.read().decode("utf-8", "replace")[:200]
            raise RuntimeError(f"HTTP {resp.status}: {msg}", resp.status)
        for raw in resp:
            line = raw.decode("utf-8", "replace").strip()
            if not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            event = json.loads(data)
            choices = event.get("choices") or []
            if choices and choices[0].get("delta", {}).get("content"):
                # The mock server's --virtual-time: the token's time is in the event, no clock.
                if "mock_t_ms" in event:
                    virtual = True
                    chunks.append(start + int(event["mock_t_ms"] * 1e6))
                else:
                    chunks.append(time.perf_counter_ns())
        conn.close()
    except Exception as e:  # connection refused/reset, HTTP errors: a failed request
        code = e.args[1] if len(e.args) > 1 and isinstance(e.args[1], int) else 502
        return None, {"code": code, "type": type(e).__name__, "message": str(e.args[0] if e.args else e)}, start_wall
    end = chunks[-1] if virtual else time.perf_counter_ns()
    if not chunks:
        return None, {"code": 502, "type": "EmptyResponse", "message": "no tokens"}, start_wall
    ms = lambda ns: ns / 1e6
    ttft = ms(chunks[0] - start)
    latency = ms(end - start)
    n = len(chunks)
    icl = [ms(b - a) for a, b in zip(chunks, chunks[1:])]
    itl = (latency - ttft) / (n - 1) if n > 1 else None
    metrics = {
        "request_latency": (latency, "ms"),
        "time_to_first_token": (ttft, "ms"),
        "input_sequence_length": (isl, "tokens"),
        "output_sequence_length": (n, "tokens"),
        "output_token_count": (n, "tokens"),
    }
    if icl:
        metrics["time_to_second_token"] = (icl[0], "ms")
        metrics["inter_chunk_latency"] = (icl, "ms")
    if itl is not None:
        metrics["inter_token_latency"] = (itl, "ms")
        metrics["output_token_throughput_per_user"] = (1000.0 / itl if itl > 0 else None, "tokens/sec/user")
    if virtual:
        metrics["_virtual"] = True
    return metrics, None, start_wall


def server_queues_virtually(url):
    """Whether the server is the mock in --virtual-time with --max-batch."""
    u = urllib.parse.urlparse(url if "://" in url else "http://" + url)
    try:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        conn.request("GET", "/v1/models")
        models = json.loads(conn.getresponse().read()).get("data") or []
        conn.close()
    except Exception:
        return False
    return any(m.get("mock_virtual_time") and m.get("mock_max_batch") for m in models)


def run_phase_in_clock_order(args, extra, count, concurrency, phase):
    """A phase on one virtual clock: the worker whose clock is earliest sends the next request."""
    records = []
    clock_id = uuid.uuid4().hex
    phase_start = time.time_ns()
    clocks = [0] * max(1, min(concurrency, count))
    for _ in range(count):
        w = min(range(len(clocks)), key=lambda k: (clocks[k], k))
        body = dict(extra, mock_t0_ms=clocks[w] / 1e6, mock_clock=clock_id)
        metrics, error, _ = one_request(args.url, args.model, args.isl, args.osl, body,
                                        args.request_timeout_seconds)
        latency_ns = 0
        if metrics is not None:
            latency_ns = int(metrics["request_latency"][0] * 1e6)
            metrics.pop("_virtual", None)
        start = phase_start + clocks[w]
        clocks[w] += latency_ns
        records.append((metrics, error, start, start + latency_ns, phase))
    return records, max(clocks) / 1e9


def percentile(sorted_vals, q):
    """numpy's default (linear) percentile, as aiperf computes them."""
    if len(sorted_vals) == 1:
        return sorted_vals[0]
    pos = (len(sorted_vals) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def stats(values, unit):
    v = sorted(values)
    n = len(v)
    avg = sum(v) / n
    std = math.sqrt(sum((x - avg) ** 2 for x in v) / n)
    out = {"unit": unit, "avg": avg}
    for q in (1, 5, 10, 25, 50, 75, 90, 95, 99):
        out[f"p{q}"] = percentile(v, q)
    out.update({"min": v[0], "max": v[-1], "std": std, "count": n, "sum": sum(v)})
    return out


def run_phase_threads(args, extra, count, concurrency, phase):
    """The phase's records and its duration in seconds. Against a --virtual-time server each
    worker keeps its own clock (a request starts when its previous one ended), so the duration
    is the longest worker's and no wall clock enters the results."""
    records = []
    lock = threading.Lock()
    todo = list(range(count))
    phase_start = time.time_ns()
    t0 = time.perf_counter()
    clocks = []

    def worker():
        clock = 0
        virtual = False
        while True:
            with lock:
                if not todo:
                    break
                todo.pop()
            metrics, error, start_wall = one_request(
                args.url, args.model, args.isl, args.osl, extra, args.request_timeout_seconds)
            end_wall = time.time_ns()
            if metrics is not None and metrics.get("_virtual"):
                virtual = True
                latency_ns = int(metrics["request_latency"][0] * 1e6)
                start_wall, end_wall = phase_start + clock, phase_start + clock + latency_ns
                clock += latency_ns
            if metrics is not None:
                metrics.pop("_virtual", None)
            with lock:
                records.append((metrics, error, start_wall, end_wall, phase))
        with lock:
            clocks.append(clock if virtual else None)

    threads = [threading.Thread(target=worker) for _ in range(max(1, min(concurrency, count)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    virtual = [c for c in clocks if c is not None]
    duration = max(virtual) / 1e9 if virtual else time.perf_counter() - t0
    return records, duration


def record_line(rec):
    metrics, error, start_ns, end_ns, phase = rec
    meta = {
        "session_num": 0,
        "x_request_id": str(uuid.uuid4()),
        "request_start_ns": start_ns,
        "request_end_ns": end_ns,
        "benchmark_phase": phase,
        "phase_name": phase,
        "phase_kind": phase,
        "was_cancelled": False,
    }
    if error is not None:
        return {"metadata": meta, "metrics": {"error_isl": {"value": None, "unit": "tokens"}}, "error": error}
    return {"metadata": meta, "metrics": {k: {"value": v, "unit": u} for k, (v, u) in metrics.items()}}


def main():
    args, rest = parse_args(sys.argv[1:])
    conc = args.concurrency
    if os.environ.get("STANDIN_FAIL_AT_CONC") == str(conc):
        print(f"aiperf stand-in: injected failure at concurrency {conc}", file=sys.stderr)
        return 2
    if os.environ.get("STANDIN_HANG_AT_CONC") == str(conc):
        print(f"aiperf stand-in: hanging at concurrency {conc}", file=sys.stderr, flush=True)
        while True:
            time.sleep(60)
    extra = json.loads(args.extra_inputs)
    start_iso = time.strftime("%Y-%m-%dT%H:%M:%S")
    run_phase = run_phase_threads
    if server_queues_virtually(args.url):
        run_phase = run_phase_in_clock_order
    warm, _ = run_phase(args, extra, args.num_warmup_requests, conc, "warmup")
    prof_start_ns = time.time_ns()
    prof, duration = run_phase(args, extra, args.request_count, conc, "profiling")
    prof_end_ns = time.time_ns()
    time.sleep(float(os.environ.get("STANDIN_DELAY_S", "0")))

    out = args.artifact_dir
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "profile_export.jsonl"), "w") as f:
        for rec in warm + prof:
            f.write(json.dumps(record_line(rec)) + "\n")

    ok = [m for m, e, *_ in prof if e is None]
    errors = [e for _, e, *_ in prof if e is not None]
    doc = {"schema_version": "1.4", "aiperf_version": VERSION, "benchmark_id": uuid.uuid4().hex[:12]}
    if ok:
        doc["request_throughput"] = {"unit": "requests/sec", "avg": len(ok) / duration}
        for tag in ("request_latency", "time_to_first_token", "time_to_second_token", "inter_token_latency",
                    "output_token_throughput_per_user", "output_sequence_length", "input_sequence_length",
                    "output_token_count"):
            vals = [m[tag][0] for m in ok if tag in m and m[tag][0] is not None]
            if vals:
                doc[tag] = stats(vals, ok[0][tag][1])
        total_out = sum(m["output_sequence_length"][0] for m in ok)
        doc["request_count"] = {"unit": "requests", "avg": float(len(ok))}
        doc["output_token_throughput"] = {"unit": "tokens/sec", "avg": total_out / duration}
        doc["total_output_tokens"] = {"unit": "tokens", "avg": float(total_out)}
        doc["total_isl"] = {"unit": "tokens", "avg": float(args.isl * len(ok))}
    doc["benchmark_duration"] = {"unit": "sec", "avg": duration}
    if errors:
        doc["error_request_count"] = {"unit": "requests", "avg": float(len(errors))}
    doc["input_config"] = {
        "models": {"items": [{"name": args.model}]},
        "endpoint": {"urls": [args.url], "type": args.endpoint_type, "streaming": args.streaming, "extra": extra},
        "datasets": [{"name": "main", "type": "synthetic", "entries": args.request_count,
                      "prompts": {"isl": {"mean": float(args.isl)}, "osl": {"mean": float(args.osl)}}}],
        "phases": [
            {"name": "warmup", "kind": "warmup", "type": "concurrency", "exclude_from_results": True,
             "requests": args.num_warmup_requests, "concurrency": conc},
            {"name": "profiling", "kind": "profiling", "type": "concurrency",
             "requests": args.request_count, "concurrency": conc},
        ],
        "artifacts": {"dir": out},
        "tokenizer": {"name": args.tokenizer or args.model},
    }
    doc["run_info"] = {"benchmark_id": doc["benchmark_id"], "trial": 0,
                       "cli_command": "aiperf " + " ".join(shlex.quote(a) for a in sys.argv[1:])}
    doc["was_cancelled"] = False
    doc["is_complete"] = True
    summary = {}
    for e in errors:
        key = (e["code"], e["type"], e["message"])
        summary[key] = summary.get(key, 0) + 1
    doc["error_summary"] = [{"error_details": {"code": c, "type": t, "message": m}, "count": n}
                            for (c, t, m), n in summary.items()]
    doc["start_time"] = start_iso
    doc["end_time"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    with open(os.path.join(out, "profile_export_aiperf.json"), "w") as f:
        json.dump(doc, f, indent=2)
    # aiperf 0.13's phase list: where the profiling phase starts and ends (GPU energy window).
    with open(os.path.join(out, "phase_manifest.json"), "w") as f:
        json.dump({"schema_version": 1, "phases": [
            {"phase_index": 1, "phase_kind": "profiling", "phase_name": "profiling",
             "start_ns": prof_start_ns, "end_ns": prof_end_ns}]}, f, indent=2)
    with open(os.path.join(out, ".aiperf_results_ready.json"), "w") as f:
        f.write('{"ready":true,"was_cancelled":false,"partial":false}')
    print(f"aiperf stand-in: {len(ok)} ok, {len(errors)} failed, {duration:.2f}s; JSON Export: "
          f"{os.path.join(out, 'profile_export_aiperf.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
