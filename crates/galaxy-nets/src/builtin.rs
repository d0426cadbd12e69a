//! The built-in models (cargo feature `builtin`), embedded in the library so that a program — `galaxy
//! predict data.npz` among them — measures images with no training and no download.
//!
//! Two estimators (trained by the commands in docs/models.md): one for the seed's fixed setting (PSF FWHM
//! 0.5, sigma 200: data_v1) and one conditioned on PSF FWHM and sigma over data_v3's ranges. A file whose
//! images all have the fixed setting gets the first, which is the more accurate there; any other file
//! inside data_v3's ranges gets the conditioned one; anything outside them is refused rather than
//! extrapolated. Beside them, a small EDSR denoiser (`galaxy denoise`) and a small autoencoder
//! (`galaxy reconstruct`), both trained over data_v3's ranges and held to them the same way.

use candle_core::Device;

use crate::autoencoder::LoadedAutoencoder;
use crate::card::Parts;
use crate::denoiser::LoadedDenoiser;
use crate::error::NetError;
use crate::estimator::LoadedModel;

/// One embedded model: its name, weights and card.
pub struct BuiltIn {
    /// Short name, printed and written to the card's source.
    pub name: &'static str,
    weights: &'static [u8],
    card: &'static str,
}

/// A [`BuiltIn`] from the files `models/NAME.safetensors` and `models/NAME.json` of this crate.
macro_rules! built_in {
    ($name:literal) => {
        BuiltIn {
            name: $name,
            weights: include_bytes!(concat!("../models/", $name, ".safetensors")),
            card: include_str!(concat!("../models/", $name, ".json")),
        }
    };
}

/// The fixed-PSF, fixed-noise model (data_v1: PSF FWHM 0.5, sigma 200).
pub const FIXED: BuiltIn = built_in!("default-v1");

/// The model conditioned on PSF FWHM (0.5–1.0) and sigma (200–400) (data_v3).
pub const CONDITIONED: BuiltIn = built_in!("default-v3");

/// The network that reads the PSF: stamps of any PSF (given as an image drawn on the stamp's grid), off
/// centre by up to 2 pixels, sigma 100–600; it estimates the offsets too.
pub const PSF_READING: BuiltIn = built_in!("psf-v1");

/// The PSF widths the PSF-reading network accepts, measured on the PSF image it reads (pixels of its
/// stamps): its training family's ([`galaxy_data::psf_family::FAMILY_STAMP_FWHM_PIXELS`], 2.58–6.85 px,
/// the family's 0.45–1.5" FWHM with the pixel's response) widened by 15% each way. The measure is the
/// narrowest half-maximum radius, so an asymmetric PSF (coma, astigmatism) measures narrower than its
/// FWHM; the margin keeps such PSFs of the family's widths, and refuses PSFs far outside it (a
/// space-telescope PSF of a pixel or two, seeing of 2").
pub const PSF_READING_FWHM_PIXELS: (f64, f64) = (
    galaxy_data::psf_family::FAMILY_STAMP_FWHM_PIXELS.0 / 1.15,
    galaxy_data::psf_family::FAMILY_STAMP_FWHM_PIXELS.1 * 1.15,
);

/// An error unless every PSF width (FWHM in stamp pixels, measured on the PSF image the network reads)
/// lies inside the PSF-reading network's training range; the message names the first one outside.
pub fn check_psf_reading_ranges(fwhm_pixels: &[f64], names: &[String]) -> Result<(), NetError> {
    let (lo, hi) = PSF_READING_FWHM_PIXELS;
    for (i, &f) in fwhm_pixels.iter().enumerate() {
        if !(lo..=hi).contains(&f) {
            let name = names
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("image {i}"));
            return Err(NetError::BadInput(format!(
                "{name}: its PSF is {f:.2} pixels FWHM, outside the {lo:.2}-{hi:.2} pixels the built-in \
                 PSF-reading network was trained over; give a model trained for it with --model"
            )));
        }
    }
    Ok(())
}

/// The small EDSR denoiser, trained on (noisy, noiseless) pairs over data_v3's ranges.
pub const DENOISER: BuiltIn = built_in!("denoiser-edsr-small-v3");

/// The small autoencoder (PSF channel, 11 free latent dimensions), trained over data_v3's ranges.
pub const AUTOENCODER: BuiltIn = built_in!("autoencoder-small-v3");

/// data_v3's ranges, with a little room for rounding in stored files.
const PSF_RANGE: (f64, f64) = (0.5 - 1e-3, 1.0 + 1e-3);
const SIGMA_RANGE: (f64, f64) = (200.0 - 0.5, 400.0 + 0.5);

impl BuiltIn {
    /// The network, ready to run.
    pub fn load(&self, device: &Device) -> Result<LoadedModel, NetError> {
        crate::estimator::from_parts(&self.parts(), device)
    }

    /// The built-in denoiser, ready to run.
    pub fn load_denoiser(&self, device: &Device) -> Result<LoadedDenoiser, NetError> {
        crate::denoiser::from_parts(&self.parts(), device)
    }

    /// The built-in autoencoder, ready to run.
    pub fn load_autoencoder(&self, device: &Device) -> Result<LoadedAutoencoder, NetError> {
        crate::autoencoder::from_parts(&self.parts(), device)
    }

    fn parts(&self) -> Parts<'static> {
        Parts::embedded(self.name, self.weights, self.card)
    }
}

/// An error naming the first image outside data_v3's ranges (PSF FWHM 0.5-1.0, sigma 200-400), which
/// every built-in network was trained over; `what` names the network in the message.
pub fn check_ranges(psf_fwhm: &[f64], sigma: &[f64], what: &str) -> Result<(), NetError> {
    let inside = |v: f64, (lo, hi): (f64, f64)| (lo..=hi).contains(&v);
    for (i, (&f, &s)) in psf_fwhm.iter().zip(sigma).enumerate() {
        if !inside(f, PSF_RANGE) || !inside(s, SIGMA_RANGE) {
            return Err(NetError::BadInput(format!(
                "image {i} has PSF FWHM {f} and sigma {s}, outside the training ranges of the built-in \
                 {what} (PSF FWHM 0.5-1.0, sigma 200-400); give one trained for these images with --model"
            )));
        }
    }
    Ok(())
}

/// The built-in model for images with these PSF FWHMs and sigmas; an error naming the first image outside
/// the models' training ranges.
pub fn choose(psf_fwhm: &[f64], sigma: &[f64]) -> Result<&'static BuiltIn, NetError> {
    let fixed = psf_fwhm.iter().all(|&f| (f - 0.5).abs() < 1e-3)
        && sigma.iter().all(|&s| (s - 200.0).abs() < 0.5);
    if fixed {
        return Ok(&FIXED);
    }
    check_ranges(psf_fwhm, sigma, "models")?;
    Ok(&CONDITIONED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_setting_gets_the_fixed_model_and_the_rest_the_conditioned_one() {
        assert_eq!(
            choose(&[0.5, 0.5], &[200.0, 200.0]).unwrap().name,
            "default-v1"
        );
        assert_eq!(
            choose(&[0.5, 0.9], &[200.0, 350.0]).unwrap().name,
            "default-v3"
        );
        assert_eq!(choose(&[0.5], &[400.0]).unwrap().name, "default-v3");
        let err = choose(&[0.5, 1.2], &[200.0, 300.0]).err().unwrap();
        assert!(
            err.is_bad_input() && err.to_string().contains("image 1"),
            "{err}"
        );
        assert!(choose(&[0.7], &[100.0]).is_err());
    }

    #[test]
    fn the_psf_reading_network_loads_with_its_psf_channel_and_offsets() {
        let m = PSF_READING.load(&Device::Cpu).unwrap();
        let cfg = &m.card.estimator;
        assert!(cfg.psf_channel && cfg.offsets && cfg.uncertainty && cfg.conditioning);
        assert_eq!(m.card.error_scale.len(), 7);
        assert!(check_psf_reading_ranges(&[2.3, 7.8], &[]).is_ok());
        let err = check_psf_reading_ranges(&[2.6, 8.5], &["b".into(), "c".into()])
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("c: its PSF is 8.50 pixels"),
            "{err}"
        );
    }

    #[test]
    fn both_built_in_models_load_and_predict_uncertainties() {
        for b in [&FIXED, &CONDITIONED] {
            let m = b
                .load(&Device::Cpu)
                .unwrap_or_else(|e| panic!("{}: {e}", b.name));
            assert!(m.card.estimator.uncertainty, "{}", b.name);
            assert_eq!(m.card.estimator.conditioning, b.name == "default-v3");
        }
    }

    #[test]
    fn the_built_in_denoiser_and_autoencoder_load_with_their_small_presets() {
        let d = DENOISER.load_denoiser(&Device::Cpu).unwrap();
        assert_eq!(
            d.card.denoiser,
            crate::denoiser::DenoiserConfig::by_name("edsr", "small").unwrap()
        );
        let a = AUTOENCODER.load_autoencoder(&Device::Cpu).unwrap();
        assert_eq!(
            a.card.autoencoder,
            crate::models::autoencoder::AutoencoderConfig::small()
        );
        let err = check_ranges(&[0.5, 0.5], &[200.0, 500.0], "denoiser")
            .err()
            .unwrap();
        let msg = err.to_string();
        assert!(err.is_bad_input() && msg.contains("image 1") && msg.contains("denoiser"));
    }
}
