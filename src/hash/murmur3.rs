//! MurmurHash3_x86_32 (Austin Appleby, SMHasher, 2011) and the 32-bit hashes of `compat: "redis"`.
//!
//! Redis runs Lua 5.1: numbers are IEEE-754 doubles, and the `bit` library works on 32 bits. So that profile
//! (weighted rendezvous, in `strategy/rendezvous.rs`) uses only what both sides compute identically, and
//! `lua/pick.lua` computes the same:
//!
//! - key hash `k = murmur3_32(key bytes, seed)`;
//! - node hash `n = murmur3_32(id bytes ‖ 0xFF, seed)` (0xFF never occurs in UTF-8, as in ring point hashes);
//! - the variate `u = (fmix32(k ⊕ n) + 0.5) / 2³²`, in (0, 1) and exact as a double.

use super::POINT_SEPARATOR;

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

/// MurmurHash3's 32-bit finalizer (SMHasher `fmix32`).
#[inline]
pub fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

#[inline]
fn mix_block(h: u32, k: u32) -> u32 {
    let k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    (h ^ k).rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64)
}

/// MurmurHash3_x86_32 of `data` (blocks read little-endian).
pub fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    murmur3_32_parts(data, &[], seed)
}

/// MurmurHash3_x86_32 of `a ‖ b` without concatenating.
fn murmur3_32_parts(a: &[u8], b: &[u8], seed: u32) -> u32 {
    let len = a.len() + b.len();
    let byte = |i: usize| if i < a.len() { a[i] } else { b[i - a.len()] };
    let mut h = seed;
    let blocks = len / 4;
    for i in 0..blocks {
        let k = u32::from_le_bytes([byte(4 * i), byte(4 * i + 1), byte(4 * i + 2), byte(4 * i + 3)]);
        h = mix_block(h, k);
    }
    let tail = blocks * 4;
    let mut k: u32 = 0;
    for j in (0..len - tail).rev() {
        k = (k << 8) | byte(tail + j) as u32;
    }
    if len > tail {
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    fmix32(h ^ len as u32)
}

/// The node hash of `id`.
pub fn node_hash(id: &[u8], seed: u32) -> u32 {
    murmur3_32_parts(id, &[POINT_SEPARATOR], seed)
}

/// The uniform variate of a (key, node) pair, in (0, 1).
#[inline]
pub fn unit(key_hash: u32, node_hash: u32) -> f64 {
    (fmix32(key_hash ^ node_hash) as f64 + 0.5) / 4_294_967_296.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur3_matches_published_vectors() {
        // Reference outputs of MurmurHash3_x86_32 (SMHasher), as listed in widely used test suites.
        assert_eq!(murmur3_32(b"", 0), 0);
        assert_eq!(murmur3_32(b"", 1), 0x514e_28b7);
        assert_eq!(murmur3_32(b"", 0xffff_ffff), 0x81f1_6f39);
        assert_eq!(murmur3_32(&[0, 0, 0, 0], 0), 0x2362_f9de);
        assert_eq!(murmur3_32(b"aaaa", 0x9747_b28c), 0x5a97_808a);
        assert_eq!(murmur3_32(b"abc", 0), 0xb3dd_93fa);
        assert_eq!(murmur3_32(b"Hello, world!", 0x9747_b28c), 0x2488_4cba);
        assert_eq!(
            murmur3_32(b"The quick brown fox jumps over the lazy dog", 0x9747_b28c),
            0x2fa8_26cd
        );
    }

    #[test]
    fn node_hash_is_murmur_of_id_and_separator() {
        assert_eq!(node_hash(b"origin-1", 7), murmur3_32(b"origin-1\xff", 7));
        assert_eq!(node_hash(b"", 0), murmur3_32(&[0xff], 0));
    }

    #[test]
    fn unit_is_strictly_inside_the_interval() {
        let lo = (0.5) / 4_294_967_296.0;
        let hi = (4_294_967_295.0 + 0.5) / 4_294_967_296.0;
        assert!(lo > 0.0 && hi < 1.0);
        for h in [0u32, 1, 0x7fff_ffff, 0xffff_fffe, 0xffff_ffff] {
            let u = unit(h, 0);
            assert!(u >= lo && u <= hi);
        }
    }
}
