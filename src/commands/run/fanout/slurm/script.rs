//! The batch script of one unit: `#SBATCH` lines from the flags, then the same
//! `adreport run online|offline --config OUT/LABEL/slurm/settings.yaml` a user would type.

use std::path::{Path, PathBuf};

use super::super::options::SlurmOptions;
use super::super::{Unit, SLURM_DIR};
use crate::commands::run::RunError;

/// The script's path: `OUT/LABEL/slurm/job.sh` or `.../job_rep_K.sh`.
pub fn script_path(unit: &Unit) -> PathBuf {
    unit.config
        .dir
        .join(SLURM_DIR)
        .join(format!("{}.sh", unit.stem()))
}

/// The log of job `id`: `OUT/LABEL/slurm/job-ID.log` (what `--output` names with `%j`).
pub fn log_path(unit: &Unit, id: &str) -> PathBuf {
    unit.config
        .dir
        .join(SLURM_DIR)
        .join(format!("{}-{id}.log", unit.stem()))
}

/// `adreport-LABEL` or `adreport-LABEL-rep_K`: the Slurm job name of a unit.
pub fn job_name(unit: &Unit) -> String {
    match unit.repeat {
        Some(k) => format!("adreport-{}-rep_{k}", unit.config.label),
        None => format!("adreport-{}", unit.config.label),
    }
}

/// GPUs a job asks for: the flag, else what the config serves on.
pub fn gpus(unit: &Unit, opts: &SlurmOptions) -> Option<u64> {
    opts.gpus_per_job.or(unit.config.gpus)
}

/// Tasks per node for a server spread over `nodes` (one task per GPU, as TensorRT-LLM's
/// multi-node scripts run trtllm-serve): `Err` when the GPUs do not split evenly.
pub fn tasks_per_node(gpus: Option<u64>, nodes: u32) -> Result<Option<u64>, RunError> {
    match gpus {
        None => Ok(None),
        Some(g) if g % u64::from(nodes) == 0 => Ok(Some(g / u64::from(nodes))),
        Some(g) => Err(RunError::Usage(format!(
            "{g} GPUs per job do not split evenly over --nodes {nodes}"
        ))),
    }
}

/// With `--nodes N` > 1: the `srun` that starts the server as one task per GPU on every node
/// of the allocation (`srun --mpi=pmix trtllm-llmapi-launch trtllm-serve ...` in TensorRT-LLM's
/// Slurm scripts). `None` on one node, or when the server command already starts with srun
/// (the user's own launch line is left alone).
pub fn server_launcher(
    server_argv: &[String],
    nodes: u32,
    gpus: Option<u64>,
) -> Result<Option<Vec<String>>, RunError> {
    if nodes <= 1 || server_argv.first().is_some_and(|p| p == "srun") {
        return Ok(None);
    }
    let mut srun = vec!["srun".to_string(), format!("--nodes={nodes}")];
    if let Some(t) = tasks_per_node(gpus, nodes)? {
        srun.push(format!("--ntasks-per-node={t}"));
    }
    srun.push("--mpi=pmix".into());
    Ok(Some(srun))
}

/// The batch script of `unit`. `exe` is this adreport (the nodes see the same path on a shared
/// filesystem), `workdir` the directory relative paths in the settings are taken from.
pub fn render(
    unit: &Unit,
    opts: &SlurmOptions,
    exe: &Path,
    runner: &str,
    settings: &Path,
    workdir: &Path,
) -> Result<String, RunError> {
    let q = |s: &str| shell_words::quote(s).into_owned();
    let log = unit
        .config
        .dir
        .join(SLURM_DIR)
        .join(format!("{}-%j.log", unit.stem()));
    let job_name = job_name(unit);
    // sbatch reads `#SBATCH` lines word by word: a path with spaces goes in double quotes.
    let path = |p: &Path| {
        let s = p.display().to_string();
        if s.contains(char::is_whitespace) {
            format!("\"{s}\"")
        } else {
            s
        }
    };
    let mut sbatch: Vec<String> = vec![
        format!("--job-name={job_name}"),
        format!("--output={}", path(&log)),
        format!("--chdir={}", path(workdir)),
        format!("--nodes={}", opts.nodes),
    ];
    // GPUs as a count, unless --gres says them its own way.
    let gpus = gpus(unit, opts);
    if opts.nodes > 1 {
        if let Some(t) = tasks_per_node(gpus, opts.nodes)? {
            sbatch.push(format!("--ntasks-per-node={t}"));
            if opts.gres.is_none() {
                sbatch.push(format!("--gpus-per-node={t}"));
            }
        }
    } else if let (Some(g), None) = (gpus, &opts.gres) {
        sbatch.push(format!("--gpus={g}"));
    }
    let named = [
        ("partition", &opts.partition),
        ("account", &opts.account),
        ("time", &opts.time),
        ("gres", &opts.gres),
    ];
    for (flag, value) in named {
        if let Some(v) = value {
            sbatch.push(format!("--{flag}={v}"));
        }
    }
    sbatch.extend(opts.sbatch_args.iter().cloned());

    let mut command = vec![exe.display().to_string()];
    command.extend(unit.command_args(runner, settings));
    let what = match unit.repeat {
        Some(k) => format!(
            "config `{}`, repeat {k} of {}",
            unit.config.label, unit.repeats
        ),
        None => format!("config `{}`", unit.config.label),
    };
    let mut s = String::from("#!/bin/bash\n");
    s.push_str(&format!(
        "# adreport: {what} of the sweep, as one Slurm batch job.\n\
         # Written by `adreport run {runner} --slurm`; `sbatch {}` submits it again by hand.\n",
        script_path(unit).display()
    ));
    for a in &sbatch {
        s.push_str(&format!("#SBATCH {a}\n"));
    }
    s.push_str(&format!(
        "echo \"adreport: Slurm job $SLURM_JOB_ID on $(hostname), {}\"\n",
        what.replace('`', "")
    ));
    s.push_str(&format!(
        "exec {}\n",
        command.iter().map(|a| q(a)).collect::<Vec<_>>().join(" ")
    ));
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::run::fanout::tests::matrix;

    fn opts() -> SlurmOptions {
        SlurmOptions {
            nodes: 1,
            ..SlurmOptions::default()
        }
    }

    #[test]
    fn script_of_a_repeat() {
        let m = matrix(Path::new("/shared/out"), 2, false);
        let u = m.units()[1];
        let o = SlurmOptions {
            partition: Some("gpu".into()),
            account: Some("perf".into()),
            time: Some("01:00:00".into()),
            gpus_per_job: Some(4),
            sbatch_args: vec!["--exclusive".into()],
            ..opts()
        };
        let s = render(
            &u,
            &o,
            Path::new("/opt/bin/adreport"),
            "online",
            Path::new("/shared/out/a/slurm/settings.yaml"),
            Path::new("/home/me/work dir"),
        )
        .unwrap();
        let want = "#!/bin/bash
# adreport: config `a`, repeat 2 of 2 of the sweep, as one Slurm batch job.
# Written by `adreport run online --slurm`; `sbatch /shared/out/a/slurm/job_rep_2.sh` submits it again by hand.
#SBATCH --job-name=adreport-a-rep_2
#SBATCH --output=/shared/out/a/slurm/job_rep_2-%j.log
#SBATCH --chdir=\"/home/me/work dir\"
#SBATCH --nodes=1
#SBATCH --gpus=4
#SBATCH --partition=gpu
#SBATCH --account=perf
#SBATCH --time=01:00:00
#SBATCH --exclusive
echo \"adreport: Slurm job $SLURM_JOB_ID on $(hostname), config a, repeat 2 of 2\"
exec /opt/bin/adreport run online --config /shared/out/a/slurm/settings.yaml --repeats 2 --repeat 2
";
        assert_eq!(s, want);
        assert_eq!(
            script_path(&u),
            Path::new("/shared/out/a/slurm/job_rep_2.sh")
        );
        assert_eq!(
            log_path(&u, "17"),
            Path::new("/shared/out/a/slurm/job_rep_2-17.log")
        );
    }

    #[test]
    fn multi_node_spreads_one_task_per_gpu() {
        let m = matrix(Path::new("/o"), 1, false);
        let u = m.units()[0];
        let o = SlurmOptions {
            nodes: 2,
            gpus_per_job: Some(16),
            gres: Some("gpu:8".into()),
            ..opts()
        };
        let s = render(
            &u,
            &o,
            Path::new("/a"),
            "online",
            Path::new("/s"),
            Path::new("/w"),
        )
        .unwrap();
        assert!(
            s.contains("#SBATCH --nodes=2\n#SBATCH --ntasks-per-node=8\n#SBATCH --gres=gpu:8\n"),
            "{s}"
        );
        let counted = SlurmOptions {
            gres: None,
            ..o.clone()
        };
        let s = render(
            &u,
            &counted,
            Path::new("/a"),
            "online",
            Path::new("/s"),
            Path::new("/w"),
        )
        .unwrap();
        assert!(
            s.contains("#SBATCH --ntasks-per-node=8\n#SBATCH --gpus-per-node=8\n"),
            "{s}"
        );
        let server: Vec<String> = ["trtllm-llmapi-launch", "trtllm-serve", "m"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            server_launcher(&server, 2, Some(16)).unwrap().unwrap(),
            ["srun", "--nodes=2", "--ntasks-per-node=8", "--mpi=pmix"]
        );
        assert_eq!(server_launcher(&server, 1, Some(8)).unwrap(), None);
        let own = vec!["srun".to_string(), "-l".into(), "trtllm-serve".into()];
        assert_eq!(server_launcher(&own, 2, Some(16)).unwrap(), None);
        assert!(server_launcher(&server, 3, Some(16))
            .unwrap_err()
            .to_string()
            .contains("do not split evenly over --nodes 3"));
    }

    #[test]
    fn gres_replaces_the_gpu_count() {
        let m = matrix(Path::new("/o"), 1, false);
        let u = m.units()[0];
        let o = SlurmOptions {
            gpus_per_job: Some(1),
            gres: Some("gpu:1".into()),
            ..opts()
        };
        let s = render(
            &u,
            &o,
            Path::new("/a"),
            "offline",
            Path::new("/s"),
            Path::new("/w"),
        )
        .unwrap();
        assert!(
            s.contains("#SBATCH --gres=gpu:1\n") && !s.contains("--gpus="),
            "{s}"
        );
        assert!(s.ends_with("exec /a run offline --config /s\n"));
        // Without --gpus-per-job, the GPUs the config serves on (--world-size, --tp).
        let mut m = matrix(Path::new("/o"), 1, false);
        m.configs[0].gpus = Some(2);
        let u = m.units()[0];
        let s = render(
            &u,
            &opts(),
            Path::new("/a"),
            "online",
            Path::new("/s"),
            Path::new("/w"),
        )
        .unwrap();
        assert!(s.contains("#SBATCH --nodes=1\n#SBATCH --gpus=2\n"), "{s}");
    }
}
