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
//! Costs: build O(P) expected for P points (a radix sort); add and reweight O(own points) amortized (the points
//! go into gaps left in the sorted array, `gapped.rs`), remove one pass over the points (the owner indices above
//! the node shift down); lookup O(1) expected (a directory on the top bits of the hash narrows the search to a
//! few slots); `pickN` walks the ring clockwise until it has met n distinct nodes.
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

use super::gapped::{dir_bits, GappedPoints};
use super::{first_usable, pick_n_by_walk, Ctx, Footprint, Preference, Seen, Strategy};
use crate::base::alloc;
use crate::base::error::{Code, Error, Result};
use crate::hash::PointHasher;
use crate::node::NodeState;
use core::cmp::Ordering;

/// Ring points per unit of weight when `vnodes` is not given (the ketama tradition).
pub const DEFAULT_VNODES: u32 = 160;
/// Largest `vnodes`.
pub const MAX_VNODES: u32 = 10_000;
/// Most points a ring may hold in total (16 Mi points is 192 MiB; far beyond any sane pool).
pub const MAX_RING_POINTS: u64 = 1 << 24;

#[derive(Debug)]
pub struct HashRing {
    vnodes: u32,
    seed: u64,
    /// The points, sorted, in an array with gaps so a change moves only its own points (`gapped.rs`).
    pts: GappedPoints,
    /// Scratch for `pick_n`: which nodes were met; all false between calls.
    seen: Seen,
}

impl HashRing {
    pub fn new(vnodes: u32, seed: u64) -> HashRing {
        let mut r = HashRing {
            vnodes,
            seed,
            pts: GappedPoints::empty(),
            seen: Seen::default(),
        };
        r.seen.resize(0);
        r
    }

    /// How many points a node of this weight owns.
    pub fn points_for(&self, weight: f64) -> u32 {
        // `as` saturates: an absurd product becomes u32::MAX, which `check_size` then rejects.
        ((weight * self.vnodes as f64).round() as u32).max(1)
    }

    /// Number of points on the ring.
    pub fn len(&self) -> usize {
        self.pts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pts.is_empty()
    }

    /// The points, ascending, as (hash, owner index).
    pub fn points(&self) -> Vec<(u64, usize)> {
        self.pts.points().into_iter().map(|(h, o)| (h, o as usize)).collect()
    }

    fn check_size(&self, extra: u64) -> Result<()> {
        let total = self.pts.len() as u64 + extra;
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

    /// Inserts points `from..to` of node `idx`, after making room for all of them: the only allocation, so a
    /// failure changes nothing. Equal hashes order by id.
    fn insert_points(&mut self, nodes: &[NodeState], idx: usize, from: u32, to: u32) -> Result<()> {
        self.pts.reserve((to - from) as usize)?;
        let id = nodes[idx].id.as_bytes();
        let goes_after = |e: u32| nodes[e as usize].id.as_bytes() > id;
        let mut h = PointHasher::new(id, self.seed);
        for i in from..to {
            self.pts.insert(h.hash(i), idx as u32, &goes_after);
        }
        Ok(())
    }

    fn cmp(nodes: &[NodeState], a: (u64, u32), b: (u64, u32)) -> Ordering {
        a.0.cmp(&b.0)
            .then_with(|| nodes[a.1 as usize].id.as_bytes().cmp(nodes[b.1 as usize].id.as_bytes()))
    }

    #[inline]
    fn start(&self, key_hash: u64) -> usize {
        self.pts.start(key_hash)
    }
}

/// Bytes of a build's arrays per ring point at their peak: the radix sort's runs (8 + 4) and the final arrays
/// (8 + 4) at once (the raw hashes, 8, are freed before the final arrays exist).
pub const BUILD_BYTES_PER_POINT: u64 = 24;

impl Strategy for HashRing {
    /// The larger of a build's peak (24 per point and the directory) and a change's: the points as they are
    /// held now, plus a relayout for the new count when they do not fit (`GappedPoints::reserve` lays out at
    /// most once per change).
    /// Built, a ring holds 12 bytes per point and a directory of 2 to 4; once changed, 14 to 17 per point (its
    /// gaps) and 2 to 4 for the directory and fills. Given per point in messages, rounded up.
    fn footprint(&self, nodes: &[NodeState]) -> Footprint {
        let points: u64 = nodes.iter().map(|n| self.points_for(n.weight) as u64).sum();
        let dir = ((1u64 << dir_bits(points.min(1 << 26) as usize)) + 1) * 4;
        let build = points.saturating_mul(BUILD_BYTES_PER_POINT).saturating_add(dir);
        let relayout = if self.pts.fits(points) {
            0
        } else {
            GappedPoints::relayout_bytes(points)
        };
        let change = (self.pts.bytes() as u64).saturating_add(relayout);
        Footprint {
            items: points,
            item: "ring points",
            bytes_each: build.max(change).div_ceil(points.max(1)),
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
        // Pass 2: inside each run, buckets by the remaining directory bits.
        let shift = 64 - bits;
        let sub = 1usize << (bits - top);
        let mask = sub - 1;
        let mut dir = vec![0u32; (1 << bits) + 1];
        // `raw` is read; pass 2 writes each of its n slots once (a permutation), so it needs no fresh array.
        let mut hashes = raw;
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
        self.pts = GappedPoints::from_sorted(hashes, owners, dir, bits);
        self.seen.resize(nodes.len());
        Ok(())
    }

    /// O(own points) amortized: the node's points go into the gaps (see `gapped.rs`).
    fn add(&mut self, nodes: &[NodeState], idx: usize) -> Result<()> {
        let count = self.points_for(nodes[idx].weight);
        self.check_size(count as u64)?;
        self.insert_points(nodes, idx, 0, count)?;
        self.seen.resize(nodes.len());
        Ok(())
    }

    /// One pass over the slots, finding the node's points by owner and moving the indices above it down.
    fn remove(&mut self, nodes: &[NodeState], idx: usize) {
        self.pts.remove_owner(idx as u32);
        self.seen.resize(nodes.len());
    }

    /// O(own points) to take the node's points out (regenerated from its id), then one tight pass moving the
    /// owner indices above it down by one.
    fn remove_node(&mut self, nodes: &[NodeState], idx: usize, gone: &NodeState) {
        // A gapless ring takes its gaps now (the cost model counts that relayout); if it cannot, one pass.
        if !self.pts.has_gaps() && self.pts.reserve(0).is_err() {
            return self.remove(nodes, idx);
        }
        let mut h = PointHasher::new(gone.id.as_bytes(), self.seed);
        for i in 0..self.points_for(gone.weight) {
            self.pts.remove(h.hash(i), idx as u32);
        }
        self.pts.renumber_above(idx as u32);
        self.pts.shrink();
        self.seen.resize(nodes.len());
    }

    /// O(changed points): points `old..new` are added, or `new..old` removed.
    fn reweight(&mut self, nodes: &[NodeState], idx: usize, old_weight: f64) -> Result<()> {
        let (old, new) = (self.points_for(old_weight), self.points_for(nodes[idx].weight));
        if new > old {
            self.check_size((new - old) as u64)?;
            return self.insert_points(nodes, idx, old, new);
        }
        self.pts.reserve(0)?;
        let mut h = PointHasher::new(nodes[idx].id.as_bytes(), self.seed);
        for i in new..old {
            self.pts.remove(h.hash(i), idx as u32);
        }
        self.pts.shrink();
        Ok(())
    }

    #[inline]
    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        if !cx.all_usable {
            return first_usable(self, nodes, cx);
        }
        self.direct(nodes, cx.key_hash)
    }

    fn direct(&self, _: &[NodeState], key_hash: u64) -> Option<usize> {
        if self.pts.is_empty() {
            return None;
        }
        Some(self.pts.owners[self.start(key_hash)] as usize)
    }

    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        pick_n_by_walk(self, nodes, cx, n, out);
    }

    fn walk_picks(&mut self) -> Option<&mut dyn Preference> {
        Some(self)
    }

    fn ring_points(&self) -> Option<Vec<(u64, usize)>> {
        Some(self.points())
    }
}

impl Preference for HashRing {
    /// Clockwise from the key's point, each owner the first time it is met.
    fn walk(&mut self, _: &[NodeState], key_hash: u64, visit: &mut dyn FnMut(usize) -> bool) {
        if self.pts.is_empty() {
            return;
        }
        let start = self.start(key_hash);
        self.seen.walk_circle(&self.pts.owners, start, visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rng::Rng;

    /// Inserts explicit points, as `insert_points` does with hashed ones.
    fn put(r: &mut HashRing, nodes: &[NodeState], pts: &[(u64, u32)]) {
        r.pts.reserve(pts.len()).unwrap();
        for &(h, o) in pts {
            let id = nodes[o as usize].id.as_bytes();
            r.pts.insert(h, o, &|e| nodes[e as usize].id.as_bytes() > id);
        }
    }

    fn ids(r: &HashRing, nodes: &[NodeState]) -> Vec<(u64, String)> {
        r.points()
            .into_iter()
            .map(|(h, o)| (h, nodes[o].id.to_string()))
            .collect()
    }

    #[test]
    fn equal_hashes_order_by_id_whatever_the_insertion_order() {
        // Node "b" is inserted before "a"; both claim hash 100 (forced: real hashes never collide).
        let nodes = vec![NodeState::new("b", 1.0), NodeState::new("a", 1.0)];
        let mut r = HashRing::new(1, 0);
        put(&mut r, &nodes[..1], &[(100, 0), (300, 0)]);
        put(&mut r, &nodes, &[(100, 1), (200, 1)]);
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
            only: None,
            part: 0,
            ramp: None,
        };
        r.seen.resize(2);
        assert_eq!(r.pick(&nodes, &mut cx), Some(1));
        let mut out = vec![];
        r.pick_n(&nodes, &mut cx, 2, &mut out);
        assert_eq!(out, [1, 0]);
        // Merging in the other order gives the same ring.
        let nodes2 = vec![NodeState::new("a", 1.0), NodeState::new("b", 1.0)];
        let mut r2 = HashRing::new(1, 0);
        put(&mut r2, &nodes2[..1], &[(100, 0), (200, 0)]);
        put(&mut r2, &nodes2, &[(100, 1), (300, 1)]);
        assert_eq!(ids(&r2, &nodes2), want);
    }

    /// Hundreds of adds, removes and reweights through the gaps give exactly the points, and the owner of every
    /// probe, that one build of the final table gives.
    #[test]
    fn changes_through_the_gaps_equal_a_fresh_build() {
        let mut rng = Rng::new(11);
        let mut nodes: Vec<NodeState> = (0..20).map(|i| NodeState::new(&format!("n{i}"), 1.0)).collect();
        let mut r = HashRing::new(40, 9);
        r.build(&nodes).unwrap();
        for step in 0..600 {
            match rng.next_u64() % 4 {
                0 | 1 => {
                    nodes.push(NodeState::new(&format!("m{step}"), 1.0 + (step % 3) as f64));
                    r.add(&nodes, nodes.len() - 1).unwrap();
                }
                2 if nodes.len() > 1 => {
                    let i = (rng.next_u64() % nodes.len() as u64) as usize;
                    let gone = nodes.remove(i);
                    r.remove_node(&nodes, i, &gone);
                }
                _ => {
                    let i = (rng.next_u64() % nodes.len() as u64) as usize;
                    let old = core::mem::replace(&mut nodes[i].weight, 0.25 + (rng.next_u64() % 12) as f64 / 4.0);
                    r.reweight(&nodes, i, old).unwrap();
                }
            }
            if step % 50 == 49 {
                let mut fresh = HashRing::new(40, 9);
                fresh.build(&nodes).unwrap();
                assert_eq!(ids(&r, &nodes), ids(&fresh, &nodes), "step {step}");
                for _ in 0..200 {
                    let h = rng.next_u64();
                    assert_eq!(r.pts.owners[r.start(h)], fresh.pts.owners[fresh.start(h)]);
                }
            }
        }
    }

    #[test]
    fn wraps_past_the_top_and_removes_cleanly() {
        let nodes = vec![NodeState::new("x", 1.0), NodeState::new("y", 1.0)];
        let mut r = HashRing::new(1, 0);
        put(&mut r, &nodes, &[(10, 0), (20, 1)]);
        r.seen.resize(2);
        let mut rng = Rng::new(0);
        let mut cx = Ctx {
            key_hash: u64::MAX,
            key: &[],
            now_ms: 0.0,
            rng: &mut rng,
            all_usable: true,
            only: None,
            part: 0,
            ramp: None,
        };
        assert_eq!(r.pick(&nodes, &mut cx), Some(0));
        cx.key_hash = 11;
        assert_eq!(r.pick(&nodes, &mut cx), Some(1));
        r.remove(&nodes[..1], 1);
        assert_eq!(r.pick(&nodes[..1], &mut cx), Some(0));
        assert_eq!(r.len(), 1);
    }
}
