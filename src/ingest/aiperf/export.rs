//! aiperf's aggregate exports: `profile_export_aiperf.json`, or the CSV when the JSON is missing.

use std::path::Path;

use serde_json::Value;

use super::records::{check_record_count, find_records_file, read_records};
use super::table::{
    apply_table, check_not_all_failed, round_tokens, table_from_csv, table_from_json, warn_gaps,
    warn_schema,
};
use super::{check_status, warn_error_summary};
use crate::ingest::fields::{kind, parse_json, Fields};
use crate::ingest::{energy, read_text, telemetry, ReadCtx};
use crate::model::{Metric, Point, Source, END_TIME, START_TIME};
use crate::util::error::ReadError;

pub(super) fn read_json_export(
    dir: &Path,
    path: &Path,
    single: bool,
    ctx: &mut ReadCtx,
) -> Result<Point, ReadError> {
    let text = read_text(path)?;
    let value = parse_json(path, &text)?;
    let f = Fields::new(path, &value)?;
    check_status(&f)?;
    // aiperf <= 0.1.1 nests the metric blocks under `records`.
    let metrics = f.opt_obj("records", "records.")?.unwrap_or(f);
    let table = table_from_json(&metrics)?;
    if table.is_empty() {
        return Err(ReadError::file(
            path,
            "no aiperf metrics (time_to_first_token, request_latency, ...) in this file",
        ));
    }
    warn_schema(&f, ctx);
    warn_gaps(&metrics, &table, "aiperf", ctx);
    let mut p = Point::new(
        Source::Aiperf,
        if single {
            dir.to_path_buf()
        } else {
            path.to_path_buf()
        },
    );
    p.tool_version = f.opt_str("aiperf_version")?.map(str::to_string);
    // When the profiling ran (ISO-8601 as aiperf writes it), for reports that carry the time.
    for key in [START_TIME, END_TIME] {
        if let Some(t) = f.opt_str(key)? {
            p.extra.insert(key.into(), t.into());
        }
    }
    apply_table(&mut p, path, &table)?;
    let summarized = warn_error_summary(&f, ctx)?;
    if p.get(Metric::RequestsFailed).is_none() {
        // error_request_count is written only when some request failed.
        p.set_opt(Metric::RequestsFailed, summarized.or(Some(0.0)));
    }
    if let Some(ic) = f.opt_obj("input_config", "input_config.")? {
        read_input_config(&ic, &mut p)?;
    }
    read_telemetry(&metrics, path, &value, &mut p, ctx)?;
    check_not_all_failed(&p, path)?;
    if let Some(jsonl) = find_records_file(dir, path, single) {
        let requests = read_records(&jsonl)?;
        check_record_count(&p, &jsonl, &requests, ctx);
        p.requests = Some(requests);
    }
    Ok(p)
}

/// Concurrency, request rate, ISL, OSL and model from `input_config`, in both layouts.
pub(super) fn read_input_config(ic: &Fields, p: &mut Point) -> Result<(), ReadError> {
    // >= 0.10: phases, datasets, models.
    if let Some(phases) = ic.opt_array("phases")? {
        if let Some((i, phase)) = pick_phase(phases) {
            let prefix = format!("input_config.phases[{i}].");
            let Some(obj) = phase.as_object() else {
                return Err(ReadError::field(
                    ic.path,
                    &format!("input_config.phases[{i}]"),
                    "an object",
                ));
            };
            let ph = Fields {
                path: ic.path,
                obj,
                prefix: &prefix,
            };
            p.concurrency = ph.opt_u64("concurrency")?;
            p.request_rate = ph.opt_nonneg("rate")?;
        }
    }
    if let Some(ds) = first_obj(ic, "datasets", "input_config.datasets[0].")? {
        let prefix = "input_config.datasets[0].prompts.";
        if let Some(prompts) = ds.opt_obj("prompts", prefix)? {
            p.isl = round_tokens(mean_of(&prompts, "isl")?);
            p.osl = round_tokens(mean_of(&prompts, "osl")?);
        }
    }
    if let Some(models) = ic.opt_obj("models", "input_config.models.")? {
        if let Some(m) = first_obj(&models, "items", "input_config.models.items[0].")? {
            p.model = m.opt_str("name")?.map(str::to_string);
        }
    }
    // <= 0.9: loadgen, input.prompt, endpoint.model_names.
    if let Some(lg) = ic.opt_obj("loadgen", "input_config.loadgen.")? {
        p.concurrency = p.concurrency.or(lg.opt_u64("concurrency")?);
        p.request_rate = p.request_rate.or(lg.opt_nonneg("request_rate")?);
    }
    if let Some(input) = ic.opt_obj("input", "input_config.input.")? {
        if let Some(prompt) = input.opt_obj("prompt", "input_config.input.prompt.")? {
            p.isl = p.isl.or(round_tokens(mean_of(&prompt, "input_tokens")?));
            p.osl = p.osl.or(round_tokens(mean_of(&prompt, "output_tokens")?));
        }
    }
    if p.model.is_none() {
        if let Some(ep) = ic.opt_obj("endpoint", "input_config.endpoint.")? {
            p.model = first_string(&ep, "model_names")?;
        }
    }
    Ok(())
}

/// The profiling phase, else the first phase (as aiperf's own plot loader does).
pub(super) fn pick_phase(phases: &[Value]) -> Option<(usize, &Value)> {
    phases
        .iter()
        .enumerate()
        .find(|(_, ph)| ph.get("name").and_then(Value::as_str) == Some("profiling"))
        .or_else(|| phases.iter().enumerate().next())
}

/// `obj.key.mean`, e.g. `prompts.isl.mean`.
pub(super) fn mean_of(obj: &Fields, key: &str) -> Result<Option<f64>, ReadError> {
    let prefix = format!("{}{key}.", obj.prefix);
    match obj.opt_obj(key, &prefix)? {
        Some(o) => o.opt_nonneg("mean"),
        None => Ok(None),
    }
}

/// The first element of an array of objects.
pub(super) fn first_obj<'a>(
    obj: &Fields<'a>,
    key: &str,
    prefix: &'a str,
) -> Result<Option<Fields<'a>>, ReadError> {
    let Some(arr) = obj.opt_array(key)? else {
        return Ok(None);
    };
    match arr.first() {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(Fields {
            path: obj.path,
            obj: o,
            prefix,
        })),
        Some(other) => Err(ReadError::field(
            obj.path,
            &format!("{}{key}[0]", obj.prefix),
            format!("an object, found {}", kind(other)),
        )),
    }
}

/// The first string of a string-or-list field (`model_names`).
pub(crate) fn first_string(obj: &Fields, key: &str) -> Result<Option<String>, ReadError> {
    match obj.obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Array(a)) => match a.first() {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(ReadError::field(
                obj.path,
                &format!("{}{key}[0]", obj.prefix),
                format!("a string, found {}", kind(other)),
            )),
        },
        Some(other) => Err(ReadError::field(
            obj.path,
            &format!("{}{key}", obj.prefix),
            format!("a string or a list of strings, found {}", kind(other)),
        )),
    }
}

// ---------------------------------------------------------------------------------------
// CSV export (when the JSON is missing)

pub(super) fn read_csv_export(
    dir: &Path,
    path: &Path,
    ctx: &mut ReadCtx,
) -> Result<Point, ReadError> {
    let text = read_text(path)?;
    let table = table_from_csv(path, &text)?;
    if table.is_empty() {
        return Err(ReadError::file(
            path,
            "no aiperf metric rows (Time to First Token (ms), ...) in this CSV",
        ));
    }
    let mut p = Point::new(Source::Aiperf, dir);
    apply_table(&mut p, path, &table)?;
    if p.get(Metric::RequestsFailed).is_none() {
        p.set(Metric::RequestsFailed, 0.0);
    }
    check_not_all_failed(&p, path)?;
    ctx.warn(
        path,
        "aiperf JSON export missing; read the CSV (values rounded to 2 decimals, no run config)",
    );
    if let Some(jsonl) = find_records_file(dir, path, true) {
        let requests = read_records(&jsonl)?;
        check_record_count(&p, &jsonl, &requests, ctx);
        p.requests = Some(requests);
    }
    Ok(p)
}

/// aiperf's GPU telemetry summary (`--gpu-telemetry`), with the window's exact output token
/// count for energy per token. Unusable telemetry is a warning; the point stays.
fn read_telemetry(
    metrics: &Fields,
    path: &Path,
    value: &Value,
    p: &mut Point,
    ctx: &mut ReadCtx,
) -> Result<(), ReadError> {
    match telemetry::from_aiperf_export(path, value) {
        Ok(Some(t)) => {
            let tokens = match metrics.opt_obj("total_output_tokens", "total_output_tokens.")? {
                Some(b) => b.opt_nonneg("avg")?,
                None => None,
            };
            energy::apply_telemetry(p, &t, tokens);
        }
        Ok(None) => {}
        Err(e) => energy::warn_left_out(ctx, &e),
    }
    Ok(())
}
