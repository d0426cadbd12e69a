//! Simulates 500 images of the seed's `data_v3` (PSF FWHM 0.5–1.0", sigma 200–400, SNR 10–100), streams
//! them to an `.npz` in the seed's layout (readable by `numpy.load`), reads it back and prints what is in
//! it. The same seed gives the same bytes, whatever the thread count.
//!
//!     cargo run --release -p galaxy-data --example simulate_data_v3 [-- out.npz]
use galaxy_data::{write_dataset, Dataset, Preset, Simulator};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = std::env::args()
        .nth(1)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("data_v3_500.npz"));
    let sim = Simulator::new(Preset::DataV3.settings(), 42)?;
    let summary = write_dataset(&sim, 0..500, &path, &mut |_| {})?;
    println!(
        "wrote {} images ({} draws rejected by the SNR window) to {} at {:.0} images/s",
        summary.accepted,
        summary.rejected,
        path.display(),
        summary.images_per_second()
    );
    let data = Dataset::read(&path)?;
    let range = |v: &ndarray::Array1<f32>| {
        let lo = v.iter().copied().fold(f32::INFINITY, f32::min);
        let hi = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        format!("{lo:.2}–{hi:.2}")
    };
    println!(
        "img {:?}; PSF FWHM {}; sigma {}; SNR {}",
        data.img.dim(),
        range(&data.psf_r),
        range(&data.sigma),
        range(&data.snr)
    );
    println!("first label (flux, n, hlr, g1, g2): {}", data.label.row(0));
    Ok(())
}
