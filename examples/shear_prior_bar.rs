//! How the best achievable shear error at one galaxy depends on the shear prior: the posterior mean of
//! every image of a file under the seed's prior with its shear replaced by a Gaussian of each given spread
//! per component (truncated at |g| < 0.67), and the RMSE of each parameter against the file's labels.
//!
//! A narrower shear prior pulls estimates towards g = 0: smaller scatter, larger bias. At a galaxy with a
//! small shear it lowers the error there and raises it for the elongated galaxies of the population, so a
//! figure reached this way belongs to the prior, not to the estimator (docs/models.md).
//!
//! cargo run --release --example shear_prior_bar -- FILE.npz 0.25 0.2 0.15
use galaxy_data::{Dataset, Preset, ShapePrior};
use galaxy_toolkit::sersic_render::{Psf, Renderer, Stamp, PARAM_NAMES};
use mle_fit::{PosteriorOptions, PosteriorSampler};
use ndarray::Axis;
use rayon::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, spreads) = args
        .split_first()
        .ok_or("usage: shear_prior_bar FILE.npz SPREAD [SPREAD ...]")?;
    let spreads: Vec<f64> = spreads
        .iter()
        .map(|s| s.parse::<f64>().map_err(|e| format!("spread '{s}': {e}")))
        .collect::<Result<_, _>>()?;
    if spreads.is_empty() || spreads.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
        return Err("give one or more shear spreads > 0".into());
    }
    let data = Dataset::read(std::path::Path::new(path))?;
    let settings = Preset::DataV1.settings().with_continuous_n();
    let mut prior = settings.prior;
    // Only the shear's density is replaced below; the disk bounds it as the seed's |g| < 0.67 does.
    prior.shape = ShapePrior::Disk { radius: 0.67 };
    let renderer = Renderer::new(Stamp::default())?;
    let options = PosteriorOptions {
        snr_window: settings.snr_window.map(|w| (w.lo, w.hi)),
        ..PosteriorOptions::default()
    };
    let sampler = PosteriorSampler::new(&renderer, options)?;
    for spread in spreads {
        let ln_prior = |t: [f64; 5]| {
            prior.ln_density(t) - (t[3] * t[3] + t[4] * t[4]) / (2.0 * spread * spread)
        };
        let means: Vec<[f64; 5]> = (0..data.len())
            .into_par_iter()
            .map(|i| {
                let image = data.img.index_axis(Axis(0), i).mapv(f64::from);
                let psf = Psf::moffat(2.0, f64::from(data.psf_r[i])).map_err(|e| e.to_string())?;
                sampler
                    .summarize(
                        image.view(),
                        &psf,
                        f64::from(data.sigma[i]),
                        &ln_prior,
                        i as u64,
                    )
                    .map(|s| s.mean)
                    .map_err(|e| format!("image {i}: {e}"))
            })
            .collect::<Result<_, String>>()?;
        let rmse: Vec<String> = (0..5)
            .map(|p| {
                let unit = if p == 0 { 1e5 } else { 1.0 };
                let mse = means
                    .iter()
                    .zip(data.label.axis_iter(Axis(0)))
                    .map(|(m, l)| ((m[p] - f64::from(l[p])) / unit).powi(2))
                    .sum::<f64>()
                    / means.len() as f64;
                format!("{} {:.4}", PARAM_NAMES[p], mse.sqrt())
            })
            .collect();
        println!("shear spread {spread}: RMSE {}", rmse.join(", "));
    }
    Ok(())
}
