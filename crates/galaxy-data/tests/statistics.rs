//! Seeded statistical tests of the simulated datasets, against the model and against GalSim.

mod common;

use common::{chi2_lower, chi2_upper, fixture, ks_critical, ks_one_sample, ks_two_sample};
use galaxy_data::{Dataset, Dist, Preset, SimSettings, Simulator};
use ndarray::{Array2, Axis};
use noise_model::CcdNoise;
use sersic_render::{GalaxyParams, Psf};

/// Per-pixel mean and variance of the residuals img − img_nonoise of a set of one galaxy.
fn residual_moments(data: &Dataset) -> (Array2<f64>, Array2<f64>) {
    let resid = (&data.img - &data.img_nonoise).mapv(f64::from);
    let mean = resid.mean_axis(Axis(0)).unwrap();
    let var = resid.var_axis(Axis(0), 1.0);
    (mean, var)
}

/// Chi-square statistics of the per-pixel residual means and variances against V = sigma² + max(model, 0).
fn noise_chi2(data: &Dataset, noise: &CcdNoise) -> (f64, f64) {
    let n = data.len() as f64;
    let (mean, var) = residual_moments(data);
    let v = noise
        .variance(&data.img_nonoise.index_axis(Axis(0), 0))
        .unwrap();
    let chi_mean: f64 = mean
        .iter()
        .zip(v.iter())
        .map(|(m, v)| m * m / (v / n))
        .sum();
    let chi_var: f64 = var
        .iter()
        .zip(v.iter())
        .map(|(s2, v)| (s2 / v - 1.0).powi(2) / (2.0 / (n - 1.0)))
        .sum();
    (chi_mean, chi_var)
}

#[test]
fn noise_mean_and_variance_match_the_model_per_pixel() {
    // The seed's snr60 (read noise dominates) and a bright, low-read-noise case (Poisson dominates).
    let mut bright = Preset::Snr60.settings();
    bright.prior.sigma = Dist::Fixed(5.0);
    for (name, settings, sigma) in [
        ("snr60", Preset::Snr60.settings(), 200.0),
        ("bright", bright, 5.0),
    ] {
        let data = Simulator::new(settings, 21)
            .unwrap()
            .batch(0..2000)
            .unwrap();
        let (chi_mean, chi_var) = noise_chi2(&data, &CcdNoise::poisson_gaussian(sigma).unwrap());
        let dof = 4096.0;
        eprintln!(
            "{name}: per-pixel chi-square mean {chi_mean:.0}, variance {chi_var:.0} (4096 dof)"
        );
        for (what, chi) in [("mean", chi_mean), ("variance", chi_var)] {
            assert!(
                chi > chi2_lower(dof) && chi < chi2_upper(dof),
                "{name}: chi-square of the per-pixel {what} is {chi:.0} for {dof} dof"
            );
        }
    }
}

#[test]
fn labels_follow_the_prior_without_a_window() {
    let mut settings = Preset::DataV3.settings().with_continuous_n();
    settings.snr_window = None;
    let n = 1500;
    let data = Simulator::new(settings, 31).unwrap().batch(0..n).unwrap();
    let col = |j: usize| {
        data.label
            .column(j)
            .iter()
            .map(|&v| f64::from(v))
            .collect::<Vec<_>>()
    };
    let uniform = |lo: f64, hi: f64| move |x: f64| ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    let g1 = col(3);
    let g2 = col(4);
    let ellipticity: Vec<f64> = g1.iter().zip(&g2).map(|(a, b)| a.hypot(*b)).collect();
    let angle: Vec<f64> = g1
        .iter()
        .zip(&g2)
        .map(|(a, b)| {
            let beta = 0.5 * b.atan2(*a);
            if beta < 0.0 {
                beta + std::f64::consts::PI
            } else {
                beta
            }
        })
        .collect();
    let psf: Vec<f64> = data.psf_r.iter().map(|&v| f64::from(v)).collect();
    let checks: Vec<(&str, f64)> = vec![
        ("flux", ks_one_sample(col(0), uniform(0.3e5, 4e5))),
        ("sersic_index", ks_one_sample(col(1), uniform(0.5, 6.0))),
        (
            "half_light_radius",
            ks_one_sample(col(2), uniform(0.1, 0.6)),
        ),
        (
            "ellipticity",
            ks_one_sample(ellipticity, uniform(0.0, 0.67)),
        ),
        (
            "angle",
            ks_one_sample(angle, uniform(0.0, galaxy_data::prior::SEED_ANGLE_MAX)),
        ),
        ("psf_fwhm", ks_one_sample(psf, uniform(0.5, 1.0))),
    ];
    for (name, d) in checks {
        eprintln!(
            "{name}: KS {d:.4} (critical {:.4})",
            ks_critical(n as usize, None)
        );
        assert!(
            d < ks_critical(n as usize, None),
            "{name}: KS statistic {d:.4} against its prior"
        );
    }
    // sigma: the 201 integers 200..=400, equally likely (chi-square over the integers).
    let mut counts = [0f64; 201];
    for &s in data.sigma.iter() {
        assert_eq!(s.fract(), 0.0, "sigma {s} is not an integer");
        counts[(s as usize) - 200] += 1.0;
    }
    let expected = n as f64 / 201.0;
    let chi: f64 = counts
        .iter()
        .map(|c| (c - expected).powi(2) / expected)
        .sum();
    eprintln!(
        "sigma: chi-square {chi:.1} for 200 dof (bound {:.1})",
        chi2_upper(200.0)
    );
    assert!(
        chi < chi2_upper(200.0),
        "sigma: chi-square {chi:.1} for 200 dof"
    );
}

#[test]
fn flatter_priors_draw_log_uniform_n_and_a_uniform_disk_of_shear() {
    let mut settings = Preset::DataV1
        .settings()
        .with_log_uniform_n()
        .with_disk_shear();
    settings.snr_window = None;
    let n = 1500;
    let data = Simulator::new(settings, 37).unwrap().batch(0..n).unwrap();
    let col =
        |j: usize| -> Vec<f64> { data.label.column(j).iter().map(|&v| f64::from(v)).collect() };
    let (g1, g2) = (col(3), col(4));
    let ln_n: Vec<f64> = col(1).iter().map(|v| v.ln()).collect();
    // A uniform disk: |g|² is uniform on [0, 0.67²] and the angle of (g1, g2) uniform over a full turn.
    let g_squared: Vec<f64> = g1.iter().zip(&g2).map(|(a, b)| a * a + b * b).collect();
    let angle: Vec<f64> = g1.iter().zip(&g2).map(|(a, b)| b.atan2(*a)).collect();
    let uniform = |lo: f64, hi: f64| move |x: f64| ((x - lo) / (hi - lo)).clamp(0.0, 1.0);
    let pi = std::f64::consts::PI;
    let critical = ks_critical(n as usize, None);
    for (name, d) in [
        (
            "ln n",
            ks_one_sample(ln_n.clone(), uniform(0.5f64.ln(), 6f64.ln())),
        ),
        (
            "|g|²",
            ks_one_sample(g_squared.clone(), uniform(0.0, 0.67 * 0.67)),
        ),
        ("shear angle", ks_one_sample(angle, uniform(-pi, pi))),
    ] {
        eprintln!("{name}: KS {d:.4} (critical {critical:.4})");
        assert!(
            d < critical,
            "{name}: KS statistic {d:.4} against its prior"
        );
    }
    // And not the seed's: n uniform and |g| uniform are rejected by the same test.
    let n_values: Vec<f64> = ln_n.iter().map(|v| v.exp()).collect();
    let g_abs: Vec<f64> = g_squared.iter().map(|v| v.sqrt()).collect();
    assert!(ks_one_sample(n_values, uniform(0.5, 6.0)) > 2.0 * critical);
    assert!(ks_one_sample(g_abs, uniform(0.0, 0.67)) > 2.0 * critical);
    // A malformed log-uniform prior is refused by name.
    let mut bad = Preset::DataV1.settings();
    bad.prior.sersic_index = Dist::LogUniform { lo: -1.0, hi: 6.0 };
    let err = Simulator::new(bad, 1)
        .err()
        .expect("a negative log-uniform end is refused");
    assert!(err.to_string().contains("sersic_index"), "{err}");
}

#[test]
fn a_gaussian_shear_prior_draws_rayleigh_radii_cut_at_the_disk() {
    let sigma = 0.2;
    let mut settings = Preset::DataV1.settings().with_gaussian_shear(sigma);
    settings.snr_window = None;
    let n = 1500;
    let data = Simulator::new(settings, 41).unwrap().batch(0..n).unwrap();
    let (g1, g2): (Vec<f64>, Vec<f64>) = data
        .label
        .outer_iter()
        .map(|l| (f64::from(l[3]), f64::from(l[4])))
        .unzip();
    // |g| is Rayleigh(sigma) cut at 0.67: CDF (1 − exp(−r²/2σ²)) / (1 − exp(−0.67²/2σ²)).
    let inside = 1.0 - (-0.67f64 * 0.67 / (2.0 * sigma * sigma)).exp();
    let rayleigh = move |r: f64| (1.0 - (-r * r / (2.0 * sigma * sigma)).exp()) / inside;
    let radii: Vec<f64> = g1.iter().zip(&g2).map(|(a, b)| a.hypot(*b)).collect();
    let critical = ks_critical(n as usize, None);
    let d = ks_one_sample(radii.clone(), rayleigh);
    assert!(
        d < critical,
        "|g|: KS statistic {d:.4} (critical {critical:.4})"
    );
    let pi = std::f64::consts::PI;
    let angle: Vec<f64> = g1.iter().zip(&g2).map(|(a, b)| b.atan2(*a)).collect();
    let d = ks_one_sample(angle, move |x| ((x + pi) / (2.0 * pi)).clamp(0.0, 1.0));
    assert!(d < critical, "shear angle: KS statistic {d:.4}");
    // A spread half as wide is rejected by the same test, and a zero spread is refused by name.
    let narrow = move |r: f64| 1.0 - (-r * r / (2.0 * 0.01f64)).exp();
    assert!(ks_one_sample(radii, narrow) > 2.0 * critical);
    let err = Simulator::new(Preset::DataV1.settings().with_gaussian_shear(0.0), 1)
        .err()
        .expect("a zero spread is refused");
    assert!(err.to_string().contains("spread"), "{err}");
}

#[test]
fn tiled_grid_window_and_the_seeds_snr_values() {
    // data_v1: 2000 samples = two blocks of the 1000-value grid, so every grid value appears exactly twice.
    let sim = Simulator::new(Preset::DataV1.settings(), 41).unwrap();
    let data = sim.batch(0..2000).unwrap();
    let mut counts = std::collections::HashMap::new();
    for &n in data.label.column(1) {
        *counts.entry(n.to_bits()).or_insert(0) += 1;
    }
    assert_eq!(counts.len(), 1000);
    assert!(counts.values().all(|&c| c == 2));
    let grid = Dist::Grid {
        lo: 0.5,
        hi: 6.0,
        count: 1000,
    };
    assert!(counts.contains_key(&(grid.grid_value(0) as f32).to_bits()));
    assert!(counts.contains_key(&(grid.grid_value(999) as f32).to_bits()));
    // Every kept SNR is inside [10, 100], and agrees with the stored noiseless image.
    for (i, &snr) in data.snr.iter().enumerate() {
        assert!((10.0..=100.0).contains(&snr), "sample {i}: SNR {snr}");
        let img = data.img_nonoise.index_axis(Axis(0), i);
        let recomputed = noise_model::snr::seed_snr(&img, f64::from(data.sigma[i])).unwrap();
        assert!((recomputed / f64::from(snr) - 1.0).abs() < 1e-6);
    }
    // The seed's test sets: SNR 59.90 and 29.95, to 0.1%.
    for (preset, seed_value) in [(Preset::Snr60, 59.90), (Preset::Snr30, 29.95)] {
        let s = Simulator::new(preset.settings(), 1)
            .unwrap()
            .sample(0)
            .unwrap();
        eprintln!("{preset}: SNR {:.4} (seed {seed_value})", s.snr);
        assert!(
            (s.snr / seed_value - 1.0).abs() < 1e-3,
            "{preset}: SNR {} vs the seed's {seed_value}",
            s.snr
        );
        assert_eq!(s.rejected, 0);
    }
}

#[test]
fn data_v1_distributions_match_galsims_generator() {
    // GalSim 2.8.5 running the seed's data_v1 generator (1000 samples; tests/fixtures/make_fixtures.py).
    let galsim =
        ndarray_npy::NpzReader::new(std::fs::File::open(fixture("galsim_prior.npz")).unwrap())
            .unwrap()
            .by_name::<ndarray::OwnedRepr<f32>, ndarray::Ix2>("label")
            .unwrap();
    let galsim_snr: ndarray::Array1<f32> =
        ndarray_npy::NpzReader::new(std::fs::File::open(fixture("galsim_prior.npz")).unwrap())
            .unwrap()
            .by_name("snr")
            .unwrap();
    let ours = Simulator::new(Preset::DataV1.settings(), 51)
        .unwrap()
        .batch(0..3000)
        .unwrap();
    let col = |a: &Array2<f32>, j: usize| {
        a.column(j)
            .iter()
            .map(|&v| f64::from(v))
            .collect::<Vec<_>>()
    };
    let (n, m) = (ours.len(), galsim.nrows());
    for (j, name) in ["flux", "sersic_index", "half_light_radius", "g1", "g2"]
        .iter()
        .enumerate()
    {
        let d = ks_two_sample(col(&ours.label, j), col(&galsim, j));
        eprintln!(
            "{name}: two-sample KS vs GalSim {d:.4} (critical {:.4})",
            ks_critical(n, Some(m))
        );
        assert!(
            d < ks_critical(n, Some(m)),
            "{name}: two-sample KS {d:.4} against GalSim's generator"
        );
    }
    let d = ks_two_sample(
        ours.snr.iter().map(|&v| f64::from(v)).collect(),
        galsim_snr.iter().map(|&v| f64::from(v)).collect(),
    );
    eprintln!(
        "snr: two-sample KS vs GalSim {d:.4} (critical {:.4})",
        ks_critical(n, Some(m))
    );
    assert!(
        d < ks_critical(n, Some(m)),
        "snr: two-sample KS {d:.4} against GalSim's generator"
    );
}

#[test]
fn noiseless_images_agree_with_galsim_at_the_renderers_accuracy() {
    // The first 40 samples of GalSim's data_v1 run, re-rendered by our generator's renderer from their labels.
    let mut npz =
        ndarray_npy::NpzReader::new(std::fs::File::open(fixture("galsim_prior.npz")).unwrap())
            .unwrap();
    let labels: Array2<f32> = npz.by_name("label").unwrap();
    let images: ndarray::Array3<f32> = npz.by_name("img_nonoise").unwrap();
    let sim = Simulator::new(Preset::DataV1.settings(), 1).unwrap();
    let psf = Psf::moffat(2.0, 0.5).unwrap();
    let mut worst: f64 = 0.0;
    for (i, galsim) in images.outer_iter().enumerate() {
        let l = labels.row(i).mapv(f64::from);
        let p = GalaxyParams::new(l[0], l[1], l[2], l[3], l[4]);
        let ours = sim.renderer().render(&p, &psf).unwrap();
        let peak = galsim.iter().fold(0f32, |a, &b| a.max(b)) as f64;
        let diff = ours
            .iter()
            .zip(galsim.iter())
            .map(|(a, b)| (a - f64::from(*b)).abs())
            .fold(0.0, f64::max);
        worst = worst.max(diff / peak);
    }
    // GalSim's own default drawing differs from its accurate drawing by up to 2e-4 of the peak
    // (../shared/reference/README.md); these GalSim images are default drawings.
    eprintln!("noiseless vs GalSim: worst max|diff|/peak {worst:.2e}");
    assert!(worst < 3e-4, "worst max|diff|/peak = {worst:.2e}");
}

#[test]
fn noise_is_statistically_indistinguishable_from_galsims() {
    let galsim = Dataset::read(&fixture("galsim_snr60_compressed.npz")).unwrap();
    let ours = Simulator::new(Preset::Snr60.settings(), 61)
        .unwrap()
        .batch(0..1000)
        .unwrap();
    let noise = CcdNoise::poisson_gaussian(200.0).unwrap();
    let model = ours.img_nonoise.index_axis(Axis(0), 0).mapv(f64::from);
    let v = noise.variance(&model).unwrap();
    // Pooled standardised residuals: two-sample KS.
    let standardised = |d: &Dataset| -> Vec<f64> {
        let mut out = Vec::with_capacity(d.img.len());
        for (img, clean) in d.img.outer_iter().zip(d.img_nonoise.outer_iter()) {
            for ((a, b), v) in img.iter().zip(clean.iter()).zip(v.iter()) {
                out.push(f64::from(a - b) / v.sqrt());
            }
        }
        out
    };
    let (zo, zg) = (standardised(&ours), standardised(&galsim));
    let (n, m) = (zo.len(), zg.len());
    let d = ks_two_sample(zo, zg);
    eprintln!(
        "pooled residuals: two-sample KS {d:.5} (critical {:.5})",
        ks_critical(n, Some(m))
    );
    assert!(
        d < ks_critical(n, Some(m)),
        "pooled residuals: two-sample KS {d:.5}"
    );
    // Per pixel: difference of the means and of the variances, chi-square over the 4096 pixels.
    let (mo, so) = residual_moments(&ours);
    let (mg, sg) = residual_moments(&galsim);
    let (no, ng) = (ours.len() as f64, galsim.len() as f64);
    let mut chi_mean = 0.0;
    let mut chi_var = 0.0;
    for k in 0..4096 {
        let (r, c) = (k / 64, k % 64);
        let var = v[[r, c]];
        chi_mean += (mo[[r, c]] - mg[[r, c]]).powi(2) / (var / no + var / ng);
        chi_var +=
            ((so[[r, c]] - sg[[r, c]]) / var).powi(2) / (2.0 / (no - 1.0) + 2.0 / (ng - 1.0));
    }
    eprintln!(
        "vs GalSim per pixel: chi-square means {chi_mean:.0}, variances {chi_var:.0} (4096 dof)"
    );
    for (what, chi) in [("means", chi_mean), ("variances", chi_var)] {
        assert!(
            chi > chi2_lower(4096.0) && chi < chi2_upper(4096.0),
            "per-pixel {what}: chi-square {chi:.0}"
        );
    }
    // And the noiseless images agree.
    let galsim_clean = galsim.img_nonoise.index_axis(Axis(0), 0);
    let peak = model.iter().fold(0.0, |a: f64, &b| a.max(b));
    let diff = model
        .iter()
        .zip(galsim_clean.iter())
        .map(|(a, b)| (a - f64::from(*b)).abs())
        .fold(0.0, f64::max);
    assert!(
        diff / peak < 3e-4,
        "noiseless snr60 image differs from GalSim's by {:.2e} of the peak",
        diff / peak
    );
}

#[test]
fn custom_settings_are_checked() {
    let mut s = SimSettings::new(Preset::DataV1.settings().prior);
    s.prior.sersic_index = Dist::Uniform { lo: 0.1, hi: 3.0 };
    assert!(Simulator::new(s, 1)
        .err()
        .unwrap()
        .to_string()
        .contains("sersic_index"));
    s.prior.sersic_index = Dist::Uniform { lo: 3.0, hi: 2.0 };
    assert!(Simulator::new(s, 1)
        .err()
        .unwrap()
        .to_string()
        .contains("above the upper end"));
    s.prior.sersic_index = Dist::Fixed(2.0);
    s.prior.sigma = Dist::Fixed(f64::NAN);
    assert!(Simulator::new(s, 1)
        .err()
        .unwrap()
        .to_string()
        .contains("sigma"));
    // A window no draw can reach is an error, not an endless loop.
    let mut unreachable = Preset::Snr60.settings();
    unreachable.snr_window = Some(galaxy_data::SnrWindow {
        lo: 500.0,
        hi: 600.0,
    });
    unreachable.max_attempts = 5;
    let err = Simulator::new(unreachable, 1)
        .unwrap()
        .sample(0)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("SNR window") && err.contains("5 attempts"),
        "{err}"
    );
}
