//! What the explorer draws: a validated set of galaxy, PSF, noise and stamp parameters, and the images,
//! profiles and exports made from it.
//!
//! Every request of the API carries a scene as a flat JSON object. Fields left out take the seed's test
//! galaxy (flux 1e5, n 3, hlr 0.3, g1 −0.069, g2 0.15, PSF 0.5, sigma 200, 64 x 64 at 0.23"); a field of the
//! wrong type, out of range, or unknown is an error that names it.

use ndarray::Array2;
use noise_model::CcdNoise;
use rand::SeedableRng;
use rand_pcg::Pcg64;
use serde_json::{Map, Value};
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};

/// A scene that validated field by field but cannot be drawn as a whole.
#[derive(Debug, thiserror::Error)]
pub enum SceneError {
    /// The PSF's parameters.
    #[error(transparent)]
    Psf(#[from] sersic_render::PsfError),
    /// The noise's settings.
    #[error(transparent)]
    Noise(#[from] noise_model::NoiseError),
    /// The galaxy or the stamp.
    #[error(transparent)]
    Render(#[from] sersic_render::RenderError),
}

/// One scene field: its JSON name, default, allowed range and whether it must be a whole number.
struct Field {
    name: &'static str,
    default: f64,
    min: f64,
    max: f64,
    integer: bool,
}

const fn field(name: &'static str, default: f64, min: f64, max: f64) -> Field {
    Field {
        name,
        default,
        min,
        max,
        integer: false,
    }
}

const fn whole(name: &'static str, default: f64, min: f64, max: f64) -> Field {
    Field {
        name,
        default,
        min,
        max,
        integer: true,
    }
}

/// The fields, in the order of [`Scene`]'s members. The ranges keep every request cheap (at most a 192 x 192
/// stamp) and inside what the renderer supports (GalSim's Sérsic index range, |g| < 1).
const FIELDS: [Field; 11] = [
    field("flux", 1e5, 1.0, 1e9),
    field("sersic_index", 3.0, 0.3, 6.2),
    field("half_light_radius", 0.3, 0.02, 5.0),
    field("g1", -0.069, -0.9, 0.9),
    field("g2", 0.15, -0.9, 0.9),
    field("psf_fwhm", 0.5, 0.1, 3.0),
    field("psf_beta", 2.0, 1.5, 10.0),
    field("sigma", 200.0, 0.1, 1e5),
    whole("seed", 0.0, 0.0, 9_007_199_254_740_991.0),
    whole("size", 64.0, 16.0, 192.0),
    field("pixel_scale", 0.23, 0.02, 2.0),
];

/// The largest |g| accepted (axis ratio ≥ 0.05).
const MAX_SHEAR: f64 = 0.9;

/// A field that failed validation, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// The JSON field.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    fn new(field: &str, message: impl Into<String>) -> Self {
        FieldError {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// A validated scene.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scene {
    /// The galaxy (flux in counts, n, hlr in arcsec, g1, g2).
    pub galaxy: GalaxyParams,
    /// Moffat PSF FWHM, arcsec.
    pub psf_fwhm: f64,
    /// Moffat PSF beta.
    pub psf_beta: f64,
    /// Read-noise sigma, counts (Poisson noise of the galaxy on top, as in the seed).
    pub sigma: f64,
    /// Seed of the noise realisation.
    pub seed: u64,
    /// The stamp.
    pub stamp: Stamp,
}

impl Default for Scene {
    fn default() -> Self {
        Scene::from_json(&Map::new()).expect("the defaults are valid")
    }
}

impl Scene {
    /// Reads and validates a scene from a JSON object; missing fields take their defaults.
    pub fn from_json(object: &Map<String, Value>) -> Result<Scene, FieldError> {
        if let Some(unknown) = object
            .keys()
            .find(|k| !FIELDS.iter().any(|f| f.name == k.as_str()))
        {
            return Err(FieldError::new(
                unknown,
                format!(
                    "unknown field; expected some of {}",
                    FIELDS.map(|f| f.name).join(", ")
                ),
            ));
        }
        let mut v = [0.0; FIELDS.len()];
        for (slot, f) in v.iter_mut().zip(&FIELDS) {
            *slot = match object.get(f.name) {
                None | Some(Value::Null) => f.default,
                Some(value) => read_number(f, value)?,
            };
        }
        let (g1, g2) = (v[3], v[4]);
        if g1.hypot(g2) > MAX_SHEAR {
            return Err(FieldError::new(
                "g2",
                format!(
                    "|g| = sqrt(g1² + g2²) = {:.3} must be at most {MAX_SHEAR}",
                    g1.hypot(g2)
                ),
            ));
        }
        Ok(Scene {
            galaxy: GalaxyParams::new(v[0], v[1], v[2], g1, g2),
            psf_fwhm: v[5],
            psf_beta: v[6],
            sigma: v[7],
            seed: v[8] as u64,
            stamp: Stamp::square(v[9] as usize, v[10]),
        })
    }

    /// The scene as the JSON object it was read from (every field present).
    pub fn to_json(self) -> Value {
        let g = &self.galaxy;
        serde_json::json!({
            "flux": g.flux, "sersic_index": g.sersic_index, "half_light_radius": g.half_light_radius,
            "g1": g.g1, "g2": g.g2, "psf_fwhm": self.psf_fwhm, "psf_beta": self.psf_beta,
            "sigma": self.sigma, "seed": self.seed, "size": self.stamp.width,
            "pixel_scale": self.stamp.scale,
        })
    }

    /// The PSF.
    pub fn psf(&self) -> Result<Psf, SceneError> {
        Ok(Psf::moffat(self.psf_beta, self.psf_fwhm)?)
    }

    /// The noise: Poisson noise of the galaxy plus Gaussian read noise, as in the seed's data.
    pub fn noise(&self) -> Result<CcdNoise, SceneError> {
        Ok(CcdNoise::poisson_gaussian(self.sigma)?)
    }

    /// The noiseless image, the noisy one (the same realisation for the same seed) and the PSF.
    pub fn draw(&self, renderer: &Renderer) -> Result<Drawn, SceneError> {
        let psf = self.psf()?;
        let noiseless = renderer.render(&self.galaxy, &psf)?;
        let mut noisy = noiseless.clone();
        let mut rng = Pcg64::seed_from_u64(self.seed);
        self.noise()?.apply(&mut noisy, &mut rng)?;
        let psf_image = renderer.render_psf(&psf)?;
        let snr = noise_model::snr::seed_snr(&noiseless, self.sigma)?;
        Ok(Drawn {
            noiseless,
            noisy,
            psf: psf_image,
            snr,
        })
    }
}

fn read_number(f: &Field, value: &Value) -> Result<f64, FieldError> {
    let x = value
        .as_f64()
        .ok_or_else(|| FieldError::new(f.name, format!("must be a number, got {value}")))?;
    if !x.is_finite() {
        return Err(FieldError::new(f.name, "must be finite"));
    }
    if f.integer && x.fract() != 0.0 {
        return Err(FieldError::new(
            f.name,
            format!("must be a whole number, got {x}"),
        ));
    }
    if !(f.min..=f.max).contains(&x) {
        return Err(FieldError::new(
            f.name,
            format!("must be in [{}, {}], got {x}", f.min, f.max),
        ));
    }
    Ok(x)
}

/// The three images of a scene and its SNR.
pub struct Drawn {
    /// The expected image, counts per pixel.
    pub noiseless: Array2<f64>,
    /// One noisy realisation.
    pub noisy: Array2<f64>,
    /// The PSF drawn alone (unit flux, pixel response included).
    pub psf: Array2<f64>,
    /// The seed's SNR, sqrt(Σ model²) / sigma.
    pub snr: f64,
}

/// Axis ratio q = b/a and position angle (degrees, counter-clockwise from +x) of a reduced shear.
pub fn axis_ratio_and_angle(g1: f64, g2: f64) -> (f64, f64) {
    let g = g1.hypot(g2);
    ((1.0 - g) / (1.0 + g), 0.5 * g2.atan2(g1).to_degrees())
}

/// Mean pixel value in rings one pixel wide about the stamp's centre (GalSim's true centre): the
/// azimuthally averaged profile, from the centre out to the stamp's edge. Returns (radius in pixels of each
/// ring's middle, mean).
pub fn radial_profile(image: &Array2<f64>) -> Vec<(f64, f64)> {
    let (h, w) = image.dim();
    let (cy, cx) = (h as f64 / 2.0, w as f64 / 2.0);
    let rings = h.min(w) / 2;
    let mut sum = vec![0.0; rings];
    let mut count = vec![0usize; rings];
    for ((y, x), v) in image.indexed_iter() {
        // GalSim puts the true centre of an even stamp at pixel (n/2, n/2) counted from 0 at the first
        // pixel's centre, which is a corner between four pixels in array indices + 0.5.
        let r = (y as f64 + 0.5 - cy).hypot(x as f64 + 0.5 - cx);
        let k = r as usize;
        if k < rings {
            sum[k] += v;
            count[k] += 1;
        }
    }
    (0..rings)
        .filter(|&k| count[k] > 0)
        .map(|k| (k as f64 + 0.5, sum[k] / count[k] as f64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(text: &str) -> Map<String, Value> {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn defaults_are_the_seeds_test_galaxy() {
        let s = Scene::default();
        assert_eq!(s.galaxy.to_array(), [1e5, 3.0, 0.3, -0.069, 0.15]);
        assert_eq!((s.psf_fwhm, s.sigma, s.stamp.width), (0.5, 200.0, 64));
        let again = Scene::from_json(s.to_json().as_object().unwrap()).unwrap();
        assert_eq!(again, s);
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases = [
            (r#"{"flux": -3}"#, "flux"),
            (r#"{"sersic_index": 9}"#, "sersic_index"),
            (r#"{"half_light_radius": "big"}"#, "half_light_radius"),
            (r#"{"g1": 0.8, "g2": 0.8}"#, "g2"),
            (r#"{"size": 64.5}"#, "size"),
            (r#"{"size": 4096}"#, "size"),
            (r#"{"seed": -1}"#, "seed"),
            (r#"{"sigma": true}"#, "sigma"),
            (r#"{"colour": 1}"#, "colour"),
        ];
        for (text, name) in cases {
            let err = Scene::from_json(&object(text)).unwrap_err();
            assert_eq!(err.field, name, "{text}: {err:?}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_noise_and_snr_matches_the_definition() {
        let s = Scene::default();
        let r = Renderer::new(s.stamp).unwrap();
        let (a, b) = (s.draw(&r).unwrap(), s.draw(&r).unwrap());
        assert_eq!(a.noisy, b.noisy);
        let other = Scene { seed: 1, ..s }.draw(&r).unwrap();
        assert_ne!(a.noisy, other.noisy);
        let snr = a.noiseless.iter().map(|v| v * v).sum::<f64>().sqrt() / 200.0;
        assert!(
            (a.snr - snr).abs() < 1e-9 && (a.snr - 59.9).abs() < 1.0,
            "{}",
            a.snr
        );
        assert!((a.psf.sum() - 1.0).abs() < 0.02);
    }

    #[test]
    fn a_flat_image_has_a_flat_profile_and_q_follows_g() {
        let p = radial_profile(&Array2::from_elem((64, 64), 2.0));
        assert_eq!(p.len(), 32);
        assert!(p.iter().all(|&(_, v)| (v - 2.0).abs() < 1e-12));
        let (q, angle) = axis_ratio_and_angle(0.0, 0.5);
        assert!((q - 1.0 / 3.0).abs() < 1e-12 && (angle - 45.0).abs() < 1e-12);
    }
}
