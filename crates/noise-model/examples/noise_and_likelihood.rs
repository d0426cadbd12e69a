//! Adds the seed's noise (Poisson on the counts, then Gaussian read noise of sigma 200) to a round
//! Gaussian blob, and evaluates the log-likelihood of the noisy image under the true model and under a
//! model 10% too bright: the truth must win. Prints the SNR and both log-likelihoods.
//!
//!     cargo run --release -p noise-model --example noise_and_likelihood
use ndarray::Array2;
use noise_model::likelihood::Likelihood;
use noise_model::{snr, CcdNoise};
use rand::SeedableRng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A Gaussian blob of 1e5 counts and sigma 3 pixels on a 64 x 64 stamp.
    let model = Array2::from_shape_fn((64, 64), |(y, x)| {
        let r2 = (x as f64 - 31.5).powi(2) + (y as f64 - 31.5).powi(2);
        1e5 / (2.0 * std::f64::consts::PI * 9.0) * (-r2 / 18.0).exp()
    });
    let noise = CcdNoise::poisson_gaussian(200.0)?;
    let mut image = model.clone();
    noise.apply(&mut image, &mut rand_pcg::Pcg64::seed_from_u64(7))?;
    println!(
        "seed's SNR of the model: {:.1}",
        snr::seed_snr(&model, 200.0)?
    );
    let brighter = model.mapv(|v| 1.1 * v);
    for likelihood in [Likelihood::Gaussian, Likelihood::PoissonGaussian] {
        let truth = likelihood.log_likelihood(&noise, &image, &model)?;
        let wrong = likelihood.log_likelihood(&noise, &image, &brighter)?;
        println!(
            "{likelihood:?}: ln L(true model) = {truth:.2}, ln L(10% brighter) = {wrong:.2}, difference {:.2}",
            truth - wrong
        );
        assert!(truth > wrong, "the true model must be the likelier");
    }
    Ok(())
}
