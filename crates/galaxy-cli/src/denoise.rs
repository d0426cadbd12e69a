//! `galaxy denoise` and `galaxy reconstruct`: the seed's denoisers and autoencoder as tools of their own.

use std::path::{Path, PathBuf};

use candle_core::Device;
use clap::Args;
use galaxy_data::Dataset;
use galaxy_eval::denoising::DenoisingQuality;
use galaxy_nets::autoencoder::{self, moffat_psf_images};
use galaxy_nets::estimator::Prediction;
use galaxy_nets::{builtin, denoiser};
use ndarray::Array3;

use crate::args::{check_output, progress, NetInput, NetRows, ShardArgs, ShardPlan};
use crate::CliError;

/// Arguments of `galaxy denoise`.
#[derive(Args, Debug)]
pub struct DenoiseArgs {
    #[command(flatten)]
    net: NetInput,
    /// Output .npz: the input's arrays and `img_denoised`.
    #[arg(short, long)]
    output: PathBuf,
    /// Images per batch.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Also score the denoiser against the file's noiseless images, next to two classical baselines: a
    /// Gaussian filter of the PSF's FWHM, and the model image of the maximum-likelihood fit.
    #[arg(long)]
    baselines: bool,
    #[command(flatten)]
    shard: ShardArgs,
}

/// Runs `galaxy denoise`.
pub fn run_denoise(args: DenoiseArgs) -> Result<(), CliError> {
    let plan = args.shard.plan(&args.output)?;
    check_output(&plan.output)?;
    let dev = args.net.device.open()?;
    let part = plan.net_rows(&args.net.input, args.batch)?;
    let data = read_rows(&args.net.input, &plan, &part)?;
    let (model, name) = match &args.net.model {
        Some(path) => (denoiser::load(path, &dev)?, path.display().to_string()),
        None => {
            let (fwhm, sigma) = (data.psf_fwhm(), data.sigmas());
            builtin::check_ranges(&fwhm, &sigma, "denoiser")?;
            let b = &builtin::DENOISER;
            (b.load_denoiser(&dev)?, format!("the built-in {}", b.name))
        }
    };
    let started = std::time::Instant::now();
    let bar = progress(data.len() as u64, "images", false);
    let clean = denoiser::denoise(
        &model,
        data.img.view(),
        &data.sigma.to_vec(),
        args.batch,
        &dev,
        &mut |k| bar.inc(k as u64),
    )?;
    bar.finish_and_clear();
    let (data, clean) = kept(data, clean, &part);
    let data = &data;
    data.write_stamped(
        &plan.output,
        &[("img_denoised", &clean)],
        plan.stamp(part.total).as_ref(),
    )?;
    if args.baselines {
        let q = DenoisingQuality::measure(data, &clean)?;
        println!("{} images; mean squared error to the noiseless image / noise variance (1 = the noisy image):", data.len());
        for (what, v) in [
            ("noisy image", q.noisy),
            ("Gaussian filter (PSF FWHM)", q.gaussian_filter),
            ("maximum-likelihood model", q.fit_model),
            ("denoiser", q.denoiser),
        ] {
            println!("{what:<28} {v:.4}");
        }
    }
    eprintln!(
        "denoised {} images{} with {} in {:.2} s -> {}",
        data.len(),
        plan.describe(part.total),
        name,
        started.elapsed().as_secs_f64(),
        plan.output.display()
    );
    Ok(())
}

/// Estimates and reconstructions of images with an autoencoder (the built-in one when `model` is
/// `None`), the PSF channel drawn from each image's FWHM.
pub(crate) fn autoencode(
    model: Option<&Path>,
    img: &Array3<f32>,
    psf_fwhm: &[f64],
    sigma: &[f64],
    batch: usize,
    dev: &Device,
) -> Result<(Vec<Prediction>, Array3<f32>), CliError> {
    let model = match model {
        Some(path) => autoencoder::load(path, dev)?,
        None => {
            builtin::check_ranges(psf_fwhm, sigma, "autoencoder")?;
            builtin::AUTOENCODER.load_autoencoder(dev)?
        }
    };
    let psf = moffat_psf_images(psf_fwhm, img.dim().1)?;
    let sigma: Vec<f32> = sigma.iter().map(|&s| s as f32).collect();
    let bar = progress(img.dim().0 as u64, "images", false);
    let out = autoencoder::run(
        &model,
        img.view(),
        &|i| psf.slice(ndarray::s![i, .., ..]),
        &sigma,
        batch,
        dev,
        &mut |k| bar.inc(k as u64),
    )?;
    bar.finish_and_clear();
    Ok(out)
}

/// Arguments of `galaxy reconstruct`.
#[derive(Args, Debug)]
pub struct ReconstructArgs {
    #[command(flatten)]
    net: NetInput,
    /// Output .npz: the input's arrays and `img_reconstructed` (what the decoder draws from the latent).
    #[arg(short, long)]
    output: PathBuf,
    #[command(flatten)]
    shard: ShardArgs,
}

/// Runs `galaxy reconstruct`.
pub fn run_reconstruct(args: ReconstructArgs) -> Result<(), CliError> {
    let plan = args.shard.plan(&args.output)?;
    check_output(&plan.output)?;
    let dev = args.net.device.open()?;
    let part = plan.net_rows(&args.net.input, RECONSTRUCT_BATCH)?;
    let data = read_rows(&args.net.input, &plan, &part)?;
    let (fwhm, sigma) = (data.psf_fwhm(), data.sigmas());
    let (_, recon) = autoencode(
        args.net.model.as_deref(),
        &data.img,
        &fwhm,
        &sigma,
        RECONSTRUCT_BATCH,
        &dev,
    )?;
    let (data, recon) = kept(data, recon, &part);
    let data = &data;
    data.write_stamped(
        &plan.output,
        &[("img_reconstructed", &recon)],
        plan.stamp(part.total).as_ref(),
    )?;
    eprintln!(
        "reconstructed {} images{} -> {}",
        data.len(),
        plan.describe(part.total),
        plan.output.display()
    );
    Ok(())
}

/// Images per batch of `galaxy reconstruct`.
const RECONSTRUCT_BATCH: usize = 64;

/// The images a network command reads for its part: the whole file unsharded, else the part's rows
/// widened to whole batches (see [`NetRows`]).
fn read_rows(path: &Path, plan: &ShardPlan, part: &NetRows) -> Result<Dataset, CliError> {
    Ok(if plan.shard.count > 1 {
        Dataset::read_range(path, part.read.clone())?
    } else {
        Dataset::read(path)?
    })
}

/// The part's own images of `data` and of the network's `output` (dropping the batch-filling ones).
fn kept(data: Dataset, output: Array3<f32>, part: &NetRows) -> (Dataset, Array3<f32>) {
    let keep = part.keep();
    if keep == (0..data.len()) {
        return (data, output);
    }
    let rows = ndarray::s![keep.clone(), .., ..];
    let single_psf = data.psf_img.len_of(ndarray::Axis(0)) == 1;
    let kept = Dataset {
        img: data.img.slice(rows).to_owned(),
        img_nonoise: data.img_nonoise.slice(rows).to_owned(),
        label: data.label.slice(ndarray::s![keep.clone(), ..]).to_owned(),
        psf_r: data.psf_r.slice(ndarray::s![keep.clone()]).to_owned(),
        psf_img: if single_psf {
            data.psf_img
        } else {
            data.psf_img.slice(rows).to_owned()
        },
        snr: data.snr.slice(ndarray::s![keep.clone()]).to_owned(),
        sigma: data.sigma.slice(ndarray::s![keep.clone()]).to_owned(),
        offset: data
            .offset
            .as_ref()
            .map(|o| o.slice(ndarray::s![keep.clone(), ..]).to_owned()),
    };
    (kept, output.slice(rows).to_owned())
}
