//! `OUT/LABEL/slurm/jobs.json`: the jobs submitted for a config and what its passes hold,
//! so a rerun knows which jobs still run and `run status` can tell progress later.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::super::{Matrix, Unit, SLURM_DIR};
use super::script;
use crate::commands::run::{manifest, RunError};

pub const FILE: &str = "jobs.json";

/// One config's submissions.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct JobsFile {
    pub runner: String,
    pub label: String,
    pub repeats: u32,
    /// Point directory names of one pass.
    pub points: Vec<String>,
    pub jobs: Vec<JobRecord>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    /// `Some(K)` when the sweep has repeats.
    pub repeat: Option<u32>,
    pub attempt: u32,
    pub submitted_at: String,
    pub script: PathBuf,
    pub log: PathBuf,
}

/// The record of the config in `dir` (`OUT/LABEL`), if it was ever submitted.
pub fn read(dir: &Path) -> Option<JobsFile> {
    let text = std::fs::read_to_string(dir.join(SLURM_DIR).join(FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The last job submitted for `unit`.
pub fn last_job(unit: &Unit) -> Option<JobRecord> {
    read(&unit.config.dir)?
        .jobs
        .into_iter()
        .rev()
        .find(|j| j.repeat == unit.repeat)
}

/// Records a submitted job.
pub fn add(m: &Matrix, unit: &Unit, id: &str, attempt: u32) -> Result<(), RunError> {
    let dir = &unit.config.dir;
    let mut file = read(dir).unwrap_or_default();
    file.runner = m.runner.to_string();
    file.label = unit.config.label.clone();
    file.repeats = m.repeats;
    file.points = unit.config.points.clone();
    file.jobs.push(JobRecord {
        id: id.to_string(),
        repeat: unit.repeat,
        attempt,
        submitted_at: manifest::now(),
        script: script::script_path(unit),
        log: script::log_path(unit, id),
    });
    let text = serde_json::to_string_pretty(&file)
        .map_err(|e| RunError::Other(format!("cannot encode {FILE}: {e}")))?;
    let path = dir.join(SLURM_DIR).join(FILE);
    crate::util::write::write_atomic(&path, text.as_bytes())
        .map_err(|e| RunError::Other(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::run::fanout::tests::matrix;

    #[test]
    fn submissions_accumulate_per_config() {
        let dir = tempfile::tempdir().unwrap();
        let m = matrix(dir.path(), 2, false);
        let units = m.units();
        std::fs::create_dir_all(dir.path().join("a/slurm")).unwrap();
        add(&m, &units[0], "11", 1).unwrap();
        add(&m, &units[1], "12", 1).unwrap();
        add(&m, &units[0], "13", 2).unwrap();
        let f = read(&dir.path().join("a")).unwrap();
        assert_eq!((f.label.as_str(), f.repeats, f.jobs.len()), ("a", 2, 3));
        assert_eq!(f.points, ["p1", "p2"]);
        let last = last_job(&units[0]).unwrap();
        assert_eq!((last.id.as_str(), last.attempt), ("13", 2));
        assert_eq!(last_job(&units[1]).unwrap().id, "12");
        assert_eq!(last.log, dir.path().join("a/slurm/job_rep_1-13.log"));
        assert!(last_job(&units[2]).is_none());
    }
}
