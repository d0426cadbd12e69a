//! One bounded L-BFGS run in unit-box coordinates, started with the Fisher matrix as its Hessian: how both
//! fitters (the seed's stamps and real images) drive the solver.

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason};

use sersic_render::Lattice;

use crate::error::FitError;
use crate::lbfgsb::ProjectedLbfgs;

/// Where a run ended.
pub(crate) struct Run {
    /// The best point, unit box.
    pub u: Vec<f64>,
    /// −ln L there.
    pub nll: f64,
    /// Iterations made.
    pub iterations: u64,
    /// Why it stopped.
    pub reason: TerminationReason,
}

impl Run {
    /// Whether the solver met its convergence test.
    pub fn converged(&self) -> bool {
        matches!(self.reason, TerminationReason::SolverConverged)
    }

    /// Whether it stopped short of both convergence and its iteration cap (the line search found no
    /// decrease along the direction its curvature memory gave): a fresh start from here may go on.
    pub fn stalled(&self) -> bool {
        !matches!(
            self.reason,
            TerminationReason::SolverConverged | TerminationReason::MaxItersReached
        )
    }

    /// Why it stopped, in words, for a run capped at `max_iterations`.
    pub fn message(&self, max_iterations: u64) -> String {
        match &self.reason {
            TerminationReason::SolverConverged => "converged".to_string(),
            TerminationReason::MaxItersReached => {
                format!("not converged: {max_iterations} iterations reached")
            }
            other => format!("not converged: {}", other.text()),
        }
    }
}

/// The best of several scouting runs (lowest −ln L) as the unit-box point to continue from, with its
/// lattice; `scout` runs one start, and `iterations` gains every run's. No start at all is an error.
pub(crate) fn best_scout<S>(
    starts: impl IntoIterator<Item = S>,
    iterations: &mut u64,
    mut scout: impl FnMut(S) -> Result<(Run, Lattice), FitError>,
) -> Result<(Vec<f64>, Lattice), FitError> {
    let mut best: Option<(Run, Lattice)> = None;
    for start in starts {
        let (run, lattice) = scout(start)?;
        *iterations += run.iterations;
        if best.as_ref().is_none_or(|(b, _)| run.nll < b.nll) {
            best = Some((run, lattice));
        }
    }
    let (run, lattice) =
        best.ok_or_else(|| FitError::BadInput("at least one starting n is needed".into()))?;
    Ok((run.u, lattice))
}

/// How long and how finely to run.
pub(crate) struct RunSettings {
    /// Iteration cap.
    pub iterations: u64,
    /// Largest projected-gradient component at convergence.
    pub pg_tolerance: f64,
    /// Relative change of the cost at convergence.
    pub f_tolerance: f64,
    /// Shorten steps the box bends uphill (see [`ProjectedLbfgs::with_shortened_bent_steps`]).
    pub shorten_bent_steps: bool,
}

/// The Fisher matrix `fisher(i, j)` in natural units seen in the unit box of the given `widths`.
pub(crate) fn unit_box_hessian(
    fisher: impl Fn(usize, usize) -> f64,
    widths: &[f64],
) -> Vec<Vec<f64>> {
    (0..widths.len())
        .map(|i| {
            (0..widths.len())
                .map(|j| fisher(i, j) * widths[i] * widths[j])
                .collect()
        })
        .collect()
}

/// Minimises `problem` over the unit box from `start`, with `hessian` (unit box) as the initial Hessian
/// when it can be used there.
pub(crate) fn run<P>(
    problem: P,
    start: Vec<f64>,
    hessian: Vec<Vec<f64>>,
    settings: RunSettings,
) -> Result<Run, FitError>
where
    P: CostFunction<Param = Vec<f64>, Output = f64>
        + Gradient<Param = Vec<f64>, Gradient = Vec<f64>>,
{
    let dims = start.len();
    let solver = ProjectedLbfgs::new(vec![0.0; dims], vec![1.0; dims], 8)
        .map_err(|e| FitError::Solver(e.to_string()))?
        .with_pg_tolerance(settings.pg_tolerance)
        .with_f_tolerance(settings.f_tolerance)
        .with_shortened_bent_steps(settings.shorten_bent_steps);
    let solver = match solver.clone().with_initial_hessian(hessian) {
        Ok(s) => s,
        Err(_) => solver, // an unconstrained direction at the start: plain L-BFGS
    };
    let result = Executor::new(problem, solver)
        .configure(|s| s.param(start).max_iters(settings.iterations))
        .run()
        .map_err(|e| FitError::Solver(e.to_string()))?;
    let state = result.state;
    Ok(Run {
        u: state
            .get_best_param()
            .cloned()
            .ok_or_else(|| FitError::Solver("no parameters returned".into()))?,
        nll: state.get_best_cost(),
        iterations: state.get_iter(),
        reason: state
            .get_termination_reason()
            .cloned()
            .unwrap_or(TerminationReason::MaxItersReached),
    })
}
