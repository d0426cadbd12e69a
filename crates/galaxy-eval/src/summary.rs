//! The seed's error summary: bias, standard deviation and RMSE of estimate − truth, beside the bound.

use sersic_render::PARAM_NAMES;

/// The seed's display units: flux in units of 1e5 counts, the other parameters as they are.
pub const SEED_UNITS: [f64; 5] = [1e5, 1.0, 1.0, 1.0, 1.0];

/// Bias, sample standard deviation (n − 1) and RMSE of a set of differences.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Mean difference.
    pub bias: f64,
    /// Standard deviation around the bias (0 for one value).
    pub std: f64,
    /// sqrt(mean of squares).
    pub rmse: f64,
}

/// Summarises the differences `d` (empty: all zero).
pub fn summarize(d: &[f64]) -> Summary {
    let n = d.len() as f64;
    if d.is_empty() {
        return Summary {
            bias: 0.0,
            std: 0.0,
            rmse: 0.0,
        };
    }
    let bias = d.iter().sum::<f64>() / n;
    let std = if d.len() > 1 {
        (d.iter().map(|x| (x - bias).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    let rmse = (d.iter().map(|x| x * x).sum::<f64>() / n).sqrt();
    Summary { bias, std, rmse }
}

/// One parameter's line of an [`ErrorTable`], in the table's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorRow {
    /// The parameter's name (`flux`, `sersic_index`, …).
    pub name: &'static str,
    /// Mean true value.
    pub mean_truth: f64,
    /// Bias, std and RMSE of estimate − truth.
    pub summary: Summary,
    /// Mean Cramér–Rao bound at the true values, when bounds were given.
    pub crb: Option<f64>,
}

/// Bias / std / RMSE of a set of estimates per parameter, beside the mean Cramér–Rao bound: the table
/// `galaxy fit`, `evaluate`, `report` and `demo` print.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorTable {
    /// Number of images.
    pub images: usize,
    /// One row per parameter, in [`PARAM_NAMES`] order.
    pub rows: [ErrorRow; 5],
}

impl ErrorTable {
    /// The table in the seed's units ([`SEED_UNITS`]: flux in 1e5). `crb`, when given, holds one bound
    /// per image (e.g. from [`bounds_per_image`](crate::bounds_per_image)).
    ///
    /// # Panics
    /// If `estimates`, `truth` and `crb` differ in length: check row counts when reading them.
    pub fn new(estimates: &[[f64; 5]], truth: &[[f64; 5]], crb: Option<&[[f64; 5]]>) -> Self {
        Self::with_units(estimates, truth, crb, SEED_UNITS)
    }

    /// The table with every value of parameter j divided by `units[j]` (all 1: physical units).
    pub fn with_units(
        estimates: &[[f64; 5]],
        truth: &[[f64; 5]],
        crb: Option<&[[f64; 5]]>,
        units: [f64; 5],
    ) -> Self {
        assert_eq!(estimates.len(), truth.len(), "one estimate per true value");
        let n = estimates.len();
        let mean = |f: &dyn Fn(usize) -> f64| (0..n).map(f).sum::<f64>() / n as f64;
        let rows = std::array::from_fn(|j| {
            let u = units[j];
            let diff: Vec<f64> = (0..n)
                .map(|i| (estimates[i][j] - truth[i][j]) / u)
                .collect();
            ErrorRow {
                name: PARAM_NAMES[j],
                mean_truth: mean(&|i| truth[i][j]) / u,
                summary: summarize(&diff),
                crb: crb.map(|c| {
                    assert_eq!(c.len(), n, "one bound per image");
                    // A set of one galaxy has one bound: taken as it is, not re-summed (which would
                    // change its last digits).
                    if c.iter().all(|b| b[j] == c[0][j]) {
                        c[0][j] / u
                    } else {
                        mean(&|i| c[i][j]) / u
                    }
                }),
            }
        });
        ErrorTable { images: n, rows }
    }
}

impl ErrorTable {
    /// The seed's table as `galaxy fit` prints it: per parameter, mean truth, CRB, bias, std and RMSE
    /// (4 decimals; flux in 1e5 when the table is in the seed's units).
    pub fn seed_text(&self) -> String {
        let mut out = format!(
            "{:<18} {:>10} {:>10} {:>10} {:>10} {:>10}\n",
            "parameter", "mean true", "CRB", "bias", "std", "RMSE"
        );
        for r in &self.rows {
            let s = r.summary;
            out += &format!(
                "{:<18} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>10.4}\n",
                r.name,
                r.mean_truth,
                r.crb.unwrap_or(f64::NAN),
                s.bias,
                s.std,
                s.rmse
            );
        }
        out
    }

    /// The table as `galaxy evaluate` prints it: bias, std, RMSE and the CRB ("-" without one), 5
    /// decimals.
    pub fn compact_text(&self) -> String {
        let mut out = format!(
            "{:<18} {:>12} {:>12} {:>12} {:>12}\n",
            "parameter", "bias", "std", "RMSE", "CRB"
        );
        for r in &self.rows {
            let crb = r.crb.map_or("-".to_string(), |v| format!("{v:.5}"));
            let s = r.summary;
            out += &format!(
                "{:<18} {:>12.5} {:>12.5} {:>12.5} {crb:>12}\n",
                r.name, s.bias, s.std, s.rmse
            );
        }
        out
    }

    /// The table as one JSON object, {name: {bias, std, rmse[, crb]}}, keys sorted, numbers in full
    /// precision.
    pub fn json(&self) -> serde_json::Value {
        let object: serde_json::Map<String, serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                let s = r.summary;
                let mut entry = serde_json::json!({"bias": s.bias, "std": s.std, "rmse": s.rmse});
                if let Some(c) = r.crb {
                    entry["crb"] = serde_json::json!(c);
                }
                (r.name.to_string(), entry)
            })
            .collect();
        serde_json::Value::Object(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bias_std_rmse() {
        let s = summarize(&[1.0, 3.0]);
        assert_eq!((s.bias, s.std), (2.0, 2f64.sqrt()));
        assert!((s.rmse - 5f64.sqrt()).abs() < 1e-15);
        assert_eq!(summarize(&[]).rmse, 0.0);
    }

    #[test]
    fn the_table_scales_flux_and_averages_the_bounds() {
        let truth = [[2e5, 1.0, 0.3, 0.0, 0.0], [4e5, 3.0, 0.5, 0.2, -0.2]];
        let est = [[2.1e5, 1.5, 0.3, 0.0, 0.1], [4.1e5, 2.5, 0.5, 0.2, -0.3]];
        let crb = [[1e4, 0.1, 0.01, 0.02, 0.03], [3e4, 0.3, 0.03, 0.04, 0.05]];
        let t = ErrorTable::new(&est, &truth, Some(&crb));
        assert_eq!(t.images, 2);
        assert!((t.rows[0].mean_truth - 3.0).abs() < 1e-12);
        assert!((t.rows[0].summary.bias - 0.1).abs() < 1e-12);
        assert!((t.rows[0].crb.unwrap() - 0.2).abs() < 1e-12);
        assert_eq!(t.rows[1].summary.bias, 0.0);
        assert!((t.rows[1].summary.rmse - 0.5).abs() < 1e-12);
        let physical = ErrorTable::with_units(&est, &truth, None, [1.0; 5]);
        assert!((physical.rows[0].summary.bias - 1e4).abs() < 1e-6);
        assert_eq!(physical.rows[4].crb, None);
    }
}
