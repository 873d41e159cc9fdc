//! The fan-out flags both runners share: repeats and their order, Slurm, Kubernetes.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::commands::run::RunError;

/// Repeats, Slurm and Kubernetes flags of `run online|offline`.
#[derive(clap::Args, Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FanOutOptions {
    /// Run the whole sweep N times, pass by pass (every point of repeat 1, then repeat 2, ...);
    /// repeat K goes to OUT/LABEL/rep_K/ [default: 1, no rep_K directories].
    #[arg(long, value_name = "N", help_heading = "Repeats")]
    pub repeats: Option<u32>,
    /// Run only repeat K of --repeats N (what each Slurm job of a repeated sweep runs).
    #[arg(long, value_name = "K", help_heading = "Repeats")]
    pub repeat: Option<u32>,
    /// With several configs: run A rep 1, B rep 1, A rep 2, B rep 2, ... so slow drift of the
    /// machine hits every config alike.
    #[arg(long, help_heading = "Repeats")]
    #[serde(default)]
    pub interleave: bool,
    /// Keep the server running between repeats instead of restarting it for each pass.
    #[arg(long, help_heading = "Repeats")]
    #[serde(default)]
    pub keep_server: bool,

    /// Run each config (x repeat) as one Slurm batch job running this same command for that
    /// config, then wait, show each job's end and report. OUT must be on a filesystem the
    /// nodes share; scripts and job logs go to OUT/LABEL/slurm/.
    #[arg(long, help_heading = "Slurm")]
    #[serde(default)]
    pub slurm: bool,
    /// sbatch --partition.
    #[arg(long, value_name = "NAME", help_heading = "Slurm")]
    pub partition: Option<String>,
    /// sbatch --account.
    #[arg(long, value_name = "NAME", help_heading = "Slurm")]
    pub account: Option<String>,
    /// sbatch --time: each job's time limit, e.g. 02:00:00.
    #[arg(long, value_name = "LIMIT", help_heading = "Slurm")]
    pub time: Option<String>,
    /// GPUs each job asks for (sbatch --gpus; --gpus-per-node with --nodes)
    /// [default: --world-size / --tp when given].
    #[arg(long, value_name = "N", help_heading = "Slurm")]
    pub gpus_per_job: Option<u64>,
    /// sbatch --gres, e.g. gpu:h100:8.
    #[arg(long, value_name = "SPEC", help_heading = "Slurm")]
    pub gres: Option<String>,
    /// Nodes per job; above 1 the server starts with `srun` across the allocation (one task
    /// per GPU) and the client runs on the first node [default: 1].
    #[arg(long, value_name = "N", help_heading = "Slurm")]
    pub nodes: Option<u32>,
    /// One more sbatch option for every job (repeat the flag), e.g. --sbatch-arg=--exclusive.
    #[arg(
        long = "sbatch-arg",
        value_name = "ARG",
        allow_hyphen_values = true,
        help_heading = "Slurm"
    )]
    #[serde(default, rename = "sbatch-arg", alias = "sbatch-args")]
    pub sbatch_args: Vec<String>,
    /// Jobs queued or running at once; more are submitted as jobs end [default: all].
    #[arg(long, value_name = "N", help_heading = "Slurm")]
    pub max_jobs: Option<usize>,
    /// Submit and print the job ids, then exit; `adreport run status OUT` shows progress.
    #[arg(long, help_heading = "Slurm")]
    #[serde(default)]
    pub no_wait: bool,
    /// Write the job scripts to OUT/LABEL/slurm/ and stop without submitting them.
    #[arg(long, help_heading = "Slurm")]
    #[serde(default)]
    pub dry_run: bool,

    /// Write one Kubernetes batch/v1 Job per config (x repeat) into DIR instead of running;
    /// `kubectl apply -f DIR` starts them. Each runs this command for its config in --image,
    /// with OUT on the --pvc volume.
    #[arg(long, value_name = "DIR", help_heading = "Kubernetes")]
    pub emit_k8s: Option<PathBuf>,
    /// Container image holding adreport, the client and the server.
    #[arg(long, value_name = "IMAGE", help_heading = "Kubernetes")]
    pub image: Option<String>,
    /// PersistentVolumeClaim mounted at OUT in every Job's pod [default: adreport-out].
    #[arg(long, value_name = "CLAIM", help_heading = "Kubernetes")]
    pub pvc: Option<String>,
}

/// Where the configs run.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// One after the other on this machine.
    Local,
    Slurm(SlurmOptions),
    K8s(K8sOptions),
}

/// What every job script asks Slurm for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlurmOptions {
    pub partition: Option<String>,
    pub account: Option<String>,
    pub time: Option<String>,
    pub gpus_per_job: Option<u64>,
    pub gres: Option<String>,
    pub nodes: u32,
    pub sbatch_args: Vec<String>,
    pub max_jobs: Option<usize>,
    pub no_wait: bool,
    pub dry_run: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct K8sOptions {
    pub dir: PathBuf,
    pub image: String,
    pub pvc: String,
    pub gpus_per_job: Option<u64>,
}

/// The resolved fan-out: repeats, order, target.
#[derive(Clone, Debug, PartialEq)]
pub struct FanOut {
    pub repeats: u32,
    /// Run only this repeat.
    pub only_repeat: Option<u32>,
    pub interleave: bool,
    pub keep_server: bool,
    pub target: Target,
}

impl FanOut {
    /// Whether anything differs from a single sweep on this machine.
    pub fn is_plain(&self) -> bool {
        self.repeats == 1 && self.target == Target::Local
    }
}

fn usage(msg: impl Into<String>) -> RunError {
    RunError::Usage(msg.into())
}

impl FanOutOptions {
    /// `self` over `lower`: a value given wins, a switch is on when either turns it on.
    pub fn over(self, lower: FanOutOptions) -> FanOutOptions {
        FanOutOptions {
            repeats: self.repeats.or(lower.repeats),
            repeat: self.repeat.or(lower.repeat),
            interleave: self.interleave || lower.interleave,
            keep_server: self.keep_server || lower.keep_server,
            slurm: self.slurm || lower.slurm,
            partition: self.partition.or(lower.partition),
            account: self.account.or(lower.account),
            time: self.time.or(lower.time),
            gpus_per_job: self.gpus_per_job.or(lower.gpus_per_job),
            gres: self.gres.or(lower.gres),
            nodes: self.nodes.or(lower.nodes),
            sbatch_args: if self.sbatch_args.is_empty() {
                lower.sbatch_args
            } else {
                self.sbatch_args
            },
            max_jobs: self.max_jobs.or(lower.max_jobs),
            no_wait: self.no_wait || lower.no_wait,
            dry_run: self.dry_run || lower.dry_run,
            emit_k8s: self.emit_k8s.or(lower.emit_k8s),
            image: self.image.or(lower.image),
            pvc: self.pvc.or(lower.pvc),
        }
    }

    /// Checks the flags belong together; `configs` is how many configs the sweep has.
    pub fn resolve(self, configs: usize) -> Result<FanOut, RunError> {
        let repeats = self.repeats.unwrap_or(1);
        if repeats == 0 {
            return Err(usage("--repeats takes a number > 0"));
        }
        if let Some(k) = self.repeat {
            if self.repeats.is_none() || k == 0 || k > repeats {
                return Err(usage(format!(
                    "--repeat {k} needs --repeats N with 1 <= {k} <= N"
                )));
            }
        }
        if self.interleave && (configs < 2 || repeats < 2) {
            return Err(usage(
                "--interleave alternates several configs (configs: in --config) over --repeats N > 1",
            ));
        }
        if self.keep_server && repeats < 2 {
            return Err(usage(
                "--keep-server keeps the server between --repeats passes: add --repeats N > 1",
            ));
        }
        if self.keep_server && self.interleave {
            return Err(usage(
                "--keep-server cannot go with --interleave: the configs take turns on the machine, each pass starts its own server",
            ));
        }
        let slurm_only = [
            (self.partition.is_some(), "--partition"),
            (self.account.is_some(), "--account"),
            (self.time.is_some(), "--time"),
            (self.gres.is_some(), "--gres"),
            (self.nodes.is_some(), "--nodes"),
            (!self.sbatch_args.is_empty(), "--sbatch-arg"),
            (self.max_jobs.is_some(), "--max-jobs"),
            (self.no_wait, "--no-wait"),
            (self.dry_run, "--dry-run"),
        ];
        let k8s_only = [
            (self.image.is_some(), "--image"),
            (self.pvc.is_some(), "--pvc"),
        ];
        let target = match (self.slurm, self.emit_k8s) {
            (true, Some(_)) => {
                return Err(usage(
                    "--slurm runs the jobs, --emit-k8s only writes Kubernetes Jobs: choose one",
                ))
            }
            (true, None) => {
                if let Some((_, flag)) = k8s_only.iter().find(|(set, _)| *set) {
                    return Err(usage(format!("{flag} applies to --emit-k8s")));
                }
                let nodes = self.nodes.unwrap_or(1);
                if nodes == 0 {
                    return Err(usage("--nodes takes a number > 0"));
                }
                if self.max_jobs == Some(0) {
                    return Err(usage("--max-jobs takes a number > 0"));
                }
                if self.gpus_per_job == Some(0) {
                    return Err(usage("--gpus-per-job takes a number > 0"));
                }
                if self.no_wait && self.dry_run {
                    return Err(usage(
                        "--dry-run submits nothing, so --no-wait has nothing to do",
                    ));
                }
                Target::Slurm(SlurmOptions {
                    partition: self.partition,
                    account: self.account,
                    time: self.time,
                    gpus_per_job: self.gpus_per_job,
                    gres: self.gres,
                    nodes,
                    sbatch_args: self.sbatch_args,
                    max_jobs: self.max_jobs,
                    no_wait: self.no_wait,
                    dry_run: self.dry_run,
                })
            }
            (false, emit) => {
                if let Some((_, flag)) = slurm_only.iter().find(|(set, _)| *set) {
                    return Err(usage(format!("{flag} applies to --slurm")));
                }
                match emit {
                    None => {
                        if let Some((_, flag)) = k8s_only.iter().find(|(set, _)| *set) {
                            return Err(usage(format!("{flag} applies to --emit-k8s")));
                        }
                        if self.gpus_per_job.is_some() {
                            return Err(usage("--gpus-per-job applies to --slurm and --emit-k8s"));
                        }
                        Target::Local
                    }
                    Some(dir) => Target::K8s(K8sOptions {
                        dir,
                        image: self.image.ok_or_else(|| {
                            usage(
                                "--emit-k8s needs --image: the container image that runs adreport",
                            )
                        })?,
                        pvc: self.pvc.unwrap_or_else(|| "adreport-out".into()),
                        gpus_per_job: self.gpus_per_job,
                    }),
                }
            }
        };
        if self.repeat.is_some() && target != Target::Local {
            return Err(usage(
                "--repeat runs one repeat here; --slurm and --emit-k8s make one job per repeat themselves",
            ));
        }
        if self.keep_server && target != Target::Local {
            return Err(usage(
                "--keep-server applies on this machine; each Slurm or Kubernetes job starts its own server",
            ));
        }
        Ok(FanOut {
            repeats,
            only_repeat: self.repeat,
            interleave: self.interleave,
            keep_server: self.keep_server,
            target,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Args, FromArgMatches};

    fn flags(args: &[&str]) -> FanOutOptions {
        let cmd = FanOutOptions::augment_args(clap::Command::new("x"));
        let m = cmd
            .try_get_matches_from(std::iter::once("x").chain(args.iter().copied()))
            .unwrap();
        FanOutOptions::from_arg_matches(&m).unwrap()
    }

    fn resolve(args: &[&str], configs: usize) -> Result<FanOut, String> {
        flags(args).resolve(configs).map_err(|e| e.to_string())
    }

    #[test]
    fn plain_by_default() {
        let f = resolve(&[], 1).unwrap();
        assert!(f.is_plain());
        assert_eq!(f.repeats, 1);
    }

    #[test]
    fn slurm_flags_resolve() {
        let f = resolve(
            &[
                "--slurm",
                "--partition",
                "gpu",
                "--gres",
                "gpu:1",
                "--sbatch-arg=--exclusive",
                "--sbatch-arg",
                "--qos=high",
                "--max-jobs",
                "2",
                "--repeats",
                "3",
            ],
            2,
        )
        .unwrap();
        let Target::Slurm(s) = f.target else {
            panic!("not slurm")
        };
        assert_eq!(s.partition.as_deref(), Some("gpu"));
        assert_eq!(s.sbatch_args, ["--exclusive", "--qos=high"]);
        assert_eq!((s.nodes, s.max_jobs, f.repeats), (1, Some(2), 3));
    }

    #[test]
    fn flags_that_do_not_belong_together_say_so() {
        let err = |a: &[&str], n| resolve(a, n).unwrap_err();
        assert!(err(&["--partition", "p"], 1).contains("--partition applies to --slurm"));
        assert!(err(&["--slurm", "--emit-k8s", "d"], 1).contains("choose one"));
        assert!(err(&["--emit-k8s", "d"], 1).contains("--image"));
        assert!(err(&["--slurm", "--image", "i"], 1).contains("--image applies"));
        assert!(err(&["--interleave", "--repeats", "2"], 1).contains("several configs"));
        assert!(err(&["--keep-server"], 1).contains("--repeats N > 1"));
        assert!(err(&["--repeats", "2", "--repeat", "3"], 1).contains("1 <= 3 <= N"));
        assert!(err(&["--repeats", "0"], 1).contains("> 0"));
        assert!(err(&["--slurm", "--repeats", "2", "--keep-server"], 1).contains("own server"));
        assert!(err(&["--gpus-per-job", "2"], 1).contains("--slurm and --emit-k8s"));
    }

    #[test]
    fn file_keys_are_the_flag_names() {
        let f: FanOutOptions = serde_yaml::from_str(
            "repeats: 2\nslurm: true\nsbatch-arg: [--exclusive]\ngres: gpu:1\n",
        )
        .unwrap();
        let f = flags(&["--partition", "p"]).over(f);
        assert_eq!(f.repeats, Some(2));
        assert!(f.slurm);
        assert_eq!(f.partition.as_deref(), Some("p"));
        assert_eq!(f.sbatch_args, ["--exclusive"]);
    }
}
