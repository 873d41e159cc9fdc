//! The per-request arrays of a benchmark_serving result (`ttfts`, `itls`, `input_lens`, ...), in
//! seconds, as the point's requests.

use serde_json::Value;

use crate::ingest::fields::{kind, Fields};
use crate::model::{RequestRow, Requests};
use crate::util::error::ReadError;

/// Per-request arrays, one entry per request with failed ones included (vLLM `--save-detailed`,
/// SGLang `--output-details`, TensorRT-LLM `--save-detailed`). Seconds are converted to ms.
/// Latency: `latencies` (vLLM) or `e2els` (TensorRT-LLM), else ttft + sum(itls) (SGLang; its own
/// latency also includes the final `[DONE]` chunk, so its E2E/TPOT stats stay the file's).
pub(super) fn requests(f: Fields<'_>) -> Result<Option<Requests>, ReadError> {
    let arrays = PerRequest::read(f)?;
    let Some(n) = arrays.len(f)? else {
        return Ok(None);
    };
    let mut out = Requests::default();
    for i in 0..n {
        out.push(arrays.row(f, i)?);
    }
    Ok(Some(out))
}

/// The per-request arrays a file has (any subset).
struct PerRequest<'a> {
    errors: Option<&'a Vec<Value>>,
    ttfts: Option<&'a Vec<Value>>,
    itls: Option<&'a Vec<Value>>,
    input_lens: Option<&'a Vec<Value>>,
    output_lens: Option<&'a Vec<Value>>,
    latencies: Option<(&'static str, &'a Vec<Value>)>,
    generated_texts: Option<&'a Vec<Value>>,
}

impl<'a> PerRequest<'a> {
    fn read(f: Fields<'a>) -> Result<PerRequest<'a>, ReadError> {
        let latencies = match f.opt_array("latencies")? {
            Some(a) => Some(("latencies", a)),
            None => f.opt_array("e2els")?.map(|a| ("e2els", a)),
        };
        Ok(PerRequest {
            errors: f.opt_array("errors")?,
            ttfts: f.opt_array("ttfts")?,
            itls: f.opt_array("itls")?,
            input_lens: f.opt_array("input_lens")?,
            output_lens: f.opt_array("output_lens")?,
            latencies,
            generated_texts: f.opt_array("generated_texts")?,
        })
    }

    /// The common length of the arrays, `None` without any; different lengths name the odd field.
    fn len(&self, f: Fields<'_>) -> Result<Option<usize>, ReadError> {
        let all = [
            ("errors", self.errors),
            ("ttfts", self.ttfts),
            ("itls", self.itls),
            ("input_lens", self.input_lens),
            ("output_lens", self.output_lens),
            (
                self.latencies.map_or("latencies", |l| l.0),
                self.latencies.map(|l| l.1),
            ),
            ("generated_texts", self.generated_texts),
        ];
        let mut first: Option<(&str, usize)> = None;
        for (name, arr) in all {
            let Some(arr) = arr else { continue };
            match first {
                None => first = Some((name, arr.len())),
                Some((first_name, n)) if arr.len() != n => {
                    return Err(ReadError::field(
                        f.path,
                        name,
                        format!(
                            "one entry per request like `{first_name}` ({n}), found {}",
                            arr.len()
                        ),
                    ))
                }
                Some(_) => {}
            }
        }
        // generated_texts alone gives no measurement.
        let measured = self.ttfts.is_some()
            || self.latencies.is_some()
            || self.output_lens.is_some()
            || self.input_lens.is_some()
            || self.errors.is_some();
        Ok(first.filter(|_| measured).map(|(_, n)| n))
    }

    fn row(&self, f: Fields<'_>, i: usize) -> Result<RequestRow, ReadError> {
        let ttft_s = elem_num(f, "ttfts", self.ttfts, i)?;
        let gaps = match self.itls.and_then(|a| a.get(i)) {
            None | Some(Value::Null) => None,
            Some(Value::Array(g)) => {
                let mut sum = 0.0;
                for (j, v) in g.iter().enumerate() {
                    sum += v.as_f64().filter(|x| x.is_finite()).ok_or_else(|| {
                        ReadError::field(
                            f.path,
                            &format!("itls[{i}][{j}]"),
                            format!("a number, found {}", kind(v)),
                        )
                    })?;
                }
                Some((g.len(), sum))
            }
            Some(other) => {
                return Err(ReadError::field(
                    f.path,
                    &format!("itls[{i}]"),
                    format!("a list, found {}", kind(other)),
                ))
            }
        };
        let latency_s = match self.latencies {
            Some((name, a)) => elem_num(f, name, Some(a), i)?,
            None => None,
        };
        let isl = elem_num(f, "input_lens", self.input_lens, i)?;
        let osl = elem_num(f, "output_lens", self.output_lens, i)?;
        let ok = match self.errors.and_then(|a| a.get(i)) {
            Some(Value::String(s)) => s.is_empty(),
            None | Some(Value::Null) => {
                // Without `errors`: a failed request has output_len 0, ttft 0.0, latency 0.0 and no gaps.
                [ttft_s, latency_s, osl]
                    .iter()
                    .any(|v| v.is_some_and(|x| x > 0.0))
                    || gaps.is_some_and(|g| g.0 > 0)
            }
            Some(other) => {
                return Err(ReadError::field(
                    f.path,
                    &format!("errors[{i}]"),
                    format!("a string, found {}", kind(other)),
                ))
            }
        };
        if !ok {
            return Ok(RequestRow {
                isl,
                ok: false,
                ..RequestRow::default()
            });
        }
        // TTFT 0.0 is what non-streaming requests record: not a measurement.
        let ttft_s = ttft_s.filter(|t| *t > 0.0);
        let rebuilt = match (ttft_s, gaps) {
            (Some(t), Some((_, sum))) => Some(t + sum),
            _ => None,
        };
        let latency_s = latency_s.filter(|l| *l > 0.0).or(rebuilt);
        let tpot_ms = match (latency_s, ttft_s, osl) {
            (Some(l), Some(t), Some(o)) if o > 1.0 => Some((l - t) / (o - 1.0) * 1000.0),
            _ => None,
        };
        Ok(RequestRow {
            ttft_ms: ttft_s.map(|t| t * 1000.0),
            tpot_ms,
            e2el_ms: latency_s.map(|l| l * 1000.0),
            isl,
            osl,
            ok: true,
        })
    }
}

/// Entry `i` of a numeric per-request array: a non-negative finite number, or None (absent, null/NaN).
fn elem_num(
    f: Fields<'_>,
    name: &str,
    arr: Option<&Vec<Value>>,
    i: usize,
) -> Result<Option<f64>, ReadError> {
    match arr.and_then(|a| a.get(i)) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => match v.as_f64() {
            Some(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
            _ => Err(ReadError::field(
                f.path,
                &format!("{name}[{i}]"),
                format!(
                    "a number >= 0, found {}",
                    if v.is_number() {
                        v.to_string()
                    } else {
                        kind(v).to_string()
                    }
                ),
            )),
        },
    }
}
