//! What a shard's output says about itself, so that `galaxy merge` can tell whether parts belong together.
//!
//! A part of a sharded run carries a [`ShardStamp`]: which shard it is, which rows of how many it holds,
//! and the run it belongs to — a fingerprint of the command, its options and its input files. Merging
//! checks the stamps (one run, every shard once, rows that tile the whole) and writes the rows without
//! them, so the merged file is, byte for byte, what the unsharded run writes (which has no stamp).
//!
//! Where the stamp goes: the first line of a CSV (`# galaxy-shard …`, a comment line that the csv crate
//! and pandas skip with `comment='#'`), header keys of a FITS table, the archive comment of an `.npz`
//! (numpy ignores it).

use std::fmt;
use std::fs::File;
use std::hash::Hasher;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

use crate::error::DataError;
use crate::shard::Shard;

/// How much of the start and of the end of an input file its fingerprint reads.
const FINGERPRINT_BYTES: u64 = 1 << 20;

/// The word a stamp starts with.
const STAMP_WORD: &str = "galaxy-shard";

/// Which part of which run a file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardStamp {
    /// The part.
    pub shard: Shard,
    /// The rows (galaxies, images) of the whole input this part holds.
    pub rows: Range<u64>,
    /// Rows of the whole input.
    pub total: u64,
    /// The run's fingerprint ([`run_fingerprint`]), 16 hex digits.
    pub run: String,
}

impl ShardStamp {
    /// What starts a CSV part's first line, the stamp's line.
    pub const CSV_PREFIX: &'static str = "# ";

    /// Writes the stamp as a CSV part's first line (`# galaxy-shard …`), before the header.
    pub fn write_csv_line(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(out, "{}{self}", Self::CSV_PREFIX)
    }

    /// The stamp of `shard` of a `total`-row input in run `run`.
    pub fn new(shard: Shard, total: u64, run: &str) -> ShardStamp {
        ShardStamp {
            shard,
            rows: shard.range(total),
            total,
            run: run.to_string(),
        }
    }

    /// Parses the text [`Display`](fmt::Display) writes: `galaxy-shard K/N rows A..B of T run HEX`.
    pub fn parse(text: &str) -> Option<ShardStamp> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let [word, shard, "rows", rows, "of", total, "run", run] = words.as_slice() else {
            return None;
        };
        if *word != STAMP_WORD {
            return None;
        }
        let shard: Shard = shard.parse().ok()?;
        let (a, b) = rows.split_once("..")?;
        let rows = a.parse().ok()?..b.parse().ok()?;
        let total = total.parse().ok()?;
        (shard.range(total) == rows).then(|| ShardStamp {
            shard,
            rows,
            total,
            run: run.to_string(),
        })
    }
}

impl fmt::Display for ShardStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{STAMP_WORD} {} rows {}..{} of {} run {}",
            self.shard, self.rows.start, self.rows.end, self.total, self.run
        )
    }
}

/// The options that name where a part goes or how fast it runs, not what it computes: left out of a
/// run's fingerprint (each takes a value).
const NOT_OF_THE_RUN: [&str; 4] = ["--shard", "--output", "-o", "--threads"];

/// A fingerprint of a run: 16 hex digits of FNV-1a (64 bit) over the command line `args` (without the
/// program's name) less `--shard`, `--output`/`-o` and `--threads` and their values, with every argument
/// that names an existing file replaced by that file's fingerprint (its length and its first and last
/// MiB), so that the same input under two paths is the same run, and a different file under one path is
/// not. Every task of a Slurm array computes the same value; a rerun after the input changed does not.
///
/// It is a check against mistakes (parts of two runs handed to one merge), not a cryptographic digest.
pub fn run_fingerprint(args: &[String]) -> Result<String, DataError> {
    let mut hash = Fnv1a::default();
    let mut skip_value = false;
    for arg in args {
        if skip_value {
            skip_value = false;
            continue;
        }
        if let Some(option) = NOT_OF_THE_RUN
            .iter()
            .find(|o| arg == *o || arg.starts_with(&format!("{o}=")))
        {
            skip_value = arg == option;
            continue;
        }
        let path = Path::new(arg);
        if path.is_file() {
            hash.write(b"file:");
            file_fingerprint(path, &mut hash)?;
        } else {
            hash.write(b"arg:");
            hash.write(arg.as_bytes());
        }
        hash.write(&[0]);
    }
    Ok(format!("{:016x}", hash.finish()))
}

fn file_fingerprint(path: &Path, hash: &mut Fnv1a) -> Result<(), DataError> {
    let io = |e: std::io::Error| DataError::unopenable(path, e);
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    hash.write(&len.to_le_bytes());
    let mut buffer = Vec::new();
    (&mut file)
        .take(FINGERPRINT_BYTES)
        .read_to_end(&mut buffer)
        .map_err(io)?;
    if len > FINGERPRINT_BYTES {
        file.seek(SeekFrom::Start(
            len.saturating_sub(FINGERPRINT_BYTES).max(FINGERPRINT_BYTES),
        ))
        .map_err(io)?;
        file.read_to_end(&mut buffer).map_err(io)?;
    }
    hash.write(&buffer);
    Ok(())
}

/// FNV-1a, 64 bit (the published offset basis and prime).
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Puts parts in shard order and checks that they belong together: every part stamped, one run, one shard
/// count and total, every shard exactly once. `names[i]` names part i in messages. Returns the order
/// (indices into `stamps`).
pub fn check_parts(
    stamps: &[Option<ShardStamp>],
    names: &[String],
) -> Result<Vec<usize>, DataError> {
    let refuse = |m: String| Err(DataError::BadShard(m));
    let Some(first) = stamps.iter().position(Option::is_some) else {
        return Ok((0..stamps.len()).collect());
    };
    if let Some(i) = stamps.iter().position(Option::is_none) {
        return refuse(format!(
            "{} is not a shard of a sharded run (it has no shard stamp), but {} is: merge the parts of one run",
            names[i], names[first]
        ));
    }
    let stamps: Vec<&ShardStamp> = stamps.iter().flatten().collect();
    let head = stamps[first];
    for (i, s) in stamps.iter().enumerate() {
        if s.run != head.run || s.total != head.total {
            return refuse(format!(
                "{} and {} are parts of different runs (run {} of {} rows, run {} of {} rows)",
                names[first], names[i], head.run, head.total, s.run, s.total
            ));
        }
        if s.shard.count != head.shard.count {
            return refuse(format!(
                "{} is a part of {} shards, {} of {}",
                names[first], head.shard.count, names[i], s.shard.count
            ));
        }
    }
    let count = head.shard.count as usize;
    let mut slot: Vec<Option<usize>> = vec![None; count];
    for (i, s) in stamps.iter().enumerate() {
        let k = s.shard.index as usize;
        if let Some(j) = slot[k] {
            return refuse(format!(
                "shard {}/{count} is given twice: {} and {}",
                k, names[j], names[i]
            ));
        }
        slot[k] = Some(i);
    }
    let missing: Vec<String> = slot
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(k, _)| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return refuse(format!(
            "shard{} {} {} missing from run {} (given: {})",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            if missing.len() == 1 { "is" } else { "are" },
            head.run,
            names.join(", ")
        ));
    }
    Ok(slot.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(k: u64, n: u64, run: &str) -> Option<ShardStamp> {
        Some(ShardStamp::new(Shard::new(k, n).unwrap(), 10, run))
    }

    #[test]
    fn a_stamp_round_trips_through_its_text() {
        let s = ShardStamp::new(Shard::new(2, 4).unwrap(), 10, "00ff");
        assert_eq!(s.to_string(), "galaxy-shard 2/4 rows 5..7 of 10 run 00ff");
        assert_eq!(ShardStamp::parse(&s.to_string()), Some(s));
        assert_eq!(
            ShardStamp::parse("galaxy-shard 2/4 rows 5..8 of 10 run 00ff"),
            None
        );
        assert_eq!(ShardStamp::parse("flux,sersic_index"), None);
    }

    #[test]
    fn parts_are_ordered_and_strays_refused() {
        let names: Vec<String> = (0..4).map(|i| format!("p{i}.csv")).collect();
        let ok = [stamp(2, 3, "a"), stamp(0, 3, "a"), stamp(1, 3, "a")];
        assert_eq!(check_parts(&ok, &names).unwrap(), vec![1, 2, 0]);
        let missing = [stamp(0, 3, "a"), stamp(2, 3, "a")];
        let e = check_parts(&missing, &names).unwrap_err().to_string();
        assert!(e.contains("shard 1/3") && e.contains("missing"), "{e}");
        let twice = [stamp(0, 2, "a"), stamp(0, 2, "a"), stamp(1, 2, "a")];
        let e = check_parts(&twice, &names).unwrap_err().to_string();
        assert!(e.contains("given twice: p0.csv and p1.csv"), "{e}");
        let mixed = [stamp(0, 2, "a"), stamp(1, 2, "b")];
        let e = check_parts(&mixed, &names).unwrap_err().to_string();
        assert!(e.contains("different runs"), "{e}");
        let unstamped = [stamp(0, 2, "a"), None];
        let e = check_parts(&unstamped, &names).unwrap_err().to_string();
        assert!(e.contains("p1.csv is not a shard"), "{e}");
        assert_eq!(check_parts(&[None, None], &names).unwrap(), vec![0, 1]);
    }

    #[test]
    fn the_fingerprint_ignores_where_and_how_fast_but_not_what() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.npz"), dir.path().join("b.npz"));
        std::fs::write(&a, b"same bytes").unwrap();
        std::fs::write(&b, b"same bytes").unwrap();
        let run =
            |v: &[&str]| run_fingerprint(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let a = a.to_str().unwrap();
        let b = b.to_str().unwrap();
        let base = run(&["fit", a, "-o", "x_{shard}.csv", "--shard", "0/4"]).unwrap();
        assert_eq!(
            base,
            run(&["fit", b, "--output=y.csv", "--threads", "3"]).unwrap()
        );
        assert_ne!(
            base,
            run(&["fit", a, "-o", "x.csv", "--noise", "gaussian"]).unwrap()
        );
        std::fs::write(b, b"other bytes").unwrap();
        assert_ne!(base, run(&["fit", b, "-o", "x.csv"]).unwrap());
    }
}
