//! Trains a tiny CNN estimator on data_v1 batches simulated on the fly for one minute (on a CPU), saves
//! it with its card, loads it back and predicts 200 fresh images, printing the RMSE per parameter.
//!
//!     cargo run --release -p galaxy-nets --example train_tiny [-- seconds]
use candle_core::Device;
use galaxy_data::{Preset, Simulator};
use galaxy_nets::estimator::{predict_dataset, EstimatorTraining, Start};
use galaxy_nets::models::cnn::{CnnConfig, ConvLayer};
use galaxy_nets::train::{TrainOptions, TrainingData, TrainingRun};
use galaxy_nets::{Architecture, EstimatorConfig, Scaling};
use sersic_render::PARAM_NAMES;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: f64 = std::env::args().nth(1).map_or(Ok(60.0), |s| s.parse())?;
    let layer = |filters, kernel, stride| ConvLayer {
        filters,
        kernel,
        stride,
    };
    let config = EstimatorConfig {
        head_hidden: 32,
        psf_channel: false,
        offsets: false,
        ..EstimatorConfig::new(Architecture::Cnn(CnnConfig {
            layers: vec![layer(8, 5, 4), layer(16, 3, 2), layer(16, 3, 2)],
            ..CnnConfig::default()
        }))
    };
    let dir = tempfile::tempdir()?;
    let weights = dir.path().join("tiny.safetensors");
    let preset = Preset::DataV1;
    let data = TrainingData::simulated(preset, preset.settings(), "data_v1".into(), 1, 500)?;
    let run = EstimatorTraining {
        config,
        scaling: Scaling::default(),
        start: Start::Fresh,
        denoiser: None,
        output: weights.clone(),
        device_name: "cpu".into(),
    };
    let options = TrainOptions {
        samples: 10_000_000,
        eval_every: 5_000,
        max_seconds: Some(seconds),
        ..TrainOptions::default()
    };
    let trained = run.train(data, options, &Device::Cpu, &mut |_| {})?;
    println!(
        "trained {} parameters for {seconds} s; best validation loss {:.4}",
        trained.parameters, trained.metrics.loss
    );
    let model = galaxy_nets::load(&weights, &Device::Cpu)?;
    let test = Simulator::new(preset.settings(), 77)?.batch(0..200)?;
    let preds = predict_dataset(&model, &test, 64, &Device::Cpu)?;
    for (j, name) in PARAM_NAMES.iter().enumerate() {
        let mse = preds
            .iter()
            .enumerate()
            .map(|(i, p)| (p.params[j] - f64::from(test.label[[i, j]])).powi(2))
            .sum::<f64>()
            / preds.len() as f64;
        println!("{name:<18} RMSE on 200 new images {:.4}", mse.sqrt());
    }
    Ok(())
}
