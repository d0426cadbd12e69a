//! The npz files: numpy's exact bytes, both of numpy's writers, the seed's single-PSF layout, bad files.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::Command;

use common::fixture;
use galaxy_data::npz::NpzStreamWriter;
use galaxy_data::{DataError, Dataset, Preset, Simulator, KEYS};
use ndarray::{Array1, Array2, Array3};

/// The arrays of tests/fixtures/make_fixtures.py's `synthetic`: value k of an array is k/4 + offset.
fn synthetic(n: usize, size: usize, single_psf: bool) -> Dataset {
    let seq = |count: usize, offset: f64| -> Vec<f32> {
        (0..count)
            .map(|k| (k as f64 * 0.25 + offset) as f32)
            .collect()
    };
    let cube = |m: usize, offset| {
        Array3::from_shape_vec((m, size, size), seq(m * size * size, offset)).unwrap()
    };
    Dataset {
        img: cube(n, -3.0),
        img_nonoise: cube(n, 1.0),
        label: Array2::from_shape_vec((n, 5), seq(n * 5, 2.0)).unwrap(),
        psf_r: Array1::from(seq(n, 0.5)),
        psf_img: cube(if single_psf { 1 } else { n }, 0.125),
        snr: Array1::from(seq(n, 10.0)),
        sigma: Array1::from(seq(n, 200.0)),
        offset: None,
    }
}

fn member_bytes(path: &Path, key: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut bytes = Vec::new();
    archive
        .by_name(&format!("{key}.npy"))
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

#[test]
fn every_member_has_the_bytes_numpy_writes() {
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours.npz");
    synthetic(3, 4, false).write(&ours).unwrap();
    let numpy = fixture("numpy_layout.npz");
    for key in KEYS {
        assert_eq!(
            member_bytes(&ours, key),
            member_bytes(&numpy, key),
            "member {key}.npy differs from numpy's"
        );
    }
    // And numpy's file reads back as the same arrays.
    assert_eq!(Dataset::read(&numpy).unwrap(), synthetic(3, 4, false));
}

#[test]
fn round_trip_in_both_psf_layouts() {
    let dir = tempfile::tempdir().unwrap();
    for single in [false, true] {
        let path = dir.path().join(format!("rt{single}.npz"));
        let data = synthetic(5, 6, single);
        data.write(&path).unwrap();
        let back = Dataset::read(&path).unwrap();
        assert_eq!(back, data);
        assert_eq!(
            back.psf_image(4),
            data.psf_image(if single { 0 } else { 4 })
        );
    }
}

#[test]
fn reads_the_seeds_compressed_single_psf_files() {
    let data = Dataset::read(&fixture("galsim_snr60_compressed.npz")).unwrap();
    assert_eq!(data.len(), 200);
    assert_eq!(data.psf_img.shape(), &[1, 64, 64]);
    assert_eq!(
        data.label.row(0).to_vec(),
        vec![1e5f32, 3.0, 0.3, -0.069, 0.15]
    );
    assert!((data.psf_image(150).sum() - 1.0).abs() < 0.02);
}

#[test]
fn generated_files_read_back_as_the_simulated_samples() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v3.npz");
    let sim = Simulator::new(Preset::DataV3.settings(), 11).unwrap();
    galaxy_data::write_dataset(&sim, 0..40, &path, &mut |_| {}).unwrap();
    let data = Dataset::read(&path).unwrap();
    assert_eq!(data, sim.batch(0..40).unwrap());
    assert_eq!(
        data.psf_img.shape(),
        &[40, 64, 64],
        "data_v3's PSF varies: one PSF image per sample"
    );
}

/// numpy itself, when this machine's Python has it (.ci/run installs it): loads our file, checks the
/// arrays against the Rust reader through a text dump, and checks every member's CRC.
#[test]
fn numpy_loads_our_files_when_available() {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let has_numpy = Command::new(&python)
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_numpy {
        eprintln!("SKIPPED: no numpy for {python}; the byte-level fixture test covers the layout");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.npz");
    let sim = Simulator::new(Preset::DataV1.settings(), 2).unwrap();
    galaxy_data::write_dataset(&sim, 0..12, &path, &mut |_| {}).unwrap();
    let script = r#"
import sys, zipfile, numpy as np
z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
d = np.load(sys.argv[1])
print(" ".join(f"{k}:{'x'.join(map(str, d[k].shape))}:{d[k].dtype}" for k in d.files))
print(repr(float(d["img"].astype(np.float64).sum())), repr(float(d["label"][:, 1].astype(np.float64).sum())))
"#;
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "numpy failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "img:12x64x64:float32 img_nonoise:12x64x64:float32 label:12x5:float32 psf_r:12:float32 \
         psf_img:1x64x64:float32 snr:12:float32 sigma:12:float32"
    );
    let data = Dataset::read(&path).unwrap();
    let sums: Vec<f64> = lines
        .next()
        .unwrap()
        .split(' ')
        .map(|s| s.parse().unwrap())
        .collect();
    let img_sum: f64 = data.img.iter().map(|&v| f64::from(v)).sum();
    let n_sum: f64 = data.label.column(1).iter().map(|&v| f64::from(v)).sum();
    assert!(
        (sums[0] - img_sum).abs() <= 1e-9 * img_sum.abs().max(1.0),
        "{} vs {img_sum}",
        sums[0]
    );
    assert!((sums[1] - n_sum).abs() < 1e-9);
}

#[test]
fn bad_files_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.npz");
    let err = Dataset::read(&missing).unwrap_err();
    assert!(
        matches!(err, DataError::Io { .. }) && err.to_string().contains("nope.npz"),
        "{err}"
    );

    let text = dir.path().join("text.npz");
    std::fs::write(&text, "flux,n\n1,2\n").unwrap();
    assert!(Dataset::read(&text)
        .unwrap_err()
        .to_string()
        .contains("not an .npz"));

    // A file without 'sigma'.
    let partial = dir.path().join("partial.npz");
    let mut shapes = Dataset::shapes(2, 4, false);
    shapes.pop();
    let mut w = NpzStreamWriter::create(&partial, &shapes).unwrap();
    for (k, (_, shape)) in shapes.iter().enumerate() {
        w.append(k, &vec![0.0; shape.iter().product()]).unwrap();
    }
    w.finish().unwrap();
    let err = Dataset::read(&partial).unwrap_err().to_string();
    assert!(err.contains("missing array 'sigma'"), "{err}");

    // Shapes that disagree: 3 labels for 2 images.
    let mut data = synthetic(2, 4, false);
    data.label = Array2::zeros((3, 5));
    let err = data
        .write(&dir.path().join("bad.npz"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("label has shape [3, 5], expected [2, 5]"),
        "{err}"
    );
    assert!(!dir.path().join("bad.npz").exists());
}

#[test]
fn an_unfinished_writer_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half.npz");
    let shapes = Dataset::shapes(4, 4, false);
    let mut w = NpzStreamWriter::create(&path, &shapes).unwrap();
    w.append(0, &[1.0; 32]).unwrap(); // half of img
    let err = w.finish().unwrap_err().to_string();
    assert!(err.contains("img.npy is incomplete"), "{err}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing may remain: {left:?}");
    // Dropping a writer midway (a crash unwinding) removes its temporary file too.
    let mut w = NpzStreamWriter::create(&path, &shapes).unwrap();
    w.append(0, &[1.0; 64]).unwrap();
    drop(w);
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    // Too much data for a member is refused.
    let mut w = NpzStreamWriter::create(&path, &shapes).unwrap();
    assert!(w.append(3, &[0.0; 5]).is_err());
}

#[test]
fn output_folder_must_exist() {
    let err = Dataset::shapes(1, 4, false);
    let e = NpzStreamWriter::create(Path::new("/no/such/folder/x.npz"), &err)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("does not exist"), "{e}");
}
