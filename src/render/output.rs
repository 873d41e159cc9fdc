//! The one exporter interface every job's outputs go through (report, compare, audit, run,
//! history), and the one place they are written to disk.

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::error::Error;
use crate::util::write::write_atomic;

/// One file an exporter produced, not yet on disk.
#[derive(Clone, Debug)]
pub struct Output {
    /// The file name inside the output directory.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

impl Output {
    pub fn text(file_name: impl Into<String>, text: String) -> Output {
        Output {
            file_name: file_name.into(),
            bytes: text.into_bytes(),
        }
    }
}

/// One output (or one family of outputs, like the PNG charts) of a job whose results are `Ctx`.
pub trait Exporter<Ctx: ?Sized> {
    /// Renders this exporter's files. `earlier` holds what the exporters before it in the list
    /// produced, so report.html can embed the charts and the text outputs can name them
    /// without reading anything back from disk.
    fn render(&self, ctx: &Ctx, earlier: &[Output]) -> Result<Vec<Output>, Error>;
}

/// An output already rendered (`show -o FILE`), written like any other.
pub struct Rendered(pub Output);

impl<Ctx: ?Sized> Exporter<Ctx> for Rendered {
    fn render(&self, _ctx: &Ctx, _earlier: &[Output]) -> Result<Vec<Output>, Error> {
        Ok(vec![self.0.clone()])
    }
}

/// Writes one rendered output to `path` (its directory created when missing), atomically.
pub fn write_file(output: Output, path: &Path) -> Result<PathBuf, Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(name) = path.file_name() else {
        return Err(Error::Usage(format!("{}: not a file name", path.display())));
    };
    let list: Vec<Box<dyn Exporter<()>>> = vec![Box::new(Rendered(Output {
        file_name: name.to_string_lossy().into_owned(),
        ..output
    }))];
    Ok(write_outputs(&list, &(), &dir)?.remove(0))
}

/// Runs the exporters in order, each seeing the outputs of those before it.
pub fn render_all<Ctx: ?Sized>(
    exporters: &[Box<dyn Exporter<Ctx>>],
    ctx: &Ctx,
) -> Result<Vec<Output>, Error> {
    let mut outputs: Vec<Output> = Vec::new();
    for e in exporters {
        let mut made = e.render(ctx, &outputs)?;
        outputs.append(&mut made);
    }
    Ok(outputs)
}

/// Renders every exporter, then writes each file atomically into `out_dir` (created when
/// missing). Nothing is written when an exporter fails, so a run never mixes old and new files.
pub fn write_outputs<Ctx: ?Sized>(
    exporters: &[Box<dyn Exporter<Ctx>>],
    ctx: &Ctx,
    out_dir: &Path,
) -> Result<Vec<PathBuf>, Error> {
    let outputs = render_all(exporters, ctx)?;
    fs::create_dir_all(out_dir).map_err(|source| Error::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::with_capacity(outputs.len());
    for o in &outputs {
        let path = out_dir.join(&o.file_name);
        write_atomic(&path, &o.bytes)?;
        files.push(path);
    }
    Ok(files)
}

/// Appends `bytes` to a file another program owns (GitHub's `$GITHUB_STEP_SUMMARY`), creating
/// it when missing. Unlike the outputs above, such a file is added to, never replaced.
pub fn append_to(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    use std::io::Write;
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(err)?;
    file.write_all(bytes).map_err(err)
}

/// The PNGs among `outputs`, in order.
pub fn pngs(outputs: &[Output]) -> impl Iterator<Item = &Output> {
    outputs.iter().filter(|o| o.file_name.ends_with(".png"))
}

/// The file names of the PNGs among `outputs`, in order.
pub fn png_names(outputs: &[Output]) -> Vec<String> {
    pngs(outputs).map(|o| o.file_name.clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(&'static str);
    impl Exporter<str> for Fixed {
        fn render(&self, ctx: &str, earlier: &[Output]) -> Result<Vec<Output>, Error> {
            Ok(vec![Output::text(
                self.0,
                format!("{ctx} after {}", earlier.len()),
            )])
        }
    }

    #[test]
    fn each_exporter_sees_the_ones_before_it_and_files_land_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("new");
        let list: Vec<Box<dyn Exporter<str>>> =
            vec![Box::new(Fixed("a.txt")), Box::new(Fixed("b.png"))];
        let files = write_outputs(&list, "x", &out).unwrap();
        assert_eq!(files, vec![out.join("a.txt"), out.join("b.png")]);
        assert_eq!(fs::read_to_string(out.join("a.txt")).unwrap(), "x after 0");
        assert_eq!(fs::read_to_string(out.join("b.png")).unwrap(), "x after 1");
        let leftovers: Vec<_> = fs::read_dir(&out)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with('~'))
            .collect();
        assert!(leftovers.is_empty());
    }
}
