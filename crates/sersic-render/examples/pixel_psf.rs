//! Draw an off-centre galaxy through a PSF given as a pixel image, on a rectangular stamp, with the
//! seven-column Jacobian (flux, n, hlr, g1, g2 and the centre offset dx, dy).
//!
//! The PSF image here is made on the spot (an elliptical Moffat-like star, 25 x 25 pixels, already holding
//! the pixel's response: an effective PSF, as PSFEx or Piff give); in practice it comes from a file.
use ndarray::Array2;
use sersic_render::{GalaxyParams, Psf, PsfImage, Renderer, Stamp, PARAM_NAMES_WITH_CENTRE};

fn main() {
    let scale = 0.2;
    let star = Array2::from_shape_fn((25, 25), |(j, i)| {
        let (x, y) = (i as f64 - 12.0, j as f64 - 12.0);
        (1.0 + (x * x / 9.0 + y * y / 7.0 + 0.05 * x * y)).powf(-3.0)
    });
    let psf = Psf::image(PsfImage::new(star.view(), scale, 1, true).expect("a usable PSF image"));
    let renderer = Renderer::new(Stamp::new(48, 40, scale)).expect("a valid stamp");
    let galaxy = GalaxyParams::new(1e5, 2.5, 0.35, 0.15, -0.1);
    let offset = [1.3, -0.6];
    let drawn = renderer
        .render_with_centre_jacobian(None, &galaxy, &psf, offset)
        .expect("a valid galaxy");
    let (rows, cols) = drawn.image.dim();
    let (mut sx, mut sy) = (0.0, 0.0);
    for ((r, c), v) in drawn.image.indexed_iter() {
        sx += v * c as f64;
        sy += v * r as f64;
    }
    let total = drawn.image.sum();
    println!(
        "{cols} x {rows} stamp, flux in it {total:.1}; centroid ({:.3}, {:.3}) vs true centre + offset ({:.3}, {:.3})",
        sx / total,
        sy / total,
        (cols as f64 - 1.0) / 2.0 + offset[0],
        (rows as f64 - 1.0) / 2.0 + offset[1]
    );
    for (name, plane) in PARAM_NAMES_WITH_CENTRE
        .iter()
        .zip(drawn.jacobian.outer_iter())
    {
        let largest = plane.iter().fold(0f64, |m, v| m.max(v.abs()));
        println!("d image / d {name:<18} largest |value| {largest:.4e}");
    }
}
