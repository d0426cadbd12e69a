//! The bounded L-BFGS solver on standard problems with known solutions.

use argmin::core::{CostFunction, Error, Executor, Gradient, State, TerminationReason};
use mle_fit::lbfgsb::ProjectedLbfgs;

/// The extended Rosenbrock function Σ (1 − x_{2i})² + 100 (x_{2i+1} − x_{2i}²)² (2 variables: the classic).
struct Rosenbrock;

impl CostFunction for Rosenbrock {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        Ok(x.chunks(2)
            .map(|p| (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2))
            .sum())
    }
}

impl Gradient for Rosenbrock {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        let mut g = vec![0.0; x.len()];
        for (i, p) in x.chunks(2).enumerate() {
            g[2 * i] = -2.0 * (1.0 - p[0]) - 400.0 * p[0] * (p[1] - p[0] * p[0]);
            g[2 * i + 1] = 200.0 * (p[1] - p[0] * p[0]);
        }
        Ok(g)
    }
}

/// ½ xᵀ A x − bᵀ x with A symmetric positive definite.
struct Quadratic {
    a: Vec<Vec<f64>>,
    b: Vec<f64>,
}

impl CostFunction for Quadratic {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, x: &Vec<f64>) -> Result<f64, Error> {
        let ax: Vec<f64> = self
            .a
            .iter()
            .map(|row| row.iter().zip(x).map(|(a, v)| a * v).sum())
            .collect();
        Ok(0.5 * ax.iter().zip(x).map(|(a, v)| a * v).sum::<f64>()
            - self.b.iter().zip(x).map(|(b, v)| b * v).sum::<f64>())
    }
}

impl Gradient for Quadratic {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, x: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(self
            .a
            .iter()
            .zip(&self.b)
            .map(|(row, b)| row.iter().zip(x).map(|(a, v)| a * v).sum::<f64>() - b)
            .collect())
    }
}

fn solve<O>(
    problem: O,
    lower: Vec<f64>,
    upper: Vec<f64>,
    start: Vec<f64>,
) -> (Vec<f64>, f64, TerminationReason, u64)
where
    O: CostFunction<Param = Vec<f64>, Output = f64>
        + Gradient<Param = Vec<f64>, Gradient = Vec<f64>>,
{
    let solver = ProjectedLbfgs::new(lower, upper, 10)
        .unwrap()
        .with_pg_tolerance(1e-10)
        .with_first_step(0.5);
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(start).max_iters(2000))
        .run()
        .unwrap();
    let state = res.state;
    (
        state.get_best_param().unwrap().clone(),
        state.get_best_cost(),
        state.get_termination_reason().unwrap().clone(),
        state.get_iter(),
    )
}

#[test]
fn rosenbrock_with_an_active_upper_bound() {
    // Box x <= 0.5 cuts off the minimum (1, 1); the solution is x = 0.5, y = x² = 0.25, f = 0.25.
    let (x, f, reason, iters) = solve(
        Rosenbrock,
        vec![-2.0, -1.0],
        vec![0.5, 2.0],
        vec![-1.2, 1.0],
    );
    assert_eq!(
        reason,
        TerminationReason::SolverConverged,
        "after {iters} iterations"
    );
    assert!(
        (x[0] - 0.5).abs() < 1e-9 && (x[1] - 0.25).abs() < 1e-7,
        "{x:?}"
    );
    assert!((f - 0.25).abs() < 1e-10);
}

#[test]
fn rosenbrock_with_an_active_lower_bound() {
    // y >= 1.5: y sits on its bound and x solves −2(1 − x) − 400x(1.5 − x²) = 0 (Newton, below).
    let (x, _, reason, _) = solve(Rosenbrock, vec![-2.0, 1.5], vec![2.0, 3.0], vec![0.0, 2.5]);
    assert_eq!(reason, TerminationReason::SolverConverged);
    let mut t: f64 = 1.2;
    for _ in 0..50 {
        let g = -2.0 * (1.0 - t) - 400.0 * t * (1.5 - t * t);
        let h = 2.0 - 400.0 * (1.5 - 3.0 * t * t);
        t -= g / h;
    }
    assert!((x[1] - 1.5).abs() < 1e-12, "{x:?}");
    assert!((x[0] - t).abs() < 1e-7, "x = {} vs {t}", x[0]);
}

#[test]
fn unconstrained_rosenbrock_from_the_classic_start() {
    let (x, f, reason, iters) = solve(Rosenbrock, vec![-5.0; 2], vec![5.0; 2], vec![-1.2, 1.0]);
    assert_eq!(reason, TerminationReason::SolverConverged);
    assert!(
        (x[0] - 1.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6 && f < 1e-12,
        "{x:?} after {iters}"
    );
    assert!(iters < 100, "{iters} iterations");
}

#[test]
fn extended_rosenbrock_with_mixed_bounds_satisfies_kkt() {
    // 10 variables, alternate pairs boxed away from the unconstrained minimum.
    let n = 10;
    let lower: Vec<f64> = (0..n)
        .map(|i| if i % 4 == 0 { 1.2 } else { -3.0 })
        .collect();
    let upper: Vec<f64> = (0..n).map(|i| if i % 4 == 1 { 0.8 } else { 3.0 }).collect();
    let (x, _, reason, _) = solve(
        Rosenbrock,
        lower.clone(),
        upper.clone(),
        vec![0.0; n]
            .iter()
            .zip(&lower)
            .zip(&upper)
            .map(|((_, l), u)| 0.5 * (l + u))
            .collect(),
    );
    assert_eq!(reason, TerminationReason::SolverConverged);
    let g = Rosenbrock.gradient(&x).unwrap();
    for i in 0..n {
        let at_lower = (x[i] - lower[i]).abs() < 1e-9;
        let at_upper = (x[i] - upper[i]).abs() < 1e-9;
        // KKT: zero gradient inside; pointing into the box at an active bound.
        if at_lower {
            assert!(g[i] >= -1e-6, "x{i} at lower bound with gradient {}", g[i]);
        } else if at_upper {
            assert!(g[i] <= 1e-6, "x{i} at upper bound with gradient {}", g[i]);
        } else {
            assert!(
                g[i].abs() < 1e-5,
                "x{i} = {} free with gradient {}",
                x[i],
                g[i]
            );
        }
    }
    // The pairs with x_{4k} >= 1.2 have it at its bound (the unconstrained optimum 1 is excluded).
    assert!((x[0] - 1.2).abs() < 1e-9 && (x[8] - 1.2).abs() < 1e-9);
}

#[test]
fn bounded_quadratic_matches_the_clamped_solution_and_kkt() {
    // Separable: the solution is the clamped unconstrained minimum.
    let n = 8;
    let a: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| if i == j { 1.0 + i as f64 } else { 0.0 })
                .collect()
        })
        .collect();
    let b: Vec<f64> = (0..n)
        .map(|i| (1.0 + i as f64) * (i as f64 * 0.4 - 1.0))
        .collect();
    let (x, _, reason, iters) = solve(Quadratic { a, b }, vec![0.0; n], vec![1.0; n], vec![0.5; n]);
    assert_eq!(
        reason,
        TerminationReason::SolverConverged,
        "after {iters} iterations"
    );
    for (i, v) in x.iter().enumerate() {
        let expected = (i as f64 * 0.4 - 1.0).clamp(0.0, 1.0);
        assert!(
            (v - expected).abs() < 1e-8,
            "x{i} = {v}, expected {expected}"
        );
    }
    // Coupled (tridiagonal) problem: check the KKT conditions.
    let a: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    if i == j {
                        4.0
                    } else if i.abs_diff(j) == 1 {
                        -1.5
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    // Strong alternating pull: most variables end on a bound, the ends of the chain may not.
    let b: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { 10.0 } else { -10.0 })
        .collect();
    let q = Quadratic {
        a: a.clone(),
        b: b.clone(),
    };
    let (x, _, reason, _) = solve(
        Quadratic { a, b },
        vec![-1.0; n],
        vec![1.0; n],
        vec![0.0; n],
    );
    assert_eq!(reason, TerminationReason::SolverConverged);
    let g = q.gradient(&x).unwrap();
    for i in 0..n {
        if x[i] <= -1.0 + 1e-12 {
            assert!(g[i] >= -1e-8);
        } else if x[i] >= 1.0 - 1e-12 {
            assert!(g[i] <= 1e-8);
        } else {
            assert!(g[i].abs() < 1e-7, "x{i} = {} gradient {}", x[i], g[i]);
        }
    }
    assert!(x.iter().any(|v| (v - 1.0).abs() < 1e-12) && x.iter().any(|v| (v + 1.0).abs() < 1e-12));
    // And the same point as projected Gauss–Seidel, which converges for this SPD problem.
    let mut r = vec![0.0; n];
    for _ in 0..2000 {
        for i in 0..n {
            let off: f64 = (0..n).filter(|&j| j != i).map(|j| q.a[i][j] * r[j]).sum();
            r[i] = ((q.b[i] - off) / q.a[i][i]).clamp(-1.0, 1.0);
        }
    }
    for i in 0..n {
        assert!((x[i] - r[i]).abs() < 1e-7, "x{i} = {} vs {}", x[i], r[i]);
    }
}

#[test]
fn bad_bounds_are_refused() {
    assert!(ProjectedLbfgs::new(vec![0.0, 1.0], vec![1.0, 0.5], 5).is_err());
    assert!(ProjectedLbfgs::new(vec![0.0], vec![1.0, 2.0], 5).is_err());
    assert!(ProjectedLbfgs::new(vec![f64::NAN], vec![1.0], 5).is_err());
}

#[test]
fn an_exact_initial_hessian_solves_a_bounded_quadratic_faster() {
    // With B0 = A the first step is Newton's; the active bounds are found on the way, in fewer steps
    // than from a scaled identity.
    let n: usize = 6;
    let a: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    if i == j {
                        3.0 + i as f64
                    } else if i.abs_diff(j) == 1 {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let b: Vec<f64> = (0..n).map(|i| 4.0 * (i as f64 - 2.5)).collect();
    let solver = ProjectedLbfgs::new(vec![-1.0; n], vec![1.0; n], 5)
        .unwrap()
        .with_pg_tolerance(1e-10)
        .with_initial_hessian(a.clone())
        .unwrap();
    let q = Quadratic {
        a: a.clone(),
        b: b.clone(),
    };
    let plain = ProjectedLbfgs::new(vec![-1.0; n], vec![1.0; n], 5)
        .unwrap()
        .with_pg_tolerance(1e-10);
    let plain_iters = Executor::new(
        Quadratic {
            a: a.clone(),
            b: b.clone(),
        },
        plain,
    )
    .configure(|s| s.param(vec![0.0; n]).max_iters(200))
    .run()
    .unwrap()
    .state
    .get_iter();
    let res = Executor::new(Quadratic { a, b }, solver)
        .configure(|s| s.param(vec![0.0; n]).max_iters(50))
        .run()
        .unwrap();
    let x = res.state.get_best_param().unwrap().clone();
    let iters = res.state.get_iter();
    eprintln!("with B0: {iters} iterations; with a scaled identity: {plain_iters}");
    assert!(
        iters < plain_iters,
        "B0 = A took {iters} iterations, the scaled identity {plain_iters}"
    );
    let g = q.gradient(&x).unwrap();
    for i in 0..n {
        let ok = if x[i] <= -1.0 + 1e-12 {
            g[i] >= -1e-8
        } else if x[i] >= 1.0 - 1e-12 {
            g[i] <= 1e-8
        } else {
            g[i].abs() < 1e-7
        };
        assert!(ok, "x{i} = {} gradient {}", x[i], g[i]);
    }
    assert!(ProjectedLbfgs::new(vec![0.0; 2], vec![1.0; 2], 5)
        .unwrap()
        .with_initial_hessian(vec![vec![1.0, 0.0]])
        .is_err());
}
