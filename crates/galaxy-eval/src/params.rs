//! Tables of galaxies to draw: one row per galaxy, the columns `flux, sersic_index, half_light_radius,
//! g1, g2` and, optionally, `psf_fwhm` (required unless the PSF is given otherwise, as an image) and the
//! centre offset `dx, dy` in pixels (0 when absent), in any order, others ignored, as `galaxy render
//! --params` reads them.

use std::path::Path;

use sersic_render::GalaxyParams;

use crate::error::EvalError;

/// The columns a table must have.
pub const COLUMNS: [&str; 5] = ["flux", "sersic_index", "half_light_radius", "g1", "g2"];

/// The optional columns: the PSF's FWHM (arcsec) and the centre offset (pixels).
pub const OPTIONAL_COLUMNS: [&str; 3] = ["psf_fwhm", "dx", "dy"];

/// One row of a parameter table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamRow {
    /// The galaxy (validated).
    pub galaxy: GalaxyParams,
    /// Its PSF's FWHM, arcsec, when the table has the column.
    pub psf_fwhm: Option<f64>,
    /// Its centre offset (dx, dy) in pixels from the stamp's true centre (0 without the columns).
    pub offset: [f64; 2],
}

/// Reads and validates every row. A missing required column (`psf_fwhm` too when `need_psf_fwhm`), a field
/// that is not a number, a galaxy out of range or a non-finite offset (row named), or an empty table is an
/// error; nothing is returned unless every row is good.
pub fn read(path: &Path, need_psf_fwhm: bool) -> Result<Vec<ParamRow>, EvalError> {
    let file = std::fs::File::open(path)
        .map_err(|e| EvalError::BadInput(format!("cannot open {}: {e}", path.display())))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let header = reader
        .headers()
        .map_err(|e| EvalError::file(path, format!("cannot read the header: {e}")))?
        .clone();
    let position = |name: &str| header.iter().position(|h| h == name);
    let mut required: Vec<&str> = COLUMNS.to_vec();
    if need_psf_fwhm {
        required.push("psf_fwhm");
    }
    for name in &required {
        if position(name).is_none() {
            return Err(EvalError::file(
                path,
                format!(
                    "the header lacks column {name} (need {})",
                    required.join(",")
                ),
            ));
        }
    }
    let columns: Vec<(&str, Option<usize>)> = COLUMNS
        .iter()
        .chain(&OPTIONAL_COLUMNS)
        .map(|&name| (name, position(name)))
        .collect();
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let row = index + 1;
        let record = record.map_err(|e| EvalError::file(path, format!("row {row}: {e}")))?;
        let mut values = [None; 8];
        for (value, &(name, col)) in values.iter_mut().zip(&columns) {
            let Some(col) = col else { continue };
            let text = record
                .get(col)
                .ok_or_else(|| EvalError::file(path, format!("row {row}: missing field {name}")))?;
            *value = Some(text.parse::<f64>().map_err(|_| {
                EvalError::file(
                    path,
                    format!("row {row}: field {name}: '{text}' is not a number"),
                )
            })?);
        }
        let v = |i: usize| values[i].unwrap_or(0.0);
        let galaxy = GalaxyParams::new(v(0), v(1), v(2), v(3), v(4));
        galaxy
            .validate()
            .map_err(|e| EvalError::file(path, format!("row {row}: {e}")))?;
        let offset = [v(6), v(7)];
        if !(offset[0].is_finite() && offset[1].is_finite()) {
            return Err(EvalError::file(
                path,
                format!(
                    "row {row}: dx, dy must be finite, got {}, {}",
                    offset[0], offset[1]
                ),
            ));
        }
        rows.push(ParamRow {
            galaxy,
            psf_fwhm: values[5],
            offset,
        });
    }
    if rows.is_empty() {
        return Err(EvalError::file(path, "the table has no rows"));
    }
    Ok(rows)
}
