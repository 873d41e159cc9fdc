//! `adreport plan`: the capacity plan as a terminal table, JSON or markdown.

use serde_json::{json, Value};

use super::format::human_opt;
use super::output::{Exporter, Output};
use super::tables::{draw, draw_markdown, ReportTable, Tone, ToneCell};
use crate::analyze::plan::CapacityPlan;
use crate::util::error::Error;

/// Output format of `plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlanFormat {
    Table,
    Json,
    Markdown,
}

pub fn render(plan: &CapacityPlan, format: PlanFormat) -> String {
    match format {
        PlanFormat::Table => draw(&table(plan), false, true) + "\n" + &notes(plan),
        PlanFormat::Json => serde_json::to_string_pretty(&json(plan)).unwrap_or_default() + "\n",
        PlanFormat::Markdown => format!(
            "## Capacity plan\n\n{}\n{}",
            draw_markdown(&table(plan)),
            notes(plan)
        ),
    }
}

/// `plan.json`, the trace chart (with `--trace`) and `plan.md`, which shows the chart.
pub fn plan_exporters() -> Vec<Box<dyn Exporter<CapacityPlan>>> {
    vec![
        Box::new(PlanJson),
        Box::new(super::plots::plan::PlanTraceChart),
        Box::new(PlanMd),
    ]
}

struct PlanJson;

impl Exporter<CapacityPlan> for PlanJson {
    fn render(&self, plan: &CapacityPlan, _: &[Output]) -> Result<Vec<Output>, Error> {
        Ok(vec![Output::text(
            "plan.json",
            render(plan, PlanFormat::Json),
        )])
    }
}

struct PlanMd;

impl Exporter<CapacityPlan> for PlanMd {
    fn render(&self, plan: &CapacityPlan, earlier: &[Output]) -> Result<Vec<Output>, Error> {
        let mut text = render(plan, PlanFormat::Markdown);
        for png in super::output::png_names(earlier) {
            text.push_str(&format!("\n![{png}]({png})\n"));
        }
        Ok(vec![Output::text("plan.md", text)])
    }
}

/// The plan as one flat JSON object (the leading sizing's keys at the top level).
pub fn json(plan: &CapacityPlan) -> Value {
    let c = &plan.capacity;
    let z = plan.sizing();
    json!({
        "label": plan.label,
        "isl": plan.isl,
        "osl": plan.osl,
        "sla": plan.sla,
        "capacity_rate": c.capacity_rate,
        "capacity_rate_ci": c.capacity_rate_ci.map(|(lo, hi)| [lo, hi]),
        "concurrency_per_replica": c.concurrency_per_replica,
        "concurrency_from_search": c.searched,
        "gpus_per_replica": c.gpus_per_replica,
        "headroom_pct": plan.settings.headroom_pct,
        "usd_per_gpu_hour": plan.settings.usd_per_gpu_hour,
        "target_rate": z.map(|z| z.target_rate),
        "replicas": z.map(|z| z.replicas),
        "gpus": z.map(|z| z.gpus),
        "replica_load_pct": z.map(|z| z.replica_load_pct),
        "usd_per_hour": z.and_then(|z| z.usd_per_hour),
        "kwh_per_hour": z.and_then(|z| z.kwh_per_hour),
        "output_tokens_per_hour": z.and_then(|z| z.output_tokens_per_hour),
        "usd_per_million_output_tokens": z.and_then(|z| z.usd_per_million_output_tokens),
        "kwh_per_million_output_tokens": z.and_then(|z| z.kwh_per_million_output_tokens),
        "energy_per_output_token_j": c.energy_per_output_token_j,
        "output_tokens_per_joule": c.output_tokens_per_joule,
        "usd_per_million_output_tokens_at_capacity": c.usd_per_million_output_tokens,
        "trace": plan.trace.as_ref().map(|t| json!({
            "peak_rate": t.peak_rate,
            "peak_gpus": t.peak_gpus,
            "mean_rate": t.mean_rate,
            "mean_gpus": t.mean_gpus,
            "span_s": t.span_s,
            "usd_autoscaled": t.usd_autoscaled,
            "steps": t.steps.iter().map(|(s, r, g)| json!({"t_s": s, "rate": r, "gpus": g})).collect::<Vec<_>>(),
        })),
    })
}

fn table(plan: &CapacityPlan) -> ReportTable {
    let c = &plan.capacity;
    let z = plan.sizing();
    let int = |v: Option<u64>| v.map_or("-".to_string(), |n| n.to_string());
    let usd = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("${x:.2}"));
    let ci = c
        .capacity_rate_ci
        .map(|(lo, hi)| format!(" (CI {} - {})", human_opt(Some(lo)), human_opt(Some(hi))))
        .unwrap_or_default();
    let mut rows: Vec<(&str, String)> = vec![
        ("series", series_name(&plan.label, plan.isl, plan.osl)),
        ("SLA", plan.sla.clone()),
        (
            "capacity per replica",
            format!("{} req/s{ci}", human_opt(Some(c.capacity_rate))),
        ),
        (
            "concurrency per replica",
            match &c.searched {
                Some(path) => format!(
                    "{} (the capacity search: {path})",
                    int(c.concurrency_per_replica)
                ),
                None => int(c.concurrency_per_replica),
            },
        ),
        ("GPUs per replica", c.gpus_per_replica.to_string()),
        ("headroom", format!("{}%", plan.settings.headroom_pct)),
    ];
    if let Some(t) = &plan.trace {
        rows.push((
            "trace peak / mean rate",
            format!(
                "{} / {} req/s",
                human_opt(Some(t.peak_rate)),
                human_opt(Some(t.mean_rate))
            ),
        ));
        rows.push((
            "GPUs at peak / mean over time",
            format!("{} / {}", t.peak_gpus, human_opt(Some(t.mean_gpus))),
        ));
        rows.push(("cost of the trace, autoscaled", usd(t.usd_autoscaled)));
    }
    if let Some(z) = z {
        let what = if plan.rate.is_some() {
            "target rate"
        } else {
            "sized for the peak"
        };
        rows.push((what, format!("{} req/s", human_opt(Some(z.target_rate)))));
        rows.push(("replicas", z.replicas.to_string()));
        rows.push(("GPUs", z.gpus.to_string()));
        rows.push((
            "load per replica",
            format!("{:.1}% of capacity", z.replica_load_pct),
        ));
        rows.push(("cost per hour", usd(z.usd_per_hour)));
        rows.push((
            "GPU energy per hour",
            z.kwh_per_hour
                .map_or("-".into(), |k| format!("{} kWh", human_opt(Some(k)))),
        ));
        rows.push((
            "$ per million output tokens",
            usd(z.usd_per_million_output_tokens),
        ));
        rows.push((
            "kWh per million output tokens",
            human_opt(z.kwh_per_million_output_tokens),
        ));
    }
    rows.push((
        "J per output token at capacity",
        human_opt(c.energy_per_output_token_j),
    ));
    rows.push((
        "output tokens per joule at capacity",
        human_opt(c.output_tokens_per_joule),
    ));
    rows.push((
        "$ per million output tokens at capacity",
        usd(c.usd_per_million_output_tokens),
    ));
    ReportTable {
        title: "Capacity plan".into(),
        headers: vec!["".into(), "value".into()],
        rows: rows
            .into_iter()
            .map(|(k, v)| {
                let muted = v == "-" || v.starts_with("- ");
                vec![
                    ToneCell {
                        text: k.to_string(),
                        tone: Tone::Plain,
                        numeric: false,
                    },
                    ToneCell {
                        text: v,
                        tone: if muted { Tone::Muted } else { Tone::Plain },
                        numeric: true,
                    },
                ]
            })
            .collect(),
    }
}

/// `label (ISL i, OSL o)`, or the label alone when the workload is unknown.
pub fn series_name(label: &str, isl: Option<u64>, osl: Option<u64>) -> String {
    match (isl, osl) {
        (Some(i), Some(o)) => format!("{label} (ISL {i}, OSL {o})"),
        _ => label.to_string(),
    }
}

/// How the numbers were made, in a few lines under the table.
fn notes(plan: &CapacityPlan) -> String {
    let mut out = String::from(
        "replicas = ceil(rate / (capacity x (1 - headroom))); capacity = request throughput at the highest concurrency meeting the SLA.\n",
    );
    if plan.capacity.power_w.is_some() {
        out.push_str("Energy per hour uses the capacity point's measured GPU power (an upper bound for replicas below capacity).\n");
    } else {
        out.push_str("No GPU telemetry at the capacity point: energy figures are empty.\n");
    }
    if plan.settings.usd_per_gpu_hour.is_none() {
        out.push_str("Give --gpu-hour-cost USD for dollar figures.\n");
    }
    out
}
