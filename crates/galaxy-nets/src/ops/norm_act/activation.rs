//! The activations a normalisation can be fused with.

/// The activation after the normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormActivation {
    /// None (plain batch norm).
    Identity,
    /// max(z, 0).
    Relu,
    /// λ z (z > 0) or λ α (e^z − 1).
    Selu,
}

const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;
const SELU_LAMBDA: f64 = 1.050_700_987_355_480_5;

impl NormActivation {
    #[inline]
    pub(super) fn apply(&self, z: f64) -> f64 {
        match self {
            NormActivation::Identity => z,
            NormActivation::Relu => z.max(0.0),
            NormActivation::Selu => {
                if z > 0.0 {
                    SELU_LAMBDA * z
                } else {
                    SELU_LAMBDA * SELU_ALPHA * (z.exp() - 1.0)
                }
            }
        }
    }

    /// act'(z) from y = act(z).
    #[inline]
    pub(super) fn slope_from_output(&self, y: f64) -> f64 {
        match self {
            NormActivation::Identity => 1.0,
            NormActivation::Relu => f64::from(u8::from(y > 0.0)),
            NormActivation::Selu => {
                if y > 0.0 {
                    SELU_LAMBDA
                } else {
                    y + SELU_LAMBDA * SELU_ALPHA
                }
            }
        }
    }
}
