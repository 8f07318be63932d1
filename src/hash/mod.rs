//! Layer 1: every hash the crate computes, named and documented.
//!
//! This file: the default ones ([`xxh3_key`], ring point hashes, SipHash for `secret`, the 64-bit mixers) and
//! [`KeyHasher`], the choice a Router makes once. [`murmur3`]: compat redis's 32-bit hashes. [`systems`]: the
//! other systems' 32-bit key hashes (CRC32, MD5, twemproxy's, HAProxy's) that the compat profiles reproduce.
//! [`wide`]: the 64-bit ones of compat ats and envoy (XXH64, libstdc++'s MurmurHash2, ATS's zero-key SipHash).
//!
//! Keys are hashed as their bytes (a JS string as its UTF-8 encoding) with **XXH3-64** (xxHash 0.8,
//! `XXH3_64bits_withSeed`), seeded with the Router's `seed` option, 0 when absent. Ring point `i` of a node is
//! XXH3-64 of `d ‖ i` (u64 and u32, little-endian) where `d` is XXH3-64 of `id-bytes ‖ 0xFF`, all with the same
//! seed. The 0xFF byte never occurs in UTF-8, so an id digest cannot be confused with a key's hash input. These definitions are part of the mapping contract: any
//! implementation that follows them reproduces our rings bit for bit (the golden vectors pin them).
//!
//! With the `secret` option, keys are hashed instead with **SipHash-2-4** (Aumasson & Bernstein, "SipHash: a
//! fast short-input PRF", INDOCRYPT 2012) under the 128-bit secret. SipHash is a pseudorandom function: without
//! the secret, an attacker cannot predict which node a key maps to, so cannot craft keys that pile onto one
//! origin (hash flooding). XXH3 makes no such claim, even seeded.
//!
//! [`mix64`] combines two 64-bit hashes into one (rendezvous scores, jump's rehashes, maglev's probe stride).

pub mod murmur3;
pub mod systems;
pub mod wide;

use crate::base::limits::MAX_ID_BYTES;
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The seed used when the options give none.
pub const DEFAULT_SEED: u64 = 0;

/// Separator between a node id and a point index in point hashes; not a valid byte of UTF-8.
pub const POINT_SEPARATOR: u8 = 0xFF;

/// Hash of a request key.
#[inline]
pub fn xxh3_key(key: &[u8], seed: u64) -> u64 {
    xxh3_64_with_seed(key, seed)
}

/// Hash of ring point `index` of the node `id`: XXH3-64(seed, d ‖ index as u32 LE) where
/// d = XXH3-64(seed, id ‖ 0xFF) as u64 LE. Hashing the 12-byte (digest, index) pair rather than the id for every
/// point takes XXH3's short-input path, which makes building a 1000-node ring about three times faster.
pub fn point_hash(id: &[u8], index: u32, seed: u64) -> u64 {
    PointHasher::new(id, seed).hash(index)
}

/// [`point_hash`] for many points of one node: the id digest is computed once, and so is every part of XXH3's
/// 9-to-16-byte path that depends only on it and the seed. The input is `d ‖ i` (12 bytes): XXH3 reads its first
/// 8 bytes (`d`, fixed per node) and its last 8 (`d`'s high half and `i`). `tests` check it against
/// `xxh3_64_with_seed` of the 12 bytes.
pub struct PointHasher {
    /// The first 8 input bytes XOR'd with `bitflip1` (XXH3's `input_lo`).
    lo: u64,
    /// The part of `input_hi` that `d`'s high half and `bitflip2` give (the index fills the top 32 bits).
    hi_base: u64,
    /// `12 + swap(input_lo)`: the part of the accumulator that does not depend on the index.
    acc_base: u64,
}

/// XXH3's default secret (xxHash 0.8, `XXH3_kSecret`), the words the 9-to-16-byte path reads: bytes 24..32 XOR
/// 32..40, and 40..48 XOR 48..56, as little-endian u64s. `bitflip1` is the first plus the seed, `bitflip2` the
/// second minus it (`XXH3_len_9to16_64b`).
const SECRET_24_32: u64 = 0x6782_737b_ea42_39b9;
const SECRET_40_48: u64 = 0xaf56_bc3b_0996_523a;

impl PointHasher {
    pub fn new(id: &[u8], seed: u64) -> PointHasher {
        debug_assert!(id.len() <= MAX_ID_BYTES);
        let mut tagged = [0u8; MAX_ID_BYTES + 1];
        let n = id.len().min(MAX_ID_BYTES);
        tagged[..n].copy_from_slice(&id[..n]);
        tagged[n] = POINT_SEPARATOR;
        let digest = xxh3_64_with_seed(&tagged[..n + 1], seed);
        let lo = digest ^ SECRET_24_32.wrapping_add(seed);
        PointHasher {
            lo,
            hi_base: (digest >> 32) ^ SECRET_40_48.wrapping_sub(seed),
            acc_base: 12u64.wrapping_add(lo.swap_bytes()),
        }
    }

    /// XXH3-64 of `d ‖ index` (`XXH3_len_9to16_64b` with the parts above precomputed).
    #[inline]
    pub fn hash(&mut self, index: u32) -> u64 {
        let hi = self.hi_base ^ ((index as u64) << 32);
        let acc = self.acc_base.wrapping_add(hi).wrapping_add(mul_fold64(self.lo, hi));
        // XXH3_avalanche: the multiplier is XXH3's PRIME_MX1.
        let h = (acc ^ (acc >> 37)).wrapping_mul(0x1656_6791_9E37_79F9);
        h ^ (h >> 32)
    }
}

/// The 128-bit product of `a` and `b`, its low half XOR its high half (XXH3's `XXH3_mul128_fold64`). On wasm32,
/// `u128` multiplication is a call to compiler-rt's general `__multi3`; four 32×32-bit products are faster there
/// (a 1000-node ring build spent 8.5% of its time in `__multi3`).
#[inline]
fn mul_fold64(a: u64, b: u64) -> u64 {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let p = (a as u128) * (b as u128);
        p as u64 ^ (p >> 64) as u64
    }
    #[cfg(target_arch = "wasm32")]
    {
        mul_fold64_halves(a, b)
    }
}

/// [`mul_fold64`] from 32-bit halves (the schoolbook product, as XXH3's portable `XXH_mult64to128`).
#[cfg_attr(not(any(test, target_arch = "wasm32")), allow(dead_code))]
#[inline]
fn mul_fold64_halves(a: u64, b: u64) -> u64 {
    let (a0, a1, b0, b1) = (a & 0xffff_ffff, a >> 32, b & 0xffff_ffff, b >> 32);
    let lo_lo = a0 * b0;
    let hi_lo = a1 * b0;
    let lo_hi = a0 * b1;
    let hi_hi = a1 * b1;
    let cross = (lo_lo >> 32) + (hi_lo & 0xffff_ffff) + lo_hi;
    let upper = (hi_lo >> 32) + (cross >> 32) + hi_hi;
    let lower = (cross << 32) | (lo_lo & 0xffff_ffff);
    lower ^ upper
}

/// A 128-bit key for [`siphash24`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secret(pub [u8; 16]);

/// How a Router hashes request keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyHasher {
    /// XXH3-64 with a seed (the default).
    Xxh3(u64),
    /// Keyed SipHash-2-4 (the `secret` option).
    Sip(Secret),
    /// MurmurHash3_x86_32, zero-extended (`compat: "redis"`; see [`murmur3`]).
    Murmur3(u32),
    /// Another system's 32-bit key hash, zero-extended (`compat: "nginx"` and the others; see [`systems`]).
    System(systems::SystemHash),
    /// XXH64 with seed 0 (`compat: "envoy"`: the hash Envoy's hash policies compute; see [`wide`]).
    Xxh64,
}

impl KeyHasher {
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        match self {
            KeyHasher::Xxh3(seed) => xxh3_key(key, *seed),
            KeyHasher::Sip(s) => siphash24(s, key),
            KeyHasher::Murmur3(seed) => murmur3::murmur3_32(key, *seed) as u64,
            KeyHasher::System(h) => h.hash(key) as u64,
            KeyHasher::Xxh64 => wide::xxh64(key, 0),
        }
    }
}

#[inline(always)]
fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

/// SipHash-2-4 of `msg` under `key`, as specified in the paper (2 compression rounds, 4 finalization rounds).
pub fn siphash24(key: &Secret, msg: &[u8]) -> u64 {
    let k0 = u64::from_le_bytes(key.0[..8].try_into().unwrap_or([0; 8]));
    let k1 = u64::from_le_bytes(key.0[8..].try_into().unwrap_or([0; 8]));
    // The initialization constants spell "somepseudorandomlygeneratedbytes" (the paper, section 2).
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    let mut chunks = msg.chunks_exact(8);
    for c in &mut chunks {
        let m = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        v[3] ^= m;
        sip_round(&mut v);
        sip_round(&mut v);
        v[0] ^= m;
    }
    let mut last = (msg.len() as u64 & 0xff) << 56;
    for (i, &b) in chunks.remainder().iter().enumerate() {
        last |= (b as u64) << (8 * i);
    }
    v[3] ^= last;
    sip_round(&mut v);
    sip_round(&mut v);
    v[0] ^= last;
    v[2] ^= 0xff;
    for _ in 0..4 {
        sip_round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// The SplitMix64 finalizer (Steele, Lea & Flood 2014): a bijection of u64 with full avalanche.
#[inline]
pub fn fmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Combines two hashes: `fmix64(a ^ fmix64(b))`. As `a` varies uniformly, the results for different `b` are
/// uniform and pairwise independent enough for scores and rehashes.
#[inline]
pub fn mix64(a: u64, b: u64) -> u64 {
    fmix64(a ^ fmix64(b))
}

/// Maps a hash to the open interval (0, 1) with 52 bits, (k + 0.5) / 2^52: never 0 or 1, so `ln` of it is
/// finite and negative.
#[inline]
pub fn unit_open(h: u64) -> f64 {
    ((h >> 12) as f64 + 0.5) * (1.0 / (1u64 << 52) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_hasher_is_xxh3_of_the_digest_and_index() {
        // The precomputed path against the plain definition: XXH3-64(seed, d ‖ i), d = XXH3-64(seed, id ‖ 0xFF).
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for (n, id) in ["a", "origin-7.example.net:443", "ключ", &"x".repeat(MAX_ID_BYTES)]
            .iter()
            .enumerate()
        {
            for seed in [0, 1, 7, u64::MAX, 0x8000_0000_0000_0000, state] {
                let mut tagged = id.as_bytes().to_vec();
                tagged.push(POINT_SEPARATOR);
                let d = xxh3_64_with_seed(&tagged, seed);
                let mut h = PointHasher::new(id.as_bytes(), seed);
                for i in [0, 1, 2, 159, 160, 65_535, 1 << 31, u32::MAX]
                    .into_iter()
                    .chain((0..64).map(|k| k * 997 + n as u32))
                {
                    let mut input = d.to_le_bytes().to_vec();
                    input.extend_from_slice(&i.to_le_bytes());
                    assert_eq!(h.hash(i), xxh3_64_with_seed(&input, seed), "{id} seed {seed} index {i}");
                }
                state = mix64(state, seed);
            }
        }
    }

    #[test]
    fn the_halves_product_is_the_128_bit_product() {
        let mut a = 0x0123_4567_89AB_CDEFu64;
        let edges = [0, 1, u32::MAX as u64, 1 << 32, u64::MAX, u64::MAX - 1, 1 << 63];
        for &x in &edges {
            for &y in &edges {
                let p = (x as u128) * (y as u128);
                assert_eq!(mul_fold64_halves(x, y), p as u64 ^ (p >> 64) as u64, "{x} × {y}");
            }
        }
        for _ in 0..10_000 {
            let b = mix64(a, 0x5bd1_e995);
            let p = (a as u128) * (b as u128);
            assert_eq!(mul_fold64_halves(a, b), p as u64 ^ (p >> 64) as u64, "{a} × {b}");
            a = mix64(b, 1);
        }
    }

    #[test]
    fn siphash24_matches_the_paper_vector() {
        // Appendix A of the SipHash paper: key 00..0f, message 00..0e (15 bytes).
        let key = Secret(core::array::from_fn(|i| i as u8));
        let msg: Vec<u8> = (0..15).collect();
        assert_eq!(siphash24(&key, &msg), 0xa129_ca61_49be_45e5);
        assert_ne!(siphash24(&key, b""), siphash24(&Secret([0; 16]), b""));
    }

    #[test]
    fn unit_open_stays_inside() {
        assert!(unit_open(0) > 0.0 && unit_open(u64::MAX) < 1.0);
    }

    // Reference values of XXH3-64 from the xxHash project's published sanity checks (seed 0 on the empty
    // input) pin that we call the function we name.
    #[test]
    fn xxh3_is_the_published_function() {
        assert_eq!(xxh3_key(b"", 0), 0x2D06_8005_38D3_94C2);
    }

    #[test]
    fn point_hash_layout() {
        let d = xxh3_64_with_seed(b"node-a\xff", 42);
        let mut manual = d.to_le_bytes().to_vec();
        manual.extend_from_slice(&7u32.to_le_bytes());
        assert_eq!(point_hash(b"node-a", 7, 42), xxh3_64_with_seed(&manual, 42));
        assert_ne!(point_hash(b"node-a", 7, 42), point_hash(b"node-a", 7, 43));
    }
}
