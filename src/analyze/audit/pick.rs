//! Choosing the experiment and config a measured sweep is audited against.

use super::error::{AuditError, ExperimentConfigs, ExperimentName};
use crate::model::{AicExperiment, AicRow, AicRun};

/// How the audited config is chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum Pick {
    /// The config AIConfigurator would deploy (see [`select`]).
    Default,
    /// A rank (`--rank N`, or a `rankN=` / `topN=` label): row N of `best_config_topn.csv`.
    Rank(usize),
    /// A config prefix (`--config PREFIX`): the config whose `parallel` starts with it.
    Config(String),
}

/// One experiment's rank-1 row, as the default choice weighed it.
#[derive(Clone, Debug, PartialEq)]
pub struct Rank1 {
    pub experiment: String,
    /// AIConfigurator's score (see [`score`]).
    pub score: f64,
    pub meets_sla: Option<bool>,
}

/// Why an experiment was chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum ExperimentWhy {
    /// The save dir has one experiment.
    Only { experiment: String },
    /// The user named it (`--mode`).
    Asked { experiment: String, mode: String },
    /// Its rank-1 config is the best meeting the SLA.
    BestMeetingSla {
        experiment: String,
        rank1: Vec<Rank1>,
    },
    /// No rank-1 config meets the SLA: the agg experiment (else the first).
    NoneMeetsSla {
        experiment: String,
        rank1: Vec<Rank1>,
    },
}

/// Why a config was chosen.
#[derive(Clone, Debug, PartialEq)]
pub enum Why {
    /// Rank `rank` of the experiment chosen for `experiment`'s reason.
    Rank {
        rank: usize,
        experiment: ExperimentWhy,
    },
    /// The user's config prefix.
    Config(String),
}

/// The chosen experiment and config.
#[derive(Clone, Debug)]
pub struct Selection<'a> {
    pub exp: &'a AicExperiment,
    /// The config's `parallel` text.
    pub config: String,
    /// Its rank in `best_config_topn.csv`, when listed there.
    pub rank: Option<usize>,
    /// The ranked row (else the config's first pareto row): GPUs per replica, AIC's pick.
    pub row: &'a AicRow,
    pub why: Why,
}

/// Picks the experiment and config. Default: among the experiments' rank-1 rows of
/// `best_config_topn.csv` that meet the SLA, the highest tokens/s/gpu_cluster (else
/// tokens/s/gpu); when none meets it, the agg experiment's rank 1.
pub fn select<'a>(
    run: &'a AicRun,
    mode: Option<&str>,
    pick: &Pick,
) -> Result<Selection<'a>, AuditError> {
    let exps = experiments_for(run, mode)?;
    let rank = match pick {
        Pick::Config(prefix) => return config_pick(run, &exps, prefix),
        Pick::Rank(n) => *n,
        Pick::Default => 1,
    };
    let (exp, why) = default_experiment(run, &exps, mode)?;
    rank_pick(
        exp,
        rank,
        Why::Rank {
            rank,
            experiment: why,
        },
    )
}

fn names(exps: &[&AicExperiment]) -> Vec<ExperimentName> {
    exps.iter()
        .map(|e| ExperimentName {
            name: e.name.clone(),
            mode: e.mode.clone(),
        })
        .collect()
}

/// Every experiment, or the one `mode` names (by directory name first, then by mode).
fn experiments_for<'a>(
    run: &'a AicRun,
    mode: Option<&str>,
) -> Result<Vec<&'a AicExperiment>, AuditError> {
    let all: Vec<&AicExperiment> = run.experiments.iter().collect();
    let Some(mode) = mode else { return Ok(all) };
    if let Some(e) = all.iter().find(|e| e.name == mode) {
        return Ok(vec![*e]);
    }
    let by_mode: Vec<&AicExperiment> = all.iter().copied().filter(|e| e.mode == mode).collect();
    match by_mode.len() {
        1 => Ok(by_mode),
        0 => Err(AuditError::UnknownMode {
            asked: mode.to_string(),
            dir: run.dir.clone(),
            available: names(&all),
        }),
        _ => Err(AuditError::AmbiguousMode {
            asked: mode.to_string(),
            dir: run.dir.clone(),
            matches: names(&by_mode),
        }),
    }
}

/// AIConfigurator's ranking score: tokens/s/gpu_cluster (v0.12+), else tokens/s/gpu.
pub fn score(row: &AicRow) -> f64 {
    row.tokens_s_gpu_cluster.unwrap_or(row.tokens_s_gpu)
}

/// The experiment whose rank-1 config AIConfigurator would deploy, and why.
fn default_experiment<'a>(
    run: &AicRun,
    exps: &[&'a AicExperiment],
    mode: Option<&str>,
) -> Result<(&'a AicExperiment, ExperimentWhy), AuditError> {
    if let [only] = exps {
        let experiment = only.name.clone();
        let why = match mode {
            Some(m) => ExperimentWhy::Asked {
                experiment,
                mode: m.to_string(),
            },
            None => ExperimentWhy::Only { experiment },
        };
        return Ok((*only, why));
    }
    let rank1: Vec<(&AicExperiment, &AicRow)> = exps
        .iter()
        .filter_map(|e| Some((*e, e.best_topn.first()?)))
        .collect();
    if rank1.is_empty() {
        return Err(AuditError::NothingRanked {
            dir: run.dir.clone(),
            available: config_list(exps),
        });
    }
    let mut best: Option<(&AicExperiment, &AicRow)> = None;
    for (e, r) in &rank1 {
        if run.row_meets_sla(r) == Some(true) && best.is_none_or(|(_, b)| score(r) > score(b)) {
            best = Some((*e, *r));
        }
    }
    let weighed: Vec<Rank1> = rank1
        .iter()
        .map(|(e, r)| Rank1 {
            experiment: e.name.clone(),
            score: score(r),
            meets_sla: run.row_meets_sla(r),
        })
        .collect();
    if let Some((e, _)) = best {
        let why = ExperimentWhy::BestMeetingSla {
            experiment: e.name.clone(),
            rank1: weighed,
        };
        return Ok((e, why));
    }
    let (e, _) = rank1
        .iter()
        .find(|(e, _)| e.mode == "agg")
        .or(rank1.first())
        .copied()
        .ok_or(AuditError::NoRankedExperiment)?;
    let why = ExperimentWhy::NoneMeetsSla {
        experiment: e.name.clone(),
        rank1: weighed,
    };
    Ok((e, why))
}

fn rank_pick(exp: &AicExperiment, n: usize, why: Why) -> Result<Selection<'_>, AuditError> {
    let best_csv = exp.dir.join("best_config_topn.csv");
    if exp.best_topn.is_empty() {
        return Err(AuditError::NoRanks {
            best_csv,
            rank: n,
            experiment: exp.name.clone(),
            available: config_list(&[exp]),
        });
    }
    let Some(row) = n.checked_sub(1).and_then(|i| exp.best_topn.get(i)) else {
        return Err(AuditError::RankOutOfRange {
            rank: n,
            best_csv,
            ranks: exp
                .best_topn
                .iter()
                .map(|r| (r.rank.unwrap_or(0), r.parallel.clone()))
                .collect(),
        });
    };
    let config = row
        .parallel
        .clone()
        .ok_or_else(|| AuditError::RankWithoutConfig {
            best_csv: best_csv.clone(),
            row: row.row,
        })?;
    Ok(Selection {
        exp,
        config,
        rank: Some(n),
        row,
        why,
    })
}

/// Distinct configs of an experiment, ranked ones first, in file order.
fn configs_of(exp: &AicExperiment) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in exp.best_topn.iter().chain(&exp.pareto) {
        if let Some(p) = &r.parallel {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
    }
    out
}

fn config_list(exps: &[&AicExperiment]) -> Vec<ExperimentConfigs> {
    exps.iter()
        .map(|e| ExperimentConfigs {
            experiment: e.name.clone(),
            configs: configs_of(e),
        })
        .collect()
}

/// The one config whose `parallel` is `prefix` (any case), else the one starting with it.
fn find_config<'a>(
    run: &AicRun,
    exps: &[&'a AicExperiment],
    prefix: &str,
) -> Result<(&'a AicExperiment, String), AuditError> {
    let want = prefix.trim().to_ascii_lowercase();
    let mut exact: Vec<(&AicExperiment, String)> = Vec::new();
    let mut prefixed: Vec<(&AicExperiment, String)> = Vec::new();
    for e in exps {
        for c in configs_of(e) {
            let low = c.to_ascii_lowercase();
            if low == want {
                exact.push((e, c));
            } else if !want.is_empty() && low.starts_with(&want) {
                prefixed.push((e, c));
            }
        }
    }
    let found = if exact.is_empty() { prefixed } else { exact };
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(AuditError::UnknownConfig {
            asked: prefix.to_string(),
            dir: run.dir.clone(),
            available: config_list(exps),
        }),
        many => Err(AuditError::AmbiguousConfig {
            asked: prefix.to_string(),
            matches: many
                .iter()
                .map(|(e, c)| (e.name.clone(), c.clone()))
                .collect(),
            several_experiments: exps.len() > 1,
        }),
    }
}

fn config_pick<'a>(
    run: &AicRun,
    exps: &[&'a AicExperiment],
    prefix: &str,
) -> Result<Selection<'a>, AuditError> {
    let (exp, config) = find_config(run, exps, prefix)?;
    let of_config = |r: &&AicRow| r.parallel.as_deref() == Some(config.as_str());
    let ranked = exp.best_topn.iter().find(of_config);
    let row = ranked
        .or_else(|| exp.pareto.iter().find(of_config))
        .ok_or_else(|| AuditError::ConfigWithoutRow {
            asked: prefix.to_string(),
            config: config.clone(),
        })?;
    Ok(Selection {
        exp,
        rank: ranked.and_then(|r| r.rank),
        row,
        why: Why::Config(prefix.to_string()),
        config,
    })
}
