//! Images per second of an estimator, inference and training, custom ops vs candle's stock ops
//! (grouped conv2d for the depthwise convolutions, candle-nn's batch norm then the activation).
//!
//!     RAYON_NUM_THREADS=2 cargo run --release -p xtask --bin nets_speed [config.json]
//!
//! With `SPEED_CUSTOM_ONLY` set, only the custom-op path runs (for profiling it).

use std::time::Instant;

// candle allocates a fresh buffer per op; glibc's malloc made inference several times slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use galaxy_nets::ops::use_stock_ops;
use galaxy_nets::{Architecture, Estimator, EstimatorConfig};

fn measure(cfg: &EstimatorConfig, batch: usize) -> (f64, f64) {
    let dev = Device::Cpu;
    let vm = VarMap::new();
    let net = Estimator::new(cfg, VarBuilder::from_varmap(&vm, DType::F32, &dev)).unwrap();
    println!("{} parameters", galaxy_nets::card::parameter_count(&vm));
    let x = Tensor::randn(0f32, 1.0, (batch, 1, 64, 64), &dev).unwrap();
    let mut opt = AdamW::new(vm.all_vars(), ParamsAdamW::default()).unwrap();
    // Targets shaped like the output (5 values, or 10 with log-variances).
    let y = net
        .forward_t(&x, None, false)
        .unwrap()
        .randn_like(0.0, 1.0)
        .unwrap();
    let t = Instant::now();
    let mut n = 0;
    while t.elapsed().as_secs_f64() < 3.0 {
        let _ = net.forward_t(&x, None, false).unwrap();
        n += batch;
    }
    let infer = n as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut n = 0;
    while t.elapsed().as_secs_f64() < 4.0 {
        let out = net.forward_t(&x, None, true).unwrap();
        let loss = (out - &y).unwrap().sqr().unwrap().mean_all().unwrap();
        opt.backward_step(&loss).unwrap();
        n += batch;
    }
    (infer, n as f64 / t.elapsed().as_secs_f64())
}

fn main() {
    let cfg = match std::env::args().nth(1) {
        Some(path) => serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap(),
        None => EstimatorConfig::new(Architecture::by_name("xception").unwrap()),
    };
    let (ci, ct) = measure(&cfg, 64);
    if std::env::var_os("SPEED_CUSTOM_ONLY").is_some() {
        // For profiling the custom path alone.
        println!("custom ops: inference {ci:.0} images/s, training {ct:.0} images/s");
        return;
    }
    use_stock_ops(true);
    let (si, st) = measure(&cfg, 64);
    println!("custom ops: inference {ci:.0} images/s, training {ct:.0} images/s");
    println!("stock candle: inference {si:.0} images/s, training {st:.0} images/s");
    println!("ratio: inference {:.1}x, training {:.1}x", ci / si, ct / st);
}
