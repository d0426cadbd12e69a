//! The data of a training run: its sample stream and its fixed validation set.

use galaxy_data::{Dataset, Preset, SimSettings, Simulator};

use crate::error::NetError;

/// Where training samples come from.
pub enum TrainSource {
    /// Simulated afresh for every batch (no overfitting, no disk).
    Simulated(Box<SimSettings>),
    /// A dataset in memory, cycled in order.
    Dataset(Box<Dataset>),
}

/// The validation set of a simulated run is drawn with the training seed plus this: the same set for
/// every run of that seed, never one of its training samples.
pub const VALIDATION_SEED_OFFSET: u64 = 1_000_003;

/// Training samples, a validation set and what they are in words (for the card).
pub struct TrainingData {
    /// The training samples.
    pub source: TrainSource,
    /// The fixed validation set.
    pub validation: Dataset,
    /// What the data is, for the card's record.
    pub description: String,
}

impl TrainingData {
    /// Batches simulated on the fly from `settings` (a training preset's, with any prior options
    /// applied) with `seed`, and `val_size` validation images drawn with seed + [`VALIDATION_SEED_OFFSET`].
    /// The test sets `snr30` and `snr60` are refused: they are one galaxy, not a population.
    pub fn simulated(
        preset: Preset,
        settings: SimSettings,
        description: String,
        seed: u64,
        val_size: u64,
    ) -> Result<Self, NetError> {
        check_training_preset(preset)?;
        let validation = Simulator::new(settings, seed.wrapping_add(VALIDATION_SEED_OFFSET))
            .and_then(|s| s.batch(0..val_size))?;
        Ok(TrainingData {
            source: TrainSource::Simulated(Box::new(settings)),
            validation,
            description,
        })
    }

    /// A file's images, validated on `val` or, without it, on the file's last 10%.
    pub fn from_file(data: Dataset, val: Option<Dataset>, description: &str) -> Self {
        let (train, validation) = match val {
            Some(v) => (data, v),
            None => {
                let n = data.len();
                let cut = n - (n / 10).max(1);
                let idx = |r: std::ops::Range<usize>| r.collect::<Vec<_>>();
                (subset(&data, &idx(0..cut)), subset(&data, &idx(cut..n)))
            }
        };
        let description = format!("{description} ({} images)", train.len());
        TrainingData {
            source: TrainSource::Dataset(Box::new(train)),
            validation,
            description,
        }
    }

    /// The part of a card's training record this data and `options` fill in (data, batch, rate).
    pub fn record(&self, options: &super::options::TrainOptions) -> crate::records::TrainingRecord {
        crate::records::TrainingRecord {
            data: self.description.clone(),
            batch: options.batch,
            learning_rate: options.learning_rate,
            ..crate::records::TrainingRecord::default()
        }
    }

    /// Training images in one pass (None for a simulated stream, which never repeats).
    pub fn epoch_len(&self) -> Option<u64> {
        match &self.source {
            TrainSource::Dataset(d) => Some(d.len() as u64),
            TrainSource::Simulated(_) => None,
        }
    }
}

/// An error unless `preset` is one to train on (data_v1, data_v2, data_v3).
pub fn check_training_preset(preset: Preset) -> Result<(), NetError> {
    if matches!(preset, Preset::Snr30 | Preset::Snr60) {
        return Err(NetError::BadInput(
            "train on data_v1, data_v2 or data_v3; snr30 and snr60 are test sets".into(),
        ));
    }
    Ok(())
}

/// The samples `idx` of a dataset (PSF images dropped to one unless every image has its own: only the
/// networks that read the PSF use them, and those are trained on data with one per image).
pub fn subset(data: &Dataset, idx: &[usize]) -> Dataset {
    use ndarray::Axis;
    Dataset {
        img: data.img.select(Axis(0), idx),
        img_nonoise: data.img_nonoise.select(Axis(0), idx),
        label: data.label.select(Axis(0), idx),
        psf_r: data.psf_r.select(Axis(0), idx),
        psf_img: if data.psf_img.len_of(Axis(0)) == data.len() && data.len() > 1 {
            data.psf_img.select(Axis(0), idx)
        } else {
            data.psf_img.select(Axis(0), &[0])
        },
        snr: data.snr.select(Axis(0), idx),
        sigma: data.sigma.select(Axis(0), idx),
        offset: data.offset.as_ref().map(|o| o.select(Axis(0), idx)),
    }
}
