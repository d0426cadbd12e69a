//! `galaxy explore`: the web explorer (`galaxy-explore`), on loopback by default.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use crate::CliError;

/// Arguments of `galaxy explore`.
#[derive(Args, Debug)]
pub struct ExploreArgs {
    /// Address to listen on (loopback by default: the API runs fits on request).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port (0: any free port; the URL printed says which).
    #[arg(long, default_value_t = 8050)]
    port: u16,
    /// A trained model for the network panel instead of the built-in ones.
    #[arg(long)]
    model: Option<PathBuf>,
}

/// Runs `galaxy explore` until interrupted.
pub fn run(args: ExploreArgs) -> Result<(), CliError> {
    let model = match &args.model {
        Some(path) => {
            let name = path.display().to_string();
            let dev = candle_core::Device::Cpu;
            let model = galaxy_nets::load(path, &dev)?;
            // The explorer measures raw images: a two-stage model is refused by name, not run wrongly.
            let model = galaxy_nets::pipeline::attach_denoiser(model, &name, None, &dev)?;
            Some((name, model))
        }
        None => None,
    };
    galaxy_explore::serve(&args.host, args.port, model, |addr| {
        println!("galaxy explore: serving on http://{addr}/ (Ctrl-C stops)");
        let _ = std::io::stdout().flush();
    })?;
    Ok(())
}
