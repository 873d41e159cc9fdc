//! `capacity.json` of `run online --find-capacity`, the search's answer in one line, and a
//! searched capacity read back (with its comparison to the baseline's) in one line.

use serde::Serialize;
use serde_json::json;

use super::format::pct;
use super::output::{Exporter, Output};
use crate::analyze::compare::Verdict;
use crate::analyze::search::SearchResult;
use crate::analyze::searched::SearchedFinding;
use crate::analyze::sla::Sla;
use crate::util::error::Error;

pub use crate::model::CAPACITY_FILE as FILE;
use crate::model::{CAPACITY_FORMAT as FORMAT, CAPACITY_VERSION as VERSION};

/// Throughput at the capacity probe (mean over its runs).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Throughput {
    pub requests_per_s: Option<f64>,
    pub output_tokens_per_s: Option<f64>,
    /// Per GPU, when the GPU count is known (`--gpus`, `--world-size`).
    pub output_tokens_per_s_gpu: Option<f64>,
}

/// What `capacity.json` is written from.
pub struct CapacityCtx<'a> {
    pub label: &'a str,
    pub isl: u64,
    pub osl: u64,
    pub sla: &'a Sla,
    /// `--repeats`: the most runs a probe within the noise gets.
    pub max_repeats: u32,
    pub result: &'a SearchResult,
    pub throughput: Throughput,
    /// Per probe (in the order of `result.probes`), its run directories under `OUT/LABEL`.
    pub dirs: Vec<Vec<String>>,
}

pub struct CapacityJson;

impl Exporter<CapacityCtx<'_>> for CapacityJson {
    fn render(&self, ctx: &CapacityCtx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        let r = ctx.result;
        let probes: Vec<serde_json::Value> = r
            .probes
            .iter()
            .zip(&ctx.dirs)
            .map(|(p, dirs)| {
                json!({
                    "concurrency": p.concurrency,
                    "pass": p.pass,
                    "repeats": p.runs,
                    "within_noise": p.within_noise,
                    "metrics": p.targets,
                    "dirs": dirs,
                })
            })
            .collect();
        let doc = json!({
            "format": FORMAT,
            "version": VERSION,
            "label": ctx.label,
            "isl": ctx.isl,
            "osl": ctx.osl,
            "sla": ctx.sla.targets,
            "sla_stat": ctx.sla.stat.key(),
            "capacity": r.capacity,
            "bracket": r.bracket,
            "binding": r.binding,
            "boundary": r.boundary,
            "capacity_ci": r.capacity_ci,
            "throughput_at_capacity": ctx.throughput,
            "done": r.done,
            "all_pass": r.all_pass,
            "all_fail": r.all_fail,
            "non_monotone": r.non_monotone,
            "precision_pct": r.precision_pct,
            "max_concurrency": r.max_concurrency,
            "max_repeats": ctx.max_repeats,
            "probes": probes,
        });
        let text = serde_json::to_string_pretty(&doc)
            .map_err(|e| Error::Usage(format!("capacity.json: {e}")))?;
        Ok(vec![Output::text(FILE, text + "\n")])
    }
}

/// The search's answer in one line, e.g. `capacity at avg TTFT <= 250 ms: 28 concurrent
/// requests (bracket 28-30, TTFT binds, smooth boundary, 10 probes), 95.1 req/s, 3043 output tok/s`.
pub fn answer(ctx: &CapacityCtx) -> String {
    let r = ctx.result;
    let n = r.probes.len();
    let head = format!("capacity at {}", ctx.sla);
    let binds = r
        .binding
        .map(|b| format!(", {} binds", b.to_ascii_uppercase()))
        .unwrap_or_default();
    let boundary = r
        .boundary
        .map(|b| format!(", {} boundary", json!(b).as_str().unwrap_or("")))
        .unwrap_or_default();
    let t = &ctx.throughput;
    let mut rates = Vec::new();
    if let Some(v) = t.requests_per_s {
        rates.push(format!("{v:.1} req/s"));
    }
    if let Some(v) = t.output_tokens_per_s {
        rates.push(format!("{v:.0} output tok/s"));
    }
    if let Some(v) = t.output_tokens_per_s_gpu {
        rates.push(format!("{v:.0} output tok/s/GPU"));
    }
    let rates = if rates.is_empty() {
        String::new()
    } else {
        format!(", {}", rates.join(", "))
    };
    let odd = if r.non_monotone {
        "; a probe passes above a failing one (non-monotone), see capacity.json"
    } else {
        ""
    };
    let line = match (r.done, r.capacity, r.bracket) {
        (false, _, [lo, hi]) => format!(
            "{head}: search not finished after {n} probes (bracket {}-{}); a rerun goes on",
            end(lo),
            end(hi)
        ),
        (true, None, _) => format!("{head}: none, concurrency 1 misses it{binds}"),
        (true, Some(c), _) if r.all_pass => format!(
            "{head}: at least {c} concurrent requests (every probe up to --max-concurrency {} passes, {n} probes){rates}",
            r.max_concurrency
        ),
        (true, Some(c), [_, hi]) => format!(
            "{head}: {c} concurrent requests (bracket {c}-{}{binds}{boundary}, {n} probes){rates}",
            end(hi)
        ),
    };
    line + odd
}

fn end(c: Option<u64>) -> String {
    c.map_or_else(|| "?".into(), |c| c.to_string())
}

/// A capacity found by search, e.g. `tuned: searched capacity 64 (bracket 64-68, TTFT binds),
/// +100% against baseline's 32 (32-34): higher, the brackets do not overlap`.
pub fn searched_line(s: &SearchedFinding) -> String {
    let bracket = |b: [Option<u64>; 2]| {
        let o = |v: Option<u64>| v.map_or("?".into(), |v| v.to_string());
        format!("{}-{}", o(b[0]), o(b[1]))
    };
    let mut line = match s.capacity {
        Some(c) => format!(
            "{}: searched capacity {c} (bracket {}",
            s.label,
            bracket(s.bracket)
        ),
        None => format!(
            "{}: searched capacity: even concurrency 1 misses the SLA (",
            s.label
        ),
    };
    if let Some([lo, hi]) = s.capacity_ci {
        line.push_str(&format!(", CI {lo:.1}-{hi:.1}"));
    }
    if let Some(b) = &s.binding {
        line.push_str(&format!(", {} binds", b.to_ascii_uppercase()));
    }
    line.push(')');
    if !s.done {
        line.push_str(", search not finished (run it again to go on)");
    }
    if let Some(c) = &s.vs_baseline {
        let base = c.baseline_capacity.map_or("none".into(), |v| v.to_string());
        let change = c
            .change_pct
            .map(|p| format!("{} ", pct(p)))
            .unwrap_or_default();
        let why = match c.basis {
            "ci" => "the CIs",
            _ => "the search brackets",
        };
        let word = match c.verdict {
            Verdict::Better => format!("higher ({why} do not overlap)"),
            Verdict::Worse => format!("lower ({why} do not overlap)"),
            _ => format!("no difference beyond {why}"),
        };
        line.push_str(&format!(
            ", {change}against {}'s {base} ({}): {word}",
            c.baseline_label,
            bracket(c.baseline_bracket)
        ));
    }
    line
}
