//! `adreport run status OUT`: how far a sweep got, from its point directories and the jobs
//! recorded in `OUT/LABEL/slurm/jobs.json` (asked from Slurm when it is reachable).

use std::fs;
use std::path::{Path, PathBuf};

use super::slurm::{queue, record};
use super::{rep_dir, search_done, search_runs};
use crate::commands::run::{is_complete, manifest, RunError};

/// One line per config (per repeat with repeats).
pub fn lines(out: &Path) -> Result<Vec<String>, RunError> {
    let mut labels: Vec<PathBuf> = fs::read_dir(out)
        .map_err(|e| RunError::io(out, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    labels.sort();
    let mut lines = Vec::new();
    for dir in labels {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match record::read(&dir) {
            Some(jobs) => lines.extend(job_lines(&dir, &jobs)),
            None => {
                if let Some(line) = local_line(&dir, &name) {
                    lines.push(line);
                }
            }
        }
    }
    if lines.is_empty() {
        return Err(RunError::Usage(format!(
            "{}: no sweep found (expected OUT/LABEL/<point>/ directories written by `adreport run`)",
            out.display()
        )));
    }
    Ok(lines)
}

/// A config submitted to Slurm: points per pass, and the state of its last job.
fn job_lines(dir: &Path, f: &record::JobsFile) -> Vec<String> {
    // A capacity search has no points known in advance, and one job for all its repeats.
    let search = f.points.is_empty();
    let reps: Vec<Option<u32>> = if f.repeats > 1 && !search {
        (1..=f.repeats).map(Some).collect()
    } else {
        vec![None]
    };
    let last: Vec<&record::JobRecord> = reps
        .iter()
        .filter_map(|r| f.jobs.iter().rev().find(|j| j.repeat == *r))
        .collect();
    let ids: Vec<String> = last.iter().map(|j| j.id.clone()).collect();
    let states = if queue::available() {
        queue::states(&ids).ok()
    } else {
        None
    };
    reps.iter()
        .map(|r| {
            let root = match r {
                Some(k) => dir.join(rep_dir(*k)),
                None => dir.to_path_buf(),
            };
            let done = f
                .points
                .iter()
                .filter(|p| is_complete(&root.join(p)))
                .count();
            let name = match r {
                Some(k) => format!("{} rep {k}/{}", f.label, f.repeats),
                None => f.label.clone(),
            };
            let job = match last.iter().find(|j| j.repeat == *r) {
                None => "no job submitted".to_string(),
                Some(j) => {
                    let state = match &states {
                        None => "state unknown (Slurm not reachable here)".to_string(),
                        Some(s) => s
                            .get(&j.id)
                            .cloned()
                            .or_else(|| queue::show(&j.id))
                            .map(|s| s.describe())
                            .unwrap_or_else(|| "ended (no longer known to Slurm)".into()),
                    };
                    format!("job {} {state}, submitted {}", j.id, j.submitted_at)
                }
            };
            if search {
                let state = if search_done(dir) { "done" } else { "not done" };
                return format!(
                    "{name}: {} probe runs complete, search {state}; {job}",
                    search_runs(dir)
                );
            }
            format!("{name}: {done}/{} points complete; {job}", f.points.len())
        })
        .collect()
}

/// A sweep run here: its point directories (those with run.json) and how many are complete.
fn local_line(dir: &Path, name: &str) -> Option<String> {
    let mut points = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .max_depth(3)
        .into_iter()
        .flatten()
    {
        if e.file_name() == manifest::FILE {
            if let Some(p) = e.path().parent() {
                points.push(p.to_path_buf());
            }
        }
    }
    if points.is_empty() {
        return None;
    }
    let done = points.iter().filter(|p| is_complete(p)).count();
    Some(format!(
        "{name}: {done} of {} started points complete (run here; no Slurm jobs recorded)",
        points.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::run::fanout::tests::matrix;

    #[test]
    fn local_sweeps_count_their_points() {
        let dir = tempfile::tempdir().unwrap();
        for (p, done) in [("sweep/c1", true), ("sweep/c2", false)] {
            let d = dir.path().join(p);
            fs::create_dir_all(&d).unwrap();
            fs::write(d.join(manifest::FILE), "{}").unwrap();
            if done {
                fs::write(d.join(crate::commands::run::COMPLETE), "x").unwrap();
            }
        }
        assert_eq!(
            lines(dir.path()).unwrap(),
            ["sweep: 1 of 2 started points complete (run here; no Slurm jobs recorded)"]
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(lines(empty.path())
            .unwrap_err()
            .to_string()
            .contains("no sweep found"));
    }

    #[test]
    fn submitted_configs_show_each_pass() {
        let dir = tempfile::tempdir().unwrap();
        let m = matrix(dir.path(), 2, false);
        let units = m.units();
        fs::create_dir_all(dir.path().join("a/slurm")).unwrap();
        record::add(&m, &units[1], "7", 1).unwrap();
        let p = dir.path().join("a/rep_2/p1");
        fs::create_dir_all(&p).unwrap();
        fs::write(p.join(crate::commands::run::COMPLETE), "x").unwrap();
        let l = lines(dir.path()).unwrap();
        assert_eq!(l.len(), 2, "{l:?}");
        assert_eq!(l[0], "a rep 1/2: 0/2 points complete; no job submitted");
        assert!(
            l[1].starts_with("a rep 2/2: 1/2 points complete; job 7 "),
            "{}",
            l[1]
        );
    }
}
