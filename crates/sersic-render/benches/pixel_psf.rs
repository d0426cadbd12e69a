//! Rendering throughput through a 41 x 41 PSF image on 64 x 64 stamps of 0.23", single thread, beside the
//! analytic Moffat path on the same galaxies and offsets.
//!
//! Galaxies come from the seed's prior (n in [0.5, 6] varying every image, hlr in [0.1, 0.6], |g| < 0.67,
//! flux 3e4..4e5), each off centre by U(-1.5, 1.5) pixels. The PSF image is read from `$PIXEL_PSF` (a
//! 41 x 41 float .npy, an effective PSF; `bench/compare_pixel_psf.sh` writes GalSim's Kolmogorov ⊗ Airy
//! there and times GalSim's `InterpolatedImage` on the same galaxies), else a beta = 3.5 Moffat drawn with
//! the pixel is used.
use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::Array2;
use sersic_render::{Psf, PsfImage, Renderer, Stamp};

#[path = "common/pixel_psf_setup.rs"]
mod setup;
use setup::prior;

fn psf_pixels(stamp: Stamp) -> Array2<f64> {
    setup::psf_pixels(std::env::var("PIXEL_PSF").ok(), stamp)
}

fn bench_pixel_psf(c: &mut Criterion) {
    let stamp = Stamp::square(64, 0.23);
    let renderer = Renderer::new(stamp).unwrap();
    let pixel_psf =
        Psf::image(PsfImage::new(psf_pixels(stamp).view(), stamp.scale, 1, true).unwrap());
    let moffat = Psf::moffat(2.0, 0.7).unwrap();
    let galaxies = prior(512, 19);
    let mut group = c.benchmark_group("pixel_psf_64");
    let mut i = 0;
    group.bench_function("image_varying_n", |b| {
        b.iter(|| {
            i = (i + 1) % galaxies.len();
            let (g, offset) = &galaxies[i];
            renderer.render_offset(g, &pixel_psf, *offset).unwrap()
        })
    });
    group.bench_function("image_jacobian7_varying_n", |b| {
        b.iter(|| {
            i = (i + 1) % galaxies.len();
            let (g, offset) = &galaxies[i];
            renderer
                .render_with_centre_jacobian(None, g, &pixel_psf, *offset)
                .unwrap()
        })
    });
    // What a fit's step costs: the image, then the Jacobian's transpose applied to a stamp of weights
    // (the gradient of −ln L) without the seven planes.
    let weights = Array2::from_shape_fn(stamp.dim(), |(r, c)| ((r * 7 + c * 3) % 11) as f64 - 5.0);
    group.bench_function("image_jacobian_dot_varying_n", |b| {
        b.iter(|| {
            i = (i + 1) % galaxies.len();
            let (g, offset) = &galaxies[i];
            let image = renderer.render_offset(g, &pixel_psf, *offset).unwrap();
            let dot = renderer
                .jacobian_dot(None, g, &pixel_psf, *offset, weights.view())
                .unwrap();
            (image, dot)
        })
    });
    group.bench_function("moffat_varying_n", |b| {
        b.iter(|| {
            i = (i + 1) % galaxies.len();
            let (g, offset) = &galaxies[i];
            renderer.render_offset(g, &moffat, *offset).unwrap()
        })
    });
    group.bench_function("moffat_jacobian7_varying_n", |b| {
        b.iter(|| {
            i = (i + 1) % galaxies.len();
            let (g, offset) = &galaxies[i];
            renderer
                .render_with_centre_jacobian(None, g, &moffat, *offset)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = bench_pixel_psf
}
criterion_main!(benches);
