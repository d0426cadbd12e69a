//! Regenerates the embedded Sérsic Fourier table and reports its accuracy.
//!
//! cargo run --release -p xtask --bin build_sersic_table -- crates/sersic-render/data/sersic_ft.bin
//!
//! Optional further arguments: number of n segments (default 6) and Chebyshev degree (default 14).
use sersic_render::sersic::{unit_sersic_kvalue_exact, N_MAX, N_MIN};
use sersic_render::sersic_table::SersicTable;

const E_MIN: i32 = -24;
const E_MAX: i32 = 16;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "sersic_ft.bin".into());
    let segments: usize = args
        .get(2)
        .map(|s| s.parse().expect("segments"))
        .unwrap_or(6);
    let degree: usize = args
        .get(3)
        .map(|s| s.parse().expect("degree"))
        .unwrap_or(14);
    // Geometric segments: the transform changes faster with n at small n.
    let bounds: Vec<f64> = (0..=segments)
        .map(|i| N_MIN * (N_MAX / N_MIN).powf(i as f64 / segments as f64))
        .collect();
    let start = std::time::Instant::now();
    let table = SersicTable::generate(
        &bounds,
        degree,
        E_MIN,
        E_MAX,
        unit_sersic_kvalue_exact,
        |k, total| {
            if k % 20 == 0 || k == total {
                eprintln!(
                    "{k}/{total} n values ({:.0} s)",
                    start.elapsed().as_secs_f64()
                );
            }
        },
    );
    // Validate between the Chebyshev nodes: three n per segment, every 4th grid node.
    let xs = table.node_positions();
    let mut worst = 0f64;
    for w in bounds.windows(2) {
        let mut seg_worst = 0f64;
        for frac in [0.013, 0.37, 0.77, 0.991] {
            let n = w[0] + frac * (w[1] - w[0]);
            let (values, _) = table.node_values(n, false);
            for j in (0..xs.len()).step_by(4) {
                let exact = unit_sersic_kvalue_exact(n, xs[j].sqrt());
                seg_worst = seg_worst.max((values[j] - exact).abs());
            }
        }
        println!(
            "segment [{:.4}, {:.4}]: max |table - exact| = {seg_worst:.2e}",
            w[0], w[1]
        );
        worst = worst.max(seg_worst);
    }
    println!("worst interpolation error in n: {worst:.2e} (of F(0) = 1)");
    std::fs::write(&out, table.to_bytes()).expect("write table");
    println!(
        "wrote {out} ({} nodes x {} segments x degree {degree})",
        xs.len(),
        segments
    );
}
