//! Time per accepted sample, one thread: labels, rejection on the SNR window, noiseless image, noise, PSF
//! image. bench/compare_generate.sh puts these next to GalSim doing the same work.

use criterion::{criterion_group, criterion_main, Criterion};
use galaxy_data::{Preset, Simulator};
use std::hint::black_box;

fn simulate(c: &mut Criterion) {
    let mut group = c.benchmark_group("simulate_sample");
    group.sample_size(20);
    let cases = [
        (
            "data_v3_continuous_n",
            Preset::DataV3.settings().with_continuous_n(),
        ),
        ("data_v1", Preset::DataV1.settings()),
        ("snr60", Preset::Snr60.settings()),
    ];
    for (name, settings) in cases {
        let sim = Simulator::new(settings, 1).expect("preset settings are valid");
        let mut index = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                index += 1;
                black_box(sim.sample(index).expect("sample"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, simulate);
criterion_main!(benches);
