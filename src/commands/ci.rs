//! Under GitHub Actions: a job's gate failures printed as `::error` annotations and its markdown
//! summary appended to the step summary (`$GITHUB_STEP_SUMMARY`), for `report`, `compare`,
//! `audit` and `history check` alike.

use std::path::{Path, PathBuf};

use crate::render::github;
use crate::render::output::append_to;
use crate::util::error::Error;

/// Where GitHub Actions wants to hear from a job; `None` outside GitHub Actions
/// (`GITHUB_ACTIONS` unset or empty).
pub struct GithubStep {
    /// `$GITHUB_STEP_SUMMARY`, when set.
    pub step_summary: Option<PathBuf>,
}

impl GithubStep {
    pub fn from_env() -> Option<GithubStep> {
        let set = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        set("GITHUB_ACTIONS")?;
        Some(GithubStep {
            step_summary: set("GITHUB_STEP_SUMMARY").map(PathBuf::from),
        })
    }

    /// Appends `markdown` (whose whole text is at `full`, for the note when it must be cut) to
    /// the step summary when there is one, cut to fit its 1 MiB. Returns what was done, for the
    /// log.
    pub fn append_summary(&self, markdown: &str, full: &str) -> Result<Option<String>, Error> {
        let Some(summary) = &self.step_summary else {
            return Ok(None);
        };
        let existing = std::fs::metadata(summary).map_or(0, |m| m.len());
        Ok(Some(match github::step_summary(markdown, existing, full) {
            Some(text) => {
                append_to(summary, text.as_bytes())?;
                let cut = if text.len() < markdown.len() {
                    " (cut to fit 1 MiB)"
                } else {
                    ""
                };
                format!("appended {full} to {}{cut}", summary.display())
            }
            None => format!(
                "{} is already at its 1 MiB limit: {full} not appended",
                summary.display()
            ),
        }))
    }

    /// Prints the annotation lines to stdout (where the runner reads workflow commands) and
    /// appends `summary` = (markdown, where its whole text is) to the step summary.
    pub fn report(
        &self,
        annotations: &[String],
        summary: Option<(&str, &str)>,
    ) -> Result<(), Error> {
        for l in annotations {
            println!("{l}");
        }
        if let Some((markdown, full)) = summary {
            if let Some(note) = self.append_summary(markdown, full)? {
                eprintln!("{note}");
            }
        }
        Ok(())
    }
}

/// A written markdown file's text and its path in words, for [`GithubStep::report`].
pub fn markdown_file(path: &Path) -> Result<(String, String), Error> {
    let text =
        std::fs::read_to_string(path).map_err(|e| crate::util::error::ReadError::io(path, &e))?;
    Ok((text, path.display().to_string()))
}
