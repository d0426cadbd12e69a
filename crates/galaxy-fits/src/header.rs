//! Header keys: written with their comments on images and tables, read back by name.

use crate::error::FitsError;
use fitsio::hdu::FitsHdu;
use fitsio::FitsFile;
use std::path::Path;

/// A header value.
#[derive(Clone, Debug, PartialEq)]
pub enum KeyValue {
    /// An integer.
    Int(i64),
    /// A real number.
    Real(f64),
    /// A string (at most 68 characters, as FITS allows on one card).
    Text(String),
}

/// A header card to write: its name (at most 8 characters, upper case by convention), value and comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The keyword.
    pub name: String,
    /// Its value.
    pub value: KeyValue,
    /// What it means (may be empty).
    pub comment: String,
}

impl Key {
    /// A real-valued key.
    pub fn real(name: &str, value: f64, comment: &str) -> Key {
        Key::new(name, KeyValue::Real(value), comment)
    }

    /// An integer key.
    pub fn int(name: &str, value: i64, comment: &str) -> Key {
        Key::new(name, KeyValue::Int(value), comment)
    }

    /// A text key.
    pub fn text(name: &str, value: &str, comment: &str) -> Key {
        Key::new(name, KeyValue::Text(value.to_string()), comment)
    }

    fn new(name: &str, value: KeyValue, comment: &str) -> Key {
        Key {
            name: name.to_string(),
            value,
            comment: comment.to_string(),
        }
    }
}

/// Writes `keys` into `hdu`.
pub(crate) fn write_keys(
    hdu: &FitsHdu,
    file: &mut FitsFile,
    keys: &[Key],
) -> Result<(), fitsio::errors::Error> {
    for key in keys {
        let comment = key.comment.as_str();
        match &key.value {
            KeyValue::Int(v) => hdu.write_key(file, &key.name, (*v, comment))?,
            KeyValue::Real(v) => hdu.write_key(file, &key.name, (*v, comment))?,
            KeyValue::Text(v) => hdu.write_key(file, &key.name, (v.clone(), comment))?,
        }
    }
    Ok(())
}

/// The value of key `name` in HDU `hdu` (0 = primary) of `path`, as the header writes it (numbers as
/// written, strings without their quotes), or `None` if the HDU has no such key.
pub fn read_key(path: &Path, hdu: usize, name: &str) -> Result<Option<String>, FitsError> {
    let mut file = crate::file::open(path)?;
    let unit = file
        .hdu(hdu)
        .map_err(|e| FitsError::input(path, format!("has no HDU {hdu} ({e})")))?;
    match unit.read_key::<String>(&mut file, name) {
        Ok(value) => Ok(Some(value)),
        Err(fitsio::errors::Error::Fits(e)) if e.status == 202 => Ok(None),
        Err(e) => Err(FitsError::input(
            path,
            format!("HDU {hdu}: cannot read key {name} ({e})"),
        )),
    }
}
