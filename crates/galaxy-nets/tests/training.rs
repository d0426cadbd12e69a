//! Training and persistence: a tiny model overfits 64 samples; save/load gives bit-identical predictions.

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use galaxy_data::{Preset, Simulator};
use galaxy_nets::estimator::{self as card, predict, EstimatorObjective};
use galaxy_nets::models::cnn::{CnnConfig, ConvLayer};
use galaxy_nets::records::{EstimatorValidation, TrainingRecord};
use galaxy_nets::train::{TrainOptions, TrainSource, Trainer};
use galaxy_nets::{Architecture, Estimator, EstimatorConfig, ModelCard, Scaling};

fn tiny() -> EstimatorConfig {
    let l = |filters, kernel, stride| ConvLayer {
        filters,
        kernel,
        stride,
    };
    let cnn = CnnConfig {
        layers: vec![l(8, 5, 4), l(16, 3, 2), l(16, 3, 2)],
        ..CnnConfig::default()
    };
    EstimatorConfig {
        head_hidden: 32,
        psf_channel: false,
        offsets: false,
        ..EstimatorConfig::new(Architecture::Cnn(cnn))
    }
}

#[test]
fn a_tiny_model_overfits_64_samples() {
    let dev = Device::Cpu;
    let data = Simulator::new(Preset::DataV1.settings(), 5)
        .unwrap()
        .batch(0..64)
        .unwrap();
    let vm = VarMap::new();
    let cfg = tiny();
    let net = Estimator::new(&cfg, VarBuilder::from_varmap(&vm, DType::F32, &dev)).unwrap();
    let scaling = Scaling::default();
    let before = galaxy_nets::estimator::evaluate(&net, &scaling, &data, Default::default(), &dev)
        .unwrap()
        .loss;
    let options = TrainOptions {
        batch: 32,
        learning_rate: 1e-2,
        samples: 64 * 150,
        eval_every: 64 * 150,
        patience: 100,
        ..TrainOptions::default()
    };
    let objective = EstimatorObjective::new(&net, &scaling, options.loss);
    let best = Trainer::new(&objective, &vm, &dev)
        .options(options)
        .run(TrainSource::Dataset(Box::new(data.clone())), &data)
        .unwrap();
    eprintln!(
        "loss on the 64 training samples: {before:.4} before, {:.4} after",
        best.loss
    );
    assert!(
        best.loss < before / 10.0,
        "loss fell from {before} to {} only",
        best.loss
    );
}

#[test]
fn save_and_load_give_bit_identical_predictions() {
    let dev = Device::Cpu;
    let dir = tempfile::tempdir().unwrap();
    let cfg = EstimatorConfig {
        uncertainty: true,
        conditioning: true,
        ..tiny()
    };
    let vm = VarMap::new();
    let _net = Estimator::new(&cfg, VarBuilder::from_varmap(&vm, DType::F32, &dev)).unwrap();
    let model_card = ModelCard {
        format: "galaxy-nets/1".into(),
        estimator: cfg.clone(),
        scaling: Scaling::default(),
        training: TrainingRecord {
            data: "none".into(),
            ..TrainingRecord::default()
        },
        validation: EstimatorValidation::default(),
        parameters: galaxy_nets::card::parameter_count(&vm),
        error_scale: vec![1.0; 5],
    };
    let path = dir.path().join("m.safetensors");
    card::save(&path, &vm, &model_card).unwrap();
    let a = card::load(&path, &dev).unwrap();
    let b = card::load(&path, &dev).unwrap();
    let data = Simulator::new(Preset::DataV3.settings(), 9)
        .unwrap()
        .batch(0..10)
        .unwrap();
    let psf: Vec<f32> = data.psf_r.to_vec();
    let sigma: Vec<f32> = data.sigma.to_vec();
    let pa = predict(&a, data.img.view(), &psf, &sigma, 4, &dev, &mut |_| {}).unwrap();
    let pb = predict(&b, data.img.view(), &psf, &sigma, 4, &dev, &mut |_| {}).unwrap();
    assert_eq!(pa, pb);
    assert!(pa.iter().all(|p| p.errors.is_some()));
    // The original network predicts the same too (at the same batch size: the matrix products block
    // differently for other sizes, which changes the last bits).
    let original = galaxy_nets::LoadedModel {
        estimator: _net,
        card: model_card.clone(),
        varmap: vm,
        denoiser: None,
    };
    assert_eq!(
        predict(
            &original,
            data.img.view(),
            &psf,
            &sigma,
            4,
            &dev,
            &mut |_| {}
        )
        .unwrap(),
        pa
    );
    // A card that does not describe the weights is refused, naming both files.
    let other = ModelCard {
        estimator: EstimatorConfig {
            head_hidden: 16,
            psf_channel: false,
            offsets: false,
            ..cfg
        },
        ..model_card
    };
    std::fs::write(
        galaxy_nets::card::card_path(&path),
        serde_json::to_string(&other).unwrap(),
    )
    .unwrap();
    let err = card::load(&path, &dev).err().unwrap().to_string();
    assert!(err.contains("does not match its card"), "{err}");
}

#[test]
fn a_time_budget_shorter_than_one_validation_interval_still_validates() {
    let dev = Device::Cpu;
    let vm = VarMap::new();
    let net = Estimator::new(&tiny(), VarBuilder::from_varmap(&vm, DType::F32, &dev)).unwrap();
    let val = Simulator::new(Preset::DataV1.settings(), 8)
        .unwrap()
        .batch(0..16)
        .unwrap();
    let options = TrainOptions {
        batch: 8,
        samples: u64::MAX / 4,
        eval_every: u64::MAX / 8,
        max_seconds: Some(0.5),
        ..TrainOptions::default()
    };
    let started = std::time::Instant::now();
    let scaling = Scaling::default();
    let objective = EstimatorObjective::new(&net, &scaling, options.loss);
    let best = Trainer::new(&objective, &vm, &dev)
        .options(options)
        .run(
            TrainSource::Simulated(Box::new(Preset::DataV1.settings())),
            &val,
        )
        .unwrap();
    assert!(best.loss.is_finite());
    assert!(started.elapsed().as_secs_f64() < 30.0);
}
