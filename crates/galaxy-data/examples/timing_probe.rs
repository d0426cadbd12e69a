use galaxy_data::Preset;
use noise_model::CcdNoise;
use rand::SeedableRng;
use sersic_render::{Accuracy, GalaxyParams, Psf, Renderer, Stamp};
use std::time::Instant;
fn main() {
    if std::env::args().any(|a| a == "noise") {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(1);
        for (label, lam, sig) in [
            ("lam 0.01", 0.01, 200.0),
            ("lam 5", 5.0, 200.0),
            ("lam 500", 500.0, 200.0),
            ("lam 5000", 5000.0, 200.0),
            ("gauss only", 5.0, -1.0),
        ] {
            let noise = if sig > 0.0 {
                CcdNoise::poisson_gaussian(sig).unwrap()
            } else {
                CcdNoise::gaussian(200.0).unwrap()
            };
            let img = ndarray::Array2::<f32>::from_elem((64, 64), lam as f32);
            let t = Instant::now();
            for _ in 0..2000 {
                let mut im = img.clone();
                noise.apply(&mut im, &mut rng).unwrap();
            }
            println!(
                "{label}: {:.1} ns/pixel",
                t.elapsed().as_secs_f64() * 1e9 / 2000.0 / 4096.0
            );
        }
        let img = Renderer::new(Stamp::default())
            .unwrap()
            .render(
                &GalaxyParams::new(2e5, 3.0, 0.3, 0.1, 0.1),
                &Psf::moffat(2.0, 0.7).unwrap(),
            )
            .unwrap();
        let big = img.iter().filter(|&&v| v >= 12.0).count();
        let small = img.iter().filter(|&&v| v < 0.05).count();
        println!("typical image: {big} pixels >= 12 counts, {small} below 0.05");
        return;
    }
    if std::env::args().any(|a| a == "v3") {
        let sim3 =
            galaxy_data::Simulator::new(Preset::DataV3.settings().with_continuous_n(), 1).unwrap();
        let t = Instant::now();
        for i in 0..3000u64 {
            sim3.sample(i).unwrap();
        }
        println!(
            "data_v3 continuous: {:.3} ms/accepted",
            t.elapsed().as_secs_f64() * 1e3 / 3000.0
        );
        return;
    }
    let r = Renderer::new(Stamp::default()).unwrap();
    let coarse = Renderer::with_accuracy(
        Stamp::default(),
        Accuracy {
            fold_tolerance: 1e-4,
            k_tolerance: 1e-4,
            ..Accuracy::default()
        },
    )
    .unwrap();
    let psf = Psf::moffat(2.0, 0.5).unwrap();
    let m = 2000;
    let gals: Vec<GalaxyParams> = (0..m)
        .map(|i| {
            let t = i as f64 / m as f64;
            GalaxyParams::new(
                1e5 + 3e5 * t,
                0.5 + 5.5 * ((i * 7919) % m) as f64 / m as f64,
                0.1 + 0.5 * ((i * 104729) % m) as f64 / m as f64,
                0.3 * t,
                -0.2,
            )
        })
        .collect();
    for (name, rr) in [("default", &r), ("coarse", &coarse)] {
        let t = Instant::now();
        let mut s = 0.0;
        for g in &gals {
            s += rr.render(g, &psf).unwrap().sum();
        }
        println!(
            "{name}: {:.3} ms/render ({s:.3e})",
            t.elapsed().as_secs_f64() * 1e3 / m as f64
        );
    }
    let mut maxrel: f64 = 0.0;
    for g in gals.iter().take(300) {
        let a = r.render(g, &psf).unwrap();
        let b = coarse.render(g, &psf).unwrap();
        let sa = a.iter().map(|v| v * v).sum::<f64>().sqrt();
        let sb = b.iter().map(|v| v * v).sum::<f64>().sqrt();
        maxrel = maxrel.max((sa / sb - 1.0).abs());
    }
    println!("coarse SNR max rel err {maxrel:.2e}");
    let img = r.render(&gals[500], &psf).unwrap().mapv(|v| v as f32);
    let noise = CcdNoise::poisson_gaussian(200.0).unwrap();
    let mut rng = rand_pcg::Pcg64::seed_from_u64(1);
    let t = Instant::now();
    for _ in 0..m {
        let mut im = img.clone();
        noise.apply(&mut im, &mut rng).unwrap();
    }
    println!(
        "noise: {:.3} ms/image",
        t.elapsed().as_secs_f64() * 1e3 / m as f64
    );
    let sim3 =
        galaxy_data::Simulator::new(Preset::DataV3.settings().with_continuous_n(), 1).unwrap();
    let t = Instant::now();
    let mut rej = 0;
    for i in 0..m as u64 {
        rej += sim3.sample(i).unwrap().rejected;
    }
    println!(
        "data_v3 continuous sample: {:.3} ms/accepted, {rej} rejected",
        t.elapsed().as_secs_f64() * 1e3 / m as f64
    );
    let sim = galaxy_data::Simulator::new(Preset::DataV1.settings(), 1).unwrap();
    let t = Instant::now();
    let mut rej = 0;
    for i in 0..m as u64 {
        rej += sim.sample(i).unwrap().rejected;
    }
    println!(
        "data_v1 sample: {:.3} ms/accepted, {rej} rejected",
        t.elapsed().as_secs_f64() * 1e3 / m as f64
    );
}
