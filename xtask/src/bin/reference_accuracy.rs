//! Prints, for each case of the GalSim reference renders, the distance of our render to GalSim's tight
//! `img_accurate` (max |diff| / peak, sum |diff| / flux), and the same for GalSim's own default settings.
//!
//! cargo run --release -p xtask --bin reference_accuracy [-- path/to/galsim_renders.npz]
use ndarray::{Array2, Array3, Axis};
use ndarray_npy::NpzReader;
use sersic_render::{Accuracy, GalaxyParams, Psf, Renderer, Stamp};

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../crates/sersic-render/tests/fixtures/galsim_renders.npz"
        )
        .into()
    });
    let mut npz =
        NpzReader::new(std::fs::File::open(&path).expect("open reference npz")).expect("npz");
    let params: Array2<f64> = npz.by_name("params.npy").expect("params");
    let accurate: Array3<f32> = npz.by_name("img_accurate.npy").expect("img_accurate");
    let default: Array3<f32> = npz
        .by_name("img_galsim_default.npy")
        .expect("img_galsim_default");
    // Optional accuracy overrides: fold_tolerance k_tolerance.
    let mut accuracy = Accuracy::default();
    if let Some(v) = std::env::args().nth(2) {
        accuracy.fold_tolerance = v.parse().expect("fold tolerance");
    }
    if let Some(v) = std::env::args().nth(3) {
        accuracy.k_tolerance = v.parse().expect("k tolerance");
    }
    let renderer = Renderer::with_accuracy(Stamp::default(), accuracy).unwrap();
    let mut total_points = 0usize;
    let mut ours_max = Vec::new();
    let mut gs_max = Vec::new();
    let mut ours_sum = Vec::new();
    let mut gs_sum = Vec::new();
    println!("case  flux      n     hlr    g1     g2    fwhm | ours max/peak sum/flux | galsim-default max/peak");
    for (i, p) in params.axis_iter(Axis(0)).enumerate() {
        let g = GalaxyParams::new(p[0], p[1], p[2], p[3], p[4]);
        let psf = Psf::moffat(2.0, p[5]).unwrap();
        let img = renderer.render(&g, &psf).unwrap();
        let reference = accurate.index_axis(Axis(0), i).mapv(f64::from);
        let peak = reference.iter().cloned().fold(f64::MIN, f64::max);
        let diff = &img - &reference;
        let max = diff.iter().map(|d| d.abs()).fold(0.0, f64::max) / peak;
        let sum = diff.iter().map(|d| d.abs()).sum::<f64>() / p[0];
        let gdiff = &default.index_axis(Axis(0), i).mapv(f64::from) - &reference;
        let gd = gdiff.iter().map(|d| d.abs()).fold(0.0, f64::max) / peak;
        ours_sum.push(sum);
        gs_sum.push(gdiff.iter().map(|d| d.abs()).sum::<f64>() / p[0]);
        let lattice = renderer.lattice_for(&g, &psf).unwrap();
        let (period, points) = (
            lattice.period,
            renderer.lattice_points(&lattice, &psf).unwrap(),
        );
        println!(
            "{i:4} {:9.0} {:5.2} {:5.3} {:6.3} {:6.3} {:4.2} | {max:9.2e} {sum:9.2e} | {gd:9.2e}  N={period} pts={points}",
            p[0], p[1], p[2], p[3], p[4], p[5]
        );
        total_points += points;
        ours_max.push(max);
        gs_max.push(gd);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let worst_of = |v: &Vec<f64>| v.iter().cloned().fold(0.0, f64::max);
    let (sw, gsw) = (worst_of(&ours_sum), worst_of(&gs_sum));
    println!(
        "sum |diff| / flux: ours median {:.2e}, worst {sw:.2e} | galsim default: median {:.2e}, worst {gsw:.2e}",
        median(&mut ours_sum),
        median(&mut gs_sum)
    );
    let worst = ours_max.iter().cloned().fold(0.0, f64::max);
    let gworst = gs_max.iter().cloned().fold(0.0, f64::max);
    println!(
        "mean lattice points per image: {}",
        total_points / ours_max.len()
    );
    println!(
        "ours: median max/peak {:.2e}, worst {worst:.2e} | galsim default: median {:.2e}, worst {gworst:.2e}",
        median(&mut ours_max),
        median(&mut gs_max)
    );
}
