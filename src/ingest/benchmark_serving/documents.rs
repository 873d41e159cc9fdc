//! The JSON documents of a benchmark_serving file: one object, or JSON Lines of them; Python's
//! bare `NaN`/`Infinity` (SGLang writes `Infinity` for an unlimited request rate) made strict.

use std::borrow::Cow;
use std::path::Path;

use serde_json::Value;

use crate::ingest::fields::parse_json;
use crate::util::error::ReadError;

/// The JSON values of the file, each with its line number when the file is JSON Lines.
/// JSON Lines = more than one non-blank line and the first one is a complete object on its own;
/// anything else (one line, or a pretty-printed object) is read as a single document.
/// A bad JSON Lines line is returned as its error, so the other lines can still be read.
#[allow(clippy::type_complexity)]
pub(super) fn documents(
    path: &Path,
    text: &str,
) -> Result<Vec<(Option<usize>, Result<Value, ReadError>)>, ReadError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let first_is_object = lines
        .first()
        .is_some_and(|(_, l)| serde_json::from_str::<Value>(l).is_ok_and(|v| v.is_object()));
    if lines.len() <= 1 || !first_is_object {
        if lines.is_empty() {
            return Ok(Vec::new());
        }
        return Ok(vec![(None, Ok(parse_json(path, text)?))]);
    }
    Ok(lines
        .into_iter()
        .map(|(n, l)| {
            let value = serde_json::from_str::<Value>(l).map_err(|e| {
                let what = if e.is_eof() {
                    "line ends in the middle of the JSON (truncated?)"
                } else {
                    "invalid JSON"
                };
                // serde's own "at line 1" counts within the line; give the column only.
                let full = e.to_string();
                let detail = full
                    .rsplit_once(" at line ")
                    .map_or(full.as_str(), |(d, _)| d);
                ReadError::line(
                    path,
                    n,
                    format!("{what}: {detail} at column {}", e.column()),
                )
            });
            (Some(n), value)
        })
        .collect())
}

/// Python's `json.dump` writes `NaN`, `Infinity` and `-Infinity` bare (SGLang: `"request_rate": Infinity`).
/// Outside strings, `NaN` becomes `null` (no value) and the infinities become the strings
/// `"Infinity"`/`"-Infinity"`, which the field readers treat as "inf" or reject by name.
/// Line breaks are kept, so line numbers in errors stay right. A null read this way is
/// reported by [`warn_nulls`].
pub(super) fn strict_json(text: &str) -> Cow<'_, str> {
    if !text.contains("NaN") && !text.contains("Infinity") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let (mut in_string, mut escaped) = (false, false);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\n' {
            // JSON strings hold no raw line break: a line cut inside a string ends it here.
            (in_string, escaped) = (false, false);
        } else if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else {
            let swap = [
                ("-Infinity", "\"-Infinity\""),
                ("Infinity", "\"Infinity\""),
                ("NaN", "null"),
            ]
            .into_iter()
            .find(|(bare, _)| rest.starts_with(bare));
            if let Some((bare, quoted)) = swap {
                out.push_str(quoted);
                rest = &rest[bare.len()..];
                continue;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_python_constants_become_strict_json_outside_strings() {
        let s = r#"{"a": Infinity, "b": -Infinity, "c": NaN, "t": "NaN and Infinity \" Infinity"}"#;
        let v: Value = serde_json::from_str(&strict_json(s)).unwrap();
        assert_eq!(v["a"], "Infinity");
        assert_eq!(v["b"], "-Infinity");
        assert!(v["c"].is_null());
        assert_eq!(v["t"], "NaN and Infinity \" Infinity");
        assert!(matches!(strict_json("{\"x\": 1}"), Cow::Borrowed(_)));
    }
}
