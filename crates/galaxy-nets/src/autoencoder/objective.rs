//! The autoencoder's objective: its first five latent entries against the scaled labels, its image
//! against the noiseless one.

use candle_core::{Device, Tensor};
use galaxy_data::Dataset;
use ndarray::{s, ArrayView2, ArrayView3};
use serde::{Deserialize, Serialize};

use crate::error::NetError;
use crate::models::autoencoder::{Autoencoder, AutoencoderConfig};
use crate::scaling::Scaling;
use crate::train::Objective;

/// The encoder's input for images `range`: image / sigma, the PSF image scaled to a peak of 1 and a plane
/// of sigma normalised by `scaling` when the network reads them. `psf(i)` gives image i's PSF image.
pub(crate) fn inputs<'a>(
    cfg: &AutoencoderConfig,
    scaling: &Scaling,
    img: ArrayView3<'a, f32>,
    psf: &dyn Fn(usize) -> ArrayView2<'a, f32>,
    sigma: &[f32],
    range: std::ops::Range<usize>,
    device: &Device,
) -> Result<Tensor, NetError> {
    let (_, h, w) = img.dim();
    let channels = cfg.input_channels();
    let mut v = Vec::with_capacity(range.len() * channels * h * w);
    for i in range.clone() {
        let inv = 1.0 / sigma[i];
        v.extend(img.slice(s![i, .., ..]).iter().map(|p| p * inv));
        if cfg.psf_channel {
            let p = psf(i);
            if p.dim() != (h, w) {
                return Err(NetError::BadInput(format!(
                    "image {i}: PSF image is {:?}, the images are {h} x {w}",
                    p.dim()
                )));
            }
            let peak = p
                .iter()
                .copied()
                .fold(f32::MIN, f32::max)
                .max(f32::MIN_POSITIVE);
            v.extend(p.iter().map(|x| x / peak));
        }
        if cfg.sigma_channel {
            let (centre, half) = scaling.sigma;
            let plane = ((f64::from(sigma[i]) - centre) / half) as f32;
            v.extend(std::iter::repeat_n(plane, h * w));
        }
    }
    Ok(Tensor::from_vec(v, (range.len(), channels, h, w), device)?)
}

/// An autoencoder's validation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderMetrics {
    /// Label MSE (scaled labels) + weight x reconstruction MSE: the training loss.
    pub loss: f64,
    /// RMSE per parameter, physical units.
    pub rmse: [f64; 5],
    /// Reconstruction MSE in units of sigma².
    pub reconstruction: f64,
}

impl std::fmt::Display for AutoencoderMetrics {
    /// "loss 0.0633, reconstruction MSE 0.0041 (sigma²), RMSE flux 14557 n 1.148 …".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.rmse;
        write!(
            f,
            "loss {:.4}, reconstruction MSE {:.4} (sigma²), RMSE flux {:.0} n {:.3} hlr {:.4} g1 {:.4} g2 {:.4}",
            self.loss, self.reconstruction, r[0], r[1], r[2], r[3], r[4]
        )
    }
}

/// Trains an autoencoder: the first five latent entries against the scaled labels (MSE), the decoder's
/// image against the noiseless image / sigma (MSE, weighted).
pub struct AutoencoderObjective<'a> {
    /// The network.
    pub net: &'a Autoencoder,
    /// Label scaling.
    pub scaling: &'a Scaling,
}

impl AutoencoderObjective<'_> {
    fn losses(
        &self,
        data: &Dataset,
        range: std::ops::Range<usize>,
        device: &Device,
    ) -> Result<(Tensor, Tensor, Tensor), NetError> {
        let sigma = data.sigma.to_vec();
        let x = inputs(
            self.net.config(),
            self.scaling,
            data.img.view(),
            &|i| data.psf_image(i),
            &sigma,
            range.clone(),
            device,
        )?;
        let y = self.scaling.targets(data, range.clone(), device)?;
        let (_, h, w) = data.img.dim();
        let mut clean = Vec::with_capacity(range.len() * h * w);
        for i in range.clone() {
            clean.extend(
                data.img_nonoise
                    .slice(s![i, .., ..])
                    .iter()
                    .map(|p| p / sigma[i]),
            );
        }
        let clean = Tensor::from_vec(clean, (range.len(), 1, h, w), device)?;
        let (z, r) = self.net.forward(&x)?;
        let est = z.narrow(1, 0, 5)?;
        let label = (&est - y)?.sqr()?.mean_all()?;
        let recon = (r - clean)?.sqr()?.mean_all()?;
        Ok((label, recon, est))
    }
}

impl Objective for AutoencoderObjective<'_> {
    type Metrics = AutoencoderMetrics;
    fn batch_loss(&self, data: &Dataset, device: &Device) -> Result<Tensor, NetError> {
        let (label, recon, _) = self.losses(data, 0..data.len(), device)?;
        let w = self.net.config().reconstruction_weight;
        Ok((label + recon.affine(w, 0.0)?)?)
    }
    fn validate(&self, data: &Dataset, device: &Device) -> Result<AutoencoderMetrics, NetError> {
        let n = data.len();
        let w = self.net.config().reconstruction_weight;
        let (mut loss, mut recon_sum, mut sq, mut start) = (0.0, 0.0, [0.0f64; 5], 0);
        while start < n {
            let end = (start + 128).min(n);
            let (label, recon, est) = self.losses(data, start..end, device)?;
            let (l, r) = (
                label.to_scalar::<f32>()? as f64,
                recon.to_scalar::<f32>()? as f64,
            );
            let m = (end - start) as f64;
            loss += (l + w * r) * m;
            recon_sum += r * m;
            let rows: Vec<Vec<f32>> = est.to_vec2()?;
            for (k, row) in rows.iter().enumerate() {
                for j in 0..5 {
                    let v = self.scaling.unscale_label(j, f64::from(row[j]));
                    sq[j] += (v - f64::from(data.label[[start + k, j]])).powi(2);
                }
            }
            start = end;
        }
        Ok(AutoencoderMetrics {
            loss: loss / n as f64,
            rmse: sq.map(|s| (s / n as f64).sqrt()),
            reconstruction: recon_sum / n as f64,
        })
    }
    fn score(m: &AutoencoderMetrics) -> f64 {
        m.loss
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, Array3};

    #[test]
    fn the_encoder_reads_image_over_sigma_the_psf_and_the_sigma_plane() {
        let cfg = AutoencoderConfig {
            image_size: 4,
            ..AutoencoderConfig::small()
        };
        let img = Array3::from_elem((2, 4, 4), 800.0f32);
        let mut psf = Array2::zeros((4, 4));
        psf[[1, 1]] = 0.5f32;
        let sigma = [200.0f32, 400.0];
        let x = inputs(
            &cfg,
            &Scaling::default(),
            img.view(),
            &|_| psf.view(),
            &sigma,
            0..2,
            &Device::Cpu,
        )
        .unwrap();
        assert_eq!(x.dims(), &[2, 3, 4, 4]);
        let x = x.flatten_from(2).unwrap().to_vec3::<f32>().unwrap();
        // Image / sigma: 4 and 2; the PSF at a peak of 1; sigma 200 and 400 at -1 and +1 (300 ± 100).
        assert_eq!((x[0][0][5], x[1][0][5]), (4.0, 2.0));
        assert_eq!((x[0][1][5], x[0][1][0]), (1.0, 0.0));
        assert!(x[0][2].iter().all(|&p| p == -1.0) && x[1][2].iter().all(|&p| p == 1.0));
    }
}
