//! Running the scheduler's command-line tools (sbatch, squeue, scontrol, scancel): their
//! output, their error text, and a time limit so a controller that does not answer cannot
//! hang the sweep.

use std::io::Read;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long one scheduler command may take.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `argv` and returns its stdout; `Err` holds what went wrong in the tool's own words
/// (its stderr, else its exit status).
pub fn run(argv: &[String], timeout: Duration) -> Result<String, String> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| "empty command".to_string())?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    // Both pipes are read while the tool runs, so a long output never blocks it.
    let pipe = |p: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = p {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
    let out = pipe(child.stdout.take().map(|p| Box::new(p) as _));
    let err = pipe(child.stderr.take().map(|p| Box::new(p) as _));
    let end = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() < end => thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    match status {
        None => Err(format!(
            "`{}` did not answer within {}s",
            shell_words::join(argv),
            timeout.as_secs()
        )),
        Some(s) if s.success() => Ok(stdout),
        Some(s) => {
            let said = stderr.trim();
            Err(if said.is_empty() {
                format!("`{}` failed ({s})", shell_words::join(argv))
            } else {
                said.to_string()
            })
        }
    }
}

/// `argv` as owned strings.
pub fn argv<I, S>(parts: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    parts.into_iter().map(Into::into).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_errors_and_time_limits() {
        assert_eq!(
            run(&argv(["sh", "-c", "echo out; echo err >&2"]), TIMEOUT).unwrap(),
            "out\n"
        );
        assert_eq!(
            run(
                &argv(["sh", "-c", "echo 'sbatch: error: bad' >&2; exit 1"]),
                TIMEOUT
            )
            .unwrap_err(),
            "sbatch: error: bad"
        );
        assert!(run(&argv(["sh", "-c", "exit 3"]), TIMEOUT)
            .unwrap_err()
            .contains("exit status: 3"));
        let t = Instant::now();
        let e = run(&argv(["sleep", "5"]), Duration::from_millis(200)).unwrap_err();
        assert!(e.contains("did not answer"), "{e}");
        assert!(t.elapsed() < Duration::from_secs(3));
        assert!(run(&argv(["/nonexistent/sbatch"]), TIMEOUT)
            .unwrap_err()
            .contains("cannot run"));
    }
}
