//! The data of a parallel-coordinates figure (drawn by `plots::parallel_coordinates` with the `plots`
//! feature): one axis per quantity, one line per item, coloured by a score.

/// One vertical axis: a numeric quantity, or categories placed evenly along it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParallelAxis {
    /// The axis' label.
    pub name: String,
    /// Each line's value on this axis (`None`: the line steps over it); for a categorical axis, the
    /// index of the line's category.
    pub values: Vec<Option<f64>>,
    /// The categories' names, bottom to top; empty for a numeric axis.
    pub categories: Vec<String>,
}

/// The whole figure: its title, its axes, and each line's score (lower is better: drawn on top, dark).
#[derive(Debug, Clone, PartialEq)]
pub struct ParallelPlot {
    /// Caption.
    pub title: String,
    /// Axes, left to right.
    pub axes: Vec<ParallelAxis>,
    /// One score per line, for its colour.
    pub score: Vec<f64>,
    /// What the colour bar says the score is.
    pub score_label: String,
}
