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

/// The archive comment of the `.npz` at `path` (empty when it has none): where a shard's stamp is.
pub fn archive_comment(path: &Path) -> Result<String, DataError> {
    let file = File::open(path).map_err(|e| DataError::unopenable(path, e))?;
    let archive = zip::ZipArchive::new(file)
        .map_err(|e| DataError::format(path, format!("not an .npz (zip) file: {e}")))?;
    Ok(String::from_utf8_lossy(archive.comment()).into_owned())
}

/// Rows `rows` (along the first axis) of the float32 member `name`, streamed: the rows before them are
/// read past, not kept, so a part of a file larger than memory can be read. Returns the member's header
/// (its whole shape) and the rows' values in C order.
///
/// A member that is not little-endian float32 in C order, or has fewer rows, is [`DataError::Format`].
pub fn read_rows(
    path: &Path,
    name: &str,
    rows: std::ops::Range<usize>,
) -> Result<(NpyHeader, Vec<f32>), DataError> {
    let io = |e| DataError::io(path, e);
    // The rows' values, from a reader at the first of them.
    let values = |r: &mut dyn Read, h: &NpyHeader| -> Result<Vec<f32>, DataError> {
        let row_len: usize = h.shape.iter().skip(1).product();
        let mut values = vec![0f32; rows.len() * row_len];
        read_f32s(r, &mut values, &mut Vec::new()).map_err(io)?;
        Ok(values)
    };
    // A stored member (np.savez, and every file this project writes) is read from its rows' offset; a
    // deflated one (np.savez_compressed) is read past up to them.
    let file = File::open(path).map_err(|e| DataError::unopenable(path, e))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|e| DataError::format(path, format!("not an .npz (zip) file: {e}")))?;
    if let Ok(mut member) = archive.by_name_seek(&format!("{name}.npy")) {
        let header = npy::read_header(&mut member)
            .map_err(|e| DataError::format(path, format!("array '{name}': {e}")))?;
        let skip = check_rows(path, name, &header, &rows)?;
        std::io::Seek::seek(&mut member, std::io::SeekFrom::Current(skip as i64)).map_err(io)?;
        let values = values(&mut member, &header)?;
        return Ok((header, values));
    }
    with_member(path, name, |h, r| {
        let skip = check_rows(path, name, h, &rows)?;
        std::io::copy(&mut r.take(skip), &mut std::io::sink()).map_err(io)?;
        Ok((h.clone(), values(r, h)?))
    })
}

/// Checks that member `name` is float32 in C order with at least `rows.end` rows; returns the bytes
/// before row `rows.start`.
fn check_rows(
    path: &Path,
    name: &str,
    h: &NpyHeader,
    rows: &std::ops::Range<usize>,
) -> Result<u64, DataError> {
    if h.descr != "<f4" || h.fortran_order {
        return Err(DataError::format(
            path,
            format!(
                "array '{name}' is {} (fortran order: {}); expected '<f4' in C order",
                h.descr, h.fortran_order
            ),
        ));
    }
    let n = h.shape.first().copied().unwrap_or(0);
    if rows.end > n {
        return Err(DataError::format(
            path,
            format!("array '{name}' has {n} rows; rows {rows:?} were asked for"),
        ));
    }
    let row_len: usize = h.shape.iter().skip(1).product();
    Ok((rows.start * row_len * 4) as u64)
}

/// The number of images of the `.npz` at `path` (rows of its `img`), without reading them.
pub fn image_count(path: &Path) -> Result<u64, DataError> {
    Ok(member_rows(path, "img")? as u64)
}

/// Whether the `.npz` at `path` has a member `name` (with or without `.npy`).
pub fn has_member(path: &Path, name: &str) -> Result<bool, DataError> {
    let (_, names) = open_npz(path)?;
    Ok(names_member(&names, name))
}

/// Whether `name` is among an archive's member `names` (which numpy writes with `.npy` or without).
pub fn names_member(names: &[String], name: &str) -> bool {
    names
        .iter()
        .any(|n| n == name || n.strip_suffix(".npy") == Some(name))
}

/// The number of rows of member `name` (its first axis).
pub(crate) fn member_rows(path: &Path, name: &str) -> Result<usize, DataError> {
    with_member(path, name, |h, _| Ok(h.shape.first().copied().unwrap_or(0)))
}
