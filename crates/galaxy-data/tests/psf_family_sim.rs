//! Samples simulated with a PSF family: reproducible, off centre by their recorded offsets, each with its
//! own PSF image.

use galaxy_data::{Preset, PsfFamily, Simulator};

fn family_settings() -> galaxy_data::SimSettings {
    let mut settings = Preset::DataV3.settings().with_continuous_n();
    settings.psf_family = Some(PsfFamily::default());
    settings
}

#[test]
fn family_samples_are_reproducible_and_carry_their_offsets() {
    let sim = Simulator::new(family_settings(), 7).unwrap();
    let start = std::time::Instant::now();
    let a = sim.batch(0..32).unwrap();
    eprintln!(
        "32 family samples in {:.3} s",
        start.elapsed().as_secs_f64()
    );
    let start = std::time::Instant::now();
    sim.batch(32..96).unwrap();
    eprintln!("64 more in {:.3} s", start.elapsed().as_secs_f64());
    let b = sim.batch(0..32).unwrap();
    assert_eq!(a, b);
    let offset = a
        .offset
        .as_ref()
        .expect("a family dataset records its offsets");
    assert_eq!(offset.shape(), [32, 2]);
    assert!(offset.iter().all(|v| v.abs() <= 2.0));
    assert!(offset.iter().any(|v| v.abs() > 0.5));
    // One PSF image per sample, shared by groups of 8 consecutive samples, each of unit flux on the stamp.
    assert_eq!(a.psf_img.shape(), [32, 64, 64]);
    let sums: Vec<f32> = a.psf_img.outer_iter().map(|p| p.sum()).collect();
    assert!(sums.iter().all(|s| (s - 1.0).abs() < 0.02), "{sums:?}");
    let psf = |i| a.psf_img.index_axis(ndarray::Axis(0), i);
    assert_eq!(psf(0), psf(7));
    assert_ne!(psf(7), psf(8));
    // The light's centroid follows the offset (x along a row, y down the rows).
    for i in 0..32 {
        let img = a.img_nonoise.index_axis(ndarray::Axis(0), i);
        let total: f64 = img.iter().map(|&v| f64::from(v)).sum();
        let cx: f64 = img
            .indexed_iter()
            .map(|((_, x), &v)| x as f64 * f64::from(v))
            .sum::<f64>()
            / total
            - 31.5;
        let cy: f64 = img
            .indexed_iter()
            .map(|((y, _), &v)| y as f64 * f64::from(v))
            .sum::<f64>()
            / total
            - 31.5;
        assert!(
            (cx - f64::from(offset[[i, 0]])).abs() < 0.25,
            "{i}: {cx} vs {}",
            offset[[i, 0]]
        );
        assert!(
            (cy - f64::from(offset[[i, 1]])).abs() < 0.25,
            "{i}: {cy} vs {}",
            offset[[i, 1]]
        );
    }
}

#[test]
fn offsets_survive_a_round_trip_through_a_file() {
    let sim = Simulator::new(family_settings(), 8).unwrap();
    let data = sim.batch(0..5).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("family.npz");
    data.write(&path).unwrap();
    assert_eq!(galaxy_data::Dataset::read(&path).unwrap(), data);
    assert_eq!(
        galaxy_data::Dataset::read_range(&path, 1..4)
            .unwrap()
            .offset,
        Some(data.offset.unwrap().slice(ndarray::s![1..4, ..]).to_owned())
    );
}

#[test]
fn a_streamed_family_dataset_keeps_its_offsets_and_psf_images() {
    let sim = Simulator::new(family_settings(), 9).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("streamed.npz");
    galaxy_data::write_dataset(&sim, 0..12, &path, &mut |_| {}).unwrap();
    assert_eq!(
        galaxy_data::Dataset::read(&path).unwrap(),
        sim.batch(0..12).unwrap()
    );
}
