//! The posterior mean of (flux, n, hlr, g1, g2) under a prior: the estimator with the smallest mean squared
//! error averaged over that prior, which no estimator trained on the prior (a network by MSE) can beat on
//! average. It is the reference point for a network the way the Cramér–Rao bound is for an unbiased fit.
//!
//! The integral over θ is done by importance sampling on a grid of n (the parameter the images constrain
//! least, whose posterior is far from Gaussian at low SNR):
//!
//! * at each node n_j (spaced evenly in ln n over the prior's range, plus a fine grid around the fit's n
//!   when the image pins n down more tightly than that), the other four parameters' conditional
//!   mode μ_j is found by Fisher scoring (from the neighbouring node's mode), with their Fisher matrix F_j;
//! * S draws from a Student-t (ν = 5) centred on μ_j with scale `width`²·F_j⁻¹ (heavier tails than the
//!   posterior, so the weights stay bounded) are weighted by L(θ)·p(θ)/q(θ); their mean is the slice's
//!   integral Z(n_j) and the weighted draws its conditional moments;
//! * the slices are combined with the trapezoid rule in n, so each draw's final weight is w·h_j / S (h_j the
//!   node's trapezoid weight) and the posterior moments are plain weighted sums over all draws.
//!
//! A prior's support cuts the draws (they get weight 0 without a render), and an SNR window such as the
//! seed's 10 ≤ SNR ≤ 100 is a factor of the prior: the training sets never hold an image outside it.

use nalgebra::{Matrix4, Vector4};
use ndarray::ArrayView2;
use rand::{RngExt, SeedableRng};
use rand_distr::{ChiSquared, Distribution, StandardNormal};
use rand_pcg::Pcg64;
use sersic_render::{GalaxyParams, Psf, Renderer};

use crate::error::FitError;
use crate::fit::{FitOptions, Fitter};
use crate::noise_option::NoiseOption;
use crate::objective::{Nll, Observed};

/// A prior density over θ = (flux, n, hlr, g1, g2): ln p(θ) up to a constant, −∞ outside its support.
pub trait LogPrior: Sync {
    /// ln p(θ).
    fn ln_density(&self, theta: [f64; 5]) -> f64;
}

impl<F: Fn([f64; 5]) -> f64 + Sync> LogPrior for F {
    fn ln_density(&self, theta: [f64; 5]) -> f64 {
        self(theta)
    }
}

/// How the posterior integral is sampled.
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorOptions {
    /// The prior's range of n, which the grid of nodes spans.
    pub n_range: (f64, f64),
    /// Nodes in n (at least 2), evenly spaced in ln n.
    pub nodes: usize,
    /// Draws per node.
    pub samples: usize,
    /// Proposal scale in units of the conditional Fisher errors.
    pub width: f64,
    /// The likelihood's noise model.
    pub noise: NoiseOption,
    /// Seed-style SNR window (sqrt(Σ model²) / sigma) of the prior, if any.
    pub snr_window: Option<(f64, f64)>,
    /// Seed of the draws; image `stream` of a dataset draws from its own stream.
    pub seed: u64,
}

impl Default for PosteriorOptions {
    fn default() -> Self {
        PosteriorOptions {
            n_range: (0.5, 6.0),
            nodes: 24,
            samples: 192,
            width: 1.5,
            noise: NoiseOption::Poisson,
            snr_window: None,
            seed: 1,
        }
    }
}

/// Posterior moments of θ for one image.
#[derive(Debug, Clone, PartialEq)]
pub struct PosteriorSummary {
    /// E[θ | image]: the posterior mean.
    pub mean: [f64; 5],
    /// sqrt(Var[θ | image]).
    pub std: [f64; 5],
    /// Kish's effective number of draws, (Σw)² / Σw²: how many independent draws the weighted ones are
    /// worth (the Monte Carlo error of the mean is about std / sqrt of it).
    pub effective_samples: f64,
}

/// Student-t degrees of freedom of the proposal.
const DOF: f64 = 5.0;
/// The four parameters free at a node: flux, hlr, g1, g2.
const FREE: [usize; 4] = [0, 2, 3, 4];

/// Computes posterior means under a prior with a shared renderer.
pub struct PosteriorSampler<'r> {
    renderer: &'r Renderer,
    fitter: Fitter<'r>,
    options: PosteriorOptions,
}

impl<'r> PosteriorSampler<'r> {
    /// A sampler; the options are checked.
    pub fn new(renderer: &'r Renderer, options: PosteriorOptions) -> Result<Self, FitError> {
        let (lo, hi) = options.n_range;
        use sersic_render::sersic::{N_MAX, N_MIN};
        if !(lo.is_finite() && hi.is_finite() && N_MIN <= lo && lo < hi && hi <= N_MAX) {
            return Err(FitError::BadInput(format!(
                "the range of n must lie in [{N_MIN}, {N_MAX}] with lower < upper, got [{lo}, {hi}]"
            )));
        }
        if options.nodes < 2 || options.samples < 1 {
            return Err(FitError::BadInput(format!(
                "need at least 2 nodes in n and 1 draw per node, got {} and {}",
                options.nodes, options.samples
            )));
        }
        if !(options.width.is_finite() && options.width > 0.0) {
            return Err(FitError::BadInput(format!(
                "the proposal width must be > 0, got {}",
                options.width
            )));
        }
        let fitter = Fitter::new(
            renderer,
            FitOptions {
                noise: options.noise,
                ..FitOptions::default()
            },
        )?;
        Ok(PosteriorSampler {
            renderer,
            fitter,
            options,
        })
    }

    /// The options.
    pub fn options(&self) -> &PosteriorOptions {
        &self.options
    }

    /// The posterior mean and spread of θ for one image seen through `psf` with read-noise `sigma`;
    /// `stream` picks the draws' random stream (the image's index in its dataset).
    pub fn summarize(
        &self,
        data: ArrayView2<'_, f64>,
        psf: &Psf,
        sigma: f64,
        prior: &dyn LogPrior,
        stream: u64,
    ) -> Result<PosteriorSummary, FitError> {
        // The fit checks the image and sigma, and gives the first node its start.
        let fit = self.fitter.fit(data, psf, sigma)?;
        let noise = self.options.noise.noise(sigma)?;
        let likelihood = self.options.noise.likelihood();
        let o = &self.options;
        let nodes = node_grid(o.n_range, o.nodes, fit.params[1], fit.errors[1]);
        let first = (0..nodes.len())
            .min_by(|&a, &b| {
                (nodes[a] - fit.params[1])
                    .abs()
                    .total_cmp(&(nodes[b] - fit.params[1]).abs())
            })
            .expect("at least two nodes");
        // Outwards from the fit's n, each node starting from its neighbour's mode.
        let order: Vec<(usize, Option<usize>)> = std::iter::once((first, None))
            .chain((first + 1..nodes.len()).map(|j| (j, Some(j - 1))))
            .chain((0..first).rev().map(|j| (j, Some(j + 1))))
            .collect();
        let mut modes: Vec<Option<[f64; 5]>> = vec![None; nodes.len()];
        let mut rng = Pcg64::seed_from_u64(o.seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let chi2 = ChiSquared::new(DOF).expect("positive degrees of freedom");
        // (ln weight, θ) of every draw, the node's trapezoid factor included.
        let mut draws: Vec<(f64, [f64; 5])> = Vec::with_capacity(nodes.len() * o.samples);
        for (j, from) in order {
            let n = nodes[j];
            let start = from.and_then(|k| modes[k]).unwrap_or(fit.params);
            let start = [start[0], n, start[2], start[3], start[4]];
            let lattice = self
                .renderer
                .lattice_for(&GalaxyParams::from_array(start), psf)?;
            let observed = Observed {
                data,
                psf: psf.clone(),
                noise,
                likelihood,
            };
            let nll = Nll::new(self.renderer, observed, lattice);
            let Some(proposal) = conditional_mode(&nll, start, o.width)? else {
                continue; // the image does not constrain the other four here: the slice is skipped
            };
            modes[j] = Some(proposal.mode);
            // The trapezoid rule's weight of the node in n.
            let span = nodes[(j + 1).min(nodes.len() - 1)] - nodes[j.saturating_sub(1)];
            let ln_node = (0.5 * span).ln() - (o.samples as f64).ln();
            for _ in 0..o.samples {
                let z = Vector4::from_fn(|_, _| StandardNormal.sample(&mut rng));
                let scale = (DOF / chi2.sample(&mut rng)).sqrt();
                let u: [f64; 3] = std::array::from_fn(|_| rng.random());
                let theta = proposal.draw(n, z * scale, u);
                let ln_prior = prior.ln_density(theta);
                if ln_prior == f64::NEG_INFINITY || !drawable(theta) {
                    continue;
                }
                let (value, model) = nll.value_and_model(theta)?;
                if let Some((lo, hi)) = o.snr_window {
                    let snr = model.iter().map(|m| m * m).sum::<f64>().sqrt() / sigma;
                    if !(lo..=hi).contains(&snr) {
                        continue;
                    }
                }
                draws.push((
                    -value + ln_prior - proposal.ln_density(theta) + ln_node,
                    theta,
                ));
            }
        }
        moments(&draws)
    }
}

/// The nodes in n: `count` evenly spaced in ln n over the range (the posterior of n is broad and skewed at
/// low SNR), and, where the image pins n down more tightly than they resolve (a bright galaxy), 31 more at
/// a third of the fit's error apart around the fit's n, so that the trapezoid rule sees the peak.
fn node_grid(range: (f64, f64), count: usize, n_fit: f64, n_error: f64) -> Vec<f64> {
    let (ln_lo, ln_hi) = (range.0.ln(), range.1.ln());
    let step = (ln_hi - ln_lo) / (count - 1) as f64;
    let mut nodes: Vec<f64> = (0..count)
        .map(|j| (ln_lo + step * j as f64).exp().clamp(range.0, range.1))
        .collect();
    let fine = n_error / 3.0;
    if fine.is_finite() && fine > 0.0 && fine < n_fit * step {
        nodes.extend(
            (-15..=15)
                .map(|k| n_fit + fine * f64::from(k))
                .filter(|n| (range.0..=range.1).contains(n)),
        );
    }
    nodes.sort_by(f64::total_cmp);
    nodes.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    nodes
}

/// Whether the renderer can draw θ (the prior decides what is likely; this only guards the renderer).
fn drawable(theta: [f64; 5]) -> bool {
    theta[0] > 0.0 && theta[2] > 0.0 && theta[3].hypot(theta[4]) < 0.95
}

/// The share of a node's draws whose shear comes from the round component of the proposal.
const ROUND_SHARE: f64 = 0.25;

/// A node's proposal over (flux, hlr, g1, g2): a mixture of
/// * a Student-t centred on the conditional mode, and
/// * the same t's (flux, hlr) marginal times a shear density ∝ 1/|g| over a disk around g = 0 that reaches
///   past the mode: a prior like the seed's, whose density grows as 1/|g| towards round shapes, divided by
///   the t alone would give draws near g = 0 unbounded weights (infinite variance); against this component
///   they stay bounded.
struct Proposal {
    mode: [f64; 5],
    chol: Matrix4<f64>,
    ln_det: f64,
    ln_det_flux_hlr: f64,
    radius: f64,
}

impl Proposal {
    fn new(mode: [f64; 5], chol: Matrix4<f64>) -> Self {
        let ln_det = (0..4).map(|i| chol[(i, i)].ln()).sum();
        let ln_det_flux_hlr = chol[(0, 0)].ln() + chol[(1, 1)].ln();
        // The t's spread in g1 and g2: the norms of the Cholesky factor's rows.
        let spread = chol.row(2).norm().max(chol.row(3).norm());
        let radius = (mode[3].hypot(mode[4]) + 2.0 * spread).min(MAX_SHEAR);
        Proposal {
            mode,
            chol,
            ln_det,
            ln_det_flux_hlr,
            radius,
        }
    }

    /// A draw at n from a standard t vector `t` (z·sqrt(ν/χ²)) and three uniforms.
    fn draw(&self, n: f64, t: Vector4<f64>, u: [f64; 3]) -> [f64; 5] {
        let x = self.chol * t;
        let m = self.mode;
        let (g1, g2) = if u[0] < ROUND_SHARE {
            // Radius uniform on [0, R) and angle uniform: a density 1 / (2π R |g|).
            let (r, phi) = (self.radius * u[1], std::f64::consts::TAU * u[2]);
            (r * phi.cos(), r * phi.sin())
        } else {
            (m[3] + x[2], m[4] + x[3])
        };
        [m[0] + x[0], n, m[2] + x[1], g1, g2]
    }

    /// ln q(θ) of the mixture (n fixed by the node).
    fn ln_density(&self, theta: [f64; 5]) -> f64 {
        let m = self.mode;
        let d = Vector4::new(
            theta[0] - m[0],
            theta[2] - m[2],
            theta[3] - m[3],
            theta[4] - m[4],
        );
        let w = self
            .chol
            .solve_lower_triangular(&d)
            .expect("a Cholesky factor has a positive diagonal");
        // ln of the t densities' constants for ν = 5: Γ((ν+4)/2)/Γ(ν/2) = 8.75, Γ((ν+2)/2)/Γ(ν/2) = 2.5.
        let nu_pi = (DOF * std::f64::consts::PI).ln();
        let t4 = 8.75f64.ln()
            - 2.0 * nu_pi
            - self.ln_det
            - 0.5 * (DOF + 4.0) * (1.0 + w.norm_squared() / DOF).ln();
        let r2 = w[0] * w[0] + w[1] * w[1];
        let t2 =
            2.5f64.ln() - nu_pi - self.ln_det_flux_hlr - 0.5 * (DOF + 2.0) * (1.0 + r2 / DOF).ln();
        let g = theta[3].hypot(theta[4]);
        let round = if g > 0.0 && g < self.radius {
            t2 - (std::f64::consts::TAU * self.radius * g).ln()
        } else {
            f64::NEG_INFINITY
        };
        let (a, b) = ((1.0 - ROUND_SHARE).ln() + t4, ROUND_SHARE.ln() + round);
        let top = a.max(b);
        top + ((a - top).exp() + (b - top).exp()).ln()
    }
}

/// The largest |g| a conditional mode is searched to.
const MAX_SHEAR: f64 = 0.9;

/// The mode of the four free parameters at the node's n, by Fisher scoring with a backtracking step, and
/// the proposal around it with scale `width`²·F⁻¹; `None` when the Fisher matrix is singular.
fn conditional_mode(
    nll: &Nll<'_, '_>,
    start: [f64; 5],
    width: f64,
) -> Result<Option<Proposal>, FitError> {
    // Only what the renderer can draw bounds the search: the prior, not the fit's box, says what is likely.
    let clamp = |t: [f64; 5]| {
        let g = t[3].hypot(t[4]);
        let shrink = if g > MAX_SHEAR { MAX_SHEAR / g } else { 1.0 };
        [
            t[0].max(1.0),
            start[1],
            t[2].clamp(1e-2, 10.0),
            t[3] * shrink,
            t[4] * shrink,
        ]
    };
    let mut theta = clamp(start);
    for _ in 0..30 {
        let (value, gradient) = nll.value_and_gradient(theta)?;
        let fisher = nll.fisher(theta)?;
        let Some(inverse) = scaled_inverse(&fisher) else {
            return Ok(None);
        };
        let g = Vector4::from_fn(|i, _| gradient[FREE[i]]);
        let delta = -(inverse * g);
        let decrement = -g.dot(&delta);
        if decrement < 1e-6 {
            break;
        }
        let mut t = 1.0;
        let mut moved = false;
        for _ in 0..20 {
            let mut trial = theta;
            for (i, &p) in FREE.iter().enumerate() {
                trial[p] += t * delta[i];
            }
            let trial = clamp(trial);
            if trial == theta {
                break; // pinned against the box
            }
            if nll.value_and_gradient(trial)?.0 < value {
                theta = trial;
                moved = true;
                break;
            }
            t *= 0.5;
        }
        if !moved {
            break;
        }
    }
    let fisher = nll.fisher(theta)?;
    Ok(scaled_inverse(&fisher).and_then(|inverse| {
        (inverse * (width * width))
            .cholesky()
            .map(|c| Proposal::new(theta, c.l()))
    }))
}

/// The inverse of the free parameters' 4 × 4 block of F, computed with unit diagonal (flux in counts and
/// shears of order 1 are eight decades apart).
fn scaled_inverse(fisher: &[[f64; 5]; 5]) -> Option<Matrix4<f64>> {
    let block = Matrix4::from_fn(|i, j| fisher[FREE[i]][FREE[j]]);
    if (0..4).any(|i| !block[(i, i)].is_finite() || block[(i, i)] <= 0.0) {
        return None;
    }
    let d = Matrix4::from_diagonal(&Vector4::from_fn(|i, _| 1.0 / block[(i, i)].sqrt()));
    let inverse = (d * block * d).cholesky()?.inverse();
    Some(d * inverse * d)
}

/// Weighted mean and spread of the draws, the weights given as logarithms.
fn moments(draws: &[(f64, [f64; 5])]) -> Result<PosteriorSummary, FitError> {
    let top = draws.iter().map(|d| d.0).fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        return Err(FitError::Solver(
            "no draw of the posterior fell inside the prior: the image is far from what the prior allows"
                .into(),
        ));
    }
    let weights: Vec<f64> = draws.iter().map(|d| (d.0 - top).exp()).collect();
    let total: f64 = weights.iter().sum();
    let mean: [f64; 5] = std::array::from_fn(|p| {
        draws
            .iter()
            .zip(&weights)
            .map(|(d, w)| w * d.1[p])
            .sum::<f64>()
            / total
    });
    let std: [f64; 5] = std::array::from_fn(|p| {
        let var = draws
            .iter()
            .zip(&weights)
            .map(|(d, w)| w * (d.1[p] - mean[p]).powi(2))
            .sum::<f64>()
            / total;
        var.sqrt()
    });
    let effective_samples = total * total / weights.iter().map(|w| w * w).sum::<f64>();
    Ok(PosteriorSummary {
        mean,
        std,
        effective_samples,
    })
}
