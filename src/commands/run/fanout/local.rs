//! The matrix on this machine: unit after unit (config by config, or interleaved), each
//! the runner's own sweep; `--keep-server` keeps one server across a config's passes.

use std::path::Path;

use serde_json::Value;

use super::{Matrix, Unit};
use crate::commands::run::signals::last_signal;
use crate::commands::run::{interrupted, ClientCmd, Driver, Health, Outcome, PointSpec};
use crate::commands::run::{Progress, RunError};

/// How the units went.
#[derive(Debug, Default)]
pub struct LocalEnd {
    /// Each unit run, by name, with how it ended.
    pub outcomes: Vec<(String, Outcome)>,
    /// Units that could not start, and why.
    pub failed: Vec<(String, String)>,
    pub stopped: Option<String>,
    pub signal: Option<i32>,
}

impl LocalEnd {
    /// The worst of the units' exit codes (a signal's code wins).
    pub fn exit_code(&self) -> u8 {
        if let Some(s) = self.signal {
            return u8::try_from(128 + s).unwrap_or(130);
        }
        let worst = self
            .outcomes
            .iter()
            .map(|(_, o)| o.exit_code())
            .max()
            .unwrap_or(0);
        if !self.failed.is_empty() || self.stopped.is_some() {
            worst.max(1)
        } else {
            worst
        }
    }
}

/// Runs the units in order (only repeat `only` when given). `run_unit` is the runner's sweep
/// of one unit; `stop_on_failure` (`--on-failure stop`) ends the matrix at the first unit
/// that failed. A usage error ends it at once: every unit would fail the same way.
pub fn run(
    m: &Matrix,
    only: Option<u32>,
    stop_on_failure: bool,
    run_unit: &mut dyn FnMut(&Unit) -> Result<Outcome, RunError>,
) -> Result<LocalEnd, RunError> {
    let units: Vec<Unit> = m
        .units()
        .into_iter()
        .filter(|u| only.is_none() || u.repeat == only)
        .collect();
    let mut end = LocalEnd::default();
    for (i, u) in units.iter().enumerate() {
        if interrupted() {
            end.signal = Some(last_signal());
            break;
        }
        if units.len() > 1 {
            eprintln!(
                "== {} ({} of {}) -> {}",
                u.name(),
                i + 1,
                units.len(),
                u.root().display()
            );
        }
        let failed = match run_unit(u) {
            Ok(o) => {
                let failed = o.exit_code() != 0;
                let signal = o.signal;
                end.outcomes.push((u.name(), o));
                if let Some(s) = signal {
                    end.signal = Some(s);
                    break;
                }
                failed
            }
            Err(e @ RunError::Usage(_)) => return Err(e),
            Err(e) => {
                if interrupted() {
                    end.signal = Some(last_signal());
                    break;
                }
                eprintln!("error: {}: {e}", u.name());
                end.failed.push((u.name(), e.to_string()));
                true
            }
        };
        if failed && stop_on_failure {
            end.stopped = Some(format!("{} failed (--on-failure stop)", u.name()));
            break;
        }
    }
    Ok(end)
}

/// A driver whose server outlives each pass: `stop` at the end of a pass does nothing,
/// [`KeepServer::finish`] (or dropping it) stops the server for good.
pub struct KeepServer<D: Driver> {
    inner: D,
    started: bool,
}

impl<D: Driver> KeepServer<D> {
    pub fn new(inner: D) -> KeepServer<D> {
        KeepServer {
            inner,
            started: false,
        }
    }

    pub fn finish(&mut self) {
        self.inner.stop();
        self.started = false;
    }
}

impl<D: Driver> Drop for KeepServer<D> {
    fn drop(&mut self) {
        self.finish();
    }
}

impl<D: Driver> Driver for KeepServer<D> {
    fn start(&mut self, progress: &Progress) -> Result<(), RunError> {
        if self.started {
            // A server that died between passes is brought back like one that died mid-pass.
            if let Health::Dead { .. } = self.inner.check(true) {
                return self.inner.restart(progress);
            }
            return Ok(());
        }
        match self.inner.start(progress) {
            Ok(()) => {
                self.started = true;
                Ok(())
            }
            Err(e) => {
                self.inner.stop();
                Err(e)
            }
        }
    }

    fn client(&mut self, point: &PointSpec, dir: &Path) -> Result<ClientCmd, RunError> {
        self.inner.client(point, dir)
    }

    fn check(&mut self, thorough: bool) -> Health {
        self.inner.check(thorough)
    }

    fn restart(&mut self, progress: &Progress) -> Result<(), RunError> {
        self.inner.restart(progress)
    }

    /// The pass is over; the server is not.
    fn stop(&mut self) {
        if interrupted() {
            self.finish();
        }
    }

    fn context(&self) -> Value {
        self.inner.context()
    }

    fn client_tool(&self) -> (String, Option<String>) {
        self.inner.client_tool()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::run::fanout::tests::matrix;
    use std::cell::RefCell;
    use std::rc::Rc;

    #[test]
    fn units_run_in_order_and_only_the_asked_repeat() {
        let m = matrix(Path::new("/o"), 2, true);
        let mut seen = Vec::new();
        let end = run(&m, None, false, &mut |u| {
            seen.push(u.name());
            Ok(Outcome::default())
        })
        .unwrap();
        assert_eq!(seen, ["a rep 1/2", "b rep 1/2", "a rep 2/2", "b rep 2/2"]);
        assert_eq!(end.exit_code(), 0);
        seen.clear();
        run(&m, Some(2), false, &mut |u| {
            seen.push(u.name());
            Ok(Outcome::default())
        })
        .unwrap();
        assert_eq!(seen, ["a rep 2/2", "b rep 2/2"]);
    }

    #[test]
    fn a_failed_unit_stops_only_with_stop() {
        let m = matrix(Path::new("/o"), 1, false);
        let failing = |u: &Unit| {
            let mut o = Outcome::default();
            if u.config.label == "a" {
                o.failed.push(("p1".into(), "boom".into()));
            }
            Ok(o)
        };
        let mut n = 0;
        let end = run(&m, None, false, &mut |u| {
            n += 1;
            failing(u)
        })
        .unwrap();
        assert_eq!((n, end.exit_code()), (2, 1));
        n = 0;
        let end = run(&m, None, true, &mut |u| {
            n += 1;
            failing(u)
        })
        .unwrap();
        assert_eq!(n, 1);
        assert!(end.stopped.unwrap().contains("a failed"));
        let err = run(&m, None, false, &mut |_| {
            Err(RunError::Usage("bad flag".into()))
        });
        assert!(err.is_err());
        let end = run(&m, None, false, &mut |_| {
            Err(RunError::Server("no server".into()))
        })
        .unwrap();
        assert_eq!((end.failed.len(), end.exit_code()), (2, 1));
    }

    /// Counts starts and stops of a pretend server.
    struct Counting(Rc<RefCell<(u32, u32)>>);

    impl Driver for Counting {
        fn start(&mut self, _: &Progress) -> Result<(), RunError> {
            self.0.borrow_mut().0 += 1;
            Ok(())
        }
        fn client(&mut self, _: &PointSpec, _: &Path) -> Result<ClientCmd, RunError> {
            Err(RunError::Other("no client".into()))
        }
        fn check(&mut self, _: bool) -> Health {
            Health::Alive
        }
        fn restart(&mut self, _: &Progress) -> Result<(), RunError> {
            Ok(())
        }
        fn stop(&mut self) {
            self.0.borrow_mut().1 += 1;
        }
        fn context(&self) -> Value {
            Value::Null
        }
        fn client_tool(&self) -> (String, Option<String>) {
            ("x".into(), None)
        }
    }

    #[test]
    fn keep_server_starts_once_and_stops_at_the_end() {
        let counts = Rc::new(RefCell::new((0, 0)));
        let mut d = KeepServer::new(Counting(counts.clone()));
        let p = Progress::new(0);
        for _ in 0..3 {
            d.start(&p).unwrap();
            d.stop();
        }
        assert_eq!(*counts.borrow(), (1, 0));
        drop(d);
        assert_eq!(*counts.borrow(), (1, 1));
    }
}
