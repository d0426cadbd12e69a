//! Many images at once: fits or posterior summaries of a stack [N, S, S], in parallel on the current
//! rayon pool, each image with its own PSF and noise.

use ndarray::{ArrayView3, Axis};
use rayon::prelude::*;
use sersic_render::Psf;

use crate::error::FitError;
use crate::fit::{FitResult, Fitter};
use crate::posterior::{LogPrior, PosteriorSampler, PosteriorSummary};

/// Runs `one(i, image)` on every image of `img` (as f64) in parallel, calling `done` after each; an
/// image's error comes back as [`FitError::Image`] naming it by `first` + its index (its index in the
/// whole file, when `img` is a shard's part of it).
fn each<T: Send>(
    first: usize,
    img: ArrayView3<'_, f32>,
    done: &(dyn Fn() + Sync),
    one: impl Fn(usize, ndarray::ArrayView2<'_, f64>) -> Result<T, FitError> + Sync,
) -> Result<Vec<T>, FitError> {
    (0..img.len_of(Axis(0)))
        .into_par_iter()
        .map(|i| {
            let image = img.index_axis(Axis(0), i).mapv(f64::from);
            let out = one(i, image.view());
            done();
            out.map_err(|e| FitError::Image {
                index: first + i,
                source: Box::new(e),
            })
        })
        .collect()
}

fn check_lengths(n: usize, psfs: &[Psf], sigma: &[f64]) -> Result<(), FitError> {
    if psfs.len() != n || sigma.len() != n {
        return Err(FitError::BadInput(format!(
            "{n} images, {} PSFs and {} sigmas: one of each per image",
            psfs.len(),
            sigma.len()
        )));
    }
    Ok(())
}

impl Fitter<'_> {
    /// Fits every image of `img` [N, S, S] (`psfs[i]`, `sigma[i]` for image i) in parallel on the
    /// current rayon pool, calling `done` after each image (a progress bar's tick).
    pub fn fit_all(
        &self,
        img: ArrayView3<'_, f32>,
        psfs: &[Psf],
        sigma: &[f64],
        done: &(dyn Fn() + Sync),
    ) -> Result<Vec<FitResult>, FitError> {
        self.fit_all_from(0, img, psfs, sigma, None, done)
    }

    /// [`fit_all`](Self::fit_all) for images `first..` of a larger file (a shard's part): errors name
    /// the images by their index in the file. With `starts`, image i is fitted from `starts[i]` (see
    /// [`Fitter::fit_from`]; e.g. a network's estimates) instead of the moments' scouted starts.
    pub fn fit_all_from(
        &self,
        first: usize,
        img: ArrayView3<'_, f32>,
        psfs: &[Psf],
        sigma: &[f64],
        starts: Option<&[[f64; 5]]>,
        done: &(dyn Fn() + Sync),
    ) -> Result<Vec<FitResult>, FitError> {
        check_lengths(img.len_of(Axis(0)), psfs, sigma)?;
        if let Some(starts) = starts.filter(|s| s.len() != psfs.len()) {
            return Err(FitError::BadInput(format!(
                "{} images and {} starts: one start per image",
                psfs.len(),
                starts.len()
            )));
        }
        each(first, img, done, |i, image| match starts {
            Some(starts) => self.fit_from(image, &psfs[i], sigma[i], starts[i]),
            None => self.fit(image, &psfs[i], sigma[i]),
        })
    }
}

impl PosteriorSampler<'_> {
    /// The posterior summary of every image of `img` [N, S, S] in parallel on the current rayon pool;
    /// image i draws from stream i, so the result does not depend on the thread count.
    pub fn summarize_all(
        &self,
        img: ArrayView3<'_, f32>,
        psfs: &[Psf],
        sigma: &[f64],
        prior: &dyn LogPrior,
        done: &(dyn Fn() + Sync),
    ) -> Result<Vec<PosteriorSummary>, FitError> {
        self.summarize_all_from(0, img, psfs, sigma, prior, done)
    }

    /// [`summarize_all`](Self::summarize_all) for images `first..` of a larger file (a shard's part):
    /// image i of the part draws from stream `first + i`, as it does in a run over the whole file, so
    /// the parts of a sharded run give the unsharded run's summaries exactly.
    pub fn summarize_all_from(
        &self,
        first: usize,
        img: ArrayView3<'_, f32>,
        psfs: &[Psf],
        sigma: &[f64],
        prior: &dyn LogPrior,
        done: &(dyn Fn() + Sync),
    ) -> Result<Vec<PosteriorSummary>, FitError> {
        check_lengths(img.len_of(Axis(0)), psfs, sigma)?;
        each(first, img, done, |i, image| {
            self.summarize(image, &psfs[i], sigma[i], prior, (first + i) as u64)
        })
    }
}
