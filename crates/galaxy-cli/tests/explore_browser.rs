//! The explorer end to end in headless Chromium: load the page, move a slider, see the images and the SNR
//! change, press Measure, see the estimates (tests/e2e/explore.mjs drives the browser with playwright-core).
//!
//! Needs Chromium (/usr/bin/chromium or $CHROMIUM) and `npm ci` in tests/e2e; `.ci/run` installs both and
//! sets GALAXY_E2E=1, which turns a missing piece into a failure instead of a skip.

mod common;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_page_renders_reacts_to_a_slider_and_measures() {
    let e2e = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let required = std::env::var("GALAXY_E2E").is_ok_and(|v| v == "1");
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let missing: Vec<&str> = [
        (!node_ok, "node"),
        (!PathBuf::from(&chromium).exists(), "chromium"),
        (
            !e2e.join("node_modules/playwright-core").exists(),
            "tests/e2e/node_modules (npm ci)",
        ),
    ]
    .into_iter()
    .filter_map(|(gone, what)| gone.then_some(what))
    .collect();
    if !missing.is_empty() {
        assert!(!required, "GALAXY_E2E=1 but missing: {missing:?}");
        eprintln!("skipped: missing {missing:?} (set GALAXY_E2E=1 to require them; .ci/run installs them)");
        return;
    }
    let server = common::Server::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let shot = std::env::var("GALAXY_E2E_SCREENSHOT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| dir.path().join("explore.png"));
    let out = Command::new("node")
        .arg(e2e.join("explore.mjs"))
        .arg(format!("{}/", server.base))
        .arg(&shot)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{log}");
    assert!(log.contains("ok: the noisy image was redrawn"), "{log}");
    let size = std::fs::metadata(&shot).unwrap().len();
    assert!(size > 20_000, "screenshot of {size} bytes");
}
