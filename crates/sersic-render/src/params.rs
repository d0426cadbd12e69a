//! The five galaxy parameters, the stamp geometry, and their validation.

use crate::sersic::{Sersic, N_MAX, N_MIN};
use crate::shear::Shear;

/// Names of the five parameters in the order used everywhere (labels, Jacobians, CSV columns).
pub const PARAM_NAMES: [&str; 5] = ["flux", "sersic_index", "half_light_radius", "g1", "g2"];

/// [`PARAM_NAMES`] and the centre offset (dx, dy) in pixels from the stamp's true centre: the columns of a
/// Jacobian from [`Renderer::render_with_centre_jacobian`](crate::Renderer::render_with_centre_jacobian).
pub const PARAM_NAMES_WITH_CENTRE: [&str; 7] = [
    "flux",
    "sersic_index",
    "half_light_radius",
    "g1",
    "g2",
    "dx",
    "dy",
];

/// A sheared Sérsic galaxy: (flux, n, hlr, g1, g2), GalSim's `Sersic(n, half_light_radius).withFlux(flux)
/// .shear(g1=g1, g2=g2)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GalaxyParams {
    /// Total flux, counts.
    pub flux: f64,
    /// Sérsic index n in [0.3, 6.2].
    pub sersic_index: f64,
    /// Half-light radius of the untruncated, unsheared profile, arcsec (> 0).
    pub half_light_radius: f64,
    /// Reduced shear, first component.
    pub g1: f64,
    /// Reduced shear, second component (|g| < 1).
    pub g2: f64,
}

/// A parameter that cannot be drawn, naming the field.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// A field is NaN or infinite.
    #[error("{field} must be a finite number, got {value}")]
    NotFinite {
        /// The field's name.
        field: &'static str,
        /// Its value.
        value: f64,
    },
    /// Sérsic index out of GalSim's range.
    #[error("sersic_index must be in [{N_MIN}, {N_MAX}], got {0}")]
    SersicIndex(f64),
    /// Half-light radius not positive.
    #[error("half_light_radius must be > 0, got {0}")]
    HalfLightRadius(f64),
    /// |g| >= 1.
    #[error("shear |g| = sqrt(g1² + g2²) must be < 1, got g1 = {g1}, g2 = {g2}")]
    Shear {
        /// g1.
        g1: f64,
        /// g2.
        g2: f64,
    },
    /// Stamp size or pixel scale not usable.
    #[error("{0}")]
    Stamp(String),
}

impl GalaxyParams {
    /// A galaxy from its five parameters (not validated: see [`Self::validate`]).
    pub fn new(flux: f64, sersic_index: f64, half_light_radius: f64, g1: f64, g2: f64) -> Self {
        GalaxyParams {
            flux,
            sersic_index,
            half_light_radius,
            g1,
            g2,
        }
    }

    /// The parameters as an array in [`PARAM_NAMES`] order.
    pub fn to_array(&self) -> [f64; 5] {
        [
            self.flux,
            self.sersic_index,
            self.half_light_radius,
            self.g1,
            self.g2,
        ]
    }

    /// From an array in [`PARAM_NAMES`] order.
    pub fn from_array(p: [f64; 5]) -> Self {
        GalaxyParams::new(p[0], p[1], p[2], p[3], p[4])
    }

    /// Checks that the galaxy can be drawn; the error names the first offending field.
    pub fn validate(&self) -> Result<(), ParamError> {
        for (field, value) in PARAM_NAMES.iter().zip(self.to_array()) {
            if !value.is_finite() {
                return Err(ParamError::NotFinite { field, value });
            }
        }
        if !(N_MIN..=N_MAX).contains(&self.sersic_index) {
            return Err(ParamError::SersicIndex(self.sersic_index));
        }
        if self.half_light_radius <= 0.0 {
            return Err(ParamError::HalfLightRadius(self.half_light_radius));
        }
        if self.g1 * self.g1 + self.g2 * self.g2 >= 1.0 {
            return Err(ParamError::Shear {
                g1: self.g1,
                g2: self.g2,
            });
        }
        Ok(())
    }

    /// The circular profile.
    pub fn sersic(&self) -> Sersic {
        Sersic {
            n: self.sersic_index,
            half_light_radius: self.half_light_radius,
            flux: self.flux,
        }
    }

    /// The shear.
    pub fn shear(&self) -> Shear {
        Shear::new(self.g1, self.g2)
    }
}

/// The image geometry: `width` x `height` pixels of `scale` arcsec. Images are arrays of `[height, width]`
/// (rows are y, columns x, as GalSim's and FITS's).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stamp {
    /// Pixels along x (columns).
    pub width: usize,
    /// Pixels along y (rows).
    pub height: usize,
    /// Pixel scale, arcsec per pixel.
    pub scale: f64,
}

impl Default for Stamp {
    /// The seed's geometry: 64 x 64 pixels of 0.23 arcsec.
    fn default() -> Self {
        Stamp::square(64, 0.23)
    }
}

impl Stamp {
    /// A square stamp of `size` x `size` pixels of `scale` arcsec.
    pub fn square(size: usize, scale: f64) -> Stamp {
        Stamp::new(size, size, scale)
    }

    /// A stamp of `width` x `height` pixels of `scale` arcsec.
    pub fn new(width: usize, height: usize, scale: f64) -> Stamp {
        Stamp {
            width,
            height,
            scale,
        }
    }

    /// The image shape as an array's dimensions, `(height, width)`.
    pub fn dim(&self) -> (usize, usize) {
        (self.height, self.width)
    }

    /// Pixels in the stamp.
    pub fn pixels(&self) -> usize {
        self.width * self.height
    }

    /// The longer side, pixels.
    pub fn longest_side(&self) -> usize {
        self.width.max(self.height)
    }

    /// The side of a square stamp (`None` for a rectangle).
    pub fn square_size(&self) -> Option<usize> {
        (self.width == self.height).then_some(self.width)
    }

    /// Checks the geometry.
    pub fn validate(&self) -> Result<(), ParamError> {
        let sides = if self.width == self.height {
            vec![("size", self.width)]
        } else {
            vec![("width", self.width), ("height", self.height)]
        };
        for (name, side) in sides {
            if !(2..=4096).contains(&side) {
                return Err(ParamError::Stamp(format!(
                    "{name} must be in [2, 4096] pixels, got {side}"
                )));
            }
        }
        if !(self.scale.is_finite() && self.scale > 0.0) {
            return Err(ParamError::Stamp(format!(
                "scale must be a positive finite number, got {}",
                self.scale
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_names_the_field() {
        let ok = GalaxyParams::new(1e5, 3.0, 0.3, -0.069, 0.15);
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(
            GalaxyParams {
                sersic_index: 7.0,
                ..ok
            }
            .validate(),
            Err(ParamError::SersicIndex(7.0))
        );
        assert_eq!(
            GalaxyParams {
                half_light_radius: 0.0,
                ..ok
            }
            .validate(),
            Err(ParamError::HalfLightRadius(0.0))
        );
        assert!(matches!(
            GalaxyParams {
                g1: 0.8,
                g2: 0.6,
                ..ok
            }
            .validate(),
            Err(ParamError::Shear { .. })
        ));
        let nan = GalaxyParams {
            flux: f64::NAN,
            ..ok
        }
        .validate()
        .unwrap_err();
        assert!(nan.to_string().starts_with("flux must be a finite number"));
    }
}
