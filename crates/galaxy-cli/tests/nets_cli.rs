//! `galaxy train`, `galaxy predict`, `galaxy evaluate` end to end, with a tiny network.

use std::path::Path;

use galaxy_data::{Preset, SimSettings, Simulator};

mod common;
use common::{galaxy, stderr};

const TINY: &str = r#"{"architecture": {"arch": "cnn", "layers": [{"filters": 8, "kernel": 5, "stride": 4},
 {"filters": 16, "kernel": 3, "stride": 2}]}, "image_size": 64, "conditioning": true, "uncertainty": true, "head_hidden": 16}"#;

fn trained(dir: &Path) {
    std::fs::write(dir.join("tiny.json"), TINY).unwrap();
    let out = galaxy(
        &[
            "train",
            "--config",
            "tiny.json",
            "--preset",
            "data_v3",
            "--samples",
            "640",
            "--batch",
            "32",
            "--eval-every",
            "320",
            "--val-size",
            "64",
            "-o",
            "model.safetensors",
        ],
        dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("trained cnn"), "{}", stderr(&out));
}

#[test]
fn train_predict_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    trained(d);
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("model.json")).unwrap()).unwrap();
    assert!(card["parameters"].as_u64().unwrap() > 1000);
    assert!(card["validation"]["rmse"]["flux"].as_f64().unwrap() > 0.0);
    assert_eq!(card["estimator"]["architecture"]["arch"], "cnn");
    Simulator::new(Preset::Snr60.settings(), 2)
        .unwrap()
        .batch(0..20)
        .unwrap()
        .write(&d.join("snr60.npz"))
        .unwrap();
    let out = galaxy(
        &[
            "predict",
            "snr60.npz",
            "--model",
            "model.safetensors",
            "--batch",
            "8",
            "-o",
            "p.csv",
        ],
        d,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut reader = csv::Reader::from_path(d.join("p.csv")).unwrap();
    assert_eq!(reader.headers().unwrap().len(), 10, "estimates and errors");
    assert_eq!(reader.records().count(), 20);
    let out = galaxy(&["evaluate", "p.csv", "--truth", "snr60.npz"], d);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("CRB at its parameters") && table.contains("half_light_radius"),
        "{table}"
    );
    let out = galaxy(&["evaluate", "p.csv", "--truth", "snr60.npz", "--json"], d);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((v["flux"]["crb"].as_f64().unwrap() / 5648.0 - 1.0).abs() < 0.01);
    assert!(v["g1"]["rmse"].as_f64().unwrap() > 0.0);
    // --resume continues from the checkpoint's sample count to the new total.
    let out = galaxy(
        &[
            "train",
            "--config",
            "tiny.json",
            "--preset",
            "data_v3",
            "--samples",
            "960",
            "--batch",
            "32",
            "--eval-every",
            "320",
            "--val-size",
            "64",
            "--resume",
            "-o",
            "model.safetensors",
        ],
        d,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let card: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("model.json")).unwrap()).unwrap();
    let seen = card["training"]["samples_seen"].as_u64().unwrap();
    assert!(
        seen > 640 && seen <= 960,
        "samples seen after resuming: {seen}"
    );
}

#[test]
fn bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    trained(d);
    Simulator::new(Preset::Snr60.settings(), 2)
        .unwrap()
        .batch(0..4)
        .unwrap()
        .write(&d.join("ok.npz"))
        .unwrap();
    let mut small = SimSettings::new(Preset::Snr60.settings().prior);
    small.stamp = sersic_render::Stamp::square(32, small.stamp.scale);
    Simulator::new(small, 2)
        .unwrap()
        .batch(0..4)
        .unwrap()
        .write(&d.join("small.npz"))
        .unwrap();
    // A second model whose card describes another network than its weights.
    std::fs::copy(d.join("model.safetensors"), d.join("other.safetensors")).unwrap();
    std::fs::write(
        d.join("other.json"),
        std::fs::read_to_string(d.join("model.json"))
            .unwrap()
            .replace("\"head_hidden\": 16", "\"head_hidden\": 24"),
    )
    .unwrap();
    std::fs::write(d.join("bad.csv"), "flux,n\n1,2\n").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "predict",
                "ok.npz",
                "--model",
                "absent.safetensors",
                "-o",
                "p.csv",
            ],
            "does not exist",
        ),
        (
            &[
                "predict",
                "ok.npz",
                "--model",
                "other.safetensors",
                "-o",
                "p.csv",
            ],
            "does not match its card",
        ),
        (
            &[
                "predict",
                "small.npz",
                "--model",
                "model.safetensors",
                "-o",
                "p.csv",
            ],
            "this model reads 64 x 64",
        ),
        (
            &[
                "predict",
                "absent.npz",
                "--model",
                "model.safetensors",
                "-o",
                "p.csv",
            ],
            "absent.npz",
        ),
        (
            &[
                "predict",
                "ok.npz",
                "--model",
                "model.safetensors",
                "--device",
                "tpu",
                "-o",
                "p.csv",
            ],
            "unknown device",
        ),
        (
            &["evaluate", "bad.csv", "--truth", "ok.npz"],
            "no 'sersic_index' column",
        ),
        (
            &[
                "train",
                "--arch",
                "transformer",
                "--preset",
                "data_v1",
                "-o",
                "m.safetensors",
            ],
            "unknown architecture",
        ),
        (
            &["train", "--preset", "snr60", "-o", "m.safetensors"],
            "test sets",
        ),
        (
            &["train", "-o", "m.safetensors"],
            "give --preset or --train",
        ),
        (
            &[
                "train",
                "--train",
                "ok.npz",
                "--disk-shear",
                "-o",
                "m.safetensors",
            ],
            "shape simulated data: give --preset",
        ),
    ];
    for (args, expect) in cases {
        common::assert_refused(args, d, expect);
        assert!(!d.join("p.csv").exists());
    }
}
