//! The network that reads the PSF, through the CLI, on 24 GalSim stamps whose PSFs (OpticalPSF with random
//! aberrations ⊗ Kolmogorov) it never saw in training, off centre by up to 2 pixels
//! (`bench/make_psf_family_stamps.py tests/fixtures/psf_family 24 77 --float32`): `predict` on the FITS
//! cube with its PSF cube and variance map, and on the `.npz` with `--builtin psf`; `fit --start network`;
//! and the inputs it refuses.

use std::collections::HashMap;
use std::path::Path;

mod common;
use common::{fixture, galaxy, stderr};

fn path(name: &str) -> String {
    fixture(&format!("tests/fixtures/psf_family/{name}"))
        .to_string_lossy()
        .into_owned()
}

fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    common::csv_rows(path)
}

fn num(row: &HashMap<String, String>, key: &str) -> f64 {
    row.get(key)
        .unwrap_or_else(|| panic!("no column {key}"))
        .parse()
        .unwrap()
}

/// The catalogue's columns of the seven parameters, in the truth's order.
const COLUMNS: [&str; 7] = [
    "flux",
    "sersic_index",
    "half_light_radius_arcsec",
    "g1",
    "g2",
    "x",
    "y",
];

/// The truth of the fixture: (flux, n, hlr, g1, g2, dx, dy) per stamp.
fn truth() -> Vec<[f64; 7]> {
    let data = galaxy_data::Dataset::read(Path::new(&path("stamps.npz"))).unwrap();
    let offset = data.offset.clone().expect("the fixture has offsets");
    (0..data.len())
        .map(|i| {
            std::array::from_fn(|j| {
                if j < 5 {
                    f64::from(data.label[[i, j]])
                } else {
                    f64::from(offset[[i, j - 5]])
                }
            })
        })
        .collect()
}

/// The FITS inputs of the fixture, as `galaxy fit` and `galaxy predict` take them.
fn cube_args<'a>(cube: &'a str, psfs: &'a str, variance: &'a str) -> Vec<&'a str> {
    vec![
        cube,
        "--psf",
        psfs,
        "--psf-includes-pixel",
        "--variance",
        variance,
    ]
}

#[test]
fn predict_reads_the_psf_of_a_fits_cube_and_finds_the_galaxies() {
    let dir = tempfile::tempdir().unwrap();
    let (cube, psfs, variance) = (path("cube.fits"), path("psfs.fits"), path("variance.fits"));
    let mut args = vec!["predict"];
    args.extend(cube_args(&cube, &psfs, &variance));
    args.extend(["-o", "p.csv"]);
    let out = galaxy(&args, dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("built-in psf-v1"), "{}", stderr(&out));
    let predicted = rows(&dir.path().join("p.csv"));
    let truth = truth();
    assert_eq!(predicted.len(), truth.len());
    // Each estimate within 3 of its own errors of the truth (a calibrated 1-sigma error puts 99.7% there;
    // 24 stamps x 7 parameters allow a few outside), and positions within a pixel.
    let mut outside = 0;
    for (row, t) in predicted.iter().zip(&truth) {
        for (j, name) in COLUMNS.iter().enumerate() {
            let value = if j < 5 {
                num(row, name)
            } else {
                num(row, name) - 32.5 // FITS pixels of the 64 x 64 stamp's true centre: 32.5
            };
            let err = num(row, &format!("{name}_err"));
            assert!(err > 0.0 && err.is_finite(), "{name}: error {err}");
            outside += usize::from((value - t[j]).abs() > 3.0 * err);
            if j >= 5 {
                assert!((value - t[j]).abs() < 1.0, "{name}: {value} vs {}", t[j]);
            }
        }
    }
    assert!(outside <= 5, "{outside} of 168 estimates beyond 3 sigma");
    // These galaxies are of the training prior: none is flagged as outside it.
    let flagged = predicted
        .iter()
        .filter(|r| r["outside_training"] == "true")
        .count();
    assert_eq!(flagged, 0);
    // The same stamps as an .npz with their PSF images: the same network, the same kind of answer.
    let npz = galaxy(
        &[
            "predict",
            &path("stamps.npz"),
            "--builtin",
            "psf",
            "-o",
            "n.csv",
        ],
        dir.path(),
    );
    assert!(npz.status.success(), "{}", stderr(&npz));
    let from_npz = rows(&dir.path().join("n.csv"));
    for (a, b) in from_npz.iter().zip(&predicted) {
        assert!((num(a, "dx_pixels") + 32.5 - num(b, "x")).abs() < 0.2);
        assert!((num(a, "g1") - num(b, "g1")).abs() < 0.1);
    }
}

#[test]
fn fits_started_from_the_psf_reading_network_agree_with_scouted_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (cube, psfs, variance) = (path("cube.fits"), path("psfs.fits"), path("variance.fits"));
    for (start, out) in [("moments", "m.csv"), ("network", "n.csv")] {
        let mut args = vec!["fit"];
        args.extend(cube_args(&cube, &psfs, &variance));
        args.extend(["--start", start, "-o", out]);
        let run = galaxy(&args, dir.path());
        assert!(run.status.success(), "{}", stderr(&run));
    }
    let (m, n) = (
        rows(&dir.path().join("m.csv")),
        rows(&dir.path().join("n.csv")),
    );
    let (mut im, mut inet, mut both) = (0.0, 0.0, 0);
    for (a, b) in m.iter().zip(&n) {
        if a["converged"] != "true" || b["converged"] != "true" {
            continue;
        }
        both += 1;
        for k in COLUMNS {
            let pull = (num(a, k) - num(b, k)) / num(a, &format!("{k}_err"));
            assert!(pull.abs() < 0.05, "{k}: {pull} sigma apart");
        }
        im += num(a, "iterations");
        inet += num(b, "iterations");
    }
    assert!(both >= 20, "{both} of 24 converged both ways");
    assert!(
        inet < 0.75 * im,
        "iterations: {inet} from the network, {im} from the moments"
    );
}

#[test]
fn inputs_the_psf_reading_network_cannot_read_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (cube, variance) = (path("cube.fits"), path("variance.fits"));
    // A 2.5" Moffat: far wider than any PSF of the training family.
    common::assert_refused(
        &[
            "predict",
            &cube,
            "--psf-fwhm",
            "2.5",
            "--variance",
            &variance,
            "-o",
            "w.csv",
        ],
        dir.path(),
        "galaxy 1: its PSF is",
    );
    assert!(!dir.path().join("w.csv").exists());
    // A network of the seed's stamps cannot read a FITS input's PSF.
    let tiny = common::train_tiny(
        dir.path(),
        &["--arch", "cnn", "--uncertainty"],
        "32",
        "tiny.safetensors",
    );
    assert!(tiny.status.success(), "{}", stderr(&tiny));
    let psfs = path("psfs.fits");
    common::assert_refused(
        &[
            "predict",
            &cube,
            "--psf",
            &psfs,
            "--variance",
            &variance,
            "--model",
            "tiny.safetensors",
            "-o",
            "t.csv",
        ],
        dir.path(),
        "does not read a PSF image",
    );
    // FITS-only options with an .npz.
    let stamps = path("stamps.npz");
    common::assert_refused(
        &["predict", &stamps, "--variance", &variance, "-o", "v.csv"],
        dir.path(),
        "--variance",
    );
    // Calibrating the PSF-reading kind of network needs its data, and the other kind refuses it.
    common::assert_refused(
        &[
            "calibrate",
            "--model",
            "tiny.safetensors",
            "--preset",
            "data_v1",
            "--psf-family",
            "--count",
            "100",
        ],
        dir.path(),
        "does not read the PSF",
    );
}

#[test]
fn a_galaxy_unlike_the_training_set_is_flagged() {
    use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};
    let dir = tempfile::tempdir().unwrap();
    // A bright galaxy 2" across (the training prior stops at 0.6") through a 0.8" Moffat.
    let renderer = Renderer::new(Stamp::square(64, 0.23)).unwrap();
    let image = renderer
        .render(
            &GalaxyParams::new(2e7, 1.0, 2.0, 0.2, 0.1),
            &Psf::moffat(3.0, 0.8).unwrap(),
        )
        .unwrap();
    let keys = [
        galaxy_fits::Key::real("CDELT1", -0.23 / 3600.0, "deg"),
        galaxy_fits::Key::real("CDELT2", 0.23 / 3600.0, "deg"),
    ];
    galaxy_fits::write_image(&dir.path().join("big.fits"), image.view().into_dyn(), &keys).unwrap();
    let out = galaxy(
        &[
            "predict",
            "big.fits",
            "--psf-fwhm",
            "0.8",
            "--sigma",
            "300",
            "-o",
            "big.csv",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let row = &rows(&dir.path().join("big.csv"))[0];
    assert_eq!(row["outside_training"], "true", "{row:?}");
}
