//! `ln` and `exp` computed only with IEEE-754 `+ - * /` (each correctly rounded on every platform), so they
//! return the same bits natively, in wasm and in any other language that follows the same steps.
//!
//! `f64::ln` and `f64::exp` call the platform's libm (glibc natively, a musl port on wasm32), which may differ
//! in the last bit. A weighted-rendezvous score `-w / ln(u)` that differs in the last bit can flip the winner of
//! a near tie, and with it a key's node. Accuracy here is about 1 ulp; determinism is the point.

// ln 2 split in a high part with 32 trailing zero bits (so k * LN2_HI is exact for |k| < 2^20) and the rest:
// the split of fdlibm (Sun Microsystems, 1993), given as bit patterns.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const SQRT2: f64 = core::f64::consts::SQRT_2;
/// 1/(2k+1) for k = 0..13, the coefficients of atanh's series.
const ATANH_COEFFS: [f64; 14] = [
    1.0,
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
    1.0 / 15.0,
    1.0 / 17.0,
    1.0 / 19.0,
    1.0 / 21.0,
    1.0 / 23.0,
    1.0 / 25.0,
    1.0 / 27.0,
];

/// Natural logarithm of a finite `x > 0`. Returns NaN for `x <= 0` or NaN, +inf for +inf.
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return x;
    }
    // x = m * 2^e with m in [1, 2); scale subnormals up first.
    let (x, bias) = if x < f64::MIN_POSITIVE {
        (x * 18_014_398_509_481_984.0, -54)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023 + bias;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > SQRT2 {
        m *= 0.5;
        e += 1;
    }
    // ln m = 2 atanh(s) = 2s (1 + s²/3 + s⁴/5 + ...), s = (m-1)/(m+1), |s| <= 0.1716: the series to s^26
    // (remainder below 1e-19), in Horner form with the coefficients 1/(2k+1) as constants.
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut p = ATANH_COEFFS[ATANH_COEFFS.len() - 1];
    for &c in ATANH_COEFFS.iter().rev().skip(1) {
        p = p * s2 + c;
    }
    let sum = s * p;
    let ef = e as f64;
    ef * LN2_HI + (ef * LN2_LO + 2.0 * sum)
}

/// e^x. Underflows to 0 below -745.2 and overflows to +inf above 709.8.
pub fn exp(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.782_712_893_384 {
        return f64::INFINITY;
    }
    if x < -745.133_219_101_941_1 {
        return 0.0;
    }
    // x = k ln2 + r with |r| <= ln2 / 2; e^r by its Taylor series to degree 14 (remainder below 1e-18) in
    // Horner form, 1 + r(1 + r/2(1 + r/3(...))), then scale by 2^k.
    let k = (x / (LN2_HI + LN2_LO)).round();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut p = 1.0;
    let mut n = 14.0;
    while n >= 1.0 {
        p = 1.0 + r * p / n;
        n -= 1.0;
    }
    scale2(p, k as i32)
}

/// `v * 2^k`, exact while the result is normal.
fn scale2(v: f64, k: i32) -> f64 {
    let pow = |e: i32| f64::from_bits(((e + 1023) as u64) << 52);
    if k > 1023 {
        v * pow(1023) * pow(k - 1023)
    } else if k < -1022 {
        v * pow(-1022) * pow(k + 1022)
    } else {
        v * pow(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn ln_is_close_to_libm_across_the_range() {
        let mut x: f64 = 1e-310;
        while x < 1e300 {
            for f in [1.0, 1.1, 1.4, 1.5, 1.99] {
                let v = x * f;
                assert!(ulps(ln(v), v.ln()) <= 2, "ln({v}) = {} vs {}", ln(v), v.ln());
            }
            x *= 7.3;
        }
        assert_eq!(ln(1.0), 0.0);
        assert!(ln(0.0).is_nan() && ln(-1.0).is_nan());
        // Unit interval as used by rendezvous: values just below 1 must stay accurate.
        for i in 1..2000u64 {
            let u = 1.0 - (i as f64) * 1e-12;
            assert!((ln(u) - u.ln()).abs() <= 2.0 * f64::EPSILON * u.ln().abs().max(1e-300));
        }
    }

    #[test]
    fn exp_is_close_to_libm_across_the_range() {
        let mut x: f64 = -745.0;
        while x < 709.0 {
            let want = x.exp();
            let got = exp(x);
            if want.is_normal() {
                assert!(ulps(got, want) <= 2, "exp({x}) = {got} vs {want}");
            } else {
                assert!((got - want).abs() <= f64::MIN_POSITIVE, "exp({x})");
            }
            x += 0.731;
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-1e9), 0.0);
        assert_eq!(exp(1e9), f64::INFINITY);
    }
}
