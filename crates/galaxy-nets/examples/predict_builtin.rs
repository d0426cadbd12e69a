//! Measures 500 simulated images of the seed's SNR 30 test galaxy with the built-in network the library
//! picks for their PSF and noise (no training, no download), and prints the mean estimate, its scatter
//! and the mean predicted (calibrated) error beside the truth.
//!
//!     cargo run --release -p galaxy-nets --features builtin --example predict_builtin
use candle_core::Device;
use galaxy_data::{Preset, Simulator};
use galaxy_nets::builtin;
use galaxy_nets::estimator::predict_dataset;
use sersic_render::PARAM_NAMES;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = Simulator::new(Preset::Snr30.settings(), 5)?.batch(0..500)?;
    let (fwhm, sigma) = (data.psf_fwhm(), data.sigmas());
    let chosen = builtin::choose(&fwhm, &sigma)?;
    let model = chosen.load(&Device::Cpu)?;
    let preds = predict_dataset(&model, &data, 256, &Device::Cpu)?;
    println!(
        "{} images measured with the built-in {}",
        preds.len(),
        chosen.name
    );
    println!(
        "{:<18} {:>10} {:>10} {:>10} {:>12}",
        "parameter", "truth", "mean", "scatter", "mean error"
    );
    let n = preds.len() as f64;
    for (j, name) in PARAM_NAMES.iter().enumerate() {
        let mean = preds.iter().map(|p| p.params[j]).sum::<f64>() / n;
        let scatter = (preds
            .iter()
            .map(|p| (p.params[j] - mean).powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        let error = preds
            .iter()
            .filter_map(|p| p.errors)
            .map(|e| e[j])
            .sum::<f64>()
            / n;
        println!(
            "{name:<18} {:>10.4} {mean:>10.4} {scatter:>10.4} {error:>12.4}",
            data.label[[0, j]]
        );
    }
    Ok(())
}
