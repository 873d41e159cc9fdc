//! `adreport history` on a real PostgreSQL server: the URL of a server to create scratch
//! databases on comes from ADREPORT_TEST_POSTGRES_URL (`.ci/run` starts one with
//! tests/bin/pg-throwaway.sh). Without it the tests say so and pass, except under CI, where
//! they fail.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::history::{add_at_once, add_nights, NightSpec};
use common::{adreport, text};
use serde_json::Value;

const URL_VAR: &str = "ADREPORT_TEST_POSTGRES_URL";

/// A fresh database on the test server, dropped when the guard goes.
struct ScratchDb {
    admin: String,
    name: String,
    url: String,
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn scratch(test: &str) -> Option<ScratchDb> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let Ok(admin) = std::env::var(URL_VAR) else {
        common::skip(&format!(
            "{test}: {URL_VAR} is not set (tests/bin/pg-throwaway.sh start DIR prints a PostgreSQL URL to set it to)"
        ));
        return None;
    };
    let name = format!(
        "adreport_{}_{}_{}",
        test,
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut c =
        postgres::Client::connect(&admin, postgres::NoTls).expect("connect to the test server");
    c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    Some(ScratchDb { admin, name, url })
}

#[test]
fn nightly_step_on_postgres_names_night_15_and_flat_history_passes() {
    let Some(db) = scratch("step") else { return };
    let dir = tempfile::tempdir().unwrap();
    // Per-night directories added without a label, as nightly jobs do: one series.
    add_nights(dir.path(), &db.url, 1.25, NightSpec::Plain);
    let out = adreport(&[
        "history",
        "check",
        "--db",
        &db.url,
        "--fail-on-regression",
        "10",
    ]);
    let printed = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{printed}{}", text(&out.stderr));
    assert!(
        printed
            .contains("first bad run night-15 (commit c15), last good run night-14 (commit c14)"),
        "{printed}"
    );
    assert!(
        printed.contains("REGRESSION aiperf:mock-llm isl 128 osl 64 conc 1 ttft_avg_ms"),
        "{printed}"
    );

    let Some(flat) = scratch("flat") else { return };
    add_nights(dir.path(), &flat.url, 1.0, NightSpec::Labelled("baseline"));
    let out = adreport(&[
        "history",
        "check",
        "--db",
        &flat.url,
        "--fail-on-regression",
        "10",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // Each night under its own label: the gate can check nothing, which is an error.
    let Some(own) = scratch("own") else { return };
    add_nights(dir.path(), &own.url, 1.25, NightSpec::OwnLabel);
    let out = adreport(&[
        "history",
        "check",
        "--db",
        &own.url,
        "--fail-on-regression",
        "10",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("24 runs, each its own label: nothing to compare; use --label"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn postgres_and_sqlite_store_the_same_values_and_replace_by_run_id() {
    let Some(db) = scratch("same") else { return };
    let dir = tempfile::tempdir().unwrap();
    let lite = dir.path().join("h.db");
    let lite = lite.to_str().unwrap();
    let add = |target: &str| {
        for (spec, id, time) in [
            (
                "baseline=sample-results/aiperf/baseline",
                "base",
                "2026-01-01T00:00:00Z",
            ),
            (
                "baseline=sample-results/aiperf/tuned",
                "tuned",
                "2026-01-02T00:00:00Z",
            ),
        ] {
            let out = adreport(&[
                "history", "add", spec, "--db", target, "--run-id", id, "--time", time,
            ]);
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
    };
    add(&db.url);
    add(lite);
    // Twice: replaced, not duplicated.
    add(&db.url);
    let show = |target: &str| {
        let out = adreport(&[
            "history",
            "show",
            "--db",
            target,
            "--metric",
            "ttft_avg_ms,request_throughput",
            "--format",
            "json",
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_str::<Value>(&text(&out.stdout)).unwrap()
    };
    let (pg, sq) = (show(&db.url), show(lite));
    assert_eq!(pg, sq);
    // TTFT avg at concurrency 1 of the sample baseline: 68.1756862 ms.
    let rows = pg.as_array().unwrap();
    assert!(rows.iter().any(|r| r["load"] == "conc 1"
        && r["metric"] == "ttft_avg_ms"
        && r["value"] == 68.1756862));
    let list: Value = serde_json::from_str(&text(
        &adreport(&["history", "list", "--db", &db.url, "--format", "json"]).stdout,
    ))
    .unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.iter().filter(|i| **i == "base").count(), 1, "{ids:?}");
}

#[test]
fn concurrent_writers_on_postgres_all_land() {
    let Some(db) = scratch("conc") else { return };
    add_at_once(&db.url, 6, "job");
    let list: Value = serde_json::from_str(&text(
        &adreport(&["history", "list", "--db", &db.url, "--format", "json"]).stdout,
    ))
    .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 6);

    // A newer schema is refused.
    let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    c.batch_execute("UPDATE adreport_schema SET version = 42")
        .unwrap();
    let out = adreport(&["history", "list", "--db", &db.url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("history schema version 42"));
}
