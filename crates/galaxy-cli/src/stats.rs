//! The seed's error summary: bias, standard deviation and RMSE of estimate − truth.

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

#[cfg(test)]
mod tests {
    #[test]
    fn bias_std_rmse() {
        let s = super::summarize(&[1.0, 3.0]);
        assert_eq!((s.bias, s.std), (2.0, 2f64.sqrt()));
        assert!((s.rmse - 5f64.sqrt()).abs() < 1e-15);
        assert_eq!(super::summarize(&[]).rmse, 0.0);
    }
}
