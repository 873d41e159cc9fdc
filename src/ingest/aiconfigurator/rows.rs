//! AIConfigurator CSV rows (`pareto.csv`, `best_config_topn.csv`): every value by its header
//! name, since the columns differ by version.

use std::collections::BTreeMap;
use std::path::Path;

use crate::model::AicRow;
use crate::util::error::ReadError;

/// Columns every version's CSVs have and the reader needs.
const REQUIRED: [&str; 7] = [
    "concurrency",
    "ttft",
    "tpot",
    "tokens/s",
    "tokens/s/gpu",
    "tokens/s/user",
    "num_total_gpus",
];

/// Reads a prediction CSV by header name. `ranked` numbers the rows (best_config_topn.csv).
pub(super) fn read_rows(path: &Path, ranked: bool) -> Result<Vec<AicRow>, ReadError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .map_err(|e| csv_error(path, &e))?;
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| csv_error(path, &e))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if let Some(missing) = REQUIRED.iter().find(|c| !header.iter().any(|h| h == *c)) {
        return Err(ReadError::new(
            path,
            format!("column `{missing}`"),
            "missing from the header (every AIConfigurator version writes it)",
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in rdr.records().enumerate() {
        let record = record.map_err(|e| csv_error(path, &e))?;
        let columns: BTreeMap<String, String> = header
            .iter()
            .cloned()
            .zip(record.iter().map(|v| v.trim().to_string()))
            .collect();
        let cells = Cells {
            path,
            row: i + 1,
            columns: &columns,
        };
        let mut row = cells.row()?;
        row.rank = ranked.then_some(i + 1);
        row.columns = columns;
        rows.push(row);
    }
    Ok(rows)
}

fn csv_error(path: &Path, e: &csv::Error) -> ReadError {
    match e.position() {
        Some(pos) => ReadError::line(path, pos.line() as usize, format!("bad CSV: {e}")),
        None => ReadError::file(path, format!("bad CSV: {e}")),
    }
}

/// Typed access to one CSV row, with errors naming file, row and column.
struct Cells<'a> {
    path: &'a Path,
    row: usize,
    columns: &'a BTreeMap<String, String>,
}

impl Cells<'_> {
    fn err(&self, col: &str, expected: &str, found: &str) -> ReadError {
        ReadError::new(
            self.path,
            format!("row {} (line {}), column `{col}`", self.row, self.row + 1),
            format!("expected {expected}, found `{found}`"),
        )
    }

    fn text(&self, col: &str) -> Option<String> {
        self.columns.get(col).filter(|v| !v.is_empty()).cloned()
    }

    /// The first of these columns that is present and not empty (disagg rows prefix `(d)`/`(p)`).
    fn text_any(&self, cols: &[&str]) -> Option<String> {
        cols.iter().find_map(|c| self.text(c))
    }

    fn opt_f64(&self, col: &str) -> Result<Option<f64>, ReadError> {
        let Some(raw) = self.columns.get(col) else {
            return Ok(None);
        };
        if raw.is_empty() || raw.eq_ignore_ascii_case("nan") {
            return Ok(None);
        }
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
            _ => Err(self.err(col, "a number >= 0", raw)),
        }
    }

    fn f64(&self, col: &str) -> Result<f64, ReadError> {
        let raw = self.columns.get(col).map(String::as_str).unwrap_or("");
        self.opt_f64(col)?
            .ok_or_else(|| self.err(col, "a number", raw))
    }

    fn opt_u64(&self, col: &str) -> Result<Option<u64>, ReadError> {
        match self.opt_f64(col)? {
            Some(v) if v.fract() == 0.0 => Ok(Some(v as u64)),
            Some(_) => Err(self.err(
                col,
                "a whole number",
                self.columns.get(col).map_or("", |s| s),
            )),
            None => Ok(None),
        }
    }

    fn u64(&self, col: &str) -> Result<u64, ReadError> {
        let raw = self.columns.get(col).map(String::as_str).unwrap_or("");
        self.opt_u64(col)?
            .ok_or_else(|| self.err(col, "a whole number", raw))
    }

    fn row(&self) -> Result<AicRow, ReadError> {
        Ok(AicRow {
            rank: None,
            row: self.row,
            model: self.text("model"),
            isl: self.opt_u64("isl")?,
            osl: self.opt_u64("osl")?,
            concurrency: self.u64("concurrency")?,
            request_rate: self.opt_f64("request_rate")?,
            bs: self.opt_u64("bs")?,
            ttft_ms: self.f64("ttft")?,
            tpot_ms: self.f64("tpot")?,
            request_latency_ms: self.opt_f64("request_latency")?,
            tokens_s: self.f64("tokens/s")?,
            tokens_s_gpu: self.f64("tokens/s/gpu")?,
            tokens_s_user: self.f64("tokens/s/user")?,
            tokens_s_gpu_cluster: self.opt_f64("tokens/s/gpu_cluster")?,
            num_total_gpus: self.u64("num_total_gpus")?,
            parallel: self.parallel(),
            tp: self.opt_u64("tp")?,
            pp: self.opt_u64("pp")?,
            dp: self.opt_u64("dp")?,
            backend: self.text_any(&["backend", "(d)backend", "(p)backend"]),
            version: self.text_any(&["version", "(d)version", "(p)version"]),
            system: self.text_any(&["system", "(d)system", "(p)system"]),
            columns: BTreeMap::new(),
        })
    }

    /// Agg: `parallel`; disagg: both worker kinds with their counts.
    fn parallel(&self) -> Option<String> {
        if let Some(p) = self.text("parallel") {
            return Some(p);
        }
        let side = |s: &str| {
            let par = self.text(&format!("({s})parallel"))?;
            let workers = self
                .text(&format!("({s})workers"))
                .unwrap_or_else(|| "?".into());
            Some(format!("({s}){par}x{workers}"))
        };
        match (side("p"), side("d")) {
            (Some(p), Some(d)) => Some(format!("{p} + {d}")),
            (p, d) => p.or(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disagg_parallel_names_both_worker_kinds() {
        let cols: BTreeMap<String, String> = [
            ("(p)parallel", "tp2pp1dp1etp1ep1"),
            ("(p)workers", "3"),
            ("(d)parallel", "tp4pp1dp1etp1ep1"),
            ("(d)workers", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = Cells {
            path: Path::new("x.csv"),
            row: 1,
            columns: &cols,
        };
        assert_eq!(
            c.parallel().as_deref(),
            Some("(p)tp2pp1dp1etp1ep1x3 + (d)tp4pp1dp1etp1ep1x1")
        );
    }
}
