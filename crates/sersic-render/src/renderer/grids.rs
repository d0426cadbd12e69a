//! The renderer's caches: FFT plans per period, analytic PSFs' k tables per shape, and PSF grids per
//! (PSF, period), most recently used first. A pixel PSF's transform on a period's lattice is computed once
//! (one FFT) when its grid is built, and reused by every galaxy drawn through it at that period.

use super::Renderer;
use crate::fft::FftPlans;
use crate::lattice::{Lattice, PsfEnvelope, PsfGrid, PsfSource, PsfTransform};
use crate::psf::Psf;
use crate::psf_image::PsfImage;
use crate::psf_lattice::ImageLattice;
use crate::radial_table::RadialTable;
use std::f64::consts::PI;
use std::sync::Arc;

/// Grids kept: enough for a few PSFs at the dozen or so periods a prior's galaxies need (a grid of a
/// 64 x 64 stamp holds ~15,000 points, 240 kB).
pub(super) const PSF_GRID_CACHE: usize = 48;

/// What a PSF grid is cached under.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct GridKey {
    psf: [u64; 4],
    period: usize,
}

impl Renderer {
    /// The PSF's k table, shared by every width of one shape (the table is in units of the scale radius).
    pub(super) fn psf_table(&self, psf: &Psf) -> Arc<RadialTable> {
        let key = psf.shape_key();
        let mut tables = self.psf_tables.lock().expect("PSF table cache poisoned");
        if let Some((_, t)) = tables.iter().find(|(k, _)| *k == key) {
            return t.clone();
        }
        let table = Arc::new(psf.k_table());
        if tables.len() >= 64 {
            tables.remove(0);
        }
        tables.push((key, table.clone()));
        table
    }

    /// The cached grid for (PSF, period), if there is one (moved to the front of the cache).
    pub(super) fn cached_psf_grid(&self, psf: &Psf, period: usize) -> Option<Arc<PsfGrid>> {
        let key = GridKey {
            psf: psf.cache_key(),
            period,
        };
        let mut grids = self.grids.lock().expect("PSF grid cache poisoned");
        let pos = grids.iter().position(|(k, _)| *k == key)?;
        let entry = grids.remove(pos);
        let grid = entry.1.clone();
        grids.insert(0, entry);
        Some(grid)
    }

    /// The grid for (PSF, period), built and cached on first use.
    pub(super) fn psf_grid(&self, psf: &Psf, period: usize) -> Arc<PsfGrid> {
        if let Some(grid) = self.cached_psf_grid(psf, period) {
            return grid;
        }
        // Built outside the lock: other threads keep drawing meanwhile.
        let grid = Arc::new(match psf {
            Psf::Image(image) => self.image_grid(image, period),
            _ => {
                let table = self.psf_table(psf);
                let k_max = self.psf_k_max(psf, &table);
                let transform = PsfTransform {
                    table,
                    radius: psf.scale_radius(),
                };
                PsfGrid::build(
                    &self.stamp,
                    Lattice { period, k_max },
                    &PsfSource::Radial(transform.clone()),
                    PsfEnvelope::Radial(transform),
                )
            }
        });
        let key = GridKey {
            psf: psf.cache_key(),
            period,
        };
        let mut grids = self.grids.lock().expect("PSF grid cache poisoned");
        grids.insert(0, (key, grid.clone()));
        grids.truncate(PSF_GRID_CACHE);
        grid
    }

    /// A pixel PSF's grid: its transform on the lattice out to the largest radius allowed, the envelope of
    /// its rings, and the disc within the radius beyond which it (with the pixel, for an optical PSF)
    /// leaves less than the k tolerance.
    fn image_grid(&self, image: &PsfImage, period: usize) -> PsfGrid {
        let dk = 2.0 * PI / (period as f64 * self.stamp.scale);
        let k_cap = self.accuracy.max_k_nyquist * PI / self.stamp.scale;
        let m_cap = (k_cap / dk).floor() as i64;
        let values = Arc::new(ImageLattice::new(image, period, self.stamp.scale, m_cap));
        let maxima = values.ring_maxima();
        let pixel = !image.includes_pixel();
        let k_max = self
            .tail_radius(dk, m_cap as usize, pixel, |k| {
                maxima[((k / dk).round() as usize).min(maxima.len() - 1)]
            })
            .min(k_cap);
        PsfGrid::build(
            &self.stamp,
            Lattice { period, k_max },
            &PsfSource::Image { values, pixel },
            PsfEnvelope::Rings { dk, maxima },
        )
    }

    /// The FFT plans for a period.
    pub(super) fn fft_plans(&self, period: usize) -> Arc<FftPlans> {
        let mut plans = self.plans.lock().expect("FFT plan cache poisoned");
        plans
            .entry(period)
            .or_insert_with(|| Arc::new(FftPlans::new(period)))
            .clone()
    }
}
