//! The catalogue a run writes: one row per stamp, as CSV or a FITS binary table, and GALFIT-style image
//! blocks (data, model, residual) per galaxy.
//!
//! Columns: `id`; `x`, `y` (FITS pixel coordinates of the input, 1-based); `flux` (image units, the
//! untruncated total), `sersic_index`, `half_light_radius_arcsec` (or `half_light_radius_pixels` when the
//! pixel scale is unknown), `g1`, `g2`, `sky` (image units per pixel; 0 unless fitted); each of those with
//! its 1-sigma error (`<name>_err`, from the Fisher matrix at the estimate); `ellipticity` (1 − b/a) and
//! `position_angle` (degrees counter-clockwise from +y, Imfit's and GALFIT's convention) derived from the
//! shear; then the flags: `chi_square`, `dof`, `reduced_chi_square`, `iterations`, `converged`,
//! `n_at_bound`, `hlr_at_bound`, `masked_fraction`, `non_finite`, `stamp_width`, `stamp_height` and
//! `status` (`ok`, `not converged: …` or `failed: …`). A failed fit keeps its row with NaN estimates.

use std::path::Path;

use galaxy_data::ShardStamp;

use galaxy_fits::{ColumnData, ImageExtension, Key, Table};

use crate::cutouts::Window;
use crate::error::MeasureError;
use crate::survey::{Measurement, ModelMeasurement, Survey};
use ndarray::Array2;

/// The values of one output column.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// Real numbers (NaN when absent).
    Real(Vec<f64>),
    /// Counts.
    Int(Vec<i64>),
    /// Yes/no flags (CSV: true/false; FITS: 1/0).
    Flag(Vec<bool>),
    /// Text.
    Text(Vec<String>),
}

/// One output column: its name, its unit (empty when none) and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Name, as the header writes it.
    pub name: String,
    /// Unit, for the FITS table's TUNIT key.
    pub unit: String,
    /// The values, one per galaxy.
    pub values: Values,
}

/// The catalogue of `measurements`, columns as the module's documentation lists them. `pixel_scale`
/// (arcsec per pixel) decides the size's unit.
pub fn catalog_columns(measurements: &[Measurement], pixel_scale: Option<f64>) -> Vec<Column> {
    let fits: Vec<Option<&mle_fit::ImageFitResult>> =
        measurements.iter().map(|m| m.fit.as_ref().ok()).collect();
    let (size_name, size_unit) = match pixel_scale {
        Some(_) => ("half_light_radius_arcsec", "arcsec"),
        None => ("half_light_radius_pixels", "pixel"),
    };
    let real =
        |name: &str, unit: &str, f: &dyn Fn(&Measurement, &mle_fit::ImageFitResult) -> f64| {
            Column {
                name: name.to_string(),
                unit: unit.to_string(),
                values: Values::Real(
                    measurements
                        .iter()
                        .zip(&fits)
                        .map(|(m, fit)| fit.map_or(f64::NAN, |fit| f(m, fit)))
                        .collect(),
                ),
            }
        };
    let sky = |v: &[f64]| v.get(7).copied();
    let mut columns = vec![Column {
        name: "id".into(),
        unit: String::new(),
        values: Values::Text(measurements.iter().map(|m| m.window.id.clone()).collect()),
    }];
    columns.push(real("x", "pixel", &|m, f| {
        m.window.position([f.params[5], f.params[6]])[0]
    }));
    columns.push(real("y", "pixel", &|m, f| {
        m.window.position([f.params[5], f.params[6]])[1]
    }));
    columns.push(real("flux", "image units", &|_, f| f.params[0]));
    columns.push(real("sersic_index", "", &|_, f| f.params[1]));
    columns.push(real(size_name, size_unit, &|_, f| f.params[2]));
    columns.push(real("g1", "", &|_, f| f.params[3]));
    columns.push(real("g2", "", &|_, f| f.params[4]));
    columns.push(real("sky", "image units / pixel", &|_, f| {
        sky(&f.params).unwrap_or(0.0)
    }));
    columns.push(real("x_err", "pixel", &|_, f| f.errors[5]));
    columns.push(real("y_err", "pixel", &|_, f| f.errors[6]));
    columns.push(real("flux_err", "image units", &|_, f| f.errors[0]));
    columns.push(real("sersic_index_err", "", &|_, f| f.errors[1]));
    columns.push(real(&format!("{size_name}_err"), size_unit, &|_, f| {
        f.errors[2]
    }));
    columns.push(real("g1_err", "", &|_, f| f.errors[3]));
    columns.push(real("g2_err", "", &|_, f| f.errors[4]));
    columns.push(real("sky_err", "image units / pixel", &|_, f| {
        sky(&f.errors).unwrap_or(f64::NAN)
    }));
    columns.push(real("ellipticity", "", &|_, f| {
        let g = f.params[3].hypot(f.params[4]);
        2.0 * g / (1.0 + g)
    }));
    columns.push(real("position_angle", "deg", &|_, f| {
        position_angle(f.params[3], f.params[4])
    }));
    columns.push(real("chi_square", "", &|_, f| f.chi_square));
    let int = |name: &str, f: &dyn Fn(&Measurement) -> i64| Column {
        name: name.into(),
        unit: String::new(),
        values: Values::Int(measurements.iter().map(f).collect()),
    };
    let flag = |name: &str, f: &dyn Fn(&mle_fit::ImageFitResult) -> bool| Column {
        name: name.into(),
        unit: String::new(),
        values: Values::Flag(fits.iter().map(|fit| fit.is_some_and(f)).collect()),
    };
    columns.push(int("dof", &|m| m.fit.as_ref().map_or(0, |f| f.dof as i64)));
    columns.push(real("reduced_chi_square", "", &|_, f| {
        f.reduced_chi_square()
    }));
    columns.push(int("iterations", &|m| {
        m.fit.as_ref().map_or(0, |f| f.iterations as i64)
    }));
    columns.push(flag("converged", &|f| f.converged));
    columns.push(flag("n_at_bound", &|f| f.n_at_bound));
    columns.push(flag("hlr_at_bound", &|f| f.hlr_at_bound));
    columns.extend(stamp_columns(
        measurements
            .iter()
            .map(|m| (m.masked_fraction, m.non_finite, &m.window)),
    ));
    columns.push(Column {
        name: "status".into(),
        unit: String::new(),
        values: Values::Text(measurements.iter().map(status).collect()),
    });
    columns
}

/// The columns that describe each stamp rather than its fit: `masked_fraction`, `non_finite`,
/// `stamp_width`, `stamp_height`, from (masked fraction, non-finite pixels, window) per row.
pub(crate) fn stamp_columns<'w>(
    stamps: impl Iterator<Item = (f64, usize, &'w Window)>,
) -> [Column; 4] {
    let (mut masked, mut non_finite, mut width, mut height) = (vec![], vec![], vec![], vec![]);
    for (fraction, bad, window) in stamps {
        masked.push(fraction);
        non_finite.push(bad as i64);
        width.push(window.shape.1 as i64);
        height.push(window.shape.0 as i64);
    }
    let column = |name: &str, values| Column {
        name: name.into(),
        unit: String::new(),
        values,
    };
    [
        column("masked_fraction", Values::Real(masked)),
        column("non_finite", Values::Int(non_finite)),
        column("stamp_width", Values::Int(width)),
        column("stamp_height", Values::Int(height)),
    ]
}

/// Position angle in degrees in [0, 180), counter-clockwise from +y (the major axis of a shear g is at
/// atan2(g2, g1)/2 from +x).
pub fn position_angle(g1: f64, g2: f64) -> f64 {
    (0.5 * g2.atan2(g1).to_degrees() + 90.0).rem_euclid(180.0)
}

fn status(m: &Measurement) -> String {
    match &m.fit {
        Ok(f) if f.converged => "ok".into(),
        Ok(f) => f.message.clone(),
        Err(e) => format!("failed: {e}"),
    }
}

fn cell(values: &Values, row: usize) -> String {
    match values {
        Values::Real(v) => format!("{:.9e}", v[row]),
        Values::Int(v) => v[row].to_string(),
        Values::Flag(v) => v[row].to_string(),
        Values::Text(v) => v[row].clone(),
    }
}

/// Writes `columns` to `path` as CSV with a header row. The file appears complete or not at all.
pub fn write_csv(path: &Path, columns: &[Column]) -> Result<(), MeasureError> {
    write_csv_stamped(path, columns, None)
}

/// [`write_csv`] for a shard's part: its stamp is the first line (`# galaxy-shard …`), which
/// `galaxy merge` checks and drops.
pub fn write_csv_stamped(
    path: &Path,
    columns: &[Column],
    stamp: Option<&ShardStamp>,
) -> Result<(), MeasureError> {
    let rows = columns.first().map_or(0, |c| values_len(&c.values));
    write_atomically(path, |file| {
        let mut file = std::io::BufWriter::new(file);
        if let Some(stamp) = stamp {
            stamp.write_csv_line(&mut file)?;
        }
        let mut w = csv::Writer::from_writer(file);
        w.write_record(columns.iter().map(|c| c.name.as_str()))?;
        for row in 0..rows {
            w.write_record(columns.iter().map(|c| cell(&c.values, row)))?;
        }
        w.flush()?;
        Ok(())
    })
}

/// Writes `columns` to `path` as a FITS binary table (extension `CATALOG`, units in TUNITn), with `keys`
/// in its header. The file appears complete or not at all.
pub fn write_fits_table(path: &Path, columns: &[Column], keys: &[Key]) -> Result<(), MeasureError> {
    let table = Table {
        columns: columns
            .iter()
            .map(|c| {
                let data = match &c.values {
                    Values::Real(v) => ColumnData::Real(v.clone()),
                    Values::Int(v) => ColumnData::Int(v.clone()),
                    Values::Flag(v) => ColumnData::Int(v.iter().map(|&b| i64::from(b)).collect()),
                    Values::Text(v) => ColumnData::Text(v.clone()),
                };
                (c.name.clone(), data)
            })
            .collect(),
    };
    let mut all: Vec<Key> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.unit.is_empty())
        .map(|(i, c)| Key::text(&format!("TUNIT{}", i + 1), &c.unit, "unit"))
        .collect();
    all.extend_from_slice(keys);
    Ok(galaxy_fits::write_table(path, "CATALOG", &table, &all)?)
}

/// Writes, for each fitted galaxy, `dir/<id>.fits` holding GALFIT's image block: an empty primary HDU and
/// the extensions DATA, MODEL (galaxy + sky at the estimate) and RESIDUAL (data − model). Returns how many
/// files were written (failed fits get none).
pub fn save_models(
    dir: &Path,
    survey: &Survey,
    measurements: &[Measurement],
) -> Result<usize, MeasureError> {
    create_dir(dir)?;
    let mut written = 0;
    for (cutout, m) in survey.cutouts.iter().zip(measurements) {
        let Ok(fit) = &m.fit else { continue };
        let model = survey
            .model(cutout, fit)
            .map_err(|e| MeasureError::Write(format!("model of {}: {e}", m.window.id)))?;
        write_block(dir, &m.window, &cutout.data, &model, &[])?;
        written += 1;
    }
    Ok(written)
}

/// [`save_models`] for model fits: DATA, MODEL and RESIDUAL, then one extension per component named
/// after it (upper case), each drawn alone.
pub fn save_model_blocks(
    dir: &Path,
    survey: &Survey,
    measurements: &[ModelMeasurement],
) -> Result<usize, MeasureError> {
    create_dir(dir)?;
    let mut written = 0;
    for (cutout, m) in survey.cutouts.iter().zip(measurements) {
        let Ok(fit) = &m.fit else { continue };
        let (model, components) = survey
            .model_components(cutout, fit)
            .map_err(|e| MeasureError::Write(format!("model of {}: {e}", m.window.id)))?;
        let names = fit
            .layout
            .component_names()
            .into_iter()
            .map(|n| n.to_uppercase());
        let extra: Vec<(String, Array2<f64>)> = names.zip(components).collect();
        write_block(dir, &m.window, &cutout.data, &model, &extra)?;
        written += 1;
    }
    Ok(written)
}

fn create_dir(dir: &Path) -> Result<(), MeasureError> {
    if !dir.is_dir() {
        std::fs::create_dir_all(dir).map_err(|e| {
            MeasureError::input(format!(
                "--save-models {}: cannot create it: {e}",
                dir.display()
            ))
        })?;
    }
    Ok(())
}

/// Writes `dir/<id>.fits`: DATA, MODEL, RESIDUAL and the `extra` extensions.
fn write_block(
    dir: &Path,
    window: &Window,
    data: &Array2<f64>,
    model: &Array2<f64>,
    extra: &[(String, Array2<f64>)],
) -> Result<(), MeasureError> {
    let residual = data - model;
    let keys = [
        Key::text("OBJECT", &window.id, "source id"),
        Key::int(
            "CUTX0",
            window.origin[1] as i64 + 1,
            "input column of pixel (1, 1)",
        ),
        Key::int(
            "CUTY0",
            window.origin[0] as i64 + 1,
            "input row of pixel (1, 1)",
        ),
    ];
    let name: String = window
        .id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut extensions = vec![
        ImageExtension {
            name: "DATA",
            data: data.view().into_dyn(),
            keys: &keys,
        },
        ImageExtension {
            name: "MODEL",
            data: model.view().into_dyn(),
            keys: &keys,
        },
        ImageExtension {
            name: "RESIDUAL",
            data: residual.view().into_dyn(),
            keys: &keys,
        },
    ];
    for (ext, image) in extra {
        extensions.push(ImageExtension {
            name: ext,
            data: image.view().into_dyn(),
            keys: &keys,
        });
    }
    galaxy_fits::write_image_extensions(&dir.join(format!("{name}.fits")), &extensions)?;
    Ok(())
}

fn values_len(values: &Values) -> usize {
    match values {
        Values::Real(v) => v.len(),
        Values::Int(v) => v.len(),
        Values::Flag(v) => v.len(),
        Values::Text(v) => v.len(),
    }
}

/// Writes through a hidden temporary file beside `path`, renamed onto it once complete
/// (`galaxy_data::atomic`, which writes straight into a device such as `/dev/null`).
fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> Result<(), Box<dyn std::error::Error>>,
) -> Result<(), MeasureError> {
    galaxy_data::atomic::write_with(path, |file| {
        write(file).and_then(|()| std::io::Write::flush(file).map_err(Into::into))
    })
    .map_err(|e| MeasureError::Write(e.to_string()))
}
