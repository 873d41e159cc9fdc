//! Fan-out: one sweep command over a matrix of configs x repeats, run here one after the
//! other, as Slurm batch jobs, or written out as Kubernetes Jobs.
//!
//! A runner resolves its configs (the `configs:` list of `--config sweep.yaml`, or the one
//! sweep of the flags) into [`Config`]s: a label, its directory `OUT/LABEL`, its point
//! names and its settings as the YAML file a job reads. Everything here works on those and
//! never on a runner's own settings, so both runners share it. A unit of work is one config
//! x one repeat ([`Unit`]); a Slurm job or a Kubernetes Job runs exactly one unit with the
//! same `adreport run online|offline` a user would type, so readiness, faults, resume and
//! the layout stay the runner's own.
//!
//! Layout: `OUT/LABEL/<point>/` with one pass (as without fan-out), `OUT/LABEL/rep_K/<point>/`
//! with `--repeats N` > 1; job scripts and logs in `OUT/LABEL/slurm/`.

pub mod configs;
pub mod execute;
pub mod k8s;
pub mod local;
pub mod options;
pub mod slurm;
pub mod status;
pub mod tool;

use std::fs;
use std::path::{Path, PathBuf};

use super::{is_complete, RunError};
use options::FanOut;

/// Directory of the job scripts, settings and job logs inside `OUT/LABEL`.
pub const SLURM_DIR: &str = "slurm";
/// The settings of one config as the file its jobs read (`--config`).
pub const SETTINGS_FILE: &str = "settings.yaml";

/// One config of the matrix, resolved by its runner.
#[derive(Clone, Debug)]
pub struct Config {
    pub label: String,
    /// `OUT/LABEL`.
    pub dir: PathBuf,
    /// The point directory names of one pass, in sweep order.
    pub points: Vec<String>,
    /// The runner's settings of this config alone, as YAML its `--config` reads: `out` and
    /// `label` set, no fan-out keys, the end report left to the submitting process.
    pub settings_yaml: String,
    /// GPUs the config serves on (`--world-size`, `--tp`), when known: a job's default GPU count.
    pub gpus: Option<u64>,
    /// A capacity search (`--find-capacity`): its probes are not known in advance (`points` is
    /// empty), one job runs the whole search (`--repeats` caps a probe's runs), and it is done
    /// when its `capacity.json` says so.
    pub search: bool,
}

/// The configs, how often each runs, and in which order.
#[derive(Clone, Debug)]
pub struct Matrix {
    /// `online` or `offline`: the `adreport run` subcommand of the jobs.
    pub runner: &'static str,
    pub out: PathBuf,
    pub configs: Vec<Config>,
    /// Passes over every point; 1 keeps the layout of a single sweep.
    pub repeats: u32,
    /// A rep 1, B rep 1, A rep 2, ... instead of A rep 1, A rep 2, ..., B rep 1, ...
    pub interleave: bool,
}

/// One config x one repeat: what one job runs.
#[derive(Clone, Copy, Debug)]
pub struct Unit<'a> {
    pub config: &'a Config,
    /// `Some(K)` when the sweep has more than one repeat.
    pub repeat: Option<u32>,
    /// Of how many.
    pub repeats: u32,
}

/// `rep_K`, the directory of repeat K under `OUT/LABEL`.
pub fn rep_dir(k: u32) -> String {
    format!("rep_{k}")
}

impl Unit<'_> {
    /// Where its points go: `OUT/LABEL`, or `OUT/LABEL/rep_K`.
    pub fn root(&self) -> PathBuf {
        match self.repeat {
            Some(k) => self.config.dir.join(rep_dir(k)),
            None => self.config.dir.clone(),
        }
    }

    /// `base`, or `base rep 2/3`, for progress lines.
    pub fn name(&self) -> String {
        match self.repeat {
            Some(k) => format!("{} rep {k}/{}", self.config.label, self.repeats),
            None => self.config.label.clone(),
        }
    }

    /// `job` or `job_rep_K`: the file names of its job script and settings.
    pub fn stem(&self) -> String {
        match self.repeat {
            Some(k) => format!("job_{}", rep_dir(k)),
            None => "job".into(),
        }
    }

    /// Point directories of this unit, in sweep order.
    pub fn point_dirs(&self) -> Vec<PathBuf> {
        let root = self.root();
        self.config.points.iter().map(|p| root.join(p)).collect()
    }

    /// How many of its points (a search: its probe runs) are complete on disk.
    pub fn complete(&self) -> usize {
        if self.config.search {
            return search_runs(&self.config.dir);
        }
        self.point_dirs().iter().filter(|d| is_complete(d)).count()
    }

    pub fn is_done(&self) -> bool {
        if self.config.search {
            return search_done(&self.config.dir);
        }
        self.complete() == self.config.points.len()
    }

    /// `N/M points complete`, or for a search `N probe runs complete, search done|not done`.
    pub fn progress(&self) -> String {
        if self.config.search {
            let state = if self.is_done() { "done" } else { "not done" };
            return format!("{} probe runs complete, search {state}", self.complete());
        }
        format!(
            "{}/{} points complete",
            self.complete(),
            self.config.points.len()
        )
    }

    /// The `adreport run ...` arguments (after the program) that run this unit alone.
    pub fn command_args(&self, runner: &str, settings: &Path) -> Vec<String> {
        let mut a = vec![
            "run".to_string(),
            runner.to_string(),
            "--config".to_string(),
            settings.display().to_string(),
        ];
        if let Some(k) = self.repeat {
            a.extend([
                "--repeats".into(),
                self.repeats.to_string(),
                "--repeat".into(),
                k.to_string(),
            ]);
        } else if self.config.search && self.repeats > 1 {
            a.extend(["--repeats".into(), self.repeats.to_string()]);
        }
        a
    }
}

impl Matrix {
    /// The matrix of `configs` for `runner`; `outs[i]` is config i's `--out`: all the same,
    /// since the comparison and `run status` look at one OUT.
    pub fn new(
        runner: &'static str,
        outs: &[PathBuf],
        configs: Vec<Config>,
        fan: &FanOut,
    ) -> Result<Matrix, RunError> {
        let first = outs
            .first()
            .ok_or_else(|| RunError::Usage("no config to run".into()))?;
        if let Some(i) = outs.iter().position(|o| o != first) {
            return Err(RunError::Usage(format!(
                "config `{}` writes to {}, config `{}` to {}: every config of a sweep goes under one OUT",
                configs[0].label,
                first.display(),
                configs[i].label,
                outs[i].display()
            )));
        }
        Ok(Matrix {
            runner,
            out: absolute(first),
            configs,
            repeats: fan.repeats,
            interleave: fan.interleave,
        })
    }

    /// Where a unit's config is in the list the matrix was made from.
    pub fn index(&self, unit: &Unit) -> usize {
        self.configs
            .iter()
            .position(|c| c.label == unit.config.label)
            .unwrap_or(0)
    }

    /// Every unit in the order they run here (and are submitted): config by config, each
    /// pass by pass; with `interleave`, pass by pass, each config in turn.
    pub fn units(&self) -> Vec<Unit<'_>> {
        // A search is one unit: its job repeats the probes that need it.
        let reps: Vec<Option<u32>> = if self.repeats > 1 && !self.configs.iter().any(|c| c.search) {
            (1..=self.repeats).map(Some).collect()
        } else {
            vec![None]
        };
        let unit = |config, repeat| Unit {
            config,
            repeat,
            repeats: self.repeats,
        };
        if self.interleave {
            reps.iter()
                .flat_map(|&r| self.configs.iter().map(move |c| unit(c, r)))
                .collect()
        } else {
            self.configs
                .iter()
                .flat_map(|c| reps.iter().map(move |&r| unit(c, r)))
                .collect()
        }
    }

    /// Writes `OUT/LABEL/slurm/settings.yaml` of every config; returns their paths (absolute,
    /// so a job started anywhere finds them).
    pub fn write_settings(&self) -> Result<Vec<PathBuf>, RunError> {
        self.configs
            .iter()
            .map(|c| {
                let dir = absolute(&c.dir.join(SLURM_DIR));
                fs::create_dir_all(&dir).map_err(|e| RunError::io(&dir, e))?;
                let path = dir.join(SETTINGS_FILE);
                let text = format!(
                    "# The settings of config `{}` alone, as its jobs run it.\n{}",
                    c.label, c.settings_yaml
                );
                crate::util::write::write_atomic(&path, text.as_bytes())
                    .map_err(|e| RunError::Other(e.to_string()))?;
                Ok(path)
            })
            .collect()
    }

    /// `label=dir` inputs of every complete point, config by config (repeats in order), for
    /// the end report: one series per config, the first the baseline.
    pub fn report_inputs(&self) -> Vec<String> {
        let mut units = self.units();
        units.sort_by_key(|u| (self.index(u), u.repeat));
        units
            .iter()
            .flat_map(|u| {
                let root = u.root();
                // A search's probes and capacity.json are read from its whole directory.
                if u.config.search {
                    return (u.complete() > 0)
                        .then(|| format!("{}={}", u.config.label, u.config.dir.display()))
                        .into_iter()
                        .collect();
                }
                u.config
                    .points
                    .iter()
                    .filter(|p| is_complete(&root.join(p)))
                    .map(|p| format!("{}={}", series(&u.config.label, p), root.join(p).display()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Where the end report goes: `OUT/LABEL/report` for one config, `OUT/report` (a
    /// comparison against the first config) for several.
    pub fn report_dir(&self) -> PathBuf {
        match self.configs.as_slice() {
            [one] => one.dir.join("report"),
            _ => self.out.join("report"),
        }
    }
}

/// Complete probe runs of a search under `dir` (`OUT/LABEL/<point>/`, `OUT/LABEL/rep_K/<point>/`).
pub fn search_runs(dir: &Path) -> usize {
    let complete_below = |d: &Path| -> usize {
        fs::read_dir(d).map_or(0, |rd| {
            rd.filter_map(Result::ok)
                .filter(|e| is_complete(&e.path()))
                .count()
        })
    };
    let reps: usize = fs::read_dir(dir).map_or(0, |rd| {
        rd.filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("rep_"))
            .map(|e| complete_below(&e.path()))
            .sum()
    });
    complete_below(dir) + reps
}

/// Whether the search under `dir` finished: its capacity.json says `"done": true`.
pub fn search_done(dir: &Path) -> bool {
    let path = dir.join(crate::model::CAPACITY_FILE);
    crate::ingest::capacity::read(&path, "")
        .and_then(Result::ok)
        .is_some_and(|c| c.done)
}

/// The series a point belongs to in the end report: the config's label, followed by the
/// point's parent directories (`run offline`'s backend: `base/pytorch`).
fn series(label: &str, point: &str) -> String {
    match Path::new(point)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        Some(parent) => format!("{label}/{}", parent.display()),
        None => label.to_string(),
    }
}

/// `path` made absolute against the working directory (without resolving links).
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A label must be a plain directory name: it becomes `OUT/LABEL`.
pub fn check_label(label: &str, what: &str) -> Result<(), RunError> {
    let bad = label.is_empty()
        || label == "."
        || label == ".."
        || label.contains('/')
        || label.starts_with(char::is_whitespace)
        || label.chars().any(char::is_control);
    if bad {
        return Err(RunError::Usage(format!(
            "{what} `{label}` must be a plain directory name"
        )));
    }
    Ok(())
}

/// The labels of a config list: each a plain directory name, each once, never `report`
/// (the comparison's directory).
pub fn check_labels<'a>(labels: impl IntoIterator<Item = &'a str>) -> Result<(), RunError> {
    let mut seen = std::collections::BTreeSet::new();
    for l in labels {
        check_label(l, "configs: label")?;
        if l == "report" {
            return Err(RunError::Usage(
                "configs: label `report` is taken by the comparison of the configs (OUT/report)"
                    .into(),
            ));
        }
        if !seen.insert(l) {
            return Err(RunError::Usage(format!(
                "configs: label `{l}` is given twice"
            )));
        }
    }
    if seen.is_empty() {
        return Err(RunError::Usage("configs: the list is empty".into()));
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn config(out: &Path, label: &str, points: &[&str]) -> Config {
        Config {
            label: label.into(),
            dir: out.join(label),
            points: points.iter().map(|p| p.to_string()).collect(),
            settings_yaml: format!("label: {label}\n"),
            gpus: None,
            search: false,
        }
    }

    pub(crate) fn matrix(out: &Path, repeats: u32, interleave: bool) -> Matrix {
        Matrix {
            runner: "online",
            out: out.to_path_buf(),
            configs: vec![
                config(out, "a", &["p1", "p2"]),
                config(out, "b", &["p1", "p2"]),
            ],
            repeats,
            interleave,
        }
    }

    fn names(m: &Matrix) -> Vec<String> {
        m.units().iter().map(Unit::name).collect()
    }

    #[test]
    fn units_run_config_by_config_or_interleaved() {
        let out = Path::new("/o");
        assert_eq!(names(&matrix(out, 1, false)), ["a", "b"]);
        assert_eq!(
            names(&matrix(out, 2, false)),
            ["a rep 1/2", "a rep 2/2", "b rep 1/2", "b rep 2/2"]
        );
        assert_eq!(
            names(&matrix(out, 2, true)),
            ["a rep 1/2", "b rep 1/2", "a rep 2/2", "b rep 2/2"]
        );
    }

    #[test]
    fn one_repeat_keeps_the_single_sweep_layout() {
        let out = Path::new("/o");
        let m = matrix(out, 1, false);
        let u = m.units()[0];
        assert_eq!(u.root(), Path::new("/o/a"));
        assert_eq!(u.stem(), "job");
        assert_eq!(
            u.command_args("online", Path::new("/o/a/slurm/settings.yaml")),
            ["run", "online", "--config", "/o/a/slurm/settings.yaml"]
        );
        let m = matrix(out, 3, false);
        let u = m.units()[1];
        assert_eq!(u.root(), Path::new("/o/a/rep_2"));
        assert_eq!(u.stem(), "job_rep_2");
        assert_eq!(
            u.command_args("offline", Path::new("s.yaml")),
            [
                "run",
                "offline",
                "--config",
                "s.yaml",
                "--repeats",
                "3",
                "--repeat",
                "2"
            ]
        );
    }

    #[test]
    fn completion_is_read_from_the_markers() {
        let dir = tempfile::tempdir().unwrap();
        let m = matrix(dir.path(), 2, false);
        let p = dir.path().join("a/rep_2/p1");
        fs::create_dir_all(&p).unwrap();
        fs::write(p.join(crate::commands::run::COMPLETE), "x").unwrap();
        let units = m.units();
        assert_eq!(
            units.iter().map(Unit::complete).collect::<Vec<_>>(),
            [0, 1, 0, 0]
        );
        assert!(!units[1].is_done());
        assert_eq!(
            m.report_inputs(),
            [format!("a={}", p.display())],
            "only complete points are reported"
        );
        assert_eq!(m.report_dir(), dir.path().join("report"));
        assert_eq!(series("base", "pytorch/isl_1_osl_1_bs_8"), "base/pytorch");
        assert_eq!(series("base", "isl_1_osl_1_conc_8"), "base");
    }

    #[test]
    fn labels_are_plain_and_unique() {
        assert!(check_labels(["base", "tuned"]).is_ok());
        let err = |v: &[&str]| check_labels(v.iter().copied()).unwrap_err().to_string();
        assert!(err(&["a", "a"]).contains("twice"));
        assert!(err(&["a/b"]).contains("plain directory"));
        assert!(err(&["report"]).contains("OUT/report"));
        assert!(err(&[]).contains("empty"));
    }
}
