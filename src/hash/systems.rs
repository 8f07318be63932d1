//! The 32-bit hash functions of the systems the compat profiles reproduce, each written from its published
//! definition and checked against the daemons by the tests (`test-js/compat/`).
//!
//! Several of them were written in C over `char`, which is signed on x86: a byte ≥ 0x80 enters the hash
//! sign-extended (0xC3 as 0xFFFFFFC3). Those are marked *signed bytes* and reproduce it, since that is what the
//! daemons compute for UTF-8 keys.

/// A named key hash (the `hash` option of a compat profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash32 {
    /// CRC-32 (IEEE 802.3, reflected, init and final XOR 0xFFFFFFFF): nginx, HAProxy `crc32`, twemproxy `crc32a`.
    Crc32,
    /// twemproxy `crc32`: bits 16..30 of CRC-32, the libmemcached form `((~crc) >> 16) & 0x7fff`.
    Crc32Tw,
    /// twemproxy `crc16`: CRC-16/XMODEM steps on a 32-bit register that is never masked, so the bits above 16
    /// keep the shifted-out history (as twemproxy returns them).
    Crc16,
    /// The first 4 bytes of MD5, little-endian (RFC 1321): twemproxy `md5`, libketama.
    Md5,
    /// Bob Jenkins' one-at-a-time, signed bytes.
    OneAtATime,
    /// FNV-1 with the 64-bit basis and prime (Fowler, Noll, Vo), signed bytes, truncated to 32 bits.
    Fnv1_64,
    /// twemproxy `fnv1a_64`: the FNV-1a loop run in 32 bits with the 64-bit basis and prime truncated, signed
    /// bytes.
    Fnv1a64,
    /// FNV-1, 32-bit, signed bytes.
    Fnv1_32,
    /// FNV-1a, 32-bit, signed bytes.
    Fnv1a32,
    /// Paul Hsieh's SuperFastHash as in libmemcached (initial value 0, not the length); the byte of a 3-byte
    /// tail is signed.
    Hsieh,
    /// MurmurHash2 with seed `0xdeadbeef × len` (twemproxy `murmur`).
    Murmur,
    /// Bob Jenkins' lookup3 `hashlittle` with initval 13 (twemproxy `jenkins`).
    Jenkins,
    /// sdbm (HAProxy's default).
    Sdbm,
    /// djb2, `h × 33 + c` from 5381.
    Djb2,
    /// HAProxy's wt6.
    Wt6,
    /// Squid's CARP URL hash (`carpSelectParent` in src/carp.cc): from 0, each byte `h += rotl(h, 19) + c`,
    /// signed bytes. The profile continues it per peer ([`carp_url_step`]).
    Carp,
    /// FNV-1a, 32-bit, on unsigned bytes (Go's `hash/fnv` `New32a`: Caddy's `hash`). The profile continues
    /// it over each upstream's address ([`fnv1a32_go`]).
    Fnv1a32Go,
    /// Varnish's `VRT_HashStrands32` (shard director `by=URL`, `key()`, ring points): the last 4 bytes of
    /// SHA-256, little-endian.
    Sha256Tail,
    /// Varnish's request digest as the shard director reads it for `by=HASH`: the first 4 bytes of SHA-256,
    /// big-endian.
    Sha256Head,
}

/// Varnish's shard director keys (`by=` of `shard.backend()`); the default is `hash`.
pub const VARNISH_HASHES: [(&str, Hash32); 2] = [("hash", Hash32::Sha256Head), ("url", Hash32::Sha256Tail)];

/// twemproxy's hash names (`hash:` in nutcracker.yml) and functions; the default is `fnv1a_64`.
pub const TWEMPROXY_HASHES: [(&str, Hash32); 12] = [
    ("one_at_a_time", Hash32::OneAtATime),
    ("md5", Hash32::Md5),
    ("crc16", Hash32::Crc16),
    ("crc32", Hash32::Crc32Tw),
    ("crc32a", Hash32::Crc32),
    ("fnv1_64", Hash32::Fnv1_64),
    ("fnv1a_64", Hash32::Fnv1a64),
    ("fnv1_32", Hash32::Fnv1_32),
    ("fnv1a_32", Hash32::Fnv1a32),
    ("hsieh", Hash32::Hsieh),
    ("murmur", Hash32::Murmur),
    ("jenkins", Hash32::Jenkins),
];

/// HAProxy's hash functions (`hash-type <method> <function>`); the default is `sdbm`.
pub const HAPROXY_HASHES: [(&str, Hash32); 4] = [
    ("sdbm", Hash32::Sdbm),
    ("djb2", Hash32::Djb2),
    ("wt6", Hash32::Wt6),
    ("crc32", Hash32::Crc32),
];

impl Hash32 {
    pub fn hash(self, key: &[u8]) -> u32 {
        match self {
            Hash32::Crc32 => crc32(key),
            Hash32::Crc32Tw => (crc32(key) >> 16) & 0x7fff,
            Hash32::Crc16 => crc16_wide(key),
            Hash32::Md5 => md5_u32(key),
            Hash32::OneAtATime => one_at_a_time(key),
            Hash32::Fnv1_64 => fnv1_64(key),
            Hash32::Fnv1a64 => fnv1a(key, 0xcbf2_9ce4_8422_2325u64 as u32, 0x0000_0100_0000_01b3u64 as u32),
            Hash32::Fnv1_32 => fnv1_32(key),
            Hash32::Fnv1a32 => fnv1a(key, FNV32_BASIS, FNV32_PRIME),
            Hash32::Hsieh => hsieh(key),
            Hash32::Murmur => murmur2_tw(key),
            Hash32::Jenkins => lookup3(key, 13),
            Hash32::Sdbm => sdbm(key),
            Hash32::Djb2 => djb2(key),
            Hash32::Wt6 => wt6(key),
            Hash32::Carp => carp_url_step(0, key),
            Hash32::Fnv1a32Go => fnv1a32_go(FNV32_BASIS, key),
            Hash32::Sha256Tail => {
                let d = sha256(key);
                u32::from_le_bytes([d[28], d[29], d[30], d[31]])
            }
            Hash32::Sha256Head => {
                let d = sha256(key);
                u32::from_be_bytes([d[0], d[1], d[2], d[3]])
            }
        }
    }
}

/// A byte as C's signed `char` widened to 32 bits.
#[inline]
fn signed(b: u8) -> u32 {
    b as i8 as i32 as u32
}

const fn crc32_table() -> [u32; 256] {
    // The reflected CRC-32 polynomial 0x04C11DB7 (IEEE 802.3) is 0xEDB88320 bit-reversed.
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC32: [u32; 256] = crc32_table();

/// CRC-32 register update without the initial and final XOR (for chained hashes such as nginx's points).
#[inline]
pub fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = CRC32[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// CRC-32 (init 0xFFFFFFFF, final XOR 0xFFFFFFFF): zlib's `crc32`, nginx's `ngx_crc32_long`.
pub fn crc32(data: &[u8]) -> u32 {
    !crc32_update(!0, data)
}

const fn crc16_table() -> [u32; 256] {
    // CRC-16/XMODEM, polynomial 0x1021, not reflected.
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = (i as u32) << 8;
        let mut k = 0;
        while k < 8 {
            c = if c & 0x8000 != 0 { (c << 1) ^ 0x1021 } else { c << 1 };
            k += 1;
        }
        t[i] = c & 0xffff;
        i += 1;
    }
    t
}

static CRC16: [u32; 256] = crc16_table();

fn crc16_wide(key: &[u8]) -> u32 {
    let mut crc: u32 = 0;
    for &b in key {
        crc = (crc << 8) ^ CRC16[(((crc >> 8) ^ signed(b)) & 0xff) as usize];
    }
    crc
}

fn one_at_a_time(key: &[u8]) -> u32 {
    let mut v: u32 = 0;
    for &b in key {
        v = v.wrapping_add(signed(b));
        v = v.wrapping_add(v << 10);
        v ^= v >> 6;
    }
    v = v.wrapping_add(v << 3);
    v ^= v >> 11;
    v.wrapping_add(v << 15)
}

// FNV parameters: http://www.isthe.com/chongo/tech/comp/fnv/ (32-bit basis 2166136261, prime 16777619;
// 64-bit basis 0xcbf29ce484222325, prime 0x100000001b3).
const FNV32_BASIS: u32 = 2_166_136_261;
const FNV32_PRIME: u32 = 16_777_619;

fn fnv1_64(key: &[u8]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key {
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
        h ^= b as i8 as i64 as u64;
    }
    h as u32
}

fn fnv1_32(key: &[u8]) -> u32 {
    let mut h = FNV32_BASIS;
    for &b in key {
        h = h.wrapping_mul(FNV32_PRIME);
        h ^= signed(b);
    }
    h
}

/// Squid's CARP string hash continued from `h` over `bytes` (signed bytes, as `char` is on x86).
pub fn carp_url_step(mut h: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        h = h.wrapping_add(h.rotate_left(19)).wrapping_add(signed(b));
    }
    h
}

/// FNV-1a 32 continued from state `h` over `bytes`, unsigned bytes (the FNV specification; Go's `hash/fnv`).
pub fn fnv1a32_go(mut h: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(FNV32_PRIME);
    }
    h
}

fn fnv1a(key: &[u8], basis: u32, prime: u32) -> u32 {
    let mut h = basis;
    for &b in key {
        h ^= signed(b);
        h = h.wrapping_mul(prime);
    }
    h
}

fn hsieh(key: &[u8]) -> u32 {
    if key.is_empty() {
        return 0;
    }
    let get16 = |i: usize| ((key[i + 1] as u32) << 8).wrapping_add(key[i] as u32);
    let mut h: u32 = 0;
    let mut i = 0;
    for _ in 0..key.len() / 4 {
        h = h.wrapping_add(get16(i));
        let tmp = (get16(i + 2) << 11) ^ h;
        h = (h << 16) ^ tmp;
        i += 4;
        h = h.wrapping_add(h >> 11);
    }
    match key.len() & 3 {
        3 => {
            h = h.wrapping_add(get16(i));
            h ^= h << 16;
            h ^= signed(key[i + 2]) << 18;
            h = h.wrapping_add(h >> 11);
        }
        2 => {
            h = h.wrapping_add(get16(i));
            h ^= h << 11;
            h = h.wrapping_add(h >> 17);
        }
        1 => {
            h = h.wrapping_add(key[i] as u32);
            h ^= h << 10;
            h = h.wrapping_add(h >> 1);
        }
        _ => {}
    }
    h ^= h << 3;
    h = h.wrapping_add(h >> 5);
    h ^= h << 4;
    h = h.wrapping_add(h >> 17);
    h ^= h << 25;
    h.wrapping_add(h >> 6)
}

fn murmur2_tw(key: &[u8]) -> u32 {
    // MurmurHash2 (Austin Appleby): m = 0x5bd1e995, r = 24.
    const M: u32 = 0x5bd1_e995;
    let len = key.len() as u32;
    let mut h = 0xdead_beefu32.wrapping_mul(len) ^ len;
    let mut chunks = key.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M) ^ k;
    }
    let t = chunks.remainder();
    if t.len() >= 3 {
        h ^= (t[2] as u32) << 16;
    }
    if t.len() >= 2 {
        h ^= (t[1] as u32) << 8;
    }
    if !t.is_empty() {
        h ^= t[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^ (h >> 15)
}

/// lookup3's `hashlittle` (Bob Jenkins, 2006), read bytewise (the same value as its aligned paths on a
/// little-endian machine).
fn lookup3(key: &[u8], initval: u32) -> u32 {
    let init = 0xdead_beefu32.wrapping_add(key.len() as u32).wrapping_add(initval);
    let (mut a, mut b, mut c) = (init, init, init);
    if key.is_empty() {
        return c;
    }
    let word = |k: &[u8], i: usize| u32::from_le_bytes([k[i], k[i + 1], k[i + 2], k[i + 3]]);
    let mut rest = key;
    while rest.len() > 12 {
        a = a.wrapping_add(word(rest, 0));
        b = b.wrapping_add(word(rest, 4));
        c = c.wrapping_add(word(rest, 8));
        // mix(a, b, c)
        a = a.wrapping_sub(c);
        a ^= c.rotate_left(4);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a);
        b ^= a.rotate_left(6);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b);
        c ^= b.rotate_left(8);
        b = b.wrapping_add(a);
        a = a.wrapping_sub(c);
        a ^= c.rotate_left(16);
        c = c.wrapping_add(b);
        b = b.wrapping_sub(a);
        b ^= a.rotate_left(19);
        a = a.wrapping_add(c);
        c = c.wrapping_sub(b);
        c ^= b.rotate_left(4);
        b = b.wrapping_add(a);
        rest = &rest[12..];
    }
    let mut tail = [0u8; 12];
    tail[..rest.len()].copy_from_slice(rest);
    a = a.wrapping_add(word(&tail, 0));
    b = b.wrapping_add(word(&tail, 4));
    c = c.wrapping_add(word(&tail, 8));
    // final(a, b, c)
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(14));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(11));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(25));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(16));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(4));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(14));
    c ^= b;
    c.wrapping_sub(b.rotate_left(24))
}

fn sdbm(key: &[u8]) -> u32 {
    key.iter().fold(0u32, |h, &c| {
        (c as u32).wrapping_add(h << 6).wrapping_add(h << 16).wrapping_sub(h)
    })
}

fn djb2(key: &[u8]) -> u32 {
    key.iter()
        .fold(5381u32, |h, &c| (h << 5).wrapping_add(h).wrapping_add(c as u32))
}

fn wt6(key: &[u8]) -> u32 {
    let (mut h0, mut h1): (u32, u32) = (0xa53c_965a, 0x5ca6_953a);
    let (mut s0, mut s1) = (6u32, 18u32);
    for &b in key {
        let t = b as u32;
        h0 = !(h0 ^ t);
        h1 = !(h1.wrapping_add(t));
        // HAProxy writes (x << s) | (x >> (32 - s)); x86 masks a shift by 32 to 0, which is a rotation by 0.
        let t = h1.rotate_left(s0);
        h1 = h0.rotate_left(s1);
        h0 = t;
        let t = ((h0 >> 16) ^ h1) & 0xffff;
        s0 = t & 0x1f;
        s1 = t >> 11;
    }
    h0 ^ h1
}

/// HAProxy's `full_hash`: one of Bob Jenkins' 32-bit integer hashes
/// (<http://burtleburtle.net/bob/hash/integer.html>), then a multiply by 3221225473 (HAProxy's prime near 3/4 of
/// 2^32). Used for ring points and for the `avalanche` modifier.
pub fn full_hash(mut a: u32) -> u32 {
    a = a.wrapping_add(0x7ed5_5d16).wrapping_add(a << 12);
    a = (a ^ 0xc761_c23c) ^ (a >> 19);
    a = a.wrapping_add(0x1656_67b1).wrapping_add(a << 5);
    a = a.wrapping_add(0xd3a2_646c) ^ (a << 9);
    a = a.wrapping_add(0xfd70_46c5).wrapping_add(a << 3);
    a = (a ^ 0xb55a_4f09) ^ (a >> 16);
    a.wrapping_mul(3_221_225_473)
}

/// MD5 (RFC 1321) of `data`.
/// SHA-256 round constants (FIPS 180-4, 4.2.2): the first 32 bits of the fractional parts of the cube roots of
/// the first 64 primes.
const SHA256_K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
];

/// SHA-256 (FIPS 180-4) of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ];
    let bits = (data.len() as u64).wrapping_mul(8);
    // The message, 0x80, zeros, and the bit length (big-endian) in 64-byte blocks.
    let blocks = (data.len() + 9).div_ceil(64);
    for b in 0..blocks {
        let mut block = [0u8; 64];
        for (i, byte) in block.iter_mut().enumerate() {
            let at = b * 64 + i;
            *byte = if at < data.len() {
                data[at]
            } else if at == data.len() {
                0x80
            } else {
                0
            };
        }
        if b == blocks - 1 {
            block[56..].copy_from_slice(&bits.to_be_bytes());
        }
        let mut w = [0u32; 64];
        for t in 0..16 {
            w[t] = u32::from_be_bytes([block[4 * t], block[4 * t + 1], block[4 * t + 2], block[4 * t + 3]]);
        }
        for t in 16..64 {
            let s0 = w[t - 15].rotate_right(7) ^ w[t - 15].rotate_right(18) ^ (w[t - 15] >> 3);
            let s1 = w[t - 2].rotate_right(17) ^ w[t - 2].rotate_right(19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16].wrapping_add(s0).wrapping_add(w[t - 7]).wrapping_add(s1);
        }
        let mut v = h;
        for t in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(SHA256_K[t])
                .wrapping_add(w[t]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for (x, y) in h.iter_mut().zip(v) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

pub fn md5(data: &[u8]) -> [u8; 16] {
    // Per-round shift amounts and the sine table T[i] = floor(2^32 × |sin(i + 1)|), RFC 1321 section 3.4.
    const S: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
    const T: [u32; 64] = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8,
        0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
        0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87,
        0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
        0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
        0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
        0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391,
    ];
    let mut st: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
    let bits = (data.len() as u64).wrapping_mul(8);
    let mut block = [0u8; 64];
    let blocks = (data.len() + 8) / 64 + 1;
    for n in 0..blocks {
        for (j, byte) in block.iter_mut().enumerate() {
            let i = n * 64 + j;
            *byte = if i < data.len() {
                data[i]
            } else if i == data.len() {
                0x80
            } else if n == blocks - 1 && j >= 56 {
                (bits >> (8 * (j - 56))) as u8
            } else {
                0
            };
        }
        let m = |g: usize| u32::from_le_bytes([block[4 * g], block[4 * g + 1], block[4 * g + 2], block[4 * g + 3]]);
        let [mut a, mut b, mut c, mut d] = st;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let s = S[(i / 16) * 4 + i % 4];
            let x = a.wrapping_add(f).wrapping_add(T[i]).wrapping_add(m(g));
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(x.rotate_left(s));
        }
        st[0] = st[0].wrapping_add(a);
        st[1] = st[1].wrapping_add(b);
        st[2] = st[2].wrapping_add(c);
        st[3] = st[3].wrapping_add(d);
    }
    let mut out = [0u8; 16];
    for (i, w) in st.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
    }
    out
}

/// Word `i` (0..4) of an MD5 digest, little-endian: ketama's point values and its key hash (`i` = 0).
#[inline]
pub fn md5_word(d: &[u8; 16], i: usize) -> u32 {
    u32::from_le_bytes([d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]])
}

fn md5_u32(key: &[u8]) -> u32 {
    md5_word(&md5(key), 0)
}

/// Another system's key hash as a compat profile configures it: the function and its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SystemHash {
    pub f: Hash32,
    /// HAProxy's `avalanche` modifier: `full_hash` over the result.
    pub avalanche: bool,
    /// The empty key hashes to 0 (twemproxy).
    pub empty_is_zero: bool,
}

impl SystemHash {
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u32 {
        if self.empty_is_zero && key.is_empty() {
            return 0;
        }
        let h = self.f.hash(key);
        if self.avalanche {
            full_hash(h)
        } else {
            h
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(d: &[u8]) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn md5_matches_rfc_1321_test_suite() {
        // RFC 1321, appendix A.5.
        assert_eq!(hex(&md5(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(hex(&md5(b"abc")), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(hex(&md5(b"message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
        let long = b"12345678901234567890123456789012345678901234567890123456789012345678901234567890";
        assert_eq!(hex(&md5(long)), "57edf4a22be3c955ac49da2e2107b67a");
        // 55/56/64-byte boundaries of the padding.
        let a55 = [b'a'; 55];
        let a56 = [b'a'; 56];
        assert_eq!(hex(&md5(&a55)), "ef1772b6dff9a122358552954ad0df65");
        assert_eq!(hex(&md5(&a56)), "3b0c8ac703f828b04c6c197006d17218");
    }

    #[test]
    fn crc32_check_values() {
        // The standard check value of CRC-32 and of CRC-16/XMODEM over "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc16_wide(b"123456789") & 0xffff, 0x31C3);
        assert_eq!(Hash32::Crc32Tw.hash(b"123456789"), (0xCBF4_3926 >> 16) & 0x7fff);
    }

    #[test]
    fn fnv_published_vectors() {
        // FNV test vectors (isthe.com): FNV-1a 32 of "a" = 0xe40c292c, FNV-1 32 of "a" = 0x050c5d7e.
        // SHA-256 test vectors (FIPS 180-4 examples): "abc" and the empty string.
        assert_eq!(sha256(b"abc")[..4], [0xba, 0x78, 0x16, 0xbf]);
        assert_eq!(sha256(b"abc")[28..], [0xf2, 0x00, 0x15, 0xad]);
        assert_eq!(sha256(b"")[..4], [0xe3, 0xb0, 0xc4, 0x42]);
        let long = sha256(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
        assert_eq!(long[..4], [0x24, 0x8d, 0x6a, 0x61]);
        assert_eq!(Hash32::Sha256Head.hash(b"abc"), 0xba78_16bf);
        assert_eq!(Hash32::Sha256Tail.hash(b"abc"), 0xad15_00f2);
        // Squid's CARP URL hash: h += rotl(h, 19) + c from 0, c a signed char.
        assert_eq!(Hash32::Carp.hash(b"a"), 0x61);
        assert_eq!(Hash32::Carp.hash(b"ab"), 0x61 + (0x61u32 << 19) + 0x62);
        assert_eq!(Hash32::Carp.hash(&[0xC3]), 0xFFFF_FFC3);
        assert_eq!(Hash32::Fnv1a32.hash(b"a"), 0xe40c_292c);
        assert_eq!(Hash32::Fnv1_32.hash(b"a"), 0x050c_5d7e);
        // FNV-1 64 of "a" = 0xaf63bd4c8601b7be, truncated.
        assert_eq!(Hash32::Fnv1_64.hash(b"a"), 0x8601_b7be);
        // Signed bytes: 0xC3 enters as 0xFFFFFFC3, unlike the FNV specification.
        let spec = (FNV32_BASIS ^ 0xC3).wrapping_mul(FNV32_PRIME);
        assert_ne!(Hash32::Fnv1a32.hash(&[0xC3]), spec);
        assert_eq!(
            Hash32::Fnv1a32.hash(&[0xC3]),
            (FNV32_BASIS ^ 0xFFFF_FFC3).wrapping_mul(FNV32_PRIME)
        );
    }

    #[test]
    fn lookup3_published_vectors() {
        // lookup3.c driver5: hashlittle("", 0) = 0xdeadbeef; "Four score and seven years ago" with 0 and 1.
        assert_eq!(lookup3(b"", 0), 0xdead_beef);
        assert_eq!(lookup3(b"Four score and seven years ago", 0), 0x1777_0551);
        assert_eq!(lookup3(b"Four score and seven years ago", 1), 0xcd62_8161);
    }

    #[test]
    fn full_hash_is_a_bijection_on_a_sample() {
        let mut v: Vec<u32> = (0..100_000u32).map(|i| full_hash(i.wrapping_mul(4096))).collect();
        v.sort_unstable();
        v.dedup();
        assert_eq!(v.len(), 100_000);
    }
}
