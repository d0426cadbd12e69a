//! Fits every image of a dataset in the seed's layout and prints bias, standard deviation and RMSE per
//! parameter next to the Cramér–Rao bound at the true labels, and the time per fit.
//!
//!     cargo run --release -p xtask --bin fit_reference -- path/to/galsim_snr60.npz [count]

use std::time::Instant;

use galaxy_data::Dataset;
use galaxy_eval::{bounds_per_image, ErrorTable};
use mle_fit::{FitOptions, Fitter, NoiseOption};
use sersic_render::{Psf, Renderer, Stamp};

fn main() {
    let path = std::env::args()
        .nth(1)
        .expect("usage: fit_reference FILE.npz [count]");
    let data = Dataset::read(std::path::Path::new(&path)).expect("readable dataset");
    let count: usize = std::env::args()
        .nth(2)
        .and_then(|c| c.parse().ok())
        .unwrap_or(data.len())
        .min(data.len());
    let renderer = Renderer::new(Stamp::default()).unwrap();
    let fitter = Fitter::new(&renderer, FitOptions::default()).unwrap();
    let mut estimates = Vec::new();
    let mut times = Vec::new();
    let mut not_converged = 0;
    let mut iterations = 0;
    for i in 0..count {
        let img = data.img.index_axis(ndarray::Axis(0), i).mapv(f64::from);
        let psf = Psf::moffat(2.0, f64::from(data.psf_r[i])).unwrap();
        let t = Instant::now();
        let fit = fitter
            .fit(img.view(), &psf, f64::from(data.sigma[i]))
            .unwrap();
        times.push(t.elapsed().as_secs_f64());
        not_converged += usize::from(!fit.converged);
        iterations += fit.iterations;
        estimates.push(fit.params);
    }
    let truth = &data.truth()[..count];
    let fwhm = &data.psf_fwhm()[..count];
    let sigma = &data.sigmas()[..count];
    let stamp = Stamp::square(data.image_size(), 0.23);
    let bounds = bounds_per_image(stamp, truth, 2.0, fwhm, sigma, NoiseOption::Poisson)
        .expect("bounds at the true labels");
    let table = ErrorTable::new(&estimates, truth, Some(&bounds));
    times.sort_by(f64::total_cmp);
    println!(
        "{count} fits, {not_converged} not converged, mean {:.1} iterations; median {:.2} ms per fit",
        iterations as f64 / count as f64,
        times[count / 2] * 1e3
    );
    println!(
        "{:>18} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8}",
        "parameter", "true", "CRB", "bias", "std", "RMSE", "std/CRB", "bias/CRB"
    );
    for r in &table.rows {
        let (s, c) = (r.summary, r.crb.unwrap_or(f64::NAN));
        println!(
            "{:>18} {:>10.4} {c:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>8.3} {:>8.3}",
            r.name,
            r.mean_truth,
            s.bias,
            s.std,
            s.rmse,
            s.std / c,
            s.bias / c
        );
    }
}
