//! `adreport completions SHELL` and `adreport man`: generated from the command definitions.

use std::path::PathBuf;

use super::{print_bytes, Outcome};
use crate::render::output::{write_outputs, Exporter, Output, Rendered};
use crate::util::error::Error;

/// `completions`: the script for `shell` to stdout.
pub fn completions(mut cmd: clap::Command, shell: clap_complete::Shell) -> Result<Outcome, Error> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "adreport", &mut out);
    print_bytes(&out);
    Ok(Outcome::Done)
}

/// `man`: the main page to stdout, or every page into `out`.
pub fn man(cmd: clap::Command, out: Option<&PathBuf>) -> Result<Outcome, Error> {
    let pages = man_pages(cmd).map_err(|source| Error::Write {
        path: "<man page>".into(),
        source,
    })?;
    match out {
        None => print_bytes(&pages[0].bytes),
        Some(dir) => {
            let list: Vec<Box<dyn Exporter<()>>> = pages
                .into_iter()
                .map(|p| Box::new(Rendered(p)) as Box<dyn Exporter<()>>)
                .collect();
            let files = write_outputs(&list, &(), dir)?;
            eprintln!("wrote {} man pages to {}", files.len(), dir.display());
        }
    }
    Ok(Outcome::Done)
}

/// The man pages: `adreport.1` first, then `adreport-COMMAND.1` for every command and
/// subcommand (`adreport-run-online.1`).
pub fn man_pages(mut cmd: clap::Command) -> Result<Vec<Output>, std::io::Error> {
    cmd.build();
    let mut pages = Vec::new();
    man_page(&cmd, "adreport", &mut pages)?;
    Ok(pages)
}

fn man_page(
    cmd: &clap::Command,
    name: &str,
    pages: &mut Vec<Output>,
) -> Result<(), std::io::Error> {
    let page = cmd
        .clone()
        .name(name.to_string())
        .version(env!("ADREPORT_VERSION"));
    let mut bytes = Vec::new();
    clap_mangen::Man::new(page).render(&mut bytes)?;
    pages.push(Output {
        file_name: format!("{name}.1"),
        bytes,
    });
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        man_page(sub, &format!("{name}-{}", sub.get_name()), pages)?;
    }
    Ok(())
}
