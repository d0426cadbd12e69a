//! The Cramér–Rao bound of every image of a labelled set, each distinct (galaxy, PSF, sigma) once.

use std::collections::HashMap;

use mle_fit::NoiseOption;
use rayon::prelude::*;
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};

use crate::error::EvalError;

/// The 1-sigma Cramér–Rao bound at the true parameters of every image: `truth[i]` drawn on `stamp`
/// through a Moffat PSF (`psf_beta`, `psf_fwhm[i]`) with noise `sigma[i]` under `noise` (the exact
/// Poisson likelihood is bounded as `poisson`). A set of one galaxy costs one bound; the distinct ones
/// are computed in parallel on the current rayon pool.
pub fn bounds_per_image(
    stamp: Stamp,
    truth: &[[f64; 5]],
    psf_beta: f64,
    psf_fwhm: &[f64],
    sigma: &[f64],
    noise: NoiseOption,
) -> Result<Vec<[f64; 5]>, EvalError> {
    let n = truth.len();
    if psf_fwhm.len() != n || sigma.len() != n {
        return Err(EvalError::BadInput(format!(
            "{n} labels, {} PSF FWHMs and {} sigmas: one of each per image",
            psf_fwhm.len(),
            sigma.len()
        )));
    }
    let noise = match noise {
        NoiseOption::Gaussian => NoiseOption::Gaussian,
        _ => NoiseOption::Poisson,
    };
    let renderer = Renderer::new(stamp).map_err(mle_fit::FitError::from)?;
    let key = |i: usize| -> [u64; 7] {
        let t = truth[i];
        [t[0], t[1], t[2], t[3], t[4], psf_fwhm[i], sigma[i]].map(f64::to_bits)
    };
    let mut firsts: HashMap<[u64; 7], usize> = HashMap::new();
    for i in 0..n {
        firsts.entry(key(i)).or_insert(i);
    }
    let firsts: Vec<usize> = firsts.into_values().collect();
    let computed: HashMap<[u64; 7], [f64; 5]> = firsts
        .par_iter()
        .map(|&i| {
            let psf = Psf::moffat(psf_beta, psf_fwhm[i])
                .map_err(|e| EvalError::BadInput(format!("image {i}: {e}")))?;
            let nm = noise.noise(sigma[i])?;
            let b = mle_fit::crb(&renderer, &GalaxyParams::from_array(truth[i]), &psf, &nm)?;
            Ok((key(i), b.sigma))
        })
        .collect::<Result<_, EvalError>>()?;
    Ok((0..n).map(|i| computed[&key(i)]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_galaxy_is_bounded_once_and_the_stamp_matters() {
        let truth = vec![[1e5, 3.0, 0.3, -0.069, 0.15]; 3];
        let stamp = Stamp::default();
        let b = bounds_per_image(
            stamp,
            &truth,
            2.0,
            &[0.5; 3],
            &[200.0; 3],
            NoiseOption::Poisson,
        )
        .unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(b[0], b[2]);
        assert!((b[0][0] / 5650.0 - 1.0).abs() < 0.02, "{:?}", b[0]);
        let small = Stamp::square(16, 0.23);
        let c = bounds_per_image(
            small,
            &truth[..1],
            2.0,
            &[0.5],
            &[200.0],
            NoiseOption::Poisson,
        )
        .unwrap();
        assert!(c[0][2] != b[0][2], "a cut stamp bounds differently");
        let err = bounds_per_image(
            stamp,
            &truth,
            2.0,
            &[0.5],
            &[200.0; 3],
            NoiseOption::Poisson,
        )
        .unwrap_err();
        assert!(err.is_bad_input(), "{err}");
    }
}
