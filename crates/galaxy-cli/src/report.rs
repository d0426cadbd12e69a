//! `galaxy report`: how well one or more sets of estimates (network, fit, two-stage, ...) measure a
//! labelled dataset — PNG figures and a Markdown table with bias, std, RMSE and the Cramér–Rao bound.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::Args;
use galaxy_data::Dataset;
use mle_fit::NoiseOption;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use rayon::prelude::*;
use sersic_render::{GalaxyParams, Renderer, Stamp, PARAM_NAMES};

use crate::plots::{colour_bar, fonts, padded_range, viridis, SERIES};
use crate::stats::summarize;
use crate::CliError;

/// Arguments of `galaxy report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Estimate CSVs (`galaxy predict` or `galaxy fit` output), one row per image of --truth.
    #[arg(required = true)]
    predictions: Vec<PathBuf>,
    /// The labelled images the estimates are of (.npz in the seed's layout).
    #[arg(long)]
    truth: PathBuf,
    /// Names of the CSVs in the figures, comma-separated (default: their file stems).
    #[arg(long, value_delimiter = ',')]
    labels: Vec<String>,
    /// Noise model of the Cramér–Rao bound: poisson (sigma² + model) or gaussian.
    #[arg(long, default_value = "poisson")]
    noise: String,
    /// Output folder (made if missing): pred_vs_true.png, residual_vs_snr.png, error_hist.png, report.md.
    #[arg(short, long)]
    output: PathBuf,
}

/// One set of estimates.
struct Series {
    label: String,
    file: PathBuf,
    estimates: Vec<[f64; 5]>,
}

const UNITS: [&str; 5] = ["flux (1e5 counts)", "Sérsic n", "hlr (arcsec)", "g1", "g2"];
/// Flux is shown in units of 1e5, as in the seed's tables.
fn unit(j: usize) -> f64 {
    if j == 0 {
        1e5
    } else {
        1.0
    }
}

fn read_estimates(path: &Path, n: usize) -> Result<Vec<[f64; 5]>, CliError> {
    let bad = |m: String| CliError::input(format!("{}: {m}", path.display()));
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let header = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let cols: Vec<usize> = PARAM_NAMES
        .iter()
        .map(|p| {
            header.iter().position(|h| h == *p).ok_or_else(|| {
                bad(format!(
                    "no '{p}' column (expected the columns of galaxy predict / fit)"
                ))
            })
        })
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| bad(format!("row {}: {e}", i + 1)))?;
        let mut v = [0.0; 5];
        for (j, &c) in cols.iter().enumerate() {
            let text = row.get(c).unwrap_or("");
            v[j] = text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    bad(format!(
                        "row {}: {} = '{text}' is not a finite number",
                        i + 1,
                        PARAM_NAMES[j]
                    ))
                })?;
        }
        out.push(v);
    }
    if out.len() != n {
        return Err(bad(format!(
            "{} rows, but the truth file has {n} images",
            out.len()
        )));
    }
    Ok(out)
}

/// The Cramér–Rao bound of every image, computed once per distinct (galaxy, PSF, sigma).
fn bounds(data: &Dataset, noise: NoiseOption) -> Result<Vec<[f64; 5]>, CliError> {
    let renderer =
        Renderer::new(Stamp::default()).map_err(|e| CliError::internal(e.to_string()))?;
    let n = data.len();
    let key = |i: usize| -> [u32; 7] {
        let l = data.label.row(i);
        [l[0], l[1], l[2], l[3], l[4], data.psf_r[i], data.sigma[i]].map(f32::to_bits)
    };
    let mut unique: HashMap<[u32; 7], usize> = HashMap::new();
    for i in 0..n {
        unique.entry(key(i)).or_insert(i);
    }
    let firsts: Vec<usize> = unique.values().copied().collect();
    let computed: HashMap<[u32; 7], [f64; 5]> = firsts
        .par_iter()
        .map(|&i| {
            let truth =
                GalaxyParams::from_array(std::array::from_fn(|j| f64::from(data.label[[i, j]])));
            let psf = crate::fit::moffat(2.0, f64::from(data.psf_r[i]))?;
            let nm = noise
                .noise(f64::from(data.sigma[i]))
                .map_err(crate::fit::fit_error)?;
            let b = mle_fit::crb(&renderer, &truth, &psf, &nm).map_err(crate::fit::fit_error)?;
            Ok((key(i), b.sigma))
        })
        .collect::<Result<_, CliError>>()?;
    Ok((0..n).map(|i| computed[&key(i)]).collect())
}

/// Runs `galaxy report`.
pub fn run(args: ReportArgs) -> Result<(), CliError> {
    let noise: NoiseOption = args.noise.parse().map_err(crate::fit::fit_error)?;
    if !args.labels.is_empty() && args.labels.len() != args.predictions.len() {
        return Err(CliError::input(format!(
            "{} labels for {} prediction files",
            args.labels.len(),
            args.predictions.len()
        )));
    }
    if args.predictions.len() > SERIES.len() {
        return Err(CliError::input(format!(
            "at most {} prediction files",
            SERIES.len()
        )));
    }
    let data = Dataset::read(&args.truth).map_err(|e| CliError::input(e.to_string()))?;
    let n = data.len();
    if n == 0 {
        return Err(CliError::input(format!(
            "{} has no images",
            args.truth.display()
        )));
    }
    let series: Vec<Series> = args
        .predictions
        .iter()
        .enumerate()
        .map(|(k, p)| {
            Ok(Series {
                label: args.labels.get(k).cloned().unwrap_or_else(|| {
                    p.file_stem()
                        .map_or("estimates".into(), |s| s.to_string_lossy().into_owned())
                }),
                file: p.clone(),
                estimates: read_estimates(p, n)?,
            })
        })
        .collect::<Result<_, CliError>>()?;
    let crb = bounds(&data, noise)?;
    std::fs::create_dir_all(&args.output)
        .map_err(|e| CliError::input(format!("{}: {e}", args.output.display())))?;
    let truth: Vec<[f64; 5]> = (0..n)
        .map(|i| std::array::from_fn(|j| f64::from(data.label[[i, j]])))
        .collect();
    let snr: Vec<f64> = data.snr.iter().map(|&v| f64::from(v)).collect();
    fonts();
    let figures = Figures {
        series: &series,
        truth: &truth,
        snr: &snr,
        snr_range: padded_range(snr.iter().copied()),
        crb: &crb,
    };
    let out = |name: &str| args.output.join(name);
    figures.pred_vs_true(&out("pred_vs_true.png"))?;
    figures.residual_vs_snr(&out("residual_vs_snr.png"))?;
    figures.error_hist(&out("error_hist.png"))?;
    let md = figures.markdown(&args.truth, noise);
    crate::output::write_bytes_atomic(&out("report.md"), md.as_bytes())?;
    println!(
        "report: {} images, {} estimate sets -> {}",
        n,
        series.len(),
        args.output.join("report.md").display()
    );
    Ok(())
}

struct Figures<'a> {
    series: &'a [Series],
    truth: &'a [[f64; 5]],
    snr: &'a [f64],
    /// The SNR axis (and colour bar) range, computed once: every point's colour needs it.
    snr_range: (f64, f64),
    crb: &'a [[f64; 5]],
}

fn err(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::internal(format!("cannot draw {}: {e}", path.display()))
}

const PANEL: (u32, u32) = (420, 300);

type Panel<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One captioned panel with labelled axes and a light grid.
fn panel<'a, 'b>(
    area: &'a DrawingArea<BitMapBackend<'b>, plotters::coord::Shift>,
    caption: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    (x_desc, y_desc): (&str, &str),
) -> Result<Panel<'a, 'b>, String> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 16))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(58)
        .build_cartesian_2d(x, y)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .x_labels(5)
        .y_labels(5)
        .label_style(("sans-serif", 13))
        .light_line_style(RGBColor(238, 238, 238))
        .axis_desc_style(("sans-serif", 14))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

impl Figures<'_> {
    fn snr_colour(&self, i: usize) -> RGBColor {
        let (lo, hi) = self.snr_range;
        viridis((self.snr[i] - lo) / (hi - lo))
    }

    /// Predicted vs true, one row per parameter and one column per estimate set, coloured by SNR.
    fn pred_vs_true(&self, path: &Path) -> Result<(), CliError> {
        let k = self.series.len() as u32;
        let (w, h) = (PANEL.0 * k + 110, PANEL.1 * 5 + 50);
        let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
        let draw = || -> Result<(), String> {
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            let root = root
                .titled("estimate vs truth, coloured by SNR", ("sans-serif", 22))
                .map_err(|e| e.to_string())?;
            let (main, bar) = root.split_horizontally(w - 110);
            let panels = main.split_evenly((5, k as usize));
            for j in 0..5 {
                for (s, series) in self.series.iter().enumerate() {
                    let u = unit(j);
                    let range = padded_range(
                        self.truth
                            .iter()
                            .map(|t| t[j] / u)
                            .chain(series.estimates.iter().map(|e| e[j] / u)),
                    );
                    let mut chart = panel(
                        &panels[j * k as usize + s],
                        &format!("{} — {}", series.label, UNITS[j]),
                        range.0..range.1,
                        range.0..range.1,
                        ("true", "estimate"),
                    )?;
                    chart
                        .draw_series(series.estimates.iter().enumerate().map(|(i, e)| {
                            Circle::new(
                                (self.truth[i][j] / u, e[j] / u),
                                2,
                                self.snr_colour(i).filled(),
                            )
                        }))
                        .map_err(|e| e.to_string())?;
                    chart
                        .draw_series(LineSeries::new(
                            [(range.0, range.0), (range.1, range.1)],
                            BLACK.stroke_width(1),
                        ))
                        .map_err(|e| e.to_string())?;
                }
            }
            colour_bar(&bar, self.snr_range, "SNR")?;
            root.present().map_err(|e| e.to_string())
        };
        draw().map_err(|e| err(path, e))
    }

    /// Residual (estimate − truth) vs SNR with ±1 CRB (binned in SNR) over it.
    fn residual_vs_snr(&self, path: &Path) -> Result<(), CliError> {
        let k = self.series.len() as u32;
        let (w, h) = (PANEL.0 * k, PANEL.1 * 5 + 50);
        let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
        // CRB against SNR: the mean bound in ten SNR bins of equal counts.
        let mut order: Vec<usize> = (0..self.snr.len()).collect();
        order.sort_by(|&a, &b| self.snr[a].total_cmp(&self.snr[b]));
        let bins = order.len().clamp(1, 10);
        let chunks: Vec<&[usize]> = order.chunks(order.len().div_ceil(bins)).collect();
        let draw = || -> Result<(), String> {
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            let root = root
                .titled(
                    "estimate − truth vs SNR; dashed: ±1 Cramér–Rao bound",
                    ("sans-serif", 22),
                )
                .map_err(|e| e.to_string())?;
            let panels = root.split_evenly((5, k as usize));
            for j in 0..5 {
                let u = unit(j);
                let curve: Vec<(f64, f64)> = chunks
                    .iter()
                    .map(|c| {
                        let m = c.len() as f64;
                        (
                            c.iter().map(|&i| self.snr[i]).sum::<f64>() / m,
                            c.iter().map(|&i| self.crb[i][j]).sum::<f64>() / m / u,
                        )
                    })
                    .collect();
                for (s, series) in self.series.iter().enumerate() {
                    let res: Vec<f64> = (0..self.truth.len())
                        .map(|i| (series.estimates[i][j] - self.truth[i][j]) / u)
                        .collect();
                    let y = padded_range(
                        res.iter()
                            .copied()
                            .chain(curve.iter().flat_map(|c| [c.1, -c.1])),
                    );
                    let x = self.snr_range;
                    let mut chart = panel(
                        &panels[j * k as usize + s],
                        &format!("{} — {}", series.label, UNITS[j]),
                        x.0..x.1,
                        y.0..y.1,
                        ("SNR", "estimate − truth"),
                    )?;
                    let colour = SERIES[s];
                    chart
                        .draw_series(res.iter().enumerate().map(|(i, r)| {
                            Circle::new((self.snr[i], *r), 2, colour.mix(0.5).filled())
                        }))
                        .map_err(|e| e.to_string())?;
                    // Held flat to the plot's edges, so a set of one galaxy (one SNR) still shows it.
                    let first = curve.first().map_or(0.0, |c| c.1);
                    let last = curve.last().map_or(0.0, |c| c.1);
                    let span: Vec<(f64, f64)> = std::iter::once((x.0, first))
                        .chain(curve.iter().copied())
                        .chain(std::iter::once((x.1, last)))
                        .collect();
                    for sign in [1.0, -1.0] {
                        chart
                            .draw_series(DashedLineSeries::new(
                                span.iter().map(|c| (c.0, sign * c.1)).collect::<Vec<_>>(),
                                6,
                                4,
                                BLACK.stroke_width(2),
                            ))
                            .map_err(|e| e.to_string())?;
                    }
                    chart
                        .draw_series(LineSeries::new([(x.0, 0.0), (x.1, 0.0)], BLACK.mix(0.4)))
                        .map_err(|e| e.to_string())?;
                }
            }
            root.present().map_err(|e| e.to_string())
        };
        draw().map_err(|e| err(path, e))
    }

    /// Histograms of estimate − truth, every estimate set overlaid, one panel per parameter.
    fn error_hist(&self, path: &Path) -> Result<(), CliError> {
        let (w, h) = (3 * PANEL.0, 2 * PANEL.1 + 50);
        let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
        let draw = || -> Result<(), String> {
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            let root = root
                .titled("distribution of estimate − truth", ("sans-serif", 22))
                .map_err(|e| e.to_string())?;
            let panels = root.split_evenly((2, 3));
            for j in 0..5 {
                let u = unit(j);
                let res: Vec<Vec<f64>> = self
                    .series
                    .iter()
                    .map(|s| {
                        (0..self.truth.len())
                            .map(|i| (s.estimates[i][j] - self.truth[i][j]) / u)
                            .collect()
                    })
                    .collect();
                let x = padded_range(res.iter().flatten().copied());
                let nbins = 30;
                let width = (x.1 - x.0) / nbins as f64;
                let counts: Vec<Vec<u32>> = res
                    .iter()
                    .map(|r| {
                        let mut c = vec![0u32; nbins];
                        for v in r {
                            let b = (((v - x.0) / width) as usize).min(nbins - 1);
                            c[b] += 1;
                        }
                        c
                    })
                    .collect();
                let top = counts.iter().flatten().copied().max().unwrap_or(1) as f64 * 1.1;
                let mut chart = panel(
                    &panels[j],
                    UNITS[j],
                    x.0..x.1,
                    0.0..top,
                    ("estimate − truth", "images"),
                )?;
                for (s, c) in counts.iter().enumerate() {
                    let steps: Vec<(f64, f64)> = c
                        .iter()
                        .enumerate()
                        .flat_map(|(b, &n)| {
                            let l = x.0 + b as f64 * width;
                            [(l, f64::from(n)), (l + width, f64::from(n))]
                        })
                        .collect();
                    chart
                        .draw_series(LineSeries::new(steps, SERIES[s].stroke_width(2)))
                        .map_err(|e| e.to_string())?
                        .label(self.series[s].label.clone())
                        .legend(move |(lx, ly)| {
                            PathElement::new([(lx, ly), (lx + 18, ly)], SERIES[s].stroke_width(3))
                        });
                }
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperLeft)
                    .background_style(WHITE.mix(0.6))
                    .border_style(BLACK)
                    .label_font(("sans-serif", 13))
                    .draw()
                    .map_err(|e| e.to_string())?;
            }
            root.present().map_err(|e| e.to_string())
        };
        draw().map_err(|e| err(path, e))
    }

    fn markdown(&self, truth_file: &Path, noise: NoiseOption) -> String {
        let n = self.truth.len();
        let mut md = format!(
            "# Report: {}\n\n{} images; flux in units of 1e5; CRB = mean Cramér–Rao bound at the true values \
             ({} noise).\n\n",
            truth_file.display(),
            n,
            noise.name()
        );
        for s in self.series {
            md.push_str(&format!(
                "## {} (`{}`)\n\n| parameter | mean truth | bias | std | RMSE | CRB | RMSE / CRB |\n|---|---|---|---|---|---|---|\n",
                s.label,
                s.file.display()
            ));
            for (j, name) in PARAM_NAMES.iter().enumerate() {
                let u = unit(j);
                let diff: Vec<f64> = (0..n)
                    .map(|i| (s.estimates[i][j] - self.truth[i][j]) / u)
                    .collect();
                let st = summarize(&diff);
                let crb = self.crb.iter().map(|c| c[j]).sum::<f64>() / n as f64 / u;
                let mean = self.truth.iter().map(|t| t[j]).sum::<f64>() / n as f64 / u;
                md.push_str(&format!(
                    "| {name} | {mean:.4} | {:.4} | {:.4} | {:.4} | {crb:.4} | {:.2} |\n",
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
}
