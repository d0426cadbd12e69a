//! `galaxy train --arch autoencoder`, `galaxy predict` with it, `galaxy reconstruct`.

mod common;

use common::{galaxy, snr30, stderr, train_tiny};

#[test]
fn the_autoencoder_trains_predicts_and_reconstructs() {
    let dir = tempfile::tempdir().unwrap();
    let data = &snr30();
    std::fs::write(
        dir.path().join("ae.json"),
        r#"{"filters": [4, 8, 8], "free_latent": 3, "reconstruction_weight": 0.1, "psf_channel": true, "image_size": 64}"#,
    )
    .unwrap();
    let out = train_tiny(
        dir.path(),
        &["--arch", "autoencoder", "--config", "ae.json"],
        "64",
        "ae.safetensors",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("reconstruction MSE"),
        "{}",
        stderr(&out)
    );
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("ae.json")).unwrap())
            .unwrap();
    assert_eq!(card["format"], "galaxy-autoencoder/1");

    let out = galaxy(
        &["predict", data, "--model", "ae.safetensors", "-o", "ae.csv"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(dir.path().join("ae.csv")).unwrap();
    assert_eq!(
        csv.lines().next().unwrap(),
        "flux,sersic_index,half_light_radius,g1,g2"
    );
    assert_eq!(csv.lines().count(), 201);

    let out = galaxy(
        &[
            "reconstruct",
            "--model",
            "ae.safetensors",
            data,
            "-o",
            "recon.npz",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut npz =
        ndarray_npy::NpzReader::new(std::fs::File::open(dir.path().join("recon.npz")).unwrap())
            .unwrap();
    let recon: ndarray::Array3<f32> = npz.by_name("img_reconstructed").unwrap();
    assert_eq!(recon.dim(), (200, 64, 64));
    assert!(recon.iter().all(|v| v.is_finite()));

    // An autoencoder is not a denoiser's second stage; a bad size preset is named.
    let out = galaxy(
        &[
            "predict",
            data,
            "--model",
            "ae.safetensors",
            "--denoiser",
            "ae.safetensors",
            "-o",
            "bad.csv",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let out = galaxy(
        &[
            "train",
            "--arch",
            "autoencoder",
            "--size-preset",
            "giant",
            "--preset",
            "data_v1",
            "-o",
            "x.safetensors",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("giant"));
}
