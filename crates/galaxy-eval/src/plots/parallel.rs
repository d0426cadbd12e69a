//! Parallel coordinates: one line per item across its axes, coloured by its score.

use std::path::Path;

use plotters::prelude::*;

use super::style::{colour_bar, fonts, padded_range, plot_error, viridis};
use crate::error::EvalError;
use crate::parallel::ParallelPlot;

/// Draws `plot` to the PNG `path`: every axis scaled to its values' padded range (categories spread
/// evenly), lines coloured by score with the best (lowest) drawn on top, a colour bar of the score.
pub fn parallel_coordinates(plot: &ParallelPlot, path: &Path) -> Result<(), EvalError> {
    fonts();
    let axes = &plot.axes;
    let lines = plot.score.len();
    let loss_range = padded_range(plot.score.iter().copied());
    let width = (170 * axes.len() as u32).max(900) + 110;
    let root = BitMapBackend::new(path, (width, 560)).into_drawing_area();
    let draw = || -> Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (main, bar) = root.split_horizontally(width - 110);
        let n_axes = axes.len();
        let mut chart = ChartBuilder::on(&main)
            .caption(plot.title.clone(), ("sans-serif", 20))
            .margin(20)
            .margin_bottom(60)
            .build_cartesian_2d(-0.3..(n_axes as f64 - 0.7), -0.08..1.08)
            .map_err(|e| e.to_string())?;
        let scaled: Vec<Vec<Option<f64>>> = axes
            .iter()
            .map(|axis| {
                let (vals, cats) = (&axis.values, &axis.categories);
                let (lo, hi) = if cats.is_empty() {
                    padded_range(vals.iter().flatten().copied())
                } else {
                    (-0.5, cats.len() as f64 - 0.5)
                };
                vals.iter()
                    .map(|v| v.map(|v| (v - lo) / (hi - lo)))
                    .collect()
            })
            .collect();
        // Worst first, so the best lines are drawn on top.
        let mut order: Vec<usize> = (0..lines).collect();
        order.sort_by(|&a, &b| plot.score[b].total_cmp(&plot.score[a]));
        for i in order {
            let colour = viridis((plot.score[i] - loss_range.0) / (loss_range.1 - loss_range.0));
            // A knob another family does not have is stepped over: the line joins the axes it has.
            let points: Vec<(f64, f64)> = scaled
                .iter()
                .enumerate()
                .filter_map(|(a, axis)| axis[i].map(|y| (a as f64, y)))
                .collect();
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, colour.filled())),
                )
                .map_err(|e| e.to_string())?;
        }
        for (a, axis) in axes.iter().enumerate() {
            let (name, vals, cats) = (&axis.name, &axis.values, &axis.categories);
            let x = a as f64;
            chart
                .draw_series(LineSeries::new([(x, 0.0), (x, 1.0)], BLACK.stroke_width(1)))
                .map_err(|e| e.to_string())?;
            let text =
                |s: String, y: f64| Text::new(s, (x - 0.25, y), ("sans-serif", 14).into_font());
            chart
                .draw_series([text(name.clone(), -0.045)])
                .map_err(|e| e.to_string())?;
            if cats.is_empty() {
                let (lo, hi) = padded_range(vals.iter().flatten().copied());
                let fmt = |v: f64| {
                    if v.abs() >= 1e5 || (v != 0.0 && v.abs() < 1e-2) {
                        format!("{v:.2e}")
                    } else if v.abs() >= 100.0 {
                        format!("{v:.0}")
                    } else {
                        format!("{v:.3}")
                    }
                };
                chart
                    .draw_series([text(fmt(hi), 1.05), text(fmt(lo), 0.03)])
                    .map_err(|e| e.to_string())?;
            } else {
                let n = cats.len() as f64;
                chart
                    .draw_series(cats.iter().enumerate().map(|(k, c)| {
                        Text::new(
                            c.clone(),
                            (x + 0.03, (k as f64 + 0.5) / n),
                            ("sans-serif", 13).into_font(),
                        )
                    }))
                    .map_err(|e| e.to_string())?;
            }
        }
        colour_bar(&bar, (loss_range.0, loss_range.1), &plot.score_label)?;
        root.present().map_err(|e| e.to_string())
    };
    draw().map_err(|e| plot_error(path, e))
}
