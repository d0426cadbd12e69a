//! Writing a simulated dataset to disk with bounded memory.

use std::ops::Range;
use std::path::Path;
use std::sync::mpsc::sync_channel;
use std::time::Instant;

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::npz::NpzStreamWriter;
use crate::simulate::{Sample, Simulator};

/// Samples simulated (in parallel) per step; with the writer's queue of two steps, at most about
/// 4 x 256 samples (≈ 50 MB of 64 x 64 images) are in memory whatever the dataset's size.
const CHUNK: u64 = 256;

/// Where a write stands, reported after every chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Samples simulated so far.
    pub done: u64,
    /// Samples to simulate in all.
    pub total: u64,
    /// Draws rejected by the SNR window so far.
    pub rejected: u64,
}

/// What a finished write did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WriteSummary {
    /// Samples written.
    pub accepted: u64,
    /// Draws rejected by the SNR window.
    pub rejected: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl WriteSummary {
    /// Samples written per second.
    pub fn images_per_second(&self) -> f64 {
        self.accepted as f64 / self.seconds.max(1e-9)
    }
}

/// Simulates the samples `range` of `sim` and writes them to `path` as an `.npz` in the seed's layout.
///
/// Sample i of the file is `sim.sample(range.start + i)`. Simulation runs on the current rayon pool while
/// a second thread writes the previous chunk; memory stays bounded whatever the range's length. The file
/// is built under a temporary name and appears under `path` only when complete.
pub fn write_dataset(
    sim: &Simulator,
    range: Range<u64>,
    path: &Path,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<WriteSummary, DataError> {
    write_dataset_stamped(sim, range, path, None, on_progress)
}

/// [`write_dataset`] for a shard's part: `stamp` goes into the archive's comment, where
/// [`merge`](crate::merge) checks it.
pub fn write_dataset_stamped(
    sim: &Simulator,
    range: Range<u64>,
    path: &Path,
    stamp: Option<&crate::part::ShardStamp>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<WriteSummary, DataError> {
    let started = Instant::now();
    let total = range.end.saturating_sub(range.start);
    if total == 0 {
        return Err(DataError::BadSettings(
            "a dataset needs at least one sample".into(),
        ));
    }
    let size = sim.settings().stamp.width;
    let single_psf = sim.fixed_psf_image().is_some();
    let offsets = sim.settings().psf_family.is_some();
    let mut shapes = Dataset::shapes(total as usize, size, single_psf);
    if offsets {
        // Off-centre galaxies: their offsets follow the seed's arrays.
        shapes.push((crate::dataset::OFFSET_KEY, vec![total as usize, 2]));
    }
    let mut writer = NpzStreamWriter::create(path, &shapes)?;
    if let Some(psf) = sim.fixed_psf_image() {
        writer.append(4, psf.as_slice().expect("rendered images are contiguous"))?;
    }
    let mut rejected = 0u64;
    let writer = std::thread::scope(|scope| -> Result<NpzStreamWriter, DataError> {
        let (tx, rx) = sync_channel::<Vec<Sample>>(2);
        let handle = scope.spawn(move || -> Result<NpzStreamWriter, DataError> {
            for chunk in rx {
                append_samples(&mut writer, &chunk, single_psf)?;
            }
            Ok(writer)
        });
        let mut outcome = Ok(());
        let mut start = range.start;
        while start < range.end {
            let end = (start + CHUNK).min(range.end);
            match sim.samples(start..end) {
                Ok(samples) => {
                    rejected += samples.iter().map(|s| u64::from(s.rejected)).sum::<u64>();
                    if tx.send(samples).is_err() {
                        break; // the writer failed; its error is returned below
                    }
                }
                Err(e) => {
                    outcome = Err(e);
                    break;
                }
            }
            on_progress(Progress {
                done: end - range.start,
                total,
                rejected,
            });
            start = end;
        }
        drop(tx);
        let writer = handle
            .join()
            .map_err(|_| DataError::io(path, "the writer thread panicked"))?;
        outcome.and(writer)
    })?;
    let mut writer = writer;
    if let Some(stamp) = stamp {
        writer.set_comment(&stamp.to_string());
    }
    writer.finish()?;
    Ok(WriteSummary {
        accepted: total,
        rejected,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn append_samples(
    writer: &mut NpzStreamWriter,
    samples: &[Sample],
    single_psf: bool,
) -> Result<(), DataError> {
    let mut buf: Vec<f32> = Vec::new();
    let mut put =
        |writer: &mut NpzStreamWriter, k: usize, fill: &dyn Fn(&Sample, &mut Vec<f32>)| {
            buf.clear();
            for s in samples {
                fill(s, &mut buf);
            }
            writer.append(k, &buf)
        };
    fn contiguous(a: &ndarray::Array2<f32>) -> &[f32] {
        // Images are made by mapv/clone of standard-layout renders, hence contiguous.
        a.as_slice().expect("rendered images are contiguous")
    }
    put(writer, 0, &|s, b| b.extend_from_slice(contiguous(&s.img)))?;
    put(writer, 1, &|s, b| {
        b.extend_from_slice(contiguous(&s.img_nonoise))
    })?;
    put(writer, 2, &|s, b| {
        b.extend(s.label().iter().map(|&v| v as f32))
    })?;
    put(writer, 3, &|s, b| b.push(s.psf_fwhm as f32))?;
    if !single_psf {
        put(writer, 4, &|s, b| {
            b.extend_from_slice(contiguous(&s.psf_img))
        })?;
    }
    put(writer, 5, &|s, b| b.push(s.snr as f32))?;
    put(writer, 6, &|s, b| b.push(s.sigma as f32))?;
    if samples.first().is_some_and(|s| s.offset.is_some()) {
        put(writer, 7, &|s, b| {
            b.extend(s.offset.unwrap_or_default().iter().map(|&v| v as f32))
        })?;
    }
    Ok(())
}
