//! Tables of galaxies to draw: one row per galaxy, the columns `flux, sersic_index, half_light_radius,
//! g1, g2, psf_fwhm` (any order, others ignored), as `galaxy render --params` reads them.

use std::path::Path;

use sersic_render::{GalaxyParams, Psf, PsfError};

use crate::error::EvalError;

/// The columns a table must have.
pub const COLUMNS: [&str; 6] = [
    "flux",
    "sersic_index",
    "half_light_radius",
    "g1",
    "g2",
    "psf_fwhm",
];

/// Reads and validates every row: the galaxy's parameters and its PSF (`make_psf` of the row's FWHM).
/// A missing column, a field that is not a number, a galaxy or PSF out of range (row named) or an empty
/// table is an error; nothing is returned unless every row is good.
/// Reads and validates every row of a parameter table.
pub fn read(
    path: &Path,
    make_psf: impl Fn(f64) -> Result<Psf, PsfError>,
) -> Result<Vec<(GalaxyParams, Psf)>, EvalError> {
    let file = std::fs::File::open(path)
        .map_err(|e| EvalError::BadInput(format!("cannot open {}: {e}", path.display())))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(file);
    let header = reader
        .headers()
        .map_err(|e| EvalError::file(path, format!("cannot read the header: {e}")))?
        .clone();
    let mut columns = [0usize; 6];
    for (slot, name) in columns.iter_mut().zip(COLUMNS) {
        *slot = header.iter().position(|h| h == name).ok_or_else(|| {
            EvalError::file(
                path,
                format!(
                    "the header lacks column {name} (need {})",
                    COLUMNS.join(",")
                ),
            )
        })?;
    }
    let mut jobs = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let row = index + 1;
        let record = record.map_err(|e| EvalError::file(path, format!("row {row}: {e}")))?;
        let mut values = [0.0; 6];
        for ((value, &col), name) in values.iter_mut().zip(&columns).zip(COLUMNS) {
            let text = record
                .get(col)
                .ok_or_else(|| EvalError::file(path, format!("row {row}: missing field {name}")))?;
            *value = text.parse().map_err(|_| {
                EvalError::file(
                    path,
                    format!("row {row}: field {name}: '{text}' is not a number"),
                )
            })?;
        }
        let galaxy = GalaxyParams::new(values[0], values[1], values[2], values[3], values[4]);
        galaxy
            .validate()
            .map_err(|e| EvalError::file(path, format!("row {row}: {e}")))?;
        let psf =
            make_psf(values[5]).map_err(|e| EvalError::file(path, format!("row {row}: {e}")))?;
        jobs.push((galaxy, psf));
    }
    if jobs.is_empty() {
        return Err(EvalError::file(path, "the table has no rows"));
    }
    Ok(jobs)
}
