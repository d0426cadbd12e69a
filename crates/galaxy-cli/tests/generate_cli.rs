//! `galaxy generate` and `galaxy merge` as a user runs them: outputs, reproducibility, Slurm, bad input.

use std::path::Path;
use std::process::{Command, Output};

use galaxy_data::Dataset;

fn galaxy(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_galaxy"))
        .args(args)
        .current_dir(dir)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("SLURM_ARRAY_TASK_MIN")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn generate_writes_the_seeds_layout_with_a_summary_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = galaxy(
        &[
            "generate", "--preset", "data_v2", "--size", "40", "--seed", "5", "-o", "v2.npz",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stderr(&out);
    assert!(
        line.contains("generated 40 data_v2 images")
            && line.contains("rejected by SNR")
            && line.contains("images/s"),
        "{line}"
    );
    let data = Dataset::read(&dir.path().join("v2.npz")).unwrap();
    assert_eq!(data.len(), 40);
    assert_eq!(data.psf_img.shape(), &[1, 64, 64]);
    assert!(data
        .sigma
        .iter()
        .all(|s| (200.0..=400.0).contains(s) && s.fract() == 0.0));
    assert!(data.snr.iter().all(|s| (10.0..=100.0).contains(s)));
}

#[test]
fn options_change_the_prior() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "generate",
        "--preset",
        "data_v1",
        "--size",
        "30",
        "--continuous-n",
        "--psf-fwhm-range",
        "0.6",
        "0.8",
        "--sigma",
        "250",
        "--no-snr-window",
        "-o",
        "custom.npz",
    ];
    let out = galaxy(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let data = Dataset::read(&dir.path().join("custom.npz")).unwrap();
    assert!(data.psf_r.iter().all(|f| (0.6..=0.8).contains(f)));
    assert_eq!(data.psf_img.shape(), &[30, 64, 64]);
    assert!(data.sigma.iter().all(|&s| s == 250.0));
    // Continuous n: (almost surely) no value on the seed's 1000-point grid.
    let ns = data.label.column(1).to_vec();
    let on_grid = ns.iter().filter(|&&n| {
        let k = ((f64::from(n) - 0.5) / 5.5 * 999.0).round();
        ((0.5 + k * 5.5 / 999.0) as f32 - n).abs() < 1e-6
    });
    assert!(on_grid.count() < 3);
}

#[test]
fn flatter_prior_options_reach_the_labels() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "generate",
        "--preset",
        "data_v1",
        "--size",
        "300",
        "--log-uniform-n",
        "--disk-shear",
        "--no-snr-window",
        "-o",
        "flat.npz",
    ];
    let out = galaxy(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let data = Dataset::read(&dir.path().join("flat.npz")).unwrap();
    let fraction = |f: &dyn Fn(usize) -> bool| (0..300).filter(|&i| f(i)).count() as f64 / 300.0;
    // P(n < 1.5) is ln 3 / ln 12 = 0.44 log-uniform, 0.18 uniform; P(|g| < 0.335) is 0.25 over the disk,
    // 0.5 for the seed's |g| ~ U(0, 0.67): both about 5 standard errors from the thresholds.
    let low_n = fraction(&|i| data.label[[i, 1]] < 1.5);
    let round = fraction(&|i| data.label[[i, 3]].hypot(data.label[[i, 4]]) < 0.335);
    assert!(low_n > 0.31, "fraction of n < 1.5: {low_n}");
    assert!(round < 0.375, "fraction of |g| < 0.335: {round}");
    // A Gaussian shear of spread 0.1: P(|g| > 0.3) = exp(−4.5) = 1%, 55% for the seed's; it cannot be
    // combined with --disk-shear, and a spread of 0 is refused by name.
    let gauss = ["--gaussian-shear", "0.1", "-o", "gauss.npz"];
    let out = galaxy(&[&args[..5], &gauss[..]].concat(), dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let data = Dataset::read(&dir.path().join("gauss.npz")).unwrap();
    let wide = (0..300)
        .filter(|&i| data.label[[i, 3]].hypot(data.label[[i, 4]]) > 0.3)
        .count();
    assert!(wide < 12, "{wide} of 300 with |g| > 0.3");
    for (extra, expect) in [
        (
            &["--gaussian-shear", "0.2", "--disk-shear"][..],
            "cannot be used with",
        ),
        (&["--gaussian-shear", "0"][..], "spread must be > 0"),
    ] {
        let out = galaxy(
            &[&args[..5], extra, &["-o", "bad.npz"]].concat(),
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(expect), "{extra:?}: {}", stderr(&out));
        assert!(!dir.path().join("bad.npz").exists());
    }
}

#[test]
fn threads_shards_merge_and_slurm_agree_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "generate", "--preset", "data_v3", "--size", "70", "--seed", "12",
    ];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let out = galaxy(&args, dir.path());
        assert!(out.status.success(), "{}", stderr(&out));
    };
    run(&["--threads", "1", "-o", "one.npz"]);
    run(&["--threads", "2", "-o", "two.npz"]);
    let one = std::fs::read(dir.path().join("one.npz")).unwrap();
    assert!(
        one == std::fs::read(dir.path().join("two.npz")).unwrap(),
        "thread count changed the bytes"
    );
    run(&["--shard", "0/2", "-o", "part_{shard}.npz"]);
    // Shard 1 of 2 from a Slurm array numbered from 1 (task 2 of 2).
    let out = Command::new(env!("CARGO_BIN_EXE_galaxy"))
        .args(base)
        .args(["-o", "part_{shard}.npz"])
        .current_dir(dir.path())
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("shard 1/2: samples 35..70 of 70"),
        "{}",
        stderr(&out)
    );
    let merged = galaxy(
        &["merge", "part_0.npz", "part_1.npz", "-o", "merged.npz"],
        dir.path(),
    );
    assert!(merged.status.success(), "{}", stderr(&merged));
    assert!(stderr(&merged).contains("merged 2 files, 70 images"));
    assert!(
        one == std::fs::read(dir.path().join("merged.npz")).unwrap(),
        "merged shards differ from the whole"
    );
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not an npz").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["generate", "--preset", "data_v9", "-o", "x.npz"],
            "unknown preset 'data_v9'",
        ),
        (
            &[
                "generate", "--preset", "data_v1", "--size", "0", "-o", "x.npz",
            ],
            "--size must be at least 1",
        ),
        (
            &[
                "generate",
                "--preset",
                "data_v3",
                "--psf-fwhm-range",
                "1.0",
                "0.5",
                "-o",
                "x.npz",
            ],
            "lower end is above",
        ),
        (
            &[
                "generate",
                "--preset",
                "data_v2",
                "--sigma-range",
                "400",
                "200",
                "-o",
                "x.npz",
            ],
            "lower end is above",
        ),
        (
            &[
                "generate",
                "--preset",
                "data_v1",
                "--size",
                "5",
                "-o",
                "missing/x.npz",
            ],
            "does not exist",
        ),
        (
            &[
                "generate", "--preset", "data_v1", "--shard", "2/2", "-o", "x.npz",
            ],
            "must be below the shard count",
        ),
        (
            &[
                "generate", "--preset", "data_v1", "--shard", "one/2", "-o", "x.npz",
            ],
            "not of the form K/N",
        ),
        (
            &[
                "generate", "--preset", "data_v1", "--sigma", "nan", "-o", "x.npz",
            ],
            "sigma",
        ),
        (
            &[
                "generate",
                "--preset",
                "data_v1",
                "--psf-fwhm",
                "-1",
                "-o",
                "x.npz",
            ],
            "psf_fwhm",
        ),
        (
            &[
                "generate",
                "--preset",
                "data_v1",
                "--threads",
                "0",
                "-o",
                "x.npz",
            ],
            "--threads",
        ),
        (
            &["merge", "absent.npz", "-o", "x.npz"],
            "absent.npz does not exist",
        ),
        (&["merge", "notes.txt", "-o", "x.npz"], "not an .npz"),
    ];
    for (args, expect) in cases {
        let out = galaxy(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expect),
            "{args:?}: expected '{expect}' in: {}",
            stderr(&out)
        );
        assert_eq!(
            files_in(dir.path()),
            vec!["notes.txt".to_string()],
            "{args:?} left a file"
        );
    }
}

#[test]
fn an_interrupted_run_leaves_no_file_under_the_final_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_galaxy"))
        .args([
            "generate", "--preset", "data_v1", "--size", "200000", "-o", "big.npz",
        ])
        .current_dir(dir.path())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the run has started writing, then kill it without warning.
    let started = std::time::Instant::now();
    while !files_in(dir.path()).iter().any(|f| f.ends_with(".partial")) {
        assert!(
            started.elapsed().as_secs() < 60,
            "the run never started writing"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    let files = files_in(dir.path());
    assert!(!files.contains(&"big.npz".to_string()), "{files:?}");
    assert!(
        files
            .iter()
            .all(|f| f.starts_with(".big.npz.") && f.ends_with(".partial")),
        "{files:?}"
    );
}
