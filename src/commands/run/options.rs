//! What both runners' settings share: `--config sweep.yaml`, the value shapes its keys and
//! the flags take (commands, number lists, seconds), and [`Layer`], which puts the settings
//! given on the command line over those of the file.
//!
//! Each runner has one options struct that is both its flags (clap) and its file (serde),
//! every field optional: the flags and the file are the same type, one `over` layers them
//! (the upper one wins), and the runner's `Settings::resolve` applies defaults and checks
//! once. Any further layer (a part of the file that overrides its top level) is the same
//! type and one more `over`.

use std::fs;
use std::path::Path;
use std::time::Duration;

use super::RunError;

/// A settings value given at two levels: the upper one (the flags) wins.
pub trait Layer {
    fn over(self, lower: Self) -> Self;
}

/// A value given wins.
impl<T> Layer for Option<T> {
    fn over(self, lower: Self) -> Self {
        self.or(lower)
    }
}

/// A switch is on when either level turns it on (a flag cannot turn one off).
impl Layer for bool {
    fn over(self, lower: Self) -> Self {
        self || lower
    }
}

/// A repeated flag given at all replaces the file's list.
impl<T> Layer for Vec<T> {
    fn over(self, lower: Self) -> Self {
        if self.is_empty() {
            lower
        } else {
            self
        }
    }
}

/// A key that may be left empty (`force:` or `force: null`) in the file: the default.
pub fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    use serde::Deserialize;
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A command as text (split like a shell would) or as a list.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum CmdSpec {
    Text(String),
    Argv(Vec<String>),
}

impl CmdSpec {
    /// A flag's value: always text.
    pub fn from_flag(text: &str) -> Result<CmdSpec, String> {
        Ok(CmdSpec::Text(text.to_string()))
    }
}

/// A list of numbers as `"1 4 8"`, `"1,4,8"`, a preset name, a YAML list or one number.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
#[serde(untagged)]
pub enum ListSpec {
    One(u64),
    Text(String),
    List(Vec<u64>),
}

impl ListSpec {
    /// A flag's value: always text.
    pub fn from_flag(text: &str) -> Result<ListSpec, String> {
        Ok(ListSpec::Text(text.to_string()))
    }

    /// The numbers (no presets), each > 0.
    pub fn numbers(self, what: &str) -> Result<Vec<u64>, RunError> {
        match self {
            ListSpec::One(n) => parse_list(&n.to_string(), what),
            ListSpec::Text(t) => parse_list(&t, what),
            ListSpec::List(v) => parse_list(
                &v.iter().map(u64::to_string).collect::<Vec<_>>().join(" "),
                what,
            ),
        }
    }
}

/// Splits a command given as text; a list is taken as is.
pub fn split_cmd(spec: CmdSpec, what: &str) -> Result<Vec<String>, RunError> {
    let argv = match spec {
        CmdSpec::Text(t) => shell_words::split(&t)
            .map_err(|e| RunError::Usage(format!("{what}: cannot split `{t}`: {e}")))?,
        CmdSpec::Argv(v) => v,
    };
    if argv.is_empty() {
        return Err(RunError::Usage(format!("{what} is empty")));
    }
    Ok(argv)
}

pub fn secs(v: f64, what: &str) -> Result<Duration, RunError> {
    if v.is_finite() && v > 0.0 {
        Ok(Duration::from_secs_f64(v))
    } else {
        Err(RunError::Usage(format!(
            "{what} takes seconds > 0, not {v}"
        )))
    }
}

/// Reads `--config sweep.yaml`: a mapping whose top-level keys are the flags' names, with
/// `-` or `_` (`server-cmd` or `server_cmd`). `example` shows the expected shape in errors.
pub fn load_options<T>(path: &Path, example: &str) -> Result<T, RunError>
where
    T: serde::de::DeserializeOwned + Default,
{
    match read_settings(path, example)? {
        None => Ok(T::default()),
        Some(m) => options_from(m, path),
    }
}

/// The mapping of `--config sweep.yaml` with its keys spelt as the flags (`-`, not `_`);
/// `None` for an empty file.
pub fn read_settings(path: &Path, example: &str) -> Result<Option<serde_yaml::Mapping>, RunError> {
    let text = fs::read_to_string(path).map_err(|e| RunError::io(path, e))?;
    let bad = |e: String| RunError::Usage(format!("{}: {e}", path.display()));
    let value: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
    match value {
        serde_yaml::Value::Null => Ok(None),
        serde_yaml::Value::Mapping(m) => Ok(Some(flag_keys(m))),
        _ => Err(bad(format!("expected a mapping of settings ({example})"))),
    }
}

/// `server_cmd` spelt `server-cmd`.
pub fn flag_keys(m: serde_yaml::Mapping) -> serde_yaml::Mapping {
    m.into_iter()
        .map(|(k, v)| match k {
            serde_yaml::Value::String(s) => (serde_yaml::Value::String(s.replace('_', "-")), v),
            other => (other, v),
        })
        .collect()
}

/// A runner's options from a settings mapping; errors name `path`.
pub fn options_from<T: serde::de::DeserializeOwned>(
    m: serde_yaml::Mapping,
    path: &Path,
) -> Result<T, RunError> {
    serde_yaml::from_value(serde_yaml::Value::Mapping(m))
        .map_err(|e| RunError::Usage(format!("{}: {e}", path.display())))
}

/// Parses `--concurrencies`: a preset name or numbers separated by spaces or commas.
pub fn parse_list(text: &str, what: &str) -> Result<Vec<u64>, RunError> {
    let values: Result<Vec<u64>, _> =
        text.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<u64>().ok().filter(|v| *v > 0).ok_or_else(|| {
                    RunError::Usage(format!("{what}: `{s}` is not a whole number > 0"))
                })
            })
            .collect();
    let values = values?;
    if values.is_empty() {
        return Err(RunError::Usage(format!("{what}: no values in `{text}`")));
    }
    Ok(values)
}

/// The flags of one runner's options struct parsed as the command line would, for the
/// runners' unit tests.
#[cfg(test)]
pub(crate) fn parse_flags<T: clap::Args + clap::FromArgMatches>(
    args: &[&str],
) -> Result<T, RunError> {
    let cmd = T::augment_args(clap::Command::new("adreport-run"));
    let argv = std::iter::once("adreport-run").chain(args.iter().copied());
    let matches = cmd
        .try_get_matches_from(argv)
        .map_err(|e| RunError::Usage(e.to_string()))?;
    T::from_arg_matches(&matches).map_err(|e| RunError::Usage(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_take_spaces_and_commas() {
        assert_eq!(parse_list("1 4, 8,16", "x").unwrap(), vec![1, 4, 8, 16]);
        assert!(parse_list("1 a", "--concurrencies")
            .unwrap_err()
            .to_string()
            .contains("`a`"));
        assert!(parse_list(" ", "x").is_err());
        assert!(parse_list("0", "x").is_err());
    }
}
