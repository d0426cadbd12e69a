use sersic_render::{GalaxyParams, Psf, PsfImage, Renderer, Stamp};
use std::time::Instant;
fn main() {
    let stamp = Stamp::square(64, 0.23);
    let r = Renderer::new(stamp).unwrap();
    let px = Renderer::new(Stamp::square(41, 0.23))
        .unwrap()
        .render_psf(&Psf::moffat(3.5, 0.7).unwrap())
        .unwrap();
    let img = Psf::image(PsfImage::new(px.view(), 0.23, 1, true).unwrap());
    let moffat = Psf::moffat(2.0, 0.7).unwrap();
    let g = GalaxyParams::new(1e5, 3.0, 0.3, 0.3, 0.2);
    for (name, psf) in [("image", &img), ("moffat", &moffat)] {
        for offset in [[0.0, 0.0], [1.0, -0.7]] {
            let t = Instant::now();
            r.render_offset(&g, psf, offset).unwrap();
            let first = t.elapsed();
            let t = Instant::now();
            for _ in 0..200 {
                r.render_offset(&g, psf, offset).unwrap();
            }
            let l = r.lattice_for_offset(&g, psf, offset).unwrap();
            println!(
                "{name} {offset:?}: first {:?}, then {:?} per image; lattice {l:?} points {}",
                first,
                t.elapsed() / 200,
                r.lattice_points(&l, psf).unwrap()
            );
        }
    }
}
