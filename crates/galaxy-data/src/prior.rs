//! The seed's priors, as values: what each label is drawn from.

use rand::{Rng, RngExt};
use std::fmt;

use crate::DataError;

/// Upper end of the seed's position-angle prior, as its script wrote it (a truncated π).
#[allow(clippy::approx_constant)]
pub const SEED_ANGLE_MAX: f64 = 3.14;

/// A one-dimensional distribution of a label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dist {
    /// Always this value.
    Fixed(f64),
    /// Uniform on [lo, hi).
    Uniform {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// Uniform on the integers lo, lo + 1, …, hi (both included), as the seed's sigma U{200..400}.
    IntegerUniform {
        /// Smallest value.
        lo: i64,
        /// Largest value.
        hi: i64,
    },
    /// Log-uniform on [lo, hi) (0 < lo): ln of the value is uniform. A flatter prior for a scale-like
    /// label such as the Sérsic index than the seed's uniform one, whose posterior mean is pulled towards
    /// large values where images of different n look alike.
    LogUniform {
        /// Lower end (positive).
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// The `count` values of linspace(lo, hi, count), *tiled and shuffled* as in the seed's published sets:
    /// each block of `count` consecutive samples holds every grid value exactly once, in an order shuffled
    /// per block (so sample i's value depends only on the seed and i, and any N samples have every value
    /// N/count times up to one block's worth).
    Grid {
        /// First grid value.
        lo: f64,
        /// Last grid value.
        hi: f64,
        /// Number of grid values.
        count: u32,
    },
}

impl Dist {
    /// Checks the distribution is well formed and that all its values lie in [min, max].
    pub fn validate(&self, name: &'static str, min: f64, max: f64) -> Result<(), DataError> {
        let bad = |reason: String| Err(DataError::BadPrior { name, reason });
        let (lo, hi) = self.bounds();
        if !lo.is_finite() || !hi.is_finite() {
            return bad(format!("{self} has a non-finite bound"));
        }
        if lo > hi {
            return bad(format!(
                "{self}: the lower end {lo} is above the upper end {hi}"
            ));
        }
        if let Dist::Grid { count: 0, .. } = self {
            return bad("a grid needs at least one value".into());
        }
        if matches!(self, Dist::LogUniform { .. }) && lo <= 0.0 {
            return bad(format!("{self} needs a positive lower end"));
        }
        if lo < min || hi > max {
            return bad(format!("{self} leaves the allowed range [{min}, {max}]"));
        }
        Ok(())
    }

    /// Smallest and largest value the distribution can give.
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            Dist::Fixed(v) => (v, v),
            Dist::Uniform { lo, hi } | Dist::LogUniform { lo, hi } | Dist::Grid { lo, hi, .. } => {
                (lo, hi)
            }
            Dist::IntegerUniform { lo, hi } => (lo as f64, hi as f64),
        }
    }

    /// Draws a value; a grid draws uniformly among its values (the tiled order is the simulator's job).
    pub(crate) fn sample<R: Rng>(&self, rng: &mut R) -> f64 {
        match *self {
            Dist::Fixed(v) => v,
            Dist::Uniform { lo, hi } => {
                if lo < hi {
                    rng.random_range(lo..hi)
                } else {
                    lo
                }
            }
            Dist::LogUniform { lo, hi } => {
                if lo < hi {
                    rng.random_range(lo.ln()..hi.ln()).exp().clamp(lo, hi)
                } else {
                    lo
                }
            }
            Dist::IntegerUniform { lo, hi } => rng.random_range(lo..=hi) as f64,
            Dist::Grid { count, .. } => self.grid_value(rng.random_range(0..count)),
        }
    }

    /// Value `k` of a grid (0-based), as numpy's linspace computes it.
    pub fn grid_value(&self, k: u32) -> f64 {
        match *self {
            Dist::Grid { lo, hi, count } if count > 1 => {
                if k + 1 == count {
                    hi
                } else {
                    lo + f64::from(k) * ((hi - lo) / f64::from(count - 1))
                }
            }
            Dist::Grid { lo, .. } => lo,
            _ => self.bounds().0,
        }
    }

    /// The same distribution with a grid made continuous (Uniform over the grid's range).
    pub fn continuous(self) -> Dist {
        match self {
            Dist::Grid { lo, hi, .. } => Dist::Uniform { lo, hi },
            other => other,
        }
    }
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dist::Fixed(v) => write!(f, "fixed {v}"),
            Dist::Uniform { lo, hi } => write!(f, "U({lo}, {hi})"),
            Dist::LogUniform { lo, hi } => write!(f, "log-U({lo}, {hi})"),
            Dist::IntegerUniform { lo, hi } => write!(f, "U{{{lo}..{hi}}}"),
            Dist::Grid { lo, hi, count } => write!(f, "linspace({lo}, {hi}, {count}) tiled"),
        }
    }
}

/// How the shear (g1, g2) is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapePrior {
    /// The seed's: A from `ellipticity`, beta from `angle` (radians), g1 = A cos 2beta, g2 = A sin 2beta.
    Polar {
        /// Distribution of A = |g| (the seed: U(0, 0.67), axis ratio (1 − A)/(1 + A) from 0.2 to 1).
        ellipticity: Dist,
        /// Distribution of the position angle beta (the seed: U(0, 3.14)).
        angle: Dist,
    },
    /// Uniform over the disk |g| < `radius` (A = radius·sqrt(U), the angle uniform over a full turn of
    /// 2beta): a flat density in (g1, g2), where the seed's uniform A has a density growing as 1/|g| near
    /// g = 0 and pulls a posterior-mean estimator towards round shapes.
    Disk {
        /// Largest |g| (the seed's 0.67).
        radius: f64,
    },
    /// Always this shear.
    Fixed {
        /// First shear component.
        g1: f64,
        /// Second shear component.
        g2: f64,
    },
}

/// The distribution of every label of a simulated sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prior {
    /// Total flux (ADU); the seed: 1e5 · U(0.3, 4).
    pub flux: Dist,
    /// Sérsic index; the seed: linspace(0.5, 6, 1000) tiled, or U(0.5, 6).
    pub sersic_index: Dist,
    /// Half-light radius (arcsec); the seed: U(0.1, 0.6).
    pub half_light_radius: Dist,
    /// Shear.
    pub shape: ShapePrior,
    /// Moffat PSF FWHM (arcsec); the seed: 0.5 or U(0.5, 1.0).
    pub psf_fwhm: Dist,
    /// Gaussian read-noise sigma (ADU); the seed: 200 or U{200..400}.
    pub sigma: Dist,
}

impl Prior {
    /// The seed's training prior with a given n, PSF and sigma distribution.
    pub fn seed(sersic_index: Dist, psf_fwhm: Dist, sigma: Dist) -> Prior {
        Prior {
            flux: Dist::Uniform { lo: 0.3e5, hi: 4e5 },
            sersic_index,
            half_light_radius: Dist::Uniform { lo: 0.1, hi: 0.6 },
            shape: ShapePrior::Polar {
                ellipticity: Dist::Uniform { lo: 0.0, hi: 0.67 },
                // The seed wrote 3.14, not π: kept, so the angle prior is exactly the seed's.
                angle: Dist::Uniform {
                    lo: 0.0,
                    hi: SEED_ANGLE_MAX,
                },
            },
            psf_fwhm,
            sigma,
        }
    }

    /// Checks every distribution against what the renderer and the noise accept.
    pub fn validate(&self) -> Result<(), DataError> {
        use sersic_render::sersic::{N_MAX, N_MIN};
        self.flux.validate("flux", f64::MIN_POSITIVE, f64::MAX)?;
        self.sersic_index.validate("sersic_index", N_MIN, N_MAX)?;
        self.half_light_radius
            .validate("half_light_radius", f64::MIN_POSITIVE, f64::MAX)?;
        match self.shape {
            ShapePrior::Polar { ellipticity, angle } => {
                ellipticity.validate("ellipticity", 0.0, 0.99)?;
                angle.validate("angle", -1e3, 1e3)?;
            }
            ShapePrior::Disk { radius } => {
                Dist::Fixed(radius).validate("shear disk radius", 0.0, 0.99)?;
            }
            ShapePrior::Fixed { g1, g2 } => {
                Dist::Fixed(g1).validate("g1", -0.99, 0.99)?;
                Dist::Fixed(g2).validate("g2", -0.99, 0.99)?;
                if g1.hypot(g2) >= 0.99 {
                    return Err(DataError::BadPrior {
                        name: "shape",
                        reason: format!("|g| = {} >= 0.99", g1.hypot(g2)),
                    });
                }
            }
        }
        self.psf_fwhm.validate("psf_fwhm", 1e-3, 100.0)?;
        self.sigma.validate("sigma", f64::MIN_POSITIVE, f64::MAX)
    }
}
