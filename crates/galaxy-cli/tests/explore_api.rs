//! `galaxy explore`'s JSON API, against a real server on loopback.

mod common;

use common::Server;
use serde_json::{json, Value};

fn number(v: &Value, path: &[&str]) -> f64 {
    let mut x = v;
    for k in path {
        x = &x[*k];
    }
    x.as_f64().unwrap_or_else(|| panic!("{path:?} in {v}"))
}

#[test]
fn every_endpoint_answers_a_valid_scene() {
    let s = Server::start(&[]);
    let (status, kind, page) = s.get("/");
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/html") && page.contains("galaxy explore"));
    assert!(s.get("/app.js").1.starts_with("text/javascript"));
    assert!(s.get("/style.css").1.starts_with("text/css"));
    let index: Value = serde_json::from_str(&s.get("/api").2).unwrap();
    assert_eq!(index["endpoints"].as_object().unwrap().len(), 6);

    // The seed's test galaxy at sigma 200: SNR 59.9 in the seed's FACTS.
    let (status, r) = s.post_json("/api/render", "{}");
    assert_eq!(status, 200, "{r}");
    assert!((number(&r, &["snr"]) - 59.9).abs() < 0.5, "{}", r["snr"]);
    for image in ["noiseless", "noisy", "psf"] {
        assert_eq!(
            r["images"][image].as_array().unwrap().len(),
            64 * 64,
            "{image}"
        );
    }
    let q = number(&r, &["q"]);
    let g = 0.069f64.hypot(0.15);
    assert!((q - (1.0 - g) / (1.0 + g)).abs() < 1e-9);
    // A 32 x 32 stamp is drawn at that size.
    let (_, small) = s.post_json("/api/render", r#"{"size": 32, "pixel_scale": 0.3}"#);
    assert_eq!(small["images"]["noisy"].as_array().unwrap().len(), 32 * 32);

    let (status, fit) = s.post_json("/api/fit", r#"{"seed": 3}"#);
    assert_eq!(status, 200, "{fit}");
    assert!(fit["converged"].as_bool().unwrap());
    assert!((number(&fit, &["estimate", "flux"]) / 1e5 - 1.0).abs() < 0.3);
    assert!(number(&fit, &["errors", "g1"]) > 0.0);
    assert_eq!(fit["residual"].as_array().unwrap().len(), 64 * 64);
    let rings = fit["profile"]["radius_arcsec"].as_array().unwrap().len();
    assert_eq!(rings, 32);
    assert_eq!(fit["profile"]["model"].as_array().unwrap().len(), rings);
    // The fitted model follows the data in the inner rings (bright, so to well within 10%).
    let inner = |k: &str| {
        fit["profile"][k].as_array().unwrap()[..5]
            .iter()
            .map(|v| v.as_f64().unwrap())
            .sum::<f64>()
    };
    assert!(
        (inner("data") / inner("model") - 1.0).abs() < 0.1,
        "{}",
        fit["profile"]
    );

    let (status, net) = s.post_json("/api/predict", r#"{"seed": 3}"#);
    assert_eq!(status, 200, "{net}");
    assert_eq!(net["model"], "default-v1");
    assert!((number(&net, &["estimate", "half_light_radius"]) - 0.3).abs() < 0.15);
    assert!(number(&net, &["errors", "g2"]) > 0.0);
    let (status, net3) = s.post_json("/api/predict", r#"{"psf_fwhm": 0.8, "sigma": 300}"#);
    assert_eq!((status, net3["model"].as_str()), (200, Some("default-v3")));

    let (status, crb) = s.post_json("/api/crb", "{}");
    assert_eq!(status, 200);
    // The reference bound of the test galaxy (docs/mle.md): 0.0565e5 counts in flux, 0.0543 in g1.
    assert!(
        (number(&crb, &["crb", "flux"]) / 5650.0 - 1.0).abs() < 0.02,
        "{crb}"
    );
    assert!(
        (number(&crb, &["crb", "g1"]) / 0.0543 - 1.0).abs() < 0.02,
        "{crb}"
    );

    let (status, npy) = s.post("/api/export/npy", "{}");
    assert_eq!(status, 200);
    assert_eq!(&npy[..6], b"\x93NUMPY");
    let header = u16::from_le_bytes([npy[8], npy[9]]) as usize;
    assert_eq!(npy.len(), 10 + header + 64 * 64 * 4);
    let (status, fits) = s.post("/api/export/fits", r#"{"seed": 5}"#);
    assert_eq!(status, 200);
    assert_eq!(fits.len(), 2880 * 7); // one header block, 16384 bytes of pixels in six blocks
    let text = String::from_utf8_lossy(&fits[..2880]).into_owned();
    assert!(
        text.contains("NAXIS1  =                   64")
            && text.contains("SEED    =                    5")
    );
}

#[test]
fn bad_requests_get_400_with_the_field_named_and_the_server_stays_up() {
    let s = Server::start(&[]);
    let cases = [
        ("/api/render", r#"{"flux": "bright"}"#, Some("flux")),
        ("/api/render", r#"{"flux": -1}"#, Some("flux")),
        (
            "/api/render",
            r#"{"sersic_index": 7}"#,
            Some("sersic_index"),
        ),
        (
            "/api/render",
            r#"{"half_light_radius": 0}"#,
            Some("half_light_radius"),
        ),
        ("/api/render", r#"{"g1": 0.7, "g2": 0.7}"#, Some("g2")),
        (
            "/api/render",
            r#"{"psf_fwhm": null, "psf_beta": 1.0}"#,
            Some("psf_beta"),
        ),
        ("/api/render", r#"{"sigma": 0}"#, Some("sigma")),
        ("/api/render", r#"{"seed": 1.5}"#, Some("seed")),
        ("/api/render", r#"{"size": 100000}"#, Some("size")),
        (
            "/api/render",
            r#"{"pixel_scale": 1e308}"#,
            Some("pixel_scale"),
        ),
        ("/api/render", r#"{"brightness": 3}"#, Some("brightness")),
        ("/api/fit", r#"{"sersic_index": 0.1}"#, Some("sersic_index")),
        ("/api/crb", r#"{"g1": 2}"#, Some("g1")),
        ("/api/export/npy", r#"{"size": 8}"#, Some("size")),
        ("/api/export/png", "{}", Some("format")),
        ("/api/predict", r#"{"psf_fwhm": 1.5}"#, Some("psf_fwhm")),
        ("/api/predict", r#"{"sigma": 900}"#, Some("sigma")),
        ("/api/predict", r#"{"size": 48}"#, Some("size")),
        ("/api/predict", r#"{"psf_beta": 3}"#, Some("psf_beta")),
        ("/api/render", r#"{"flux": 1e5"#, None),
        ("/api/render", "[1, 2, 3]", None),
        ("/api/render", "\u{0}\u{1}garbage", None),
    ];
    for (path, body, field) in cases {
        let (status, v) = s.post_json(path, body);
        assert_eq!(status, 400, "{path} {body}: {v}");
        assert!(!v["error"].as_str().unwrap().is_empty(), "{v}");
        assert_eq!(v["field"].as_str(), field, "{path} {body}: {v}");
    }
    // Bodies are size-limited (16 KiB): one byte over is answered 413 (JSON). (The body is only just over
    // the limit so that the server has read all of it when it answers: a much larger body is left partly
    // unread, and closing a socket with unread data resets it, which can lose the answer.)
    let pad = 16 * 1024 + 1 - r#"{"pad": ""}"#.len();
    let big = format!(r#"{{"pad": "{}"}}"#, "x".repeat(pad));
    assert_eq!(big.len(), 16 * 1024 + 1);
    let (status, v) = s.post_json("/api/render", &big);
    assert_eq!(status, 413, "{v}");
    assert!(v["error"].as_str().unwrap().contains("length limit"), "{v}");
    // Still serving.
    assert_eq!(s.post_json("/api/render", r#"{"seed": 9}"#).0, 200);
}

#[test]
fn two_hundred_concurrent_requests_are_all_served() {
    let s = Server::start(&[]);
    let results: Vec<(u16, f64)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..200)
            .map(|i| {
                let s = &s;
                scope.spawn(move || {
                    let body = json!({"seed": i, "half_light_radius": 0.2 + 0.001 * i as f64});
                    let path = if i % 50 == 0 {
                        "/api/crb"
                    } else {
                        "/api/render"
                    };
                    let (status, v) = s.post_json(path, &body.to_string());
                    let value = if path == "/api/render" {
                        number(&v, &["snr"])
                    } else {
                        number(&v, &["crb", "flux"])
                    };
                    (status, value)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results
        .iter()
        .all(|&(status, v)| status == 200 && v.is_finite() && v > 0.0));
    assert_eq!(results.len(), 200);
}

#[test]
fn a_model_given_on_the_command_line_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::galaxy(
        &["explore", "--port", "0", "--model", "missing.safetensors"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("missing"));
}
