//! Rendering throughput on the seed's geometry (64 x 64, 0.23"), single thread.
//!
//! Galaxies are drawn from the seed's prior (continuous n in [0.5, 6], hlr in [0.1, 0.6], |g| < 0.67,
//! flux 3e4..4e5) with a beta = 2 Moffat PSF of FWHM 0.5" (data_v1) or FWHM in [0.5, 1] (data_v3).
//! `bench/compare_galsim.sh` runs this and GalSim on the same kind of list and prints the ratios.
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rand::{RngExt, SeedableRng};
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};
use std::f64::consts::PI;

fn prior(count: usize, seed: u64) -> Vec<GalaxyParams> {
    let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
    (0..count)
        .map(|_| {
            let a: f64 = rng.random_range(0.0..0.67);
            let b: f64 = rng.random_range(0.0..PI);
            GalaxyParams::new(
                1e5 * rng.random_range(0.3..4.0),
                rng.random_range(0.5..6.0),
                rng.random_range(0.1..0.6),
                a * (2.0 * b).cos(),
                a * (2.0 * b).sin(),
            )
        })
        .collect()
}

fn bench_render(c: &mut Criterion) {
    let renderer = Renderer::new(Stamp::default()).unwrap();
    let psf = Psf::moffat(2.0, 0.5).unwrap();
    let galaxies = prior(512, 1);
    let fixed_n: Vec<GalaxyParams> = galaxies
        .iter()
        .map(|g| GalaxyParams {
            sersic_index: 3.0,
            ..*g
        })
        .collect();
    let psfs: Vec<Psf> = prior(512, 2)
        .iter()
        .map(|g| Psf::moffat(2.0, 0.5 + g.half_light_radius - 0.1).unwrap())
        .collect();
    let mut group = c.benchmark_group("render_64");
    let mut i = 0;
    group.bench_function("varying_n", |b| {
        b.iter(|| {
            i = (i + 1) % galaxies.len();
            renderer.render(&galaxies[i], &psf).unwrap()
        })
    });
    group.bench_function("repeated_n", |b| {
        b.iter(|| {
            i = (i + 1) % fixed_n.len();
            renderer.render(&fixed_n[i], &psf).unwrap()
        })
    });
    group.bench_function("jacobian_varying_n", |b| {
        b.iter(|| {
            i = (i + 1) % galaxies.len();
            renderer.render_with_jacobian(&galaxies[i], &psf).unwrap()
        })
    });
    group.bench_function("varying_n_and_psf", |b| {
        b.iter_batched(
            || {
                i = (i + 1) % galaxies.len();
                i
            },
            |k| renderer.render(&galaxies[k], &psfs[k]).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = bench_render
}
criterion_main!(benches);
