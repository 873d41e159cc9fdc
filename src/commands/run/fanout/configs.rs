//! The config matrix of `--config sweep.yaml`: its top-level keys, the fan-out keys (repeats,
//! Slurm, Kubernetes; the same names as the flags), and a `configs:` list whose entries each
//! have a `label` and any of the runner's keys, overriding the top level. Flags win over both.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::options::{FanOut, FanOutOptions};
use crate::commands::run::options::{flag_keys, options_from, read_settings};
use crate::commands::run::RunError;

/// The key of the config list.
pub const CONFIGS: &str = "configs";

/// What the fan-out needs of a runner's options struct (flags and file in one type).
pub trait RunnerOptions: Clone + Default + Serialize + DeserializeOwned {
    /// The shape of a settings file, for errors.
    const EXAMPLE: &'static str;
    /// `self` over `lower`: what `self` gives wins.
    fn over(self, lower: Self) -> Self;
    /// The settings every runner has.
    fn common(&mut self) -> Common<'_>;

    /// The flags over their `--config` file (when they name one).
    fn with_file(mut self) -> Result<Self, RunError> {
        let file = match self.common().config.clone() {
            Some(p) => crate::commands::run::options::load_options(&p, Self::EXAMPLE)?,
            None => Self::default(),
        };
        Ok(self.over(file))
    }
}

/// The settings every runner's options have, by reference.
pub struct Common<'a> {
    /// `--config`.
    pub config: &'a mut Option<PathBuf>,
    pub out: &'a mut Option<PathBuf>,
    pub label: &'a mut Option<String>,
    pub no_report: &'a mut bool,
    pub fan_out: &'a mut FanOutOptions,
}

/// The flags layered over the file: the fan-out settings, and the options of each config.
#[derive(Debug)]
pub struct Layered<T> {
    pub fan_out: FanOutOptions,
    pub configs: Vec<T>,
}

/// The long flag names of the fan-out settings, which are also their file keys.
fn fan_out_keys() -> Vec<String> {
    use clap::Args;
    FanOutOptions::augment_args(clap::Command::new("fan-out"))
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_string))
        .collect()
}

/// Reads the flags' `--config` file (if any) and layers: flags over a config entry over the
/// top level. Without `configs:` there is one config, as before.
pub fn layer<T: RunnerOptions>(mut flags: T) -> Result<Layered<T>, RunError> {
    let fan_flags = std::mem::take(flags.common().fan_out);
    let Some(path) = flags.common().config.clone() else {
        return Ok(Layered {
            fan_out: fan_flags,
            configs: vec![flags],
        });
    };
    let mut top = read_settings(&path, T::EXAMPLE)?.unwrap_or_default();
    let keys = fan_out_keys();
    let mut fan = serde_yaml::Mapping::new();
    for k in &keys {
        if let Some(v) = top.remove(k.as_str()) {
            fan.insert(k.as_str().into(), v);
        }
    }
    let fan_file: FanOutOptions = options_from(fan, &path)?;
    let list = top.remove(CONFIGS);
    let top: T = options_from(top, &path)?;
    let fan_out = fan_flags.over(fan_file);
    let Some(list) = list else {
        return Ok(Layered {
            fan_out,
            configs: vec![flags.over(top)],
        });
    };
    if let Some(l) = flags.common().label.clone() {
        return Err(RunError::Usage(format!(
            "--label {l}: {} lists `configs:`, each with its own label",
            path.display()
        )));
    }
    let bad = |msg: String| RunError::Usage(format!("{}: configs: {msg}", path.display()));
    let serde_yaml::Value::Sequence(entries) = list else {
        return Err(bad(
            "expected a list of configs, each with a `label:`".into()
        ));
    };
    let mut configs = Vec::new();
    for (i, entry) in entries.into_iter().enumerate() {
        let serde_yaml::Value::Mapping(m) = entry else {
            return Err(bad(format!("entry {} is not a mapping of settings", i + 1)));
        };
        let m = flag_keys(m);
        let label = match m.get("label") {
            Some(serde_yaml::Value::String(s)) => s.clone(),
            _ => return Err(bad(format!("entry {} has no `label:`", i + 1))),
        };
        if let Some(k) = keys
            .iter()
            .chain([&CONFIGS.to_string()])
            .find(|k| m.contains_key(k.as_str()))
        {
            return Err(bad(format!(
                "`{label}`: `{k}` applies to the whole sweep, not to one config"
            )));
        }
        let entry: T = options_from(m, &path).map_err(|e| bad(format!("`{label}`: {e}")))?;
        configs.push(flags.clone().over(entry.over(top.clone())));
    }
    let labels: Vec<String> = configs
        .iter_mut()
        .map(|c| c.common().label.clone().unwrap_or_default())
        .collect();
    super::check_labels(labels.iter().map(String::as_str))?;
    Ok(Layered { fan_out, configs })
}

/// The configs of the flags and their file, each resolved into the runner's settings, and
/// the fan-out they ask for.
pub fn resolve_all<T: RunnerOptions, S>(
    flags: T,
    resolve: impl Fn(T) -> Result<S, RunError>,
) -> Result<(Vec<T>, Vec<S>, FanOut), RunError> {
    let layered = layer(flags)?;
    let settings = layered
        .configs
        .iter()
        .cloned()
        .map(resolve)
        .collect::<Result<Vec<_>, _>>()?;
    let fan = layered.fan_out.resolve(settings.len())?;
    Ok((layered.configs, settings, fan))
}

/// The settings file of one config's jobs: `out` and `label` set, no `--config` (the job's
/// own settings file is its config), no fan-out, no end report (the submitting adreport
/// reports on every config at once).
pub fn job_settings<T: RunnerOptions>(
    options: &T,
    out: &Path,
    label: &str,
) -> Result<String, RunError> {
    let mut job = options.clone();
    let c = job.common();
    *c.config = None;
    *c.out = Some(super::absolute(out));
    *c.label = Some(label.to_string());
    *c.no_report = true;
    *c.fan_out = FanOutOptions::default();
    serde_yaml::to_string(&job)
        .map_err(|e| RunError::Other(format!("cannot write the settings of `{label}`: {e}")))
}
