//! The training-prior options shared by `generate`, `train`, `search` and `calibrate`: the seed's
//! prior by default, or flatter variants of it for n and the shear.

use clap::Args;
use galaxy_data::SimSettings;

/// How the labels of simulated images are drawn, on top of a preset.
#[derive(Args, Debug, Clone, Copy, Default)]
pub(crate) struct PriorArgs {
    /// Draw n from U(0.5, 6) instead of the seed's 1000-value grid.
    #[arg(long)]
    pub(crate) continuous_n: bool,
    /// Draw n log-uniform over 0.5–6 (implies a continuous n): a flatter prior than the seed's, whose
    /// posterior mean is pulled towards large n where the images of different n look alike.
    #[arg(long)]
    pub(crate) log_uniform_n: bool,
    /// Draw the shear uniform over the disk |g| < 0.67 instead of the seed's |g| ~ U(0, 0.67), whose
    /// density grows as 1/|g| near round shapes and pulls estimates towards g = 0.
    #[arg(long, conflicts_with = "gaussian_shear")]
    pub(crate) disk_shear: bool,
    /// Draw g1 and g2 as independent Gaussians of this spread about 0, cut at |g| < 0.67: a population of
    /// mostly rounder shapes, as observed galaxies are (0.2–0.3 per component).
    #[arg(long, value_name = "SPREAD")]
    pub(crate) gaussian_shear: Option<f64>,
}

impl PriorArgs {
    /// Whether any option departs from the preset's prior.
    pub(crate) fn any(&self) -> bool {
        self.continuous_n || self.log_uniform_n || self.disk_shear || self.gaussian_shear.is_some()
    }

    /// Whether n is drawn from a continuous distribution (a log-uniform n is one).
    pub(crate) fn continuous(&self) -> bool {
        self.continuous_n || self.log_uniform_n
    }

    /// The preset's settings with these options applied.
    pub(crate) fn apply(&self, settings: SimSettings) -> SimSettings {
        let mut s = settings;
        if self.log_uniform_n {
            s = s.with_log_uniform_n();
        } else if self.continuous_n {
            s = s.with_continuous_n();
        }
        if self.disk_shear {
            s = s.with_disk_shear();
        }
        if let Some(sigma) = self.gaussian_shear {
            s = s.with_gaussian_shear(sigma);
        }
        s
    }

    /// Words for a description (" with continuous n, …"), empty for the seed's prior.
    pub(crate) fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.log_uniform_n {
            parts.push("log-uniform n".to_string());
        } else if self.continuous_n {
            parts.push("continuous n".to_string());
        }
        if self.disk_shear {
            parts.push("shear uniform over the disk".to_string());
        }
        if let Some(sigma) = self.gaussian_shear {
            parts.push(format!("Gaussian shear of spread {sigma}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!(" with {}", parts.join(", "))
        }
    }

    /// The options as JSON, for a card's record.
    pub(crate) fn to_json(self) -> serde_json::Value {
        serde_json::json!({
            "continuous_n": self.continuous(),
            "log_uniform_n": self.log_uniform_n,
            "disk_shear": self.disk_shear,
            "gaussian_shear": self.gaussian_shear,
        })
    }
}
