//! Accuracy against GalSim 2.8.5's tight renders (tests/fixtures/galsim_renders.npz, copied from the shared
//! reference set: 48 draws from the seed's prior with continuous n and PSF FWHM in [0.5, 1], and 8 corners).
use ndarray::{Array2, Array3, Axis};
use ndarray_npy::NpzReader;
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};

struct Reference {
    params: Array2<f64>,
    accurate: Array3<f32>,
    psf: Array3<f32>,
}

fn reference() -> Reference {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/galsim_renders.npz"
    );
    let mut npz =
        NpzReader::new(std::fs::File::open(path).expect("fixture present")).expect("valid npz");
    Reference {
        params: npz.by_name("params.npy").expect("params"),
        accurate: npz.by_name("img_accurate.npy").expect("img_accurate"),
        psf: npz.by_name("psf_img.npy").expect("psf_img"),
    }
}

#[test]
fn galaxies_match_galsim_tight_renders() {
    let r = reference();
    assert_eq!(r.params.nrows(), 56);
    let renderer = Renderer::new(Stamp::default()).unwrap();
    let mut relative_max = Vec::new();
    for (i, p) in r.params.axis_iter(Axis(0)).enumerate() {
        let galaxy = GalaxyParams::new(p[0], p[1], p[2], p[3], p[4]);
        let psf = Psf::moffat(2.0, p[5]).unwrap();
        let ours = renderer.render(&galaxy, &psf).unwrap();
        let want = r.accurate.index_axis(Axis(0), i).mapv(f64::from);
        let peak = want.iter().cloned().fold(f64::MIN, f64::max);
        let diff = &ours - &want;
        let max = diff.iter().map(|d| d.abs()).fold(0.0, f64::max);
        let sum = diff.iter().map(|d| d.abs()).sum::<f64>();
        assert!(
            max <= 1e-4 * peak,
            "case {i} {galaxy:?} psf {}: max |diff| / peak = {:.2e}",
            p[5],
            max / peak
        );
        assert!(
            sum <= 1e-3 * p[0],
            "case {i}: sum |diff| / flux = {:.2e}",
            sum / p[0]
        );
        relative_max.push(max / peak);
    }
    relative_max.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let median = relative_max[relative_max.len() / 2];
    assert!(
        median <= 3e-5,
        "median over cases of max |diff| / peak = {median:.2e}"
    );
}

#[test]
fn psf_alone_matches_galsim() {
    let r = reference();
    let renderer = Renderer::new(Stamp::default()).unwrap();
    for (i, p) in r.params.axis_iter(Axis(0)).enumerate().step_by(5) {
        let psf = Psf::moffat(2.0, p[5]).unwrap();
        let ours = renderer.render_psf(&psf).unwrap();
        let want = r.psf.index_axis(Axis(0), i).mapv(f64::from);
        let peak = want.iter().cloned().fold(f64::MIN, f64::max);
        let max = (&ours - &want).iter().map(|d| d.abs()).fold(0.0, f64::max);
        assert!(
            max <= 1e-4 * peak,
            "PSF fwhm {}: max |diff| / peak = {:.2e}",
            p[5],
            max / peak
        );
    }
}
