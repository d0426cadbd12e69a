//! Concatenating dataset files (shards) into one, streaming.

use std::path::{Path, PathBuf};

use crate::dataset::{Dataset, KEYS};
use crate::error::DataError;
use crate::npz::{archive_comment, open_npz, read_f32s, with_member, NpyHeader, NpzStreamWriter};
use crate::part::{check_parts, ShardStamp};

/// Values copied per read while streaming a member.
const COPY_CHUNK: usize = 1 << 20;

/// One input file's shapes.
struct InputShape {
    path: PathBuf,
    n: usize,
    size: usize,
    single_psf: bool,
    /// Members besides the seed's (e.g. `img_denoised`), in the file's order.
    extra: Vec<String>,
    stamp: Option<ShardStamp>,
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
    let (_, names) = open_npz(path)?;
    let extra: Vec<String> = names
        .iter()
        .map(|m| m.strip_suffix(".npy").unwrap_or(m).to_string())
        .filter(|m| !KEYS.contains(&m.as_str()))
        .collect();
    for name in &extra {
        let h = with_member(path, name, |h, _| Ok(h.clone()))?;
        if h.descr != "<f4" || h.fortran_order || h.shape != [n, size, size] {
            return Err(DataError::format(
                path,
                format!(
                    "array '{name}' is {} of shape {:?}; extra arrays must be '<f4' images [{n}, {size}, {size}]",
                    h.descr, h.shape
                ),
            ));
        }
    }
    let stamp = ShardStamp::parse(&archive_comment(path)?);
    if let Some(s) = &stamp {
        if s.rows.end - s.rows.start != n as u64 {
            return Err(DataError::format(
                path,
                format!(
                    "holds {n} images, but its stamp ({s}) says {}",
                    s.rows.end - s.rows.start
                ),
            ));
        }
    }
    Ok(InputShape {
        path: path.to_path_buf(),
        n,
        size,
        single_psf,
        extra,
        stamp,
    })
}

fn read_all(path: &Path, key: &str) -> Result<Vec<f32>, DataError> {
    with_member(path, key, |h, r| {
        let mut v = vec![0f32; h.len()];
        read_f32s(r, &mut v, &mut Vec::new()).map_err(|e| DataError::io(path, e))?;
        Ok(v)
    })
}

/// Concatenates datasets in the seed's layout into `output`; returns the image count.
///
/// Parts of a sharded run (files stamped with their shard, see [`crate::part`]) are put in shard order
/// and must belong together: one run, every shard once (a missing, repeated or foreign part is
/// [`DataError::BadShard`] naming the files); the merged file carries no stamp, as the unsharded run's
/// file. Unstamped files are concatenated in the order given. Arrays besides the seed's (`img_denoised`,
/// `img_reconstructed`) are carried when every input has the same ones.
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
    let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    let stamps: Vec<Option<ShardStamp>> = shapes.iter().map(|s| s.stamp.clone()).collect();
    let order = check_parts(&stamps, &names)?;
    let mut shapes = shapes.into_iter().map(Some).collect::<Vec<_>>();
    let shapes: Vec<InputShape> = order.iter().filter_map(|&i| shapes[i].take()).collect();
    if let Some(odd) = shapes.iter().find(|s| s.extra != shapes[0].extra) {
        return Err(DataError::format(
            &odd.path,
            format!(
                "has the extra arrays {:?}, but {} has {:?}: parts of different commands",
                odd.extra,
                shapes[0].path.display(),
                shapes[0].extra
            ),
        ));
    }
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
    let extra = shapes[0].extra.clone();
    let mut all_shapes = Dataset::shapes(total, size, single_psf);
    all_shapes.extend(extra.iter().map(|m| (m.as_str(), vec![total, size, size])));
    let mut writer = NpzStreamWriter::create(output, &all_shapes)?;
    let keys: Vec<&str> = KEYS
        .iter()
        .copied()
        .chain(extra.iter().map(String::as_str))
        .collect();
    let mut values = vec![0f32; COPY_CHUNK];
    let mut scratch = Vec::new();
    for (k, key) in keys.iter().enumerate() {
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
