//! Catalogues of sources to measure in a field: CSV (a header row) or a FITS binary table, with columns
//! `id`, `x`, `y` and optionally `size`. Positions are FITS pixel coordinates: the first pixel's centre is
//! (1, 1), x along a row (NAXIS1), y across rows.
//!
//! Column names are matched without regard to case, and SExtractor's names are understood too: `NUMBER`
//! for the id, `X_IMAGE` / `Y_IMAGE` for the position. Without an id column the sources are numbered 1, 2,
//! … in the catalogue's order.

use std::path::Path;

use galaxy_fits::ColumnData;

use crate::error::MeasureError;
use crate::planes::{extension, is_fits_path};

/// One source to measure.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// Its identifier, as the catalogue writes it.
    pub id: String,
    /// Position, FITS pixel coordinates (1-based).
    pub x: f64,
    /// Position, FITS pixel coordinates (1-based).
    pub y: f64,
    /// The side of its stamp in pixels, when the catalogue gives one.
    pub size: Option<usize>,
}

const ID: [&str; 2] = ["id", "number"];
const X: [&str; 2] = ["x", "x_image"];
const Y: [&str; 2] = ["y", "y_image"];
const SIZE: [&str; 1] = ["size"];

/// Reads the sources of `path` (`.csv`, or `.fits`/`.fit`/`.fts` holding a binary table).
pub fn read_catalog(path: &Path) -> Result<Vec<Source>, MeasureError> {
    let columns = match extension(path).as_str() {
        "csv" => read_csv(path)?,
        _ if is_fits_path(path) => read_fits(path)?,
        _ => {
            return Err(MeasureError::input(format!(
                "{}: a catalogue must be a .csv file or a FITS table (.fits, .fit, .fts)",
                path.display()
            )))
        }
    };
    sources(path, columns)
}

/// Column name and its cells as text, in the file's order.
type Columns = Vec<(String, Vec<String>)>;

fn read_csv(path: &Path) -> Result<Columns, MeasureError> {
    let bad = |m: String| MeasureError::input(format!("{}: {m}", path.display()));
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let mut columns: Columns = header.into_iter().map(|h| (h, Vec::new())).collect();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(format!("row {}: {e}", line + 1)))?;
        if record.len() != columns.len() {
            return Err(bad(format!(
                "row {} has {} fields, the header {}",
                line + 1,
                record.len(),
                columns.len()
            )));
        }
        for (column, cell) in columns.iter_mut().zip(record.iter()) {
            column.1.push(cell.trim().to_string());
        }
    }
    Ok(columns)
}

fn read_fits(path: &Path) -> Result<Columns, MeasureError> {
    let (table, _) = galaxy_fits::read_table(path)?;
    Ok(table
        .columns
        .into_iter()
        .map(|(name, data)| {
            let cells = match data {
                ColumnData::Real(v) => v
                    .iter()
                    .map(|x| {
                        if x.fract() == 0.0 && x.abs() < 1e15 {
                            format!("{}", *x as i64)
                        } else {
                            format!("{x}")
                        }
                    })
                    .collect(),
                ColumnData::Int(v) => v.iter().map(i64::to_string).collect(),
                ColumnData::Text(v) => v.into_iter().map(|s| s.trim().to_string()).collect(),
            };
            (name, cells)
        })
        .collect())
}

fn find<'c>(columns: &'c Columns, names: &[&str]) -> Option<&'c [String]> {
    names.iter().find_map(|n| {
        columns
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_slice())
    })
}

fn sources(path: &Path, columns: Columns) -> Result<Vec<Source>, MeasureError> {
    let bad = |m: String| MeasureError::input(format!("{}: {m}", path.display()));
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    let required = |aliases: [&str; 2]| {
        find(&columns, &aliases).ok_or_else(|| {
            bad(format!(
                "no '{}' column (the catalogue has {names:?}; positions need columns x and y, or X_IMAGE and Y_IMAGE)",
                aliases[0]
            ))
        })
    };
    let (x, y) = (required(X)?, required(Y)?);
    let id = find(&columns, &ID);
    let size = find(&columns, &SIZE);
    let number = |column: &str, row: usize, text: &str| -> Result<f64, MeasureError> {
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                bad(format!(
                    "row {}: column {column} is '{text}', not a finite number",
                    row + 1
                ))
            })
    };
    let mut out = Vec::with_capacity(x.len());
    let mut seen = std::collections::HashSet::new();
    for row in 0..x.len() {
        let id = id.map_or_else(|| (row + 1).to_string(), |c| c[row].clone());
        if id.is_empty() || !seen.insert(id.clone()) {
            return Err(bad(format!(
                "row {}: id '{id}' is empty or repeated",
                row + 1
            )));
        }
        let size = match size {
            Some(c) => {
                let s = number("size", row, &c[row])?;
                if s < 3.0 || s.fract() != 0.0 {
                    return Err(bad(format!(
                        "row {}: column size is {s}; a stamp side is a whole number of pixels >= 3",
                        row + 1
                    )));
                }
                Some(s as usize)
            }
            None => None,
        };
        out.push(Source {
            id,
            x: number("x", row, &x[row])?,
            y: number("y", row, &y[row])?,
            size,
        });
    }
    if out.is_empty() {
        return Err(bad("has no rows".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use galaxy_fits::{write_table, Table};

    #[test]
    fn a_sextractor_table_is_read_by_its_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cat.fits");
        let table = Table {
            columns: vec![
                ("NUMBER".into(), ColumnData::Int(vec![7, 9])),
                ("X_IMAGE".into(), ColumnData::Real(vec![10.5, 20.25])),
                ("Y_IMAGE".into(), ColumnData::Real(vec![3.0, 4.0])),
            ],
        };
        write_table(&path, "LDAC_OBJECTS", &table, &[]).unwrap();
        let sources = read_catalog(&path).unwrap();
        assert_eq!(
            sources[1],
            Source {
                id: "9".into(),
                x: 20.25,
                y: 4.0,
                size: None
            }
        );
    }

    #[test]
    fn csv_problems_name_the_row_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            ("x,y\n1,2\n3,4\n", None),
            (
                "id,x,y\na,1,2\na,3,4\n",
                Some("row 2: id 'a' is empty or repeated"),
            ),
            ("id,x,y\n1,1,nan\n", Some("row 1: column y is 'nan'")),
            (
                "id,x,y,size\n1,1,2,7.5\n",
                Some("row 1: column size is 7.5"),
            ),
            ("id,x,y\n1,1\n", Some("row 1")),
            ("id,x,y\n", Some("has no rows")),
        ];
        for (k, (text, error)) in cases.iter().enumerate() {
            let path = dir.path().join(format!("c{k}.csv"));
            std::fs::write(&path, text).unwrap();
            match (read_catalog(&path), error) {
                (Ok(s), None) => assert_eq!((s.len(), s[1].id.as_str()), (2, "2")),
                (Err(e), Some(m)) => {
                    assert!(e.is_bad_input() && e.to_string().contains(m), "{e}")
                }
                (r, _) => panic!("case {k}: {r:?}"),
            }
        }
    }
}
