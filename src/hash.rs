//! The named hashes used by the hashing strategies.
//!
//! Keys are hashed as their bytes (a JS string as its UTF-8 encoding) with **XXH3-64** (xxHash 0.8,
//! `XXH3_64bits_withSeed`), seeded with the Router's `seed` option, 0 when absent. Ring points use the same
//! function over `id-bytes ‖ 0xFF ‖ index as u32 little-endian`. The 0xFF byte never occurs in UTF-8, so no
//! (id, index) pair can be confused with another one. These definitions are part of the mapping contract: any
//! implementation that follows them reproduces our rings bit for bit (the golden vectors pin them).

use crate::config::MAX_ID_BYTES;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The seed used when the options give none.
pub const DEFAULT_SEED: u64 = 0;

/// Separator between a node id and a point index in point hashes; not a valid byte of UTF-8.
pub const POINT_SEPARATOR: u8 = 0xFF;

/// Hash of a request key.
#[inline]
pub fn key_hash(key: &[u8], seed: u64) -> u64 {
    xxh3_64_with_seed(key, seed)
}

/// Hash of ring point `index` of the node `id`.
pub fn point_hash(id: &[u8], index: u32, seed: u64) -> u64 {
    debug_assert!(id.len() <= MAX_ID_BYTES);
    let mut buf = [0u8; MAX_ID_BYTES + 5];
    let n = id.len().min(MAX_ID_BYTES);
    buf[..n].copy_from_slice(&id[..n]);
    buf[n] = POINT_SEPARATOR;
    buf[n + 1..n + 5].copy_from_slice(&index.to_le_bytes());
    xxh3_64_with_seed(&buf[..n + 5], seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values of XXH3-64 from the xxHash project's published sanity checks (seed 0 on the empty
    // input) pin that we call the function we name.
    #[test]
    fn xxh3_is_the_published_function() {
        assert_eq!(key_hash(b"", 0), 0x2D06_8005_38D3_94C2);
    }

    #[test]
    fn point_hash_layout() {
        let mut manual = b"node-a".to_vec();
        manual.push(0xFF);
        manual.extend_from_slice(&7u32.to_le_bytes());
        assert_eq!(point_hash(b"node-a", 7, 42), xxh3_64_with_seed(&manual, 42));
        assert_ne!(point_hash(b"node-a", 7, 42), point_hash(b"node-a", 7, 43));
    }
}
