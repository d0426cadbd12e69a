//! The architectures (trunks) and the estimator that puts a head on them.

pub mod cnn;
pub mod resnet;
pub mod xception;
