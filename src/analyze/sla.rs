//! SLA targets and per-point verdicts.
//!
//! An SLA is a set of latency limits (`ttft=500,tpot=7`) judged on one statistic
//! (`avg` by default, the statistic AIConfigurator's SLA uses).

use std::fmt;

use serde::Serialize;

use crate::model::{Latency, Metric, Point, Stat};

/// One latency limit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Target {
    #[serde(serialize_with = "ser_latency")]
    pub latency: Latency,
    pub limit_ms: f64,
}

fn ser_latency<S: serde::Serializer>(l: &Latency, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(l.key())
}

fn ser_stat<S: serde::Serializer>(st: &Stat, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(st.key())
}

/// Latency limits judged on one statistic.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sla {
    pub targets: Vec<Target>,
    #[serde(serialize_with = "ser_stat")]
    pub stat: Stat,
}

impl Sla {
    /// The targets as (latency, limit in ms), the form a searched capacity keeps its SLA in.
    pub fn limits(&self) -> Vec<(Latency, f64)> {
        self.targets
            .iter()
            .map(|t| (t.latency, t.limit_ms))
            .collect()
    }

    /// Parses `ttft=500,tpot=7[,e2el=2000][,itl=10]` (milliseconds).
    pub fn parse(spec: &str, stat: Stat) -> Result<Sla, String> {
        let mut targets: Vec<Target> = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("`{part}` should look like ttft=500"))?;
            let latency = Latency::ALL
                .into_iter()
                .find(|l| l.key() == name.trim().to_ascii_lowercase())
                .ok_or_else(|| format!("unknown target `{name}` (use ttft, tpot, itl or e2el)"))?;
            let limit_ms: f64 = value
                .trim()
                .trim_end_matches("ms")
                .parse()
                .map_err(|_| format!("`{value}` for {name} is not a number of milliseconds"))?;
            if !(limit_ms.is_finite() && limit_ms > 0.0) {
                return Err(format!(
                    "the limit for {name} must be a positive number of ms"
                ));
            }
            if targets.iter().any(|t| t.latency == latency) {
                return Err(format!("{name} is given twice"));
            }
            targets.push(Target { latency, limit_ms });
        }
        if targets.is_empty() {
            return Err("give at least one target, e.g. ttft=500,tpot=7".into());
        }
        Ok(Sla { targets, stat })
    }

    /// The point metric a target is judged on.
    pub fn metric(&self, t: &Target) -> Metric {
        Metric::Latency(t.latency, self.stat)
    }

    /// Per-target verdicts for one point.
    pub fn check(&self, p: &Point) -> PointVerdict {
        let checks = self
            .targets
            .iter()
            .map(|t| {
                let value = p.get(self.metric(t));
                TargetCheck {
                    target: *t,
                    value,
                    pass: value.map(|v| v <= t.limit_ms),
                }
            })
            .collect();
        PointVerdict { checks }
    }
}

impl fmt::Display for Sla {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .targets
            .iter()
            .map(|t| {
                format!(
                    "{} {} <= {} ms",
                    self.stat.key(),
                    t.latency.title(),
                    fmt_num(t.limit_ms)
                )
            })
            .collect();
        f.write_str(&parts.join(", "))
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// One target judged on one point. `pass` is `None` when the point lacks the metric.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TargetCheck {
    pub target: Target,
    pub value: Option<f64>,
    pub pass: Option<bool>,
}

/// All targets judged on one point.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PointVerdict {
    pub checks: Vec<TargetCheck>,
}

impl PointVerdict {
    /// `Some(true)` when every target passes, `Some(false)` when any fails, `None` when unknown.
    pub fn pass(&self) -> Option<bool> {
        if self.checks.iter().any(|c| c.pass == Some(false)) {
            Some(false)
        } else if self.checks.iter().all(|c| c.pass == Some(true)) {
            Some(true)
        } else {
            None
        }
    }

    /// Names of the targets that failed, e.g. `["TTFT"]`.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.pass == Some(false))
            .map(|c| c.target.latency.title())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Source;

    #[test]
    fn parses_and_judges() {
        let sla = Sla::parse("ttft=500, tpot=7ms", Stat::Avg).unwrap();
        assert_eq!(sla.targets.len(), 2);
        let mut p = Point::new(Source::Aiperf, "x");
        p.set(Metric::Latency(Latency::Ttft, Stat::Avg), 499.0);
        p.set(Metric::Latency(Latency::Tpot, Stat::Avg), 7.5);
        let v = sla.check(&p);
        assert_eq!(v.pass(), Some(false));
        assert_eq!(v.failed(), vec!["TPOT"]);
        p.set(Metric::Latency(Latency::Tpot, Stat::Avg), 7.0);
        assert_eq!(sla.check(&p).pass(), Some(true));
        assert_eq!(sla.to_string(), "avg TTFT <= 500 ms, avg TPOT <= 7 ms");
    }

    #[test]
    fn rejects_bad_specs() {
        assert!(Sla::parse("ttft", Stat::Avg)
            .unwrap_err()
            .contains("ttft=500"));
        assert!(Sla::parse("foo=1", Stat::Avg)
            .unwrap_err()
            .contains("unknown target"));
        assert!(Sla::parse("ttft=-1", Stat::Avg)
            .unwrap_err()
            .contains("positive"));
        assert!(Sla::parse("ttft=abc", Stat::Avg)
            .unwrap_err()
            .contains("not a number"));
        assert!(Sla::parse("ttft=1,ttft=2", Stat::Avg)
            .unwrap_err()
            .contains("twice"));
    }
}
