//! Talking to Slurm through its commands: `sbatch` submits, `squeue` and `scontrol` tell a
//! job's state (`sacct` is left out: many clusters run without accounting), `scancel` cancels.

use std::collections::BTreeMap;
use std::path::Path;

use super::super::tool::{self, argv, TIMEOUT};

/// A job's state as `squeue` or `scontrol` name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JobState {
    /// PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
    pub state: String,
    /// Why it waits or ended (`Priority`, `NonZeroExitCode`, `None`).
    pub reason: String,
    /// The nodes it runs on, once it runs.
    pub nodes: String,
    /// The job's name (from `squeue`; empty from `scontrol`).
    pub name: String,
    /// `rc:signal`, once `scontrol` told it.
    pub exit_code: Option<String>,
}

impl JobState {
    /// The job will not run (again): it ended one way or another.
    pub fn is_final(&self) -> bool {
        !matches!(
            self.state.as_str(),
            "PENDING"
                | "RUNNING"
                | "CONFIGURING"
                | "COMPLETING"
                | "REQUEUED"
                | "REQUEUE_HOLD"
                | "REQUEUE_FED"
                | "RESIZING"
                | "SUSPENDED"
                | "STOPPED"
                | "SIGNALING"
                | "STAGE_OUT"
                | "RESV_DEL_HOLD"
        )
    }

    /// `RUNNING on node1`, `PENDING (Resources)`, `FAILED (exit 1)`.
    pub fn describe(&self) -> String {
        let mut s = self.state.clone();
        if self.state == "RUNNING" && !self.nodes.is_empty() {
            s.push_str(&format!(" on {}", self.nodes));
        } else if let Some(code) = self.exit_code.as_deref().filter(|c| *c != "0:0") {
            match code.split_once(':') {
                Some((rc, "0")) => s.push_str(&format!(" (exit {rc})")),
                Some((_, sig)) => s.push_str(&format!(" (signal {sig})")),
                None => s.push_str(&format!(" (exit {code})")),
            }
        } else if !self.reason.is_empty() && self.reason != "None" {
            s.push_str(&format!(" ({})", self.reason));
        }
        s
    }
}

/// Whether `sbatch` can be run here.
pub fn available() -> bool {
    crate::commands::run::process::on_path("sbatch")
}

/// Submits a batch script; returns the job id. `Err` holds sbatch's own error.
pub fn submit(script: &Path) -> Result<String, String> {
    let out = tool::run(
        &argv(["sbatch", "--parsable", &script.display().to_string()]),
        TIMEOUT,
    )?;
    parse_submitted(&out).ok_or_else(|| format!("sbatch printed no job id: {}", out.trim()))
}

/// `12345` or `12345;cluster` (what `--parsable` prints).
fn parse_submitted(out: &str) -> Option<String> {
    let id = out.trim().split(';').next()?.trim();
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

/// The states of `ids` that `squeue` still holds (finished ones too, for a few minutes).
pub fn states(ids: &[String]) -> Result<BTreeMap<String, JobState>, String> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let out = tool::run(
        &argv([
            "squeue",
            "-h",
            "-t",
            "all",
            "-o",
            "%i|%T|%r|%N|%j",
            "-j",
            &ids.join(","),
        ]),
        TIMEOUT,
    )?;
    Ok(parse_squeue(&out))
}

fn parse_squeue(out: &str) -> BTreeMap<String, JobState> {
    out.lines()
        .filter_map(|line| {
            let mut f = line.trim().splitn(5, '|');
            let id = f.next()?.trim().to_string();
            let state = f.next()?.trim().to_string();
            let reason = f.next().unwrap_or("").trim().to_string();
            let nodes = f.next().unwrap_or("").trim().to_string();
            let name = f.next().unwrap_or("").trim().to_string();
            (!id.is_empty() && !state.is_empty()).then_some((
                id,
                JobState {
                    state,
                    reason,
                    nodes,
                    name,
                    exit_code: None,
                },
            ))
        })
        .collect()
}

/// `scontrol -o show job ID`: the state with the exit code; `None` once Slurm forgot the job.
pub fn show(id: &str) -> Option<JobState> {
    let out = tool::run(&argv(["scontrol", "-o", "show", "job", id]), TIMEOUT).ok()?;
    parse_scontrol(&out)
}

fn parse_scontrol(out: &str) -> Option<JobState> {
    let field = |key: &str| {
        out.split_whitespace()
            .find_map(|w| w.strip_prefix(key).map(str::to_string))
    };
    Some(JobState {
        state: field("JobState=")?,
        reason: field("Reason=").unwrap_or_default(),
        nodes: field("NodeList=")
            .filter(|n| n != "(null)")
            .unwrap_or_default(),
        exit_code: field("ExitCode="),
        name: field("JobName=").unwrap_or_default(),
    })
}

/// Cancels the jobs; `Err` holds scancel's error.
pub fn cancel(ids: &[String]) -> Result<(), String> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut a = vec!["scancel".to_string()];
    a.extend(ids.iter().cloned());
    tool::run(&a, TIMEOUT).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Output of Slurm 22.05 (Debian 12) on a one-node cluster.
    const SQUEUE: &str = "2|CANCELLED|None|vm|adreport-a\n1|FAILED|NonZeroExitCode|vm|adreport-b-rep_1\n3|PENDING|Priority||adreport-a\n";
    const SCONTROL: &str = "JobId=1 JobName=adr-test UserId=root(0) GroupId=root(0) MCS_label=N/A Priority=4294901759 Nice=0 Account=(null) QOS=(null) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=3:0 RunTime=00:00:03 TimeLimit=UNLIMITED TimeMin=N/A SubmitTime=2026-11-25T14:57:01 NodeList=vm BatchHost=vm NumNodes=1 NumCPUs=1\n";

    #[test]
    fn squeue_lines() {
        let s = parse_squeue(SQUEUE);
        assert_eq!(s.len(), 3);
        assert_eq!(s["1"].state, "FAILED");
        assert_eq!(s["1"].name, "adreport-b-rep_1");
        assert!(s["1"].is_final() && s["2"].is_final() && !s["3"].is_final());
        assert_eq!(s["3"].describe(), "PENDING (Priority)");
        assert_eq!(s["2"].describe(), "CANCELLED");
    }

    #[test]
    fn scontrol_gives_the_exit_code() {
        let j = parse_scontrol(SCONTROL).unwrap();
        assert_eq!(j.state, "FAILED");
        assert_eq!(j.exit_code.as_deref(), Some("3:0"));
        assert_eq!(j.nodes, "vm");
        assert_eq!(j.describe(), "FAILED (exit 3)");
        let cancelled = JobState {
            exit_code: Some("0:15".into()),
            ..j
        };
        assert_eq!(
            JobState {
                state: "CANCELLED".into(),
                ..cancelled
            }
            .describe(),
            "CANCELLED (signal 15)"
        );
        assert!(parse_scontrol("slurm_load_jobs error: Invalid job id specified").is_none());
    }

    #[test]
    fn submitted_ids() {
        assert_eq!(parse_submitted("42\n").as_deref(), Some("42"));
        assert_eq!(parse_submitted("42;cluster\n").as_deref(), Some("42"));
        assert_eq!(parse_submitted("Submitted batch job 42"), None);
    }
}
