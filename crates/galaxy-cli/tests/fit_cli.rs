//! `galaxy crb` and `galaxy fit` end to end.

use galaxy_data::{Dataset, Preset, Simulator};
use ndarray::Array1;

mod common;
use common::{galaxy, stderr};

const TEST_GALAXY: [&str; 12] = [
    "--flux",
    "1e5",
    "--sersic-index",
    "3",
    "--half-light-radius",
    "0.3",
    "--g1",
    "-0.069",
    "--g2",
    "0.15",
    "--psf-fwhm",
    "0.5",
];

#[test]
fn crb_json_reproduces_the_reference_bounds() {
    let dir = tempfile::tempdir().unwrap();
    // ../shared/reference/README.md (flux there in units of 1e5).
    let cases = [
        ("200", "poisson", [5650.0, 0.777, 0.0287, 0.0543, 0.0549]),
        ("400", "poisson", [11260.0, 1.538, 0.0572, 0.1077, 0.1088]),
        ("200", "gaussian", [5620.0, 0.766, 0.0286, 0.0537, 0.0542]),
        ("400", "gaussian", [11250.0, 1.533, 0.0571, 0.1074, 0.1084]),
    ];
    for (sigma, noise, reference) in cases {
        let mut args = vec!["crb"];
        args.extend(TEST_GALAXY);
        args.extend(["--sigma", sigma, "--noise", noise, "--json"]);
        let out = galaxy(&args, dir.path());
        assert!(out.status.success(), "{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 5);
        for (key, r) in ["flux", "sersic_index", "half_light_radius", "g1", "g2"]
            .iter()
            .zip(reference)
        {
            let ours = obj[*key].as_f64().unwrap();
            assert!(
                (ours / r - 1.0).abs() < 0.02,
                "sigma {sigma} {noise} {key}: {ours} vs {r}"
            );
        }
    }
}

#[test]
fn crb_bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "crb",
        "--flux",
        "1e5",
        "--half-light-radius",
        "0.3",
        "--psf-fwhm",
        "0.5",
    ];
    for (extra, expect) in [
        (
            vec!["--sersic-index", "7", "--sigma", "200"],
            "sersic_index",
        ),
        (vec!["--sersic-index", "3", "--sigma", "0"], "sigma"),
        (
            vec![
                "--sersic-index",
                "3",
                "--sigma",
                "200",
                "--noise",
                "laplace",
            ],
            "unknown noise",
        ),
        (
            vec!["--sersic-index", "nan", "--sigma", "200"],
            "sersic_index",
        ),
    ] {
        let args: Vec<&str> = base.iter().copied().chain(extra.iter().copied()).collect();
        let out = galaxy(&args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(expect), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn fit_writes_one_row_per_image_and_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let data = Simulator::new(Preset::Snr60.settings(), 4)
        .unwrap()
        .batch(0..6)
        .unwrap();
    data.write(&dir.path().join("s.npz")).unwrap();
    let out = galaxy(
        &["fit", "s.npz", "--threads", "2", "-o", "fits.csv"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("fitted 6 images"), "{}", stderr(&out));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("bias")
            && summary.contains("RMSE")
            && summary.contains("half_light_radius"),
        "{summary}"
    );
    let mut reader = csv::Reader::from_path(dir.path().join("fits.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header[..13].join(","),
        "flux,sersic_index,half_light_radius,g1,g2,flux_err,sersic_index_err,half_light_radius_err,g1_err,g2_err,nll,iterations,converged"
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    for row in &rows {
        let flux: f64 = row[0].parse().unwrap();
        let flux_err: f64 = row[5].parse().unwrap();
        assert!(
            (flux - 1e5).abs() < 5.0 * flux_err,
            "flux {flux} ± {flux_err}"
        );
        assert_eq!(&row[12], "true");
    }
}

#[test]
fn fit_bad_input_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let good = Simulator::new(Preset::Snr60.settings(), 4)
        .unwrap()
        .batch(0..2)
        .unwrap();
    let write = |name: &str, d: &Dataset| d.write(&dir.path().join(name)).unwrap();
    let mut nan = good.clone();
    nan.img[[1, 5, 7]] = f32::NAN;
    write("nan.npz", &nan);
    let mut zero_sigma = good.clone();
    zero_sigma.sigma = Array1::from(vec![200.0, 0.0]);
    write("sigma.npz", &zero_sigma);
    // Only img: no psf_r or sigma.
    let mut w = galaxy_data::npz::NpzStreamWriter::create(
        &dir.path().join("imgonly.npz"),
        &[("img", vec![2, 64, 64])],
    )
    .unwrap();
    w.append(0, good.img.as_slice().unwrap()).unwrap();
    w.finish().unwrap();
    std::fs::write(dir.path().join("text.npz"), "not a zip").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["fit", "nan.npz", "-o", "f.csv"],
            "image 1 has the value NaN at pixel (5, 7)",
        ),
        (
            &["fit", "sigma.npz", "-o", "f.csv"],
            "sigma of image 1 is 0",
        ),
        (
            &["fit", "imgonly.npz", "-o", "f.csv"],
            "missing array 'psf_r'",
        ),
        (
            &["fit", "imgonly.npz", "--psf-fwhm", "0.5", "-o", "f.csv"],
            "missing array 'sigma'",
        ),
        (&["fit", "text.npz", "-o", "f.csv"], "not an .npz"),
        (&["fit", "absent.npz", "-o", "f.csv"], "absent.npz"),
        (&["fit", "nan.npz", "-o", "no/such/f.csv"], "does not exist"),
        (
            &["fit", "sigma.npz", "--sigma", "-3", "-o", "f.csv"],
            "sigma of image 0 is -3",
        ),
    ];
    for (args, expect) in cases {
        let out = galaxy(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expect),
            "{args:?}: expected '{expect}' in {}",
            stderr(&out)
        );
        assert!(!dir.path().join("f.csv").exists());
    }
    // With the missing arrays given on the command line, the img-only file fits.
    let out = galaxy(
        &[
            "fit",
            "imgonly.npz",
            "--psf-fwhm",
            "0.5",
            "--sigma",
            "200",
            "-o",
            "f.csv",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn posterior_writes_means_and_spreads_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = Simulator::new(Preset::Snr30.settings(), 9)
        .unwrap()
        .batch(0..3)
        .unwrap();
    data.write(&dir.path().join("s.npz")).unwrap();
    let args = [
        "posterior",
        "s.npz",
        "--nodes",
        "8",
        "--samples",
        "48",
        "-o",
        "post.csv",
    ];
    let out = galaxy(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("posterior means of 3 images under the data_v1 prior"),
        "{}",
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("RMSE"));
    let mut reader = csv::Reader::from_path(dir.path().join("post.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header.len(), 11);
    assert_eq!(header[10], "effective_samples");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    for row in &rows {
        let v: Vec<f64> = row.iter().map(|x| x.parse().unwrap()).collect();
        // Inside the prior: n in [0.5, 6], |g| < 0.67; a spread for every parameter.
        assert!(
            (0.5..=6.0).contains(&v[1]) && v[3].hypot(v[4]) < 0.67,
            "{v:?}"
        );
        assert!(v[5..10].iter().all(|s| s.is_finite() && *s > 0.0), "{v:?}");
        // The truth (flux 1e5) within 4 posterior sigma.
        assert!((v[0] - 1e5).abs() < 4.0 * v[5], "{v:?}");
    }
    // The same seed gives the same numbers; a test-set preset is not a prior.
    let again = galaxy(&[&args[..7], &["again.csv"]].concat(), dir.path());
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(
        std::fs::read(dir.path().join("post.csv")).unwrap(),
        std::fs::read(dir.path().join("again.csv")).unwrap()
    );
    let cases: &[(&[&str], &str)] = &[
        (
            &["posterior", "s.npz", "--preset", "snr30", "-o", "f.csv"],
            "a test set of one galaxy",
        ),
        (
            &["posterior", "s.npz", "--preset", "data_v9", "-o", "f.csv"],
            "data_v9",
        ),
        (
            &["posterior", "s.npz", "--nodes", "1", "-o", "f.csv"],
            "at least 2 nodes",
        ),
        (&["posterior", "absent.npz", "-o", "f.csv"], "absent.npz"),
    ];
    for (args, expect) in cases {
        let out = galaxy(args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(expect), "{args:?}: {}", stderr(&out));
        assert!(!dir.path().join("f.csv").exists());
    }
}

/// Rows of a fit CSV as (header → value) maps.
fn fit_rows(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    common::csv_rows(path)
}

#[test]
fn fits_started_from_the_network_agree_in_fewer_iterations() {
    let dir = tempfile::tempdir().unwrap();
    let snr60 = common::snr60();
    for (start, out) in [("moments", "m.csv"), ("network", "n.csv")] {
        let run = galaxy(&["fit", &snr60, "--start", start, "-o", out], dir.path());
        assert!(run.status.success(), "{}", stderr(&run));
    }
    let (m, n) = (
        fit_rows(&dir.path().join("m.csv")),
        fit_rows(&dir.path().join("n.csv")),
    );
    let num = |r: &std::collections::HashMap<String, String>, k: &str| r[k].parse::<f64>().unwrap();
    let (mut im, mut inet) = (0.0, 0.0);
    for (a, b) in m.iter().zip(&n) {
        assert_eq!(a["converged"], "true");
        assert_eq!(b["converged"], "true");
        for k in ["flux", "sersic_index", "half_light_radius", "g1", "g2"] {
            let pull = (num(a, k) - num(b, k)) / num(a, &format!("{k}_err"));
            assert!(pull.abs() < 0.05, "{k}: {pull} sigma apart");
        }
        im += num(a, "iterations");
        inet += num(b, "iterations");
    }
    assert!(
        inet < 0.6 * im,
        "iterations: {inet} from the network, {im} from the moments"
    );
    // A model of several components starts from its own single-Sérsic fit.
    let refused = galaxy(
        &[
            "fit",
            &common::fixture("tests/fixtures/psf_family/cube.fits").to_string_lossy(),
            "--psf-fwhm",
            "0.8",
            "--sigma",
            "300",
            "--model",
            "sersic+exponential",
            "--start",
            "network",
            "-o",
            "f.csv",
        ],
        dir.path(),
    );
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--start network"));
}
