//! Numbers in messages, written exactly as JavaScript's `String(x)` writes them.
//!
//! Error messages quote the caller's numbers back, so they must read the way the caller's runtime prints them:
//! `0.30000000000000004`, `1e-300`, `1e+21`, `1152921504606847000`. The digits are the shortest that read back as
//! `x` (ECMA-262 §6.1.6.1.20 Number::toString: the least k, then the candidate closest to `x`), found with the
//! free-format algorithm of Steele & White (PLDI 1990) as refined by Burger & Dybvig ("Printing Floating-Point
//! Numbers Quickly and Accurately", PLDI 1996) on a small exact big integer. `core::fmt`'s float printer would do
//! the same but adds ~15 KB to the module; this is under 2 KB and runs only when a message is built.

/// `x` as `String(x)` prints it.
pub fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    let sign = if x.is_sign_negative() && x != 0.0 { "-" } else { "" };
    let a = x.abs();
    if a == f64::INFINITY {
        return format!("{sign}Infinity");
    }
    if a == 0.0 {
        return "0".into(); // String(-0) is "0"
    }
    // Whole numbers below 2^53 are their own shortest digits.
    if a.fract() == 0.0 && a < 9_007_199_254_740_992.0 {
        return format!("{sign}{}", a as u64);
    }
    let (digits, n) = shortest(a);
    format!("{sign}{}", layout(&digits, n))
}

/// Lays out digits `d1…dk` standing for `0.d1…dk × 10^n` by Number::toString's cases.
fn layout(d: &str, n: i32) -> String {
    let k = d.len() as i32;
    if k <= n && n <= 21 {
        format!("{d}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = d.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{d}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = d.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{first}{dot}{rest}e{sign}{}", e.unsigned_abs())
    }
}

/// The shortest decimal digits of a finite `a > 0`, and `n` with `a ≈ 0.digits × 10^n`.
#[inline(never)]
fn shortest(a: f64) -> (String, i32) {
    let bits = a.to_bits();
    let biased = (bits >> 52) as i32;
    let frac = bits & ((1 << 52) - 1);
    // a = f × 2^e exactly, with f < 2^53.
    let (f, e) = if biased == 0 {
        (frac, -1074)
    } else {
        (frac | 1 << 52, biased - 1075)
    };
    let even = f % 2 == 0; // round-half-even reading: the interval's ends read back as `a` too
                           // The gap below `a` is half the one above when `a` is a power of two (not the smallest normal).
    let lopsided = f == 1 << 52 && biased > 1;
    // r/s = a, m+/s and m-/s = the half-gaps above and below, all scaled by 2 (Burger & Dybvig, Table 1).
    let (mut r, mut s, mut mp, mut mm);
    if e >= 0 {
        let be = Big::pow2(e as u32);
        if lopsided {
            r = Big::from(f).mul_pow2(e as u32 + 2);
            s = Big::from(4);
            mp = be.mul_pow2(1);
            mm = be;
        } else {
            r = Big::from(f).mul_pow2(e as u32 + 1);
            s = Big::from(2);
            mp = be;
            mm = be;
        }
    } else if lopsided {
        r = Big::from(f).mul_pow2(2);
        s = Big::pow2((1 - e) as u32 + 1);
        mp = Big::from(2);
        mm = Big::from(1);
    } else {
        r = Big::from(f).mul_pow2(1);
        s = Big::pow2((-e) as u32 + 1);
        mp = Big::from(1);
        mm = Big::from(1);
    }
    // Estimate n from the binary exponent (log10 2 ≈ 78913 / 2^18), then correct it exactly.
    let bit_len = 64 - f.leading_zeros() as i32 + e;
    let mut n = ((bit_len as i64 * 78913) >> 18) as i32;
    if n >= 0 {
        s = s.mul_pow10(n as u32);
    } else {
        let p = (-n) as u32;
        r = r.mul_pow10(p);
        mp = mp.mul_pow10(p);
        mm = mm.mul_pow10(p);
    }
    // n is right when (r + m+)/s is below 1 (or at 1 when the high end reads back) and at least 1/10.
    let high = |r: &Big, mp: &Big, s: &Big| past(r.add(mp).cmp(s), even);
    while high(&r, &mp, &s) {
        s = s.mul_small(10);
        n += 1;
    }
    loop {
        let (r10, mp10) = (r.mul_small(10), mp.mul_small(10));
        if high(&r10, &mp10, &s) {
            break;
        }
        r = r10;
        mp = mp10;
        mm = mm.mul_small(10);
        n -= 1;
    }
    // Generate digits until the rest of the interval allows stopping.
    let mut out: Vec<u8> = Vec::new();
    loop {
        r = r.mul_small(10);
        mp = mp.mul_small(10);
        mm = mm.mul_small(10);
        let mut d = 0u8;
        while r.cmp(&s).is_ge() {
            r = r.sub(&s);
            d += 1;
        }
        let low_stop = past(mm.cmp(&r), even);
        let high_stop = high(&r, &mp, &s);
        match (low_stop, high_stop) {
            (false, false) => out.push(d),
            (true, false) => {
                out.push(d);
                break;
            }
            (false, true) => {
                out.push(d + 1);
                break;
            }
            (true, true) => {
                // Both ends allow it: the nearer candidate, the even one on a tie (Number::toString).
                let c = r.mul_pow2(1).cmp(&s);
                let up = c.is_gt() || (c.is_eq() && d % 2 == 1);
                out.push(d + u8::from(up));
                break;
            }
        }
    }
    // A rounded-up last digit may carry (never past the first: n was chosen so the interval is below 1).
    let mut i = out.len() - 1;
    while out[i] == 10 && i > 0 {
        out[i] = 0;
        out[i - 1] += 1;
        i -= 1;
    }
    while out.len() > 1 && out.last() == Some(&0) {
        out.pop();
    }
    (out.iter().map(|d| char::from(b'0' + d)).collect(), n)
}

/// Whether a comparison puts the left side past the right, counting a tie when the interval's ends are in.
fn past(c: core::cmp::Ordering, ends_in: bool) -> bool {
    c.is_gt() || (ends_in && c.is_eq())
}

/// An unsigned big integer, little-endian base 2^32, of fixed size: exact printing needs under 1,140 bits (a
/// subnormal's 2^1076 denominator times ten, or 2^53 × 10^324 for its numerator), and a fixed array keeps
/// allocation out of it.
#[derive(Clone, Copy)]
struct Big([u32; LIMBS]);

const LIMBS: usize = 40;

/// The limbs every operation walks; opaque so the compiler keeps each loop a loop (unrolled 40 times, this file
/// alone would cost 2 KB of the module).
fn used() -> usize {
    core::hint::black_box(LIMBS)
}

impl Big {
    fn from(v: u64) -> Big {
        let mut b = Big([0; LIMBS]);
        b.0[0] = v as u32;
        b.0[1] = (v >> 32) as u32;
        b
    }

    fn pow2(p: u32) -> Big {
        Big::from(1).mul_pow2(p)
    }

    #[inline(never)]
    fn mul_small(mut self, m: u32) -> Big {
        let mut carry = 0u64;
        for limb in &mut self.0[..used()] {
            let v = *limb as u64 * m as u64 + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        self
    }

    fn mul_pow2(mut self, p: u32) -> Big {
        for _ in 0..p {
            self = self.add(&self);
        }
        self
    }

    fn mul_pow10(mut self, p: u32) -> Big {
        for _ in 0..p {
            self = self.mul_small(10);
        }
        self
    }

    #[inline(never)]
    fn add(&self, o: &Big) -> Big {
        let mut out = Big([0; LIMBS]);
        let mut carry = 0u64;
        for i in 0..used() {
            let v = self.0[i] as u64 + o.0[i] as u64 + carry;
            out.0[i] = v as u32;
            carry = v >> 32;
        }
        out
    }

    /// `self - o`; callers only subtract a smaller number.
    #[inline(never)]
    fn sub(mut self, o: &Big) -> Big {
        let mut borrow = 0u64;
        for i in 0..used() {
            let v = (self.0[i] as u64).wrapping_sub(o.0[i] as u64 + borrow);
            self.0[i] = v as u32;
            borrow = v >> 63;
        }
        self
    }

    #[inline(never)]
    fn cmp(&self, o: &Big) -> core::cmp::Ordering {
        self.0[..used()].iter().rev().cmp(o.0[..used()].iter().rev())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What JS prints, from Rust's own shortest-digits printer (`{:e}`), laid out by the spec's cases: an
    /// independent oracle for the digits.
    fn oracle(x: f64) -> String {
        let s = format!("{:e}", x.abs());
        let (mant, exp) = s.split_once('e').unwrap();
        let digits: String = mant.chars().filter(|c| *c != '.').collect();
        let n = exp.parse::<i32>().unwrap() + 1;
        let sign = if x < 0.0 { "-" } else { "" };
        format!("{sign}{}", layout(&digits, n))
    }

    #[test]
    fn the_issue_examples_print_as_js() {
        for (x, js) in [
            (999999.9999999999, "999999.9999999999"),
            (1e-300, "1e-300"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (2f64.powi(60), "1152921504606847000"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (1e-7, "1e-7"),
            (1.5e-6, "0.0000015"),
            (0.000001, "0.000001"),
            (123.456, "123.456"),
            (-0.0, "0"),
            (-2.5, "-2.5"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
            (4294967296.5, "4294967296.5"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (9007199254740993.0, "9007199254740992"),
        ] {
            assert_eq!(fmt_num(x), js, "{x:e}");
        }
    }

    #[test]
    fn random_bit_patterns_match_the_shortest_digits_oracle() {
        // A xorshift over all bit patterns: subnormals, powers of two, huge and tiny exponents.
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut ties = 0;
        for i in 0..200_000u32 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let x = match i % 4 {
                0 => f64::from_bits(s),
                1 => f64::from_bits(s & 0x800F_FFFF_FFFF_FFFF | ((s >> 52) % 80 + 1000) << 52), // near 1
                2 => f64::from_bits(s & 0x8000_0000_000F_FFFF),                                 // subnormal
                _ => f64::from_bits(s & 0xFFF0_0000_0000_0000), // powers of two: lopsided gaps
            };
            if !x.is_finite() || x == 0.0 {
                continue;
            }
            let (ours, theirs) = (fmt_num(x), oracle(x));
            assert_eq!(ours.parse::<f64>().unwrap(), x, "bits {:#x}", x.to_bits());
            if ours != theirs {
                // Rust rounds an exact tie up; the spec (and V8) take the even digit. Same digits but the last.
                let (a, b) = (ours.as_bytes(), theirs.as_bytes());
                let last = a.iter().zip(b).rposition(|(p, q)| p != q).unwrap();
                assert!(
                    a.len() == b.len() && a[..last] == b[..last] && a[last] % 2 == 0 && b[last] == a[last] + 1,
                    "bits {:#x}: {ours} vs {theirs}",
                    x.to_bits()
                );
                // And `x` must sit exactly halfway: its exact expansion is our digits then a 5.
                let (digits, n) = shortest(x.abs());
                let exact = format!("{:.1100e}", x.abs());
                let (mant, exp) = exact.split_once('e').unwrap();
                let mant: String = mant.chars().filter(|c| *c != '.').collect();
                assert_eq!(exp.parse::<i32>().unwrap() + 1, n);
                assert_eq!(
                    mant.trim_end_matches('0'),
                    format!("{digits}5"),
                    "bits {:#x}",
                    x.to_bits()
                );
                ties += 1;
            }
        }
        assert!(ties > 0, "the sample should hold some exact halves");
    }
}
