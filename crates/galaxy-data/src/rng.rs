//! Random streams that depend only on (seed, index): the root of bit-reproducibility.
//!
//! Every sample draws from its own PCG-64 stream whose 128-bit state is a SplitMix64 hash of the dataset
//! seed, a domain tag and the sample's index. No sample consumes another's numbers, so the same seed gives
//! the same sample i whatever the thread count, the batch size or the shard it is written in.

use rand::SeedableRng;
use rand_pcg::Pcg64;

/// Domain tags keep the streams of different purposes apart.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Domain {
    /// The stream of sample i: its parameters, its rejection retries and its noise.
    Sample = 1,
    /// The shuffle of block b of a tiled grid prior.
    GridBlock = 2,
    /// The PSF (and its FWHM) of group g of samples drawn from a PSF family.
    FamilyPsf = 3,
}

/// SplitMix64's finaliser: a bijective 64-bit mix.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of stream `index` in `domain` for a dataset seed.
pub(crate) fn stream(seed: u64, domain: Domain, index: u64) -> Pcg64 {
    let a = mix64(seed ^ mix64(domain as u64));
    let hi = mix64(a ^ mix64(index));
    let lo = mix64(hi ^ a.rotate_left(17) ^ index);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&hi.to_le_bytes());
    bytes[8..16].copy_from_slice(&lo.to_le_bytes());
    // The PCG increment (stream selector) stays fixed: distinct states on one stream are distinct
    // offsets in a 2^128-long sequence, far apart with overwhelming probability.
    bytes[16..24].copy_from_slice(&0xA02B_DBF7_BB3C_0A7Du64.to_le_bytes());
    bytes[24..].copy_from_slice(&0xAC28_FA16_D83B_7C3Fu64.to_le_bytes());
    Pcg64::from_seed(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_depend_on_seed_domain_and_index() {
        let first = |s, d, i| stream(s, d, i).random::<u64>();
        assert_eq!(first(1, Domain::Sample, 5), first(1, Domain::Sample, 5));
        assert_ne!(first(1, Domain::Sample, 5), first(1, Domain::Sample, 6));
        assert_ne!(first(1, Domain::Sample, 5), first(2, Domain::Sample, 5));
        assert_ne!(first(1, Domain::Sample, 5), first(1, Domain::GridBlock, 5));
    }
}
