//! A report on several sets of estimates of one labelled set: what `galaxy report` writes.
//!
//! [`Report`] holds the sets, the truth, the SNR and the Cramér–Rao bound of every image; its
//! [`markdown`](Report::markdown) is the table of each set (with the `plots` feature, `Report::draw`
//! adds the PNG figures the Markdown links to).

use std::path::{Path, PathBuf};

use galaxy_data::Dataset;
use mle_fit::NoiseOption;
use sersic_render::{Stamp, PARAM_NAMES};

use crate::bounds::bounds_per_image;
use crate::error::EvalError;
use crate::summary::ErrorTable;

/// One set of estimates in a report.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name in the figures and the table.
    pub label: String,
    /// The file it was read from.
    pub file: PathBuf,
    /// One estimate per image.
    pub estimates: Vec<[f64; 5]>,
}

/// Everything a report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The sets of estimates.
    pub series: Vec<Series>,
    /// True values, one per image.
    pub truth: Vec<[f64; 5]>,
    /// SNR of every image.
    pub snr: Vec<f64>,
    /// Cramér–Rao bound of every image.
    pub crb: Vec<[f64; 5]>,
    /// The likelihood the bounds assume.
    pub noise: NoiseOption,
    /// The labelled file, named in the title.
    pub truth_file: PathBuf,
}

impl Report {
    /// A report on the estimate tables `files` (each a label and a path; one row per image) of the
    /// labelled set `truth` (the seed's layout): its labels, SNRs, and the Cramér–Rao bound of every
    /// image on the file's own stamps (0.23", Moffat beta 2 as the seed's sets) under `noise`.
    pub fn build(
        truth: &Path,
        files: &[(String, PathBuf)],
        noise: NoiseOption,
    ) -> Result<Report, EvalError> {
        let data = Dataset::read(truth)?;
        let n = data.len();
        if n == 0 {
            return Err(EvalError::file(truth, "no images"));
        }
        let series = files
            .iter()
            .map(|(label, file)| {
                Ok(Series {
                    label: label.clone(),
                    file: file.clone(),
                    estimates: crate::estimates::read_for(file, n)?,
                })
            })
            .collect::<Result<Vec<_>, EvalError>>()?;
        let labels = data.truth();
        let stamp = Stamp::square(data.image_size(), 0.23);
        let (fwhm, sigma) = (data.psf_fwhm(), data.sigmas());
        let crb = bounds_per_image(stamp, &labels, 2.0, &fwhm, &sigma, noise)?;
        Ok(Report {
            series,
            truth: labels,
            snr: data.snr.iter().map(|&v| f64::from(v)).collect(),
            crb,
            noise,
            truth_file: truth.to_path_buf(),
        })
    }

    /// The Markdown report: per set, mean truth, bias, std, RMSE, CRB and RMSE / CRB per parameter, then
    /// links to the figures (`pred_vs_true.png`, `residual_vs_snr.png`, `error_hist.png`).
    pub fn markdown(&self) -> String {
        let n = self.truth.len();
        let mut md = format!(
            "# Report: {}\n\n{} images; flux in units of 1e5; CRB = mean Cramér–Rao bound at the true values \
             ({} noise).\n\n",
            self.truth_file.display(),
            n,
            self.noise.name()
        );
        for s in &self.series {
            md.push_str(&format!(
                "## {} (`{}`)\n\n| parameter | mean truth | bias | std | RMSE | CRB | RMSE / CRB |\n|---|---|---|---|---|---|---|\n",
                s.label,
                s.file.display()
            ));
            let table = ErrorTable::new(&s.estimates, &self.truth, Some(&self.crb));
            for (name, row) in PARAM_NAMES.iter().zip(&table.rows) {
                let st = row.summary;
                let crb = row.crb.unwrap_or(f64::NAN);
                md.push_str(&format!(
                    "| {name} | {:.4} | {:.4} | {:.4} | {:.4} | {crb:.4} | {:.2} |\n",
                    row.mean_truth,
                    st.bias,
                    st.std,
                    st.rmse,
                    st.rmse / crb
                ));
            }
            md.push('\n');
        }
        md.push_str(
            "![estimate vs truth](pred_vs_true.png)\n\n![residual vs SNR](residual_vs_snr.png)\n\n\
             ![error histograms](error_hist.png)\n",
        );
        md
    }

    /// The file name of a report's Markdown in its folder.
    pub fn markdown_path(folder: &Path) -> PathBuf {
        folder.join("report.md")
    }
}
