//! `galaxy train --arch edsr|rdn` and `galaxy denoise`.

mod common;

use std::path::Path;

use common::{galaxy, stderr};

#[test]
fn denoisers_train_and_denoise_a_file_keeping_its_layout() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/galsim_snr30_compressed.npz");
    let data = fixture.to_str().unwrap();
    std::fs::write(
        dir.path().join("e.json"),
        r#"{"arch":"edsr","filters":8,"blocks":1,"residual_scale":0.1}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("r.json"),
        r#"{"arch":"rdn","blocks":1,"layers":2,"growth":4,"features":8}"#,
    )
    .unwrap();
    for arch in ["edsr", "rdn"] {
        let cfg = format!("{}.json", &arch[..1]);
        let out = galaxy(
            &[
                "train",
                "--arch",
                arch,
                "--config",
                &cfg,
                "--preset",
                "data_v1",
                "--samples",
                "64",
                "--batch",
                "16",
                "--val-size",
                "16",
                "--eval-every",
                "32",
                "-o",
                &format!("{arch}.safetensors"),
            ],
            dir.path(),
        );
        assert!(out.status.success(), "{arch}: {}", stderr(&out));
        let card: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join(format!("{arch}.json"))).unwrap(),
        )
        .unwrap();
        assert_eq!(card["denoiser"]["arch"], arch);
        assert!(card["validation"]["l1"].as_f64().unwrap() > 0.0);

        let out = galaxy(
            &[
                "denoise",
                "--model",
                &format!("{arch}.safetensors"),
                data,
                "-o",
                "clean.npz",
            ],
            dir.path(),
        );
        assert!(out.status.success(), "{arch}: {}", stderr(&out));
        let mut npz =
            ndarray_npy::NpzReader::new(std::fs::File::open(dir.path().join("clean.npz")).unwrap())
                .unwrap();
        let names = npz.names().unwrap();
        for key in [
            "img",
            "img_nonoise",
            "label",
            "psf_r",
            "psf_img",
            "snr",
            "sigma",
            "img_denoised",
        ] {
            assert!(
                names.iter().any(|n| n.trim_end_matches(".npy") == key),
                "{key} in {names:?}"
            );
        }
        let clean: ndarray::Array3<f32> = npz.by_name("img_denoised").unwrap();
        let img: ndarray::Array3<f32> = npz.by_name("img").unwrap();
        assert_eq!(clean.dim(), img.dim());
        assert!(clean.iter().all(|v| v.is_finite()));
    }
    // Bad input: a missing model, an unknown preset size, no --preset.
    let out = galaxy(
        &[
            "denoise",
            "--model",
            "none.safetensors",
            data,
            "-o",
            "x.npz",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = galaxy(
        &[
            "train",
            "--arch",
            "rdn",
            "--denoiser-preset",
            "huge",
            "--preset",
            "data_v1",
            "-o",
            "r2.safetensors",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("huge"));
    let out = galaxy(
        &[
            "train",
            "--arch",
            "edsr",
            "--train",
            data,
            "-o",
            "e2.safetensors",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--preset"), "{}", stderr(&out));
    assert!(!dir.path().join("x.npz").exists());
}
