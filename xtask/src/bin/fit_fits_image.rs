//! Fits one galaxy in a FITS image with `mle_fit::fit_image` and prints the estimate in Imfit's conventions,
//! as one JSON object: what `bench/compare_imfit_ngc3073.py` sets beside pyimfit's fit of the same data.
//!
//! ```sh
//! cargo run --release -p xtask --bin fit_fits_image -- IMAGE.fits --psf PSF.fits [--mask MASK.fits] \
//!     --gain G --read-noise R --sky S [--psf-includes-pixel] [--fit-sky]
//! ```
//!
//! Conventions of the output (Imfit's): x0, y0 are 1-based pixel coordinates (the first pixel's centre is
//! (1, 1)); PA in degrees counter-clockwise from +y; ell = 1 − b/a; r_e the major-axis half-light radius in
//! pixels, r_e = hlr / sqrt(1 − ell) (hlr the area-preserving radius); the flux is the untruncated total.
//! The image's WCS gives the pixel scale (only the ratio hlr/scale matters for these outputs).
use std::path::PathBuf;
use std::time::Instant;

use mle_fit::{fit_image, ImageFitOptions};
use noise_model::{CcdNoise, MaskPolarity, PixelNoise};
use sersic_render::{Psf, PsfImage, Renderer, Stamp};

fn value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let image_path = PathBuf::from(args.first().expect("an image"));
    let number = |flag: &str| -> f64 {
        value(&args, flag)
            .unwrap_or_else(|| panic!("{flag} is required"))
            .parse()
            .expect("a number")
    };
    let image = galaxy_fits::read_image(&image_path).expect("a FITS image");
    let scale = image.pixel_scale.unwrap_or(1.0);
    let data = image
        .data
        .into_dimensionality::<ndarray::Ix2>()
        .expect("a 2-D image");
    let psf_pixels = galaxy_fits::read_image(&PathBuf::from(value(&args, "--psf").expect("--psf")))
        .expect("a FITS PSF")
        .data
        .into_dimensionality::<ndarray::Ix2>()
        .expect("a 2-D PSF");
    let includes_pixel = args.iter().any(|a| a == "--psf-includes-pixel");
    let psf = Psf::image(
        PsfImage::new(psf_pixels.view(), scale, 1, includes_pixel).expect("a usable PSF"),
    );
    let ccd =
        CcdNoise::new(number("--sky"), number("--gain"), number("--read-noise")).expect("noise");
    let mut noise = PixelNoise::from_ccd(ccd, data.dim());
    if let Some(mask) = value(&args, "--mask") {
        let mask = galaxy_fits::read_image(&PathBuf::from(mask))
            .expect("a FITS mask")
            .data
            .into_dimensionality::<ndarray::Ix2>()
            .expect("a 2-D mask");
        noise = noise
            .with_mask(mask.view(), MaskPolarity::NonZeroIsBad)
            .expect("a mask of the image's shape");
    }
    let noise = noise
        .excluding_non_finite(data.view())
        .expect("usable pixels");
    let (rows, cols) = data.dim();
    let renderer = Renderer::new(Stamp::new(cols, rows, scale)).expect("a stamp");
    let options = ImageFitOptions {
        fit_sky: args.iter().any(|a| a == "--fit-sky"),
        ..ImageFitOptions::default()
    };
    let started = Instant::now();
    let fit = fit_image(&renderer, &psf, data.view(), &noise, &options).expect("a fit");
    let seconds = started.elapsed().as_secs_f64();
    let p = &fit.params;
    let e = &fit.errors;
    let g = p[3].hypot(p[4]);
    let ell = 2.0 * g / (1.0 + g);
    let pa = (0.5 * p[4].atan2(p[3]).to_degrees() + 90.0).rem_euclid(180.0);
    let r_e = p[2] / scale / (1.0 - ell).sqrt();
    let out = serde_json::json!({
        "x0": (cols as f64 - 1.0) / 2.0 + p[5] + 1.0,
        "y0": (rows as f64 - 1.0) / 2.0 + p[6] + 1.0,
        "x0_err": e[5], "y0_err": e[6],
        "pa": pa, "ell": ell, "n": p[1], "n_err": e[1], "r_e": r_e,
        "flux": p[0], "flux_err": e[0],
        "hlr_arcsec": p[2], "hlr_err": e[2], "g1": p[3], "g2": p[4], "g1_err": e[3], "g2_err": e[4],
        "chi_square": fit.chi_square, "dof": fit.dof, "converged": fit.converged,
        "iterations": fit.iterations, "seconds": seconds, "masked_fraction": fit.masked_fraction,
        "pixel_scale": scale,
    });
    println!("{out}");
}
