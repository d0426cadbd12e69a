//! Time per maximum-likelihood fit, one thread, on noisy realisations of the seed's test galaxy at SNR 60
//! (the images of `galaxy generate --preset snr60`). bench/compare_fit.sh puts it next to GalSim + scipy.

use criterion::{criterion_group, criterion_main, Criterion};
use galaxy_data::{Preset, Simulator};
use mle_fit::{FitOptions, Fitter};
use sersic_render::{Psf, Renderer, Stamp};
use std::hint::black_box;

fn fit(c: &mut Criterion) {
    let renderer = Renderer::new(Stamp::default()).expect("default stamp");
    let fitter = Fitter::new(&renderer, FitOptions::default()).expect("default options");
    let psf = Psf::moffat(2.0, 0.5).expect("valid PSF");
    let data = Simulator::new(Preset::Snr60.settings(), 7)
        .expect("preset")
        .batch(0..32)
        .expect("samples");
    let images: Vec<_> = data.img.outer_iter().map(|i| i.mapv(f64::from)).collect();
    let mut group = c.benchmark_group("fit");
    group.sample_size(30);
    let mut k = 0;
    group.bench_function("snr60_test_galaxy", |b| {
        b.iter(|| {
            k = (k + 1) % images.len();
            black_box(fitter.fit(images[k].view(), &psf, 200.0).expect("fit"))
        })
    });
    group.finish();
}

criterion_group!(benches, fit);
criterion_main!(benches);
