//! The architectures: the estimators' trunks (Xception, ResNet, CNN) and the image-to-image denoisers
//! (EDSR, RDN).

pub mod autoencoder;
pub mod cnn;
pub mod edsr;
pub mod rdn;
pub mod resnet;
pub mod xception;
