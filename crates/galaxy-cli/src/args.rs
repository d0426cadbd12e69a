//! What several commands share: the prior options, the per-image options, the device, the thread pool,
//! the progress bar and JSON configuration files.

use std::io::IsTerminal;
use std::ops::Range;
use std::path::{Path, PathBuf};

use candle_core::Device;
use clap::Args;
use galaxy_data::{PriorOptions, Shard, ShardStamp};
use indicatif::{ProgressBar, ProgressStyle};

use crate::CliError;

/// How the labels of simulated images are drawn, on top of a preset (`galaxy_data::PriorOptions`).
#[derive(Args, Debug, Clone, Copy, Default)]
pub(crate) struct PriorArgs {
    /// Draw n from U(0.5, 6) instead of the seed's 1000-value grid.
    #[arg(long)]
    continuous_n: bool,
    /// Draw n log-uniform over 0.5–6 (implies a continuous n): a flatter prior than the seed's, whose
    /// posterior mean is pulled towards large n where the images of different n look alike.
    #[arg(long)]
    log_uniform_n: bool,
    /// Draw the shear uniform over the disk |g| < 0.67 instead of the seed's |g| ~ U(0, 0.67), whose
    /// density grows as 1/|g| near round shapes and pulls estimates towards g = 0.
    #[arg(long, conflicts_with = "gaussian_shear")]
    disk_shear: bool,
    /// Draw g1 and g2 as independent Gaussians of this spread about 0, cut at |g| < 0.67: a population of
    /// mostly rounder shapes, as observed galaxies are (0.2–0.3 per component).
    #[arg(long, value_name = "SPREAD")]
    gaussian_shear: Option<f64>,
    /// Ground-based PSFs of every shape, drawn as pixel images (Moffat beta 1.5-5 or Kolmogorov, FWHM
    /// 0.45-1.5", |g_psf| <= 0.1), galaxies up to 2 pixels off centre, sigma 100-600: the data of the
    /// networks that read the PSF (`train` then builds one: PSF channel and offsets).
    #[arg(long)]
    psf_family: bool,
    /// With --psf-family: lopsided PSFs too (up to 30% of the light shifted up to 0.6 FWHM, as coma does),
    /// whose centroids sit off their images' centres.
    #[arg(long, requires = "psf_family")]
    lopsided_psfs: bool,
}

impl PriorArgs {
    /// The options as the library takes them.
    pub(crate) fn options(&self) -> PriorOptions {
        PriorOptions {
            continuous_n: self.continuous_n,
            log_uniform_n: self.log_uniform_n,
            disk_shear: self.disk_shear,
            gaussian_shear: self.gaussian_shear,
            psf_family: self.psf_family,
            lopsided_psfs: self.lopsided_psfs,
        }
    }
}

/// The options of the commands that measure a dataset image by image (`fit`, `posterior`).
#[derive(Args, Debug)]
pub(crate) struct PerImageArgs {
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// PSF FWHM for every image, instead of the file's psf_r.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) psf_fwhm: Option<f64>,
    /// Noise sigma for every image, instead of the file's sigma.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) sigma: Option<f64>,
}

/// `--device`: where the networks run.
#[derive(Args, Debug, Clone)]
pub(crate) struct DeviceArg {
    /// cpu or cuda.
    #[arg(long = "device", default_value = "cpu")]
    pub(crate) name: String,
}

impl DeviceArg {
    /// The device, or an error naming the option.
    pub(crate) fn open(&self) -> Result<Device, CliError> {
        device(&self.name)
    }
}

/// What a network runs on: the images (an .npz in the seed's layout), the network and `--device`.
#[derive(Args, Debug)]
pub(crate) struct NetInput {
    /// Images in the seed's layout (img; psf_r and sigma unless given).
    pub(crate) input: PathBuf,
    /// A trained network (.safetensors with its .json beside it), from `galaxy train`; default: the
    /// built-in one for the images' PSF and sigma (docs/models.md), refused outside the ranges it was
    /// trained over.
    #[arg(long)]
    pub(crate) model: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) device: DeviceArg,
}

/// The device named by `--device` (cpu or cuda).
fn device(name: &str) -> Result<Device, CliError> {
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" => Device::new_cuda(0).map_err(|e| {
            CliError::input(format!("--device cuda: {e} (build with --features cuda)"))
        }),
        other => Err(CliError::input(format!(
            "unknown device '{other}'; expected cpu or cuda"
        ))),
    }
}

/// A rayon pool of `threads` workers (default: all cores); 0 is bad input.
pub(crate) fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, CliError> {
    match threads {
        Some(0) => return Err(CliError::input("--threads must be at least 1")),
        t => rayon::ThreadPoolBuilder::new()
            .num_threads(t.unwrap_or(0))
            .build(),
    }
    .map_err(|e| CliError::internal(format!("cannot start threads: {e}")))
}

/// A progress bar of `len` steps on a terminal, hidden otherwise (the summary line says what was done).
/// `what` names the steps; `message` adds the bar's message (a training run's losses).
pub(crate) fn progress(len: u64, what: &str, message: bool) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let msg = if message { "  {msg}" } else { "" };
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {what}  {{per_sec}}  eta {{eta}}{msg}"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

/// A JSON configuration file (`what` names its kind in the error).
pub(crate) fn read_config<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &str,
) -> Result<T, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("{}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::input(format!("{}: not {what}: {e}", path.display())))
}

/// Checks that an output's folder exists before a long run, so it does not fail at its end.
pub(crate) fn check_output(path: &Path) -> Result<(), CliError> {
    galaxy_data::atomic::check_folder(path)
        .map_err(|e| CliError::input(format!("{e} (for {})", path.display())))
}

/// `--shard K/N`: which part of the input a run processes (`fit`, `predict`, `posterior`, `denoise`,
/// `reconstruct`).
#[derive(Args, Debug, Default, Clone)]
pub(crate) struct ShardArgs {
    /// Process only part K of N (0-based): the K-th contiguous slice of the input's galaxies. In a Slurm
    /// array job SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) of SLURM_ARRAY_TASK_COUNT stands in
    /// for it. "{shard}" in the output's name becomes K, zero-padded; `galaxy merge` joins the parts
    /// into what the unsharded run writes (docs/scaling.md).
    #[arg(long, value_name = "K/N")]
    pub(crate) shard: Option<String>,
}

impl ShardArgs {
    /// The run's plan: its part, and its output from the template `output` (see [`ShardPlan::new`]).
    pub(crate) fn plan(&self, output: &Path) -> Result<ShardPlan, CliError> {
        ShardPlan::new(self.shard.as_deref(), output)
    }
}

/// Where a (possibly sharded) run writes and how its part is stamped.
pub(crate) struct ShardPlan {
    /// The part (the whole input unless `--shard` or a Slurm array says otherwise).
    pub(crate) shard: Shard,
    /// The output, "{shard}" replaced.
    pub(crate) output: PathBuf,
    /// The run's fingerprint; only a sharded run's parts carry it (an unsharded run reads no input
    /// file for it).
    run: Option<String>,
}

impl ShardPlan {
    /// The part from `shard` (`--shard K/N`) or the Slurm array's variables, its output from the
    /// template `output`, and, for a part of a sharded run, the run's fingerprint from this process's
    /// command line.
    pub(crate) fn new(shard: Option<&str>, output: &Path) -> Result<ShardPlan, CliError> {
        let shard = match shard {
            Some(s) => s.parse::<Shard>()?,
            None => Shard::from_slurm_env()?.unwrap_or(Shard::WHOLE),
        };
        let run = if shard.count > 1 {
            let command_line: Vec<String> = std::env::args().skip(1).collect();
            Some(galaxy_data::run_fingerprint(&command_line)?)
        } else {
            None
        };
        Ok(ShardPlan {
            shard,
            output: shard.output_path(output),
            run,
        })
    }

    /// The stamp of this part of a `total`-row input; none for an unsharded run (its output is what a
    /// merge of the parts gives).
    pub(crate) fn stamp(&self, total: u64) -> Option<ShardStamp> {
        let run = self.run.as_ref()?;
        Some(ShardStamp::new(self.shard, total, run))
    }

    /// " (shard K/N: rows A..B of T)" for summary lines, empty when unsharded.
    pub(crate) fn describe(&self, total: u64) -> String {
        match self.stamp(total) {
            Some(s) => format!(
                " (shard {}: rows {}..{} of {total})",
                s.shard, s.rows.start, s.rows.end
            ),
            None => String::new(),
        }
    }

    /// The rows of this part of the `.npz` at `path` for a network run in batches of `batch`.
    pub(crate) fn net_rows(&self, path: &Path, batch: usize) -> Result<NetRows, CliError> {
        let total = galaxy_data::image_count(path)?;
        let rows = galaxy_data::shard_rows(self.shard, total, path)?;
        let read = if self.shard.count > 1 {
            galaxy_data::batch_aligned(rows.clone(), batch, total)
        } else {
            rows.clone()
        };
        Ok(NetRows { rows, read, total })
    }
}

/// The images a network reads for a shard: its part, widened to the unsharded run's batches.
pub(crate) struct NetRows {
    /// The part's rows of the input.
    pub(crate) rows: Range<u64>,
    /// The rows to read and run (whole batches around `rows`).
    pub(crate) read: Range<u64>,
    /// Rows of the whole input.
    pub(crate) total: u64,
}

impl NetRows {
    /// Where the part's rows sit among those read.
    pub(crate) fn keep(&self) -> Range<usize> {
        let at = |r: u64| (r - self.read.start) as usize;
        at(self.rows.start)..at(self.rows.end)
    }
}
