//! `galaxy render` end to end: outputs, and bad input (exit status 2, a message naming the problem, no file).
use ndarray::{Array2, Array3, Axis};
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};

mod common;
use common::{assert_rejected, run as galaxy, stderr};

#[test]
fn renders_one_galaxy_as_float32_npy() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.npy");
    let run = galaxy(&[
        "render",
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
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let img: Array2<f32> = ndarray_npy::read_npy(&out).unwrap();
    assert_eq!(img.dim(), (64, 64));
    let want = Renderer::new(Stamp::default())
        .unwrap()
        .render(
            &GalaxyParams::new(1e5, 3.0, 0.3, -0.069, 0.15),
            &Psf::moffat(2.0, 0.5).unwrap(),
        )
        .unwrap();
    let worst = img
        .iter()
        .zip(want.iter())
        .map(|(a, b)| (*a as f64 - b).abs())
        .fold(0.0, f64::max);
    assert!(worst < 1e-6 * want.iter().cloned().fold(0.0, f64::max) + 1e-3);
}

#[test]
fn renders_a_csv_table_and_the_psf_alone() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("table.csv");
    std::fs::write(&csv, "flux,sersic_index,half_light_radius,g1,g2,psf_fwhm\n1e5,1,0.3,0,0,0.5\n2e5,4.5,0.5,0.3,-0.2,0.9\n3e4,0.5,0.1,0.1,0.1,0.7\n")
        .unwrap();
    let out = dir.path().join("cube.npy");
    let run = galaxy(&[
        "render",
        "--params",
        csv.to_str().unwrap(),
        "--size",
        "48",
        "--scale",
        "0.2",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let cube: Array3<f32> = ndarray_npy::read_npy(&out).unwrap();
    assert_eq!(cube.dim(), (3, 48, 48));
    let renderer = Renderer::new(Stamp::square(48, 0.2)).unwrap();
    let want = renderer
        .render(
            &GalaxyParams::new(2e5, 4.5, 0.5, 0.3, -0.2),
            &Psf::moffat(2.0, 0.9).unwrap(),
        )
        .unwrap();
    let got = cube.index_axis(Axis(0), 1);
    let worst = got
        .iter()
        .zip(want.iter())
        .map(|(a, b)| (*a as f64 - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst < 1e-6 * want.iter().cloned().fold(0.0, f64::max) + 1e-3,
        "row 2 differs by {worst}"
    );

    let psf_out = dir.path().join("psf.npy");
    let run = galaxy(&[
        "render",
        "--psf-only",
        "--psf-fwhm",
        "0.7",
        "--psf-beta",
        "3",
        "-o",
        psf_out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let psf: Array2<f32> = ndarray_npy::read_npy(&psf_out).unwrap();
    let sum: f32 = psf.sum();
    assert!((sum - 1.0).abs() < 2e-3, "PSF sums to {sum}");
}

#[test]
fn bad_parameters_exit_2_naming_the_field_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bad.npy");
    let o = out.to_str().unwrap();
    // The good defaults, with one flag replaced.
    let base = |field: &str, value: &str| -> Vec<String> {
        let defaults = [
            ("flux", "1e5"),
            ("sersic-index", "2"),
            ("half-light-radius", "0.3"),
            ("psf-fwhm", "0.5"),
            (field, value),
        ];
        let mut v = vec!["render".to_string(), "-o".to_string(), o.to_string()];
        for (name, val) in defaults
            .iter()
            .filter(|(name, _)| *name != field)
            .chain([(field, value)].iter())
        {
            v.push(format!("--{name}"));
            v.push(val.to_string());
        }
        v
    };
    for (field, value, expect) in [
        ("sersic-index", "6.5", "sersic_index"),
        ("sersic-index", "0.1", "sersic_index"),
        ("half-light-radius", "0", "half_light_radius"),
        ("half-light-radius", "-0.2", "half_light_radius"),
        ("g1", "1.2", "|g|"),
        ("g2", "-1", "|g|"),
        ("flux", "NaN", "flux"),
        ("flux", "inf", "flux"),
        ("psf-fwhm", "-1", "psf_fwhm"),
        ("psf-beta", "1.0", "psf_beta"),
    ] {
        let args = base(field, value);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_rejected(&refs, &out, &[expect]);
    }
    assert_rejected(
        &[
            "render",
            "--flux",
            "1e5",
            "--sersic-index",
            "2",
            "--half-light-radius",
            "0.3",
            "--psf-fwhm",
            "0.5",
            "--size",
            "1",
            "-o",
            o,
        ],
        &out,
        &["size"],
    );
}

#[test]
fn malformed_tables_exit_2_naming_the_row_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bad.npy");
    let o = out.to_str().unwrap();
    let header = "flux,sersic_index,half_light_radius,g1,g2,psf_fwhm\n";
    for (body, expect) in [
        (
            format!("{header}1e5,1,0.3,0,0,0.5\n1e5,abc,0.3,0,0,0.5\n"),
            vec!["row 2", "sersic_index", "abc"],
        ),
        (
            format!("{header}1e5,1,0.3,0,0,0.5\n1e5,1,0.3,0\n"),
            vec!["row 2"],
        ),
        (
            format!("{header}1e5,1,0.3,0,0,0.5\n1e5,1,0.3,0,0,0.5\n1e5,1,-1,0,0,0.5\n"),
            vec!["row 3", "half_light_radius"],
        ),
        (
            format!("{header}1e5,1,0.3,0.8,0.8,0.5\n"),
            vec!["row 1", "|g|"],
        ),
        (
            format!("{header}1e5,1,0.3,0,0,nan\n"),
            vec!["row 1", "psf_fwhm"],
        ),
        (
            "flux,sersic_index,g1,g2,psf_fwhm\n1e5,1,0,0,0.5\n".to_string(),
            vec!["half_light_radius"],
        ),
        (header.to_string(), vec!["no rows"]),
    ] {
        let csv = dir.path().join("t.csv");
        std::fs::write(&csv, body).unwrap();
        assert_rejected(
            &["render", "--params", csv.to_str().unwrap(), "-o", o],
            &out,
            &expect,
        );
    }
    assert_rejected(
        &["render", "--params", "/nonexistent/table.csv", "-o", o],
        &out,
        &["cannot open"],
    );
}
