//! Opening FITS files for reading and writing them atomically, with errors that name the file.

use crate::error::FitsError;
use fitsio::FitsFile;
use std::path::Path;

/// Opens an existing FITS file for reading, naming it in the error.
pub(crate) fn open(path: &Path) -> Result<FitsFile, FitsError> {
    if !path.is_file() {
        return Err(FitsError::input(path, "no such file"));
    }
    FitsFile::open(path)
        .map_err(|e| FitsError::input(path, format!("not a readable FITS file ({e})")))
}

/// Runs `write(partial)` to make the file under a hidden name beside `path`, then renames it to `path`;
/// on failure removes the partial file and names `path` in the error.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), fitsio::errors::Error>,
) -> Result<(), FitsError> {
    let name = path
        .file_name()
        .ok_or_else(|| FitsError::write(path, "the path names no file"))?;
    // Renaming onto a device or pipe (`-o /dev/null`) would replace it with a file.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
        return Err(FitsError::write(
            path,
            "not a regular file; a FITS file is written whole under a temporary name and renamed",
        ));
    }
    let partial = path.with_file_name(format!(".{}.partial", name.to_string_lossy()));
    let _ = std::fs::remove_file(&partial);
    if let Err(e) = write(&partial) {
        let _ = std::fs::remove_file(&partial);
        return Err(FitsError::write(path, e));
    }
    std::fs::rename(&partial, path).map_err(|e| {
        let _ = std::fs::remove_file(&partial);
        FitsError::write(path, e)
    })
}
