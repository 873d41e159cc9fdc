#!/usr/bin/env python3
"""Validates llm-d Benchmark Reports (YAML or JSON files) against the pinned v0.2 schema in
tests/data/llm-d/benchmark_report: its pydantic model (BenchmarkReportV02, with the unit checks)
and its JSON Schema. Prints one JSON object: {path: {"ok": true, "ttft_mean": ...} or
{"ok": false, "error": "..."}}. Needs pydantic, PyYAML and jsonschema."""

import json
import os
import sys

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
PINNED = os.path.join(HERE, "..", "data", "llm-d")
sys.path.insert(0, PINNED)

from benchmark_report.schema_v0_2 import BenchmarkReportV02  # noqa: E402

with open(os.path.join(PINNED, "benchmark_report", "br_v0_2_json_schema.json")) as f:
    SCHEMA = json.load(f)

out = {}
for path in sys.argv[1:]:
    with open(path) as f:
        doc = yaml.safe_load(f)
    try:
        jsonschema.validate(doc, SCHEMA, cls=jsonschema.Draft202012Validator)
        report = BenchmarkReportV02.model_validate(doc)
    except Exception as e:  # both validators' errors are reported, not raised
        out[path] = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        continue
    latency = report.results.request_performance.aggregate.latency
    out[path] = {
        "ok": True,
        "version": report.version,
        "ttft_mean": latency.time_to_first_token.mean,
        "ttft_units": str(latency.time_to_first_token.units),
        "concurrency": report.scenario.load.standardized.concurrency,
        # Parsed as datetimes by the model, printed back in ISO-8601.
        "start": report.run.time.start.isoformat() if report.run.time and report.run.time.start else None,
        "end": report.run.time.end.isoformat() if report.run.time and report.run.time.end else None,
    }
json.dump(out, sys.stdout)
