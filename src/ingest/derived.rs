//! What every reader's points get the same way once read: statistics the tool left out but its
//! per-request data allows, the GPU count from `--gpus`, tokens/s per GPU and per user, and the
//! energy and cost figures.

use super::{energy, ReadCtx};
use crate::model::stats;
use crate::model::{Latency, Metric, Point, Stat};

/// Derived metrics every source gets the same way.
pub(super) fn finalize(p: &mut Point, ctx: &mut ReadCtx) {
    fill_from_requests(p);
    match (p.num_gpus, ctx.options.gpus) {
        (None, Some(g)) => {
            p.num_gpus = Some(g);
            p.num_gpus_from = Some("--gpus".into());
        }
        (Some(src), Some(g)) if src != g => ctx.warn(
            &p.path,
            format!("the file says {src} GPUs but --gpus {g} was given; using {src} from the file"),
        ),
        (Some(_), _) if p.num_gpus_from.is_none() => p.num_gpus_from = Some(p.source.name().into()),
        _ => {}
    }
    if p.get(Metric::TokensPerSGpu).is_none() {
        if let (Some(g), Some(tput)) = (p.num_gpus, p.get(Metric::OutputTokenThroughput)) {
            if g > 0 {
                p.set(Metric::TokensPerSGpu, tput / g as f64);
            }
        }
    }
    if p.get(Metric::TokensPerSUser).is_none() {
        p.set_opt(Metric::TokensPerSUser, user_speed(p));
    }
    energy::finish_point(p, ctx);
}

/// Tokens/s one user sees after the first token, as the tools define it: the mean over requests
/// of 1000 / TPOT; 1000 / mean TPOT only when there is no per-request data.
fn user_speed(p: &Point) -> Option<f64> {
    let rates: Vec<f64> = p
        .requests
        .as_ref()
        .map(|r| r.ok_values(Latency::Tpot))
        .unwrap_or_default()
        .into_iter()
        .filter(|t| *t > 0.0)
        .map(|t| 1000.0 / t)
        .collect();
    if !rates.is_empty() {
        return Some(rates.iter().sum::<f64>() / rates.len() as f64);
    }
    p.get(Metric::Latency(Latency::Tpot, Stat::Avg))
        .filter(|t| *t > 0.0)
        .map(|t| 1000.0 / t)
}

/// Statistics the tool did not report but per-request data allows, computed with the tool's percentile method.
fn fill_from_requests(p: &mut Point) {
    let Some(req) = &p.requests else { return };
    let method = p.source.percentile_method();
    let mut computed = Vec::new();
    for lat in [Latency::Ttft, Latency::Tpot, Latency::E2el] {
        let sorted = stats::sorted(&req.ok_values(lat));
        if sorted.is_empty() {
            continue;
        }
        for s in Stat::ALL {
            let m = Metric::Latency(lat, s);
            if p.get(m).is_none() {
                if let Some(v) = stats::stat_sorted(&sorted, s, method) {
                    computed.push((m, v));
                }
            }
        }
    }
    let ok = req.ok.iter().filter(|o| **o).count() as f64;
    let failed = req.len() as f64 - ok;
    for (m, v) in computed {
        p.set(m, v);
    }
    if p.get(Metric::RequestsOk).is_none() {
        p.set(Metric::RequestsOk, ok);
    }
    if p.get(Metric::RequestsFailed).is_none() {
        p.set(Metric::RequestsFailed, failed);
    }
}
