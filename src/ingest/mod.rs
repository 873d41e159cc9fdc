//! Ingest: find result files under the given paths, detect each format from its
//! content, read it into [`Point`]s and gather them into a [`Sweep`].
//!
//! Each format has its own module; this one walks directories, assigns labels,
//! reconciles content with directory names, and fills derived metrics.

pub mod aiconfigurator;
pub mod aiperf;
pub mod benchmark_serving;
pub mod capacity;
pub mod configs;
mod derived;
pub mod energy;
pub mod fields;
pub mod genai_perf;
pub mod guidellm;
pub mod inference_perf;
pub mod layout;
pub mod llm_d_report;
pub mod mlperf;
pub mod mlperf_detail;
pub mod rate_trace;
pub mod repeats;
pub mod stat_block;
pub mod telemetry;
pub mod trtllm_bench;
pub mod unread;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use crate::model::{Point, Sweep, Warning};
use crate::util::error::{Error, ReadError};
use unread::Unread;

/// How much of a file readers see when sniffing its format.
pub const SNIFF_BYTES: usize = 16 * 1024;

/// One command-line input: `path` or `label=path`.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub label: Option<String>,
    pub path: PathBuf,
}

impl Input {
    /// Parses `label=path`; a plain path (even one containing `=` that exists) keeps no label.
    pub fn parse(arg: &str) -> Input {
        if let Some((label, path)) = arg.split_once('=') {
            if !label.is_empty() && !Path::new(arg).exists() {
                return Input {
                    label: Some(label.to_string()),
                    path: PathBuf::from(path),
                };
            }
        }
        Input {
            label: None,
            path: PathBuf::from(arg),
        }
    }
}

/// Options that affect reading.
#[derive(Clone, Debug, Default)]
pub struct IngestOptions {
    /// GPUs serving each point, for tokens/s/gpu when the source does not say.
    pub gpus: Option<u64>,
    /// `--gpu-hour-cost`: dollars per GPU hour, for cost per million output tokens.
    pub gpu_hour_cost: Option<f64>,
}

/// What readers get: options plus a place to put warnings about what they read.
#[derive(Debug, Default)]
pub struct ReadCtx {
    pub options: IngestOptions,
    pub warnings: Vec<Warning>,
}

impl ReadCtx {
    pub fn warn(&mut self, path: &Path, message: impl Into<String>) {
        self.warnings.push(Warning {
            path: path.to_path_buf(),
            message: message.into(),
        });
    }
}

/// [`load`] of the inputs as given on the command line (`path` or `label=path` each).
pub fn load_args(args: &[String], options: &IngestOptions) -> Result<Sweep, Error> {
    let inputs: Vec<Input> = args.iter().map(|a| Input::parse(a)).collect();
    load(&inputs, options)
}

/// Loads every input into one Sweep. Fails only when nothing usable remains.
pub fn load(inputs: &[Input], options: &IngestOptions) -> Result<Sweep, Error> {
    let mut ctx = ReadCtx {
        options: options.clone(),
        warnings: Vec::new(),
    };
    let mut sweep = Sweep::default();
    for input in inputs {
        let before = (sweep.points.len(), ctx.warnings.len());
        load_input(input, &mut ctx, &mut sweep);
        if (sweep.points.len(), ctx.warnings.len()) == before {
            ctx.warn(&input.path, "no result files of a known format here");
        }
    }
    sweep.warnings.append(&mut ctx.warnings);
    let repeat_warnings = repeats::merge_repeats(&mut sweep);
    sweep.warnings.extend(repeat_warnings);
    sort_points(&mut sweep);
    warn_mixed_sources(&mut sweep);
    if sweep.points.is_empty() {
        let reasons: Vec<String> = sweep.warnings.iter().map(|w| format!("  {w}")).collect();
        // Every input without a point has a warning saying why (see above).
        let reasons = reasons.join("\n");
        return Err(Error::NothingUsable(reasons));
    }
    let (configs, config_warnings) = configs::find_configs(&sweep);
    sweep.configs = configs;
    sweep.warnings.extend(config_warnings);
    Ok(sweep)
}

fn load_input(input: &Input, ctx: &mut ReadCtx, sweep: &mut Sweep) {
    let root = &input.path;
    let meta = match fs::metadata(root) {
        Ok(m) => m,
        Err(e) => {
            ctx.warn(root, format!("cannot read: {e}"));
            return;
        }
    };
    // An explicit `label=path` names the whole tree; sub-series below it keep their names after it.
    let label_of = |nested: Option<String>| match (&input.label, nested) {
        (Some(l), Some(n)) => format!("{l}/{n}"),
        (Some(l), None) => l.clone(),
        (None, Some(n)) => n,
        (None, None) => default_label(root),
    };
    if meta.is_file() {
        if let Some(result) = read_file(root, ctx) {
            add_points(Some(result), root, root, &label_of(None), ctx, sweep);
        } else {
            match unread::diagnose(root) {
                Some(Unread::Broken(e)) => ctx.warnings.push(left_out(&e)),
                Some(Unread::Unknown(reason)) => ctx.warn(root, reason),
                None => ctx.warn(root, "not a result file of a known format"),
            }
        }
        return;
    }
    // Walk first (cheap, in order), then read in parallel (the JSONL dominates), then
    // add the points in walk order so labels, warnings and output stay stable.
    let mut tasks: Vec<(ReadTask, PathBuf)> = Vec::new();
    let mut walker = WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walker.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let p = e.path().unwrap_or(root).to_path_buf();
                ctx.warn(&p, format!("cannot read: {e}"));
                continue;
            }
        };
        let path = entry.path().to_path_buf();
        if entry.path_is_symlink() && entry.depth() > 0 {
            warn_symlink(&path, ctx);
        } else if entry.file_type().is_dir() {
            let task = if aiconfigurator::sniff_dir(&path) {
                Some(ReadTask::AiConfigurator)
            } else if aiperf::sniff_dir(&path) {
                Some(ReadTask::Aiperf)
            } else {
                None
            };
            if let Some(task) = task {
                tasks.push((task, path));
                walker.skip_current_dir();
            }
        } else if entry.file_type().is_file() {
            // A capacity search's answer is small and not a point: read it here.
            let label = label_of(nested_label(root, &path));
            match capacity::is_capacity_file(&path).then(|| capacity::read(&path, &label)) {
                Some(Some(Ok(c))) => {
                    sweep.files_read.push(path);
                    sweep.capacities.push(c);
                }
                Some(Some(Err(e))) => ctx.warnings.push(left_out(&e)),
                _ => tasks.push((ReadTask::File, path)),
            }
        }
    }
    let options = ctx.options.clone();
    let results = crate::util::parallel::map(&tasks, |(task, path)| {
        let mut local = ReadCtx {
            options: options.clone(),
            warnings: Vec::new(),
        };
        let (mut unread, mut log) = (None, None);
        let result = match task {
            ReadTask::AiConfigurator => Some(aiconfigurator::read_dir(path, &mut local)),
            ReadTask::Aiperf => Some(aiperf::read_dir(path, &mut local)),
            ReadTask::File => {
                let result = read_file(path, &mut local);
                if result.is_none() {
                    warn_if_empty(path, &mut local);
                    unread = unread::diagnose(path);
                    log = unread::client_log(path);
                }
                result
            }
        };
        (result, local.warnings, unread, log)
    });
    let points_before = sweep.points.len();
    let mut unknown = Vec::new();
    let mut logs = Vec::new();
    for ((_, path), (result, mut warnings, unread, log)) in tasks.iter().zip(results) {
        ctx.warnings.append(&mut warnings);
        match unread {
            Some(Unread::Broken(e)) => ctx.warnings.push(left_out(&e)),
            Some(Unread::Unknown(reason)) => unknown.push((path, reason)),
            None => {}
        }
        logs.extend(log);
        let label = label_of(nested_label(root, path));
        add_points(result, path, root, &label, ctx, sweep);
    }
    let read = &sweep.points[points_before..];
    let interrupted = warn_interrupted(logs, read, ctx);
    // What an interrupted client wrote before it stopped (aiperf's inputs.json) is not news.
    unknown.retain(|(path, _)| {
        !path
            .parent()
            .is_some_and(|d| interrupted.iter().any(|i| i == d))
    });
    warn_unknown_json(unknown, read, ctx);
}

/// Names every point directory that holds a client's log but no results (the client was
/// stopped before it wrote them), with the log's last line; returns those directories.
fn warn_interrupted(
    logs: Vec<unread::Interrupted>,
    read: &[Point],
    ctx: &mut ReadCtx,
) -> Vec<PathBuf> {
    let run_dirs: Vec<&Path> = read.iter().filter_map(|p| run_dir(&p.path)).collect();
    let mut named: Vec<PathBuf> = Vec::new();
    for i in logs {
        if named.contains(&i.dir) || run_dirs.iter().any(|d| d.starts_with(&i.dir)) {
            continue;
        }
        let log = i.log.strip_prefix(&i.dir).unwrap_or(&i.log).display();
        let end = match &i.last_line {
            Some(line) => format!("the last line of {log}: {line}"),
            None => format!("{log} is empty"),
        };
        ctx.warn(
            &i.dir,
            format!(
                "interrupted {} run: it stopped before writing results; {end}",
                i.tool
            ),
        );
        named.push(i.dir);
    }
    named
}

/// JSON of no known format is named where it matters: beside results that were read (a run
/// directory), or when the input gave nothing at all. Elsewhere (model and engine configs in a
/// larger tree) it is not news.
fn warn_unknown_json(unknown: Vec<(&PathBuf, String)>, read: &[Point], ctx: &mut ReadCtx) {
    const SHOWN: usize = 10;
    let run_dirs: Vec<&Path> = read.iter().filter_map(|p| run_dir(&p.path)).collect();
    let named: Vec<(&PathBuf, String)> = unknown
        .into_iter()
        .filter(|(path, _)| read.is_empty() || path.parent().is_some_and(|d| run_dirs.contains(&d)))
        .collect();
    for (path, reason) in named.iter().take(SHOWN) {
        ctx.warn(path, reason.clone());
    }
    if let Some((path, _)) = named.get(SHOWN) {
        ctx.warn(
            path.parent().unwrap_or(path),
            format!(
                "and {} more JSON files of no known result format; not read",
                named.len() - SHOWN
            ),
        );
    }
}

/// The directory a point's results are in: its artifact directory, or its file's directory.
fn run_dir(path: &Path) -> Option<&Path> {
    if path.is_dir() {
        Some(path)
    } else {
        path.parent()
    }
}

/// A reader's error as the warning that the file was left out.
fn left_out(e: &ReadError) -> Warning {
    Warning {
        path: e.path.clone(),
        message: format!(
            "left out: {}",
            e.to_string()
                .trim_start_matches(&format!("{}: ", e.path.display()))
        ),
    }
}

/// What the walker found at a path, to be read later.
enum ReadTask {
    AiConfigurator,
    Aiperf,
    File,
}

/// Links are not followed (a link to a run already in the tree would count it twice), but never skipped silently.
fn warn_symlink(path: &Path, ctx: &mut ReadCtx) {
    match fs::metadata(path) {
        Err(e) => ctx.warn(
            path,
            format!("symbolic link not followed: it does not resolve ({e})"),
        ),
        Ok(_) => ctx.warn(
            path,
            "symbolic link not followed; give its target as an input to read it",
        ),
    }
}

/// An empty JSON/CSV in a result tree is usually a run that died before writing; say so.
fn warn_if_empty(path: &Path, ctx: &mut ReadCtx) {
    let data_ext = path.extension().is_some_and(|e| {
        ["json", "jsonl", "csv"]
            .iter()
            .any(|x| e.eq_ignore_ascii_case(x))
    });
    if data_ext && read_head(path).is_ok_and(|h| h.trim_start_matches('\u{feff}').trim().is_empty())
    {
        ctx.warn(path, "empty file; skipped");
    }
}

/// Reads one file with the reader whose sniff accepts it; `None` when no reader does.
fn read_file(path: &Path, ctx: &mut ReadCtx) -> Option<Result<Vec<Point>, ReadError>> {
    if inference_perf::is_companion(path) {
        return None;
    }
    let head = match read_head(path) {
        Ok(h) => h,
        Err(e) => return Some(Err(e)),
    };
    if guidellm::sniff(path, &head) {
        Some(guidellm::read(path, ctx))
    } else if guidellm::csv::sniff(path, &head) {
        Some(guidellm::csv::read(path, ctx))
    } else if inference_perf::sniff(path, &head) {
        Some(inference_perf::read(path, ctx))
    } else if llm_d_report::sniff(path, &head) {
        Some(llm_d_report::read(path, ctx))
    } else if mlperf::sniff(path, &head) {
        Some(mlperf::read(path, ctx))
    } else if mlperf_detail::sniff(path, &head) {
        // Read by the summary beside it.
        let alone = !path.with_file_name(mlperf::SUMMARY).is_file();
        alone.then(|| Err(mlperf_detail::read_alone(path)))
    } else if benchmark_serving::sniff(path, &head) {
        Some(benchmark_serving::read(path, ctx))
    } else if genai_perf::sniff(path, &head) {
        Some(genai_perf::read(path, ctx))
    } else if trtllm_bench::sniff(path, &head) {
        Some(trtllm_bench::read(path, ctx))
    } else if aiperf::aggregate::sniff(path, &head) {
        Some(aiperf::aggregate::read(path))
    } else {
        None
    }
}

/// The first [`SNIFF_BYTES`] of a file as text (lossy: binary files simply match no format).
pub fn read_head(path: &Path) -> Result<String, ReadError> {
    let mut f = fs::File::open(path).map_err(|e| ReadError::io(path, &e))?;
    let mut buf = Vec::with_capacity(SNIFF_BYTES);
    f.by_ref()
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut buf)
        .map_err(|e| ReadError::io(path, &e))?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Whole-file readers refuse larger files: no summary export is near this size, and a
/// garbage file must not be read into memory. (Per-request JSONL is streamed, not read whole.)
pub const MAX_TEXT_BYTES: u64 = 1 << 30;

/// Reads a whole file as UTF-8 text, naming the file on failure.
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    let len = fs::metadata(path)
        .map_err(|e| ReadError::io(path, &e))?
        .len();
    if len > MAX_TEXT_BYTES {
        return Err(ReadError::file(
            path,
            format!(
                "too large for a result file ({:.1} GiB; at most {} GiB is read)",
                len as f64 / (1u64 << 30) as f64,
                MAX_TEXT_BYTES >> 30
            ),
        ));
    }
    let bytes = fs::read(path).map_err(|e| ReadError::io(path, &e))?;
    String::from_utf8(bytes).map_err(|e| {
        ReadError::file(
            path,
            format!(
                "not UTF-8 text (bad byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// The label of a path given without one: its directory (or file stem) name; for a repeat
/// directory (`OUT/tuned/rep_2`, `D/profile_runs`) the name of the series above it.
pub fn default_label(path: &Path) -> String {
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let base = if path.is_file() {
        path.file_stem().map(|n| n.to_string_lossy().into_owned())
    } else {
        let own = name(path).or_else(|| fs::canonicalize(path).ok().as_deref().and_then(name));
        match own {
            Some(n) if layout::is_repeat_name(&n) => series_above(path).or(Some(n)),
            other => other,
        }
    };
    base.unwrap_or_else(|| path.display().to_string())
}

/// The nearest directory above `dir` whose name is not a repeat's.
fn series_above(dir: &Path) -> Option<String> {
    let full = fs::canonicalize(dir).ok()?;
    full.ancestors()
        .skip(1)
        .filter_map(|a| a.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .find(|n| !layout::is_repeat_name(n))
}

/// The sub-label of a point below the input root: the directories between the root and
/// the point (its file or artifact directory), leaving out names that only say the load
/// (`isl_128_osl_64`, `conc_8`, `c8`) or the repeat (`rep_2`, `run_0001`, `profile_runs`). `root/tuned/isl_.../` gives `tuned`; a point right
/// below the root gives none.
pub fn nested_label(root: &Path, path: &Path) -> Option<String> {
    let parent = path.parent()?;
    let rel = parent.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .filter(|name| !layout::is_load_name(name) && !layout::is_repeat_name(name))
        .collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn add_points(
    result: Option<Result<Vec<Point>, ReadError>>,
    path: &Path,
    root: &Path,
    label: &str,
    ctx: &mut ReadCtx,
    sweep: &mut Sweep,
) {
    let points = match result {
        None => return,
        Some(Err(e)) => {
            ctx.warnings.push(left_out(&e));
            return;
        }
        Some(Ok(points)) => points,
    };
    let mut points = points;
    repeats::name_series_by_metadata(&mut points);
    if points.is_empty() {
        ctx.warn(path, "left out: no load points in this file");
        return;
    }
    // Names from the input root's own name down to this file.
    let rel_from = root.parent().unwrap_or(root);
    let rel = path.strip_prefix(rel_from).unwrap_or(path);
    let hints = layout::name_hints(rel);
    let repeat = layout::repeat_in_path(path.strip_prefix(root).unwrap_or(path));
    sweep.files_read.push(path.to_path_buf());
    for mut p in points {
        p.repeat = p.repeat.or(repeat);
        if p.label.is_empty() {
            p.label = label.to_string();
        } else if !p.label.starts_with(label) {
            // Readers may name sub-series (AIConfigurator agg/disagg); keep them under the input's label.
            p.label = format!("{label}/{}", p.label);
        }
        make_printable(&mut p);
        reconcile(&mut p, "isl", |p| &mut p.isl, hints.isl, ctx);
        reconcile(&mut p, "osl", |p| &mut p.osl, hints.osl, ctx);
        reconcile(
            &mut p,
            "concurrency",
            |p| &mut p.concurrency,
            hints.concurrency,
            ctx,
        );
        derived::finalize(&mut p, ctx);
        sweep.points.push(p);
    }
}

/// Text with control characters (terminal escapes, bells, line breaks) written as `\u{1b}`, so a
/// name read from a file or directory cannot drive the terminal or break a line of a report.
pub fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Names and facts from files and directory names, made printable once for every output.
fn make_printable(p: &mut Point) {
    p.label = printable(&p.label);
    for s in [&mut p.model, &mut p.backend, &mut p.tool_version]
        .into_iter()
        .flatten()
    {
        *s = printable(s);
    }
    for v in p.extra.values_mut() {
        *v = printable(v);
    }
}

/// Content wins over names; names fill gaps; disagreement is a warning.
fn reconcile(
    p: &mut Point,
    what: &str,
    slot: impl Fn(&mut Point) -> &mut Option<u64>,
    hint: Option<u64>,
    ctx: &mut ReadCtx,
) {
    let path = p.path.clone();
    let v = slot(p);
    match (*v, hint) {
        (None, Some(h)) => *v = Some(h),
        (Some(c), Some(h)) if c != h => ctx.warn(
            &path,
            format!(
                "{what} is {c} in the file but {h} in the directory name; using {c} from the file"
            ),
        ),
        _ => {}
    }
}

/// Labels keep the order they were first seen; within a label, points go by workload and load.
fn sort_points(sweep: &mut Sweep) {
    let labels = sweep.labels();
    let rank = |l: &str| labels.iter().position(|x| x == l).unwrap_or(usize::MAX);
    sweep.points.sort_by(|a, b| {
        (
            rank(&a.label),
            a.isl,
            a.osl,
            a.concurrency,
            a.batch_size_load(),
        )
            .cmp(&(
                rank(&b.label),
                b.isl,
                b.osl,
                b.concurrency,
                b.batch_size_load(),
            ))
            .then(
                a.request_rate
                    .unwrap_or(f64::INFINITY)
                    .total_cmp(&b.request_rate.unwrap_or(f64::INFINITY)),
            )
    });
}

/// One label should hold one tool's results: the tools define and measure metrics differently.
fn warn_mixed_sources(sweep: &mut Sweep) {
    let mut warnings = Vec::new();
    for label in sweep.labels() {
        // The first point of each source in this label.
        let mut firsts: Vec<&Point> = Vec::new();
        for p in sweep.points.iter().filter(|p| p.label == label) {
            if !firsts.iter().any(|f| f.source == p.source) {
                firsts.push(p);
            }
        }
        if let [_, second, ..] = firsts.as_slice() {
            let each: Vec<String> = firsts
                .iter()
                .map(|p| format!("{} ({})", p.source, p.path.display()))
                .collect();
            warnings.push(Warning {
                path: second.path.clone(),
                message: format!(
                    "label `{label}` mixes results of {}; the tools measure differently, so give each its own label to compare them",
                    each.join(", ")
                ),
            });
        }
    }
    sweep.warnings.extend(warnings);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_parses_label_equals_path() {
        assert_eq!(
            Input::parse("tuned=/x/y"),
            Input {
                label: Some("tuned".into()),
                path: PathBuf::from("/x/y")
            }
        );
        assert_eq!(
            Input::parse("/x/y"),
            Input {
                label: None,
                path: PathBuf::from("/x/y")
            }
        );
    }
}
