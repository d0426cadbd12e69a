//! How large a lattice a galaxy needs: the real-space period that keeps its wrapped wings below the
//! fold tolerance, and the k radius beyond which its transform (with the PSF and pixel) is negligible.

use std::f64::consts::PI;

use super::Renderer;
use crate::lattice::PsfEnvelope;
use crate::params::{GalaxyParams, Stamp};
use crate::psf::Psf;
use crate::radial_table::RadialTable;
use crate::sersic::unit_profile_constants;

/// The periods tried, smallest first: even sizes 2^a·3^b with at most one factor 5 or 7
/// ([`crate::fft::is_fast_period`]).
fn good_periods() -> &'static [usize] {
    static SIZES: std::sync::OnceLock<Vec<usize>> = std::sync::OnceLock::new();
    SIZES.get_or_init(|| {
        let mut v: Vec<usize> = (8..=16384)
            .step_by(2)
            .filter(|&n| crate::fft::is_fast_period(n))
            .collect();
        v.sort_unstable();
        v
    })
}

impl Renderer {
    /// Smallest good period whose wrapped wings (galaxy along its major axis, plus PSF) stay below
    /// `fold_tolerance` of the flux per pixel at the stamp's edge, for a profile `offset` pixels from the
    /// stamp's centre.
    pub(super) fn choose_period(
        &self,
        galaxy: Option<&GalaxyParams>,
        psf: &Psf,
        offset: [f64; 2],
    ) -> usize {
        let size = self.stamp.longest_side();
        let wrapped = self.wrap_estimate(galaxy, psf, offset);
        let sizes = good_periods();
        for &n in sizes.iter().filter(|&&n| n >= size + 8) {
            if wrapped(n) < self.accuracy.fold_tolerance {
                return n;
            }
        }
        *sizes.last().expect("non-empty list of sizes")
    }

    /// An upper estimate of the light, per unit of the galaxy's flux, that its copies on a lattice of
    /// `period` pixels put into one pixel of the stamp (the wrapped wings), for a galaxy `offset` pixels
    /// from the stamp's centre drawn through `psf` (`None`: the PSF alone). A fit multiplies it by the flux
    /// to bound how much its model would change on a longer period.
    pub fn wrapped_light_per_pixel(
        &self,
        galaxy: Option<&GalaxyParams>,
        psf: &Psf,
        offset: [f64; 2],
        period: usize,
    ) -> f64 {
        self.wrap_estimate(galaxy, psf, offset)(period)
    }

    /// The wrapped light per pixel (per unit flux) as a function of the period: the profile's surface
    /// brightness at its nearest copy seen from the stamp's edge, times three for that copy's neighbours and
    /// the rest, times the pixel's area.
    fn wrap_estimate<'p>(
        &self,
        galaxy: Option<&GalaxyParams>,
        psf: &'p Psf,
        offset: [f64; 2],
    ) -> impl Fn(usize) -> f64 + 'p {
        let Stamp { scale, .. } = self.stamp;
        let size = self.stamp.longest_side();
        // The wings of the galaxy and of the PSF (analytic, or a pixel image's envelope) are added, not
        // convolved: the PSF's core is far narrower than the distances at stake.
        let offset_reach = offset[0].hypot(offset[1]) * scale;
        let pixel_area = scale * scale;
        let galaxy_wing = galaxy.map(|g| {
            let n = g.sersic_index;
            let (b, i0) = unit_profile_constants(n);
            let major = g.half_light_radius * g.shear().major_axis_stretch();
            let norm = i0 / (g.half_light_radius * g.half_light_radius);
            move |d: f64| norm * (-b * (d / major).powf(1.0 / n)).exp()
        });
        move |period: usize| {
            let d = (period as f64 - size as f64 / 2.0) * scale - offset_reach;
            let sb = psf.xvalue(d) + galaxy_wing.map_or(0.0, |w| w(d));
            3.0 * sb * pixel_area
        }
    }

    /// The k radius beyond which |F_gal · PSF · pixel| leaves less than `k_tolerance` per pixel: the k
    /// radius a galaxy needs on a lattice of spacing `dk` whose PSF disc has radius `k_psf`.
    pub(super) fn galaxy_k_max(
        &self,
        galaxy: &GalaxyParams,
        envelope: &PsfEnvelope,
        (dk, k_psf): (f64, f64),
        sersic: &RadialTable,
        pixel: bool,
    ) -> f64 {
        // The galaxy is widest in k along its minor axis: there |S k| = k / stretch. Walking inwards, the
        // running maximum of |F| is an envelope that also covers profiles with side lobes (n < 0.5).
        let q_per_k = galaxy.half_light_radius / galaxy.shear().major_axis_stretch();
        let mut galaxy_envelope = 0f64;
        let steps = (k_psf / dk).floor() as usize;
        let k = self.tail_radius(dk, steps, pixel, |k| {
            galaxy_envelope = galaxy_envelope.max(sersic.value((k * q_per_k).powi(2)).abs());
            galaxy_envelope * envelope.at(k)
        });
        k.min(k_psf)
    }

    /// The k radius for the PSF alone (a point source): the lattice disc a PSF grid holds.
    pub(super) fn psf_k_max(&self, psf: &Psf, table: &RadialTable) -> f64 {
        let radius = psf.scale_radius();
        let k_cap = self.accuracy.max_k_nyquist * PI / self.stamp.scale;
        let steps = 4096;
        self.tail_radius(k_cap / steps as f64, steps, true, |k| {
            table.value((k * radius).powi(2)).abs()
        })
        .min(k_cap)
    }

    /// Walks k = steps·dk, (steps-1)·dk, ... inwards, adding the per-pixel flux that the ring at k carries,
    /// (s²/2π) · |transform(k)| · pixel envelope · k dk, and returns the radius just outside the ring at which
    /// the accumulated tail first exceeds `k_tolerance` (dk if it never does). `transform` is called with
    /// decreasing k. `pixel`: whether the pixel response damps the transform (not for an effective PSF).
    pub(super) fn tail_radius(
        &self,
        dk: f64,
        steps: usize,
        pixel: bool,
        mut transform: impl FnMut(f64) -> f64,
    ) -> f64 {
        let scale = self.stamp.scale;
        let mut tail = 0.0;
        for m in (1..=steps).rev() {
            let k = m as f64 * dk;
            let response = if pixel {
                (2.0 / (k * scale)).min(1.0)
            } else {
                1.0
            };
            tail += transform(k) * response * k * dk * scale * scale / (2.0 * PI);
            if tail > self.accuracy.k_tolerance {
                return (m + 1) as f64 * dk;
            }
        }
        dk
    }
}
