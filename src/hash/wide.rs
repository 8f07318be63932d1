//! The 64-bit hashes of the systems whose rings have 64-bit points (compat `"ats"` and `"envoy"`), each written
//! from its published definition. Apache Traffic Server's `ATSHash64Sip24` is SipHash-2-4 under the all-zero
//! key, which is [`super::siphash24`] with [`ATS_SIP_KEY`].

use super::Secret;

/// `ATSHash64Sip24()`'s key: both halves 0 (`src/tscore/HashSip.cc`, the default constructor).
pub const ATS_SIP_KEY: Secret = Secret([0; 16]);

/// Envoy's `MurmurHash::STD_HASH_SEED` (`source/common/common/hash.h`), the seed libstdc++'s `std::hash`
/// passes to `_Hash_bytes`.
pub const STD_HASH_SEED: u64 = 0xc70f_6907;

/// XXH64 (Yann Collet's xxHash, 64-bit variant) with a seed: Envoy's `HashUtil::xxHash64`.
#[inline]
pub fn xxh64(data: &[u8], seed: u64) -> u64 {
    xxhash_rust::xxh64::xxh64(data, seed)
}

/// The 64-bit MurmurHash2 of libstdc++'s `_Hash_bytes` (`libsupc++/hash_bytes.cc`), which Envoy's
/// `MurmurHash::murmurHash2` reproduces: 8-byte little-endian words, each pre-mixed; the tail as one
/// little-endian word; two final shift-mixes.
pub fn murmur2_64(data: &[u8], seed: u64) -> u64 {
    // MurmurHash64A's multiplier (Austin Appleby).
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    let shift_mix = |v: u64| v ^ (v >> 47);
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        let k = shift_mix(u64::from_le_bytes(b).wrapping_mul(M)).wrapping_mul(M);
        h = (h ^ k).wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        let mut b = [0u8; 8];
        b[..tail.len()].copy_from_slice(tail);
        h = (h ^ u64::from_le_bytes(b)).wrapping_mul(M);
    }
    shift_mix(shift_mix(h).wrapping_mul(M))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xxh64_published_vectors() {
        // xxHash's own sanity values: the empty input and "a" with seed 0.
        assert_eq!(xxh64(b"", 0), 0xef46_db37_51d8_e999);
        assert_eq!(xxh64(b"a", 0), 0xd24e_c4f1_a98c_6e5b);
    }

    #[test]
    fn murmur2_matches_envoy_ring_points() {
        // BasicWithMurmur2 in Envoy's test/extensions/load_balancing_policies/ring_hash/ring_hash_lb_test.cc:
        // the ring holds two points per host, "<address>_0" and "<address>_1"; these two are the ones the test
        // looks keys up against (hosts 85 and 82).
        let pts: Vec<u64> = ["127.0.0.1:85_0", "127.0.0.1:85_1"]
            .iter()
            .map(|s| murmur2_64(s.as_bytes(), STD_HASH_SEED))
            .collect();
        assert!(pts.contains(&1_358_027_074_129_602_068), "{pts:?}");
        let pts: Vec<u64> = ["127.0.0.1:82_0", "127.0.0.1:82_1"]
            .iter()
            .map(|s| murmur2_64(s.as_bytes(), STD_HASH_SEED))
            .collect();
        assert!(pts.contains(&10_150_910_876_324_007_731), "{pts:?}");
    }
}
