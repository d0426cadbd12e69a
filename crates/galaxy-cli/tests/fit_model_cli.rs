//! `galaxy fit --model`: a bulge + disk FITS stamp measured into per-component columns with its GALFIT-style
//! blocks (one extension per component), and model files with mistakes refused with exit status 2 naming
//! the line.

use galaxy_fits::{write_image, Key};
use ndarray::Array2;
use sersic_render::{GalaxyParams, ModelPart, Psf, PsfImage, Renderer, Stamp};

mod common;
use common::{galaxy, stderr};

const SCALE: f64 = 0.2;

/// Writes a noiseless bulge (n = 4, B/T = 0.3) + exponential disk with an effective PSF image; returns
/// the paths of the image and the PSF.
fn inputs(dir: &std::path::Path) -> (String, String) {
    let psf_pixels = Renderer::new(Stamp::square(15, SCALE))
        .unwrap()
        .render_psf(&Psf::moffat(3.0, 0.6).unwrap())
        .unwrap();
    let psf = Psf::image(PsfImage::new(psf_pixels.view(), SCALE, 1, true).unwrap());
    let centre = [0.6, -0.3];
    let parts = [
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(3e4, 4.0, 0.3, 0.05, 0.0),
            offset: centre,
        },
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(7e4, 1.0, 0.9, 0.3, -0.1),
            offset: centre,
        },
    ];
    let image: Array2<f64> = Renderer::new(Stamp::new(48, 44, SCALE))
        .unwrap()
        .render_model(None, &parts, &psf)
        .unwrap();
    let wcs = [
        Key::real("CDELT1", -SCALE / 3600.0, "deg"),
        Key::real("CDELT2", SCALE / 3600.0, "deg"),
    ];
    let (image_path, psf_path) = (dir.join("bd.fits"), dir.join("psf.fits"));
    write_image(&image_path, image.view().into_dyn(), &wcs).unwrap();
    write_image(&psf_path, psf_pixels.view().into_dyn(), &[]).unwrap();
    (
        image_path.to_string_lossy().into_owned(),
        psf_path.to_string_lossy().into_owned(),
    )
}

/// Asserts that the CLI's float32 image is the library's within 1e-6 of the peak.
fn assert_drawn_as(drawn: &Array2<f32>, expected: &Array2<f64>) {
    let peak = expected.iter().cloned().fold(0.0, f64::max);
    let worst = drawn
        .iter()
        .zip(expected)
        .map(|(a, b)| (f64::from(*a) - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst <= 1e-6 * peak,
        "max |cli - library| / peak = {:e}",
        worst / peak
    );
}

#[test]
fn a_bulge_and_disk_stamp_gives_per_component_columns_and_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let (image, psf) = inputs(dir.path());
    let out = galaxy(
        &[
            "fit",
            &image,
            "--psf",
            &psf,
            "--psf-includes-pixel",
            "--sigma",
            "3",
            "--model",
            "de_vaucouleurs+exponential",
            "--save-models",
            "blocks",
            "-o",
            "bd.csv",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut reader = csv::Reader::from_path(dir.path().join("bd.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let row: Vec<String> = reader
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    let get = |name: &str| -> f64 {
        let at = header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"));
        row[at].parse().unwrap()
    };
    for (name, want, tolerance) in [
        ("bulge_flux", 3e4, 30.0),
        ("disk_flux", 7e4, 70.0),
        ("bulge_half_light_radius_arcsec", 0.3, 1e-3),
        ("disk_half_light_radius_arcsec", 0.9, 1e-3),
        ("disk_g1", 0.3, 1e-3),
        ("bulge_to_total", 0.3, 1e-3),
        ("x", 0.6 + 24.5, 1e-3),
    ] {
        let got = get(name);
        assert!((got - want).abs() <= tolerance, "{name}: {got} vs {want}");
    }
    assert!(
        !header.iter().any(|h| h == "bulge_sersic_index"),
        "n is fixed by the kind"
    );
    assert!(get("disk_flux_err") > 0.0);
    // DATA, MODEL, RESIDUAL, then one extension per component.
    let block = dir.path().join("blocks/bd.fits");
    let name = |hdu| galaxy_fits::read_key(&block, hdu, "EXTNAME").unwrap();
    assert_eq!(name(4).as_deref().map(str::trim), Some("BULGE"));
    assert_eq!(name(5).as_deref().map(str::trim), Some("DISK"));
}

#[test]
fn priors_leave_a_clear_stamp_at_its_truth_and_bad_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (image, psf) = inputs(dir.path());
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "fit",
            &image,
            "--psf",
            &psf,
            "--psf-includes-pixel",
            "--sigma",
            "3",
            "-o",
            "p.csv",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        galaxy(
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
            dir.path(),
        )
    };
    let out = run(&[
        "--model",
        "sersic+exponential",
        "--shape-prior",
        "0.3",
        "--bulge-inside",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = common::csv_rows(&dir.path().join("p.csv"));
    let get = |name: &str| rows[0][name].parse::<f64>().unwrap();
    for (name, want) in [
        ("bulge_half_light_radius_arcsec", 0.3),
        ("disk_half_light_radius_arcsec", 0.9),
        ("disk_g1", 0.3),
        ("bulge_g1", 0.05),
        ("bulge_to_total", 0.3),
    ] {
        assert!(
            (get(name) - want).abs() < 2e-3,
            "{name}: {} vs {want}",
            get(name)
        );
    }
    for bad in ["0", "-0.2", "nan", "inf"] {
        let flag = format!("--shape-prior={bad}");
        let out = run(&["--model", "sersic+exponential", &flag]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("--shape-prior"),
            "{bad}: {}",
            stderr(&out)
        );
    }
    // χ² as the statistic, with CCD noise (the variance follows the model): on noiseless data its fit
    // comes back to the truth (χ² ≈ 0), where the likelihood's (χ² + Σ ln V) is pulled off it.
    let chi2_of = |statistic: &str| {
        let mut a = args(&["--model", "sersic+exponential", "--statistic", statistic]);
        let at = a.iter().position(|x| x == "--sigma").unwrap();
        a.splice(
            at..at + 2,
            ["--gain", "2", "--read-noise", "5", "--sky-level", "100"].map(String::from),
        );
        let out = galaxy(
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
            dir.path(),
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let rows = common::csv_rows(&dir.path().join("p.csv"));
        rows[0]["chi_square"].parse::<f64>().unwrap()
    };
    let (by_likelihood, by_chi2) = (chi2_of("likelihood"), chi2_of("chi-square"));
    assert!(
        by_chi2 < 1e-3 && by_likelihood > 0.1,
        "χ² {by_chi2} vs likelihood's {by_likelihood}"
    );
    // The bulge-inside prior needs two extended components.
    let out = run(&["--model", "sersic+point", "--bulge-inside"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--bulge-inside"), "{}", stderr(&out));
    // Priors belong to models of several components.
    let out = run(&["--shape-prior", "0.3"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--model"), "{}", stderr(&out));
}

#[test]
fn model_files_with_mistakes_are_refused_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let (image, psf) = inputs(dir.path());
    let good = "[[component]]\nname = \"bulge\"\ntype = \"sersic\"\nsersic_index = { start = 4, min = 1, max = 6 }\n\n[[component]]\nname = \"disk\"\ntype = \"exponential\"\n";
    let cases = [
        (
            "type = \"exponential\"",
            "type = \"bar\"",
            "line 8: unknown component type",
        ),
        (
            "name = \"disk\"",
            "name = \"bulge\"",
            "line 7: a second component named",
        ),
        (
            "{ start = 4, min = 1, max = 6 }",
            "{ start = 9, min = 1, max = 6 }",
            "line 4:",
        ),
        (
            "{ start = 4, min = 1, max = 6 }",
            "{ fixed = true }",
            "line 4:",
        ),
    ];
    for (from, to, says) in cases {
        let file = dir.path().join("model.toml");
        std::fs::write(&file, good.replacen(from, to, 1)).unwrap();
        let out = galaxy(
            &[
                "fit",
                &image,
                "--psf",
                &psf,
                "--sigma",
                "3",
                "--model",
                "model.toml",
                "-o",
                "x.csv",
            ],
            dir.path(),
        );
        let message = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{to}: {message}");
        assert!(
            message.contains("model.toml") && message.contains(says),
            "{to}: {message}"
        );
        assert!(!dir.path().join("x.csv").exists());
    }
    let out = galaxy(
        &[
            "fit",
            &image,
            "--psf",
            &psf,
            "--sigma",
            "3",
            "--model",
            "bulge+bar",
            "-o",
            "x.csv",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn render_draws_a_model_file_and_refuses_one_with_a_missing_value() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bd.toml");
    std::fs::write(
        &file,
        "[[component]]\nname = \"bulge\"\ntype = \"de_vaucouleurs\"\nflux = 3e4\nhalf_light_radius = 0.3\n\n\
         [[component]]\nname = \"disk\"\ntype = \"exponential\"\nflux = 7e4\nhalf_light_radius = 0.9\ng1 = 0.3\n\n\
         [[component]]\nname = \"sky\"\ntype = \"sky\"\nlevel = 2.5\n",
    )
    .unwrap();
    let out = galaxy(
        &[
            "render",
            "--model",
            "bd.toml",
            "--psf-fwhm",
            "0.7",
            "--width",
            "40",
            "--height",
            "36",
            "--scale",
            "0.2",
            "--dx",
            "0.5",
            "-o",
            "bd.npy",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let drawn: Array2<f32> = ndarray_npy::read_npy(dir.path().join("bd.npy")).unwrap();
    let parts = [
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(3e4, 4.0, 0.3, 0.0, 0.0),
            offset: [0.5, 0.0],
        },
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(7e4, 1.0, 0.9, 0.3, 0.0),
            offset: [0.5, 0.0],
        },
    ];
    let expected = Renderer::new(Stamp::new(40, 36, 0.2))
        .unwrap()
        .render_model(None, &parts, &Psf::moffat(2.0, 0.7).unwrap())
        .unwrap()
        + 2.5;
    assert_drawn_as(&drawn, &expected);
    std::fs::write(
        &file,
        "[[component]]\nname = \"disk\"\ntype = \"exponential\"\nflux = 7e4\n",
    )
    .unwrap();
    let out = galaxy(
        &[
            "render",
            "--model",
            "bd.toml",
            "--psf-fwhm",
            "0.7",
            "-o",
            "x.npy",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("half_light_radius has no value"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("x.npy").exists());
}

#[test]
fn discrete_convolution_fits_imfits_model_back_and_refuses_what_it_cannot_draw() {
    // A noiseless stamp of the discrete model (each profile sampled at the pixel centres, summed over the
    // PSF image): fitted by it, the bulge + disk comes back (χ² ≈ 0); fitted by the continuous drawing,
    // whose model differs at the bulge's core, it cannot reach χ² ≈ 0.
    let dir = tempfile::tempdir().unwrap();
    let (_, psf_path) = inputs(dir.path());
    let psf_pixels = galaxy_fits::read_image(std::path::Path::new(&psf_path))
        .unwrap()
        .data
        .into_dimensionality::<ndarray::Ix2>()
        .unwrap();
    let psf = Psf::image(PsfImage::new(psf_pixels.view(), SCALE, 1, true).unwrap());
    let parts = [
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(3e4, 3.0, 0.3, 0.05, 0.0),
            offset: [0.6, -0.3],
        },
        ModelPart::Sersic {
            galaxy: GalaxyParams::new(7e4, 1.0, 0.9, 0.3, -0.1),
            offset: [0.6, -0.3],
        },
    ];
    let image: Array2<f64> = Renderer::new(Stamp::new(48, 44, SCALE))
        .unwrap()
        .with_convolution(sersic_render::Convolution::Discrete)
        .render_model(None, &parts, &psf)
        .unwrap();
    let wcs = [
        Key::real("CDELT1", -SCALE / 3600.0, "deg"),
        Key::real("CDELT2", SCALE / 3600.0, "deg"),
    ];
    let image_path = dir.path().join("discrete.fits");
    write_image(&image_path, image.view().into_dyn(), &wcs).unwrap();
    let image_path = image_path.to_string_lossy().into_owned();
    let fit = |extra: &[&str]| {
        let mut args = vec![
            "fit",
            &image_path,
            "--psf",
            &psf_path,
            "--gain",
            "2",
            "--read-noise",
            "5",
            "--sky-level",
            "100",
            "--model",
            "sersic+exponential",
            "--statistic",
            "chi-square",
            "-o",
            "d.csv",
        ];
        args.extend_from_slice(extra);
        galaxy(&args, dir.path())
    };
    let out = fit(&["--psf-includes-pixel", "--convolution", "discrete"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = common::csv_rows(&dir.path().join("d.csv"));
    let get = |name: &str| rows[0][name].parse::<f64>().unwrap();
    assert!(get("chi_square") < 1e-3, "χ² {}", get("chi_square"));
    for (name, want, tolerance) in [
        ("bulge_sersic_index", 3.0, 1e-3),
        ("bulge_half_light_radius_arcsec", 0.3, 1e-4),
        ("disk_half_light_radius_arcsec", 0.9, 1e-4),
        ("bulge_g1", 0.05, 1e-4),
        ("disk_g2", -0.1, 1e-4),
        ("bulge_to_total", 0.3, 1e-4),
        ("x", 0.6 + 24.5, 1e-4),
    ] {
        let got = get(name);
        assert!((got - want).abs() <= tolerance, "{name}: {got} vs {want}");
    }
    let out = fit(&["--psf-includes-pixel"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let continuous = common::csv_rows(&dir.path().join("d.csv"))[0]["chi_square"]
        .parse::<f64>()
        .unwrap();
    assert!(continuous > 0.1, "continuous χ² {continuous}");
    // What it cannot draw is refused before any fit, naming the option.
    for (extra, needle) in [
        (vec!["--convolution", "discrete"], "--psf-includes-pixel"),
        (
            vec![
                "--psf-includes-pixel",
                "--psf-oversampling",
                "2",
                "--convolution",
                "discrete",
            ],
            "--psf-oversampling 2",
        ),
    ] {
        let out = fit(&extra);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("--convolution discrete"),
            "{}",
            stderr(&out)
        );
    }
    let psf_image = ["--psf", psf_path.as_str(), "--psf-includes-pixel"];
    for (psf, model, needle) in [
        (
            &["--psf-fwhm", "0.6"][..],
            "--model=sersic+exponential",
            "--convolution discrete needs a PSF image",
        ),
        (&psf_image[..], "--model=sersic+point", "point source"),
        // It belongs to models.
        (&psf_image[..], "--fit-sky", "--model"),
    ] {
        let mut args = vec!["fit", &image_path, "--sigma", "3", model, "-o", "p.csv"];
        args.extend_from_slice(&["--convolution", "discrete"]);
        args.extend_from_slice(psf);
        common::assert_refused(&args, dir.path(), needle);
    }
    assert!(!dir.path().join("p.csv").exists());
    // `galaxy render --model --convolution discrete` draws what the library draws, and refuses an
    // analytic PSF by name.
    std::fs::write(
        dir.path().join("bd.toml"),
        "[[component]]\nname = \"bulge\"\ntype = \"sersic\"\nflux = 3e4\nsersic_index = 3\n\
         half_light_radius = 0.3\ng1 = 0.05\n\n[[component]]\nname = \"disk\"\ntype = \"exponential\"\n\
         flux = 7e4\nhalf_light_radius = 0.9\ng1 = 0.3\ng2 = -0.1\n",
    )
    .unwrap();
    let render = |psf: &[&str]| {
        let mut args = vec!["render", "--model", "bd.toml", "--convolution", "discrete"];
        args.extend_from_slice(psf);
        args.extend_from_slice(&[
            "--width", "48", "--height", "44", "--scale", "0.2", "--dx", "0.6", "--dy", "-0.3",
            "-o", "r.npy",
        ]);
        galaxy(&args, dir.path())
    };
    let out = render(&["--psf", &psf_path, "--psf-includes-pixel"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let drawn: Array2<f32> = ndarray_npy::read_npy(dir.path().join("r.npy")).unwrap();
    assert_drawn_as(&drawn, &image);
    let out = render(&["--psf-fwhm", "0.7"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--convolution discrete: discrete convolution needs a PSF image"),
        "{}",
        stderr(&out)
    );
}
