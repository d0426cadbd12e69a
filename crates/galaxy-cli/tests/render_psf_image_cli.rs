//! `galaxy render` through PSF images (FITS and .npy, one PSF or a cube with one per row), off-centre
//! galaxies and rectangular stamps; and PSF images that cannot be used (exit status 2 naming the file).
use ndarray::{Array2, Array3, ArrayD, Axis, IxDyn};
use sersic_render::{GalaxyParams, Psf, PsfImage, Renderer, Stamp};

mod common;
use common::{assert_rejected, run as galaxy, stderr};

/// An asymmetric PSF image of `h` x `w` pixels.
fn psf_pixels(h: usize, w: usize, tilt: f64) -> Array2<f64> {
    Array2::from_shape_fn((h, w), |(j, i)| {
        let (x, y) = (i as f64 - 0.45 * w as f64, j as f64 - 0.55 * h as f64);
        (-(x * x / 6.0 + y * y / 4.0 + tilt * x * y)).exp()
    })
}

fn close(a: &Array2<f32>, b: &Array2<f64>) {
    assert_eq!(a.dim(), b.dim());
    let peak = b.iter().cloned().fold(0.0, f64::max);
    let worst = a
        .iter()
        .zip(b)
        .fold(0f64, |m, (x, y)| m.max((*x as f64 - y).abs()));
    assert!(worst <= 1e-6 * peak, "{worst} of peak {peak}");
}

#[test]
fn renders_through_a_fits_psf_off_centre_on_a_rectangular_stamp() {
    let dir = tempfile::tempdir().unwrap();
    let psf_path = dir.path().join("psf.fits");
    let pixels = psf_pixels(21, 24, 0.1);
    galaxy_fits::write_image(&psf_path, pixels.view().into_dyn(), &[]).unwrap();
    let out = dir.path().join("g.npy");
    let run = galaxy(&[
        "render",
        "--flux",
        "1e5",
        "--sersic-index",
        "2",
        "--half-light-radius",
        "0.4",
        "--g1",
        "0.2",
        "--psf",
        psf_path.to_str().unwrap(),
        "--psf-includes-pixel",
        "--dx",
        "1.25",
        "--dy",
        "-0.5",
        "--width",
        "40",
        "--height",
        "30",
        "--scale",
        "0.2",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let img: Array2<f32> = ndarray_npy::read_npy(&out).unwrap();
    let psf = Psf::image(PsfImage::new(pixels.view(), 0.2, 1, true).unwrap());
    let want = Renderer::new(Stamp::new(40, 30, 0.2))
        .unwrap()
        .render_offset(
            &GalaxyParams::new(1e5, 2.0, 0.4, 0.2, 0.0),
            &psf,
            [1.25, -0.5],
        )
        .unwrap();
    close(&img, &want);
}

#[test]
fn a_psf_cube_gives_one_psf_per_row_with_offsets_from_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let cube = Array3::from_shape_fn((3, 30, 30), |(k, j, i)| {
        psf_pixels(30, 30, 0.05 * k as f64)[[j, i]]
    });
    let psf_path = dir.path().join("psfs.npy");
    ndarray_npy::write_npy(&psf_path, &cube.mapv(|v| v as f32)).unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(
        &csv,
        "dy,flux,sersic_index,half_light_radius,g1,g2,dx\n0.5,1e5,1,0.3,0,0,-1\n0,2e5,4,0.2,0.1,-0.2,0.3\n-1.5,5e4,0.6,0.5,-0.3,0.1,1.5\n",
    )
    .unwrap();
    let out = dir.path().join("g.npy");
    let run = galaxy(&[
        "render",
        "--params",
        csv.to_str().unwrap(),
        "--psf",
        psf_path.to_str().unwrap(),
        "--psf-oversampling",
        "2",
        "--size",
        "32",
        "--scale",
        "0.25",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let images: Array3<f32> = ndarray_npy::read_npy(&out).unwrap();
    assert_eq!(images.dim(), (3, 32, 32));
    let renderer = Renderer::new(Stamp::square(32, 0.25)).unwrap();
    let rows = [
        (GalaxyParams::new(1e5, 1.0, 0.3, 0.0, 0.0), [-1.0, 0.5]),
        (GalaxyParams::new(2e5, 4.0, 0.2, 0.1, -0.2), [0.3, 0.0]),
        (GalaxyParams::new(5e4, 0.6, 0.5, -0.3, 0.1), [1.5, -1.5]),
    ];
    for (k, (g, offset)) in rows.iter().enumerate() {
        let plane = cube.index_axis(Axis(0), k).mapv(|v| v as f32 as f64);
        let psf = Psf::image(PsfImage::new(plane.view(), 0.25, 2, false).unwrap());
        let want = renderer.render_offset(g, &psf, *offset).unwrap();
        close(&images.index_axis(Axis(0), k).to_owned(), &want);
    }
}

#[test]
fn unusable_psf_images_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bad.npy");
    let o = out.to_str().unwrap();
    let galaxy_flags = [
        "render",
        "--flux",
        "1e5",
        "--sersic-index",
        "1",
        "--half-light-radius",
        "0.3",
    ];
    let mut nan = psf_pixels(9, 9, 0.0);
    nan[[4, 2]] = f64::NAN;
    let cases: Vec<(&str, ArrayD<f64>, Vec<&str>)> = vec![
        (
            "empty.fits",
            ArrayD::zeros(IxDyn(&[9, 9])),
            vec!["empty.fits", "sums to 0"],
        ),
        (
            "negative.fits",
            ArrayD::from_elem(IxDyn(&[5, 5]), -1.0),
            vec!["negative.fits", "must be positive"],
        ),
        (
            "nan.fits",
            nan.into_dyn(),
            vec!["nan.fits", "NaN", "column 2, row 4"],
        ),
        (
            "small.fits",
            ArrayD::from_elem(IxDyn(&[2, 9]), 1.0),
            vec!["small.fits", "at least 3 x 3"],
        ),
        (
            "line.fits",
            ArrayD::from_elem(IxDyn(&[9]), 1.0),
            vec!["line.fits", "2-D"],
        ),
    ];
    for (name, data, expect) in cases {
        let path = dir.path().join(name);
        galaxy_fits::write_image(&path, data.view(), &[]).unwrap();
        let mut args = galaxy_flags.to_vec();
        args.extend(["--psf", path.to_str().unwrap(), "-o", o]);
        assert_rejected(&args, &out, &expect);
    }
    // A bad plane of a cube is named.
    let mut cube = Array3::from_shape_fn((3, 9, 9), |(_, j, i)| psf_pixels(9, 9, 0.0)[[j, i]]);
    cube.index_axis_mut(Axis(0), 2).fill(0.0);
    let cube_path = dir.path().join("cube.npy");
    ndarray_npy::write_npy(&cube_path, &cube).unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(
        &csv,
        "flux,sersic_index,half_light_radius,g1,g2\n1e5,1,0.3,0,0\n1e5,1,0.3,0,0\n1e5,1,0.3,0,0\n",
    )
    .unwrap();
    let params = [
        "render",
        "--params",
        csv.to_str().unwrap(),
        "--psf",
        cube_path.to_str().unwrap(),
        "-o",
        o,
    ];
    assert_rejected(&params, &out, &["cube.npy plane 2", "sums to 0"]);
    // A cube whose count does not match the table, a cube for one galaxy, a missing file, a file that is
    // not FITS, an unknown extension, a zero oversampling.
    std::fs::write(
        &csv,
        "flux,sersic_index,half_light_radius,g1,g2\n1e5,1,0.3,0,0\n",
    )
    .unwrap();
    cube.index_axis_mut(Axis(0), 2)
        .assign(&psf_pixels(9, 9, 0.0));
    ndarray_npy::write_npy(&cube_path, &cube).unwrap();
    assert_rejected(&params, &out, &["cube.npy holds 3 PSFs", "1 rows"]);
    let mut single = galaxy_flags.to_vec();
    single.extend(["--psf", cube_path.to_str().unwrap(), "-o", o]);
    assert_rejected(&single, &out, &["cube.npy holds 3 PSFs", "--params"]);
    let text = dir.path().join("text.fits");
    std::fs::write(&text, "not FITS").unwrap();
    for (path, expect) in [
        ("/nonexistent/psf.fits", "no such file"),
        (text.to_str().unwrap(), "not a readable FITS file"),
        ("psf.png", "FITS file (.fits"),
    ] {
        let mut args = galaxy_flags.to_vec();
        args.extend(["--psf", path, "-o", o]);
        assert_rejected(&args, &out, &[path, expect]);
    }
    let good = dir.path().join("good.npy");
    ndarray_npy::write_npy(&good, &psf_pixels(9, 9, 0.0)).unwrap();
    let mut args = galaxy_flags.to_vec();
    args.extend([
        "--psf",
        good.to_str().unwrap(),
        "--psf-oversampling",
        "0",
        "-o",
        o,
    ]);
    assert_rejected(&args, &out, &["good.npy", "oversampling 0"]);
}
