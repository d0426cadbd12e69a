//! `galaxy search`: architecture search over a TOML space (grid, random or Hyperband), every finished
//! trial on record as it finishes, resumable, with the best model and a parallel-coordinates figure.

use std::path::PathBuf;

use clap::Args;
use galaxy_nets::search::{best_line, parallel_plot, Budget, Search, SearchSpace};

use crate::args::{DeviceArg, PriorArgs};
use crate::CliError;

/// Arguments of `galaxy search`.
#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The search space (TOML; docs/search.md).
    #[arg(long)]
    space: PathBuf,
    /// Wall-clock budget (e.g. 2h, 90m, 600s) or a number of distinct trials (e.g. 12-trials).
    #[arg(long)]
    budget: String,
    /// Training data, simulated on the fly: data_v1, data_v2 or data_v3.
    #[arg(long, default_value = "data_v1")]
    preset: String,
    /// The prior the labels are drawn from (the seed's unless these options).
    #[command(flatten)]
    prior: PriorArgs,
    /// Simulated validation images (the same set for every trial).
    #[arg(long, default_value_t = 2000)]
    val_size: u64,
    /// Batch size.
    #[arg(long, default_value_t = 64)]
    batch: usize,
    #[command(flatten)]
    device: DeviceArg,
    /// Continue a search whose records are already in the output folder.
    #[arg(long)]
    resume: bool,
    /// Afterwards, train the seed's grid-search winner (its tiny Xception) for as long as the best trial
    /// took, on the same data, and put it on record beside the trials.
    #[arg(long)]
    compare_seed: bool,
    /// Output folder: trials.jsonl, trials.csv, trials/, best.safetensors + .json, parallel.png.
    #[arg(short, long)]
    output: PathBuf,
}

/// Runs `galaxy search`.
pub fn run(args: SearchArgs) -> Result<(), CliError> {
    let budget: Budget = args.budget.parse().map_err(CliError::input)?;
    let space = SearchSpace::read(&args.space)?;
    if args.batch == 0 || args.val_size == 0 {
        return Err(CliError::input("--batch and --val-size must be at least 1"));
    }
    let data = crate::train::simulated(&args.preset, &args.prior, space.seed, args.val_size)?;
    let galaxy_nets::train::TrainSource::Simulated(settings) = data.source else {
        return Err(CliError::internal("a search trains on simulated data"));
    };
    let search = Search {
        space: &space,
        settings: *settings,
        validation: data.validation,
        device: args.device.open()?,
        batch: args.batch,
        budget,
        dir: args.output.clone(),
    };
    let planned: usize = space.plan().iter().map(|b| b.trials.len()).sum();
    eprintln!(
        "search: {planned} configurations planned ({:?}), budget {}; records in {}",
        space.strategy,
        args.budget,
        args.output.display()
    );
    let started = std::time::Instant::now();
    let summary = search.run(args.resume, args.compare_seed, &mut |r| eprintln!("{r}"))?;
    galaxy_eval::plots::parallel_coordinates(
        &parallel_plot(&summary.records),
        &args.output.join("parallel.png"),
    )?;
    match &summary.best {
        Some(b) => println!(
            "search: {} trials, {} records in {:.0} s; {} -> {}",
            summary.trials,
            summary.records.len(),
            started.elapsed().as_secs_f64(),
            best_line(b),
            args.output.join("best.safetensors").display()
        ),
        None => println!("search: no trial finished within the budget"),
    }
    Ok(())
}
