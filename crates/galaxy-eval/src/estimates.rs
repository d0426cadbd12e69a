//! Estimate tables: the CSVs `galaxy fit`, `predict` and `posterior` write, one row per image.
//!
//! The first five columns are always the parameters by their names ([`PARAM_NAMES`]); their 1-sigma
//! errors follow as `<name>_err` when the estimator gives them, then any columns of its own (the fit's
//! likelihood and convergence, the posterior's effective draws). Values are written with ten
//! significant digits, so a table read back gives the estimates to 1e-9 relative.

use std::path::Path;

use galaxy_data::ShardStamp;
use sersic_render::PARAM_NAMES;

use crate::error::EvalError;

/// One image's estimate and, when the estimator gives them, its 1-sigma errors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// flux, n, hlr, g1, g2.
    pub params: [f64; 5],
    /// Their 1-sigma errors.
    pub errors: Option<[f64; 5]>,
}

/// More columns of a table after the estimates: a name and one cell per row.
pub struct Column {
    /// Header name.
    pub name: String,
    /// One formatted cell per row.
    pub cells: Vec<String>,
}

impl Column {
    /// A column of `values` formatted by `format`.
    pub fn new<T>(
        name: &str,
        values: impl IntoIterator<Item = T>,
        format: impl Fn(T) -> String,
    ) -> Self {
        Column {
            name: name.to_string(),
            cells: values.into_iter().map(format).collect(),
        }
    }
}

/// How every estimate and error is written: ten significant digits.
pub fn format_value(v: f64) -> String {
    format!("{v:.9e}")
}

/// Writes an estimate table atomically (a temporary file beside `path`, then renamed): the parameters,
/// their errors when the first estimate has them, then `extra`.
pub fn write(path: &Path, estimates: &[Estimate], extra: &[Column]) -> Result<(), EvalError> {
    write_stamped(path, estimates, extra, None)
}

/// [`write()`] for a shard's part: the stamp is the first line (`# galaxy-shard …`), which
/// `galaxy merge` checks and drops, and readers of the table skip ([`read`] does).
pub fn write_stamped(
    path: &Path,
    estimates: &[Estimate],
    extra: &[Column],
    stamp: Option<&ShardStamp>,
) -> Result<(), EvalError> {
    let with_errors = estimates.first().is_some_and(|e| e.errors.is_some());
    let mut header: Vec<String> = PARAM_NAMES.iter().map(|s| s.to_string()).collect();
    if with_errors {
        header.extend(PARAM_NAMES.iter().map(|s| format!("{s}_err")));
    }
    header.extend(extra.iter().map(|c| c.name.clone()));
    let rows = estimates.iter().enumerate().map(|(i, e)| {
        let mut row: Vec<String> = e.params.iter().map(|&v| format_value(v)).collect();
        if with_errors {
            let errors = e.errors.unwrap_or([f64::NAN; 5]);
            row.extend(errors.iter().map(|&v| format_value(v)));
        }
        row.extend(extra.iter().map(|c| c.cells[i].clone()));
        row
    });
    write_csv_stamped(path, &header, rows, stamp)
}

/// Writes any CSV atomically: into a temporary file beside `path`, then renamed.
pub fn write_csv(
    path: &Path,
    header: &[String],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<(), EvalError> {
    write_csv_stamped(path, header, rows, None)
}

/// [`write_csv`] with a shard's stamp as its first line, when given.
pub fn write_csv_stamped(
    path: &Path,
    header: &[String],
    rows: impl Iterator<Item = Vec<String>>,
    stamp: Option<&ShardStamp>,
) -> Result<(), EvalError> {
    galaxy_data::atomic::write_with(path, |file| {
        let mut out = std::io::BufWriter::new(file);
        if let Some(stamp) = stamp {
            stamp.write_csv_line(&mut out).map_err(|e| e.to_string())?;
        }
        let mut w = csv::Writer::from_writer(out);
        w.write_record(header).map_err(|e| e.to_string())?;
        for row in rows {
            w.write_record(&row).map_err(|e| e.to_string())?;
        }
        w.flush().map_err(|e| e.to_string())
    })?;
    Ok(())
}

/// Reads the five estimates of every row of a table (any other columns are ignored). A missing
/// column, a cell that is not a finite number (row and column named) or an unreadable file is
/// [`EvalError::BadFile`].
pub fn read(path: &Path) -> Result<Vec<[f64; 5]>, EvalError> {
    let bad = |m: String| EvalError::file(path, m);
    // A shard's part starts with its stamp, a comment line.
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_path(path)
        .map_err(|e| bad(e.to_string()))?;
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
        // Row numbers as a spreadsheet shows them: the header is row 1.
        let line = i + 2;
        let row = row.map_err(|e| bad(format!("row {line}: {e}")))?;
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
                        "row {line}: {} = '{text}' is not a finite number",
                        PARAM_NAMES[j]
                    ))
                })?;
        }
        out.push(v);
    }
    Ok(out)
}

/// [`read`], and an error unless the table has one row per image of a set of `images`.
pub fn read_for(path: &Path, images: usize) -> Result<Vec<[f64; 5]>, EvalError> {
    let rows = read(path)?;
    if rows.len() != images {
        return Err(EvalError::file(
            path,
            format!(
                "{} rows, but the truth file has {images} images",
                rows.len()
            ),
        ));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_round_trips_and_bad_cells_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.csv");
        let est = [
            Estimate {
                params: [1e5, 3.0, 0.3, -0.069, 0.15],
                errors: Some([1e3, 0.5, 0.01, 0.02, 0.02]),
            },
            Estimate {
                params: [2e5, 1.0, 0.5, 0.1, 0.0],
                errors: Some([2e3, 0.1, 0.02, 0.03, 0.03]),
            },
        ];
        let extra = [Column::new("converged", [true, false], |b| b.to_string())];
        write(&path, &est, &extra).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("flux,sersic_index,half_light_radius,g1,g2,flux_err,"),
            "{text}"
        );
        assert!(text.lines().next().unwrap().ends_with(",converged"));
        let back = read_for(&path, 2).unwrap();
        assert_eq!(back[0], est[0].params);
        assert!(read_for(&path, 3)
            .unwrap_err()
            .to_string()
            .contains("2 rows"));
        std::fs::write(&path, text.replacen("2.000000000e5", "NaN", 1)).unwrap();
        let err = read(&path).unwrap_err();
        assert!(
            err.is_bad_input() && err.to_string().contains("row 3: flux"),
            "{err}"
        );
    }
}
