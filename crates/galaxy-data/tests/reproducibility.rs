//! Bit-reproducibility: thread counts, shards and merges, batch streams; and failures leave no file.

use std::path::{Path, PathBuf};

use galaxy_data::{
    merge, write_dataset, Dataset, Dist, Preset, Shard, SimSettings, Simulator, SnrWindow,
};

fn write_with_threads(
    settings: SimSettings,
    seed: u64,
    range: std::ops::Range<u64>,
    path: &Path,
    threads: usize,
) {
    let sim = Simulator::new(settings, seed).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| write_dataset(&sim, range, path, &mut |_| {}))
        .unwrap();
}

#[test]
fn same_seed_same_bytes_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = [1, 2, 3]
        .iter()
        .map(|t| dir.path().join(format!("t{t}.npz")))
        .collect();
    for (t, p) in [1, 2, 3].iter().zip(&paths) {
        write_with_threads(Preset::DataV3.settings(), 7, 0..300, p, *t);
    }
    let first = std::fs::read(&paths[0]).unwrap();
    for p in &paths[1..] {
        assert!(
            std::fs::read(p).unwrap() == first,
            "{} differs from the 1-thread file",
            p.display()
        );
    }
    // A different seed gives a different file.
    let other = dir.path().join("other.npz");
    write_with_threads(Preset::DataV3.settings(), 8, 0..300, &other, 2);
    assert!(std::fs::read(&other).unwrap() != first);
}

#[test]
fn merged_shards_equal_the_unsharded_file() {
    let dir = tempfile::tempdir().unwrap();
    let total = 530; // not a multiple of the shard count or of the writer's chunk
    for preset in [Preset::DataV1, Preset::DataV3] {
        let whole = dir.path().join(format!("{preset}_whole.npz"));
        write_with_threads(preset.settings(), 3, 0..total, &whole, 2);
        let parts: Vec<PathBuf> = (0..3)
            .map(|k| {
                let p = dir.path().join(format!("{preset}_{k}.npz"));
                write_with_threads(
                    preset.settings(),
                    3,
                    Shard::new(k, 3).unwrap().range(total),
                    &p,
                    2,
                );
                p
            })
            .collect();
        let merged = dir.path().join(format!("{preset}_merged.npz"));
        assert_eq!(merge(&parts, &merged).unwrap(), total);
        assert!(
            std::fs::read(&merged).unwrap() == std::fs::read(&whole).unwrap(),
            "{preset}: merge differs"
        );
    }
}

#[test]
fn merge_expands_differing_single_psfs() {
    let dir = tempfile::tempdir().unwrap();
    let mut narrow = Preset::DataV1.settings();
    narrow.prior.psf_fwhm = Dist::Fixed(0.7);
    let a = dir.path().join("a.npz");
    let b = dir.path().join("b.npz");
    let c = dir.path().join("c.npz");
    write_with_threads(Preset::DataV1.settings(), 1, 0..4, &a, 1);
    write_with_threads(narrow, 1, 0..3, &b, 1);
    write_with_threads(Preset::DataV3.settings(), 1, 0..2, &c, 1);
    let out = dir.path().join("abc.npz");
    assert_eq!(merge(&[a.clone(), b.clone(), c.clone()], &out).unwrap(), 9);
    let m = Dataset::read(&out).unwrap();
    assert_eq!(m.psf_img.shape(), &[9, 64, 64]);
    let (da, db, dc) = (
        Dataset::read(&a).unwrap(),
        Dataset::read(&b).unwrap(),
        Dataset::read(&c).unwrap(),
    );
    assert_eq!(m.psf_image(3), da.psf_image(0));
    assert_eq!(m.psf_image(4), db.psf_image(0));
    assert_eq!(m.psf_image(8), dc.psf_image(1));
    assert_eq!(
        m.img.index_axis(ndarray::Axis(0), 5),
        db.img.index_axis(ndarray::Axis(0), 1)
    );
    // Inputs of different image sizes cannot be merged.
    let mut small = Preset::DataV1.settings();
    small.stamp = sersic_render::Stamp::square(32, small.stamp.scale);
    let d = dir.path().join("d.npz");
    write_with_threads(small, 1, 0..2, &d, 1);
    let err = merge(&[a, d], &dir.path().join("bad.npz"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("32 x 32"), "{err}");
    assert!(!dir.path().join("bad.npz").exists());
}

#[test]
fn samples_and_batches_depend_only_on_seed_and_index() {
    let sim = Simulator::new(Preset::DataV2.settings(), 99).unwrap();
    let backwards: Vec<_> = (0..6u64).rev().map(|i| sim.sample(i).unwrap()).collect();
    let batch = sim.batch(0..6).unwrap();
    for s in &backwards {
        let i = s.index as usize;
        assert_eq!(batch.img.index_axis(ndarray::Axis(0), i), s.img);
        assert_eq!(
            f64::from(batch.label[[i, 1]]),
            s.params.sersic_index as f32 as f64
        );
    }
    let streamed: Vec<Dataset> = sim.batches(2, 2).take(2).map(Result::unwrap).collect();
    assert_eq!(streamed[0], sim.batch(2..4).unwrap());
    assert_eq!(streamed[1], sim.batch(4..6).unwrap());
}

#[test]
fn a_failed_run_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("never.npz");
    // A window only part of the prior reaches, and few attempts: some sample fails midway.
    let mut settings = Preset::DataV1.settings();
    settings.snr_window = Some(SnrWindow {
        lo: 99.0,
        hi: 100.0,
    });
    settings.max_attempts = 3;
    let sim = Simulator::new(settings, 1).unwrap();
    let err = write_dataset(&sim, 0..2000, &path, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("SNR window"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
