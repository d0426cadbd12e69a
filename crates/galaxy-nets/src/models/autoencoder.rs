//! The seed's autoencoder: a convolutional encoder whose latent vector holds the five parameters (plus free
//! dimensions), and a decoder that reconstructs the noiseless galaxy from it. Learning to redraw the galaxy
//! makes the encoder use the noiseless images as well as the labels, and the reconstruction shows what the
//! latent vector has captured.
//!
//! Input channels: image / sigma, and optionally the PSF image (scaled to a peak of 1), as the seed did.
//! Encoder: 3 x 3 stride-2 convolutions + LeakyReLU(0.2) (the seed's 32-64-128-256), flattened, then a linear
//! map to the latent. Decoder: a linear map back to the smallest feature maps, then per level a nearest
//! 2x upsampling, a 3 x 3 convolution and LeakyReLU, and a last 3 x 3 convolution to one channel
//! (noiseless image / sigma).

use candle_core::{Module, Result, Tensor};
use candle_nn::{linear, Conv2dConfig, Linear, VarBuilder};
use serde::{Deserialize, Serialize};

use crate::layers::Conv;

/// The autoencoder's knobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderConfig {
    /// Filters of each stride-2 encoder level (the decoder mirrors them).
    pub filters: Vec<usize>,
    /// Latent dimensions besides the five parameters.
    pub free_latent: usize,
    /// Weight of the reconstruction loss against the label loss.
    pub reconstruction_weight: f64,
    /// Give the encoder the PSF image as a channel.
    pub psf_channel: bool,
    /// Give the encoder sigma as a channel (a constant plane, normalised like the estimators' conditioning).
    /// The image channel is image / sigma, so without it the flux scale is lost when sigma varies: the seed
    /// gave its autoencoder sigma among its per-image statistics for this reason.
    #[serde(default)]
    pub sigma_channel: bool,
    /// Side of the (square) input images.
    pub image_size: usize,
}

impl AutoencoderConfig {
    /// The seed's encoder widths (32-64-128-256) with 11 free latent dimensions.
    pub fn seed() -> Self {
        AutoencoderConfig {
            filters: vec![32, 64, 128, 256],
            free_latent: 11,
            reconstruction_weight: 0.1,
            psf_channel: true,
            sigma_channel: true,
            image_size: 64,
        }
    }

    /// A preset that trains on a CPU: 16-32-64-64.
    pub fn small() -> Self {
        AutoencoderConfig {
            filters: vec![16, 32, 64, 64],
            ..AutoencoderConfig::seed()
        }
    }

    /// Channels the encoder reads: image / sigma, then the PSF image and the sigma plane when enabled.
    pub fn input_channels(&self) -> usize {
        1 + usize::from(self.psf_channel) + usize::from(self.sigma_channel)
    }

    /// Side of the smallest feature maps.
    fn bottom(&self) -> usize {
        self.image_size >> self.filters.len()
    }
}

const SLOPE: f64 = 0.2;

fn leaky(x: &Tensor) -> Result<Tensor> {
    candle_nn::ops::leaky_relu(x, SLOPE)
}

fn conv3(c_in: usize, c_out: usize, stride: usize, vb: VarBuilder) -> Result<Conv> {
    let cfg = Conv2dConfig {
        padding: 1,
        stride,
        ..Default::default()
    };
    Conv::new(c_in, c_out, 3, cfg, true, vb)
}

/// The autoencoder: [B, C, S, S] → (latent [B, 5 + free], reconstruction [B, 1, S, S]).
#[derive(Debug, Clone)]
pub struct Autoencoder {
    encoder: Vec<Conv>,
    to_latent: Linear,
    from_latent: Linear,
    decoder: Vec<Conv>,
    out: Conv,
    cfg: AutoencoderConfig,
}

impl Autoencoder {
    /// Builds the network's variables under `vb`.
    pub fn new(cfg: &AutoencoderConfig, vb: VarBuilder) -> Result<Self> {
        let levels = cfg.filters.len();
        if levels == 0 || cfg.filters.contains(&0) {
            candle_core::bail!("the autoencoder needs at least one level of at least one filter");
        }
        if !cfg.image_size.is_multiple_of(1 << levels) || cfg.bottom() == 0 {
            candle_core::bail!(
                "image size {} must be divisible by 2^{levels} (one halving per level)",
                cfg.image_size
            );
        }
        let c_in = cfg.input_channels();
        let mut encoder = Vec::with_capacity(levels);
        let mut prev = c_in;
        for (i, &f) in cfg.filters.iter().enumerate() {
            encoder.push(conv3(prev, f, 2, vb.pp(format!("enc{i}")))?);
            prev = f;
        }
        let flat = prev * cfg.bottom() * cfg.bottom();
        let latent = 5 + cfg.free_latent;
        let mut decoder = Vec::with_capacity(levels);
        let widths: Vec<usize> = cfg.filters.iter().rev().copied().collect();
        for i in 0..levels {
            let next = widths.get(i + 1).copied().unwrap_or(widths[levels - 1]);
            decoder.push(conv3(widths[i], next, 1, vb.pp(format!("dec{i}")))?);
        }
        Ok(Autoencoder {
            encoder,
            to_latent: linear(flat, latent, vb.pp("to_latent"))?,
            from_latent: linear(latent, flat, vb.pp("from_latent"))?,
            out: conv3(widths[levels - 1], 1, 1, vb.pp("out"))?,
            decoder,
            cfg: cfg.clone(),
        })
    }

    /// Its configuration.
    pub fn config(&self) -> &AutoencoderConfig {
        &self.cfg
    }

    /// The latent vector: the five (scaled) parameters first, then the free dimensions.
    pub fn encode(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.clone();
        for c in &self.encoder {
            h = leaky(&c.forward(&h)?)?;
        }
        self.to_latent.forward(&h.flatten_from(1)?)
    }

    /// The reconstruction (noiseless image / sigma) from a latent vector.
    pub fn decode(&self, z: &Tensor) -> Result<Tensor> {
        let b = z.dim(0)?;
        let side = self.cfg.bottom();
        let top = *self.cfg.filters.last().expect("checked in new");
        let mut h = leaky(&self.from_latent.forward(z)?)?.reshape((b, top, side, side))?;
        for c in &self.decoder {
            let (_, _, hh, ww) = h.dims4()?;
            h = leaky(&c.forward(&h.upsample_nearest2d(2 * hh, 2 * ww)?)?)?;
        }
        self.out.forward(&h)
    }

    /// Latent and reconstruction.
    pub fn forward(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let z = self.encode(x)?;
        let r = self.decode(&z)?;
        Ok((z, r))
    }
}
