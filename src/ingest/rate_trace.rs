//! A request-rate trace for capacity planning: CSV rows of `timestamp, requests per second`.
//! The timestamp is seconds (any origin) or an RFC 3339 time; a header row is optional.

use std::path::Path;

use super::read_text;
use crate::util::error::ReadError;

/// `(seconds since the first row, req/s)` rows in time order.
pub fn read_rate_trace(path: &Path) -> Result<Vec<(f64, f64)>, ReadError> {
    let text = read_text(path)?;
    let mut rows: Vec<(f64, f64)> = Vec::new();
    let mut origin_ns: Option<i128> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let [time, rate, ..] = cells[..] else {
            return Err(ReadError::line(
                path,
                i + 1,
                "expected `timestamp, requests per second`",
            ));
        };
        let rate: f64 = match rate.parse() {
            Ok(r) => r,
            // A header: words in the rate column of the first row.
            Err(_) if rows.is_empty() && origin_ns.is_none() => continue,
            Err(_) => {
                return Err(ReadError::line(
                    path,
                    i + 1,
                    format!("requests per second `{rate}` is not a number"),
                ))
            }
        };
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(ReadError::line(
                path,
                i + 1,
                format!("requests per second {rate} must be >= 0"),
            ));
        }
        let t = match time.parse::<f64>() {
            Ok(t) if t.is_finite() => t,
            _ => {
                let ns = super::telemetry::utc_ns(time).ok_or_else(|| {
                    ReadError::line(
                        path,
                        i + 1,
                        format!("timestamp `{time}` is neither seconds nor an RFC 3339 time"),
                    )
                })?;
                let origin = *origin_ns.get_or_insert(ns);
                (ns - origin) as f64 / 1e9
            }
        };
        if rows.last().is_some_and(|(prev, _)| t <= *prev) {
            return Err(ReadError::line(
                path,
                i + 1,
                format!("timestamp `{time}` is not after the row before"),
            ));
        }
        rows.push((t, rate));
    }
    if rows.is_empty() {
        return Err(ReadError::file(
            path,
            "no `timestamp, requests per second` rows",
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_or_times_with_an_optional_header() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        std::fs::write(&a, "timestamp,rps\n0,2\n600,10.5\n1200,6\n").unwrap();
        assert_eq!(
            read_rate_trace(&a).unwrap(),
            vec![(0.0, 2.0), (600.0, 10.5), (1200.0, 6.0)]
        );
        let b = dir.path().join("b.csv");
        std::fs::write(&b, "2026-11-25T10:00:00Z, 3\n2026-11-25T10:05:00Z, 4\n").unwrap();
        assert_eq!(read_rate_trace(&b).unwrap(), vec![(0.0, 3.0), (300.0, 4.0)]);
        let c = dir.path().join("c.csv");
        std::fs::write(&c, "0,2\n60,x\n").unwrap();
        let err = read_rate_trace(&c).unwrap_err().to_string();
        assert!(
            err.contains("c.csv: line 2") && err.contains("`x`"),
            "{err}"
        );
        std::fs::write(&c, "60,2\n0,3\n").unwrap();
        assert!(read_rate_trace(&c)
            .unwrap_err()
            .to_string()
            .contains("not after"));
    }
}
