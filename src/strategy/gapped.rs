//! The ring's sorted points in an array with gaps (a packed-memory array: Itai, Konheim & Rodeh, ICALP 1981;
//! Bender, Demaine & Farach-Colton, FOCS 2000), so a node joining or leaving moves its own points and a few
//! neighbours instead of the whole ring.
//!
//! Layout. A directory on the top `bits` bits of the hash splits the array into buckets: bucket `k` is the slots
//! `dir[k]..dir[k + 1]`, whose first `fill[k]` slots hold the points whose hash starts with `k`, sorted, and the
//! rest are gaps. A gap holds a copy of the next point on the ring (in slot order), and the gaps after the last
//! point hold `(u64::MAX, owner of the first point)`: the wrap. So the slots are sorted by hash, real or not, and
//! the first slot at or after a key's hash names the key's owner whether it is a point or a gap: the lookup is
//! the one a gapless array would use, and a walk over the slots meets the owners in ring order (a gap repeats
//! the owner that follows it).
//!
//! Costs: a build is gapless ("compact": no fill counts either, so a Router that never changes keeps the 12 bytes
//! per point plus directory it always had). An insert shifts the points of one bucket (about two); a full bucket borrows room
//! from the smallest aligned window of buckets under a density threshold (1 at a bucket, 0.85 at the root) and
//! spreads that window evenly; [`GappedPoints::reserve`] relays the whole array out with room to grow
//! (density 0.7) before a change that would pass 0.85, so a ring grown one node at a time copies each point
//! O(1) times on average. Removing a whole node is one pass over the slots (the owner indices above it shift
//! down); removing single points is local.

use crate::base::alloc;
use crate::base::error::Result;

/// Density the whole array may reach before [`GappedPoints::reserve`] lays it out again.
const ROOT_DENSITY: f64 = 0.85;
/// Density a relayout leaves.
const RELAYOUT_DENSITY: f64 = 0.7;

/// Directory bits for `n` points: about two points per bucket, 16 to 2^20 buckets.
pub fn dir_bits(n: usize) -> u32 {
    (n / 2).next_power_of_two().trailing_zeros().clamp(4, 20)
}

#[derive(Debug)]
pub struct GappedPoints {
    /// Slot hashes, ascending (gaps included).
    pub hashes: Vec<u64>,
    /// `owners[s]`: the node owning slot `s`'s point (for a gap, the next point's owner).
    pub owners: Vec<u32>,
    /// `dir[k]`: the first slot of bucket `k`; `dir.len()` = 2^bits + 1 and the last entry is the slot count.
    pub dir: Vec<u32>,
    pub bits: u32,
    /// Points (not gaps) per bucket; empty while the array is compact (no gaps: bucket `k` holds
    /// `dir[k + 1] - dir[k]` points).
    fill: Vec<u32>,
    len: usize,
}

impl GappedPoints {
    pub fn empty() -> GappedPoints {
        let bits = dir_bits(0);
        GappedPoints {
            hashes: Vec::new(),
            owners: Vec::new(),
            dir: vec![0; (1 << bits) + 1],
            bits,
            fill: Vec::new(),
            len: 0,
        }
    }

    /// A gapless array, sorted, with its directory (from a build).
    pub fn from_sorted(hashes: Vec<u64>, owners: Vec<u32>, dir: Vec<u32>, bits: u32) -> GappedPoints {
        let len = hashes.len();
        GappedPoints {
            hashes,
            owners,
            dir,
            bits,
            fill: Vec::new(),
            len,
        }
    }

    /// Points in bucket `k`.
    #[inline]
    fn fill(&self, k: usize) -> usize {
        match self.fill.get(k) {
            Some(&f) => f as usize,
            None => (self.dir[k + 1] - self.dir[k]) as usize,
        }
    }

    fn buckets(&self) -> usize {
        self.dir.len() - 1
    }

    /// Points held (gaps excluded).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Calls `f` with each point in ring order, as (hash, owner).
    pub fn each(&self, mut f: impl FnMut(u64, u32)) {
        for k in 0..self.buckets() {
            let lo = self.dir[k] as usize;
            for s in lo..lo + self.fill(k) {
                f(self.hashes[s], self.owners[s]);
            }
        }
    }

    /// The points in ring order, as (hash, owner).
    pub fn points(&self) -> Vec<(u64, u32)> {
        let mut out = Vec::with_capacity(self.len);
        self.each(|h, o| out.push((h, o)));
        out
    }

    /// Bytes held now: slots, directory and fills.
    pub fn bytes(&self) -> usize {
        self.hashes.capacity() * 8 + self.owners.capacity() * 4 + self.dir.capacity() * 4 + self.fill.capacity() * 4
    }

    #[inline]
    fn bucket(&self, h: u64) -> usize {
        (h >> (64 - self.bits)) as usize
    }

    /// The slot of the first point at or after `key_hash` (or a gap copying it); never out of range unless the
    /// array has no slot. Callers check `len() > 0`.
    #[inline]
    pub fn start(&self, key_hash: u64) -> usize {
        let k = self.bucket(key_hash);
        let (lo, hi) = (self.dir[k] as usize, self.dir[k + 1] as usize);
        let i = lo + self.hashes[lo..hi].partition_point(|&p| p < key_hash);
        if i == self.hashes.len() {
            0
        } else {
            i
        }
    }

    /// What a gap just before slot `s` holds: slot `s`'s content, or the wrap past the last slot.
    fn value_at(&self, s: usize) -> (u64, u32) {
        if s < self.hashes.len() {
            (self.hashes[s], self.owners[s])
        } else {
            (u64::MAX, self.first_owner())
        }
    }

    fn first_owner(&self) -> u32 {
        match (0..self.buckets()).find(|&k| self.fill(k) > 0) {
            Some(k) => self.owners[self.dir[k] as usize],
            None => 0,
        }
    }

    fn set_gaps(&mut self, k: usize, (h, o): (u64, u32)) {
        let (lo, hi) = (self.dir[k] as usize + self.fill(k), self.dir[k + 1] as usize);
        self.hashes[lo..hi].fill(h);
        self.owners[lo..hi].fill(o);
    }

    /// Bucket `k`'s first slot changed: the gaps of the buckets before it, back to the previous point, copy it;
    /// with no point before it, the first point may have changed, and the wrap gaps copy its owner.
    fn refill_before(&mut self, k: usize) {
        let v = self.value_at(self.dir[k] as usize);
        for j in (0..k).rev() {
            self.set_gaps(j, v);
            if self.fill(j) > 0 {
                return;
            }
        }
        self.refill_from(self.buckets(), true);
    }

    /// Rewrites the gaps of the buckets before `end` with their right copies, walking down from `end` and
    /// stopping at the first point when `to_point` (else down to bucket 0).
    fn refill_from(&mut self, end: usize, to_point: bool) {
        if self.len == 0 {
            return;
        }
        let mut v = self.value_at(self.dir[end] as usize);
        for j in (0..end).rev() {
            self.set_gaps(j, v);
            if self.fill(j) > 0 {
                if to_point {
                    return;
                }
                v = (self.hashes[self.dir[j] as usize], self.owners[self.dir[j] as usize]);
            }
        }
    }

    /// Makes room for `extra` more points without another allocation: lays the array out again (O(slots)) when
    /// the points would pass [`ROOT_DENSITY`]. Call before a change, so a failed allocation changes nothing.
    pub fn reserve(&mut self, extra: usize) -> Result<()> {
        let want = self.len + extra;
        if self.fits(want as u64) {
            return Ok(());
        }
        self.relayout(want)
    }

    /// Whether `want` points fit without a relayout (a compact array has no room).
    pub fn fits(&self, want: u64) -> bool {
        !self.fill.is_empty() && want as f64 <= self.hashes.len() as f64 * ROOT_DENSITY
    }

    /// Bytes [`relayout`](Self::relayout) allocates for `want` points: slots, directory and fills.
    pub fn relayout_bytes(want: u64) -> u64 {
        let buckets = 1u64 << dir_bits(want.min(1 << 26) as usize / 2);
        let slots = ((want as f64 / RELAYOUT_DENSITY).ceil() as u64)
            .max(want.saturating_add(1))
            .max(buckets);
        slots.saturating_mul(12).saturating_add((2 * buckets + 1) * 4)
    }

    /// Lays the points out in a new array sized for `want` points at [`RELAYOUT_DENSITY`], with a directory of
    /// about four points per bucket (half the build's: the gaps double the slots a lookup searches otherwise),
    /// the free slots spread evenly over the buckets.
    fn relayout(&mut self, want: usize) -> Result<()> {
        let bits = dir_bits(want / 2);
        let buckets = 1usize << bits;
        let slots = ((want as f64 / RELAYOUT_DENSITY).ceil() as usize)
            .max(want + 1)
            .max(buckets);
        let mut hashes = alloc::filled(slots, 0u64, "ring points")?;
        let mut owners = alloc::filled(slots, 0u32, "ring points")?;
        let mut fill = alloc::filled(buckets, 0u32, "ring points")?;
        let mut dir = alloc::filled(buckets + 1, 0u32, "ring points")?;
        self.each(|h, _| fill[(h >> (64 - bits)) as usize] += 1);
        spread(&mut dir, &fill, slots - self.len, None);
        // The points come in order, so each bucket's are consecutive: write from its start.
        let (mut k, mut s) = (usize::MAX, 0);
        self.each(|h, o| {
            let b = (h >> (64 - bits)) as usize;
            if b != k {
                (k, s) = (b, dir[b] as usize);
            }
            hashes[s] = h;
            owners[s] = o;
            s += 1;
        });
        *self = GappedPoints {
            hashes,
            owners,
            dir,
            bits,
            fill,
            len: self.len,
        };
        self.refill_from(buckets, false);
        Ok(())
    }

    /// Inserts a point; among equal hashes it goes before the first point whose owner `goes_after` says sorts
    /// after it. The caller has [`reserve`](Self::reserve)d room, so this cannot fail.
    pub fn insert(&mut self, h: u64, o: u32, goes_after: &dyn Fn(u32) -> bool) {
        debug_assert!(!self.fill.is_empty(), "insert without reserve");
        let k = self.bucket(h);
        if self.fill[k] == self.dir[k + 1] - self.dir[k] {
            self.make_room(k);
        }
        let lo = self.dir[k] as usize;
        let end = lo + self.fill[k] as usize;
        let mut p = lo;
        while p < end && (self.hashes[p] < h || self.hashes[p] == h && !goes_after(self.owners[p])) {
            p += 1;
        }
        self.hashes.copy_within(p..end, p + 1);
        self.owners.copy_within(p..end, p + 1);
        self.hashes[p] = h;
        self.owners[p] = o;
        self.fill[k] += 1;
        self.len += 1;
        if p == lo {
            self.refill_before(k);
        }
    }

    /// Removes one point `(h, o)`; false if there is none. The caller has called [`reserve`](Self::reserve)
    /// (with 0), which gives a compact array its gaps.
    pub fn remove(&mut self, h: u64, o: u32) -> bool {
        debug_assert!(!self.fill.is_empty() || self.len == 0, "remove without reserve");
        if self.fill.is_empty() {
            return false;
        }
        let k = self.bucket(h);
        let lo = self.dir[k] as usize;
        let end = lo + self.fill[k] as usize;
        let Some(p) = (lo..end).find(|&s| self.hashes[s] == h && self.owners[s] == o) else {
            return false;
        };
        self.hashes.copy_within(p + 1..end, p);
        self.owners.copy_within(p + 1..end, p);
        self.fill[k] -= 1;
        self.len -= 1;
        let v = self.value_at(self.dir[k + 1] as usize);
        self.hashes[end - 1] = v.0;
        self.owners[end - 1] = v.1;
        if p == lo {
            self.refill_before(k);
        }
        true
    }

    /// Drops every point of owner `idx` and renumbers the owners above it down by one (a node left the table).
    /// One pass over the slots; a compact array stays compact (its directory recomputed in place).
    pub fn remove_owner(&mut self, idx: u32) {
        let compact = self.fill.is_empty();
        let mut out = 0;
        for k in 0..self.buckets() {
            let lo = self.dir[k] as usize;
            let hi = lo + self.fill(k);
            let mut w = if compact { out } else { lo };
            for r in lo..hi {
                let o = self.owners[r];
                if o != idx {
                    self.hashes[w] = self.hashes[r];
                    self.owners[w] = if o > idx { o - 1 } else { o };
                    w += 1;
                }
            }
            if compact {
                self.dir[k] = out as u32;
                out = w;
            } else {
                self.len -= hi - w;
                self.fill[k] = (w - lo) as u32;
            }
        }
        if compact {
            let last = self.buckets();
            self.dir[last] = out as u32;
            self.len = out;
            self.hashes.truncate(out);
            self.owners.truncate(out);
        } else {
            self.refill_from(self.buckets(), false);
            self.shrink();
        }
    }

    /// Whether the array has gaps (it was changed after its build).
    pub fn has_gaps(&self) -> bool {
        !self.fill.is_empty()
    }

    /// Moves every owner index above `idx` down by one (node `idx` left the table and its points are gone).
    pub fn renumber_above(&mut self, idx: u32) {
        for o in &mut self.owners {
            *o -= u32::from(*o > idx);
        }
    }

    /// After removals: a ring at under a quarter of its slots is laid out again, when the allocation succeeds
    /// (removal cannot fail; a ring that could not shrink keeps its room).
    pub fn shrink(&mut self) {
        if self.hashes.len() > 64 && (self.len as f64) < self.hashes.len() as f64 * 0.25 {
            let _ = self.relayout(self.len);
        }
    }

    /// Bucket `k` is full: spread the smallest aligned window of buckets around it whose density stays under
    /// its level's threshold, giving `k` at least one free slot. `reserve` keeps the root under
    /// [`ROOT_DENSITY`], so some window always qualifies.
    fn make_room(&mut self, k: usize) {
        let buckets = self.buckets();
        let mut size = 2;
        let (a, b) = loop {
            let a = k & !(size - 1);
            let b = (a + size).min(buckets);
            let slots = (self.dir[b] - self.dir[a]) as f64;
            let points: u32 = self.fill[a..b].iter().sum();
            let level = size.trailing_zeros() as f64 / self.bits.max(1) as f64;
            let limit = 1.0 - (1.0 - ROOT_DENSITY) * level;
            if (points + 1) as f64 <= slots * limit || size >= buckets {
                break (a, b);
            }
            size *= 2;
        };
        // Pack the window's points to its left end, then place each bucket from the right at its new start.
        let base = self.dir[a] as usize;
        let mut w = base;
        for j in a..b {
            let lo = self.dir[j] as usize;
            let f = self.fill[j] as usize;
            self.hashes.copy_within(lo..lo + f, w);
            self.owners.copy_within(lo..lo + f, w);
            w += f;
        }
        let free = self.dir[b] as usize - w;
        spread(&mut self.dir[a..=b], &self.fill[a..b], free, Some(k - a));
        for j in (a..b).rev() {
            let f = self.fill[j] as usize;
            w -= f;
            let to = self.dir[j] as usize;
            self.hashes.copy_within(w..w + f, to);
            self.owners.copy_within(w..w + f, to);
        }
        // The window's gaps; those before it still copy the same first point.
        let mut v = self.value_at(self.dir[b] as usize);
        for j in (a..b).rev() {
            self.set_gaps(j, v);
            if self.fill[j] > 0 {
                v = (self.hashes[self.dir[j] as usize], self.owners[self.dir[j] as usize]);
            }
        }
    }
}

/// Sets `dir[1..]` (from `dir[0]`) so bucket `j` gets `fill[j]` slots plus its even share of `free` (the shares
/// interleave, so free slots are spread along the whole range, never bunched at one end), one slot of it
/// first to bucket `first` if given.
fn spread(dir: &mut [u32], fill: &[u32], free: usize, first: Option<usize>) {
    let n = fill.len() as u64;
    let reserved = usize::from(first.is_some() && free > 0);
    let rest = (free - reserved) as u64;
    for j in 0..fill.len() {
        let share = ((j as u64 + 1) * rest / n - j as u64 * rest / n) as u32;
        let own = u32::from(Some(j) == first && reserved == 1);
        dir[j + 1] = dir[j] + fill[j] + share + own;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rng::Rng;

    /// Every slot against a naive sorted list: points equal, gaps copy the next point (or the wrap).
    fn check(g: &GappedPoints, want: &[(u64, u32)]) {
        let got = g.points();
        assert_eq!(got, want);
        assert_eq!(g.len(), want.len());
        assert_eq!(*g.dir.last().unwrap() as usize, g.hashes.len());
        if want.is_empty() {
            return;
        }
        for probe in [0u64, 1, u64::MAX, u64::MAX / 3, 1 << 63] {
            let s = g.start(probe);
            let owner = want.iter().find(|p| p.0 >= probe).unwrap_or(&want[0]).1;
            assert_eq!(g.owners[s], owner, "probe {probe}");
        }
        for &(h, o) in want {
            let first = want.iter().find(|p| p.0 >= h).unwrap();
            assert_eq!(g.owners[g.start(h)], first.1, "point {h} {o}");
            if h < u64::MAX {
                let next = want.iter().find(|p| p.0 > h).unwrap_or(&want[0]);
                assert_eq!(g.owners[g.start(h + 1)], next.1);
            }
        }
    }

    #[test]
    fn inserts_and_removes_agree_with_a_sorted_list() {
        let mut rng = Rng::new(7);
        let mut g = GappedPoints::empty();
        let mut want: Vec<(u64, u32)> = Vec::new();
        for round in 0..3000 {
            let remove = !want.is_empty() && rng.next_u64() % 3 == 0;
            if remove {
                let i = (rng.next_u64() % want.len() as u64) as usize;
                let (h, o) = want.remove(i);
                assert!(g.remove(h, o));
            } else {
                // Clustered hashes too, so windows and relayouts run.
                let h = if round % 5 == 0 {
                    rng.next_u64() >> 20
                } else {
                    rng.next_u64()
                };
                let o = (rng.next_u64() % 50) as u32;
                g.reserve(1).unwrap();
                g.insert(h, o, &|e| e > o);
                let at = want.partition_point(|p| p.0 < h || p.0 == h && p.1 <= o);
                want.insert(at, (h, o));
            }
            if round % 97 == 0 {
                check(&g, &want);
            }
        }
        check(&g, &want);
        // Removing an owner renumbers the ones above it.
        g.remove_owner(10);
        let want: Vec<(u64, u32)> = want
            .into_iter()
            .filter(|p| p.1 != 10)
            .map(|(h, o)| (h, if o > 10 { o - 1 } else { o }))
            .collect();
        check(&g, &want);
        for &(h, o) in &want {
            assert!(g.remove(h, o));
        }
        check(&g, &[]);
        assert!(!g.remove(1, 1));
    }

    /// A build's gapless array with its directory, as `HashRing::build` makes it.
    fn compact(pts: &[(u64, u32)]) -> GappedPoints {
        let bits = dir_bits(pts.len());
        let dir = (0..=1usize << bits)
            .map(|k| pts.partition_point(|p| ((p.0 >> (64 - bits)) as usize) < k) as u32)
            .collect();
        GappedPoints::from_sorted(
            pts.iter().map(|p| p.0).collect(),
            pts.iter().map(|p| p.1).collect(),
            dir,
            bits,
        )
    }

    #[test]
    fn a_compact_array_stays_compact_when_a_node_leaves_and_gains_gaps_on_a_change() {
        let mut rng = Rng::new(3);
        let mut want: Vec<(u64, u32)> = (0..2000)
            .map(|_| (rng.next_u64(), (rng.next_u64() % 9) as u32))
            .collect();
        want.sort();
        let mut g = compact(&want);
        check(&g, &want);
        g.remove_owner(4);
        want.retain(|p| p.1 != 4);
        want.iter_mut().for_each(|p| p.1 -= u32::from(p.1 > 4));
        check(&g, &want);
        assert!(g.fill.is_empty() && g.hashes.len() == want.len());
        g.reserve(0).unwrap();
        assert!(!g.fill.is_empty());
        let (h, o) = want.remove(17);
        assert!(g.remove(h, o));
        check(&g, &want);
    }

    #[test]
    fn the_wrap_and_the_top_hash() {
        let mut g = GappedPoints::empty();
        g.reserve(3).unwrap();
        for (h, o) in [(u64::MAX, 2), (5, 1), (u64::MAX - 1, 0)] {
            g.insert(h, o, &|e| e > o);
        }
        check(&g, &[(5, 1), (u64::MAX - 1, 0), (u64::MAX, 2)]);
        assert!(g.remove(5, 1));
        check(&g, &[(u64::MAX - 1, 0), (u64::MAX, 2)]);
        assert_eq!(g.owners[g.start(0)], 0);
    }
}
