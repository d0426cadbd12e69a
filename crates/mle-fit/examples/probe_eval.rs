use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};
use std::time::Instant;
fn main() {
    let r = Renderer::new(Stamp::default()).unwrap();
    let g = GalaxyParams::new(1e5, 3.0, 0.3, -0.069, 0.15);
    let psf = Psf::moffat(2.0, 0.5).unwrap();
    let lat = r.lattice_for(&g, &psf).unwrap();
    println!("{lat:?} points {}", r.lattice_points(&lat, &psf).unwrap());
    for n in [1.0, 2.5, 4.5, 6.0] {
        let g2 = GalaxyParams::new(1e5, n, 0.3, -0.069, 0.15);
        println!("n={n}: {:?}", r.lattice_for(&g2, &psf).unwrap());
    }
    let t = Instant::now();
    for _ in 0..500 {
        std::hint::black_box(
            r.render_with_jacobian_on(Some(lat), &g, &psf, [0.0, 0.0])
                .unwrap(),
        );
    }
    println!("jacobian: {:.3} ms", t.elapsed().as_secs_f64() * 2.0);
    let t = Instant::now();
    for _ in 0..500 {
        std::hint::black_box(r.render_on(Some(lat), &g, &psf, [0.0, 0.0]).unwrap());
    }
    println!("image: {:.3} ms", t.elapsed().as_secs_f64() * 2.0);
}
