//! `.npz` files in the seed's layout: a streaming writer and streaming member reads.
//!
//! Whole-array reads go through ndarray-npy (see [`Dataset::read`](crate::Dataset::read)); the pieces
//! here are for data larger than memory: [`NpzStreamWriter`] writes all members at once, and
//! [`with_member`] streams one member of an existing file (stored or deflated) without loading it.

pub mod npy;
mod writer;

use std::fs::File;
use std::io::Read;
use std::path::Path;

pub use npy::NpyHeader;
pub use writer::NpzStreamWriter;

use crate::error::DataError;

/// Opens an `.npz` with ndarray-npy for whole-array reads, with the names of its members.
///
/// A file that cannot be opened is [`DataError::Io`] marked as the caller's input.
pub fn open_npz(path: &Path) -> Result<(ndarray_npy::NpzReader<File>, Vec<String>), DataError> {
    let file = File::open(path).map_err(|e| DataError::unopenable(path, e))?;
    let mut npz = ndarray_npy::NpzReader::new(file)
        .map_err(|e| DataError::format(path, format!("not an .npz file: {e}")))?;
    let names = npz
        .names()
        .map_err(|e| DataError::format(path, e.to_string()))?;
    Ok((npz, names))
}

/// Opens member `name` (without `.npy`) of the `.npz` at `path` and hands its header and a reader
/// positioned at its data to `f`.
pub fn with_member<T>(
    path: &Path,
    name: &str,
    f: impl FnOnce(&NpyHeader, &mut dyn Read) -> Result<T, DataError>,
) -> Result<T, DataError> {
    let file = File::open(path).map_err(|e| DataError::unopenable(path, e))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| DataError::format(path, format!("not an .npz (zip) file: {e}")))?;
    let mut member = archive
        .by_name(&format!("{name}.npy"))
        .map_err(|_| DataError::format(path, format!("missing array '{name}'")))?;
    let header = npy::read_header(&mut member)
        .map_err(|e| DataError::format(path, format!("array '{name}': {e}")))?;
    f(&header, &mut member)
}

/// Reads exactly `out.len()` little-endian float32 values from a member's data.
pub fn read_f32s(
    reader: &mut dyn Read,
    out: &mut [f32],
    scratch: &mut Vec<u8>,
) -> std::io::Result<()> {
    scratch.resize(out.len() * 4, 0);
    reader.read_exact(scratch)?;
    for (v, b) in out.iter_mut().zip(scratch.chunks_exact(4)) {
        *v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
    Ok(())
}
