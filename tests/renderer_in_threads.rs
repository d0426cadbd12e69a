//! The renderer is shared between threads: batches equal one-by-one renders, whatever the thread count.
use galaxy_toolkit::sersic_render::{GalaxyParams, Psf, Renderer, Stamp};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn batch_rendering_matches_sequential_and_the_renderer_is_sync() {
    assert_send_sync::<Renderer>();
    let renderer = Renderer::new(Stamp::default()).unwrap();
    let psf = Psf::moffat(2.0, 0.7).unwrap();
    let galaxies: Vec<GalaxyParams> = (0..24)
        .map(|i| {
            let t = i as f64 / 24.0;
            GalaxyParams::new(
                1e5 * (1.0 + t),
                0.5 + 5.5 * t,
                0.1 + 0.5 * t,
                0.3 * (1.0 - t),
                -0.2 * t,
            )
        })
        .collect();
    let batch = renderer.render_batch(&galaxies, &psf).unwrap();
    for (g, img) in galaxies.iter().zip(&batch) {
        assert_eq!(img, &renderer.render(g, &psf).unwrap());
    }
    let pairs: Vec<_> = galaxies
        .iter()
        .map(|g| (*g, Psf::moffat(2.0, 0.5 + g.half_light_radius).unwrap()))
        .collect();
    let mixed = renderer.render_pairs(&pairs).unwrap();
    assert_eq!(mixed[5], renderer.render(&pairs[5].0, &pairs[5].1).unwrap());
    // A bad galaxy anywhere in a batch is an error, not a panic.
    let mut bad = galaxies.clone();
    bad[7].sersic_index = 9.0;
    assert!(renderer.render_batch(&bad, &psf).is_err());
}
