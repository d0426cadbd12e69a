//! The built-in models on small samples: accuracy on GalSim's noise realisations of the seed's test galaxy,
//! and calibrated 1-sigma errors on held-out simulations.

use galaxy_data::{Dataset, Preset, Simulator};

mod common;
use common::{galaxy, snr30, snr60, stderr};

/// The seed's Xception's RMSE, sqrt(bias² + std²) of FACTS.md, per parameter (flux in counts).
fn seed_rmse(table: [(f64, f64); 5]) -> [f64; 5] {
    std::array::from_fn(|j| {
        let (b, s) = table[j];
        let unit = if j == 0 { 1e5 } else { 1.0 };
        (b * b + s * s).sqrt() * unit
    })
}

const NAMES: [&str; 5] = ["flux", "sersic_index", "half_light_radius", "g1", "g2"];

/// `galaxy predict` with no --model on 200 GalSim realisations (sigma 200 and 400) picks the right built-in
/// model. Its RMSE, as a multiple of the seed's Xception's (docs/models.md): default-v1 at SNR 60 below it for
/// all five; default-v3 at SNR 30 below it for flux, n, hlr and g1 and within 13% for g2 (0.115 against 0.103
/// on this file, 0.101 on 1,000 other realisations; g2 at SNR 30 is the open target).
#[test]
fn built_in_models_on_galsim_samples_of_the_seeds_test_galaxy() {
    let dir = tempfile::tempdir().unwrap();
    let sets = [
        (
            snr60(),
            "default-v1",
            [1.0, 1.0, 1.0, 1.0, 1.0],
            seed_rmse([
                (0.039, 0.063),
                (0.435, 0.765),
                (0.022, 0.035),
                (0.011, 0.048),
                (-0.013, 0.055),
            ]),
        ),
        (
            snr30(),
            "default-v3",
            [1.0, 1.0, 1.0, 1.0, 1.13],
            seed_rmse([
                (0.052, 0.098),
                (0.740, 0.828),
                (0.031, 0.060),
                (0.013, 0.091),
                (-0.024, 0.100),
            ]),
        ),
    ];
    for (data, model, limits, seed) in sets {
        let data = data.as_str();
        let out = galaxy(&["predict", data, "-o", "p.csv"], dir.path());
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains(&format!("built-in {model}")),
            "{}",
            stderr(&out)
        );
        let out = galaxy(
            &["evaluate", "p.csv", "--truth", data, "--json"],
            dir.path(),
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let table: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        for (j, name) in NAMES.iter().enumerate() {
            let rmse = table[name]["rmse"].as_f64().unwrap();
            assert!(
                rmse < limits[j] * seed[j],
                "{model} {name}: RMSE {rmse} vs the seed's Xception {}",
                seed[j]
            );
        }
    }
}

/// On 1500 held-out simulations of each model's training distribution, |estimate − truth| < err for
/// 68.3% ± 4.5% of the images (3 standard errors of a binomial fraction), every parameter.
#[test]
fn built_in_errors_are_one_sigma_on_held_out_simulations() {
    let dir = tempfile::tempdir().unwrap();
    for (preset, model) in [
        (Preset::DataV1, "default-v1"),
        (Preset::DataV3, "default-v3"),
    ] {
        let path = dir.path().join(format!("{model}.npz"));
        Simulator::new(preset.settings().with_continuous_n(), 31_337)
            .unwrap()
            .batch(0..1500)
            .unwrap()
            .write(&path)
            .unwrap();
        let out = galaxy(
            &["predict", path.to_str().unwrap(), "-o", "p.csv"],
            dir.path(),
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains(model), "{}", stderr(&out));
        let truth = Dataset::read(&path).unwrap();
        let mut reader = csv::Reader::from_path(dir.path().join("p.csv")).unwrap();
        let headers = reader.headers().unwrap().clone();
        let col = |k: &str| headers.iter().position(|h| h == k).unwrap();
        let mut inside = [0usize; 5];
        let mut rows = 0;
        for (i, record) in reader.records().enumerate() {
            let record = record.unwrap();
            for (j, name) in NAMES.iter().enumerate() {
                let est: f64 = record[col(name)].parse().unwrap();
                let err: f64 = record[col(&format!("{name}_err"))].parse().unwrap();
                let d = (est - f64::from(truth.label[[i, j]])).abs();
                inside[j] += usize::from(d < err);
            }
            rows += 1;
        }
        assert_eq!(rows, 1500);
        for (j, name) in NAMES.iter().enumerate() {
            let fraction = inside[j] as f64 / rows as f64;
            assert!(
                (fraction - 0.6827).abs() < 0.045,
                "{model} {name}: {:.1}% within 1 sigma",
                100.0 * fraction
            );
        }
    }
}

/// Outside the built-in models' ranges `galaxy predict` refuses (exit 2) and names the image.
#[test]
fn images_outside_the_built_in_ranges_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = snr30();
    let out = galaxy(
        &["predict", &data, "--sigma", "100", "-o", "p.csv"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("image 0") && stderr(&out).contains("--model"));
    assert!(!dir.path().join("p.csv").exists());
}

/// The built-in EDSR (`galaxy denoise` with no --model) on GalSim's SNR 30 sample: the denoised images are
/// closer to the noiseless ones than the PSF-matched Gaussian filter's, and within DENOISER_BOUND of the
/// noise variance (docs/models.md has the measured table).
#[test]
fn the_built_in_denoiser_beats_the_gaussian_filter_on_galsim_images() {
    const DENOISER_BOUND: f64 = 0.015;
    let dir = tempfile::tempdir().unwrap();
    let out = galaxy(
        &["denoise", &snr30(), "--baselines", "-o", "clean.npz"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("built-in denoiser-edsr-small-v3"),
        "{}",
        stderr(&out)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let denoiser = common::score(&text, "denoiser");
    assert!(denoiser < common::score(&text, "Gaussian filter"), "{text}");
    assert!(denoiser < DENOISER_BOUND, "{text}");
    let data = Dataset::read(&dir.path().join("clean.npz")).unwrap();
    assert_eq!(data.len(), 200);
}

/// The built-in autoencoder (`galaxy reconstruct` with no --model) on GalSim's SNR 60 sample: its
/// reconstructions are within RECONSTRUCTION_BOUND of the noise variance of the noiseless images (0.0034
/// measured); its flux estimates (the shipped files through `galaxy predict --model`) keep the flux scale at
/// both sigmas (|bias| and RMSE under 0.2e5; measured 0.091 and 0.156 RMSE, where the first autoencoder,
/// without the sigma channel, was 0.609 and 0.229); and both built-ins refuse images outside their training
/// ranges, naming the image.
#[test]
fn the_built_in_autoencoder_reconstructs_galsim_images_and_both_keep_to_their_ranges() {
    const RECONSTRUCTION_BOUND: f64 = 0.01;
    let dir = tempfile::tempdir().unwrap();
    let out = galaxy(&["reconstruct", &snr60(), "-o", "r.npz"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let mut npz =
        ndarray_npy::NpzReader::new(std::fs::File::open(dir.path().join("r.npz")).unwrap())
            .unwrap();
    let recon: ndarray::Array3<f32> = npz.by_name("img_reconstructed").unwrap();
    let data = Dataset::read(std::path::Path::new(&snr60())).unwrap();
    let mut mse = 0.0;
    for i in 0..data.len() {
        let s2 = f64::from(data.sigma[i]).powi(2);
        let d = &recon.index_axis(ndarray::Axis(0), i)
            - &data.img_nonoise.index_axis(ndarray::Axis(0), i);
        mse += d.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / d.len() as f64 / s2;
    }
    mse /= data.len() as f64;
    assert!(
        mse < RECONSTRUCTION_BOUND,
        "reconstruction MSE / sigma² {mse}"
    );

    let out = galaxy(
        &[
            "generate", "--preset", "data_v1", "--size", "4", "--sigma", "100", "-o", "low.npz",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for args in [
        ["denoise", "low.npz", "-o", "x.npz"],
        ["reconstruct", "low.npz", "-o", "x.npz"],
    ] {
        let out = galaxy(&args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("image 0") && stderr(&out).contains("sigma 100"),
            "{}",
            stderr(&out)
        );
        assert!(!dir.path().join("x.npz").exists());
    }
}

/// The five estimates of every row of a `galaxy predict` CSV.
fn estimates(path: &std::path::Path) -> Vec<[f64; 5]> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let cols: Vec<usize> = NAMES
        .iter()
        .map(|n| headers.iter().position(|h| h == *n).unwrap())
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            std::array::from_fn(|j| r[cols[j]].parse().unwrap())
        })
        .collect()
}

/// `--symmetrize` averages the eight symmetries of the square, so a mirrored image gives the same flux, n,
/// hlr and g1 and the opposite g2, and a transposed one the opposite g1: the estimate turns with the image.
/// The single view does not (a network is not exactly symmetric), which the test also checks.
#[test]
fn symmetrized_estimates_turn_with_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let data = Simulator::new(Preset::Snr60.settings(), 606)
        .unwrap()
        .batch(0..12)
        .unwrap();
    let mut mirrored = data.clone();
    mirrored.img.invert_axis(ndarray::Axis(2));
    let mut transposed = data.clone();
    transposed.img = data
        .img
        .view()
        .permuted_axes([0, 2, 1])
        .as_standard_layout()
        .into_owned();
    for (name, set) in [("a", &data), ("m", &mirrored), ("t", &transposed)] {
        set.write(&dir.path().join(format!("{name}.npz"))).unwrap();
        for (suffix, extra) in [("one", None), ("sym", Some("--symmetrize"))] {
            let file = format!("{name}.npz");
            let out_csv = format!("{name}_{suffix}.csv");
            let mut args = vec!["predict", file.as_str(), "-o", out_csv.as_str()];
            args.extend(extra);
            let out = galaxy(&args, dir.path());
            assert!(out.status.success(), "{}", stderr(&out));
        }
    }
    let read = |n: &str| estimates(&dir.path().join(n));
    let a = read("a_sym.csv");
    assert_eq!(a.len(), 12);
    let close = |x: f64, y: f64| (x - y).abs() <= 1e-9 * (1.0 + x.abs().max(y.abs()));
    // (file, view, the parameter whose sign the view flips: g2 for a mirror, g1 for a transpose)
    for (file, view, flipped) in [("m_sym.csv", "mirrored", 4), ("t_sym.csv", "transposed", 3)] {
        let b = read(file);
        for i in 0..12 {
            for j in 0..5 {
                let sign = if j == flipped { -1.0 } else { 1.0 };
                assert!(
                    close(a[i][j], sign * b[i][j]),
                    "image {i} {}: {} vs {view} {}",
                    NAMES[j],
                    a[i][j],
                    b[i][j]
                );
            }
        }
    }
    let (a1, m1) = (read("a_one.csv"), read("m_one.csv"));
    assert!(
        (0..12).any(|i| (a1[i][4] + m1[i][4]).abs() > 1e-6),
        "a single view was already symmetric: the test above proves nothing"
    );
}
