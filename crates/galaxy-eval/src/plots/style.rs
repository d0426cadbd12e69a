//! The figures' look: the compiled-in font, viridis, the series' colours, padded ranges, a colour bar.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::EvalError;

const FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Registers the compiled-in font as "sans-serif" (once).
pub fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is a known-good file compiled in; a failure would show as missing text, not a crash.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// A drawing error naming the figure's file.
pub(crate) fn plot_error(path: &Path, e: impl std::fmt::Display) -> EvalError {
    EvalError::Plot {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
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
pub(crate) fn colour_bar<DB: DrawingBackend>(
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
