//! The catalogue of model fits: one group of columns per component, named `<component>_<parameter>`.
//!
//! Columns: `id`; `x`, `y` (the shared centre, FITS pixel coordinates of the input, 1-based); per
//! component its parameters (`bulge_flux`, `bulge_sersic_index`, `bulge_half_light_radius_arcsec` or
//! `_pixels`, `bulge_g1`, `bulge_g2`, and `bulge_x`, `bulge_y` for a component with its own centre; a sky's
//! `sky_level`), then `<component>_ellipticity` and `<component>_position_angle` for each profile; `flux`
//! (the total of the components of light) and `bulge_to_total` (the bulge's share: the component the model makes most concentrated, a point source,
//! then the highest n its kind fixes or it starts from);
//! each estimated column's error `<column>_err` (0 for a fixed parameter, inf where the Fisher matrix gives
//! none); then `chi_square`, `dof`, `reduced_chi_square`, `iterations`, `converged`, `degenerate` and
//! `degenerate_parameters` (the parameters of a near-singular direction of the Fisher matrix),
//! `at_bound` (parameters that ended on their box), `masked_fraction`, `non_finite`, `stamp_width`,
//! `stamp_height` and `status`.

use mle_fit::model_fit::{ComponentKind, ModelFitResult};

use crate::output::{position_angle, stamp_columns, Column, Values};
use crate::survey::ModelMeasurement;

/// The catalogue of `measurements` (all fitted with one model), columns as the module lists them.
pub fn model_catalog_columns(
    measurements: &[ModelMeasurement],
    pixel_scale: Option<f64>,
) -> Vec<Column> {
    let fits: Vec<Option<&ModelFitResult>> =
        measurements.iter().map(|m| m.fit.as_ref().ok()).collect();
    let Some(first) = fits.iter().flatten().next() else {
        return failed_only(measurements);
    };
    let slots = &first.layout.slots;
    let size_suffix = if pixel_scale.is_some() {
        "arcsec"
    } else {
        "pixels"
    };
    let size_unit = if pixel_scale.is_some() {
        "arcsec"
    } else {
        "pixel"
    };
    let slot_index = |name: &str| slots.iter().position(|s| s.name == name);
    let real =
        |name: String, unit: &str, f: &dyn Fn(&ModelMeasurement, &ModelFitResult) -> f64| Column {
            name,
            unit: unit.to_string(),
            values: Values::Real(
                measurements
                    .iter()
                    .zip(&fits)
                    .map(|(m, fit)| fit.map_or(f64::NAN, |fit| f(m, fit)))
                    .collect(),
            ),
        };
    let mut columns = vec![Column {
        name: "id".into(),
        unit: String::new(),
        values: Values::Text(measurements.iter().map(|m| m.window.id.clone()).collect()),
    }];
    // The centre: the shared one, else the first component's own.
    let centre = match (slot_index("dx"), slot_index("dy")) {
        (Some(x), Some(y)) => Some((x, y)),
        _ => slots
            .iter()
            .position(|s| s.name.ends_with("_dx"))
            .map(|x| (x, x + 1)),
    };
    let mut estimated: Vec<(String, String, usize)> = Vec::new();
    if let Some((x, y)) = centre {
        columns.push(real("x".into(), "pixel", &|m, f| {
            m.window.position([f.values[x], f.values[y]])[0]
        }));
        columns.push(real("y".into(), "pixel", &|m, f| {
            m.window.position([f.values[x], f.values[y]])[1]
        }));
        estimated.push(("x".into(), "pixel".into(), x));
        estimated.push(("y".into(), "pixel".into(), y));
    }
    for (i, slot) in slots.iter().enumerate() {
        if slot.name == "dx" || slot.name == "dy" {
            continue;
        }
        let (name, unit) = if let Some(c) = slot.name.strip_suffix("_half_light_radius") {
            (
                format!("{c}_half_light_radius_{size_suffix}"),
                size_unit.to_string(),
            )
        } else if let Some(c) = slot.name.strip_suffix("_dx") {
            let x = i;
            columns.push(real(format!("{c}_x"), "pixel", &|m, f| {
                m.window.position([f.values[x], f.values[x + 1]])[0]
            }));
            estimated.push((format!("{c}_x"), "pixel".into(), i));
            continue;
        } else if let Some(c) = slot.name.strip_suffix("_dy") {
            let y = i;
            columns.push(real(format!("{c}_y"), "pixel", &|m, f| {
                m.window.position([f.values[y - 1], f.values[y]])[1]
            }));
            estimated.push((format!("{c}_y"), "pixel".into(), i));
            continue;
        } else if slot.name.ends_with("_flux") || slot.name.ends_with("_level") {
            let unit = if slot.name.ends_with("_level") {
                "image units / pixel"
            } else {
                "image units"
            };
            (slot.name.clone(), unit.to_string())
        } else {
            (slot.name.clone(), String::new())
        };
        columns.push(real(name.clone(), &unit, &|_, f| f.values[i]));
        estimated.push((name, unit, i));
    }
    for (component, (kind, planes)) in first
        .layout
        .component_names()
        .iter()
        .zip(&first.layout.components)
    {
        if matches!(kind, ComponentKind::Point | ComponentKind::Sky) {
            continue;
        }
        // A profile's planes: flux, n, hlr, g1, g2, dx, dy.
        let (Some(g1), Some(g2)) = (planes[3], planes[4]) else {
            continue;
        };
        columns.push(real(format!("{component}_ellipticity"), "", &|_, f| {
            let g = f.values[g1].hypot(f.values[g2]);
            2.0 * g / (1.0 + g)
        }));
        columns.push(real(
            format!("{component}_position_angle"),
            "deg",
            &|_, f| position_angle(f.values[g1], f.values[g2]),
        ));
    }
    let fluxes: Vec<usize> = slots
        .iter()
        .enumerate()
        .filter(|(_, s)| s.name.ends_with("_flux"))
        .map(|(i, _)| i)
        .collect();
    columns.push(real("flux".into(), "image units", &|_, f| {
        fluxes.iter().map(|&i| f.values[i]).sum()
    }));
    columns.push(real("bulge_to_total".into(), "", &|_, f| f.bulge_to_total));
    for (name, unit, i) in &estimated {
        let i = *i;
        columns.push(real(format!("{name}_err"), unit, &|_, f| f.errors[i]));
    }
    columns.push(real("chi_square".into(), "", &|_, f| f.chi_square));
    let int = |name: &str, f: &dyn Fn(&ModelMeasurement) -> i64| Column {
        name: name.into(),
        unit: String::new(),
        values: Values::Int(measurements.iter().map(f).collect()),
    };
    let flag = |name: &str, f: &dyn Fn(&ModelFitResult) -> bool| Column {
        name: name.into(),
        unit: String::new(),
        values: Values::Flag(fits.iter().map(|fit| fit.is_some_and(f)).collect()),
    };
    let text = |name: &str, f: &dyn Fn(&ModelFitResult) -> String| Column {
        name: name.into(),
        unit: String::new(),
        values: Values::Text(
            fits.iter()
                .map(|fit| fit.map_or(String::new(), f))
                .collect(),
        ),
    };
    columns.push(int("dof", &|m| m.fit.as_ref().map_or(0, |f| f.dof as i64)));
    columns.push(real("reduced_chi_square".into(), "", &|_, f| {
        f.chi_square / f.dof.max(1) as f64
    }));
    columns.push(int("iterations", &|m| {
        m.fit.as_ref().map_or(0, |f| f.iterations as i64)
    }));
    columns.push(flag("converged", &|f| f.converged));
    columns.push(flag("degenerate", &|f| f.degenerate.is_some()));
    columns.push(text("degenerate_parameters", &|f| {
        f.degenerate.as_ref().map_or(String::new(), |d| d.join(";"))
    }));
    columns.push(text("at_bound", &|f| {
        f.layout
            .slots
            .iter()
            .zip(&f.at_bound)
            .filter(|(_, b)| **b)
            .map(|(s, _)| s.name.as_str())
            .collect::<Vec<_>>()
            .join(";")
    }));
    columns.extend(stamp_columns(
        measurements
            .iter()
            .map(|m| (m.masked_fraction, m.non_finite, &m.window)),
    ));
    columns.push(Column {
        name: "status".into(),
        unit: String::new(),
        values: Values::Text(
            measurements
                .iter()
                .map(|m| match &m.fit {
                    Ok(f) if f.converged && f.degenerate.is_some() => {
                        "degenerate: the Fisher matrix is near singular".into()
                    }
                    Ok(f) if f.converged => "ok".into(),
                    Ok(f) => f.message.clone(),
                    Err(e) => format!("failed: {e}"),
                })
                .collect(),
        ),
    });
    columns
}

/// When every fit failed: the rows still say which stamps, and why.
fn failed_only(measurements: &[ModelMeasurement]) -> Vec<Column> {
    let text = |name: &str, f: &dyn Fn(&ModelMeasurement) -> String| Column {
        name: name.into(),
        unit: String::new(),
        values: Values::Text(measurements.iter().map(f).collect()),
    };
    vec![
        text("id", &|m| m.window.id.clone()),
        text("status", &|m| match &m.fit {
            Err(e) => format!("failed: {e}"),
            Ok(_) => "ok".into(),
        }),
    ]
}
