//! Writing results so that a failure never leaves a partial file that looks complete.

use crate::CliError;
use ndarray::{ArrayBase, Data, Dimension};
use ndarray_npy::WritableElement;
use std::path::Path;

/// Writes `array` as .npy to `path` atomically: into a temporary file beside it, then renamed.
pub fn write_npy_atomic<S, D>(path: &Path, array: &ArrayBase<S, D>) -> Result<(), CliError>
where
    S: Data,
    S::Elem: WritableElement,
    D: Dimension,
{
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
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        CliError::internal(format!("cannot create a file in {}: {e}", dir.display()))
    })?;
    ndarray_npy::write_npy(tmp.path(), array)
        .map_err(|e| CliError::internal(format!("cannot write {}: {e}", path.display())))?;
    #[cfg(unix)]
    {
        // Temporary files are created private (0600); an image file is meant to be shared.
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| CliError::internal(format!("cannot write {}: {e}", path.display())))?;
    }
    tmp.persist(path)
        .map_err(|e| CliError::internal(format!("cannot write {}: {e}", path.display())))?;
    Ok(())
}

/// Writes a CSV atomically: into a temporary file beside `path`, then renamed.
pub fn write_csv_atomic(
    path: &Path,
    header: &[String],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<(), CliError> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let io = |e: &dyn std::fmt::Display| {
        CliError::internal(format!("cannot write {}: {e}", path.display()))
    };
    let tmp = tempfile::NamedTempFile::new_in(folder).map_err(|e| io(&e))?;
    {
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(tmp.as_file()));
        w.write_record(header).map_err(|e| io(&e))?;
        for row in rows {
            w.write_record(&row).map_err(|e| io(&e))?;
        }
        w.flush().map_err(|e| io(&e))?;
    }
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
