//! The galaxy toolkit's maintenance programs, one binary each (`cargo run --release -p xtask --bin
//! NAME`): `build_sersic_table` regenerates the embedded Sérsic Fourier table, `reference_accuracy` and
//! `fit_reference` check the renderer and the fitter against GalSim's files, `screen_accuracy` checks
//! the simulator's SNR screen, `nets_speed` times the networks' training and inference steps.
