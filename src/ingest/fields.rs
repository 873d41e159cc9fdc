//! Typed access to JSON fields with errors that name the file and the field.

use std::path::Path;

use serde_json::{Map, Value};

use crate::util::error::ReadError;

/// A JSON object read from `path`, for field lookups that report where they failed.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    pub path: &'a Path,
    pub obj: &'a Map<String, Value>,
    /// Dotted prefix of this object inside the file, for messages (`performance.`).
    pub prefix: &'a str,
}

impl<'a> Fields<'a> {
    pub fn new(path: &'a Path, value: &'a Value) -> Result<Fields<'a>, ReadError> {
        match value.as_object() {
            Some(obj) => Ok(Fields {
                path,
                obj,
                prefix: "",
            }),
            None => Err(ReadError::file(
                path,
                "expected a JSON object at the top level",
            )),
        }
    }

    fn full(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    pub fn has(&self, key: &str) -> bool {
        self.obj.get(key).is_some_and(|v| !v.is_null())
    }

    /// A finite number, or `None` when the field is absent or null.
    /// Present with another type (or NaN/Infinity spelled as a string) is an error.
    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>, ReadError> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(v) if v.is_finite() => Ok(Some(v)),
                _ => Err(ReadError::field(
                    self.path,
                    &self.full(key),
                    "a finite number",
                )),
            },
            Some(other) => Err(ReadError::field(
                self.path,
                &self.full(key),
                format!("a number, found {}", kind(other)),
            )),
        }
    }

    /// A finite number that must be there.
    pub fn f64(&self, key: &str) -> Result<f64, ReadError> {
        self.opt_f64(key)?.ok_or_else(|| {
            ReadError::field(self.path, &self.full(key), "a number, but it is missing")
        })
    }

    /// A non-negative number (latency, count, throughput), or `None` when absent.
    pub fn opt_nonneg(&self, key: &str) -> Result<Option<f64>, ReadError> {
        match self.opt_f64(key)? {
            Some(v) if v < 0.0 => Err(ReadError::field(
                self.path,
                &self.full(key),
                format!("a value >= 0, found {v}"),
            )),
            other => Ok(other),
        }
    }

    /// A non-negative whole number, or `None` when absent.
    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>, ReadError> {
        match self.opt_nonneg(key)? {
            Some(v) if v.fract() == 0.0 => Ok(Some(v as u64)),
            Some(v) => Err(ReadError::field(
                self.path,
                &self.full(key),
                format!("a whole number, found {v}"),
            )),
            None => Ok(None),
        }
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, ReadError> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(ReadError::field(
                self.path,
                &self.full(key),
                format!("a string, found {}", kind(other)),
            )),
        }
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, ReadError> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(ReadError::field(
                self.path,
                &self.full(key),
                format!("true or false, found {}", kind(other)),
            )),
        }
    }

    /// A nested object, or `None` when absent or null.
    pub fn opt_obj(&self, key: &str, prefix: &'a str) -> Result<Option<Fields<'a>>, ReadError> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(obj)) => Ok(Some(Fields {
                path: self.path,
                obj,
                prefix,
            })),
            Some(other) => Err(ReadError::field(
                self.path,
                &self.full(key),
                format!("an object, found {}", kind(other)),
            )),
        }
    }

    /// An array, or `None` when absent or null.
    pub fn opt_array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, ReadError> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(other) => Err(ReadError::field(
                self.path,
                &self.full(key),
                format!("an array, found {}", kind(other)),
            )),
        }
    }
}

/// A short name of a JSON value's type for error messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses a whole JSON file, reporting line and column of a syntax error.
pub fn parse_json(path: &Path, text: &str) -> Result<Value, ReadError> {
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(ReadError::file(path, "empty file"));
    }
    serde_json::from_str(text).map_err(|e| json_error(path, text, &e))
}

/// A syntax error with its place: line, column and the key it follows, and what went wrong
/// (Python's bare `NaN`/`Infinity` are named, since they are the usual cause).
pub fn json_error(path: &Path, text: &str, e: &serde_json::Error) -> ReadError {
    let line = text.lines().nth(e.line().saturating_sub(1)).unwrap_or("");
    // serde's column is 1-based and counts bytes; the error is at or just after it.
    let mut upto = e.column().saturating_sub(1).min(line.len());
    while !line.is_char_boundary(upto) {
        upto -= 1;
    }
    let (before, at) = line.split_at(upto);
    let mut place = format!("line {} column {}", e.line(), e.column());
    // The key before the error names the field whose value is bad (not for a cut-off file).
    if let Some(key) = last_key(before).filter(|_| !e.is_eof()) {
        place.push_str(&format!(", field `{key}`"));
    }
    // serde repeats the position at the end of its message.
    let full = e.to_string();
    let detail = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(d, _)| d);
    let bare = ["NaN", "-Infinity", "Infinity"]
        .into_iter()
        .find(|b| at.trim_start().starts_with(b) || before.trim_end().ends_with(b));
    let message = match bare {
        Some(b) => format!("invalid JSON: `{b}` is not a JSON number (Python writes it for a missing or infinite value)"),
        None if e.is_eof() => format!("file ends in the middle of the JSON (truncated?): {detail}"),
        None => format!("invalid JSON: {detail}"),
    };
    ReadError::new(path, place, message)
}

/// The last `"key":` in a piece of one line, e.g. `"avg"` in `  "avg": NaN`.
pub(crate) fn last_key(before: &str) -> Option<&str> {
    let colon = before.rfind(':')?;
    let head = before[..colon].trim_end().strip_suffix('"')?;
    let start = head.rfind('"')?;
    Some(&head[start + 1..])
}

/// Parses a whole YAML file into the same value tree as JSON, so one set of field lookups reads
/// both (guidellm and llm-d write either); a syntax error names its line and column.
pub fn parse_yaml(path: &Path, text: &str) -> Result<Value, ReadError> {
    if text.trim_start_matches('\u{feff}').trim().is_empty() {
        return Err(ReadError::file(path, "empty file"));
    }
    // A YAML file cut short is often still valid YAML (a report missing its end, a last key
    // left null): every tool's YAML writer ends the file with a line break, so its absence
    // names the cut.
    if !text.ends_with('\n') {
        let last = text.lines().last().unwrap_or_default().trim();
        return Err(ReadError::line(
            path,
            text.lines().count(),
            format!(
                "the file ends in the middle of a line (`{}`), without a line break: cut short?",
                super::printable(&last.chars().take(60).collect::<String>())
            ),
        ));
    }
    serde_yaml::from_str::<Value>(text).map_err(|e| {
        let place = e
            .location()
            .map(|l| format!("line {} column {}", l.line(), l.column()))
            .unwrap_or_default();
        ReadError::new(path, place, format!("invalid YAML: {e}"))
    })
}

/// An error about a field of a nested object, with the object's place in the file put in
/// front of the field's name (`benchmarks[2].metrics.` + `time_to_first_token_ms`).
pub fn within(mut e: ReadError, place: &str) -> ReadError {
    if let Some(field) = e.at.strip_prefix("field `") {
        e.at = format!("field `{place}{field}");
    }
    e
}
