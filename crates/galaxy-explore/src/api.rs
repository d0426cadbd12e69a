//! The JSON API under /api that the page uses (docs/explore.md documents it).
//!
//! Every endpoint takes a scene (see [`Scene`]) as a JSON object in the POST body. The work runs on
//! tokio's blocking pool: a fit takes tens of milliseconds and must not stall the other requests, and a
//! panic there becomes a 500 answer instead of taking the server down.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use candle_core::Device;
use galaxy_nets::builtin as defaults;
use galaxy_nets::LoadedModel;
use mle_fit::{Bounds, FitOptions, Fitter};
use ndarray::{Array2, Array3};
use serde_json::{json, Value};
use sersic_render::{Renderer, Stamp, PARAM_NAMES};

use crate::export;
use crate::scene::{axis_ratio_and_angle, radial_profile, FieldError, Scene};

/// What the handlers share: renderers per stamp (each owns its caches) and the networks.
pub struct AppState {
    renderers: Mutex<HashMap<(usize, u64), Arc<Renderer>>>,
    /// A model given with --model, used for every prediction.
    custom: Option<(String, Arc<LoadedModel>)>,
    /// The built-in models, loaded on first use.
    built_in: [OnceLock<Result<Arc<LoadedModel>, String>>; 2],
    device: Device,
}

impl AppState {
    /// State with an optional --model (its name, the loaded network).
    pub fn new(custom: Option<(String, LoadedModel)>) -> Self {
        AppState {
            renderers: Mutex::new(HashMap::new()),
            custom: custom.map(|(name, m)| (name, Arc::new(m))),
            built_in: [OnceLock::new(), OnceLock::new()],
            device: Device::Cpu,
        }
    }

    /// The renderer for a stamp, made once and kept (a handful of stamps at most in practice; the map is
    /// emptied past 32 so a client cycling through sizes cannot grow it without bound).
    fn renderer(&self, stamp: Stamp) -> Result<Arc<Renderer>, ApiError> {
        let key = (stamp.width, stamp.scale.to_bits());
        let mut map = self
            .renderers
            .lock()
            .map_err(|_| ApiError::internal("renderer cache poisoned"))?;
        if let Some(r) = map.get(&key) {
            return Ok(r.clone());
        }
        if map.len() >= 32 {
            map.clear();
        }
        let r = Arc::new(Renderer::new(stamp).map_err(|e| ApiError::field("size", e.to_string()))?);
        map.insert(key, r.clone());
        Ok(r)
    }

    /// The network for a scene: --model if given, else the built-in model for its PSF and sigma, which
    /// only measure the seed's geometry (64 x 64 stamps of 0.23", Moffat beta 2).
    fn network(&self, scene: &Scene) -> Result<(String, Arc<LoadedModel>), ApiError> {
        if let Some((name, m)) = &self.custom {
            let size = m.card.estimator.image_size;
            if scene.stamp.width != size {
                return Err(ApiError::field(
                    "size",
                    format!("the model {name} reads {size} x {size} stamps"),
                ));
            }
            return Ok((name.clone(), m.clone()));
        }
        let seed_geometry = [
            ("size", scene.stamp.width as f64, 64.0),
            ("pixel_scale", scene.stamp.scale, 0.23),
            ("psf_beta", scene.psf_beta, 2.0),
        ];
        for (field, value, want) in seed_geometry {
            if (value - want).abs() > 1e-9 {
                return Err(ApiError::field(
                    field,
                    format!(
                        "the built-in networks were trained on 64 x 64 stamps of 0.23 arcsec with a \
                         Moffat beta 2 PSF; {field} is {value}, not {want}"
                    ),
                ));
            }
        }
        let chosen = defaults::choose(&[scene.psf_fwhm], &[scene.sigma]).map_err(|e| {
            let field = if (0.5 - 1e-3..=1.0 + 1e-3).contains(&scene.psf_fwhm) {
                "sigma"
            } else {
                "psf_fwhm"
            };
            ApiError::field(field, e.to_string())
        })?;
        let slot = usize::from(chosen.name != defaults::FIXED.name);
        let model = self.built_in[slot]
            .get_or_init(|| {
                chosen
                    .load(&self.device)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(ApiError::internal)?;
        Ok((chosen.name.to_string(), model))
    }
}

/// An API error: HTTP status and a JSON body {"error": ..., "field": ...}.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    field: Option<String>,
    message: String,
}

impl ApiError {
    fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            field: None,
            message: message.into(),
        }
    }

    fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            field: None,
            message: message.into(),
        }
    }
}

/// A scene that cannot be drawn is the request's fault.
impl From<crate::scene::SceneError> for ApiError {
    fn from(e: crate::scene::SceneError) -> Self {
        ApiError::bad(e.to_string())
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        let message = format!("{}: {}", e.field, e.message);
        ApiError::field(&e.field, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.message, "field": self.field})),
        )
            .into_response()
    }
}

/// The request body, or the JSON error for one that could not be read (over the size limit: 413).
type Body = Result<Bytes, BytesRejection>;

/// The scene in a request body (an empty body is the default scene).
fn scene_from(body: &Body) -> Result<Scene, ApiError> {
    let body = body.as_ref().map_err(|e| ApiError {
        status: e.status(),
        field: None,
        message: format!("the body could not be read: {}", e.body_text()),
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Scene::default());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad(format!("the body is not valid JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| ApiError::bad("the body must be a JSON object of scene fields"))?;
    Ok(Scene::from_json(object)?)
}

/// Runs `work` on the blocking pool; a panic there is a 500, not a dead server.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(format!("the request failed: {e}")))?
}

fn pixels(image: &Array2<f64>) -> Vec<f32> {
    image.iter().map(|&v| v as f32).collect()
}

fn by_name(values: [f64; 5]) -> Value {
    PARAM_NAMES
        .iter()
        .zip(values)
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// GET /api: the endpoints and the scene fields.
pub async fn index() -> Json<Value> {
    Json(json!({
        "endpoints": {
            "POST /api/render": "noiseless, noisy and PSF images (row-major float32 arrays), SNR, g1, g2, q, angle",
            "POST /api/fit": "maximum-likelihood fit of the noisy image: estimate, errors, residual image, radial profiles",
            "POST /api/predict": "the network's estimate and calibrated errors for the noisy image",
            "POST /api/crb": "the Cramér–Rao bound of the scene's galaxy",
            "POST /api/export/npy": "the noisy image as a float32 .npy file",
            "POST /api/export/fits": "the noisy image as a FITS file with the scene in its header",
        },
        "scene": Scene::default().to_json(),
        "body": "a JSON object with any of the scene's fields; the rest take the values above",
    }))
}

/// POST /api/render.
pub async fn render(
    State(state): State<Arc<AppState>>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let scene = scene_from(&body)?;
    blocking(move || {
        let renderer = state.renderer(scene.stamp)?;
        let drawn = scene.draw(&renderer)?;
        let (q, angle) = axis_ratio_and_angle(scene.galaxy.g1, scene.galaxy.g2);
        Ok(Json(json!({
            "scene": scene.to_json(),
            "size": scene.stamp.width,
            "snr": drawn.snr,
            "g1": scene.galaxy.g1, "g2": scene.galaxy.g2, "q": q, "angle_deg": angle,
            "images": {
                "noiseless": pixels(&drawn.noiseless),
                "noisy": pixels(&drawn.noisy),
                "psf": pixels(&drawn.psf),
            },
        })))
    })
    .await
}

/// The fit's box: the renderer's whole n range, the scene's hlr range, shears up to 0.69 per component, and
/// a flux range from the image's own pixel sum (the truth is not used).
fn fit_bounds(noisy: &Array2<f64>, scene: &Scene) -> Result<Bounds, ApiError> {
    let total = noisy.sum().abs() + 3.0 * scene.sigma * scene.stamp.width as f64;
    Bounds::new(
        [(0.05 * total).max(1.0), 0.3, 0.02, -0.69, -0.69],
        [20.0 * total, 6.2, 5.0, 0.69, 0.69],
    )
    .map_err(|e| ApiError::internal(e.to_string()))
}

/// POST /api/fit.
pub async fn fit(State(state): State<Arc<AppState>>, body: Body) -> Result<Json<Value>, ApiError> {
    let scene = scene_from(&body)?;
    blocking(move || {
        let renderer = state.renderer(scene.stamp)?;
        let drawn = scene.draw(&renderer)?;
        let psf = scene.psf()?;
        let options = FitOptions {
            bounds: fit_bounds(&drawn.noisy, &scene)?,
            ..FitOptions::default()
        };
        let fitter = Fitter::new(&renderer, options).map_err(|e| ApiError::internal(e.to_string()))?;
        let result = fitter
            .fit(drawn.noisy.view(), &psf, scene.sigma)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let model = renderer
            .render(&sersic_render::GalaxyParams::from_array(result.params), &psf)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let residual = &drawn.noisy - &model;
        let data_profile = radial_profile(&drawn.noisy);
        let model_profile = radial_profile(&model);
        let finite = |v: [f64; 5]| v.map(|x| if x.is_finite() { x } else { f64::NAN });
        Ok(Json(json!({
            "estimate": by_name(result.params),
            "errors": by_name(finite(result.errors)),
            "nll": result.nll,
            "iterations": result.iterations,
            "converged": result.converged,
            "message": result.message,
            "residual": pixels(&residual),
            "profile": {
                "radius_arcsec": data_profile.iter().map(|p| p.0 * scene.stamp.scale).collect::<Vec<_>>(),
                "data": data_profile.iter().map(|p| p.1).collect::<Vec<_>>(),
                "model": model_profile.iter().map(|p| p.1).collect::<Vec<_>>(),
            },
        })))
    })
    .await
}

/// POST /api/predict.
pub async fn predict(
    State(state): State<Arc<AppState>>,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let scene = scene_from(&body)?;
    blocking(move || {
        let (name, model) = state.network(&scene)?;
        let renderer = state.renderer(scene.stamp)?;
        let drawn = scene.draw(&renderer)?;
        let size = scene.stamp.width;
        let img = Array3::from_shape_vec((1, size, size), pixels(&drawn.noisy))
            .map_err(|e| ApiError::internal(e.to_string()))?;
        let p = galaxy_nets::estimator::predict(
            &model,
            img.view(),
            &[scene.psf_fwhm as f32],
            &[scene.sigma as f32],
            1,
            &state.device,
            &mut |_| {},
        )
        .map_err(|e| ApiError::internal(e.to_string()))?;
        let p = p[0];
        Ok(Json(json!({
            "model": name,
            "estimate": by_name(p.params),
            "errors": p.errors.map(by_name),
        })))
    })
    .await
}

/// POST /api/crb.
pub async fn crb(State(state): State<Arc<AppState>>, body: Body) -> Result<Json<Value>, ApiError> {
    let scene = scene_from(&body)?;
    blocking(move || {
        let renderer = state.renderer(scene.stamp)?;
        let psf = scene.psf()?;
        let noise = scene.noise()?;
        let bound = mle_fit::crb(&renderer, &scene.galaxy, &psf, &noise)
            .map_err(|e| ApiError::bad(e.to_string()))?;
        let finite = bound
            .sigma
            .map(|x| if x.is_finite() { x } else { f64::NAN });
        Ok(Json(json!({"crb": by_name(finite)})))
    })
    .await
}

/// POST /api/export/{npy|fits}: the noisy image as a download.
pub async fn export(
    State(state): State<Arc<AppState>>,
    Path(format): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    if format != "npy" && format != "fits" {
        return Err(ApiError::field(
            "format",
            format!("unknown export format '{format}'; expected npy or fits"),
        ));
    }
    let scene = scene_from(&body)?;
    blocking(move || {
        let renderer = state.renderer(scene.stamp)?;
        let drawn = scene.draw(&renderer)?;
        let bytes = if format == "npy" {
            export::npy_bytes(&drawn.noisy).map_err(|e| ApiError::internal(e.to_string()))?
        } else {
            export::fits_bytes(&drawn.noisy, &scene)
                .map_err(|e| ApiError::internal(e.to_string()))?
        };
        let name = format!("attachment; filename=\"galaxy-noisy.{format}\"");
        Ok((
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (header::CONTENT_DISPOSITION, name),
            ],
            bytes,
        )
            .into_response())
    })
    .await
}
