//! The report's figures: estimate vs truth, residual vs SNR with the bound, error histograms.

use std::path::Path;

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::style::{colour_bar, fonts, padded_range, plot_error, viridis, SERIES};
use crate::error::EvalError;
use crate::report::{Report, Series};
use crate::summary::SEED_UNITS;

/// The figures' units and axis names, flux in 1e5 as in the seed's tables.
const UNITS: [&str; 5] = ["flux (1e5 counts)", "Sérsic n", "hlr (arcsec)", "g1", "g2"];

/// A report and what its figures share.
struct Figures<'a> {
    series: &'a [Series],
    truth: &'a [[f64; 5]],
    snr: &'a [f64],
    /// The SNR axis (and colour bar) range, computed once: every point's colour needs it.
    snr_range: (f64, f64),
    crb: &'a [[f64; 5]],
}

fn err(path: &Path, e: impl std::fmt::Display) -> EvalError {
    plot_error(path, e)
}

impl Report {
    /// Draws the report's three figures into `folder`: `pred_vs_true.png`, `residual_vs_snr.png`,
    /// `error_hist.png`.
    pub fn draw(&self, folder: &Path) -> Result<(), EvalError> {
        fonts();
        let figures = Figures {
            series: &self.series,
            truth: &self.truth,
            snr: &self.snr,
            snr_range: padded_range(self.snr.iter().copied()),
            crb: &self.crb,
        };
        figures.pred_vs_true(&folder.join("pred_vs_true.png"))?;
        figures.residual_vs_snr(&folder.join("residual_vs_snr.png"))?;
        figures.error_hist(&folder.join("error_hist.png"))
    }
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
    fn pred_vs_true(&self, path: &Path) -> Result<(), EvalError> {
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
                    let u = SEED_UNITS[j];
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
    fn residual_vs_snr(&self, path: &Path) -> Result<(), EvalError> {
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
                let u = SEED_UNITS[j];
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
    fn error_hist(&self, path: &Path) -> Result<(), EvalError> {
        let (w, h) = (3 * PANEL.0, 2 * PANEL.1 + 50);
        let root = BitMapBackend::new(path, (w, h)).into_drawing_area();
        let draw = || -> Result<(), String> {
            root.fill(&WHITE).map_err(|e| e.to_string())?;
            let root = root
                .titled("distribution of estimate − truth", ("sans-serif", 22))
                .map_err(|e| e.to_string())?;
            let panels = root.split_evenly((2, 3));
            for j in 0..5 {
                let u = SEED_UNITS[j];
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
}
