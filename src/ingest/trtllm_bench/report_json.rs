//! trtllm-bench `--report_json`: one point per file.

use std::path::Path;

use super::printed::{is_none, world_size};
use crate::ingest::energy::{apply_telemetry, left_out_text};
use crate::ingest::fields::{parse_json, Fields};
use crate::ingest::telemetry::{from_energy_block, TelemetrySource};
use crate::ingest::{read_text, ReadCtx};
use crate::model::{Latency, Metric, Point, Source, Stat};
use crate::util::error::ReadError;

// ---------------------------------------------------------------------------------------------
// --report_json

pub(super) fn read_json(path: &Path, ctx: &mut ReadCtx) -> Result<Point, ReadError> {
    let text = read_text(path)?;
    let value = parse_json(path, &text)?;
    let root = Fields::new(path, &value)?;
    let mut p = Point::new(Source::TrtllmBench, path);
    if let Some(engine) = root.opt_obj("engine", "engine.")? {
        json_engine(&engine, &mut p)?;
    }
    if let Some(machine) = root.opt_obj("machine", "machine.")? {
        if let Some(name) = machine.opt_str("name")? {
            p.extra.insert("gpu".into(), name.to_string());
        }
    }
    if let Some(world) = root.opt_obj("world_info", "world_info.")? {
        json_world(&world, &mut p)?;
    }
    if let Some(req) = root.opt_obj("request_info", "request_info.")? {
        p.set_opt(
            Metric::RequestsOk,
            req.opt_u64("num_requests")?.map(|v| v as f64),
        );
        p.set_opt(Metric::InputTokensAvg, req.opt_nonneg("avg_input_length")?);
        p.set_opt(
            Metric::OutputTokensAvg,
            req.opt_nonneg("avg_output_length")?,
        );
        if let Some(c) = req.opt_nonneg("avg_num_concurrent_requests")? {
            p.extra
                .insert("avg_concurrent_requests".into(), c.to_string());
        }
    }
    let perf = root
        .opt_obj("performance", "performance.")?
        .ok_or_else(|| ReadError::field(path, "performance", "an object, but it is missing"))?;
    json_performance(&perf, &mut p)?;
    // The energy block, where the run wrote one: a bad one costs the energy figures only.
    let output_tokens = p
        .get(Metric::RequestsOk)
        .zip(p.get(Metric::OutputTokensAvg))
        .map(|(n, avg)| n * avg);
    match from_energy_block(&root, TelemetrySource::TrtllmBenchEnergy) {
        Ok(Some(t)) => apply_telemetry(&mut p, &t, output_tokens),
        Ok(None) => {}
        Err(e) => ctx.warn(path, left_out_text(&e)),
    }
    if let Some(s) = root.opt_obj("streaming_metrics", "streaming_metrics.")? {
        json_streaming(&s, &mut p)?;
    }
    if let Some(d) = root.opt_obj("decoding_stats", "decoding_stats.")? {
        if let Some(mode) = d.opt_str("mode")? {
            p.extra.insert("decoding_mode".into(), mode.to_string());
        }
        if let Some(al) = d.opt_obj(
            "acceptance_length_percentiles",
            "decoding_stats.acceptance_length_percentiles.",
        )? {
            if let Some(v) = al.opt_nonneg("average")? {
                p.extra
                    .insert("acceptance_length_avg".into(), v.to_string());
            }
        }
    }
    if let Some(d) = root.opt_obj("dataset", "dataset.")? {
        json_dataset(&d, &mut p)?;
    }
    if p.get(Metric::RequestsOk) == Some(0.0) {
        return Err(ReadError::field(
            path,
            "request_info.num_requests",
            "at least one completed request, found 0",
        ));
    }
    Ok(p)
}

pub(super) fn json_engine(e: &Fields, p: &mut Point) -> Result<(), ReadError> {
    p.model = e
        .opt_str("model")?
        .filter(|m| !is_none(m))
        .map(str::to_string);
    p.tool_version = e.opt_str("version")?.map(str::to_string);
    // "Pytorch" | "TRT" (| "_autodeploy")
    p.backend = e.opt_str("backend")?.map(str::to_ascii_lowercase);
    for (key, extra) in [
        ("model_path", "model_path"),
        ("engine_dir", "engine_dir"),
        ("dtype", "dtype"),
        ("kv_cache_dtype", "kv_cache_dtype"),
        ("quantization", "quantization"),
    ] {
        if let Some(v) = e.opt_str(key)?.filter(|v| !is_none(v)) {
            p.extra.insert(extra.into(), v.to_string());
        }
    }
    Ok(())
}

pub(super) fn json_world(w: &Fields, p: &mut Point) -> Result<(), ReadError> {
    let tp = w.opt_u64("tp_size")?;
    let pp = w.opt_u64("pp_size")?;
    p.num_gpus = match (w.opt_u64("world_size")?, tp) {
        (Some(ws), _) => Some(ws),
        (None, Some(tp)) => Some(world_size(tp, pp).ok_or_else(|| {
            ReadError::field(
                w.path,
                "world_info.tp_size",
                "a GPU count: tp_size x pp_size is too large",
            )
        })?),
        (None, None) => None,
    };
    for key in [
        "tp_size",
        "pp_size",
        "ep_size",
        "max_batch_size",
        "max_num_tokens",
    ] {
        if let Some(v) = w.opt_u64(key)? {
            p.extra.insert(key.into(), v.to_string());
        }
    }
    if let Some(v) = w.opt_str("scheduling_policy")? {
        p.extra.insert("scheduling_policy".into(), v.to_string());
    }
    if let Some(v) = w.opt_nonneg("kv_cache_percentage")? {
        // A fraction in the JSON, printed as a percentage.
        p.extra
            .insert("kv_cache_percentage".into(), format!("{:.2}%", v * 100.0));
    }
    if let Some(v) = w.opt_nonneg("issue_rate")? {
        p.extra.insert("issue_rate".into(), format!("{v:.4E}"));
    }
    Ok(())
}

pub(super) fn json_performance(f: &Fields, p: &mut Point) -> Result<(), ReadError> {
    p.set(
        Metric::RequestThroughput,
        f.opt_nonneg("request_throughput_req_s")?.ok_or_else(|| {
            ReadError::field(
                f.path,
                "performance.request_throughput_req_s",
                "a number, but it is missing",
            )
        })?,
    );
    let out = f
        .opt_nonneg("system_output_throughput_tok_s")?
        .ok_or_else(|| {
            ReadError::field(
                f.path,
                "performance.system_output_throughput_tok_s",
                "a number, but it is missing",
            )
        })?;
    p.set(Metric::OutputTokenThroughput, out);
    p.set_opt(
        Metric::TotalTokenThroughput,
        f.opt_nonneg("system_total_throughput_tok_s")?,
    );
    p.set_opt(
        Metric::DurationS,
        f.opt_nonneg("total_latency_ms")?.map(|ms| ms / 1000.0),
    );
    p.set_opt(
        Metric::Latency(Latency::E2el, Stat::Avg),
        f.opt_nonneg("avg_request_latency_ms")?,
    );
    p.set_opt(
        Metric::TokensPerSGpu,
        f.opt_nonneg("output_throughput_per_gpu_tok_s")?,
    );
    if let Some(v) = f.opt_nonneg("output_throughput_per_user_tok_s")? {
        p.extra
            .insert("per_user_output_throughput_w_ctx".into(), v.to_string());
    }
    json_percentiles(f, "request_latency_percentiles_ms", Latency::E2el, p)
}

pub(super) fn json_streaming(f: &Fields, p: &mut Point) -> Result<(), ReadError> {
    p.set_opt(
        Metric::TokensPerSUser,
        f.opt_nonneg("token_output_speed_tok_s")?,
    );
    p.set_opt(
        Metric::Latency(Latency::Ttft, Stat::Avg),
        f.opt_nonneg("avg_ttft_ms")?,
    );
    p.set_opt(
        Metric::Latency(Latency::Tpot, Stat::Avg),
        f.opt_nonneg("avg_tpot_ms")?,
    );
    json_percentiles(f, "ttft_percentiles", Latency::Ttft, p)?;
    json_percentiles(f, "tpot_percentiles", Latency::Tpot, p)?;
    let prefix = format!("{}gen_tps_percentiles.", f.prefix);
    if let Some(g) = f.opt_obj("gen_tps_percentiles", &prefix)? {
        for (key, stat) in JSON_STAT_KEYS {
            if let Some(v) = g.opt_nonneg(key)? {
                p.extra
                    .insert(format!("gtps_{}", stat.key()), v.to_string());
            }
        }
    }
    Ok(())
}

/// PercentileStats keys (older versions have no p90).
pub(super) const JSON_STAT_KEYS: [(&str, Stat); 7] = [
    ("p50", Stat::P50),
    ("p90", Stat::P90),
    ("p95", Stat::P95),
    ("p99", Stat::P99),
    ("minimum", Stat::Min),
    ("maximum", Stat::Max),
    ("average", Stat::Avg),
];

pub(super) fn json_percentiles(
    f: &Fields,
    key: &str,
    lat: Latency,
    p: &mut Point,
) -> Result<(), ReadError> {
    let prefix = format!("{}{key}.", f.prefix);
    let Some(stats) = f.opt_obj(key, &prefix)? else {
        return Ok(());
    };
    for (k, stat) in JSON_STAT_KEYS {
        if let Some(v) = stats.opt_nonneg(k)? {
            p.set(Metric::Latency(lat, stat), v);
        }
    }
    Ok(())
}

pub(super) fn json_dataset(f: &Fields, p: &mut Point) -> Result<(), ReadError> {
    if let Some(path) = f.opt_str("dataset_path")?.filter(|v| !is_none(v)) {
        p.extra.insert("dataset_path".into(), path.to_string());
    }
    if let Some(n) = f.opt_u64("num_requests")? {
        p.extra.insert("num_sequences".into(), n.to_string());
    }
    for (key, slot) in [("isl_stats", &mut p.isl), ("osl_stats", &mut p.osl)] {
        let prefix = format!("dataset.{key}.");
        let Some(s) = f.opt_obj(key, &prefix)? else {
            continue;
        };
        if let (Some(lo), Some(hi)) = (s.opt_nonneg("minimum")?, s.opt_nonneg("maximum")?) {
            if lo == hi && lo.fract() == 0.0 {
                *slot = Some(lo as u64);
            }
        }
    }
    Ok(())
}
