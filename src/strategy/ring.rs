//! Consistent hashing on a ring with virtual nodes (Karger et al., STOC 1997; the "ketama" layout of
//! libketama, 2007, with many points per server).
//!
//! Node `id` with weight `w` owns `max(1, round(vnodes × w))` points; point `i` sits at
//! [`crate::hash::point_hash`]`(id, i, seed)`. A key goes to the owner of the first point at or after the key's
//! hash, wrapping past the top. Points are sorted by (hash, id bytes), so two nodes whose points collide are
//! ordered by id, never by insertion order: the same config gives the same ring however it was assembled.
//!
//! Because a node's points depend only on its own id and weight, adding, removing or reweighting a node
//! changes only the arcs owned by that node, and only keys moving to or from it change owner. Raising a weight
//! appends points (`i` counts up), so keys only move *to* that node, and the reverse for lowering it.
//!
//! Costs: build O(P log P) for P points; add O(P) (merge), remove O(P), lookup O(1) expected (a directory on the
//! top bits of the hash narrows the search to about two points), `pickN` walks the ring clockwise until it has
//! met n distinct nodes.
//!
//! # Examples
//!
//! ```
//! use edgeroute::{Config, NodeSpec, Router, StrategyKind};
//! let nodes = |ids: &[&str]| ids.iter().map(|id| NodeSpec::new(id, 1.0)).collect::<Vec<_>>();
//! // Removing a node moves only the keys it held.
//! let mut r = Router::new(Config::new(StrategyKind::Ring, nodes(&["a", "b", "c"])), || 0).unwrap();
//! let keys: Vec<String> = (0..200).map(|i| format!("/k/{i}")).collect();
//! let before: Vec<String> = keys.iter().map(|k| r.pick_n_ids(Some(k.as_bytes()), 1, 0.0).unwrap()[0].clone()).collect();
//! r.remove("c");
//! for (k, was) in keys.iter().zip(&before) {
//!     let now = &r.pick_n_ids(Some(k.as_bytes()), 1, 0.0).unwrap()[0];
//!     assert!(was == "c" || now == was);
//! }
//! ```

use super::{first_usable, pick_n_by_walk, Ctx, Footprint, Preference, Seen, Strategy};
use crate::base::alloc;
use crate::base::error::{Code, Error, Result};
use crate::base::sort::sort_by;
use crate::hash::PointHasher;
use crate::node::NodeState;
use core::cmp::Ordering;

/// Ring points per unit of weight when `vnodes` is not given (the ketama tradition).
pub const DEFAULT_VNODES: u32 = 160;
/// Largest `vnodes`.
pub const MAX_VNODES: u32 = 10_000;
/// Most points a ring may hold in total (16 Mi points is 192 MiB; far beyond any sane pool).
pub const MAX_RING_POINTS: u64 = 1 << 24;

/// Directory bits for `n` points: about two points per entry, 16 to 2^20 entries.
fn dir_bits(n: usize) -> u32 {
    (n / 2).next_power_of_two().trailing_zeros().clamp(4, 20)
}

#[derive(Debug)]
pub struct HashRing {
    vnodes: u32,
    seed: u64,
    /// Point hashes, ascending; `owners[i]` is the node index owning `hashes[i]`.
    hashes: Vec<u64>,
    owners: Vec<u32>,
    /// `dir[k]` = the first point whose hash's top `dir_bits` bits are >= k (`dir.len()` = 2^dir_bits + 1), so a
    /// key's successor lies in `hashes[dir[k]..dir[k + 1]]` or is `hashes[dir[k + 1]]`.
    dir: Vec<u32>,
    dir_bits: u32,
    /// Scratch for `pick_n`: which nodes were met; all false between calls.
    seen: Seen,
}

impl HashRing {
    pub fn new(vnodes: u32, seed: u64) -> HashRing {
        let mut r = HashRing {
            vnodes,
            seed,
            hashes: Vec::new(),
            owners: Vec::new(),
            dir: Vec::new(),
            dir_bits: 0,
            seen: Seen::default(),
        };
        r.reindex();
        r
    }

    /// How many points a node of this weight owns.
    pub fn points_for(&self, weight: f64) -> u32 {
        // `as` saturates: an absurd product becomes u32::MAX, which `check_size` then rejects.
        ((weight * self.vnodes as f64).round() as u32).max(1)
    }

    /// Number of points on the ring.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The points, ascending, as (hash, owner index).
    pub fn points(&self) -> impl Iterator<Item = (u64, usize)> + '_ {
        self.hashes.iter().zip(&self.owners).map(|(&h, &o)| (h, o as usize))
    }

    fn check_size(&self, extra: u64) -> Result<()> {
        let total = self.hashes.len() as u64 + extra;
        if total > MAX_RING_POINTS {
            return Err(Error::new(
                Code::TooLarge,
                format!(
                    "the ring would hold {total} points; at most {MAX_RING_POINTS} are supported. Lower vnodes or the weights"
                ),
            ));
        }
        Ok(())
    }

    fn node_points(&self, node: &NodeState, idx: usize) -> Vec<(u64, u32)> {
        let mut h = PointHasher::new(node.id.as_bytes(), self.seed);
        let mut pts: Vec<(u64, u32)> = (0..self.points_for(node.weight))
            .map(|i| (h.hash(i), idx as u32))
            .collect();
        sort_by(&mut pts, &|a, b| a.0.cmp(&b.0));
        pts
    }

    fn cmp(nodes: &[NodeState], a: (u64, u32), b: (u64, u32)) -> Ordering {
        a.0.cmp(&b.0)
            .then_with(|| nodes[a.1 as usize].id.as_bytes().cmp(nodes[b.1 as usize].id.as_bytes()))
    }

    /// Empty arrays with room for a ring of `len` points, allocated before a change touches the ring, so a
    /// failed allocation leaves it as it was.
    fn arrays(len: usize) -> Result<(Vec<u64>, Vec<u32>)> {
        let (mut hashes, mut owners) = (Vec::new(), Vec::new());
        alloc::reserve(&mut hashes, len, "ring points")?;
        alloc::reserve(&mut owners, len, "ring points")?;
        Ok((hashes, owners))
    }

    /// Merges sorted `new` points into the ring, writing the result into `arrays` (from [`Self::arrays`]).
    fn merge(&mut self, nodes: &[NodeState], new: Vec<(u64, u32)>, (hashes, owners): (Vec<u64>, Vec<u32>)) {
        let old_h = core::mem::replace(&mut self.hashes, hashes);
        let old_o = core::mem::replace(&mut self.owners, owners);
        let (mut i, mut j) = (0, 0);
        while i < old_h.len() || j < new.len() {
            let take_old = j == new.len()
                || (i < old_h.len() && Self::cmp(nodes, (old_h[i], old_o[i]), new[j]) != Ordering::Greater);
            let (h, o) = if take_old {
                i += 1;
                (old_h[i - 1], old_o[i - 1])
            } else {
                j += 1;
                new[j - 1]
            };
            self.hashes.push(h);
            self.owners.push(o);
        }
        self.reindex();
    }

    fn drop_owner(&mut self, idx: u32, shift: bool) {
        let mut w = 0;
        for r in 0..self.hashes.len() {
            let o = self.owners[r];
            if o != idx {
                self.hashes[w] = self.hashes[r];
                self.owners[w] = if shift && o > idx { o - 1 } else { o };
                w += 1;
            }
        }
        self.hashes.truncate(w);
        self.owners.truncate(w);
        self.reindex();
    }

    /// Rebuilds the directory after the points changed: about two points per entry (a power of two, 16 to 2^20
    /// entries), O(P).
    fn reindex(&mut self) {
        let bits = dir_bits(self.hashes.len());
        let shift = 64 - bits;
        let mut dir = vec![0u32; (1 << bits) + 1];
        let mut i = 0usize;
        for (k, slot) in dir.iter_mut().enumerate() {
            while i < self.hashes.len() && ((self.hashes[i] >> shift) as usize) < k {
                i += 1;
            }
            *slot = i as u32;
        }
        self.dir = dir;
        self.dir_bits = bits;
    }

    #[inline]
    fn start(&self, key_hash: u64) -> usize {
        let k = (key_hash >> (64 - self.dir_bits)) as usize;
        let (lo, hi) = (self.dir[k] as usize, self.dir[k + 1] as usize);
        let i = lo + self.hashes[lo..hi].partition_point(|&p| p < key_hash);
        if i == self.hashes.len() {
            0
        } else {
            i
        }
    }
}

/// Peak bytes per ring point: a build holds the radix sort's runs (8 + 4) and the final arrays (8 + 4) at once,
/// and a change holds the old and the merged arrays; the directory adds at most 4 more (one `u32` per two
/// points). A built ring keeps 12 bytes per point plus its directory.
pub const BYTES_PER_POINT: u64 = 32;

impl Strategy for HashRing {
    fn footprint(&self, nodes: &[NodeState]) -> Footprint {
        Footprint {
            items: nodes.iter().map(|n| self.points_for(n.weight) as u64).sum(),
            item: "ring points",
            bytes_each: BYTES_PER_POINT,
            extra: 0,
        }
    }

    /// A two-pass radix sort on the directory's bits, then insertion sort: point hashes are uniform, so each
    /// directory bucket gets about two points, and the bucket starts are the directory itself. O(P) expected, no
    /// comparison sort. Two passes rather than one because a single scatter into 2^17 buckets (a 1000-node
    /// ring: 160,000 points) misses the cache on nearly every write; the first pass splits by the top 8 bits
    /// (256 write streams), the second works inside one of those runs at a time.
    fn build(&mut self, nodes: &[NodeState]) -> Result<()> {
        let counts: Vec<u32> = nodes.iter().map(|n| self.points_for(n.weight)).collect();
        let total: u64 = counts.iter().map(|&c| c as u64).sum();
        self.check_size(total)?;
        let n = total as usize;
        let mut raw: Vec<u64> = Vec::new();
        alloc::reserve(&mut raw, n, "ring points")?;
        for (node, &c) in nodes.iter().zip(&counts) {
            let mut h = PointHasher::new(node.id.as_bytes(), self.seed);
            raw.extend((0..c).map(|i| h.hash(i)));
        }
        let bits = dir_bits(n);
        let top = bits.min(8);
        // Pass 1: runs by the top `top` bits.
        let mut runs = vec![0u32; (1 << top) + 1];
        for &h in &raw {
            runs[(h >> (64 - top)) as usize + 1] += 1;
        }
        for k in 1..runs.len() {
            runs[k] += runs[k - 1];
        }
        let mut next = runs.clone();
        let mut run_h = alloc::filled(n, 0u64, "ring points")?;
        let mut run_o = alloc::filled(n, 0u32, "ring points")?;
        let mut at = 0;
        for (idx, &c) in counts.iter().enumerate() {
            for &h in &raw[at..at + c as usize] {
                let slot = &mut next[(h >> (64 - top)) as usize];
                run_h[*slot as usize] = h;
                run_o[*slot as usize] = idx as u32;
                *slot += 1;
            }
            at += c as usize;
        }
        drop(raw);
        // Pass 2: inside each run, buckets by the remaining directory bits.
        let shift = 64 - bits;
        let sub = 1usize << (bits - top);
        let mask = sub - 1;
        let mut dir = vec![0u32; (1 << bits) + 1];
        let mut hashes = alloc::filled(n, 0u64, "ring points")?;
        let mut owners = alloc::filled(n, 0u32, "ring points")?;
        let mut fill = vec![0u32; sub];
        for r in 0..1usize << top {
            let (a, b) = (runs[r] as usize, runs[r + 1] as usize);
            let d = &mut dir[r * sub..=(r + 1) * sub];
            for &h in &run_h[a..b] {
                d[((h >> shift) as usize & mask) + 1] += 1;
            }
            d[0] = a as u32;
            for j in 1..=sub {
                d[j] += d[j - 1];
            }
            fill.copy_from_slice(&d[..sub]);
            for i in a..b {
                let slot = &mut fill[(run_h[i] >> shift) as usize & mask];
                hashes[*slot as usize] = run_h[i];
                owners[*slot as usize] = run_o[i];
                *slot += 1;
            }
        }
        drop((run_h, run_o));
        for w in dir.windows(2) {
            let (lo, hi) = (w[0] as usize, w[1] as usize);
            for i in lo + 1..hi {
                let (h, o) = (hashes[i], owners[i]);
                let mut j = i;
                while j > lo
                    && (hashes[j - 1] > h
                        || hashes[j - 1] == h
                            && Self::cmp(nodes, (hashes[j - 1], owners[j - 1]), (h, o)) == Ordering::Greater)
                {
                    hashes[j] = hashes[j - 1];
                    owners[j] = owners[j - 1];
                    j -= 1;
                }
                hashes[j] = h;
                owners[j] = o;
            }
        }
        self.hashes = hashes;
        self.owners = owners;
        self.dir = dir;
        self.dir_bits = bits;
        self.seen.resize(nodes.len());
        Ok(())
    }

    fn add(&mut self, nodes: &[NodeState], idx: usize) -> Result<()> {
        self.check_size(self.points_for(nodes[idx].weight) as u64)?;
        let pts = self.node_points(&nodes[idx], idx);
        let arrays = Self::arrays(self.hashes.len() + pts.len())?;
        self.merge(nodes, pts, arrays);
        self.seen.resize(nodes.len());
        Ok(())
    }

    fn remove(&mut self, nodes: &[NodeState], idx: usize) {
        self.drop_owner(idx as u32, true);
        self.seen.resize(nodes.len());
    }

    fn reweight(&mut self, nodes: &[NodeState], idx: usize, old_weight: f64) -> Result<()> {
        let (old, new) = (self.points_for(old_weight), self.points_for(nodes[idx].weight));
        if new == old {
            return Ok(());
        }
        self.check_size((new as u64).saturating_sub(old as u64))?;
        let pts = self.node_points(&nodes[idx], idx);
        let arrays = Self::arrays(self.hashes.len() - old as usize + pts.len())?;
        self.drop_owner(idx as u32, false);
        self.merge(nodes, pts, arrays);
        Ok(())
    }

    #[inline]
    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        if self.hashes.is_empty() {
            return None;
        }
        if !cx.all_usable {
            return first_usable(self, nodes, cx.key_hash);
        }
        Some(self.owners[self.start(cx.key_hash)] as usize)
    }

    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        pick_n_by_walk(self, nodes, cx.key_hash, n, out);
    }

    fn ring_points(&self) -> Option<Vec<(u64, usize)>> {
        Some(self.points().collect())
    }
}

impl Preference for HashRing {
    /// Clockwise from the key's point, each owner the first time it is met.
    fn walk(&mut self, _: &[NodeState], key_hash: u64, visit: &mut dyn FnMut(usize) -> bool) {
        let len = self.hashes.len();
        if len == 0 {
            return;
        }
        let start = self.start(key_hash);
        self.seen.walk_circle(&self.owners, start, visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rng::Rng;

    fn ids(r: &HashRing, nodes: &[NodeState]) -> Vec<(u64, String)> {
        r.points().map(|(h, o)| (h, nodes[o].id.to_string())).collect()
    }

    #[test]
    fn equal_hashes_order_by_id_whatever_the_insertion_order() {
        // Node "b" is inserted before "a"; both claim hash 100 (forced: real hashes never collide).
        let nodes = vec![NodeState::new("b", 1.0), NodeState::new("a", 1.0)];
        let mut r = HashRing::new(1, 0);
        r.merge(&nodes[..1], vec![(100, 0), (300, 0)], HashRing::arrays(2).unwrap());
        r.merge(&nodes, vec![(100, 1), (200, 1)], HashRing::arrays(4).unwrap());
        let want = vec![
            (100, "a".to_string()),
            (100, "b".to_string()),
            (200, "a".to_string()),
            (300, "b".to_string()),
        ];
        assert_eq!(ids(&r, &nodes), want);
        // A key hashing to 100 goes to "a", the smaller id, and pickN continues to "b".
        let mut rng = Rng::new(0);
        let mut cx = Ctx {
            key_hash: 100,
            key: &[],
            now_ms: 0.0,
            rng: &mut rng,
            all_usable: true,
        };
        r.seen.resize(2);
        assert_eq!(r.pick(&nodes, &mut cx), Some(1));
        let mut out = vec![];
        r.pick_n(&nodes, &mut cx, 2, &mut out);
        assert_eq!(out, [1, 0]);
        // Merging in the other order gives the same ring.
        let nodes2 = vec![NodeState::new("a", 1.0), NodeState::new("b", 1.0)];
        let mut r2 = HashRing::new(1, 0);
        r2.merge(&nodes2[..1], vec![(100, 0), (200, 0)], HashRing::arrays(2).unwrap());
        r2.merge(&nodes2, vec![(100, 1), (300, 1)], HashRing::arrays(4).unwrap());
        assert_eq!(ids(&r2, &nodes2), want);
    }

    #[test]
    fn wraps_past_the_top_and_removes_cleanly() {
        let nodes = vec![NodeState::new("x", 1.0), NodeState::new("y", 1.0)];
        let mut r = HashRing::new(1, 0);
        r.merge(&nodes, vec![(10, 0), (20, 1)], HashRing::arrays(2).unwrap());
        r.seen.resize(2);
        let mut rng = Rng::new(0);
        let mut cx = Ctx {
            key_hash: u64::MAX,
            key: &[],
            now_ms: 0.0,
            rng: &mut rng,
            all_usable: true,
        };
        assert_eq!(r.pick(&nodes, &mut cx), Some(0));
        cx.key_hash = 11;
        assert_eq!(r.pick(&nodes, &mut cx), Some(1));
        r.remove(&nodes[..1], 1);
        assert_eq!(r.pick(&nodes[..1], &mut cx), Some(0));
        assert_eq!(r.len(), 1);
    }
}
