//! Concatenating dataset files (shards) into one, streaming.

use std::path::{Path, PathBuf};

use crate::dataset::{Dataset, KEYS};
use crate::error::DataError;
use crate::npz::{read_f32s, with_member, NpyHeader, NpzStreamWriter};

/// Values copied per read while streaming a member.
const COPY_CHUNK: usize = 1 << 20;

/// One input file's shapes.
struct InputShape {
    path: PathBuf,
    n: usize,
    size: usize,
    single_psf: bool,
}

fn inspect(path: &Path) -> Result<InputShape, DataError> {
    let mut headers: Vec<NpyHeader> = Vec::with_capacity(KEYS.len());
    for key in KEYS {
        let h = with_member(path, key, |h, _| Ok(h.clone()))?;
        if h.descr != "<f4" || h.fortran_order {
            return Err(DataError::format(
                path,
                format!("array '{key}' is {} (fortran order: {}); the seed's layout is '<f4' in C order", h.descr, h.fortran_order),
            ));
        }
        headers.push(h);
    }
    let n = headers[0].shape.first().copied().unwrap_or(0);
    let size = headers[0].shape.get(1).copied().unwrap_or(0);
    let single_psf = headers[4].shape.first() == Some(&1) && n != 1;
    for ((key, expected), h) in Dataset::shapes(n, size, single_psf)
        .into_iter()
        .zip(&headers)
    {
        if h.shape != expected {
            return Err(DataError::format(
                path,
                format!(
                    "array '{key}' has shape {:?}, expected {expected:?}",
                    h.shape
                ),
            ));
        }
    }
    Ok(InputShape {
        path: path.to_path_buf(),
        n,
        size,
        single_psf,
    })
}

fn read_all(path: &Path, key: &str) -> Result<Vec<f32>, DataError> {
    with_member(path, key, |h, r| {
        let mut v = vec![0f32; h.len()];
        read_f32s(r, &mut v, &mut Vec::new()).map_err(|e| DataError::io(path, e))?;
        Ok(v)
    })
}

/// Concatenates datasets in the seed's layout, in the order given, into `output`; returns the image count.
///
/// Streams member by member with bounded memory. When every input stores the same single PSF image the
/// output keeps the single-PSF layout; otherwise each image gets its own PSF image (a single-PSF input's
/// image repeated). Merging the shards 0/N … N−1/N of a `galaxy generate` run gives, byte for byte, the
/// unsharded file.
pub fn merge(inputs: &[PathBuf], output: &Path) -> Result<u64, DataError> {
    if inputs.is_empty() {
        return Err(DataError::BadSettings(
            "merge needs at least one input file".into(),
        ));
    }
    let shapes = inputs
        .iter()
        .map(|p| inspect(p))
        .collect::<Result<Vec<_>, _>>()?;
    let size = shapes[0].size;
    if let Some(odd) = shapes.iter().find(|s| s.size != size) {
        return Err(DataError::format(
            &odd.path,
            format!(
                "images are {0} x {0}, but {1} has {2} x {2}",
                odd.size,
                shapes[0].path.display(),
                size
            ),
        ));
    }
    let total: usize = shapes.iter().map(|s| s.n).sum();
    let first_psf = if shapes.iter().all(|s| s.single_psf) {
        Some(read_all(&shapes[0].path, "psf_img")?)
    } else {
        None
    };
    let mut single_psf = first_psf.is_some();
    if let Some(first) = &first_psf {
        for s in &shapes[1..] {
            if read_all(&s.path, "psf_img")? != *first {
                single_psf = false;
                break;
            }
        }
    }
    let mut writer = NpzStreamWriter::create(output, &Dataset::shapes(total, size, single_psf))?;
    let mut values = vec![0f32; COPY_CHUNK];
    let mut scratch = Vec::new();
    for (k, key) in KEYS.iter().enumerate() {
        if k == 4 && single_psf {
            writer.append(k, first_psf.as_deref().unwrap_or_default())?;
            continue;
        }
        for s in &shapes {
            if k == 4 && s.single_psf {
                let psf = read_all(&s.path, key)?;
                for _ in 0..s.n {
                    writer.append(k, &psf)?;
                }
                continue;
            }
            with_member(&s.path, key, |h, r| {
                let mut left = h.len();
                while left > 0 {
                    let take = left.min(COPY_CHUNK);
                    read_f32s(r, &mut values[..take], &mut scratch)
                        .map_err(|e| DataError::io(&s.path, e))?;
                    writer.append(k, &values[..take])?;
                    left -= take;
                }
                Ok(())
            })?;
        }
    }
    writer.finish()?;
    Ok(total as u64)
}
