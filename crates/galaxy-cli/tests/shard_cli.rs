//! `--shard K/N` on every per-galaxy command and `galaxy merge` of the parts, without Slurm: the merged
//! parts equal the unsharded output byte for byte (npz, FITS cube and field inputs; CSV, FITS-table and npz
//! outputs), Slurm's array variables pick the shard, a killed shard leaves no file that looks complete,
//! and parts that do not belong together are refused with exit status 2, naming the files.

use std::path::Path;
use std::process::Command;

use galaxy_fits::{write_image, Key};
use ndarray::{s, Array2, Array3};
use sersic_render::{GalaxyParams, Psf, Renderer, Stamp};

mod common;
use common::{galaxy, stderr};

fn run_ok(args: &[&str], dir: &Path) -> String {
    let out = galaxy(args, dir);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stderr(&out)
}

fn bytes(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Runs `args` + `-o whole.<ext>` unsharded and as `shards` parts (merged in reverse order, which the
/// stamps put right), and checks the merged file against the whole one, byte for byte.
fn sharded_equals_whole(dir: &Path, args: &[&str], ext: &str, shards: usize) {
    let whole = format!("whole.{ext}");
    let mut full: Vec<&str> = args.to_vec();
    full.extend(["-o", &whole]);
    run_ok(&full, dir);
    let template = format!("part_{{shard}}.{ext}");
    let mut parts = Vec::new();
    for k in 0..shards {
        let shard = format!("{k}/{shards}");
        let mut part: Vec<&str> = args.to_vec();
        part.extend(["-o", &template, "--shard", &shard]);
        let said = run_ok(&part, dir);
        assert!(said.contains(&format!("shard {shard}")), "{said}");
        parts.push(format!("part_{k}.{ext}"));
    }
    parts.reverse();
    let merged = format!("merged.{ext}");
    let mut merge: Vec<&str> = vec!["merge"];
    merge.extend(parts.iter().map(String::as_str));
    merge.extend(["-o", &merged]);
    run_ok(&merge, dir);
    assert!(
        bytes(dir, &merged) == bytes(dir, &whole),
        "{args:?}: the merged parts differ from the unsharded output"
    );
    for p in parts.iter().chain([&merged, &whole]) {
        std::fs::remove_file(dir.join(p)).unwrap();
    }
}

fn simulated(dir: &Path, images: &str) {
    run_ok(
        &[
            "generate", "--preset", "data_v3", "--size", images, "--seed", "5", "-o", "d.npz",
        ],
        dir,
    );
}

#[test]
fn every_per_galaxy_command_merges_to_the_unsharded_output() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    simulated(dir, "22");
    sharded_equals_whole(dir, &["fit", "d.npz"], "csv", 3);
    // Batches of 8: the parts' edges fall inside batches, which the shards fill as the whole run does.
    sharded_equals_whole(dir, &["predict", "d.npz", "--batch", "8"], "csv", 3);
    sharded_equals_whole(
        dir,
        &["posterior", "d.npz", "--nodes", "4", "--samples", "16"],
        "csv",
        2,
    );
    sharded_equals_whole(dir, &["denoise", "d.npz", "--batch", "4"], "npz", 3);
    sharded_equals_whole(dir, &["reconstruct", "d.npz"], "npz", 2);
    // A compressed file (np.savez_compressed): its parts are read past, not seeked to.
    sharded_equals_whole(dir, &["predict", &common::snr60()], "csv", 3);
}

const SCALE: f64 = 0.2;

fn draw(shape: (usize, usize), galaxy: &GalaxyParams, psf: &Psf, offset: [f64; 2]) -> Array2<f64> {
    Renderer::new(Stamp::new(shape.1, shape.0, SCALE))
        .unwrap()
        .render_offset(galaxy, psf, offset)
        .unwrap()
}

fn galaxy_k(k: usize) -> GalaxyParams {
    GalaxyParams::new(
        3e4 + 4e3 * k as f64,
        0.8 + 0.4 * (k % 4) as f64,
        0.25 + 0.03 * (k % 3) as f64,
        0.05 * (k as f64 - 2.0),
        -0.03 * (k % 3) as f64,
    )
}

#[test]
fn fits_cubes_and_fields_shard_to_csv_and_fits_tables() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let psf = Psf::moffat(3.0, 0.7).unwrap();
    let wcs = [
        Key::real("CDELT1", -SCALE / 3600.0, "deg"),
        Key::real("CDELT2", SCALE / 3600.0, "deg"),
    ];
    let mut cube = Array3::zeros((5, 28, 28));
    for k in 0..5 {
        cube.slice_mut(s![k, .., ..]).assign(&draw(
            (28, 28),
            &galaxy_k(k),
            &psf,
            [0.2 * k as f64, -0.3],
        ));
    }
    write_image(&dir.join("cube.fits"), cube.view().into_dyn(), &wcs).unwrap();
    let cube_args = [
        "fit",
        "cube.fits",
        "--psf-fwhm",
        "0.7",
        "--psf-beta",
        "3",
        "--sigma",
        "2",
    ];
    sharded_equals_whole(dir, &cube_args, "csv", 2);
    sharded_equals_whole(dir, &cube_args, "fits", 3);

    let (rows, cols) = (60, 120);
    let mut field = Array2::zeros((rows, cols));
    let mut catalog = String::from("id,x,y\n");
    for k in 0..4 {
        let (x, y) = (15.3 + 30.0 * k as f64, 30.4);
        let offset = [
            x - 1.0 - (cols as f64 - 1.0) / 2.0,
            y - 1.0 - (rows as f64 - 1.0) / 2.0,
        ];
        field += &draw((rows, cols), &galaxy_k(k), &psf, offset);
        catalog += &format!("g{k},{x},{y}\n");
    }
    write_image(&dir.join("field.fits"), field.view().into_dyn(), &wcs).unwrap();
    std::fs::write(dir.join("cat.csv"), catalog).unwrap();
    let field_args = [
        "fit",
        "field.fits",
        "--catalog",
        "cat.csv",
        "--stamp-size",
        "28",
        "--psf-fwhm",
        "0.7",
        "--psf-beta",
        "3",
        "--sigma",
        "2",
    ];
    sharded_equals_whole(dir, &field_args, "fits", 2);
    sharded_equals_whole(dir, &field_args, "csv", 4);
}

#[test]
fn slurm_array_variables_pick_the_shard() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    simulated(dir, "9");
    // An array numbered 1..3: task 2 is shard 1 of 3.
    let out = Command::new(env!("CARGO_BIN_EXE_galaxy"))
        .args(["predict", "d.npz", "-o", "p_{shard}.csv"])
        .current_dir(dir)
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("shard 1/3: rows 3..6 of 9"),
        "{}",
        stderr(&out)
    );
    let text = String::from_utf8(bytes(dir, "p_1.csv")).unwrap();
    assert!(
        text.starts_with("# galaxy-shard 1/3 rows 3..6 of 9 run "),
        "{text}"
    );
    assert_eq!(text.lines().count(), 2 + 3);
    // --shard wins over the variables.
    let out = Command::new(env!("CARGO_BIN_EXE_galaxy"))
        .args(["predict", "d.npz", "-o", "q_{shard}.csv", "--shard", "0/2"])
        .current_dir(dir)
        .env("SLURM_ARRAY_TASK_ID", "2")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.join("q_0.csv").is_file());
}

#[test]
fn a_killed_shard_leaves_no_file_that_looks_complete_and_a_rerun_rewrites_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    simulated(dir, "1000");
    let args = [
        "fit",
        "d.npz",
        "-o",
        "f_{shard}.csv",
        "--shard",
        "0/2",
        "--threads",
        "1",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_galaxy"))
        .args(args)
        .current_dir(dir)
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the shard finished before it was killed");
    let visible: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.') && n != "d.npz")
        .collect();
    assert!(visible.is_empty(), "a killed shard left {visible:?}");
    run_ok(&args, dir);
    let first = bytes(dir, "f_0.csv");
    run_ok(&args, dir);
    assert!(first == bytes(dir, "f_0.csv"), "a rerun wrote other bytes");
}

fn refused(dir: &Path, args: &[&str], expect: &[&str]) {
    let out = galaxy(args, dir);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    let msg = stderr(&out);
    for e in expect {
        assert!(msg.contains(e), "{args:?}: {msg:?} should mention {e:?}");
    }
    assert!(!dir.join("m.csv").exists() && !dir.join("m.npz").exists());
}

#[test]
fn merge_refuses_parts_that_do_not_belong_together() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    simulated(dir, "9");
    for k in 0..3 {
        let shard = format!("{k}/3");
        run_ok(
            &["predict", "d.npz", "-o", "a_{shard}.csv", "--shard", &shard],
            dir,
        );
        run_ok(
            &[
                "predict",
                "d.npz",
                "-o",
                "b_{shard}.csv",
                "--shard",
                &shard,
                "--symmetrize",
            ],
            dir,
        );
    }
    run_ok(
        &["predict", "d.npz", "-o", "c_{shard}.csv", "--shard", "0/2"],
        dir,
    );
    run_ok(
        &["denoise", "d.npz", "-o", "n_{shard}.npz", "--shard", "0/2"],
        dir,
    );
    run_ok(&["predict", "d.npz", "-o", "whole.csv"], dir);
    refused(
        dir,
        &["merge", "a_0.csv", "a_2.csv", "-o", "m.csv"],
        &["shard 1/3 is missing"],
    );
    refused(
        dir,
        &[
            "merge", "a_0.csv", "a_1.csv", "a_1.csv", "a_2.csv", "-o", "m.csv",
        ],
        &["given twice", "a_1.csv"],
    );
    refused(
        dir,
        &["merge", "a_0.csv", "b_1.csv", "a_2.csv", "-o", "m.csv"],
        &["different runs", "a_0.csv", "b_1.csv"],
    );
    refused(
        dir,
        &["merge", "a_0.csv", "a_1.csv", "c_0.csv", "-o", "m.csv"],
        &["c_0.csv"],
    );
    refused(
        dir,
        &["merge", "a_0.csv", "whole.csv", "-o", "m.csv"],
        &["whole.csv is not a shard"],
    );
    // The same run's part with a column taken away.
    let text = String::from_utf8(bytes(dir, "a_1.csv")).unwrap();
    let edited: String = text
        .lines()
        .map(|l| {
            let mut cells: Vec<&str> = l.split(',').collect();
            if !l.starts_with('#') {
                cells.pop();
            }
            cells.join(",") + "\n"
        })
        .collect();
    std::fs::write(dir.join("a_1.csv"), edited).unwrap();
    refused(
        dir,
        &["merge", "a_0.csv", "a_1.csv", "a_2.csv", "-o", "m.csv"],
        &["different columns", "a_0.csv", "a_1.csv"],
    );
    refused(
        dir,
        &["merge", "a_0.csv", "n_0.npz", "-o", "m.csv"],
        &["n_0.npz"],
    );
    refused(
        dir,
        &["merge", "n_0.npz", "-o", "m.npz"],
        &["shard 1/2 is missing"],
    );
    // generate's parts are stamped too: two seeds are two runs.
    for (seed, shard) in [("1", "0/2"), ("2", "1/2")] {
        let args = [
            "generate", "--preset", "snr60", "--size", "6", "--seed", seed,
        ];
        let mut args = args.to_vec();
        args.extend(["--shard", shard, "-o", "g_{shard}.npz"]);
        run_ok(&args, dir);
    }
    refused(
        dir,
        &["merge", "g_0.npz", "g_1.npz", "-o", "m.npz"],
        &["different runs", "g_0.npz", "g_1.npz"],
    );
}

#[test]
fn an_output_that_is_a_pipe_is_written_into_not_replaced() {
    // `-o /dev/null` once renamed a temporary file onto the device; a FIFO stands in for it here.
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    simulated(dir, "4");
    run_ok(&["predict", "d.npz", "-o", "file.csv"], dir);
    let status = Command::new("mkfifo")
        .arg(dir.join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    let reader = std::thread::spawn({
        let pipe = dir.join("pipe");
        move || std::fs::read(pipe).unwrap()
    });
    run_ok(&["predict", "d.npz", "-o", "pipe"], dir);
    // Checked before joining the reader, which would wait for ever on a pipe no one wrote into.
    use std::os::unix::fs::FileTypeExt;
    let kind = std::fs::metadata(dir.join("pipe")).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe was replaced by a file");
    assert_eq!(reader.join().unwrap(), bytes(dir, "file.csv"));
}
