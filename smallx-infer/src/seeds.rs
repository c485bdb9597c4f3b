//! Independent, reproducible seeds for chunks, chains and particles.

/// SplitMix64: a well-mixed 64-bit value from `seed` and `stream`, so that nearby inputs give
/// unrelated generator seeds.
pub fn derive(seed: u64, stream: u64) -> u64 {
    let mut z = seed
        ^ stream
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
