//! Stamps to fit: a whole image, each plane of a cube, or a stamp cut around each source of a catalogue
//! in a field, with its neighbours masked by a segmentation map.

use ndarray::{s, Array2};

use crate::catalog::Source;
use crate::error::MeasureError;

/// One stamp to fit, before its noise is attached.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// The source's identifier.
    pub id: String,
    /// Which image (plane of a cube; 0 for a single image or a field) it is cut from.
    pub image: usize,
    /// (row, column), 0-based, of the stamp's pixel [0, 0] in that image.
    pub origin: [usize; 2],
    /// (rows, columns) of the stamp.
    pub shape: (usize, usize),
    /// The segmentation label of the source itself (0: none), when a segmentation map is used.
    pub label: Option<i64>,
}

/// Stamps cut around `sources` in a field of `shape` (rows, columns): a square of side `size` (the
/// source's own, else `default_size`) centred on the pixel holding the source, cut back at the field's
/// edges (a source near an edge gets a partial stamp). A position outside the field is an error naming the
/// catalogue row.
pub fn windows_around(
    sources: &[Source],
    shape: (usize, usize),
    default_size: usize,
    catalog: &std::path::Path,
    field: &std::path::Path,
) -> Result<Vec<Window>, MeasureError> {
    let (rows, columns) = shape;
    sources
        .iter()
        .enumerate()
        .map(|(index, source)| {
            let inside = |v: f64, n: usize| (0.5..=n as f64 + 0.5).contains(&v);
            if !inside(source.x, columns) || !inside(source.y, rows) {
                return Err(MeasureError::input(format!(
                    "{}: row {} (id {}): position x = {}, y = {} is outside the field {} ({columns} x {rows} pixels; pixel centres run from 1 to the size)",
                    catalog.display(),
                    index + 1,
                    source.id,
                    source.x,
                    source.y,
                    field.display()
                )));
            }
            let side = source.size.unwrap_or(default_size);
            let span = |v: f64, n: usize| {
                let centre = nearest_pixel(v, n) as i64;
                let lo = (centre - side as i64 / 2).max(0);
                let hi = (centre - side as i64 / 2 + side as i64).min(n as i64);
                (lo as usize, (hi - lo) as usize)
            };
            let (r0, h) = span(source.y, rows);
            let (c0, w) = span(source.x, columns);
            Ok(Window {
                id: source.id.clone(),
                image: 0,
                origin: [r0, c0],
                shape: (h, w),
                label: None,
            })
        })
        .collect()
}

/// The 0-based index of the pixel holding FITS coordinate `v` (1-based centres) on an axis of `n` pixels,
/// clamped to the axis.
fn nearest_pixel(v: f64, n: usize) -> usize {
    ((v - 1.0).round() as i64).clamp(0, n as i64 - 1) as usize
}

impl Window {
    /// Reads the source's own label from `segmentation` at its catalogue position.
    pub fn with_label(mut self, source: &Source, segmentation: &Array2<f64>) -> Window {
        let (rows, columns) = segmentation.dim();
        let (r, c) = (
            nearest_pixel(source.y, rows),
            nearest_pixel(source.x, columns),
        );
        self.label = Some(segmentation[[r, c]] as i64);
        self
    }

    /// The stamp's pixels of `image`.
    pub fn cut(&self, image: &Array2<f64>) -> Array2<f64> {
        let [r, c] = self.origin;
        let (h, w) = self.shape;
        image.slice(s![r..r + h, c..c + w]).to_owned()
    }

    /// The neighbours' pixels within the stamp: labelled in `segmentation` with a label other than 0 and
    /// the source's own. A source whose own position is unlabelled keeps only unlabelled pixels.
    pub fn neighbours(&self, segmentation: &Array2<f64>) -> Array2<bool> {
        let own = self.label.unwrap_or(0);
        self.cut(segmentation).mapv(|v| {
            let label = v as i64;
            label != 0 && label != own
        })
    }

    /// Converts an offset (dx, dy) from the stamp's true centre, in pixels, to FITS pixel coordinates
    /// (1-based) of the image it was cut from.
    pub fn position(&self, [dx, dy]: [f64; 2]) -> [f64; 2] {
        let (h, w) = self.shape;
        [
            self.origin[1] as f64 + (w as f64 - 1.0) / 2.0 + dx + 1.0,
            self.origin[0] as f64 + (h as f64 - 1.0) / 2.0 + dy + 1.0,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn source(x: f64, y: f64) -> Source {
        Source {
            id: "a".into(),
            x,
            y,
            size: None,
        }
    }

    #[test]
    fn a_stamp_is_centred_on_the_source_and_cut_at_the_edges() {
        let p = Path::new("c.csv");
        let w = windows_around(&[source(50.0, 40.0)], (100, 120), 21, p, p).unwrap();
        // Pixel (row 39, column 49) 0-based holds (50, 40); 21 pixels centred on it.
        assert_eq!((w[0].origin, w[0].shape), ([29, 39], (21, 21)));
        assert_eq!(w[0].position([0.0, 0.0]), [50.0, 40.0]);
        let w = windows_around(&[source(2.0, 99.6)], (100, 120), 21, p, p).unwrap();
        assert_eq!((w[0].origin, w[0].shape), ([89, 0], (11, 12)));
        let e = windows_around(&[source(121.0, 3.0)], (100, 120), 21, p, p).unwrap_err();
        assert!(e.to_string().contains("outside the field"), "{e}");
    }

    #[test]
    fn neighbours_are_the_other_labels() {
        let seg = Array2::from_shape_fn((5, 5), |(r, c)| {
            if c < 2 {
                1.0
            } else if r == 4 {
                2.0
            } else {
                0.0
            }
        });
        // The source at x = 1, y = 3 sits on label 1; its 5-pixel stamp is cut to 3 columns by the edge.
        let w = windows_around(
            &[source(1.0, 3.0)],
            (5, 5),
            5,
            Path::new("c"),
            Path::new("f"),
        )
        .unwrap()
        .remove(0)
        .with_label(&source(1.0, 3.0), &seg);
        assert_eq!((w.label, w.origin, w.shape), (Some(1), [0, 0], (5, 3)));
        let mask = w.neighbours(&seg);
        assert_eq!(mask.iter().filter(|m| **m).count(), 1);
        assert!(mask[[4, 2]]);
    }
}
