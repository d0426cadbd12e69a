//! Custom ops against candle's reference ops, and every architecture's shape and size.

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use galaxy_nets::models::xception::XceptionConfig;
use galaxy_nets::ops::{conv2d, depthwise_conv2d, max_pool_3x3_s2_same};
use galaxy_nets::{Architecture, Estimator, EstimatorConfig};

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f64>()
        .unwrap()
}

/// Asserts that two outputs agree to 1e-12 and that the gradients of Σ probe · output with respect to each of
/// `vars` agree to 1e-11 (probe: a random tensor of the output's shape).
fn assert_same_values_and_gradients(ours: Tensor, reference: Tensor, vars: &[&Var], case: &str) {
    assert_eq!(ours.dims(), reference.dims(), "{case}");
    assert!(max_abs_diff(&ours, &reference) < 1e-12, "forward {case}");
    let probe = Tensor::randn(0f64, 1.0, ours.dims(), ours.device()).unwrap();
    let grads = |y: Tensor| (y * &probe).unwrap().sum_all().unwrap().backward().unwrap();
    let (g_ours, g_ref) = (grads(ours), grads(reference));
    for v in vars {
        let d = max_abs_diff(
            g_ours.get(v.as_tensor()).unwrap(),
            g_ref.get(v.as_tensor()).unwrap(),
        );
        assert!(d < 1e-11, "gradient {case}: {d}");
    }
}

/// Forward and both gradients of the custom depthwise op equal candle's grouped conv2d (f64).
#[test]
fn depthwise_matches_candles_grouped_convolution() {
    let dev = Device::Cpu;
    for (k, stride, h) in [(3, 1, 8), (3, 2, 8), (5, 1, 9), (5, 2, 10), (3, 2, 7)] {
        let c = 3;
        let x = Var::from_tensor(&Tensor::randn(0f64, 1.0, (2, c, h, h), &dev).unwrap()).unwrap();
        let w = Var::from_tensor(&Tensor::randn(0f64, 1.0, (c, 1, k, k), &dev).unwrap()).unwrap();
        let ours = depthwise_conv2d(x.as_tensor(), w.as_tensor(), stride, k / 2).unwrap();
        let reference = x
            .as_tensor()
            .conv2d(w.as_tensor(), k / 2, stride, 1, c)
            .unwrap();
        assert_same_values_and_gradients(
            ours,
            reference,
            &[&x, &w],
            &format!("k{k} s{stride} h{h}"),
        );
    }
}

/// Forward and the three gradients (input, weight, bias) of the im2col convolution equal candle's conv2d
/// (f64), for stems, strided, 1 x 1 and odd-sized cases.
#[test]
fn im2col_convolution_matches_candles_conv2d() {
    let dev = Device::Cpu;
    for (c_in, c_out, k, stride, h) in [
        (1, 4, 5, 4, 16),
        (3, 5, 3, 1, 8),
        (3, 5, 3, 2, 7),
        (4, 2, 1, 1, 6),
        (4, 3, 1, 2, 6),
        (2, 3, 5, 2, 9),
    ] {
        let p = k / 2;
        let x =
            Var::from_tensor(&Tensor::randn(0f64, 1.0, (3, c_in, h, h), &dev).unwrap()).unwrap();
        let w = Var::from_tensor(&Tensor::randn(0f64, 1.0, (c_out, c_in, k, k), &dev).unwrap())
            .unwrap();
        let b = Var::from_tensor(&Tensor::randn(0f64, 1.0, c_out, &dev).unwrap()).unwrap();
        let ours = conv2d(x.as_tensor(), w.as_tensor(), Some(b.as_tensor()), stride, p).unwrap();
        let reference = x
            .as_tensor()
            .conv2d(w.as_tensor(), p, stride, 1, 1)
            .unwrap()
            .broadcast_add(&b.as_tensor().reshape((1, c_out, 1, 1)).unwrap())
            .unwrap();
        let case = format!("c{c_in}->{c_out} k{k} s{stride} h{h}");
        assert_same_values_and_gradients(ours, reference, &[&x, &w, &b], &case);
    }
    // Without a bias, and bad shapes are errors, not panics.
    let x = Tensor::randn(0f32, 1.0, (2, 3, 8, 8), &dev).unwrap();
    let w = Tensor::randn(0f32, 1.0, (4, 3, 3, 3), &dev).unwrap();
    let reference = x.conv2d(&w, 1, 1, 1, 1).unwrap();
    let ours = conv2d(&x, &w, None, 1, 1).unwrap();
    assert!(
        max_abs_diff(
            &ours.to_dtype(DType::F64).unwrap(),
            &reference.to_dtype(DType::F64).unwrap()
        ) < 1e-4
    );
    let wrong = Tensor::randn(0f32, 1.0, (4, 2, 3, 3), &dev).unwrap();
    assert!(conv2d(&x, &wrong, None, 1, 1).is_err());
}

/// The 3 x 3 / 2 "same" max pool against a direct loop, and its gradient against finite differences.
#[test]
fn max_pool_3x3_s2_same_is_keras() {
    let dev = Device::Cpu;
    let x = Tensor::randn(0f64, 1.0, (2, 3, 6, 8), &dev).unwrap();
    let out = max_pool_3x3_s2_same(&x).unwrap();
    assert_eq!(out.dims(), &[2, 3, 3, 4]);
    let xv = x.to_vec3::<f64>().ok();
    let _ = xv;
    let xs: Vec<f64> = x.flatten_all().unwrap().to_vec1().unwrap();
    let os: Vec<f64> = out.flatten_all().unwrap().to_vec1().unwrap();
    for n in 0..2 {
        for c in 0..3 {
            for i in 0..3 {
                for j in 0..4 {
                    let mut m = f64::NEG_INFINITY;
                    for di in 0..3 {
                        for dj in 0..3 {
                            let (r, q) = (2 * i + di, 2 * j + dj);
                            if r < 6 && q < 8 {
                                m = m.max(xs[((n * 3 + c) * 6 + r) * 8 + q]);
                            }
                        }
                    }
                    assert_eq!(os[((n * 3 + c) * 3 + i) * 4 + j], m);
                }
            }
        }
    }
    // Gradient: d sum(out · probe) / dx by finite differences at a few points.
    let probe = Tensor::randn(0f64, 1.0, (2, 3, 3, 4), &dev).unwrap();
    let xv = Var::from_tensor(&x).unwrap();
    let grads = (max_pool_3x3_s2_same(xv.as_tensor()).unwrap() * &probe)
        .unwrap()
        .sum_all()
        .unwrap()
        .backward()
        .unwrap();
    let g: Vec<f64> = grads
        .get(xv.as_tensor())
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1()
        .unwrap();
    let f = |v: &[f64]| -> f64 {
        let t = Tensor::from_vec(v.to_vec(), (2, 3, 6, 8), &dev).unwrap();
        (max_pool_3x3_s2_same(&t).unwrap() * &probe)
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f64>()
            .unwrap()
    };
    for idx in [0, 17, 53, 101, 200, 287] {
        let mut up = xs.clone();
        let mut down = xs.clone();
        up[idx] += 1e-6;
        down[idx] -= 1e-6;
        let fd = (f(&up) - f(&down)) / 2e-6;
        assert!(
            (fd - g[idx]).abs() < 1e-6,
            "index {idx}: {fd} vs {}",
            g[idx]
        );
    }
}

fn build(cfg: &EstimatorConfig) -> (Estimator, VarMap) {
    let vm = VarMap::new();
    let vb = VarBuilder::from_varmap(&vm, DType::F32, &Device::Cpu);
    (Estimator::new(cfg, vb).unwrap(), vm)
}

fn parameters(vm: &VarMap) -> usize {
    galaxy_nets::card::parameter_count(vm)
}

#[test]
fn every_architecture_has_the_right_output_shape_and_size() {
    let x = Tensor::randn(0f32, 1.0, (3, 1, 64, 64), &Device::Cpu).unwrap();
    let cond = Tensor::zeros((3, 2), DType::F32, &Device::Cpu).unwrap();
    for name in ["xception", "resnet", "cnn"] {
        for (conditioning, uncertainty) in [(false, false), (true, true)] {
            let cfg = EstimatorConfig {
                conditioning,
                uncertainty,
                ..EstimatorConfig::new(Architecture::by_name(name).unwrap())
            };
            let (net, vm) = build(&cfg);
            let out = net.forward_t(&x, Some(&cond), false).unwrap();
            assert_eq!(out.dims(), &[3, cfg.outputs()], "{name}");
            let out_t = net.forward_t(&x, Some(&cond), true).unwrap();
            assert_eq!(out_t.dims(), &[3, cfg.outputs()]);
            eprintln!(
                "{name} (conditioning {conditioning}, uncertainty {uncertainty}): {} parameters",
                parameters(&vm)
            );
        }
    }
    // The seed's tiny Xception: stem 16 (5 x 5, stride 2), separable 64, 8 blocks, exit 128; the seed
    // reports about 100k parameters.
    let (_, vm) = build(&EstimatorConfig::new(Architecture::Xception(
        XceptionConfig::default(),
    )));
    let n = parameters(&vm);
    eprintln!("seed's tiny Xception: {n} parameters (seed: ~100k)");
    assert!((80_000..=120_000).contains(&n), "{n}");
    // A conditioned estimator refuses to run without its conditioning.
    let (net, _) = build(&EstimatorConfig {
        conditioning: true,
        ..EstimatorConfig::new(Architecture::by_name("cnn").unwrap())
    });
    assert!(net.forward_t(&x, None, false).is_err());
}

/// The fused batch norm + activation against candle-nn's BatchNorm followed by the activation (f64):
/// forward, the gradients in x, γ and β, and the batch statistics.
#[test]
fn fused_batch_norm_activation_matches_candle() {
    use candle_core::ModuleT;
    use galaxy_nets::layers::Activation;
    use galaxy_nets::ops::{batch_norm_act_train, NormActivation};
    let dev = Device::Cpu;
    for (act, reference_act) in [
        (NormActivation::Selu, Some(Activation::Selu)),
        (NormActivation::Relu, Some(Activation::Relu)),
        (NormActivation::Identity, None),
    ] {
        let x = Var::from_tensor(
            &Tensor::randn(0f64, 1.0, (4, 3, 5, 6), &dev)
                .unwrap()
                .affine(2.0, 0.5)
                .unwrap(),
        )
        .unwrap();
        let gamma = Var::from_tensor(&Tensor::new(&[1.3f64, 0.7, -0.4], &dev).unwrap()).unwrap();
        let beta = Var::from_tensor(&Tensor::new(&[0.2f64, -0.1, 0.3], &dev).unwrap()).unwrap();
        let probe = Tensor::randn(0f64, 1.0, (4, 3, 5, 6), &dev).unwrap();
        let (ours, stats) = batch_norm_act_train(
            x.as_tensor(),
            gamma.as_tensor(),
            beta.as_tensor(),
            1e-3,
            act,
        )
        .unwrap();
        let bn = candle_nn::BatchNorm::new(
            3,
            Tensor::zeros(3, DType::F64, &dev).unwrap(),
            Tensor::ones(3, DType::F64, &dev).unwrap(),
            gamma.as_tensor().clone(),
            beta.as_tensor().clone(),
            1e-3,
        )
        .unwrap();
        let z = bn.forward_t(x.as_tensor(), true).unwrap();
        let reference = match reference_act {
            Some(a) => a.apply_elementwise(&z).unwrap(),
            None => z,
        };
        assert!(max_abs_diff(&ours, &reference) < 1e-12, "{act:?} forward");
        let g1 = (ours * &probe)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        let g2 = (reference * &probe)
            .unwrap()
            .sum_all()
            .unwrap()
            .backward()
            .unwrap();
        for v in [&x, &gamma, &beta] {
            let d = max_abs_diff(
                g1.get(v.as_tensor()).unwrap(),
                g2.get(v.as_tensor()).unwrap(),
            );
            assert!(d < 1e-10, "{act:?} gradient: {d}");
        }
        // Batch mean and unbiased variance per channel.
        let xs = x
            .as_tensor()
            .transpose(0, 1)
            .unwrap()
            .flatten_from(1)
            .unwrap();
        let mean = xs.mean(1).unwrap();
        let m = xs.dim(1).unwrap() as f64;
        let var = (xs
            .broadcast_sub(&mean.unsqueeze(1).unwrap())
            .unwrap()
            .sqr()
            .unwrap()
            .sum(1)
            .unwrap()
            / (m - 1.0))
            .unwrap();
        assert!(max_abs_diff(&stats.get(0).unwrap(), &mean) < 1e-12);
        assert!(max_abs_diff(&stats.get(1).unwrap(), &var) < 1e-10);
    }
}

/// Inference-mode fused batch norm + activation against candle-nn's BatchNorm (eval) then the activation.
#[test]
fn fused_inference_batch_norm_activation_matches_candle() {
    use candle_core::ModuleT;
    use galaxy_nets::layers::Activation;
    use galaxy_nets::ops::{batch_norm_act_eval, NormActivation};
    let dev = Device::Cpu;
    let x = Tensor::randn(0f32, 1.0, (3, 4, 5, 5), &dev).unwrap();
    let gamma = Tensor::new(&[1.3f32, 0.7, -0.4, 2.0], &dev).unwrap();
    let beta = Tensor::new(&[0.2f32, -0.1, 0.3, 0.0], &dev).unwrap();
    let rm = Tensor::new(&[0.1f32, -0.3, 0.5, 1.0], &dev).unwrap();
    let rv = Tensor::new(&[1.5f32, 0.2, 3.0, 0.9], &dev).unwrap();
    let bn =
        candle_nn::BatchNorm::new(4, rm.clone(), rv.clone(), gamma.clone(), beta.clone(), 1e-3)
            .unwrap();
    let z = bn.forward_t(&x, false).unwrap();
    for (act, reference) in [
        (NormActivation::Selu, Activation::Selu),
        (NormActivation::Relu, Activation::Relu),
    ] {
        let ours = batch_norm_act_eval(&x, &gamma, &beta, &rm, &rv, 1e-3, act).unwrap();
        let f64_of = |t: Tensor| t.to_dtype(DType::F64).unwrap();
        let elementwise = f64_of(reference.apply_elementwise(&z).unwrap());
        let d = max_abs_diff(&f64_of(ours), &elementwise);
        assert!(d < 1e-5, "{act:?}: {d}");
        // The stand-alone fused activation op against candle's element-wise ops.
        let d = max_abs_diff(&f64_of(reference.apply(&z).unwrap()), &elementwise);
        assert!(d < 1e-5, "fused {act:?}: {d}");
    }
}
