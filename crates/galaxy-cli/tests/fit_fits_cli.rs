//! `galaxy fit` on FITS inputs: one galaxy, a cube, a field with a catalogue and a segmentation map; masks,
//! weights, a sky; the catalogue as CSV and as a FITS table; every bad input refused with exit status 2.

use std::path::Path;

use galaxy_fits::{write_image, write_table, ColumnData, Key, Table};
use ndarray::{s, Array2, Array3};
use sersic_render::{GalaxyParams, Psf, PsfImage, Renderer, Stamp};

mod common;
use common::{galaxy, stderr};

const SCALE: f64 = 0.2;

/// A 15 x 15 effective PSF image (a Moffat drawn with the pixel) and the PSF it makes.
fn psf_pixels() -> (Array2<f64>, Psf) {
    let pixels = Renderer::new(Stamp::square(15, SCALE))
        .unwrap()
        .render_psf(&Psf::moffat(3.0, 0.6).unwrap())
        .unwrap();
    let psf = Psf::image(PsfImage::new(pixels.view(), SCALE, 1, true).unwrap());
    (pixels, psf)
}

fn wcs() -> Vec<Key> {
    vec![
        Key::real("CDELT1", -SCALE / 3600.0, "deg"),
        Key::real("CDELT2", SCALE / 3600.0, "deg"),
    ]
}

fn write(dir: &Path, name: &str, data: &Array2<f64>, keys: &[Key]) -> String {
    let path = dir.join(name);
    write_image(&path, data.view().into_dyn(), keys).unwrap();
    path.to_string_lossy().into_owned()
}

/// A galaxy drawn on a (rows, columns) stamp through `psf`, off its true centre by `offset` pixels.
fn draw(shape: (usize, usize), galaxy: &GalaxyParams, psf: &Psf, offset: [f64; 2]) -> Array2<f64> {
    Renderer::new(Stamp::new(shape.1, shape.0, SCALE))
        .unwrap()
        .render_offset(galaxy, psf, offset)
        .unwrap()
}

/// The rows of a CSV catalogue as (header → value) maps.
fn rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .map(String::from)
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn num(row: &std::collections::HashMap<String, String>, key: &str) -> f64 {
    row.get(key)
        .unwrap_or_else(|| panic!("no column {key}"))
        .parse()
        .unwrap()
}

fn run_ok(args: &[&str], dir: &Path) {
    let out = galaxy(args, dir);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_noiseless_galaxy_with_offset_sky_and_weights_is_recovered_to_1e_4() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, psf) = psf_pixels();
    let truth = GalaxyParams::new(5e4, 1.7, 0.45, 0.1, -0.15);
    let (shape, offset, sky) = ((40, 36), [0.7, -1.1], 3.0);
    let image = draw(shape, &truth, &psf, offset) + sky;
    // Weights that vary across the stamp: the fit must still land on the truth (the model is exact).
    let weight = Array2::from_shape_fn(shape, |(r, c)| 1e-2 * (1.0 + ((r * 7 + c * 3) % 5) as f64));
    write(dir.path(), "img.fits", &image, &wcs());
    write(dir.path(), "psf.fits", &pixels, &[]);
    write(dir.path(), "w.fits", &weight, &[]);
    run_ok(
        &[
            "fit",
            "img.fits",
            "--psf",
            "psf.fits",
            "--psf-includes-pixel",
            "--weight",
            "w.fits",
            "--fit-sky",
            "-o",
            "out.csv",
        ],
        dir.path(),
    );
    let row = &rows(&dir.path().join("out.csv"))[0];
    let x = (shape.1 as f64 - 1.0) / 2.0 + offset[0] + 1.0;
    let y = (shape.0 as f64 - 1.0) / 2.0 + offset[1] + 1.0;
    let close = |key: &str, want: f64, tolerance: f64| {
        let got = num(row, key);
        assert!((got - want).abs() <= tolerance, "{key}: {got} vs {want}");
    };
    close("flux", truth.flux, 1e-4 * truth.flux);
    close(
        "sersic_index",
        truth.sersic_index,
        1e-4 * truth.sersic_index,
    );
    close(
        "half_light_radius_arcsec",
        truth.half_light_radius,
        1e-4 * truth.half_light_radius,
    );
    close("g1", truth.g1, 1e-4);
    close("g2", truth.g2, 1e-4);
    close("x", x, 1e-4);
    close("y", y, 1e-4);
    close("sky", sky, 1e-4 * sky);
    assert_eq!(row["status"], "ok");
    assert_eq!(row["id"], "img");
    assert!(num(row, "flux_err") > 0.0 && num(row, "x_err") > 0.0);
}

#[test]
fn masked_pixels_change_nothing_whatever_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, psf) = psf_pixels();
    let shape = (32, 32);
    let clean = draw(
        shape,
        &GalaxyParams::new(3e4, 2.5, 0.3, -0.2, 0.05),
        &psf,
        [0.4, 0.2],
    );
    // Deterministic "noise" so the fit is not exact.
    let image = &clean
        + &Array2::from_shape_fn(shape, |(r, c)| {
            3.0 * (((r * 13 + c * 29) % 17) as f64 - 8.0)
        });
    let mask = Array2::from_shape_fn(shape, |(r, c)| {
        f64::from(u8::from(c > 24 && r < 10 || (r == 5 && c == 5)))
    });
    let mut garbage = image.clone();
    for ((r, c), m) in mask.indexed_iter() {
        if *m != 0.0 {
            garbage[[r, c]] = if (r + c) % 2 == 0 { f64::NAN } else { 1e9 };
        }
    }
    write(dir.path(), "psf.fits", &pixels, &[]);
    write(dir.path(), "mask.fits", &mask, &[]);
    let mut outputs = Vec::new();
    for (name, data) in [("a.fits", &image), ("b.fits", &garbage)] {
        write(dir.path(), name, data, &wcs());
        let out = format!("{name}.csv");
        run_ok(
            &[
                "fit",
                name,
                "--psf",
                "psf.fits",
                "--psf-includes-pixel",
                "--mask",
                "mask.fits",
                "--gain",
                "2",
                "--read-noise",
                "5",
                "--sky-level",
                "100",
                "-o",
                &out,
            ],
            dir.path(),
        );
        let text = std::fs::read_to_string(dir.path().join(out)).unwrap();
        // The id is the file's name; everything else must match byte for byte.
        outputs.push(
            text.replacen(&name[..1], "X", 1)
                .split_once('\n')
                .map(|(_, b)| b.to_string())
                .unwrap(),
        );
    }
    let strip_id = |s: &str| s.split_once(',').unwrap().1.to_string();
    assert_eq!(strip_id(&outputs[0]), strip_id(&outputs[1]));
}

/// A field of `count` galaxies with neighbours, one near the edge, its segmentation map and catalogue.
struct Field {
    image: Array2<f64>,
    segmentation: Array2<f64>,
    truth: Vec<(String, GalaxyParams, [f64; 2])>,
}

fn field(psf: &Psf) -> Field {
    let (rows, cols) = (150, 200);
    let mut image = Array2::zeros((rows, cols));
    let mut best = Array2::<f64>::zeros((rows, cols));
    let mut segmentation = Array2::zeros((rows, cols));
    let mut truth = Vec::new();
    for k in 0..20 {
        // A grid of 5 x 4 cells of 40 x 37 pixels; the galaxy of the middle column is moved 22 pixels
        // left, 18 pixels from its neighbour (inside each other's stamps), and galaxy 1 sits 2.4 pixels
        // from the field's left edge.
        let (gx, gy) = (k % 5, k / 5);
        let x = match (k, gx) {
            (0, _) => 3.4,
            (_, 2) => 20.3 + 40.0 * gx as f64 - 22.0,
            _ => 20.3 + 40.0 * gx as f64,
        };
        let y = 18.6 + 37.0 * gy as f64 + 0.37 * (k % 3) as f64;
        let galaxy = GalaxyParams::new(
            2e4 + 3e3 * k as f64,
            0.8 + 0.2 * (k % 7) as f64,
            0.25 + 0.02 * (k % 5) as f64,
            0.05 * ((k % 5) as f64 - 2.0),
            0.04 * ((k % 3) as f64 - 1.0),
        );
        let stamp = draw(
            (rows, cols),
            &galaxy,
            psf,
            [
                x - 1.0 - (cols as f64 - 1.0) / 2.0,
                y - 1.0 - (rows as f64 - 1.0) / 2.0,
            ],
        );
        for ((r, c), v) in stamp.indexed_iter() {
            image[[r, c]] += v;
            if *v > 20.0 && *v > best[[r, c]] {
                best[[r, c]] = *v;
                segmentation[[r, c]] = (k + 1) as f64;
            }
        }
        truth.push(((k + 1).to_string(), galaxy, [x, y]));
    }
    Field {
        image,
        segmentation,
        truth,
    }
}

#[test]
fn a_field_with_a_catalogue_and_segmentation_measures_every_galaxy_including_one_at_the_edge() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, psf) = psf_pixels();
    let f = field(&psf);
    write(dir.path(), "field.fits", &f.image, &wcs());
    write(dir.path(), "seg.fits", &f.segmentation, &[]);
    write(dir.path(), "psf.fits", &pixels, &[]);
    let mut catalog = String::from("id,x,y\n");
    for (id, _, [x, y]) in &f.truth {
        catalog += &format!("{id},{:.1},{:.1}\n", x, y);
    }
    std::fs::write(dir.path().join("cat.csv"), catalog).unwrap();
    run_ok(
        &[
            "fit",
            "field.fits",
            "--catalog",
            "cat.csv",
            "--segmentation",
            "seg.fits",
            "--psf",
            "psf.fits",
            "--psf-includes-pixel",
            "--sigma",
            "2",
            "--stamp-size",
            "40",
            "-o",
            "out.csv",
            "--save-models",
            "models",
        ],
        dir.path(),
    );
    let rows = rows(&dir.path().join("out.csv"));
    assert_eq!(rows.len(), 20);
    for (row, (id, galaxy, [x, y])) in rows.iter().zip(&f.truth) {
        assert_eq!(&row["id"], id);
        assert_eq!(row["status"], "ok", "galaxy {id}");
        // The neighbours' light that reaches into a galaxy's own segment is not modelled: a few per cent.
        let rel = |key: &str, want: f64| (num(row, key) - want).abs() / want;
        assert!(
            (num(row, "x") - x).abs() < 0.05 && (num(row, "y") - y).abs() < 0.05,
            "galaxy {id} at {x}, {y}: {row:?}"
        );
        assert!(rel("flux", galaxy.flux) < 0.03, "galaxy {id}: {row:?}");
        assert!(
            rel("half_light_radius_arcsec", galaxy.half_light_radius) < 0.05,
            "galaxy {id}: {row:?}"
        );
    }
    // Galaxy 1 is 3 pixels from the left edge: a partial stamp, narrower than the 40 asked for.
    assert!(num(&rows[0], "stamp_width") < 30.0, "{:?}", rows[0]);
    assert!(
        num(&rows[1], "masked_fraction") > 0.0,
        "the neighbour's segment is masked"
    );
    let model = galaxy_fits::read_key(&dir.path().join("models/1.fits"), 2, "EXTNAME").unwrap();
    assert_eq!(model.as_deref(), Some("MODEL"));
}

#[test]
fn a_cube_with_a_psf_cube_gives_one_row_each_and_a_fits_table() {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, psf) = psf_pixels();
    let galaxies = [
        GalaxyParams::new(4e4, 1.0, 0.3, 0.1, 0.0),
        GalaxyParams::new(6e4, 3.0, 0.4, -0.1, 0.2),
        GalaxyParams::new(2e4, 0.7, 0.2, 0.0, -0.3),
    ];
    let mut cube = Array3::zeros((3, 30, 30));
    for (k, g) in galaxies.iter().enumerate() {
        cube.slice_mut(s![k, .., ..])
            .assign(&draw((30, 30), g, &psf, [0.3 * k as f64, -0.2]));
    }
    let psf_cube = ndarray::stack(
        ndarray::Axis(0),
        &[pixels.view(), pixels.view(), pixels.view()],
    )
    .unwrap();
    write_image(
        &dir.path().join("cube.fits"),
        cube.view().into_dyn(),
        &wcs(),
    )
    .unwrap();
    write_image(
        &dir.path().join("psfs.fits"),
        psf_cube.view().into_dyn(),
        &[],
    )
    .unwrap();
    run_ok(
        &[
            "fit",
            "cube.fits",
            "--psf",
            "psfs.fits",
            "--psf-includes-pixel",
            "--sigma",
            "1",
            "-o",
            "out.fits",
        ],
        dir.path(),
    );
    let (table, _) = galaxy_fits::read_table(&dir.path().join("out.fits")).unwrap();
    assert_eq!(table.rows(), 3);
    let Some(ColumnData::Real(flux)) = table.column("flux") else {
        panic!("no flux column")
    };
    for (f, g) in flux.iter().zip(&galaxies) {
        assert!((f - g.flux).abs() < 1e-4 * g.flux, "{f} vs {}", g.flux);
    }
    assert_eq!(
        table.column("id"),
        Some(&ColumnData::Text(vec!["1".into(), "2".into(), "3".into()]))
    );
    let unit = galaxy_fits::read_key(&dir.path().join("out.fits"), 1, "PIXSCALE")
        .unwrap()
        .unwrap();
    assert!((unit.parse::<f64>().unwrap() - SCALE).abs() < 1e-12);
}

#[test]
fn the_seed_layout_still_gives_the_same_estimates() {
    let dir = tempfile::tempdir().unwrap();
    let input = common::snr60();
    run_ok(&["fit", &input, "-o", "out.csv"], dir.path());
    let expected = common::fixture("tests/fixtures/fit_snr60_before_fits_inputs.csv");
    let (now, before) = (rows(&dir.path().join("out.csv")), rows(&expected));
    assert_eq!(now.len(), before.len());
    for (a, b) in now.iter().zip(&before) {
        for key in ["flux", "sersic_index", "half_light_radius", "g1", "g2"] {
            let (x, y) = (num(a, key), num(b, key));
            assert!(
                (x - y).abs() <= 1e-9 * y.abs().max(1e-3),
                "{key}: {x} vs {y}"
            );
        }
    }
}

/// Files for the bad-input cases: a good image, PSF and weight, and variants.
fn bad_input_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let (pixels, psf) = psf_pixels();
    let image = draw(
        (24, 24),
        &GalaxyParams::new(3e4, 1.5, 0.3, 0.0, 0.0),
        &psf,
        [0.0, 0.0],
    );
    write(dir.path(), "img.fits", &image, &wcs());
    write(dir.path(), "psf.fits", &pixels, &[]);
    write(dir.path(), "zero_psf.fits", &Array2::zeros((9, 9)), &[]);
    write(
        dir.path(),
        "nan_psf.fits",
        &pixels.mapv(|v| if v > 0.05 { f64::NAN } else { v }),
        &[],
    );
    write(dir.path(), "w.fits", &Array2::from_elem((24, 24), 1.0), &[]);
    write(
        dir.path(),
        "w_small.fits",
        &Array2::from_elem((20, 24), 1.0),
        &[],
    );
    write(
        dir.path(),
        "w_negative.fits",
        &Array2::from_shape_fn((24, 24), |(r, c)| if r == 3 && c == 4 { -1.0 } else { 1.0 }),
        &[],
    );
    write(dir.path(), "w_zero.fits", &Array2::zeros((24, 24)), &[]);
    write(dir.path(), "mask_small.fits", &Array2::zeros((24, 23)), &[]);
    std::fs::write(dir.path().join("text.fits"), "not a FITS file at all").unwrap();
    let table = Table {
        columns: vec![("x".into(), ColumnData::Real(vec![1.0]))],
    };
    write_table(&dir.path().join("table_only.fits"), "T", &table, &[]).unwrap();
    std::fs::write(dir.path().join("no_x.csv"), "id,xpos,y\n1,5,5\n").unwrap();
    std::fs::write(dir.path().join("outside.csv"), "id,x,y\n1,5,5\n2,30.2,4\n").unwrap();
    dir
}

#[test]
fn bad_inputs_are_refused_with_exit_status_2_naming_the_file_and_field() {
    let dir = bad_input_dir();
    let base = [
        "fit",
        "img.fits",
        "--psf",
        "psf.fits",
        "--psf-includes-pixel",
        "-o",
        "out.csv",
    ];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        let mut a: Vec<&str> = base.to_vec();
        a.extend_from_slice(extra);
        a
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "fit",
                "text.fits",
                "--psf",
                "psf.fits",
                "--sigma",
                "1",
                "-o",
                "out.csv",
            ],
            "text.fits: not a readable FITS file",
        ),
        (
            vec![
                "fit",
                "table_only.fits",
                "--psf",
                "psf.fits",
                "--sigma",
                "1",
                "-o",
                "out.csv",
            ],
            "table_only.fits: holds no image",
        ),
        (
            with(&["--weight", "w_small.fits"]),
            "w_small.fits: the weight map is (20, 24)",
        ),
        (
            with(&["--sigma", "1", "--mask", "mask_small.fits"]),
            "mask_small.fits: the mask is (24, 23)",
        ),
        (
            with(&["--weight", "w_negative.fits"]),
            "w_negative.fits: pixel (x = 5, y = 4) is -1",
        ),
        (
            with(&["--weight", "w_zero.fits"]),
            "w_zero.fits: the weight is zero everywhere",
        ),
        (
            vec![
                "fit",
                "img.fits",
                "--psf",
                "zero_psf.fits",
                "--sigma",
                "1",
                "-o",
                "out.csv",
            ],
            "zero_psf.fits",
        ),
        (
            vec![
                "fit",
                "img.fits",
                "--psf",
                "nan_psf.fits",
                "--sigma",
                "1",
                "-o",
                "out.csv",
            ],
            "nan_psf.fits",
        ),
        (
            with(&["--sigma", "1", "--catalog", "no_x.csv"]),
            "no_x.csv: no 'x' column",
        ),
        (
            with(&["--sigma", "1", "--catalog", "outside.csv"]),
            "outside.csv: row 2 (id 2): position x = 30.2",
        ),
        (
            with(&["--weight", "w.fits", "--sigma-map", "w.fits"]),
            "--sigma-map",
        ),
        (with(&[]), "needs its noise"),
        (
            vec!["fit", "img.fits", "--sigma", "1", "-o", "out.csv"],
            "needs its PSF",
        ),
    ];
    for (args, message) in cases {
        let out = galaxy(&args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(message),
            "{args:?}: {:?} should mention {message:?}",
            stderr(&out)
        );
        assert!(!dir.path().join("out.csv").exists(), "{args:?} left a file");
    }
}
