//! Writing results so that a failure never leaves a partial file that looks complete.

use crate::CliError;
use ndarray::{ArrayBase, Data, Dimension};
use ndarray_npy::{WritableElement, WriteNpyExt};
use std::fs::File;
use std::path::Path;

/// Writes a file atomically: `fill` writes into a temporary file beside `path`, which is then made
/// world-readable (temporary files are created 0600; results are meant to be shared) and renamed.
fn write_atomic(
    path: &Path,
    fill: impl FnOnce(&mut File) -> Result<(), String>,
) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(CliError::input(format!(
            "output directory {} does not exist",
            dir.display()
        )));
    }
    let io = |e: &dyn std::fmt::Display| {
        CliError::internal(format!("cannot write {}: {e}", path.display()))
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        CliError::internal(format!("cannot create a file in {}: {e}", dir.display()))
    })?;
    fill(tmp.as_file_mut()).map_err(|e| io(&e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| io(&e))?;
    }
    tmp.persist(path).map_err(|e| io(&e.error))?;
    Ok(())
}

/// Writes bytes to `path` atomically.
pub fn write_bytes_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_atomic(path, |file| {
        use std::io::Write;
        file.write_all(bytes).map_err(|e| e.to_string())
    })
}

/// Writes `array` as .npy to `path` atomically: into a temporary file beside it, then renamed.
pub fn write_npy_atomic<S, D>(path: &Path, array: &ArrayBase<S, D>) -> Result<(), CliError>
where
    S: Data,
    S::Elem: WritableElement,
    D: Dimension,
{
    write_atomic(path, |file| {
        array.write_npy(file).map_err(|e| e.to_string())
    })
}

/// Writes a CSV atomically: into a temporary file beside `path`, then renamed.
pub fn write_csv_atomic(
    path: &Path,
    header: &[String],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<(), CliError> {
    write_atomic(path, |file| {
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
        w.write_record(header).map_err(|e| e.to_string())?;
        for row in rows {
            w.write_record(&row).map_err(|e| e.to_string())?;
        }
        w.flush().map_err(|e| e.to_string())
    })
}
