//! genai-perf exports: `<stem>_genai_perf.json` and `<stem>_genai_perf.csv`.
//!
//! The JSON holds top-level metric blocks `{unit, avg, min, max, pNN, std}` plus
//! `input_config` (the flat argparse dict up to 0.0.11, a nested config since 0.0.12).
//! The CSV has a descending-percentile header, quoted thousands separators and
//! `(per sec)` units. When both sit side by side only the JSON is read: it is not rounded
//! and has the run config. See docs/formats.md.

use std::path::{Path, PathBuf};

use super::aiperf::{
    apply_table, check_not_all_failed, first_string, has_aiperf_markers, has_metric_block,
    round_tokens, table_from_csv, table_from_json, warn_gaps,
};
use super::fields::{parse_json, Fields};
use super::{read_text, ReadCtx};
use crate::model::{Metric, Point, Source};
use crate::util::error::ReadError;

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

fn is_json_head(head: &str) -> bool {
    head.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

/// genai-perf's CSV header: `Metric,avg,min,max,p99,...` (percentiles descending).
fn is_csv_head(head: &str) -> bool {
    let first = head
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("");
    let cols: Vec<&str> = first.split(',').map(str::trim).collect();
    cols.len() > 4 && cols[..4] == ["Metric", "avg", "min", "max"] && cols[4] == "p99"
}

/// The JSON export beside a CSV export of the same stem.
fn sibling_json(csv: &Path) -> Option<PathBuf> {
    let name = csv.file_name()?.to_string_lossy().into_owned();
    let stem = name
        .strip_suffix(".csv")
        .or_else(|| name.strip_suffix(".CSV"))?;
    let json = csv.with_file_name(format!("{stem}.json"));
    json.is_file().then_some(json)
}

pub fn sniff(path: &Path, head: &str) -> bool {
    let name = file_name(path);
    if is_json_head(head) {
        // aiperf >= 0.2 copied this layout; its files carry aiperf-only keys or names.
        return has_metric_block(head) && !has_aiperf_markers(head) && !name.contains("aiperf");
    }
    is_csv_head(head) && sibling_json(path).is_none()
}

pub fn read(path: &Path, ctx: &mut ReadCtx) -> Result<Vec<Point>, ReadError> {
    let text = read_text(path)?;
    let point = if is_json_head(&text) {
        read_json(path, &text, ctx)?
    } else {
        read_csv(path, &text).map_err(|mut e| {
            // genai-perf ends every CSV with a line break; without one the file was cut.
            if !text.ends_with('\n') {
                e.message
                    .push_str(" (the file does not end with a line break: cut short?)");
            }
            e
        })?
    };
    Ok(vec![point])
}

fn read_json(path: &Path, text: &str, ctx: &mut ReadCtx) -> Result<Point, ReadError> {
    let value = parse_json(path, text)?;
    let f = Fields::new(path, &value)?;
    let table = table_from_json(&f)?;
    if table.is_empty() {
        return Err(ReadError::file(
            path,
            "no genai-perf metrics (time_to_first_token, request_latency, ...) in this file",
        ));
    }
    warn_gaps(&f, &table, "genai-perf", ctx);
    let mut p = Point::new(Source::GenaiPerf, path);
    apply_table(&mut p, path, &table)?;
    if let Some(ic) = f.opt_obj("input_config", "input_config.")? {
        read_input_config(&ic, &mut p)?;
    }
    check_not_all_failed(&p, path)?;
    Ok(p)
}

fn read_csv(path: &Path, text: &str) -> Result<Point, ReadError> {
    let table = table_from_csv(path, text)?;
    if table.is_empty() {
        return Err(ReadError::file(
            path,
            "no genai-perf metric rows (Time To First Token (ms), ...) in this CSV",
        ));
    }
    let mut p = Point::new(Source::GenaiPerf, path);
    apply_table(&mut p, path, &table)?;
    check_not_all_failed(&p, path)?;
    if p.get(Metric::RequestsOk).is_none() {
        return Err(ReadError::file(path, "no `Request Count` row"));
    }
    Ok(p)
}

/// Model, concurrency, request rate, ISL and OSL from either `input_config` layout.
fn read_input_config(ic: &Fields, p: &mut Point) -> Result<(), ReadError> {
    // <= 0.0.11: flat argparse names.
    p.model = first_string(ic, "model")?;
    p.concurrency = ic.opt_u64("concurrency")?;
    p.request_rate = ic.opt_nonneg("request_rate")?;
    p.isl = round_tokens(ic.opt_nonneg("synthetic_input_tokens_mean")?);
    p.osl = round_tokens(ic.opt_nonneg("output_tokens_mean")?);
    // >= 0.0.12: nested config.
    if p.model.is_none() {
        p.model = first_string(ic, "model_names")?;
    }
    if let Some(pa) = ic.opt_obj("perf_analyzer", "input_config.perf_analyzer.")? {
        if let Some(st) = pa.opt_obj("stimulus", "input_config.perf_analyzer.stimulus.")? {
            p.concurrency = p.concurrency.or(st.opt_u64("concurrency")?);
            p.request_rate = p.request_rate.or(st.opt_nonneg("request_rate")?);
        }
    }
    if let Some(input) = ic.opt_obj("input", "input_config.input.")? {
        if let Some(st) =
            input.opt_obj("synthetic_tokens", "input_config.input.synthetic_tokens.")?
        {
            p.isl = p.isl.or(round_tokens(st.opt_nonneg("mean")?));
        }
        if let Some(ot) = input.opt_obj("output_tokens", "input_config.input.output_tokens.")? {
            p.osl = p.osl.or(round_tokens(ot.opt_nonneg("mean")?));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_json_and_csv_by_content() {
        let json = r#"{"time_to_first_token": {"unit": "ms", "avg": 1.0}, "input_config": {}}"#;
        assert!(sniff(Path::new("x/run.json"), json));
        let aiperf = r#"{"aiperf_version": "0.6.0", "time_to_first_token": {"unit": "ms"}}"#;
        assert!(!sniff(Path::new("x/run.json"), aiperf));
        assert!(!sniff(Path::new("x/profile_export_aiperf.json"), json));
        assert!(sniff(
            Path::new("/nonexistent/p_genai_perf.csv"),
            "Metric,avg,min,max,p99,p95\n"
        ));
        assert!(!sniff(
            Path::new("/nonexistent/p.csv"),
            "Metric,avg,min,max,p1,p5\n"
        ));
    }
}
