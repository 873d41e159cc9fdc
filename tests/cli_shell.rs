//! Shell and install: `adreport completions SHELL` (loaded into a real bash and asked to
//! complete), `adreport man` (rendered by groff when installed), and `--version` naming the git
//! commit the binary was built from.

use std::fs;
use std::process::Command;

mod common;
use common::{adreport, out_dir, text, ROOT};

/// What bash's completion function offers for the words typed so far (`words`, the last one
/// being completed).
fn bash_complete(script: &str, words: &[&str]) -> Vec<String> {
    let dir = out_dir("complete");
    let file = dir.path().join("adreport.bash");
    fs::write(&file, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let prev = if cword > 0 { words[cword - 1] } else { "" };
    let cmd = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; COMP_LINE='{}'; COMP_POINT=${{#COMP_LINE}}; \
         _adreport adreport '{}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display(),
        quoted.join(" "),
        words.join(" "),
        words[cword],
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(cmd)
        .output()
        .expect("bash");
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn bash_completion_completes_commands_and_flags() {
    let out = adreport(&["completions", "bash"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let script = text(&out.stdout);
    assert!(script.contains("complete -F _adreport"), "{script}");
    assert_eq!(
        bash_complete(&script, &["adreport", "comp"]),
        ["compare", "completions"]
    );
    assert_eq!(
        bash_complete(&script, &["adreport", "compare", "--fail-on-r"]),
        ["--fail-on-regression"]
    );
    assert_eq!(
        bash_complete(&script, &["adreport", "show", "x", "--format", "pa"]),
        ["parquet"]
    );
}

#[test]
fn zsh_and_fish_scripts_name_every_command() {
    for (shell, marker) in [
        ("zsh", "#compdef adreport"),
        ("fish", "complete -c adreport"),
    ] {
        let out = adreport(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(
            script.starts_with(marker) || script.contains(marker),
            "{shell}"
        );
        for cmd in [
            "show", "report", "compare", "noise", "audit", "plan", "history",
        ] {
            assert!(script.contains(cmd), "{shell} script lacks {cmd}");
        }
    }
    let bad = adreport(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(text(&bad.stderr).contains("invalid value 'tcsh'"));
}

#[test]
fn man_pages_cover_every_command_and_render() {
    let out = adreport(&["man"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let page = text(&out.stdout);
    assert!(page.contains(".TH adreport 1"), "{page}");
    assert!(page.contains("adreport\\-compare(1)"), "{page}");
    let dir = out_dir("man");
    let out = adreport(&["man", "-o", dir.path().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let compare = fs::read_to_string(dir.path().join("adreport-compare.1")).unwrap();
    assert!(
        compare.contains(&format!(
            ".TH adreport-compare 1  \"adreport-compare {}",
            env!("CARGO_PKG_VERSION")
        )),
        "{compare}"
    );
    assert!(
        compare.contains("\\-\\-fail\\-on\\-regression"),
        "{compare}"
    );
    for name in [
        "adreport.1",
        "adreport-run-online.1",
        "adreport-history-check.1",
    ] {
        assert!(dir.path().join(name).is_file(), "{name} missing");
    }
    // groff renders it as `man` would, when installed.
    let Ok(rendered) = Command::new("groff")
        .args(["-man", "-Tascii"])
        .arg(dir.path().join("adreport-compare.1"))
        .output()
    else {
        eprintln!("groff not installed: the man page is not rendered");
        return;
    };
    assert!(rendered.status.success());
    // Bold and underline are overstruck (`x\x08x`): keep the last character of each.
    let mut plain = String::new();
    for c in text(&rendered.stdout).chars() {
        if c == '\u{8}' {
            plain.pop();
        } else {
            plain.push(c);
        }
    }
    let rendered = plain;
    assert!(rendered.contains("fail-on-regression"), "{rendered}");
}

#[test]
fn version_names_the_commit_built_from() {
    let out = adreport(&["--version"]);
    assert!(out.status.success());
    let version = text(&out.stdout);
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(ROOT)
        .output();
    match head {
        Ok(h) if h.status.success() => assert_eq!(
            version.trim(),
            format!(
                "adreport {} (commit {})",
                env!("CARGO_PKG_VERSION"),
                text(&h.stdout).trim()
            )
        ),
        // Not a git checkout: the package version alone.
        _ => assert_eq!(
            version.trim(),
            format!("adreport {}", env!("CARGO_PKG_VERSION"))
        ),
    }
}
