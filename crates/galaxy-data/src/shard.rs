//! Splitting a dataset into disjoint, contiguous parts.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use crate::error::DataError;

/// Part `index` of `count` (0-based): the samples `[index·N/count, (index+1)·N/count)` of an N-sample set.
///
/// The parts are contiguous and in order, so concatenating the shard files 0, 1, …, count−1 (with
/// [`merge`](crate::merge)) gives exactly the unsharded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which part (0-based).
    pub index: u64,
    /// How many parts.
    pub count: u64,
}

impl Shard {
    /// The whole dataset as one part.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// `template` with "{shard}" replaced by this part's index, zero-padded to the count's width (so
    /// the parts sort in order); a template without it is returned as it is.
    pub fn output_path(&self, template: &std::path::Path) -> std::path::PathBuf {
        let text = template.to_string_lossy();
        if !text.contains("{shard}") {
            return template.to_path_buf();
        }
        let width = (self.count.max(2) - 1).to_string().len();
        std::path::PathBuf::from(text.replace("{shard}", &format!("{:0width$}", self.index)))
    }

    /// Part `index` of `count`; `index` must be below `count`.
    pub fn new(index: u64, count: u64) -> Result<Shard, DataError> {
        if count == 0 {
            return Err(DataError::BadShard(
                "the number of shards must be at least 1".into(),
            ));
        }
        if index >= count {
            return Err(DataError::BadShard(format!(
                "shard index {index} must be below the shard count {count}"
            )));
        }
        Ok(Shard { index, count })
    }

    /// The shard of a Slurm array task: `SLURM_ARRAY_TASK_ID` (minus `SLURM_ARRAY_TASK_MIN`, so arrays
    /// numbered from 1 work) of `SLURM_ARRAY_TASK_COUNT`. `None` when the variables are not set.
    pub fn from_slurm_env() -> Result<Option<Shard>, DataError> {
        Self::from_slurm_vars(|name| std::env::var(name).ok())
    }

    /// [`from_slurm_env`](Self::from_slurm_env) over any variable lookup (for tests).
    pub fn from_slurm_vars(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Shard>, DataError> {
        let (Some(id), Some(count)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT"))
        else {
            return Ok(None);
        };
        let parse = |name: &str, v: &str| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| DataError::BadShard(format!("{name}='{v}' is not a whole number")))
        };
        let id = parse("SLURM_ARRAY_TASK_ID", &id)?;
        let count = parse("SLURM_ARRAY_TASK_COUNT", &count)?;
        let min = match var("SLURM_ARRAY_TASK_MIN") {
            Some(m) => parse("SLURM_ARRAY_TASK_MIN", &m)?,
            None => 0,
        };
        if id < min {
            return Err(DataError::BadShard(format!(
                "SLURM_ARRAY_TASK_ID {id} is below SLURM_ARRAY_TASK_MIN {min}"
            )));
        }
        Shard::new(id - min, count).map(Some)
    }

    /// The sample indices of this part of a `total`-sample dataset.
    pub fn range(&self, total: u64) -> Range<u64> {
        let bound = |k: u64| ((u128::from(k) * u128::from(total)) / u128::from(self.count)) as u64;
        bound(self.index)..bound(self.index + 1)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = DataError;
    /// Parses `K/N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DataError::BadShard(format!("'{s}' is not of the form K/N (e.g. 3/10)"));
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k = k.trim().parse::<u64>().map_err(|_| bad())?;
        let n = n.trim().parse::<u64>().map_err(|_| bad())?;
        Shard::new(k, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_paths_are_zero_padded_to_the_count() {
        let s = Shard {
            index: 3,
            count: 12,
        };
        assert_eq!(
            s.output_path(std::path::Path::new("d_{shard}.npz")),
            std::path::Path::new("d_03.npz")
        );
        assert_eq!(
            s.output_path(std::path::Path::new("d.npz")),
            std::path::Path::new("d.npz")
        );
    }

    #[test]
    fn shards_tile_the_range_in_order() {
        for total in [0u64, 1, 7, 1000, 200_001] {
            for count in [1u64, 2, 3, 10, 64] {
                let mut next = 0;
                for k in 0..count {
                    let r = Shard::new(k, count).unwrap().range(total);
                    assert_eq!(r.start, next);
                    assert!(r.end - r.start <= total / count + 1);
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
    }

    #[test]
    fn parsing_and_slurm() {
        assert_eq!(
            "2/5".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 5 }
        );
        assert!("5/5"
            .parse::<Shard>()
            .unwrap_err()
            .to_string()
            .contains("below the shard count"));
        assert!("2-5".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        let env = |id: &'static str, count: &'static str, min: Option<&'static str>| {
            move |k: &str| match k {
                "SLURM_ARRAY_TASK_ID" => Some(id.to_string()),
                "SLURM_ARRAY_TASK_COUNT" => Some(count.to_string()),
                "SLURM_ARRAY_TASK_MIN" => min.map(str::to_string),
                _ => None,
            }
        };
        assert_eq!(
            Shard::from_slurm_vars(env("3", "10", None)).unwrap(),
            Some(Shard {
                index: 3,
                count: 10
            })
        );
        assert_eq!(
            Shard::from_slurm_vars(env("10", "10", Some("1"))).unwrap(),
            Some(Shard {
                index: 9,
                count: 10
            })
        );
        assert!(Shard::from_slurm_vars(env("x", "10", None)).is_err());
        assert_eq!(Shard::from_slurm_vars(|_| None).unwrap(), None);
    }
}
