use sersic_render::{GalaxyParams, Psf, PsfImage, Renderer, Stamp};
use std::collections::BTreeMap;
fn main() {
    let stamp = Stamp::square(64, 0.23);
    let r = Renderer::new(stamp).unwrap();
    let px = Renderer::new(Stamp::square(41, 0.23))
        .unwrap()
        .render_psf(&Psf::moffat(3.5, 0.7).unwrap())
        .unwrap();
    let img = Psf::image(PsfImage::new(px.view(), 0.23, 1, true).unwrap());
    let moffat = Psf::moffat(2.0, 0.7).unwrap();
    for (name, psf) in [("image", &img), ("moffat", &moffat)] {
        let mut h = BTreeMap::new();
        for k in 0..400 {
            let t = (k as f64 * 0.618).fract();
            let u = (k as f64 * 0.382 + 0.1).fract();
            let g = GalaxyParams::new(1e5, 0.5 + 5.5 * t, 0.1 + 0.5 * u, 0.3, 0.2);
            let l = r.lattice_for_offset(&g, psf, [1.0, -0.7]).unwrap();
            *h.entry(l.period).or_insert(0) += 1;
        }
        println!("{name}: {h:?}");
    }
}
