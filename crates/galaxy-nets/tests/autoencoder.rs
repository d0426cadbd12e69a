//! The autoencoder: shapes, parameter count from its structure, a tiny overfit of labels and
//! reconstruction together, refused configurations.

use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use galaxy_data::{Preset, Simulator};
use galaxy_nets::card::parameter_count;
use galaxy_nets::models::autoencoder::{Autoencoder, AutoencoderConfig};
use galaxy_nets::Scaling;

fn count(c: &AutoencoderConfig) -> usize {
    let conv = |i: usize, o: usize| 9 * i * o + o;
    let mut n = 0;
    let mut prev = 1 + usize::from(c.psf_channel) + usize::from(c.sigma_channel);
    for &f in &c.filters {
        n += conv(prev, f);
        prev = f;
    }
    let side = c.image_size >> c.filters.len();
    let flat = prev * side * side;
    let latent = 5 + c.free_latent;
    n += flat * latent + latent + latent * flat + flat;
    let w: Vec<usize> = c.filters.iter().rev().copied().collect();
    for i in 0..w.len() {
        n += conv(w[i], *w.get(i + 1).unwrap_or(&w[w.len() - 1]));
    }
    n + conv(w[w.len() - 1], 1)
}

#[test]
fn presets_have_the_expected_shapes_and_parameter_counts() {
    for cfg in [AutoencoderConfig::seed(), AutoencoderConfig::small()] {
        let vm = VarMap::new();
        let ae =
            Autoencoder::new(&cfg, VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu)).unwrap();
        assert_eq!(parameter_count(&vm), count(&cfg), "{cfg:?}");
        assert!(cfg.psf_channel && cfg.sigma_channel, "the seed's channels");
        let x = Tensor::randn(0f32, 1.0, (2, 3, 64, 64), &Device::Cpu).unwrap();
        let (z, r) = ae.forward(&x).unwrap();
        assert_eq!(z.dims(), &[2, 16]);
        assert_eq!(r.dims(), &[2, 1, 64, 64]);
    }
    let vm = VarMap::new();
    let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
    let odd = AutoencoderConfig {
        image_size: 60,
        ..AutoencoderConfig::small()
    };
    assert!(Autoencoder::new(&odd, vb.clone()).is_err());
    let empty = AutoencoderConfig {
        filters: vec![],
        ..AutoencoderConfig::small()
    };
    assert!(Autoencoder::new(&empty, vb).is_err());
}

#[test]
fn a_tiny_autoencoder_learns_labels_and_reconstruction_together() {
    let dev = Device::Cpu;
    let cfg = AutoencoderConfig {
        filters: vec![4, 8, 8],
        free_latent: 3,
        reconstruction_weight: 0.1,
        psf_channel: false,
        sigma_channel: false,
        image_size: 64,
    };
    let vm = VarMap::new();
    let ae = Autoencoder::new(&cfg, VarBuilder::from_varmap(&vm, DType::F32, &dev)).unwrap();
    let data = Simulator::new(Preset::DataV1.settings(), 4)
        .unwrap()
        .batch(0..16)
        .unwrap();
    let scaling = Scaling::default();
    let (x, _) = scaling.dataset_inputs(&data, 0..16, &dev).unwrap();
    let y = scaling.targets(&data, 0..16, &dev).unwrap();
    let clean: Vec<f32> = data.img_nonoise.iter().map(|v| v / 200.0).collect();
    let clean = Tensor::from_vec(clean, (16, 1, 64, 64), &dev).unwrap();
    let losses = |ae: &Autoencoder| {
        let (z, r) = ae.forward(&x).unwrap();
        let label = (z.narrow(1, 0, 5).unwrap() - &y)
            .unwrap()
            .sqr()
            .unwrap()
            .mean_all()
            .unwrap();
        let recon = (r - &clean).unwrap().sqr().unwrap().mean_all().unwrap();
        (label, recon)
    };
    let (l0, r0) = losses(&ae);
    let (l0, r0) = (
        l0.to_scalar::<f32>().unwrap(),
        r0.to_scalar::<f32>().unwrap(),
    );
    let mut opt = AdamW::new(
        vm.all_vars(),
        ParamsAdamW {
            lr: 3e-3,
            weight_decay: 0.0,
            ..Default::default()
        },
    )
    .unwrap();
    for _ in 0..200 {
        let (l, r) = losses(&ae);
        opt.backward_step(&(l + r.affine(cfg.reconstruction_weight, 0.0).unwrap()).unwrap())
            .unwrap();
    }
    let (l1, r1) = losses(&ae);
    let (l1, r1) = (
        l1.to_scalar::<f32>().unwrap(),
        r1.to_scalar::<f32>().unwrap(),
    );
    assert!(l1 < 0.3 * l0, "label loss {l0} -> {l1}");
    assert!(r1 < 0.5 * r0, "reconstruction loss {r0} -> {r1}");
}
