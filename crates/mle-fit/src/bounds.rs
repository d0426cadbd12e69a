//! The box the fit searches, and the unit-cube scaling the optimiser sees.

use crate::error::FitError;

/// Lower and upper bounds of (flux, n, hlr, g1, g2).
///
/// The optimiser works in u = (θ − lower) / (upper − lower) ∈ [0, 1]⁵: over the seed's prior box the
/// Cramér–Rao widths are then within a factor of ten of each other (flux 0.015, n 0.14, hlr 0.06, g 0.04 at
/// the test galaxy), where in natural units they span eight decades.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Lower bounds.
    pub lower: [f64; 5],
    /// Upper bounds.
    pub upper: [f64; 5],
}

impl Bounds {
    /// The seed's prior box: flux 1e5·[0.3, 4], n [0.5, 6], hlr [0.1, 0.6]", g1 and g2 [−0.67, 0.67].
    pub const SEED: Bounds = Bounds {
        lower: [3e4, 0.5, 0.1, -0.67, -0.67],
        upper: [4e5, 6.0, 0.6, 0.67, 0.67],
    };

    /// Bounds that the renderer can draw everywhere: finite, lower < upper, flux and hlr > 0,
    /// n within [0.3, 6.2], and every corner of the (g1, g2) square inside |g| < 1.
    pub fn new(lower: [f64; 5], upper: [f64; 5]) -> Result<Bounds, FitError> {
        let names = sersic_render::PARAM_NAMES;
        for i in 0..5 {
            if !(lower[i].is_finite() && upper[i].is_finite() && lower[i] < upper[i]) {
                return Err(FitError::BadBounds(format!(
                    "{}: need finite lower < upper, got [{}, {}]",
                    names[i], lower[i], upper[i]
                )));
            }
        }
        use sersic_render::sersic::{N_MAX, N_MIN};
        if lower[0] <= 0.0 || lower[2] <= 0.0 {
            return Err(FitError::BadBounds(
                "flux and half_light_radius bounds must be > 0".into(),
            ));
        }
        if lower[1] < N_MIN || upper[1] > N_MAX {
            return Err(FitError::BadBounds(format!(
                "sersic_index bounds must lie in [{N_MIN}, {N_MAX}]"
            )));
        }
        let g_max = lower[3]
            .abs()
            .max(upper[3].abs())
            .hypot(lower[4].abs().max(upper[4].abs()));
        if g_max >= 0.99 {
            return Err(FitError::BadBounds(format!(
                "the (g1, g2) box reaches |g| = {g_max:.3}; it must stay below 0.99"
            )));
        }
        Ok(Bounds { lower, upper })
    }

    /// Width of parameter i's range.
    pub fn width(&self, i: usize) -> f64 {
        self.upper[i] - self.lower[i]
    }

    /// θ → u ∈ [0, 1]⁵ (not clamped).
    pub fn to_unit(&self, theta: [f64; 5]) -> [f64; 5] {
        std::array::from_fn(|i| (theta[i] - self.lower[i]) / self.width(i))
    }

    /// u → θ.
    pub fn from_unit(&self, u: &[f64]) -> [f64; 5] {
        std::array::from_fn(|i| self.lower[i] + u[i] * self.width(i))
    }

    /// θ clamped into the box.
    pub fn clamp(&self, theta: [f64; 5]) -> [f64; 5] {
        std::array::from_fn(|i| theta[i].clamp(self.lower[i], self.upper[i]))
    }

    /// Whether θ is in the box.
    pub fn contains(&self, theta: [f64; 5]) -> bool {
        (0..5).all(|i| self.lower[i] <= theta[i] && theta[i] <= self.upper[i])
    }
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds::SEED
    }
}
