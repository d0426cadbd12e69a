//! `galaxy train --arch edsr|rdn` and `galaxy denoise`.

mod common;

use common::{galaxy, snr30, stderr, train_tiny};

#[test]
fn denoisers_train_and_denoise_a_file_keeping_its_layout() {
    let dir = tempfile::tempdir().unwrap();
    let data = &snr30();
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
        let out = train_tiny(
            dir.path(),
            &["--arch", arch, "--config", &cfg],
            "64",
            &format!("{arch}.safetensors"),
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
        for key in galaxy_data::KEYS.iter().copied().chain(["img_denoised"]) {
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
    // The quality table: the noisy image scores 1 by construction (GalSim's Poisson + read noise), the
    // Gaussian filter and the fit's model image well below it.
    let out = galaxy(
        &[
            "denoise",
            "--model",
            "edsr.safetensors",
            data,
            "--baselines",
            "-o",
            "clean2.npz",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let score = |name: &str| common::score(&text, name);
    assert!((score("noisy image") - 1.0).abs() < 0.03, "{text}");
    assert!(score("Gaussian filter") < 0.5, "{text}");
    assert!(score("maximum-likelihood model") < 0.05, "{text}");
    assert!(score("denoiser").is_finite());
    // Two stages: a small CNN trained behind the EDSR, then predicting through it.
    std::fs::write(
        dir.path().join("cnn.json"),
        r#"{"architecture": {"arch": "cnn", "layers": [{"filters": 4, "kernel": 5, "stride": 4}, {"filters": 8, "kernel": 3, "stride": 2}]}, "image_size": 64, "conditioning": false, "uncertainty": false, "head_hidden": 0}"#,
    )
    .unwrap();
    let out = train_tiny(
        dir.path(),
        &["--config", "cnn.json", "--denoiser", "edsr.safetensors"],
        "64",
        "two.safetensors",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = galaxy(
        &[
            "predict",
            data,
            "--model",
            "two.safetensors",
            "--denoiser",
            "edsr.safetensors",
            "-o",
            "two.csv",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("two.csv"))
            .unwrap()
            .lines()
            .count(),
        201
    );
    // Without its denoiser, behind another one, or a one-stage model behind one: refused.
    for (model, denoiser, expected) in [
        ("two.safetensors", None, "give --denoiser"),
        (
            "two.safetensors",
            Some("rdn.safetensors"),
            "not the denoiser",
        ),
    ] {
        let mut args = vec!["predict", data, "--model", model, "-o", "bad.csv"];
        if let Some(d) = denoiser {
            args.extend(["--denoiser", d]);
        }
        let out = galaxy(&args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{}", stderr(&out));
    }
    // Calibration and the explorer run the model too: without its denoiser they refuse it by name.
    for args in [
        &[
            "calibrate",
            "--model",
            "two.safetensors",
            "--preset",
            "data_v1",
            "--count",
            "100",
        ][..],
        &["explore", "--port", "0", "--model", "two.safetensors"][..],
    ] {
        let out = galaxy(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("give --denoiser"), "{}", stderr(&out));
    }
    let out = train_tiny(
        dir.path(),
        &["--config", "cnn.json"],
        "32",
        "one.safetensors",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = galaxy(
        &[
            "predict",
            data,
            "--model",
            "one.safetensors",
            "--denoiser",
            "edsr.safetensors",
            "-o",
            "bad.csv",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("raw images"), "{}", stderr(&out));
    assert!(!dir.path().join("bad.csv").exists());

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
            "--size-preset",
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
