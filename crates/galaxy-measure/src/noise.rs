//! The noise of the images: a per-pixel map (weight, sigma or variance), one sigma, or a CCD model (gain,
//! read noise and the sky that was subtracted, as Imfit's `--gain --readnoise --sky`), with a mask.

use std::path::{Path, PathBuf};

use ndarray::{s, Array2, ArrayView2};
use noise_model::{CcdNoise, MaskPolarity, PixelNoise, Statistic};

use crate::error::MeasureError;
use crate::planes::Planes;

/// Where each pixel's variance comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum NoiseSpec {
    /// An inverse-variance weight map (0 = unusable pixel).
    Weight(PathBuf),
    /// A sigma map, ADU.
    SigmaMap(PathBuf),
    /// A variance map, ADU².
    Variance(PathBuf),
    /// One Gaussian sigma for every pixel, ADU.
    Sigma(f64),
    /// Poisson noise on the model plus the sky, and a read noise: the image is in ADU with the sky
    /// subtracted.
    Ccd {
        /// Electrons per ADU.
        gain: f64,
        /// Read noise, electrons.
        read_noise: f64,
        /// The sky that was subtracted, ADU per pixel.
        sky_level: f64,
    },
}

/// The kind of map a [`NoiseSpec`] reads, for its checks and messages.
#[derive(Clone, Copy, Debug, PartialEq)]
enum MapKind {
    Weight,
    Sigma,
    Variance,
}

impl MapKind {
    fn name(self) -> &'static str {
        match self {
            MapKind::Weight => "weight map",
            MapKind::Sigma => "sigma map",
            MapKind::Variance => "variance map",
        }
    }
}

/// A noise description with its maps loaded and checked, ready to give each stamp its [`PixelNoise`].
#[derive(Clone, Debug)]
pub struct NoiseSource {
    kind: Source,
    mask: Option<Planes>,
    polarity: MaskPolarity,
    statistic: Statistic,
}

#[derive(Clone, Debug)]
enum Source {
    Map { kind: MapKind, planes: Planes },
    Ccd(CcdNoise),
}

impl NoiseSource {
    /// Loads and checks the maps of `spec` and the `mask` for `count` images of `shape` read from `image`
    /// (each stamp's noise to be fitted by minimising `statistic`):
    /// each map has the image's shape (one plane for all, or one per image); a weight map is finite and
    /// non-negative and not zero everywhere; a sigma or variance map is positive (infinite = unusable).
    pub fn load(
        spec: &NoiseSpec,
        (mask, polarity): (Option<&Path>, MaskPolarity),
        statistic: Statistic,
        image: &Path,
        shape: (usize, usize),
        count: usize,
    ) -> Result<NoiseSource, MeasureError> {
        let map = |kind: MapKind, path: &Path| -> Result<Source, MeasureError> {
            let planes = Planes::read(path, kind.name())?;
            planes.check_matches(path, kind.name(), shape, count, image)?;
            for (k, plane) in planes.planes.iter().enumerate() {
                check_map(kind, plane.view())
                    .map_err(|m| MeasureError::input(plane_message(path, &planes, k, &m)))?;
            }
            Ok(Source::Map { kind, planes })
        };
        let kind = match spec {
            NoiseSpec::Weight(p) => map(MapKind::Weight, p)?,
            NoiseSpec::SigmaMap(p) => map(MapKind::Sigma, p)?,
            NoiseSpec::Variance(p) => map(MapKind::Variance, p)?,
            NoiseSpec::Sigma(sigma) => Source::Ccd(
                CcdNoise::gaussian(*sigma)
                    .ok()
                    .filter(|_| *sigma > 0.0)
                    .ok_or_else(|| {
                        MeasureError::input(format!(
                            "--sigma must be a finite number > 0, got {sigma}"
                        ))
                    })?,
            ),
            NoiseSpec::Ccd {
                gain,
                read_noise,
                sky_level,
            } => Source::Ccd(
                CcdNoise::new(*sky_level, *gain, *read_noise)
                    .map_err(|e| MeasureError::input(format!("noise settings: {e}")))?,
            ),
        };
        let mask = match mask {
            Some(path) => {
                let planes = Planes::read(path, "mask")?;
                planes.check_matches(path, "mask", shape, count, image)?;
                Some(planes)
            }
            None => None,
        };
        Ok(NoiseSource {
            kind,
            mask,
            polarity,
            statistic,
        })
    }

    /// The noise of the stamp of image `k` whose pixel [0, 0] is pixel (`row`, `column`) of that image,
    /// `data` its values; pixels that `extra_mask` marks true (neighbours) are left out too. An error is a
    /// stamp with no usable pixel, said in words.
    pub fn stamp_noise(
        &self,
        k: usize,
        [row, column]: [usize; 2],
        data: ArrayView2<'_, f64>,
        extra_mask: Option<&Array2<bool>>,
    ) -> Result<PixelNoise, String> {
        let (h, w) = data.dim();
        let window = s![row..row + h, column..column + w];
        let noise = match &self.kind {
            Source::Ccd(ccd) => PixelNoise::from_ccd(*ccd, (h, w)),
            Source::Map { kind, planes } => {
                let plane = planes.for_image(k).slice(window);
                match kind {
                    MapKind::Weight => PixelNoise::from_weight_map(plane),
                    MapKind::Sigma => PixelNoise::from_sigma_map(plane),
                    MapKind::Variance => PixelNoise::from_variance_map(plane),
                }
                .map_err(|e| e.to_string())?
            }
        }
        .with_statistic(self.statistic);
        let mut noise = match &self.mask {
            Some(planes) => noise
                .with_mask(planes.for_image(k).slice(window), self.polarity)
                .map_err(|e| e.to_string())?,
            None => noise,
        };
        if let Some(extra) = extra_mask {
            noise = noise
                .with_mask(extra.mapv(f64::from).view(), MaskPolarity::NonZeroIsBad)
                .map_err(|e| e.to_string())?;
        }
        noise.excluding_non_finite(data).map_err(|e| e.to_string())
    }
}

/// Whether every value of a map is acceptable for its kind, else what is wrong.
fn check_map(kind: MapKind, map: ArrayView2<'_, f64>) -> Result<(), String> {
    let bad = map.indexed_iter().find(|(_, &v)| match kind {
        MapKind::Weight => !(v.is_finite() && v >= 0.0),
        MapKind::Sigma | MapKind::Variance => v.is_nan() || v <= 0.0,
    });
    if let Some(((r, c), v)) = bad {
        let need = match kind {
            MapKind::Weight => "finite and >= 0",
            _ => "> 0 (infinite marks an unusable pixel)",
        };
        return Err(format!(
            "pixel (x = {}, y = {}) is {v}; every value must be {need}",
            c + 1,
            r + 1
        ));
    }
    if kind == MapKind::Weight && map.iter().all(|&v| v == 0.0) {
        return Err("the weight is zero everywhere".into());
    }
    Ok(())
}

fn plane_message(path: &Path, planes: &Planes, k: usize, message: &str) -> String {
    if planes.cube {
        format!("{} plane {}: {message}", path.display(), k + 1)
    } else {
        format!("{}: {message}", path.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn maps_are_checked_by_kind() {
        let mut w = Array2::from_elem((3, 4), 1.0);
        assert!(check_map(MapKind::Weight, w.view()).is_ok());
        w[[2, 1]] = 0.0;
        assert!(check_map(MapKind::Weight, w.view()).is_ok());
        assert_eq!(
            check_map(MapKind::Sigma, w.view()).unwrap_err(),
            "pixel (x = 2, y = 3) is 0; every value must be > 0 (infinite marks an unusable pixel)"
        );
        w[[0, 3]] = f64::INFINITY;
        assert!(check_map(MapKind::Variance, w.mapv(|v| v + 1.0).view()).is_ok());
        assert!(check_map(MapKind::Weight, w.view()).is_err());
        assert_eq!(
            check_map(MapKind::Weight, Array2::zeros((2, 2)).view()).unwrap_err(),
            "the weight is zero everywhere"
        );
    }
}
