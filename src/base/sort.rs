//! One small sort shared by every call site in the crate.
//!
//! The standard library's sorts are fast but large, and each `sort_by` call site with its own closure is a new
//! copy: in wasm they were the biggest item of the module (about 88 KB before wasm-opt, measured with twiggy).
//! Every sort here takes its comparison as `&dyn Fn`, so there is one copy per element type. None of them is on
//! a pick's path except `pickN` of rendezvous and random, which sort a few hundred entries at most.
//!
//! Not stable: every caller's order is total (ties are broken by node index or id). [`sort_by_high_half`] is
//! the exception: a stable radix sort for the compat rings' points (`hash << 32 | owner`), whose equal hashes
//! must keep the order in which they were generated.

use crate::base::error::Result;
use core::cmp::Ordering;

/// Sorts `v` by the high 32 bits of each value, keeping the order of equal ones (stable), in four byte-wise
/// counting passes (LSD radix sort), O(n). A pass whose byte is the same in every value is skipped.
pub fn sort_by_high_half(v: &mut Vec<u64>) -> Result<()> {
    if v.len() <= SMALL {
        // Insertion sort, stable: an element moves only past greater ones.
        for i in 1..v.len() {
            let x = v[i];
            let mut j = i;
            while j > 0 && v[j - 1] >> 32 > x >> 32 {
                v[j] = v[j - 1];
                j -= 1;
            }
            v[j] = x;
        }
        return Ok(());
    }
    let mut buf = crate::base::alloc::filled(v.len(), 0u64, "sort buffer")?;
    for shift in [32u32, 40, 48, 56] {
        let mut count = [0usize; 257];
        for &x in v.iter() {
            count[((x >> shift) & 0xff) as usize + 1] += 1;
        }
        if count.contains(&v.len()) {
            continue;
        }
        for k in 1..257 {
            count[k] += count[k - 1];
        }
        for &x in v.iter() {
            let slot = &mut count[((x >> shift) & 0xff) as usize];
            buf[*slot] = x;
            *slot += 1;
        }
        core::mem::swap(v, &mut buf);
    }
    Ok(())
}

/// Insertion sort up to this length, heapsort above (Williams 1964; in place, O(n log n) worst case).
const SMALL: usize = 16;

pub fn sort_by<T: Copy>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> Ordering) {
    let n = v.len();
    if n <= SMALL {
        for i in 1..n {
            let x = v[i];
            let mut j = i;
            while j > 0 && cmp(&v[j - 1], &x) == Ordering::Greater {
                v[j] = v[j - 1];
                j -= 1;
            }
            v[j] = x;
        }
        return;
    }
    for i in (0..n / 2).rev() {
        sift_down(v, i, n, cmp);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end, cmp);
    }
}

fn sift_down<T: Copy>(v: &mut [T], mut root: usize, end: usize, cmp: &dyn Fn(&T, &T) -> Ordering) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && cmp(&v[child], &v[child + 1]) == Ordering::Less {
            child += 1;
        }
        if cmp(&v[root], &v[child]) != Ordering::Less {
            return;
        }
        v.swap(root, child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_by_high_half_is_a_stable_sort_by_the_high_half() {
        // Against std's stable sort by key, with few distinct high halves (many ties) and many, small and large.
        let mut rng = crate::base::rng::Rng::new(11);
        for (n, spread) in [
            (0, 1),
            (1, 1),
            (5, 3),
            (16, 4),
            (17, 4),
            (300, 7),
            (5000, 1 << 31),
            (5000, 50),
        ] {
            let mut v: Vec<u64> = (0..n).map(|i| ((rng.below(spread) as u64) << 32) | i as u64).collect();
            if spread > 1000 {
                v.iter_mut().for_each(|x| *x ^= (rng.below(1 << 24) as u64) << 40);
            }
            let mut want = v.clone();
            want.sort_by_key(|x| x >> 32);
            sort_by_high_half(&mut v).unwrap();
            assert_eq!(v, want, "n {n} spread {spread}");
        }
    }
    use crate::base::rng::Rng;

    #[test]
    fn sorts_like_the_standard_library_at_every_length() {
        let mut rng = Rng::new(3);
        for n in [0, 1, 2, 3, 15, 16, 17, 100, 1000, 4097] {
            for range in [2u64, 50, u64::MAX] {
                let v: Vec<(u64, u32)> = (0..n).map(|i| (rng.next_u64() % range.max(1), i as u32)).collect();
                let mut ours = v.clone();
                sort_by(&mut ours, &|a, b| a.cmp(b));
                let mut std = v;
                std.sort();
                assert_eq!(ours, std, "n = {n}, range {range}");
            }
        }
    }
}
