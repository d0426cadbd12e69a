//! PNG figures (plotters, bitmap backend): the search's parallel coordinates and the report's panels.
//!
//! The font is compiled in (DejaVu Sans, assets/), so figures look the same on a machine without any
//! system fonts.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::search::TrialRecord;
use crate::CliError;

const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

pub fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is a known-good file compiled in; a failure would show as missing text, not a crash.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

fn plot_error(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::internal(format!("cannot draw {}: {e}", path.display()))
}

/// Viridis, by linear interpolation between ten of its colours.
pub fn viridis(t: f64) -> RGBColor {
    const V: [(u8, u8, u8); 10] = [
        (68, 1, 84),
        (72, 40, 120),
        (62, 74, 137),
        (49, 104, 142),
        (38, 130, 142),
        (31, 158, 137),
        (53, 183, 121),
        (110, 206, 88),
        (181, 222, 43),
        (253, 231, 37),
    ];
    let x = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    } * 9.0;
    let i = (x.floor() as usize).min(8);
    let f = x - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + f * (f64::from(b) - f64::from(a))).round() as u8;
    RGBColor(
        mix(V[i].0, V[i + 1].0),
        mix(V[i].1, V[i + 1].1),
        mix(V[i].2, V[i + 1].2),
    )
}

/// Distinct colours for side-by-side series (network, fit, two-stage, ...).
pub const SERIES: [RGBColor; 5] = [
    RGBColor(31, 95, 191),
    RGBColor(217, 72, 15),
    RGBColor(47, 158, 68),
    RGBColor(134, 46, 156),
    RGBColor(120, 120, 120),
];

/// A range covering `values` with 5% room on each side (and a little width when they are all equal).
pub fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        0.05 * (hi - lo)
    } else {
        0.05 * lo.abs().max(1e-3)
    };
    (lo - pad, hi + pad)
}

/// A vertical colour bar for `range` in `area`, labelled `label`.
pub fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    range: (f64, f64),
    label: &str,
) -> Result<(), String> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(40)
        .margin_bottom(50)
        .margin_right(8)
        .y_label_area_size(0)
        .right_y_label_area_size(52)
        .build_cartesian_2d(0.0..1.0, range.0..range.1)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .disable_y_mesh()
        .disable_x_axis()
        .y_desc(label)
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()
        .map_err(|e| e.to_string())?;
    let steps = 100;
    let h = (range.1 - range.0) / steps as f64;
    chart
        .draw_series((0..steps).map(|i| {
            let y = range.0 + i as f64 * h;
            Rectangle::new(
                [(0.0, y), (1.0, y + h)],
                viridis(i as f64 / (steps - 1) as f64).filled(),
            )
        }))
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Each trial's final record as one line across the knobs, its size and its validation loss, coloured by
/// the loss (dark = best, drawn on top).
pub fn parallel_coordinates(records: &[TrialRecord], path: &Path) -> Result<(), CliError> {
    fonts();
    // The last (most trained) record of every trial.
    let mut last: Vec<&TrialRecord> = Vec::new();
    for r in records {
        match last.iter_mut().find(|l| l.trial == r.trial) {
            Some(l) if r.rung_samples >= l.rung_samples => *l = r,
            Some(_) => {}
            None => last.push(r),
        }
    }
    let keys: std::collections::BTreeSet<&String> = last
        .iter()
        .flat_map(|r| r.choices.keys())
        .filter(|k| *k != "lr")
        .collect();
    let families: Vec<&str> = {
        let mut f: Vec<&str> = last.iter().map(|r| r.family.as_str()).collect();
        f.sort();
        f.dedup();
        f
    };
    // Axes: family, every knob, learning rate, log10 parameters, samples, validation loss. Values → [0, 1] per axis.
    let mut axes: Vec<(String, Vec<Option<f64>>, Vec<String>)> = Vec::new();
    let family_axis: Vec<Option<f64>> = last
        .iter()
        .map(|r| {
            families
                .iter()
                .position(|f| *f == r.family)
                .map(|i| i as f64)
        })
        .collect();
    axes.push((
        "family".into(),
        family_axis,
        families.iter().map(|s| s.to_string()).collect(),
    ));
    for k in &keys {
        let raw: Vec<Option<&serde_json::Value>> = last.iter().map(|r| r.choices.get(*k)).collect();
        let numeric = raw.iter().flatten().all(|v| v.is_number());
        if numeric {
            axes.push((
                k.to_string(),
                raw.iter().map(|v| v.and_then(|v| v.as_f64())).collect(),
                vec![],
            ));
        } else {
            let mut cats: Vec<String> = raw.iter().flatten().map(|v| v.to_string()).collect();
            cats.sort();
            cats.dedup();
            let vals = raw
                .iter()
                .map(|v| {
                    v.and_then(|v| {
                        let text = v.to_string();
                        cats.iter().position(|c| *c == text)
                    })
                    .map(|i| i as f64)
                })
                .collect();
            axes.push((k.to_string(), vals, cats));
        }
    }
    axes.push((
        "log10 lr".into(),
        last.iter().map(|r| Some(r.lr.log10())).collect(),
        vec![],
    ));
    axes.push((
        "log10 params".into(),
        last.iter()
            .map(|r| Some((r.parameters.max(1) as f64).log10()))
            .collect(),
        vec![],
    ));
    axes.push((
        "samples".into(),
        last.iter().map(|r| Some(r.samples_seen as f64)).collect(),
        vec![],
    ));
    // The loss spans decades between a short rung and a trained trial: shown (and coloured) in log10.
    let log_loss = |r: &TrialRecord| r.val_loss.max(1e-12).log10();
    axes.push((
        "log10 val loss".into(),
        last.iter().map(|r| Some(log_loss(r))).collect(),
        vec![],
    ));
    let loss_range = padded_range(last.iter().map(|r| log_loss(r)));
    let width = (170 * axes.len() as u32).max(900) + 110;
    let root = BitMapBackend::new(path, (width, 560)).into_drawing_area();
    let draw = || -> Result<(), String> {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (main, bar) = root.split_horizontally(width - 110);
        let n_axes = axes.len();
        let mut chart = ChartBuilder::on(&main)
            .caption(
                format!("{} trials: knobs and validation loss", last.len()),
                ("sans-serif", 20),
            )
            .margin(20)
            .margin_bottom(60)
            .build_cartesian_2d(-0.3..(n_axes as f64 - 0.7), -0.08..1.08)
            .map_err(|e| e.to_string())?;
        let scaled: Vec<Vec<Option<f64>>> = axes
            .iter()
            .map(|(_, vals, cats)| {
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
        let mut order: Vec<usize> = (0..last.len()).collect();
        order.sort_by(|&a, &b| last[b].val_loss.total_cmp(&last[a].val_loss));
        for i in order {
            let colour =
                viridis((log_loss(last[i]) - loss_range.0) / (loss_range.1 - loss_range.0));
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
        for (a, (name, vals, cats)) in axes.iter().enumerate() {
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
        colour_bar(&bar, (loss_range.0, loss_range.1), "log10 validation loss")?;
        root.present().map_err(|e| e.to_string())
    };
    draw().map_err(|e| plot_error(path, e))
}
