//! Files written whole or not at all: into a temporary file beside the destination, then renamed.
//!
//! A run killed half-way leaves at most a hidden temporary file, never a partial file under the final
//! name that looks complete. Every library and the `galaxy` command write results through here.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use tempfile::NamedTempFile;

use crate::error::DataError;

/// Writes a file atomically: `fill` writes into a temporary file beside `path`, which is then made
/// world-readable (temporary files are created 0600; results are meant to be shared) and renamed.
///
/// A missing destination folder is [`DataError::MissingFolder`]; an error from `fill` is returned as
/// [`DataError::Io`] naming `path`.
pub fn write_with<E: std::fmt::Display>(
    path: &Path,
    fill: impl FnOnce(&mut File) -> Result<(), E>,
) -> Result<(), DataError> {
    if is_special(path) {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| DataError::io(path, format!("cannot write: {e}")))?;
        return fill(&mut file).map_err(|e| DataError::io(path, format!("cannot write: {e}")));
    }
    persist(path, |tmp| {
        fill(tmp.as_file_mut()).map_err(|e| e.to_string())
    })
}

/// Writes a file atomically through a writer that wants a path (one that creates the file itself, as
/// safetensors' does): `fill` gets a temporary path beside `path`, renamed to `path` once it returned.
pub fn write_via_path<E: std::fmt::Display>(
    path: &Path,
    fill: impl FnOnce(&Path) -> Result<(), E>,
) -> Result<(), DataError> {
    if is_special(path) {
        return fill(path).map_err(|e| DataError::io(path, format!("cannot write: {e}")));
    }
    persist(path, |tmp| fill(tmp.path()).map_err(|e| e.to_string()))
}

fn persist(
    path: &Path,
    fill: impl FnOnce(&mut NamedTempFile) -> Result<(), String>,
) -> Result<(), DataError> {
    check_folder(path)?;
    let dir = folder_of(path);
    let io = |e: &dyn std::fmt::Display| DataError::io(path, format!("cannot write: {e}"));
    let mut tmp = tempfile::Builder::new()
        .prefix(".partial-")
        .tempfile_in(dir)
        .map_err(|e| DataError::io(dir, format!("cannot create a file: {e}")))?;
    fill(&mut tmp).map_err(|e| io(&e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(|e| io(&e))?;
    }
    tmp.persist(path).map_err(|e| io(&e.error))?;
    Ok(())
}

/// Whether `path` is an existing device, pipe or socket (`/dev/null`, `/dev/stdout`, a FIFO): written
/// straight into, since renaming a temporary file onto it would replace the device with a file.
pub fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// The folder a file is written into (the current one for a bare file name).
pub(crate) fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Checks that the folder `path` would be written to exists, so a long run does not fail at its end.
pub fn check_folder(path: &Path) -> Result<(), DataError> {
    let dir = folder_of(path);
    if dir.is_dir() {
        Ok(())
    } else {
        Err(DataError::MissingFolder(dir.to_path_buf()))
    }
}

/// Writes `array` as `.npy` to `path` atomically.
pub fn write_npy<S, D>(path: &Path, array: &ndarray::ArrayBase<S, D>) -> Result<(), DataError>
where
    S: ndarray::Data,
    S::Elem: ndarray_npy::WritableElement,
    D: ndarray::Dimension,
{
    use ndarray_npy::WriteNpyExt;
    write_with(path, |file| array.write_npy(std::io::BufWriter::new(file)))
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    write_with(path, |file| file.write_all(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_fill_leaves_no_file_and_a_missing_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let err = write_with(&path, |f| {
            f.write_all(b"half").unwrap();
            Err("disk full")
        })
        .unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_bytes(&path, b"whole").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"whole");
        let missing = dir.path().join("no/such/out.txt");
        let err = write_bytes(&missing, b"x").unwrap_err();
        assert!(matches!(err, DataError::MissingFolder(_)), "{err}");
    }
}
