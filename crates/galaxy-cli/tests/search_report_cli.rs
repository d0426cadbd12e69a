//! `galaxy search` (bad spaces, a search killed and resumed) and `galaxy report` (figures, table, bad input).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{galaxy, stderr};

/// A tiny Hyperband space: 17 configurations of two families, rungs of 30, 90 and 270 samples.
const SPACE: &str = r#"
strategy = "hyperband"
max_samples = 270
min_samples = 30
eta = 3
seed = 5

[[family]]
name = "cnn"
arch = "cnn"
fixed = { "layers.0.filters" = 4, "layers.1.filters" = 4, "layers.2.filters" = 8, "layers.3.filters" = 8 }
[family.choices]
"layers.0.stride" = [2, 4]
lr = [1e-3, 3e-3]

[[family]]
name = "resnet"
arch = "resnet"
fixed = { stem_filters = 4, stage_filters = [4, 8, 8], blocks_per_stage = 1 }
[family.choices]
stem_stride = [2, 4]
head_hidden = [0, 16]
"#;

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{}", path.display());
    let be = |o: usize| u32::from_be_bytes(b[o..o + 4].try_into().unwrap());
    (be(16), be(20))
}

fn search_args<'a>(space: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "search",
        "--space",
        space,
        "--budget",
        "40-trials",
        "--val-size",
        "32",
        "--batch",
        "15",
        "-o",
        out,
    ]
}

#[test]
fn bad_spaces_and_budgets_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        std::fs::write(dir.path().join(name), text).unwrap();
        name.to_string()
    };
    let cases = [
        (write("syntax.toml", "strategy = \"grid\"\nmax_samples = [1,\n"), "syntax.toml"),
        (write("arch.toml", "strategy = \"grid\"\nmax_samples = 10\n[[family]]\nname = \"a\"\narch = \"vit\"\n"), "unknown arch 'vit'"),
        (
            write("path.toml", "strategy = \"grid\"\nmax_samples = 10\n[[family]]\nname = \"a\"\narch = \"cnn\"\n[family.choices]\n\"layers.7.filters\" = [8]\n"),
            "index 7",
        ),
        (
            write("empty.toml", "strategy = \"grid\"\nmax_samples = 10\n[[family]]\nname = \"a\"\narch = \"cnn\"\n[family.choices]\nhead_hidden = []\n"),
            "empty",
        ),
        (write("nofamily.toml", "strategy = \"grid\"\nmax_samples = 10\nfamily = []\n"), "no [[family]]"),
        (write("strategy.toml", "strategy = \"bayes\"\nmax_samples = 10\nfamily = []\n"), "bayes"),
        (write("random.toml", "strategy = \"random\"\nmax_samples = 10\n[[family]]\nname = \"a\"\narch = \"cnn\"\n"), "trials"),
        ("missing.toml".to_string(), "missing.toml"),
    ];
    for (file, expected) in cases {
        let out = galaxy(
            &["search", "--space", &file, "--budget", "1h", "-o", "runs"],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(2), "{file}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{file}: {}", stderr(&out));
    }
    let good = write("good.toml", SPACE);
    for budget in ["2 days", "0-trials", "h"] {
        let out = galaxy(
            &["search", "--space", &good, "--budget", budget, "-o", "runs"],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(2), "{budget}");
        assert!(stderr(&out).contains("budget"), "{}", stderr(&out));
    }
    assert!(
        !dir.path().join("runs").exists(),
        "nothing written for a refused search"
    );
}

#[test]
fn a_killed_search_resumes_without_losing_or_repeating_a_trial() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("space.toml"), SPACE).unwrap();
    let jsonl = dir.path().join("runs/trials.jsonl");
    // Start, and kill it hard once three records are on disk.
    let mut child = Command::new(env!("CARGO_BIN_EXE_galaxy"))
        .args(search_args("space.toml", "runs"))
        .current_dir(dir.path())
        .env("RAYON_NUM_THREADS", "2")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        let lines = std::fs::read_to_string(&jsonl).map_or(0, |t| t.lines().count());
        if lines >= 3 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no records after 2 minutes"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the search ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before = std::fs::read_to_string(&jsonl).unwrap();
    let kept: Vec<&str> = before.lines().collect();
    // A record cut short by the kill.
    std::fs::write(&jsonl, format!("{before}{{\"trial\": \"b0-t0")).unwrap();
    // Without --resume the folder is refused rather than overwritten.
    let refused = galaxy(&search_args("space.toml", "runs"), dir.path());
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("--resume"),
        "{}",
        stderr(&refused)
    );

    let mut args = search_args("space.toml", "runs");
    args.push("--resume");
    let out = galaxy(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("dropping an unfinished last record"));
    let after = std::fs::read_to_string(&jsonl).unwrap();
    let lines: Vec<&str> = after.lines().collect();
    assert_eq!(
        &lines[..kept.len()],
        &kept[..],
        "finished records are kept as they were"
    );
    // Hyperband with eta 3 from 30 to 270 samples: 9 + 3 + 1, 5 + 1 and 3 trainings.
    assert_eq!(lines.len(), 13 + 6 + 3);
    let records: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut keys: Vec<(String, u64)> = records
        .iter()
        .map(|r| {
            (
                r["trial"].as_str().unwrap().to_string(),
                r["rung_samples"].as_u64().unwrap(),
            )
        })
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 22, "no (trial, rung) trained twice");
    let families: std::collections::BTreeSet<&str> = records
        .iter()
        .map(|r| r["family"].as_str().unwrap())
        .collect();
    assert_eq!(families.len(), 2);
    // The CSV has a row per record and the knobs of both families as columns.
    let mut csv = csv::Reader::from_path(dir.path().join("runs/trials.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    for col in [
        "trial",
        "family",
        "val_loss",
        "rmse_g2",
        "layers.0.stride",
        "stem_stride",
        "lr",
    ] {
        assert!(header.iter().any(|h| h == col), "{col} in {header:?}");
    }
    assert_eq!(csv.records().count(), 22);
    // The best model loads and its card names the best trial's configuration.
    let best: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("runs/best.json")).unwrap())
            .unwrap();
    let min = records
        .iter()
        .map(|r| r["val_loss"].as_f64().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert!((best["validation"]["loss"].as_f64().unwrap() - min).abs() < 1e-12);
    assert!(dir.path().join("runs/best.safetensors").exists());
    // Parallel coordinates: 8 axes (family, 3 knobs, lr, size, samples, loss): 170 px each + 110 bar.
    assert_eq!(
        png_size(&dir.path().join("runs/parallel.png")),
        (8 * 170 + 110, 560)
    );
}

#[test]
fn report_draws_every_figure_and_tabulates_bias_std_rmse_and_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let data = &common::snr30();
    let out = galaxy(&["predict", data, "-o", "net.csv"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    // A second set: the network's estimates with flux 10% high, so the table must tell them apart.
    let text = std::fs::read_to_string(dir.path().join("net.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let header = rows.headers().unwrap().clone();
    let mut w = csv::Writer::from_path(dir.path().join("high.csv")).unwrap();
    w.write_record(&header).unwrap();
    let mut flux = Vec::new();
    for r in rows.records() {
        let r = r.unwrap();
        let f: f64 = r[0].parse().unwrap();
        flux.push(f);
        let mut v: Vec<String> = r.iter().map(String::from).collect();
        v[0] = format!("{}", f * 1.1);
        w.write_record(&v).unwrap();
    }
    w.flush().unwrap();
    let out = galaxy(
        &[
            "report",
            "net.csv",
            "high.csv",
            "--labels",
            "network,flux+10%",
            "--truth",
            data,
            "-o",
            "rep",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rep = dir.path().join("rep");
    assert_eq!(
        png_size(&rep.join("pred_vs_true.png")),
        (2 * 420 + 110, 5 * 300 + 50)
    );
    assert_eq!(
        png_size(&rep.join("residual_vs_snr.png")),
        (2 * 420, 5 * 300 + 50)
    );
    assert_eq!(
        png_size(&rep.join("error_hist.png")),
        (3 * 420, 2 * 300 + 50)
    );
    let md = std::fs::read_to_string(rep.join("report.md")).unwrap();
    // The flux bias of each set, recomputed here (truth is 1e5 for every image).
    let bias = flux.iter().map(|f| f / 1e5 - 1.0).sum::<f64>() / flux.len() as f64;
    let bias_high = flux.iter().map(|f| 1.1 * f / 1e5 - 1.0).sum::<f64>() / flux.len() as f64;
    let flux_rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| flux |")).collect();
    assert_eq!(flux_rows.len(), 2, "{md}");
    let cell = |row: &str, k: usize| {
        row.split('|')
            .nth(k)
            .unwrap()
            .trim()
            .parse::<f64>()
            .unwrap()
    };
    assert!((cell(flux_rows[0], 3) - bias).abs() < 1e-4, "{md}");
    assert!((cell(flux_rows[1], 3) - bias_high).abs() < 1e-4, "{md}");
    // The CRB column: the SNR 30 bound of the test galaxy, 0.1126 (docs/mle.md).
    assert!((cell(flux_rows[0], 6) - 0.1126).abs() < 0.002, "{md}");
    assert!(md.contains("![estimate vs truth](pred_vs_true.png)"));

    // Bad input: a CSV without a column, with too few rows, with a NaN.
    std::fs::write(dir.path().join("nocol.csv"), "flux,sersic_index\n1,2\n").unwrap();
    let short: String = text.lines().take(10).collect::<Vec<_>>().join("\n");
    std::fs::write(dir.path().join("short.csv"), short).unwrap();
    let first_flux = text.lines().nth(1).unwrap().split(',').next().unwrap();
    let nan = text.replacen(first_flux, "NaN", 1);
    std::fs::write(dir.path().join("nan.csv"), nan).unwrap();
    for (file, expected) in [
        ("nocol.csv", "no 'half_light_radius' column"),
        ("short.csv", "9 rows"),
        ("nan.csv", "not a finite number"),
    ] {
        let out = galaxy(&["report", file, "--truth", data, "-o", "bad"], dir.path());
        assert_eq!(out.status.code(), Some(2), "{file}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{file}: {}", stderr(&out));
        assert!(
            !dir.path().join("bad").exists(),
            "{file}: no output for bad input"
        );
    }
}
