//! A streaming `.npz` writer: every member grows at once, memory stays bounded, the file appears only
//! when complete.
//!
//! An `.npz` is a zip archive of `.npy` files. The zip crate writes members one after another, but a
//! dataset is produced sample by sample, and each sample adds to all seven members (img, img_nonoise,
//! label, …). Since every member's size is known from the shapes before the first sample, the archive's
//! layout is fixed up front: each member's local header and data sit at known offsets, samples are written
//! in place, CRC-32s accumulate as the data stream past, and the headers and the central directory are
//! written last. Members are *stored* (uncompressed, as `np.savez` does) with zip64 records, so files over
//! 4 GB open in numpy, Python's zipfile and the zip crate alike.
//!
//! The archive is built under a temporary name in the destination folder and renamed into place by
//! [`NpzStreamWriter::finish`]: an interrupted run never leaves a truncated file under the final name.
//! Timestamps are fixed (1980-01-01), so the same arrays always give the same bytes.

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::npy::f32_header;
use crate::error::DataError;

/// Zip "version needed to extract" for zip64.
const ZIP64_VERSION: u16 = 45;
/// MS-DOS date of 1980-01-01 (time 00:00:00 is 0).
const DOS_DATE: u16 = (1 << 5) | 1;
/// Local file header: fixed part + the zip64 extra field (sizes).
const LOCAL_EXTRA_LEN: u16 = 20;
/// Central directory zip64 extra field (sizes and offset).
const CENTRAL_EXTRA_LEN: u16 = 28;

struct Member {
    name: String,
    header_offset: u64,
    data_offset: u64,
    /// Length of the `.npy` bytes (header + data).
    npy_len: u64,
    /// Bytes of the `.npy` written so far.
    written: u64,
    crc: crc32fast::Hasher,
}

/// Writes a stored zip64 `.npz` of float32 arrays whose shapes are known in advance.
pub struct NpzStreamWriter {
    file: NamedTempFile,
    destination: PathBuf,
    members: Vec<Member>,
    central_offset: u64,
    scratch: Vec<u8>,
    comment: String,
}

impl NpzStreamWriter {
    /// Prepares `path` to receive the named float32 arrays (names without `.npy`) of the given shapes.
    ///
    /// The destination's folder must exist; the file is created under a temporary name next to it.
    pub fn create(
        path: &Path,
        arrays: &[(&str, Vec<usize>)],
    ) -> Result<NpzStreamWriter, DataError> {
        crate::atomic::check_folder(path)?;
        if crate::atomic::is_special(path) {
            return Err(DataError::BadSettings(format!(
                "cannot write an .npz to {}: not a regular file (the archive is built in place and renamed)",
                path.display()
            )));
        }
        let folder = crate::atomic::folder_of(path).to_path_buf();
        let stem = path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = tempfile::Builder::new()
            .prefix(&format!(".{stem}."))
            .suffix(".partial")
            .tempfile_in(&folder)
            .map_err(|e| DataError::io(path, e))?;
        let mut offset = 0u64;
        let mut members = Vec::with_capacity(arrays.len());
        for (name, shape) in arrays {
            let name = format!("{name}.npy");
            let header = f32_header(shape);
            let npy_len = header.len() as u64 + 4 * shape.iter().product::<usize>() as u64;
            let header_offset = offset;
            let data_offset = header_offset + 30 + name.len() as u64 + u64::from(LOCAL_EXTRA_LEN);
            offset = data_offset + npy_len;
            let mut member = Member {
                name,
                header_offset,
                data_offset,
                npy_len,
                written: 0,
                crc: crc32fast::Hasher::new(),
            };
            write_at(file.as_file(), member.data_offset, &header)
                .map_err(|e| DataError::io(path, e))?;
            member.crc.update(&header);
            member.written = header.len() as u64;
            members.push(member);
        }
        Ok(NpzStreamWriter {
            file,
            destination: path.to_path_buf(),
            members,
            central_offset: offset,
            scratch: Vec::new(),
            comment: String::new(),
        })
    }

    /// Appends float32 values to member `index` (in the order given to [`create`](Self::create)).
    ///
    /// Each member is written sequentially; appending past a member's size is an error.
    pub fn append(&mut self, index: usize, values: &[f32]) -> Result<(), DataError> {
        let member = &mut self.members[index];
        let bytes = 4 * values.len() as u64;
        if member.written + bytes > member.npy_len {
            return Err(DataError::Format {
                path: self.destination.clone(),
                reason: format!(
                    "too much data for {}: {} bytes over its size",
                    member.name,
                    member.written + bytes - member.npy_len
                ),
            });
        }
        self.scratch.clear();
        self.scratch.reserve(values.len() * 4);
        for v in values {
            self.scratch.extend_from_slice(&v.to_le_bytes());
        }
        write_at(
            self.file.as_file(),
            member.data_offset + member.written,
            &self.scratch,
        )
        .map_err(|e| DataError::io(&self.destination, e))?;
        member.crc.update(&self.scratch);
        member.written += bytes;
        Ok(())
    }

    /// Sets the archive's comment (at most 65,535 bytes; longer is cut), written by [`finish`](Self::finish):
    /// where a shard's stamp goes (numpy ignores it). Without one the comment is empty.
    pub fn set_comment(&mut self, comment: &str) {
        let mut end = comment.len().min(u16::MAX as usize);
        while !comment.is_char_boundary(end) {
            end -= 1;
        }
        self.comment = comment[..end].to_string();
    }

    /// Writes the headers and the central directory, flushes, and renames the file into place.
    ///
    /// Fails, leaving nothing under the destination name, unless every member got exactly its size.
    pub fn finish(self) -> Result<(), DataError> {
        let path = self.destination.clone();
        if let Some(m) = self.members.iter().find(|m| m.written != m.npy_len) {
            return Err(DataError::Format {
                path,
                reason: format!(
                    "{} is incomplete: {} of {} bytes written",
                    m.name, m.written, m.npy_len
                ),
            });
        }
        let io = |e| DataError::io(&path, e);
        let crcs: Vec<u32> = self
            .members
            .iter()
            .map(|m| m.crc.clone().finalize())
            .collect();
        for (m, crc) in self.members.iter().zip(&crcs) {
            write_at(self.file.as_file(), m.header_offset, &local_header(m, *crc)).map_err(io)?;
        }
        let mut out = BufWriter::new(self.file.as_file());
        out.seek(SeekFrom::Start(self.central_offset)).map_err(io)?;
        let mut central_len = 0u64;
        for (m, crc) in self.members.iter().zip(&crcs) {
            let entry = central_header(m, *crc);
            central_len += entry.len() as u64;
            out.write_all(&entry).map_err(io)?;
        }
        out.write_all(&end_records(
            self.members.len() as u64,
            central_len,
            self.central_offset,
            self.comment.as_bytes(),
        ))
        .map_err(io)?;
        out.flush().map_err(io)?;
        drop(out);
        self.file.as_file().sync_all().map_err(io)?;
        make_world_readable(self.file.as_file()).map_err(io)?;
        self.file
            .persist(&path)
            .map_err(|e| DataError::io(&path, e.error))?;
        Ok(())
    }
}

/// Temporary files are created private (0600); a dataset is meant to be shared like any other output.
#[cfg(unix)]
pub(crate) fn make_world_readable(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

/// Temporary files are created private; elsewhere than on Unix the defaults already suit.
#[cfg(not(unix))]
pub(crate) fn make_world_readable(_file: &File) -> std::io::Result<()> {
    Ok(())
}

fn write_at(file: &File, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = file;
    f.seek(SeekFrom::Start(offset))?;
    f.write_all(bytes)
}

fn local_header(m: &Member, crc: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(30 + m.name.len() + LOCAL_EXTRA_LEN as usize);
    h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    h.extend_from_slice(&ZIP64_VERSION.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes()); // flags
    h.extend_from_slice(&0u16.to_le_bytes()); // stored
    h.extend_from_slice(&0u16.to_le_bytes()); // time
    h.extend_from_slice(&DOS_DATE.to_le_bytes());
    h.extend_from_slice(&crc.to_le_bytes());
    h.extend_from_slice(&u32::MAX.to_le_bytes()); // sizes in the zip64 extra field
    h.extend_from_slice(&u32::MAX.to_le_bytes());
    h.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
    h.extend_from_slice(&LOCAL_EXTRA_LEN.to_le_bytes());
    h.extend_from_slice(m.name.as_bytes());
    h.extend_from_slice(&1u16.to_le_bytes()); // zip64 extra: tag, size, uncompressed, compressed
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(&m.npy_len.to_le_bytes());
    h.extend_from_slice(&m.npy_len.to_le_bytes());
    h
}

fn central_header(m: &Member, crc: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(46 + m.name.len() + CENTRAL_EXTRA_LEN as usize);
    h.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    h.extend_from_slice(&ZIP64_VERSION.to_le_bytes()); // made by
    h.extend_from_slice(&ZIP64_VERSION.to_le_bytes()); // needed
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&DOS_DATE.to_le_bytes());
    h.extend_from_slice(&crc.to_le_bytes());
    h.extend_from_slice(&u32::MAX.to_le_bytes());
    h.extend_from_slice(&u32::MAX.to_le_bytes());
    h.extend_from_slice(&(m.name.len() as u16).to_le_bytes());
    h.extend_from_slice(&CENTRAL_EXTRA_LEN.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes()); // comment
    h.extend_from_slice(&0u16.to_le_bytes()); // disk
    h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
    h.extend_from_slice(&u32::MAX.to_le_bytes()); // offset in the zip64 extra field
    h.extend_from_slice(m.name.as_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&24u16.to_le_bytes());
    h.extend_from_slice(&m.npy_len.to_le_bytes());
    h.extend_from_slice(&m.npy_len.to_le_bytes());
    h.extend_from_slice(&m.header_offset.to_le_bytes());
    h
}

/// Zip64 end-of-central-directory record and locator, then the classic end record pointing to them.
fn end_records(entries: u64, central_len: u64, central_offset: u64, comment: &[u8]) -> Vec<u8> {
    let zip64_end_offset = central_offset + central_len;
    let mut h = Vec::with_capacity(56 + 20 + 22);
    h.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
    h.extend_from_slice(&44u64.to_le_bytes());
    h.extend_from_slice(&ZIP64_VERSION.to_le_bytes());
    h.extend_from_slice(&ZIP64_VERSION.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&entries.to_le_bytes());
    h.extend_from_slice(&entries.to_le_bytes());
    h.extend_from_slice(&central_len.to_le_bytes());
    h.extend_from_slice(&central_offset.to_le_bytes());
    h.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&zip64_end_offset.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&0u16.to_le_bytes());
    h.extend_from_slice(&(entries as u16).to_le_bytes());
    h.extend_from_slice(&(entries as u16).to_le_bytes());
    h.extend_from_slice(&u32::MAX.to_le_bytes());
    h.extend_from_slice(&u32::MAX.to_le_bytes());
    h.extend_from_slice(&(comment.len() as u16).to_le_bytes());
    h.extend_from_slice(comment);
    h
}
