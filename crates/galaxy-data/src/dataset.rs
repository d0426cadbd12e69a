//! A labelled dataset in memory, in the seed's layout.

use std::path::Path;

use ndarray::{Array1, Array2, Array3, ArrayView2, Axis};

use crate::error::DataError;
use crate::npz::NpzStreamWriter;

/// The seed's array names, in the order its files hold them.
pub const KEYS: [&str; 7] = [
    "img",
    "img_nonoise",
    "label",
    "psf_r",
    "psf_img",
    "snr",
    "sigma",
];

/// The optional array of centre offsets [N, 2] (dx, dy in pixels) after the seed's arrays.
pub const OFFSET_KEY: &str = "offset";

/// Labels [N, 5] as f64 rows.
pub(crate) fn label_rows(label: &Array2<f32>) -> Vec<[f64; 5]> {
    (0..label.nrows())
        .map(|i| std::array::from_fn(|j| f64::from(label[[i, j]])))
        .collect()
}

/// N labelled images in the seed's layout, all float32.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Noisy images [N, S, S].
    pub img: Array3<f32>,
    /// Noiseless images [N, S, S].
    pub img_nonoise: Array3<f32>,
    /// Labels [N, 5]: flux, sersic_index, half_light_radius (the seed's "sersic_radius"), g1, g2.
    pub label: Array2<f32>,
    /// PSF FWHM per image, shape (N,), arcsec.
    pub psf_r: Array1<f32>,
    /// PSF images: [N, S, S], or [1, S, S] when every image shares one PSF (the seed's single-PSF layout).
    pub psf_img: Array3<f32>,
    /// The seed's SNR of each noiseless image, shape (N,).
    pub snr: Array1<f32>,
    /// Noise sigma of each image, shape (N,).
    pub sigma: Array1<f32>,
    /// Centre offsets [N, 2] (dx, dy) in pixels from the stamp's true centre (GalSim's
    /// `drawImage(offset=...)`), stored as the array `offset`; `None` for centred galaxies (the seed's
    /// files, which have no such array).
    pub offset: Option<Array2<f32>>,
}

impl Dataset {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.img.len_of(Axis(0))
    }

    /// Whether the dataset has no image.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Side of the (square) images in pixels.
    pub fn image_size(&self) -> usize {
        self.img.len_of(Axis(1))
    }

    /// The labels as f64 rows (flux, n, hlr, g1, g2), one per image: the truth estimates are scored
    /// against.
    pub fn truth(&self) -> Vec<[f64; 5]> {
        label_rows(&self.label)
    }

    /// The PSF FWHM of every image as f64, arcsec.
    pub fn psf_fwhm(&self) -> Vec<f64> {
        self.psf_r.iter().map(|&v| f64::from(v)).collect()
    }

    /// The noise sigma of every image as f64.
    pub fn sigmas(&self) -> Vec<f64> {
        self.sigma.iter().map(|&v| f64::from(v)).collect()
    }

    /// The PSF image of image `i`, whichever PSF layout the dataset has.
    pub fn psf_image(&self, i: usize) -> ArrayView2<'_, f32> {
        let k = if self.psf_img.len_of(Axis(0)) == 1 {
            0
        } else {
            i
        };
        self.psf_img.index_axis(Axis(0), k)
    }

    /// The array shapes of an N-image dataset of S x S images, in [`KEYS`] order.
    pub fn shapes(n: usize, size: usize, single_psf: bool) -> Vec<(&'static str, Vec<usize>)> {
        let psf_n = if single_psf { 1 } else { n };
        vec![
            ("img", vec![n, size, size]),
            ("img_nonoise", vec![n, size, size]),
            ("label", vec![n, 5]),
            ("psf_r", vec![n]),
            ("psf_img", vec![psf_n, size, size]),
            ("snr", vec![n]),
            ("sigma", vec![n]),
        ]
    }

    /// Checks that the arrays' shapes agree with each other and with the seed's layout.
    pub fn validate(&self) -> Result<(), DataError> {
        self.check_shapes().map_err(DataError::BadSettings)
    }

    pub(crate) fn check_shapes(&self) -> Result<(), String> {
        let n = self.len();
        let s = self.image_size();
        let single = self.psf_img.len_of(Axis(0)) == 1 && n != 1;
        let found: [(&str, &[usize]); 7] = [
            ("img", self.img.shape()),
            ("img_nonoise", self.img_nonoise.shape()),
            ("label", self.label.shape()),
            ("psf_r", self.psf_r.shape()),
            ("psf_img", self.psf_img.shape()),
            ("snr", self.snr.shape()),
            ("sigma", self.sigma.shape()),
        ];
        if let Some(offset) = &self.offset {
            if offset.shape() != [n, 2] {
                return Err(format!(
                    "offset has shape {:?}, expected [{n}, 2] for {n} images",
                    offset.shape()
                ));
            }
        }
        if self.img.len_of(Axis(2)) != s {
            return Err(format!(
                "images must be square, img has shape {:?}",
                self.img.shape()
            ));
        }
        for ((name, shape), (_, expected)) in found.iter().zip(Self::shapes(n, s, single)) {
            if *shape != expected.as_slice() {
                let psf_note = if *name == "psf_img" {
                    format!(" (or [1, {s}, {s}])")
                } else {
                    String::new()
                };
                return Err(format!(
                    "{name} has shape {shape:?}, expected {expected:?}{psf_note} for {n} images"
                ));
            }
        }
        Ok(())
    }

    /// Reads a dataset in the seed's layout: `np.savez` or `np.savez_compressed`, one PSF image or N.
    ///
    /// This loads every array into memory; for files larger than memory, stream members with
    /// [`npz::with_member`](crate::npz::with_member), or simulate on the fly with
    /// [`Simulator::batches`](crate::Simulator::batches).
    pub fn read(path: &Path) -> Result<Dataset, DataError> {
        let (mut npz, names) = crate::npz::open_npz(path)?;
        for key in KEYS {
            if !crate::npz::names_member(&names, key) {
                return Err(DataError::format(
                    path,
                    format!(
                        "missing array '{key}' (the seed's layout has {})",
                        KEYS.join(", ")
                    ),
                ));
            }
        }
        macro_rules! get {
            ($key:literal) => {
                npz.by_name($key)
                    .map_err(|e| DataError::format(path, format!("array '{}': {e}", $key)))?
            };
        }
        let data = Dataset {
            img: get!("img"),
            img_nonoise: get!("img_nonoise"),
            label: get!("label"),
            psf_r: get!("psf_r"),
            psf_img: get!("psf_img"),
            snr: get!("snr"),
            sigma: get!("sigma"),
            offset: if crate::npz::names_member(&names, OFFSET_KEY) {
                Some(get!("offset"))
            } else {
                None
            },
        };
        data.check_shapes()
            .map_err(|e| DataError::format(path, e))?;
        Ok(data)
    }

    /// Writes the dataset as a stored `.npz` in the seed's layout (atomically: temporary name, then rename).
    pub fn write(&self, path: &Path) -> Result<(), DataError> {
        self.write_with(path, &[])
    }

    /// [`write`](Self::write), with more image stacks [N, S, S] after the seed's arrays (e.g.
    /// `img_denoised`); readers of the seed's layout ignore them.
    pub fn write_with(&self, path: &Path, extra: &[(&str, &Array3<f32>)]) -> Result<(), DataError> {
        self.write_stamped(path, extra, None)
    }

    /// [`write_with`](Self::write_with) for a shard's part: `stamp` goes into the archive's comment, where
    /// [`merge`](crate::merge) reads it.
    pub fn write_stamped(
        &self,
        path: &Path,
        extra: &[(&str, &Array3<f32>)],
        stamp: Option<&crate::part::ShardStamp>,
    ) -> Result<(), DataError> {
        self.check_shapes()
            .map_err(|e| DataError::BadSettings(format!("cannot write {}: {e}", path.display())))?;
        for (name, a) in extra {
            if a.dim() != self.img.dim() {
                return Err(DataError::BadSettings(format!(
                    "cannot write {}: '{name}' is {:?}, the images are {:?}",
                    path.display(),
                    a.dim(),
                    self.img.dim()
                )));
            }
        }
        let single = self.psf_img.len_of(Axis(0)) == 1 && self.len() != 1;
        let mut shapes = Self::shapes(self.len(), self.image_size(), single);
        if self.offset.is_some() {
            shapes.push((OFFSET_KEY, vec![self.len(), 2]));
        }
        shapes.extend(extra.iter().map(|(name, a)| (*name, a.shape().to_vec())));
        let mut writer = NpzStreamWriter::create(path, &shapes)?;
        let arrays = [
            self.img
                .as_standard_layout()
                .into_owned()
                .into_raw_vec_and_offset()
                .0,
            self.img_nonoise
                .as_standard_layout()
                .into_owned()
                .into_raw_vec_and_offset()
                .0,
            self.label
                .as_standard_layout()
                .into_owned()
                .into_raw_vec_and_offset()
                .0,
            self.psf_r.to_vec(),
            self.psf_img
                .as_standard_layout()
                .into_owned()
                .into_raw_vec_and_offset()
                .0,
            self.snr.to_vec(),
            self.sigma.to_vec(),
        ];
        for (k, values) in arrays.iter().enumerate() {
            writer.append(k, values)?;
        }
        let mut next = arrays.len();
        if let Some(offset) = &self.offset {
            let values = offset
                .as_standard_layout()
                .into_owned()
                .into_raw_vec_and_offset()
                .0;
            writer.append(next, &values)?;
            next += 1;
        }
        for (k, (_, a)) in extra.iter().enumerate() {
            let values = a
                .as_standard_layout()
                .into_owned()
                .into_raw_vec_and_offset()
                .0;
            writer.append(next + k, &values)?;
        }
        if let Some(stamp) = stamp {
            writer.set_comment(&stamp.to_string());
        }
        writer.finish()
    }
}
