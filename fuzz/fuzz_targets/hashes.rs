//! The hash functions on arbitrary bytes: MurmurHash3 of compat "redis" against a byte-at-a-time reference,
//! its split form (node hashes hash id ‖ 0xFF without concatenating), the unit variate and score ranges, the
//! deterministic ln against libm, and XXH3/SipHash determinism through the Router's key hasher.
#![no_main]
use edgeroute::base::detmath;
use edgeroute::hash::murmur3::{fmix32, murmur3_32, node_hash, unit};
use edgeroute::hash::{siphash24, KeyHasher, Secret};
use edgeroute::strategy::rendezvous::score32 as score;
use libfuzzer_sys::fuzz_target;

/// MurmurHash3_x86_32 written plainly from its description, as the oracle.
fn murmur_reference(data: &[u8], seed: u32) -> u32 {
    let (c1, c2) = (0xcc9e2d51u32, 0x1b873593u32);
    let mut h = seed;
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for c in chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(c1).rotate_left(15).wrapping_mul(c2);
        h = (h ^ k).rotate_left(13).wrapping_mul(5).wrapping_add(0xe6546b64);
    }
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, &b) in tail.iter().enumerate() {
            k |= (b as u32) << (8 * i);
        }
        h ^= k.wrapping_mul(c1).rotate_left(15).wrapping_mul(c2);
    }
    fmix32(h ^ data.len() as u32)
}

fuzz_target!(|data: &[u8]| {
    let seed = data.iter().take(4).fold(0u32, |a, &b| a.rotate_left(8) ^ b as u32);
    assert_eq!(murmur3_32(data, seed), murmur_reference(data, seed));
    let mut tagged = data.to_vec();
    tagged.push(0xFF);
    assert_eq!(node_hash(data, seed), murmur_reference(&tagged, seed));
    let k = murmur3_32(data, seed);
    let n = node_hash(data, seed ^ 1);
    let u = unit(k, n);
    assert!(u > 0.0 && u < 1.0);
    for w in [1e-6, 0.5, 1.0, 1e6] {
        let s = score(k, n, w);
        assert!(s.is_finite() && s > 0.0, "score {s} for weight {w}");
    }
    // The deterministic ln stays within 2 ulps of libm on any positive finite double.
    if data.len() >= 8 {
        let x = f64::from_le_bytes(data[..8].try_into().unwrap()).abs();
        if x.is_finite() && x > 0.0 {
            let (a, b) = (detmath::ln(x), x.ln());
            assert!(
                (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() <= 2,
                "ln({x}) = {a}, libm {b}"
            );
        }
    }
    let secret = Secret([seed as u8; 16]);
    for h in [
        KeyHasher::Xxh3(seed as u64),
        KeyHasher::Sip(secret),
        KeyHasher::Murmur3(seed),
    ] {
        assert_eq!(h.hash(data), h.hash(&data.to_vec()));
    }
    assert_eq!(KeyHasher::Sip(secret).hash(data), siphash24(&secret, data));
    assert_eq!(KeyHasher::Murmur3(seed).hash(data), k as u64);
});
