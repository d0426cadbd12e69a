//! Reading one shard's rows of an `.npz`, streamed: a task of a Slurm array reads its slice of a file
//! larger than its memory, not the whole.

use std::ops::Range;
use std::path::Path;

use ndarray::{Array1, Array2, Array3};

use crate::dataset::{Dataset, KEYS};
use crate::error::DataError;
use crate::npz::{image_count, member_rows, open_npz, read_rows, NpyHeader};
use crate::observations::Observations;
use crate::shard::Shard;

/// Rows `rows` of a `total`-row input, as read by a shard.
#[derive(Debug, Clone, PartialEq)]
pub struct Part<T> {
    /// What was read.
    pub data: T,
    /// Which rows of the input it holds.
    pub rows: Range<u64>,
    /// Rows of the whole input.
    pub total: u64,
}

/// The rows of `shard` of an input of `total` rows; an empty part is refused (fewer shards are needed).
pub fn shard_rows(shard: Shard, total: u64, path: &Path) -> Result<Range<u64>, DataError> {
    let rows = shard.range(total);
    if rows.is_empty() {
        return Err(DataError::BadShard(format!(
            "shard {shard} of {} ({total} images) is empty; use at most {total} shards",
            path.display()
        )));
    }
    Ok(rows)
}

/// `rows` widened to whole batches of `batch` counted from the file's first image: a network that
/// reads a shard's part in these batches sees every image in the very batch the unsharded run puts it
/// in, and so gives the same bits (a batch's size changes the rounding of its matrix products).
pub fn batch_aligned(rows: Range<u64>, batch: usize, total: u64) -> Range<u64> {
    let b = batch.max(1) as u64;
    (rows.start / b * b)..(rows.end.div_ceil(b) * b).min(total)
}

fn to_usize(rows: &Range<u64>) -> Range<usize> {
    rows.start as usize..rows.end as usize
}

impl Observations {
    /// The rows of `shard` of the observations in `path` (as [`read`](Self::read) reads them all),
    /// streamed; problems name images by their index in the whole file.
    pub fn read_part(
        path: &Path,
        psf_fwhm: Option<f64>,
        sigma: Option<f64>,
        shard: Shard,
    ) -> Result<Part<Observations>, DataError> {
        let total = image_count(path)?;
        // The whole file's errors (an empty img) are read_range's to tell; an empty part is refused here.
        let rows = match shard.count {
            1 => 0..total,
            _ => shard_rows(shard, total, path)?,
        };
        let data = Observations::read_range(path, psf_fwhm, sigma, rows.clone())?;
        Ok(Part { data, rows, total })
    }

    /// Images `rows` of the observations in `path` (as [`read`](Self::read) reads them all), streamed;
    /// problems name images by their index in the whole file.
    pub fn read_range(
        path: &Path,
        psf_fwhm: Option<f64>,
        sigma: Option<f64>,
        rows: Range<u64>,
    ) -> Result<Observations, DataError> {
        let (_, names) = open_npz(path)?;
        let has = |key: &str| {
            names
                .iter()
                .any(|n| n == key || n.strip_suffix(".npy") == Some(key))
        };
        let bad = |what: String| DataError::format(path, what);
        if !has("img") {
            return Err(bad("missing array 'img'".into()));
        }
        let total = member_rows(path, "img")? as u64;
        let first = rows.start as usize;
        let (header, values) = read_rows(path, "img", to_usize(&rows))?;
        let shape = &header.shape;
        if shape.len() != 3 || shape[1] != shape[2] || total == 0 {
            return Err(bad(format!(
                "img has shape {shape:?}; expected [N, S, S] with N >= 1"
            )));
        }
        let s = shape[1];
        if let Some((k, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(bad(format!(
                "image {} has the value {v} at pixel ({}, {})",
                first + k / (s * s),
                (k / s) % s,
                k % s
            )));
        }
        let n = rows.end as usize - first;
        let img = Array3::from_shape_vec((n, s, s), values).map_err(|e| bad(e.to_string()))?;
        let per_image = |key: &str, given: Option<f64>| -> Result<Vec<f64>, DataError> {
            if let Some(v) = given {
                return Ok(vec![v; n]);
            }
            if !has(key) {
                return Err(bad(format!(
                    "missing array '{key}' (or give --{})",
                    key.replace("psf_r", "psf-fwhm")
                )));
            }
            let (h, v) = read_rows(path, key, 0..0)?;
            if h.shape.len() != 1 || h.shape[0] as u64 != total {
                return Err(bad(format!(
                    "{key} has {} values for {total} images",
                    h.len()
                )));
            }
            let v = if rows.is_empty() {
                v
            } else {
                read_rows(path, key, to_usize(&rows))?.1
            };
            Ok(v.iter().map(|&x| f64::from(x)).collect())
        };
        let psf_fwhm = per_image("psf_r", psf_fwhm)?;
        let sigma = per_image("sigma", sigma)?;
        for (what, values) in [("sigma", &sigma), ("PSF FWHM", &psf_fwhm)] {
            if let Some((i, v)) = values
                .iter()
                .enumerate()
                .find(|(_, v)| !(v.is_finite() && **v > 0.0))
            {
                return Err(bad(format!(
                    "{what} of image {} is {v}; it must be > 0",
                    first + i
                )));
            }
        }
        let label = if has("label") {
            let (h, _) = read_rows(path, "label", 0..0)?;
            if h.shape != [total as usize, 5] {
                return Err(bad(format!(
                    "label has shape {:?}, expected [{total}, 5]",
                    h.shape
                )));
            }
            let v = read_rows(path, "label", to_usize(&rows))?.1;
            Some(Array2::from_shape_vec((n, 5), v).map_err(|e| bad(e.to_string()))?)
        } else {
            None
        };
        Ok(Observations {
            img,
            psf_fwhm,
            sigma,
            label,
        })
    }

    /// The PSF FWHM and sigma of every image of the whole file (or the values given for all), without
    /// its images: what a shard needs to choose the same built-in network as the whole run.
    pub fn conditions(
        path: &Path,
        psf_fwhm: Option<f64>,
        sigma: Option<f64>,
    ) -> Result<(Vec<f64>, Vec<f64>), DataError> {
        let total = member_rows(path, "img")?;
        let column = |key: &str, given: Option<f64>| -> Result<Vec<f64>, DataError> {
            match given {
                Some(v) => Ok(vec![v; total]),
                None => Ok(read_rows(path, key, 0..total)?
                    .1
                    .iter()
                    .map(|&x| f64::from(x))
                    .collect()),
            }
        };
        Ok((column("psf_r", psf_fwhm)?, column("sigma", sigma)?))
    }
}

impl Dataset {
    /// Images `rows` of the dataset in `path` (a single PSF image is kept whole), streamed.
    pub fn read_range(path: &Path, rows: Range<u64>) -> Result<Dataset, DataError> {
        let n = (rows.end - rows.start) as usize;
        let bad = |e: String| DataError::format(path, e);
        let mut arrays = Vec::with_capacity(KEYS.len());
        for key in KEYS {
            let members = member_rows(path, key)?;
            let take = if key == "psf_img" && members == 1 {
                0..1
            } else {
                to_usize(&rows)
            };
            arrays.push(read_rows(path, key, take)?);
        }
        // Each array's values are moved into it, not copied (a part's images can be gigabytes).
        let Ok([img, img_nonoise, label, psf_r, psf_img, snr, sigma]) =
            <[(NpyHeader, Vec<f32>); 7]>::try_from(arrays)
        else {
            unreachable!("one array per key of the seed's layout")
        };
        let square = |(h, v): (NpyHeader, Vec<f32>), key: &str| -> Result<Array3<f32>, DataError> {
            let s = h.shape.get(1).copied().unwrap_or(0);
            Array3::from_shape_vec((v.len() / (s * s).max(1), s, s), v)
                .map_err(|e| bad(format!("array '{key}': {e}")))
        };
        let data = Dataset {
            img: square(img, "img")?,
            img_nonoise: square(img_nonoise, "img_nonoise")?,
            label: Array2::from_shape_vec((n, 5), label.1)
                .map_err(|e| bad(format!("array 'label': {e}")))?,
            psf_r: Array1::from_vec(psf_r.1),
            psf_img: square(psf_img, "psf_img")?,
            snr: Array1::from_vec(snr.1),
            sigma: Array1::from_vec(sigma.1),
            offset: if crate::npz::has_member(path, crate::dataset::OFFSET_KEY)? {
                let v = read_rows(path, crate::dataset::OFFSET_KEY, to_usize(&rows))?.1;
                Some(
                    Array2::from_shape_vec((n, 2), v)
                        .map_err(|e| bad(format!("array 'offset': {e}")))?,
                )
            } else {
                None
            },
        };
        data.check_shapes().map_err(bad)?;
        Ok(data)
    }
}
