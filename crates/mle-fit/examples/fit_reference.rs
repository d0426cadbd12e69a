//! Fits every image of a dataset in the seed's layout and prints bias, standard deviation and RMSE per
//! parameter next to the Cramér–Rao bound at the true labels, and the time per fit.
//!
//!     cargo run --release -p mle-fit --example fit_reference -- path/to/galsim_snr60.npz [count]

use std::time::Instant;

use galaxy_data::Dataset;
use mle_fit::{crb, FitOptions, Fitter, NoiseOption};
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};

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
    let label: [f64; 5] = std::array::from_fn(|j| f64::from(data.label[[0, j]]));
    let truth = GalaxyParams::from_array(label);
    let bound = crb(
        &renderer,
        &truth,
        &Psf::moffat(2.0, f64::from(data.psf_r[0])).unwrap(),
        &NoiseOption::Poisson
            .noise(f64::from(data.sigma[0]))
            .unwrap(),
    )
    .unwrap();
    times.sort_by(f64::total_cmp);
    println!("{count} fits, {not_converged} not converged, mean {:.1} iterations; median {:.2} ms per fit", iterations as f64 / count as f64, times[count / 2] * 1e3);
    println!(
        "{:>18} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8}",
        "parameter", "true", "CRB", "bias", "std", "RMSE", "std/CRB", "bias/CRB"
    );
    for (j, name) in sersic_render::PARAM_NAMES.iter().enumerate() {
        let unit = if j == 0 { 1e5 } else { 1.0 };
        let est: Vec<f64> = estimates.iter().map(|e| e[j] / unit).collect();
        let t = f64::from(data.label[[0, j]]) / unit;
        let mean = est.iter().sum::<f64>() / count as f64;
        let std =
            (est.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (count as f64 - 1.0)).sqrt();
        let rmse = (est.iter().map(|e| (e - t).powi(2)).sum::<f64>() / count as f64).sqrt();
        let c = bound.sigma[j] / unit;
        println!(
            "{name:>18} {t:>10.4} {c:>10.4} {:>10.4} {std:>10.4} {rmse:>10.4} {:>8.3} {:>8.3}",
            mean - t,
            std / c,
            (mean - t) / c
        );
    }
}
