//! The seed's priors, as values: what each label is drawn from.

use rand::{Rng, RngExt};
use std::fmt;

use crate::error::DataError;

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
    /// A distribution over [lo, hi]: uniform, or with `integers` and whole-number ends the integers
    /// lo..=hi (the seed's sigma). Non-finite ends or lo > hi are [`DataError::BadSettings`].
    pub fn between(lo: f64, hi: f64, integers: bool) -> Result<Dist, DataError> {
        if !(lo.is_finite() && hi.is_finite()) {
            return Err(DataError::BadSettings(format!(
                "{lo} {hi}: both ends must be finite numbers"
            )));
        }
        if lo > hi {
            return Err(DataError::BadSettings(format!(
                "{lo} {hi}: the lower end is above the upper end"
            )));
        }
        if integers && lo.fract() == 0.0 && hi.fract() == 0.0 {
            Ok(Dist::IntegerUniform {
                lo: lo as i64,
                hi: hi as i64,
            })
        } else {
            Ok(Dist::Uniform { lo, hi })
        }
    }

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

    /// ln of the density at `x` (−∞ outside the support). A grid is taken as its continuous version (a
    /// uniform density over its range: 1000 values 0.0055 apart are a density to any image), and a fixed
    /// value has no density: 0 at the value, −∞ elsewhere, so a posterior can condition on it.
    pub fn ln_density(&self, x: f64) -> f64 {
        let (lo, hi) = self.bounds();
        if !(x >= lo && x <= hi) {
            return f64::NEG_INFINITY;
        }
        match *self {
            Dist::Fixed(_) => 0.0,
            Dist::Uniform { .. } | Dist::Grid { .. } => {
                if hi > lo {
                    -(hi - lo).ln()
                } else {
                    0.0
                }
            }
            Dist::LogUniform { .. } => {
                if hi > lo {
                    -(x * (hi / lo).ln()).ln()
                } else {
                    0.0
                }
            }
            Dist::IntegerUniform { lo, hi } => -((hi - lo + 1) as f64).ln(),
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
    /// g1 and g2 independent Gaussians of spread `sigma` about 0, cut to |g| < `radius`: a population of
    /// mostly rounder shapes, as observed galaxies are (a spread of 0.2–0.3 per component), without the
    /// seed's 1/|g| peak at g = 0 nor its many very flat shapes.
    Gaussian {
        /// Spread of each component.
        sigma: f64,
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

    /// ln of the joint density of the five labels θ = (flux, n, hlr, g1, g2) (−∞ outside the prior's
    /// support), the PSF and sigma left out: what a posterior over θ needs for an image whose PSF and
    /// sigma are known. Grids count as their continuous versions ([`Dist::ln_density`]).
    ///
    /// The seed's polar shear draws A = |g| and the angle β independently, g = A·e^{2iβ}: the area
    /// element is dg1 dg2 = 2A dA dβ, so its density in the (g1, g2) plane is p(A)·p(β) / (2A) — growing as
    /// 1/|g| towards round shapes when A is uniform.
    pub fn ln_density(&self, theta: [f64; 5]) -> f64 {
        let [flux, n, hlr, g1, g2] = theta;
        let shape = match self.shape {
            ShapePrior::Polar { ellipticity, angle } => {
                let a = g1.hypot(g2);
                if a == 0.0 {
                    // The density's singular point: no image is measured to exactly zero shear.
                    return f64::NEG_INFINITY;
                }
                // β in [0, π): the angle of g halved.
                let beta = (g2.atan2(g1) / 2.0).rem_euclid(std::f64::consts::PI);
                ellipticity.ln_density(a) + angle.ln_density(beta) - (2.0 * a).ln()
            }
            ShapePrior::Disk { radius } => {
                if g1.hypot(g2) < radius {
                    -(std::f64::consts::PI * radius * radius).ln()
                } else {
                    f64::NEG_INFINITY
                }
            }
            ShapePrior::Gaussian { sigma, radius } => {
                let r2 = g1 * g1 + g2 * g2;
                if r2 < radius * radius {
                    // The 2-d Gaussian renormalised by its mass inside the disk (Rayleigh's CDF).
                    let inside = -(-radius * radius / (2.0 * sigma * sigma)).exp_m1();
                    -r2 / (2.0 * sigma * sigma)
                        - (std::f64::consts::TAU * sigma * sigma).ln()
                        - inside.ln()
                } else {
                    f64::NEG_INFINITY
                }
            }
            ShapePrior::Fixed { g1: f1, g2: f2 } => {
                if g1 == f1 && g2 == f2 {
                    0.0
                } else {
                    f64::NEG_INFINITY
                }
            }
        };
        self.flux.ln_density(flux)
            + self.sersic_index.ln_density(n)
            + self.half_light_radius.ln_density(hlr)
            + shape
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
            ShapePrior::Gaussian { sigma, radius } => {
                Dist::Fixed(radius).validate("shear disk radius", 0.0, 0.99)?;
                if !(sigma.is_finite() && sigma > 0.0) {
                    return Err(DataError::BadPrior {
                        name: "shape",
                        reason: format!("the Gaussian shear spread must be > 0, got {sigma}"),
                    });
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// ∫ exp(ln p) over a region of the (g1, g2) plane, by the midpoint rule on a fine grid.
    fn shear_mass(prior: &Prior, inside: impl Fn(f64, f64) -> bool) -> f64 {
        let step = 1e-3;
        let cells = (1.4 / step) as i32;
        let mut mass = 0.0;
        for i in 0..cells {
            for j in 0..cells {
                let (g1, g2) = (
                    -0.7 + (f64::from(i) + 0.5) * step,
                    -0.7 + (f64::from(j) + 0.5) * step,
                );
                if inside(g1, g2) {
                    mass += prior.ln_density([1e5, 3.0, 0.3, g1, g2]).exp() * step * step;
                }
            }
        }
        // The other labels' densities at the point, divided out.
        mass * (4e5 - 0.3e5) * 5.5 * 0.5
    }

    #[test]
    fn the_seeds_polar_shear_density_has_the_mass_of_its_draws() {
        let prior = Prior::seed(
            Dist::Uniform { lo: 0.5, hi: 6.0 },
            Dist::Fixed(0.5),
            Dist::Fixed(200.0),
        );
        // A ~ U(0, 0.67), β ~ U(0, 3.14): P(A < 0.2, cos 2β > 0) = (0.2 / 0.67)·(π/2 / 3.14) and
        // P(A < 0.67) = 1 up to the sliver β in [3.14, π).
        let small = shear_mass(&prior, |g1, g2| g1.hypot(g2) < 0.2 && g1 > 0.0);
        let expected = 0.2 / 0.67 * (std::f64::consts::FRAC_PI_2 / SEED_ANGLE_MAX);
        assert!(
            (small / expected - 1.0).abs() < 0.01,
            "{small} vs {expected}"
        );
        let all = shear_mass(&prior, |_, _| true);
        assert!((all - 1.0).abs() < 0.01, "total mass {all}");
        // Round shapes are denser than elongated ones (the 1/|g| of a uniform A), by the ratio of |g|.
        let ratio = (prior.ln_density([1e5, 3.0, 0.3, 0.05, 0.0])
            - prior.ln_density([1e5, 3.0, 0.3, 0.5, 0.0]))
        .exp();
        assert!((ratio - 10.0).abs() < 1e-9, "{ratio}");
        assert_eq!(
            prior.ln_density([1e5, 3.0, 0.3, 0.6, 0.3]),
            f64::NEG_INFINITY
        );
        assert_eq!(
            prior.ln_density([1e5, 6.5, 0.3, 0.1, 0.1]),
            f64::NEG_INFINITY
        );
    }

    #[test]
    fn disk_and_log_uniform_densities_integrate_to_one() {
        let mut prior = Prior::seed(
            Dist::LogUniform { lo: 0.5, hi: 6.0 },
            Dist::Fixed(0.5),
            Dist::Fixed(200.0),
        );
        prior.shape = ShapePrior::Disk { radius: 0.67 };
        let disk = shear_mass(&prior, |g1, g2| g1.hypot(g2) < 0.3);
        // The disk's share of a flat density is the ratio of areas, corrected for n's density at 3.
        let density_n3 = 1.0 / (3.0 * 12f64.ln());
        let expected = (0.3f64 / 0.67).powi(2) * density_n3 * 5.5;
        assert!((disk / expected - 1.0).abs() < 0.01, "{disk} vs {expected}");
        // A Gaussian cut at the disk: all its mass inside, and the share within 0.2 Rayleigh's.
        prior.shape = ShapePrior::Gaussian {
            sigma: 0.2,
            radius: 0.67,
        };
        let cut = 1.0 - (-0.67f64 * 0.67 / 0.08).exp();
        let all = shear_mass(&prior, |_, _| true);
        assert!((all / (density_n3 * 5.5) - 1.0).abs() < 0.01, "{all}");
        let core = shear_mass(&prior, |g1, g2| g1.hypot(g2) < 0.2);
        let expected = (1.0 - (-0.5f64).exp()) / cut * density_n3 * 5.5;
        assert!((core / expected - 1.0).abs() < 0.01, "{core} vs {expected}");
        let n = Dist::LogUniform { lo: 0.5, hi: 6.0 };
        let steps = 100_000;
        let h = 5.5 / f64::from(steps);
        let total: f64 = (0..steps)
            .map(|k| n.ln_density(0.5 + (f64::from(k) + 0.5) * h).exp() * h)
            .sum();
        assert!((total - 1.0).abs() < 1e-6, "{total}");
        assert_eq!(
            Dist::IntegerUniform { lo: 200, hi: 400 }.ln_density(300.0),
            -(201f64.ln())
        );
        assert_eq!(Dist::Fixed(0.5).ln_density(0.5), 0.0);
        assert_eq!(Dist::Fixed(0.5).ln_density(0.6), f64::NEG_INFINITY);
    }
}
