#!/usr/bin/env python3
"""Reads Parquet files with pyarrow and prints them as one JSON object, for the Rust tests:
{path: {"metadata": {key: value}, "schema": [[column, arrow type]], "rows": [{column: value}]}}.
NaN becomes null (JSON has no NaN). Needs pyarrow (.ci/run installs it into a venv)."""

import json
import math
import sys

import pyarrow.parquet as pq


def clean(v):
    return None if isinstance(v, float) and math.isnan(v) else v


out = {}
for path in sys.argv[1:]:
    meta = pq.read_metadata(path).metadata or {}
    table = pq.read_table(path)
    out[path] = {
        "metadata": {
            k.decode(): v.decode() for k, v in meta.items() if k != b"ARROW:schema"
        },
        "schema": [[f.name, str(f.type)] for f in table.schema],
        "rows": [{k: clean(v) for k, v in r.items()} for r in table.to_pylist()],
    }
json.dump(out, sys.stdout)
