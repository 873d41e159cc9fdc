//! A loaded sweep as the run record the store keeps: every point with every canonical metric,
//! repeats of a point numbered, the run's time and its default id.

use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::model::{Metric, Point, SearchedCapacity, Sweep};
use crate::store::{short_hash, Fingerprint, RunRecord, StoredPoint};
use crate::util::error::Error;

/// What the user said about the run (`history add` flags).
#[derive(Clone, Debug, Default)]
pub struct RunMeta {
    pub run_id: Option<String>,
    pub commit: Option<String>,
    pub branch: Option<String>,
    /// RFC 3339; default: when the run started (run.json), else now.
    pub time: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// Seconds since the epoch of an RFC 3339 time (`Z` or a `+hh:mm` offset, fractions allowed).
pub fn parse_time(text: &str) -> Result<i64, String> {
    let bad = || format!("`{text}` is not an RFC 3339 time (e.g. 2026-11-25T02:00:00Z)");
    let t = text.trim();
    let (local, offset_s) = match t
        .len()
        .checked_sub(6)
        .and_then(|i| t.get(i..).map(|o| (i, o)))
    {
        Some((i, o))
            if (o.starts_with('+') || o.starts_with('-'))
                && o.as_bytes()[3] == b':'
                && t.contains('T') =>
        {
            let h: i64 = o[1..3].parse().map_err(|_| bad())?;
            let m: i64 = o[4..6].parse().map_err(|_| bad())?;
            let sign = if o.starts_with('-') { -1 } else { 1 };
            (&t[..i], sign * (h * 3600 + m * 60))
        }
        _ => (t.strip_suffix('Z').unwrap_or(t), 0),
    };
    let utc = humantime::parse_rfc3339_weak(local).map_err(|_| bad())?;
    let secs = utc.duration_since(UNIX_EPOCH).map_err(|_| bad())?.as_secs() as i64;
    Ok(secs - offset_s)
}

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A count as the store's integer.
fn int(v: Option<u64>) -> Option<i64> {
    v.and_then(|v| i64::try_from(v).ok())
}

/// The stored form of a point; `repeat` numbers measurements of the same point in one run.
fn stored_point(p: &Point, repeat: i64) -> StoredPoint {
    StoredPoint {
        label: p.label.clone(),
        source: p.source.name().to_string(),
        isl: int(p.isl),
        osl: int(p.osl),
        concurrency: int(p.concurrency),
        batch_size: int(p.batch_size_load()),
        request_rate: p.request_rate,
        repeat,
        values: p.metrics.iter().map(|(m, v)| (m.name(), *v)).collect(),
    }
}

/// A searched capacity as a stored point of its label and workload with no load of its own:
/// `history check` follows it as a series like any metric (a drop is a regression).
fn stored_capacity(c: &SearchedCapacity) -> Option<StoredPoint> {
    Some(StoredPoint {
        label: c.label.clone(),
        source: CAPACITY_SOURCE.into(),
        isl: int(c.isl),
        osl: int(c.osl),
        concurrency: None,
        batch_size: None,
        request_rate: None,
        repeat: 0,
        values: [(Metric::CapacityConcurrency.name(), c.capacity? as f64)].into(),
    })
}

/// The `source` of a stored capacity (it is the runner's answer, not one tool's point).
pub const CAPACITY_SOURCE: &str = "adreport capacity search";

/// Builds the record of one run. `started` is when the run began according to its files.
pub fn run_record(
    sweep: &Sweep,
    meta: &RunMeta,
    fingerprint: Fingerprint,
    started: Option<String>,
    inputs: &[String],
) -> Result<RunRecord, Error> {
    // A point measured several times (its repeats, or the same load twice) is stored once
    // per measurement, numbered.
    let mut seen: HashMap<String, i64> = HashMap::new();
    let points: Vec<StoredPoint> = sweep
        .points
        .iter()
        .flat_map(|p| {
            if p.repeats.is_empty() {
                std::slice::from_ref(p)
            } else {
                p.repeats.as_slice()
            }
        })
        .map(|p| {
            let sp = stored_point(p, 0);
            let key = format!(
                "{}|{:?}|{:?}|{:?}|{:?}|{:?}",
                sp.label, sp.isl, sp.osl, sp.concurrency, sp.batch_size, sp.request_rate
            );
            let n = seen.entry(key).or_insert(0);
            let repeat = *n;
            *n += 1;
            StoredPoint { repeat, ..sp }
        })
        .chain(sweep.capacities.iter().filter_map(stored_capacity))
        .collect();
    let (time, time_s) = match meta.time.as_deref().or(started.as_deref()) {
        Some(t) => {
            let s = parse_time(t).map_err(|e| Error::Usage(format!("--time: {e}")))?;
            (t.to_string(), s)
        }
        None => (crate::store::now_rfc3339(), now_s()),
    };
    let run_id = match &meta.run_id {
        Some(id) if id.trim().is_empty() => {
            return Err(Error::Usage("--run-id must not be empty".into()))
        }
        Some(id) => id.clone(),
        // Same results, same id: adding them again replaces instead of duplicating.
        None => {
            let mut text = fingerprint.hash();
            for p in &points {
                text.push_str(&format!("\n{p:?}"));
            }
            short_hash(text.as_bytes())
        }
    };
    Ok(RunRecord {
        run_id,
        time,
        time_s,
        commit: meta.commit.clone(),
        branch: meta.branch.clone(),
        tags: meta.tags.clone(),
        inputs: inputs.to_vec(),
        fingerprint,
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::test_point;

    #[test]
    fn times_with_offsets_and_fractions() {
        // date -u -d 2026-11-25T02:00:00Z +%s -> 1795572000
        assert_eq!(parse_time("2026-11-25T02:00:00Z"), Ok(1_795_572_000));
        assert_eq!(parse_time("2026-11-25T04:00:00+02:00"), Ok(1_795_572_000));
        assert_eq!(parse_time("2026-11-24T21:30:00-04:30"), Ok(1_795_572_000));
        assert_eq!(parse_time("2026-11-25T02:00:00.250Z"), Ok(1_795_572_000));
        assert!(parse_time("yesterday").is_err());
    }

    #[test]
    fn repeats_are_numbered_and_the_default_id_follows_the_values() {
        let mut sweep = Sweep {
            points: vec![
                test_point(1, 10.0, 5.0),
                test_point(1, 11.0, 5.0),
                test_point(8, 30.0, 9.0),
            ],
            ..Default::default()
        };
        let meta = RunMeta {
            time: Some("2026-11-25T02:00:00Z".into()),
            ..Default::default()
        };
        let r = run_record(&sweep, &meta, Fingerprint::default(), None, &[]).unwrap();
        let repeats: Vec<i64> = r.points.iter().map(|p| p.repeat).collect();
        assert_eq!(repeats, vec![0, 1, 0]);
        assert_eq!(r.points[0].values["ttft_avg_ms"], 10.0);
        assert_eq!(r.time_s, 1_795_572_000);
        let again = run_record(&sweep, &meta, Fingerprint::default(), None, &[]).unwrap();
        assert_eq!(r.run_id, again.run_id);
        // A point that carries its repeats is stored once per repeat.
        let merged = crate::model::Point::from_repeats(vec![
            test_point(4, 20.0, 7.0),
            test_point(4, 22.0, 7.0),
        ])
        .unwrap();
        let with_repeats = Sweep {
            points: vec![merged],
            ..Default::default()
        };
        let r2 = run_record(&with_repeats, &meta, Fingerprint::default(), None, &[]).unwrap();
        let ttft: Vec<(i64, f64)> = r2
            .points
            .iter()
            .map(|p| (p.repeat, p.values["ttft_avg_ms"]))
            .collect();
        assert_eq!(ttft, [(0, 20.0), (1, 22.0)]);
        sweep.points[2].set(crate::model::Metric::RequestThroughput, 9.5);
        let other = run_record(&sweep, &meta, Fingerprint::default(), None, &[]).unwrap();
        assert_ne!(r.run_id, other.run_id);
    }
}
