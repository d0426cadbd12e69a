//! Simulates 100 noisy images of the seed's SNR 60 test galaxy, fits them, and prints the seed's table:
//! bias, std and RMSE per parameter beside the Cramér–Rao bound (flux in units of 1e5). A fit at the
//! bound has RMSE / CRB near 1.
//!
//!     cargo run --release -p galaxy-eval --example score_fits
use galaxy_data::{Preset, Simulator};
use galaxy_eval::{bounds_per_image, ErrorTable};
use mle_fit::{FitOptions, Fitter, NoiseOption};
use sersic_render::{Psf, Renderer, Stamp};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Simulator::new(Preset::Snr60.settings(), 11)?.batch(0..100)?;
    let stamp = Stamp::default();
    let renderer = Renderer::new(stamp)?;
    let fitter = Fitter::new(&renderer, FitOptions::default())?;
    let (fwhm, sigma) = (data.psf_fwhm(), data.sigmas());
    let psfs = fwhm
        .iter()
        .map(|&f| Psf::moffat(2.0, f))
        .collect::<Result<Vec<_>, _>>()?;
    let fits = fitter.fit_all(data.img.view(), &psfs, &sigma, &|| {})?;
    let estimates: Vec<[f64; 5]> = fits.iter().map(|f| f.params).collect();
    let truth = data.truth();
    let crb = bounds_per_image(stamp, &truth, 2.0, &fwhm, &sigma, NoiseOption::Poisson)?;
    let table = ErrorTable::new(&estimates, &truth, Some(&crb));
    println!(
        "{} fits of the SNR 60 galaxy; flux in units of 1e5",
        table.images
    );
    println!(
        "{:<18} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10}",
        "parameter", "truth", "bias", "std", "RMSE", "CRB", "RMSE/CRB"
    );
    for r in &table.rows {
        let (s, c) = (r.summary, r.crb.unwrap_or(f64::NAN));
        println!(
            "{:<18} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>10.2}",
            r.name,
            r.mean_truth,
            s.bias,
            s.std,
            s.rmse,
            c,
            s.rmse / c
        );
    }
    Ok(())
}
