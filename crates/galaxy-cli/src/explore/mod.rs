//! `galaxy explore`: a local web app to draw a galaxy, see it through PSF and noise, and measure it.
//!
//! One axum server on loopback serves the page (HTML, JS and CSS compiled into the binary, so it works
//! offline) and the JSON API of [`api`] that the page calls.

mod api;
mod export;
mod scene;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use clap::Args;

use crate::nets::net_error;
use crate::CliError;

/// Arguments of `galaxy explore`.
#[derive(Args, Debug)]
pub struct ExploreArgs {
    /// Address to listen on (loopback by default: the API runs fits on request).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0: any free port; the URL printed says which).
    #[arg(long, default_value_t = 8050)]
    port: u16,
    /// A trained model for the network panel instead of the built-in ones.
    #[arg(long)]
    model: Option<PathBuf>,
}

/// Largest request body accepted: a scene is a few hundred bytes.
const BODY_LIMIT: usize = 16 * 1024;

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const STYLE_CSS: &str = include_str!("page/style.css");

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type)], body)
}

/// The app: the page and the API.
fn router(state: Arc<api::AppState>) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route("/api", get(api::index))
        .route("/api/render", post(api::render))
        .route("/api/fit", post(api::fit))
        .route("/api/predict", post(api::predict))
        .route("/api/crb", post(api::crb))
        .route("/api/export/{format}", post(api::export))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Runs `galaxy explore` until interrupted.
pub fn run(args: ExploreArgs) -> Result<(), CliError> {
    let custom = match &args.model {
        Some(path) => {
            let name = path.display().to_string();
            let dev = candle_core::Device::Cpu;
            let model = galaxy_nets::card::load(path, &dev).map_err(net_error)?;
            // The explorer measures raw images: a two-stage model is refused by name, not run wrongly.
            let model = crate::nets::attach_denoiser(model, &name, None, &dev)?;
            Some((name, model))
        }
        None => None,
    };
    let state = Arc::new(api::AppState::new(custom));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::internal(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .map_err(|e| {
                CliError::input(format!("cannot listen on {}:{}: {e}", args.host, args.port))
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::internal(e.to_string()))?;
        println!("galaxy explore: serving on http://{addr}/ (Ctrl-C stops)");
        let _ = std::io::stdout().flush();
        axum::serve(listener, router(state))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| CliError::internal(format!("server: {e}")))
    })
}
