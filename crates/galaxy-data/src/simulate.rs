//! Labelled samples simulated on the fly: the seed's generator as a library.

use std::ops::Range;
use std::sync::Arc;

use ndarray::{Array2, Axis};
use noise_model::CcdNoise;
use rand::seq::SliceRandom;
use rand::{Rng, RngExt};
use rayon::prelude::*;
use sersic_render::{Accuracy, GalaxyParams, Psf, Renderer, Stamp};

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::prior::{Dist, Prior, ShapePrior};
use crate::psf_family::PsfFamily;
use crate::rng::{stream, Domain};

/// Accuracy of the screening render: about 4x cheaper than the default; its SNR is within 3.1e-3
/// (relative) of the accurate render's over 3000 draws of the seed's prior (the screen_accuracy example).
const SCREEN_ACCURACY: Accuracy = Accuracy {
    fold_tolerance: 1e-4,
    k_tolerance: 1e-4,
    max_k_nyquist: 8.0,
};

/// A screened SNR further than this (relative) outside the window is rejected without an accurate
/// render: 16 times the screen's largest error, so the decisions are those of the accurate render.
const SCREEN_MARGIN: f64 = 0.05;

/// The SNR window of rejection sampling: a sample is kept when lo ≤ SNR ≤ hi.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SnrWindow {
    /// Smallest SNR kept.
    pub lo: f64,
    /// Largest SNR kept.
    pub hi: f64,
}

impl SnrWindow {
    /// The seed's window: 10 ≤ SNR ≤ 100.
    pub const SEED: SnrWindow = SnrWindow {
        lo: 10.0,
        hi: 100.0,
    };

    /// Whether an SNR is inside the window (both ends included).
    pub fn contains(&self, snr: f64) -> bool {
        self.lo <= snr && snr <= self.hi
    }
}

/// Everything that defines a simulated dataset except its seed and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimSettings {
    /// Distribution of the labels, the PSF and the noise.
    pub prior: Prior,
    /// Rejection window on the seed's SNR; `None` keeps every draw.
    pub snr_window: Option<SnrWindow>,
    /// Stamp geometry (the seed: 64 x 64 pixels of 0.23").
    pub stamp: Stamp,
    /// Moffat beta of the PSF (the seed: 2).
    pub psf_beta: f64,
    /// Draw each sample's PSF from this family (as a pixel image) and offset its galaxy, instead of a round
    /// Moffat of `psf_beta` on the centre; the prior's `psf_fwhm` gives the FWHM.
    pub psf_family: Option<PsfFamily>,
    /// A sample that draws this many parameter sets without one inside the SNR window is an error (the
    /// settings cannot reach the window) rather than an endless loop.
    pub max_attempts: u32,
}

impl SimSettings {
    /// Settings with the seed's geometry and PSF shape, no SNR window and 10,000 attempts per sample.
    pub fn new(prior: Prior) -> SimSettings {
        SimSettings {
            prior,
            snr_window: None,
            stamp: Stamp::default(),
            psf_beta: 2.0,
            psf_family: None,
            max_attempts: 10_000,
        }
    }

    /// Checks the prior, the window, the stamp and the PSF shape.
    pub fn validate(&self) -> Result<(), DataError> {
        self.prior.validate()?;
        if let Some(w) = self.snr_window {
            if !(w.lo.is_finite() && w.hi.is_finite() && w.lo >= 0.0 && w.lo <= w.hi) {
                return Err(DataError::BadSettings(format!(
                    "SNR window [{}, {}] must be finite with 0 <= lo <= hi",
                    w.lo, w.hi
                )));
            }
        }
        self.stamp
            .validate()
            .map_err(|e| DataError::BadSettings(e.to_string()))?;
        Psf::moffat(self.psf_beta, 1.0).map_err(|e| DataError::BadSettings(e.to_string()))?;
        if let Some(family) = &self.psf_family {
            family.validate()?;
        }
        if self.max_attempts == 0 {
            return Err(DataError::BadSettings(
                "max_attempts must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The same settings with a tiled grid prior on n made continuous over its range.
    pub fn with_continuous_n(mut self) -> SimSettings {
        self.prior.sersic_index = self.prior.sersic_index.continuous();
        self
    }

    /// The same settings with n log-uniform over its range (see [`Dist::LogUniform`]).
    pub fn with_log_uniform_n(mut self) -> SimSettings {
        let (lo, hi) = self.prior.sersic_index.bounds();
        if lo < hi {
            self.prior.sersic_index = Dist::LogUniform { lo, hi };
        }
        self
    }

    /// The same settings with a drawn shear made Gaussian of spread `sigma` per component, cut at the
    /// largest |g| of the preset (see [`ShapePrior::Gaussian`]); a fixed shear stays fixed.
    pub fn with_gaussian_shear(mut self, sigma: f64) -> SimSettings {
        let radius = match self.prior.shape {
            ShapePrior::Polar { ellipticity, .. } => ellipticity.bounds().1,
            ShapePrior::Disk { radius } | ShapePrior::Gaussian { radius, .. } => radius,
            ShapePrior::Fixed { .. } => return self,
        };
        self.prior.shape = ShapePrior::Gaussian { sigma, radius };
        self
    }

    /// The same settings with a drawn shear made uniform over the disk of its largest |g| (see
    /// [`ShapePrior::Disk`]); a fixed shear stays fixed.
    pub fn with_disk_shear(mut self) -> SimSettings {
        if let ShapePrior::Polar { ellipticity, .. } = self.prior.shape {
            self.prior.shape = ShapePrior::Disk {
                radius: ellipticity.bounds().1,
            };
        }
        self
    }
}

/// One labelled sample, the unit of the seed's datasets.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Index of the sample in its dataset (its random stream's index).
    pub index: u64,
    /// True galaxy parameters (f64; files store them as f32).
    pub params: GalaxyParams,
    /// PSF FWHM (arcsec).
    pub psf_fwhm: f64,
    /// Gaussian noise sigma (ADU).
    pub sigma: f64,
    /// The seed's SNR of the noiseless image: sqrt(Σ img_nonoise²) / sigma, over the stored f32 pixels.
    pub snr: f64,
    /// Noisy image.
    pub img: Array2<f32>,
    /// Noiseless image (galaxy ⊛ PSF ⊛ pixel).
    pub img_nonoise: Array2<f32>,
    /// The PSF drawn alone (unit flux, pixel response included); shared when the PSF does not vary.
    pub psf_img: Arc<Array2<f32>>,
    /// Parameter draws rejected by the SNR window before this one was kept.
    pub rejected: u32,
    /// The galaxy's offset (dx, dy) in pixels from the stamp's centre, with a PSF family; `None` when
    /// galaxies sit on the centre.
    pub offset: Option<[f64; 2]>,
}

impl Sample {
    /// The labels in the seed's order: flux, n, hlr, g1, g2.
    pub fn label(&self) -> [f64; 5] {
        self.params.to_array()
    }
}

/// A draw kept by the SNR window: its noiseless image, SNR and PSF image.
struct Kept {
    clean: Array2<f32>,
    snr: f64,
    psf_img: Arc<Array2<f32>>,
}

/// Simulates the samples of one dataset (settings + seed), each from its own random stream.
///
/// Sample i depends only on (settings, seed, i): [`sample`](Self::sample) can be called in any order, from
/// any thread, for any subset of indices, and gives the same bytes.
pub struct Simulator {
    settings: SimSettings,
    seed: u64,
    renderer: Renderer,
    /// A coarse renderer that screens draws against the SNR window before the accurate render.
    screen: Renderer,
    /// The PSF image when the PSF FWHM is fixed, drawn once.
    fixed_psf_img: Option<Arc<Array2<f32>>>,
}

impl Simulator {
    /// A simulator for validated settings and a seed.
    pub fn new(settings: SimSettings, seed: u64) -> Result<Simulator, DataError> {
        settings.validate()?;
        let renderer = Renderer::new(settings.stamp)?;
        let screen = Renderer::with_accuracy(settings.stamp, SCREEN_ACCURACY)?;
        let mut sim = Simulator {
            settings,
            seed,
            renderer,
            screen,
            fixed_psf_img: None,
        };
        if let (Dist::Fixed(fwhm), None) = (settings.prior.psf_fwhm, settings.psf_family) {
            sim.fixed_psf_img = Some(Arc::new(sim.draw_psf(fwhm)?));
        }
        Ok(sim)
    }

    /// The settings.
    pub fn settings(&self) -> &SimSettings {
        &self.settings
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The renderer (its caches are shared by every sample).
    pub fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    /// The PSF image shared by every sample, when the PSF does not vary (then files store this one PSF
    /// image, as the seed's did).
    pub fn fixed_psf_image(&self) -> Option<&Array2<f32>> {
        self.fixed_psf_img.as_deref()
    }

    fn draw_psf(&self, fwhm: f64) -> Result<Array2<f32>, DataError> {
        let psf = Psf::moffat(self.settings.psf_beta, fwhm)
            .map_err(|e| DataError::BadSettings(e.to_string()))?;
        Ok(self.renderer.render_psf(&psf)?.mapv(|v| v as f32))
    }

    /// Sample `index`'s value of a tiled grid: block index / count is a shuffle of the grid's values.
    fn tiled_grid_value(&self, dist: &Dist, index: u64) -> Option<f64> {
        let Dist::Grid { count, .. } = *dist else {
            return None;
        };
        let count64 = u64::from(count);
        let mut order: Vec<u32> = (0..count).collect();
        order.shuffle(&mut stream(self.seed, Domain::GridBlock, index / count64));
        Some(dist.grid_value(order[(index % count64) as usize]))
    }

    /// Draws one parameter set. The order of draws follows the seed's script: n, hlr, A, beta, flux, then
    /// the PSF and the noise level.
    fn draw(&self, rng: &mut impl Rng, tiled_n: Option<f64>) -> (GalaxyParams, f64, f64) {
        let p = &self.settings.prior;
        let n = match tiled_n {
            Some(n) => n,
            None => p.sersic_index.sample(rng),
        };
        let hlr = p.half_light_radius.sample(rng);
        let (g1, g2) = match p.shape {
            ShapePrior::Polar { ellipticity, angle } => {
                let a = ellipticity.sample(rng);
                let beta = angle.sample(rng);
                (a * (2.0 * beta).cos(), a * (2.0 * beta).sin())
            }
            ShapePrior::Disk { radius } => {
                let a = radius * rng.random_range(0.0..1.0f64).sqrt();
                let two_beta = rng.random_range(0.0..std::f64::consts::TAU);
                (a * two_beta.cos(), a * two_beta.sin())
            }
            ShapePrior::Gaussian { sigma, radius } => {
                // |g| from the Rayleigh distribution cut at the radius, by inverting its CDF.
                let inside = -(-radius * radius / (2.0 * sigma * sigma)).exp_m1();
                let u = rng.random_range(0.0..1.0f64) * inside;
                let a = (sigma * (-2.0 * (-u).ln_1p()).sqrt()).min(radius);
                let two_beta = rng.random_range(0.0..std::f64::consts::TAU);
                (a * two_beta.cos(), a * two_beta.sin())
            }
            ShapePrior::Fixed { g1, g2 } => (g1, g2),
        };
        let flux = p.flux.sample(rng);
        let fwhm = p.psf_fwhm.sample(rng);
        let sigma = p.sigma.sample(rng);
        (GalaxyParams::new(flux, n, hlr, g1, g2), fwhm, sigma)
    }

    /// Renders a draw and returns (noiseless image, SNR, PSF image) if its SNR is inside the window.
    fn render_if_in_window(
        &self,
        params: &GalaxyParams,
        fwhm: f64,
        sigma: f64,
    ) -> Result<Option<Kept>, DataError> {
        let psf = Psf::moffat(self.settings.psf_beta, fwhm)
            .map_err(|e| DataError::BadSettings(e.to_string()))?;
        let in_window = |snr: f64, margin: f64| {
            self.settings
                .snr_window
                .is_none_or(|w| w.lo * (1.0 - margin) <= snr && snr <= w.hi * (1.0 + margin))
        };
        // With a fixed PSF, most rejected draws are far outside the window and a cheap render decides
        // them. A PSF that changes every draw needs a new PSF grid whatever the accuracy, and most draws
        // are kept, so screening would cost more than it saves. (The screen never changes a decision, so
        // whether it runs depends only on the settings and cannot break reproducibility.)
        if self.settings.snr_window.is_some() && self.fixed_psf_img.is_some() {
            let rough = self.screen.render(params, &psf)?;
            if !in_window(
                rough.iter().map(|v| v * v).sum::<f64>().sqrt() / sigma,
                SCREEN_MARGIN,
            ) {
                return Ok(None);
            }
        }
        let (clean, psf_img) = match &self.fixed_psf_img {
            Some(shared) => (self.renderer.render(params, &psf)?, Arc::clone(shared)),
            None => {
                let (image, psf_image) = self.renderer.render_with_psf_image(params, &psf)?;
                (image, Arc::new(psf_image.mapv(|v| v as f32)))
            }
        };
        let clean = clean.mapv(|v| v as f32);
        let snr = noise_model::snr::seed_snr(&clean, sigma)?;
        Ok(in_window(snr, 0.0).then_some(Kept {
            clean,
            snr,
            psf_img,
        }))
    }

    /// With a PSF family: draws the PSF and the offset after the galaxy, renders, and returns the noiseless
    /// image, SNR, stamp-grid PSF image and offset if the SNR is inside the window.
    fn render_family_if_in_window(
        &self,
        family: &PsfFamily,
        rng: &mut impl Rng,
        params: &GalaxyParams,
        psf: &Psf,
        sigma: f64,
    ) -> Result<Option<(Kept, [f64; 2])>, DataError> {
        let offset = family.draw_offset(rng);
        let clean = self
            .renderer
            .render_offset(params, psf, offset)?
            .mapv(|v| v as f32);
        let snr = noise_model::snr::seed_snr(&clean, sigma)?;
        if !self.settings.snr_window.is_none_or(|w| w.contains(snr)) {
            return Ok(None);
        }
        let psf_img = Arc::new(self.renderer.render_psf(psf)?.mapv(|v| v as f32));
        Ok(Some((
            Kept {
                clean,
                snr,
                psf_img,
            },
            offset,
        )))
    }

    /// Simulates sample `index`: draws parameters until the SNR is inside the window, then adds noise.
    ///
    /// With a tiled grid prior on n, n is fixed by the index and only the other labels are redrawn on
    /// rejection, so the kept samples keep the grid's exact balance.
    pub fn sample(&self, index: u64) -> Result<Sample, DataError> {
        let mut rng = stream(self.seed, Domain::Sample, index);
        let tiled_n = self.tiled_grid_value(&self.settings.prior.sersic_index, index);
        // A family's PSF belongs to the sample's group and comes from the group's own stream.
        let family_psf = match &self.settings.psf_family {
            Some(family) => {
                let mut psf_rng = stream(self.seed, Domain::FamilyPsf, index / family.group);
                let fwhm = self.settings.prior.psf_fwhm.sample(&mut psf_rng);
                let drawn = family.draw_psf(&mut psf_rng, fwhm);
                Some((fwhm, family.psf(&drawn, self.settings.stamp.scale)?))
            }
            None => None,
        };
        let mut rejected = 0u32;
        loop {
            let (params, drawn_fwhm, sigma) = self.draw(&mut rng, tiled_n);
            let fwhm = family_psf.as_ref().map_or(drawn_fwhm, |f| f.0);
            let kept = match (&self.settings.psf_family, &family_psf) {
                (Some(family), Some((_, psf))) => self
                    .render_family_if_in_window(family, &mut rng, &params, psf, sigma)?
                    .map(|(k, offset)| (k, Some(offset))),
                _ => self
                    .render_if_in_window(&params, fwhm, sigma)?
                    .map(|k| (k, None)),
            };
            let Some((
                Kept {
                    clean,
                    snr,
                    psf_img,
                },
                offset,
            )) = kept
            else {
                rejected += 1;
                if rejected >= self.settings.max_attempts {
                    return Err(DataError::SnrWindowUnreachable {
                        index,
                        attempts: rejected,
                    });
                }
                continue;
            };
            let mut img = clean.clone();
            CcdNoise::poisson_gaussian(sigma)?.apply(&mut img, &mut rng)?;
            return Ok(Sample {
                index,
                params,
                psf_fwhm: fwhm,
                sigma,
                snr,
                img,
                img_nonoise: clean,
                psf_img,
                rejected,
                offset,
            });
        }
    }

    /// Simulates the samples of an index range in parallel (on the current rayon pool), in index order.
    pub fn samples(&self, range: Range<u64>) -> Result<Vec<Sample>, DataError> {
        range.into_par_iter().map(|i| self.sample(i)).collect()
    }

    /// Simulates an index range into arrays in the seed's layout: what a training loop consumes.
    pub fn batch(&self, range: Range<u64>) -> Result<Dataset, DataError> {
        let samples = self.samples(range)?;
        Ok(Dataset::from_samples(
            &samples,
            self.fixed_psf_img.is_some(),
        ))
    }

    /// An endless stream of batches of `batch_size` samples starting at index `start`, for training on
    /// the fly. Each batch is simulated in parallel.
    pub fn batches(
        &self,
        start: u64,
        batch_size: u64,
    ) -> impl Iterator<Item = Result<Dataset, DataError>> + '_ {
        let size = batch_size.max(1);
        (0u64..).map(move |b| {
            let first = start + b * size;
            self.batch(first..first + size)
        })
    }
}

impl Dataset {
    /// Stacks samples into the seed's arrays; `single_psf` stores one PSF image (the first sample's).
    pub fn from_samples(samples: &[Sample], single_psf: bool) -> Dataset {
        let n = samples.len();
        let stack = |f: &dyn Fn(&Sample) -> &Array2<f32>| {
            let views: Vec<_> = samples.iter().map(|s| f(s).view()).collect();
            ndarray::stack(Axis(0), &views).unwrap_or_else(|_| ndarray::Array3::zeros((0, 0, 0)))
        };
        let psf_img = if single_psf && n > 0 {
            samples[0].psf_img.view().insert_axis(Axis(0)).to_owned()
        } else {
            stack(&|s| &s.psf_img)
        };
        Dataset {
            img: stack(&|s| &s.img),
            img_nonoise: stack(&|s| &s.img_nonoise),
            label: Array2::from_shape_fn((n, 5), |(i, j)| samples[i].label()[j] as f32),
            psf_r: samples.iter().map(|s| s.psf_fwhm as f32).collect(),
            psf_img,
            snr: samples.iter().map(|s| s.snr as f32).collect(),
            sigma: samples.iter().map(|s| s.sigma as f32).collect(),
            offset: samples
                .iter()
                .map(|s| s.offset)
                .collect::<Option<Vec<_>>>()
                .filter(|o| !o.is_empty())
                .map(|o| Array2::from_shape_fn((n, 2), |(i, j)| o[i][j] as f32)),
        }
    }
}
