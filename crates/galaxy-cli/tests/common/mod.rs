//! Helpers shared by the CLI's integration tests.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// Runs the `galaxy` binary in `dir` on two threads.
pub fn galaxy(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_galaxy"))
        .args(args)
        .current_dir(dir)
        .env("RAYON_NUM_THREADS", "2")
        .output()
        .unwrap()
}

/// A path under the galaxy-cli crate, e.g. `tests/fixtures/galsim_snr30_compressed.npz`.
pub fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// GalSim's 200 SNR 30 realisations of the seed's test galaxy (sigma 400), as a path string.
pub fn snr30() -> String {
    fixture("tests/fixtures/galsim_snr30_compressed.npz")
        .to_string_lossy()
        .into_owned()
}

/// GalSim's 200 SNR 60 realisations (sigma 200), kept with galaxy-data's fixtures.
pub fn snr60() -> String {
    fixture("../galaxy-data/tests/fixtures/galsim_snr60_compressed.npz")
        .to_string_lossy()
        .into_owned()
}

/// `galaxy train` in `dir` with `args` on `samples` data_v1 images simulated on the fly (batches of 16,
/// validating 16 images every 32 samples), to `output`: the smallest run that goes through every stage.
pub fn train_tiny(dir: &Path, args: &[&str], samples: &str, output: &str) -> Output {
    let mut all = vec!["train"];
    all.extend_from_slice(args);
    all.extend([
        "--preset",
        "data_v1",
        "--samples",
        samples,
        "--batch",
        "16",
        "--val-size",
        "16",
        "--eval-every",
        "32",
        "-o",
        output,
    ]);
    galaxy(&all, dir)
}

/// The last number on the line of `text` that starts with `name` (the rows of `galaxy denoise
/// --baselines`'s table).
pub fn score(text: &str, name: &str) -> f64 {
    let line = text
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no line '{name}' in: {text}"));
    line.split_whitespace().last().unwrap().parse().unwrap()
}

/// A command's standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `galaxy` with `args` in the crate's folder (for tests whose paths are all absolute).
pub fn run(args: &[&str]) -> Output {
    galaxy(args, Path::new(env!("CARGO_MANIFEST_DIR")))
}

/// Runs `galaxy` with `args` (as [`run`]) and checks that it refuses them as bad input: exit status 2, a
/// message that mentions every one of `expect`, and no file left at `out`.
pub fn assert_rejected(args: &[&str], out: &Path, expect: &[&str]) {
    let run = run(args);
    assert_eq!(run.status.code(), Some(2), "{args:?}: {}", stderr(&run));
    let msg = stderr(&run);
    for e in expect {
        assert!(
            msg.contains(e),
            "{args:?}: message {msg:?} should mention {e:?}"
        );
    }
    assert!(!out.exists(), "{args:?} left a file behind");
}

/// A `galaxy explore --port 0` process, killed on drop.
pub struct Server {
    child: Child,
    /// e.g. http://127.0.0.1:40123
    pub base: String,
    agent: ureq::Agent,
}

impl Server {
    pub fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_galaxy"))
            .args(["explore", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let start = line.find("http://").expect("the server prints its URL");
        let base = line[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_string();
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Server { child, base, agent }
    }

    /// POST `body` to `path`: status and body bytes.
    pub fn post(&self, path: &str, body: &str) -> (u16, Vec<u8>) {
        let mut r = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .send(body)
            .unwrap();
        let status = r.status().as_u16();
        let bytes = r
            .body_mut()
            .with_config()
            .limit(50 << 20)
            .read_to_vec()
            .unwrap();
        (status, bytes)
    }

    /// POST and parse the JSON answer.
    pub fn post_json(&self, path: &str, body: &str) -> (u16, Value) {
        let (status, bytes) = self.post(path, body);
        let value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "{path}: not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        });
        (status, value)
    }

    /// GET: status, content type and body text.
    pub fn get(&self, path: &str) -> (u16, String, String) {
        let mut r = self
            .agent
            .get(format!("{}{path}", self.base))
            .call()
            .unwrap();
        let kind = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (
            r.status().as_u16(),
            kind,
            r.body_mut().read_to_string().unwrap(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The rows of a CSV table (no stamp line) as (header → value) maps.
pub fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .map(String::from)
                .zip(r.unwrap().iter().map(String::from))
                .collect()
        })
        .collect()
}

/// Runs `galaxy args` in `dir` and asserts it was refused: exit status 2 and `needle` in its message.
pub fn assert_refused(args: &[&str], dir: &Path, needle: &str) {
    let out = galaxy(args, dir);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    assert!(
        stderr(&out).contains(needle),
        "{args:?}: no '{needle}' in {}",
        stderr(&out)
    );
}
