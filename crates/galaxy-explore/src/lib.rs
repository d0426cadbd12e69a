#![doc = include_str!("../README.md")]
#![warn(missing_docs)]
pub mod api;
mod export;
pub mod scene;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use galaxy_nets::LoadedModel;

pub use scene::Scene;

/// What can stop the server.
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    /// The address cannot be listened on (in use, not this machine's): the caller's choice.
    #[error("cannot listen on {address}: {reason}")]
    Listen {
        /// host:port asked for.
        address: String,
        /// The system's reason.
        reason: String,
    },
    /// The runtime or the server failed.
    #[error("{0}")]
    Server(String),
}

impl ExploreError {
    /// Whether the caller's input is at fault.
    pub fn is_bad_input(&self) -> bool {
        matches!(self, ExploreError::Listen { .. })
    }
}

/// Largest request body accepted: a scene is a few hundred bytes.
const BODY_LIMIT: usize = 16 * 1024;

const INDEX_HTML: &str = include_str!("page/index.html");
const APP_JS: &str = include_str!("page/app.js");
const STYLE_CSS: &str = include_str!("page/style.css");

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, content_type)], body)
}

/// The app: the page and the API, with `model` (a name and the network) for every prediction instead
/// of the built-in ones when given.
pub fn router(model: Option<(String, LoadedModel)>) -> Router {
    let state = Arc::new(api::AppState::new(model));
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

/// Serves [`router`] on `host:port` (port 0: any free one) until Ctrl-C, calling `listening` with the
/// address once the socket is bound.
pub fn serve(
    host: &str,
    port: u16,
    model: Option<(String, LoadedModel)>,
    listening: impl FnOnce(SocketAddr),
) -> Result<(), ExploreError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ExploreError::Server(format!("cannot start the server's runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((host, port))
            .await
            .map_err(|e| ExploreError::Listen {
                address: format!("{host}:{port}"),
                reason: e.to_string(),
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| ExploreError::Server(e.to_string()))?;
        listening(addr);
        axum::serve(listener, router(model))
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await
            .map_err(|e| ExploreError::Server(format!("server: {e}")))
    })
}
