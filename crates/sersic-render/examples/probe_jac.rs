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
    let g = GalaxyParams::new(1e5, 3.0, 0.3, 0.3, 0.2);
    let off = [1.0, -0.7];
    let which = std::env::args().nth(1).unwrap_or_default();
    r.render_with_centre_jacobian(None, &g, &img, off).unwrap();
    let t = Instant::now();
    for _ in 0..3000 {
        match which.as_str() {
            "j7" => {
                r.render_with_centre_jacobian(None, &g, &img, off).unwrap();
            }
            "j5" => {
                r.render_with_jacobian_offset(&g, &img, off).unwrap();
            }
            _ => {
                r.render_offset(&g, &img, off).unwrap();
            }
        }
    }
    println!("{which}: {:?}", t.elapsed() / 3000);
}
