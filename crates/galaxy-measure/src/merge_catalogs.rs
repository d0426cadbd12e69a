//! Joining the catalogues of a sharded run (CSV or FITS tables) into the one the unsharded run writes.
//!
//! Each part carries its shard's stamp (`galaxy_data::ShardStamp`): the first line of a CSV, the keys
//! `GXSHARD`, `GXNSHARD`, `GXROW0`, `GXROW1`, `GXTOTAL` and `GXRUN` of a FITS table. The parts are put in
//! shard order and must belong together (one run, every shard once, the same columns, as many rows as
//! their stamps say); the merged catalogue has no stamp and is, byte for byte, what the unsharded run
//! writes: CSV rows are copied as they are, a FITS table is rebuilt from the parts' values and header cards
//! (text columns are as wide as their widest cell over all parts, as in one run).

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use galaxy_data::{check_parts, Shard, ShardStamp};
use galaxy_fits::{read_key, read_table_exact, write_table_with, ColumnData, Key, Table};

use crate::error::MeasureError;
use crate::planes::is_fits_path;

/// The header keys of a FITS part's stamp.
const STAMP_KEYS: [&str; 6] = [
    "GXSHARD", "GXNSHARD", "GXROW0", "GXROW1", "GXTOTAL", "GXRUN",
];

/// The stamp as FITS header keys (for a part's catalogue).
pub fn stamp_keys(stamp: &ShardStamp) -> Vec<Key> {
    vec![
        Key::int(
            "GXSHARD",
            stamp.shard.index as i64,
            "this part's shard (0-based)",
        ),
        Key::int("GXNSHARD", stamp.shard.count as i64, "shards of the run"),
        Key::int(
            "GXROW0",
            stamp.rows.start as i64,
            "first input row of this part",
        ),
        Key::int(
            "GXROW1",
            stamp.rows.end as i64,
            "input row after this part's last",
        ),
        Key::int("GXTOTAL", stamp.total as i64, "rows of the whole input"),
        Key::text(
            "GXRUN",
            &stamp.run,
            "fingerprint of the run (command, options, inputs)",
        ),
    ]
}

fn refuse(message: String) -> MeasureError {
    MeasureError::Input(message)
}

/// Merges the catalogue parts `inputs` into `output` (all CSV, or all FITS tables, as `output`); returns
/// the number of rows. See the module documentation.
pub fn merge_catalogs(inputs: &[PathBuf], output: &Path) -> Result<u64, MeasureError> {
    if inputs.is_empty() {
        return Err(refuse("merge needs at least one input file".into()));
    }
    let fits = is_fits_path(output);
    if let Some(odd) = inputs.iter().find(|p| is_fits_path(p) != fits) {
        return Err(refuse(format!(
            "{} is not a {} catalogue like {}: merge parts of one format",
            odd.display(),
            if fits { "FITS" } else { "CSV" },
            output.display()
        )));
    }
    if fits {
        merge_fits(inputs, output)
    } else {
        merge_csv(inputs, output)
    }
}

fn names(inputs: &[PathBuf]) -> Vec<String> {
    inputs.iter().map(|p| p.display().to_string()).collect()
}

/// A CSV part: its stamp, its header line and where its rows start.
struct CsvPart {
    stamp: Option<ShardStamp>,
    header: String,
    rows_at: u64,
}

fn open_csv(path: &Path) -> Result<BufReader<std::fs::File>, MeasureError> {
    std::fs::File::open(path)
        .map(BufReader::new)
        .map_err(|e| refuse(format!("{}: cannot open ({e})", path.display())))
}

fn read_csv_part(path: &Path) -> Result<CsvPart, MeasureError> {
    let mut reader = open_csv(path)?;
    let bad = |m: String| refuse(format!("{}: {m}", path.display()));
    let mut line = String::new();
    let mut at = reader
        .read_line(&mut line)
        .map_err(|e| bad(e.to_string()))? as u64;
    let mut stamp = None;
    if let Some(comment) = line.strip_prefix(ShardStamp::CSV_PREFIX) {
        stamp = Some(ShardStamp::parse(comment.trim_end()).ok_or_else(|| {
            bad(format!(
                "first line '{}' is not a shard stamp",
                line.trim_end()
            ))
        })?);
        line.clear();
        at += reader
            .read_line(&mut line)
            .map_err(|e| bad(e.to_string()))? as u64;
    }
    if line.trim().is_empty() {
        return Err(bad("no header line (an empty or cut file)".into()));
    }
    Ok(CsvPart {
        stamp,
        header: line,
        rows_at: at,
    })
}

fn merge_csv(inputs: &[PathBuf], output: &Path) -> Result<u64, MeasureError> {
    let parts = inputs
        .iter()
        .map(|p| read_csv_part(p))
        .collect::<Result<Vec<_>, _>>()?;
    let stamps: Vec<Option<ShardStamp>> = parts.iter().map(|p| p.stamp.clone()).collect();
    let order = check_parts(&stamps, &names(inputs)).map_err(|e| refuse(e.to_string()))?;
    let first = &parts[order[0]];
    for &i in &order {
        if parts[i].header != first.header {
            return Err(refuse(format!(
                "{} and {} have different columns:\n  {}\n  {}",
                inputs[order[0]].display(),
                inputs[i].display(),
                first.header.trim_end(),
                parts[i].header.trim_end()
            )));
        }
    }
    // Count each part's records (a quoted cell may hold a line break) against its stamp before writing.
    let mut total = 0u64;
    for &i in &order {
        // The rows after the stamp and the header, read as records (a cell that starts with '#' is data).
        let mut reader = open_csv(&inputs[i])?;
        std::io::copy(
            &mut (&mut reader).take(parts[i].rows_at),
            &mut std::io::sink(),
        )
        .map_err(|e| refuse(format!("{}: {e}", inputs[i].display())))?;
        let records = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(reader)
            .records()
            .try_fold(0u64, |n, r| r.map(|_| n + 1))
            .map_err(|e| refuse(format!("{}: {e}", inputs[i].display())))?;
        if let Some(s) = &parts[i].stamp {
            let expected = s.rows.end - s.rows.start;
            if records != expected {
                return Err(refuse(format!(
                    "{} has {records} rows, but its stamp ({s}) says {expected}: a cut or altered part",
                    inputs[i].display()
                )));
            }
        }
        total += records;
    }
    galaxy_data::atomic::write_with(output, |file| -> Result<(), std::io::Error> {
        let mut out = std::io::BufWriter::new(file);
        out.write_all(first.header.as_bytes())?;
        for &i in &order {
            let mut reader = open_csv(&inputs[i]).map_err(std::io::Error::other)?;
            std::io::copy(
                &mut (&mut reader).take(parts[i].rows_at),
                &mut std::io::sink(),
            )?;
            std::io::copy(&mut reader, &mut out)?;
        }
        out.flush()
    })
    .map_err(|e| MeasureError::Write(e.to_string()))?;
    Ok(total)
}

fn fits_stamp(path: &Path, hdu: usize) -> Result<Option<ShardStamp>, MeasureError> {
    let mut values = Vec::with_capacity(STAMP_KEYS.len());
    for key in STAMP_KEYS {
        values.push(read_key(path, hdu, key)?);
    }
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let bad = || {
        refuse(format!(
            "{}: an incomplete or damaged shard stamp",
            path.display()
        ))
    };
    let text: Vec<String> = values
        .into_iter()
        .map(|v| v.ok_or_else(bad))
        .collect::<Result<_, _>>()?;
    let number = |k: usize| text[k].trim().parse::<u64>().map_err(|_| bad());
    let shard = Shard::new(number(0)?, number(1)?).map_err(|_| bad())?;
    let stamp = ShardStamp {
        shard,
        rows: number(2)?..number(3)?,
        total: number(4)?,
        run: text[5].trim().to_string(),
    };
    (shard.range(stamp.total) == stamp.rows)
        .then_some(Some(stamp))
        .ok_or_else(bad)
}

fn same_kind(a: &ColumnData, b: &ColumnData) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

fn merge_fits(inputs: &[PathBuf], output: &Path) -> Result<u64, MeasureError> {
    let mut parts = Vec::with_capacity(inputs.len());
    for path in inputs {
        let (table, cards, extname) = read_table_exact(path)?;
        // The table is the first extension of our catalogues (HDU 1).
        let stamp = fits_stamp(path, 1)?;
        if let Some(s) = &stamp {
            if table.rows() as u64 != s.rows.end - s.rows.start {
                return Err(refuse(format!(
                    "{} has {} rows, but its stamp says {}: a cut or altered part",
                    path.display(),
                    table.rows(),
                    s.rows.end - s.rows.start
                )));
            }
        }
        let cards: Vec<String> = cards
            .into_iter()
            .filter(|c| !STAMP_KEYS.contains(&c.get(..8).unwrap_or(c).trim_end()))
            .collect();
        parts.push((table, cards, extname, stamp));
    }
    let stamps: Vec<Option<ShardStamp>> = parts.iter().map(|p| p.3.clone()).collect();
    let order = check_parts(&stamps, &names(inputs)).map_err(|e| refuse(e.to_string()))?;
    let head = &parts[order[0]];
    let describe = |t: &Table| {
        t.columns
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    for &i in &order {
        let t = &parts[i].0;
        let same = t.columns.len() == head.0.columns.len()
            && t.columns
                .iter()
                .zip(&head.0.columns)
                .all(|((a, x), (b, y))| a == b && same_kind(x, y));
        if !same || parts[i].1 != head.1 || parts[i].2 != head.2 {
            return Err(refuse(format!(
                "{} and {} have different columns or headers ({} / {})",
                inputs[order[0]].display(),
                inputs[i].display(),
                describe(&head.0),
                describe(t)
            )));
        }
    }
    let mut merged = head.0.clone();
    for &i in &order[1..] {
        for ((_, into), (_, from)) in merged.columns.iter_mut().zip(&parts[i].0.columns) {
            match (into, from) {
                (ColumnData::Real(a), ColumnData::Real(b)) => a.extend_from_slice(b),
                (ColumnData::Int(a), ColumnData::Int(b)) => a.extend_from_slice(b),
                (ColumnData::Text(a), ColumnData::Text(b)) => a.extend_from_slice(b),
                _ => unreachable!("column kinds were checked"),
            }
        }
    }
    write_table_with(output, &head.2, &merged, &[], &head.1)?;
    Ok(merged.rows() as u64)
}
