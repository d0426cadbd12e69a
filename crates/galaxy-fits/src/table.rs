//! Binary tables: a catalogue in, a catalogue out. Numeric columns are read as f64 whatever their FITS type
//! (cfitsio converts), text columns as strings; written as float64 (D), int64 (K) or text (A) columns in a
//! BINTABLE extension after an empty primary HDU, atomically.

use crate::error::FitsError;
use crate::header::{write_keys, Key};
use fitsio::hdu::HduInfo;
use fitsio::tables::{ColumnDataType, ColumnDescription};
use fitsio::FitsFile;
use std::path::Path;

/// The values of one column.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnData {
    /// Real numbers (written as float64).
    Real(Vec<f64>),
    /// Integers (written as int64).
    Int(Vec<i64>),
    /// Strings.
    Text(Vec<String>),
}

impl ColumnData {
    /// Its number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Real(v) => v.len(),
            ColumnData::Int(v) => v.len(),
            ColumnData::Text(v) => v.len(),
        }
    }

    /// Whether it has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A table: named columns of equal length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    /// The columns, in order.
    pub columns: Vec<(String, ColumnData)>,
}

impl Table {
    /// The column called `name`, if there is one.
    pub fn column(&self, name: &str) -> Option<&ColumnData> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// Its number of rows (0 without columns).
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |(_, c)| c.len())
    }
}

/// Writes `table` as the BINTABLE extension `extname` of a new file `path`, with `keys` in its header. The
/// file appears complete or not at all.
pub fn write_table(
    path: &Path,
    extname: &str,
    table: &Table,
    keys: &[Key],
) -> Result<(), FitsError> {
    write_table_with(path, extname, table, keys, &[])
}

/// [`write_table`] with raw header `cards` (80-character records, as [`read_table_exact`] returns them)
/// after `keys`: how a merge of catalogue parts carries their headers over unchanged.
pub fn write_table_with(
    path: &Path,
    extname: &str,
    table: &Table,
    keys: &[Key],
    cards: &[String],
) -> Result<(), FitsError> {
    let rows = table.rows();
    if let Some((name, column)) = table.columns.iter().find(|(_, c)| c.len() != rows) {
        return Err(FitsError::write(
            path,
            format!(
                "column {name} has {} rows, the first has {rows}",
                column.len()
            ),
        ));
    }
    crate::file::write_atomically(path, |partial| {
        let mut file = FitsFile::create(partial).open()?;
        let file = &mut file;
        let descriptions = table
            .columns
            .iter()
            .map(|(name, data)| {
                let mut description = ColumnDescription::new(name);
                match data {
                    ColumnData::Real(_) => description.with_type(ColumnDataType::Double),
                    ColumnData::Int(_) => description.with_type(ColumnDataType::LongLong),
                    ColumnData::Text(values) => {
                        let width = values.iter().map(|s| s.len()).max().unwrap_or(0).max(1);
                        description
                            .with_type(ColumnDataType::String)
                            .that_repeats(width)
                    }
                };
                description.create()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let hdu = file.create_table(extname, &descriptions)?;
        for (name, data) in &table.columns {
            match data {
                ColumnData::Real(v) => hdu.write_col(file, name, v)?,
                ColumnData::Int(v) => hdu.write_col(file, name, v)?,
                ColumnData::Text(v) => hdu.write_col(file, name, v)?,
            };
        }
        write_keys(&hdu, file, keys)?;
        crate::cards::write_cards(file, cards)
    })
}

/// Reads the first binary table of `path` as it was written: integer columns as [`ColumnData::Int`],
/// reals as [`ColumnData::Real`], text as [`ColumnData::Text`] (logical and bit columns are refused),
/// with the header's cards other than the table's layout (TTYPEn, TFORMn, NAXISn, …) in order, and its
/// extension name. Written back with [`write_table_with`], the same rows give the same file.
pub fn read_table_exact(path: &Path) -> Result<(Table, Vec<String>, String), FitsError> {
    let (table, index, mut file) = read_first_table(path, true)?;
    let hdu = file
        .hdu(index)
        .map_err(|e| FitsError::input(path, format!("HDU {index}: {e}")))?;
    let extname = hdu
        .read_key::<String>(&mut file, "EXTNAME")
        .unwrap_or_default();
    let cards = crate::cards::read_cards(&mut file).map_err(|e| {
        FitsError::input(path, format!("HDU {index}: cannot read its header ({e})"))
    })?;
    Ok((table, cards, extname))
}

/// Reads the first binary or ASCII table of `path`, with the index of its HDU.
pub fn read_table(path: &Path) -> Result<(Table, usize), FitsError> {
    let (table, index, _) = read_first_table(path, false)?;
    Ok((table, index))
}

/// The first table of `path`, its HDU's index and the open file. `exact`: integer columns stay integers and
/// logical columns are refused; otherwise every numeric column is read as reals and logical ones are skipped.
fn read_first_table(path: &Path, exact: bool) -> Result<(Table, usize, FitsFile), FitsError> {
    let mut file = crate::file::open(path)?;
    let hdus: Vec<_> = file.iter().collect();
    for (index, hdu) in hdus.into_iter().enumerate() {
        let HduInfo::TableInfo {
            column_descriptions,
            ..
        } = &hdu.info
        else {
            continue;
        };
        let mut table = Table::default();
        for description in column_descriptions {
            let name = description.name.as_str();
            let read_error = |e| {
                FitsError::input(
                    path,
                    format!("HDU {index}: cannot read column {name} ({e})"),
                )
            };
            use ColumnDataType as T;
            let data = match description.data_type.typ {
                T::String | T::Text => ColumnData::Text(
                    hdu.read_col::<String>(&mut file, name)
                        .map_err(read_error)?,
                ),
                T::Logical | T::Bit if !exact => continue,
                T::Logical | T::Bit => {
                    return Err(FitsError::input(
                        path,
                        format!("HDU {index}: column {name} is logical; not a catalogue of ours"),
                    ))
                }
                T::Byte
                | T::SignedByte
                | T::Short
                | T::UnsignedShort
                | T::Int
                | T::Long
                | T::UnsignedLong
                | T::LongLong
                | T::UnsignedLongLong
                    if exact =>
                {
                    ColumnData::Int(hdu.read_col::<i64>(&mut file, name).map_err(read_error)?)
                }
                _ => ColumnData::Real(hdu.read_col::<f64>(&mut file, name).map_err(read_error)?),
            };
            table.columns.push((name.to_string(), data));
        }
        return Ok((table, index, file));
    }
    Err(FitsError::input(path, "holds no table"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::header::read_key;

    #[test]
    fn an_exact_read_written_back_gives_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.fits"), dir.path().join("b.fits"));
        let table = Table {
            columns: vec![
                (
                    "id".into(),
                    ColumnData::Text(vec!["g1".into(), "galaxy 22".into()]),
                ),
                ("flux".into(), ColumnData::Real(vec![1.25e5, f64::NAN])),
                ("iterations".into(), ColumnData::Int(vec![12, -3])),
            ],
        };
        let keys = [
            Key::text("TUNIT2", "counts", "unit"),
            Key::real("PIXSCALE", 0.396, "arcsec per pixel"),
            Key::text("INPUT", "field.fits", "measured image"),
        ];
        write_table(&a, "CATALOG", &table, &keys).unwrap();
        let (back, cards, extname) = read_table_exact(&a).unwrap();
        assert_eq!(extname, "CATALOG");
        assert_eq!(back.column("iterations"), table.column("iterations"));
        assert_eq!(cards.len(), 3, "{cards:?}");
        assert!(cards[1].starts_with("PIXSCALE= "), "{cards:?}");
        write_table_with(&b, &extname, &back, &[], &cards).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    }

    #[test]
    fn a_catalogue_round_trips_with_its_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalogue.fits");
        let table = Table {
            columns: vec![
                (
                    "id".into(),
                    ColumnData::Text(vec!["a".into(), "bb".into(), "NGC 3073".into()]),
                ),
                ("x".into(), ColumnData::Real(vec![1.5, -2.25, 1e300])),
                ("flags".into(), ColumnData::Int(vec![0, 3, i64::MAX])),
            ],
        };
        let keys = [Key::text("HLRUNIT", "arcsec", "unit of half_light_radius")];
        write_table(&path, "FITS", &table, &keys).unwrap();
        let (back, hdu) = read_table(&path).unwrap();
        assert_eq!(hdu, 1);
        assert_eq!(back.rows(), 3);
        assert_eq!(back.column("id"), table.column("id"));
        assert_eq!(back.column("x"), table.column("x"));
        // Integer columns come back as reals (every numeric column does).
        assert_eq!(
            back.column("flags"),
            Some(&ColumnData::Real(vec![0.0, 3.0, i64::MAX as f64]))
        );
        assert_eq!(
            read_key(&path, 1, "HLRUNIT").unwrap().as_deref(),
            Some("arcsec")
        );
        assert!(read_table(&dir.path().join("none.fits"))
            .unwrap_err()
            .is_bad_input());
    }

    #[test]
    fn ragged_tables_and_images_without_tables_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ragged.fits");
        let ragged = Table {
            columns: vec![
                ("a".into(), ColumnData::Real(vec![1.0, 2.0])),
                ("b".into(), ColumnData::Real(vec![1.0])),
            ],
        };
        let e = write_table(&path, "T", &ragged, &[]).unwrap_err();
        assert!(e.to_string().contains("column b has 1 rows"), "{e}");
        assert!(!path.exists());
        let image = dir.path().join("image.fits");
        crate::image::write_image(
            &image,
            ndarray::ArrayD::zeros(ndarray::IxDyn(&[2, 2])).view(),
            &[],
        )
        .unwrap();
        let e = read_table(&image).unwrap_err();
        assert!(
            e.is_bad_input() && e.to_string().contains("holds no table"),
            "{e}"
        );
    }
}
