//! Reduced shear in GalSim's convention and what it does to a radial transform.
//!
//! S = (1/√(1-g²)) [[1+g1, g2], [g2, 1-g1]] is area preserving (det S = 1). The sheared profile seen at x is
//! f(S⁻¹x), so its transform is F(Sᵀk) = F(Sk): a radial transform F(|k|) becomes F evaluated at
//! |Sk|² = a kx² + 2b kx ky + c ky², a quadratic form whose coefficients (and their derivatives with respect to
//! g1 and g2, used for the Jacobian) are computed here once per galaxy.

/// Reduced shear (g1, g2), |g| < 1.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Shear {
    /// First component: positive stretches along x.
    pub g1: f64,
    /// Second component: positive stretches along the diagonal x = y.
    pub g2: f64,
}

/// A quadratic form a kx² + 2b kx ky + c ky².
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuadraticForm {
    /// Coefficient of kx².
    pub a: f64,
    /// Half the coefficient of kx·ky.
    pub b: f64,
    /// Coefficient of ky².
    pub c: f64,
}

impl QuadraticForm {
    /// The zero form (a profile drawn with it is the same at every k: a point source).
    pub fn zero() -> Self {
        QuadraticForm {
            a: 0.0,
            b: 0.0,
            c: 0.0,
        }
    }

    /// The form's value at (kx, ky).
    #[inline]
    pub fn at(&self, kx: f64, ky: f64) -> f64 {
        self.a * kx * kx + 2.0 * self.b * kx * ky + self.c * ky * ky
    }

    /// The form on the lattice column at kx as a quadratic in ky: (c, 2b·kx, a·kx²), so that its value
    /// there is (c·ky + 2b·kx)·ky + a·kx² (the inner loops' Horner form, set up once per column).
    #[inline]
    pub fn along_column(&self, kx: f64) -> (f64, f64, f64) {
        (self.c, 2.0 * self.b * kx, self.a * kx * kx)
    }

    /// The form multiplied by s.
    pub fn scaled(&self, s: f64) -> QuadraticForm {
        QuadraticForm {
            a: self.a * s,
            b: self.b * s,
            c: self.c * s,
        }
    }
}

impl Shear {
    /// A shear; |g| must be below 1 (checked by the caller's parameter validation).
    pub fn new(g1: f64, g2: f64) -> Self {
        Shear { g1, g2 }
    }

    /// |g|.
    pub fn magnitude(&self) -> f64 {
        self.g1.hypot(self.g2)
    }

    /// The matrix S.
    pub fn matrix(&self) -> [[f64; 2]; 2] {
        let s = 1.0 / (1.0 - self.g1 * self.g1 - self.g2 * self.g2).sqrt();
        [
            [(1.0 + self.g1) * s, self.g2 * s],
            [self.g2 * s, (1.0 - self.g1) * s],
        ]
    }

    /// Ratio of the major to the minor axis stretch: sqrt((1+|g|)/(1-|g|)) per axis (the profile's major axis
    /// is this many times its circular size).
    pub fn major_axis_stretch(&self) -> f64 {
        let g = self.magnitude();
        ((1.0 + g) / (1.0 - g)).sqrt()
    }

    /// |Sk|² as a quadratic form in (kx, ky).
    pub fn k_form(&self) -> QuadraticForm {
        let (g1, g2) = (self.g1, self.g2);
        let d = 1.0 - g1 * g1 - g2 * g2;
        QuadraticForm {
            a: ((1.0 + g1).powi(2) + g2 * g2) / d,
            b: 2.0 * g2 / d,
            c: ((1.0 - g1).powi(2) + g2 * g2) / d,
        }
    }

    /// ∂|Sk|²/∂g1 and ∂|Sk|²/∂g2 as quadratic forms.
    pub fn k_form_derivatives(&self) -> (QuadraticForm, QuadraticForm) {
        let (g1, g2) = (self.g1, self.g2);
        let d = 1.0 - g1 * g1 - g2 * g2;
        let (na, nb, nc) = (
            (1.0 + g1).powi(2) + g2 * g2,
            2.0 * g2,
            (1.0 - g1).powi(2) + g2 * g2,
        );
        // ∂(1/d)/∂g_i = 2 g_i / d²
        let (e1, e2) = (2.0 * g1 / (d * d), 2.0 * g2 / (d * d));
        let dg1 = QuadraticForm {
            a: 2.0 * (1.0 + g1) / d + na * e1,
            b: nb * e1,
            c: -2.0 * (1.0 - g1) / d + nc * e1,
        };
        let dg2 = QuadraticForm {
            a: 2.0 * g2 / d + na * e2,
            b: 2.0 / d + nb * e2,
            c: 2.0 * g2 / d + nc * e2,
        };
        (dg1, dg2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_is_squared_norm_of_sk_and_area_preserving() {
        let s = Shear::new(0.3, -0.45);
        let m = s.matrix();
        assert!((m[0][0] * m[1][1] - m[0][1] * m[1][0] - 1.0).abs() < 1e-14);
        let (kx, ky) = (0.7, -1.3);
        let (sx, sy) = (m[0][0] * kx + m[0][1] * ky, m[1][0] * kx + m[1][1] * ky);
        assert!((s.k_form().at(kx, ky) - (sx * sx + sy * sy)).abs() < 1e-13);
    }

    #[test]
    fn form_derivatives_match_finite_differences() {
        let (g1, g2, h) = (0.25, 0.4, 1e-6);
        let (d1, d2) = Shear::new(g1, g2).k_form_derivatives();
        let (kx, ky) = (1.1, 0.6);
        let f = |a: f64, b: f64| Shear::new(a, b).k_form().at(kx, ky);
        let fd1 = (f(g1 + h, g2) - f(g1 - h, g2)) / (2.0 * h);
        let fd2 = (f(g1, g2 + h) - f(g1, g2 - h)) / (2.0 * h);
        assert!(
            (d1.at(kx, ky) - fd1).abs() < 1e-7,
            "{} vs {fd1}",
            d1.at(kx, ky)
        );
        assert!(
            (d2.at(kx, ky) - fd2).abs() < 1e-7,
            "{} vs {fd2}",
            d2.at(kx, ky)
        );
    }
}
