//! Jump consistent hash (Lamping & Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm", 2014) with
//! arbitrary removal by MementoHash (Coluzzi, Brocco, Antonucci & Leidi, "MementoHash: A Stateful, Minimal
//! Memory, Best Performing Consistent Hash Algorithm", IEEE/ACM ToN 2024, arXiv:2306.09783).
//!
//! Jump maps a key to one of n buckets [0, n) with no memory, perfect balance and minimal movement, but only
//! when the *last* bucket is added or removed. MementoHash keeps a table of removed buckets: removing bucket b
//! while w buckets work records `b → (replacer w − 1, previously removed bucket)`. A key whose jump bucket was
//! removed is rehashed onto [0, w − 1), following the chain of later removals, so only the removed bucket's
//! keys move. Adding a bucket restores the most recently removed one (LIFO), or appends one.
//!
//! Weights: a node of weight w owns w buckets (weights must be whole numbers). A node's buckets are added and
//! removed through the same replacement table. Costs: lookup O(ln n) expected, plus the replacement chain;
//! add/remove O(1) per bucket; memory O(n) for the bucket owners and O(removed) for the replacement table.
//!
//! Unlike ring, rendezvous and maglev, jump's mapping depends on bucket numbers, so on the order in which nodes
//! were added and removed: two Routers agree only if they saw the same sequence of changes (or were built from
//! the same `nodes` list in the same order).
//!
//! # Examples
//!
//! ```
//! use edgeroute::{Config, NodeSpec, Router, StrategyKind};
//! let nodes = |ids: &[&str]| ids.iter().map(|id| NodeSpec::new(id, 1.0)).collect::<Vec<_>>();
//! # fn pick(r: &mut Router, key: Option<&[u8]>, now: f64) -> String {
//! #     let i = r.pick(key, now).unwrap().unwrap();
//! #     r.id(i).to_owned()
//! # }
//! // Weights are whole numbers of buckets; pickN gives distinct nodes, starting with pick's.
//! let mut r = Router::new(Config::new(StrategyKind::Jump, nodes(&["a", "b", "c", "d"])), || 0).unwrap();
//! let first = pick(&mut r, Some(b"user:42"), 0.0).to_owned();
//! let order = r.pick_n_ids(Some(b"user:42"), 3, 0.0).unwrap();
//! assert_eq!(order[0], first);
//! assert!(order[1] != order[0] && order[2] != order[1] && order[2] != order[0]);
//! ```

use super::{Ctx, Footprint, Preference, Seen, Strategy};
use crate::base::error::{Code, Error, Result};
use crate::base::limits::{validate_whole_weight, MAX_BUCKETS};
use crate::hash::{mix64, xxh3_key};
use crate::node::NodeState;

/// What jump does with a weight, for the message that refuses a fractional one.
pub const WHOLE_WEIGHTS: &str = "strategy \"jump\" gives each node `weight` buckets";

const NONE: u32 = u32::MAX;

/// The jump consistent hash of the paper (its Figure 1), bit for bit: the 64-bit LCG multiplier
/// 2862933555777941757 and the 2^31 / ((key >> 33) + 1) step are the paper's.
pub fn jump_hash(mut key: u64, buckets: u32) -> u32 {
    let (mut b, mut j): (i64, i64) = (-1, 0);
    while j < buckets as i64 {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b as u32
}

/// MementoHash's replacement table over jump's bucket array.
#[derive(Debug, Clone, Default)]
pub struct Memento {
    /// Size of the bucket array jump hashes over.
    n: u32,
    /// Per bucket: (replacer, previously removed bucket), or (NONE, _) if it works.
    removed: Vec<(u32, u32)>,
    removed_count: u32,
    last_removed: u32,
}

impl Memento {
    pub fn new() -> Memento {
        Memento {
            n: 0,
            removed: Vec::new(),
            removed_count: 0,
            last_removed: NONE,
        }
    }

    /// Working buckets.
    pub fn working(&self) -> u32 {
        self.n - self.removed_count
    }

    fn replacer(&self, b: u32) -> Option<u32> {
        let r = self.removed[b as usize].0;
        (r != NONE).then_some(r)
    }

    /// Adds a bucket: the most recently removed one, else a new one at the end. Returns its number.
    pub fn add(&mut self) -> u32 {
        if self.last_removed != NONE {
            let b = self.last_removed;
            self.last_removed = self.removed[b as usize].1;
            self.removed[b as usize] = (NONE, NONE);
            self.removed_count -= 1;
            b
        } else {
            self.n += 1;
            self.removed.push((NONE, NONE));
            self.n - 1
        }
    }

    /// Removes working bucket `b`.
    pub fn remove(&mut self, b: u32) {
        debug_assert!(b < self.n && self.replacer(b).is_none());
        if self.removed_count == 0 && b == self.n - 1 {
            // The last bucket of a hole-free array: plain jump handles it.
            self.n -= 1;
            self.removed.pop();
            return;
        }
        self.removed[b as usize] = (self.working() - 1, self.last_removed);
        self.last_removed = b;
        self.removed_count += 1;
    }

    /// The working bucket of a key hash.
    pub fn lookup(&self, h: u64) -> u32 {
        let mut b = jump_hash(h, self.n);
        let mut r = self.replacer(b);
        while let Some(rep) = r {
            // b was removed when `rep + 1` buckets worked: spread its keys over [0, rep).
            b = (mix64(h, b as u64) % rep as u64) as u32;
            r = self.replacer(b);
            // A bucket removed earlier (larger replacer) was itself replaced: follow the chain.
            while let Some(r2) = r {
                if r2 < rep {
                    break;
                }
                b = r2;
                r = self.replacer(b);
            }
        }
        b
    }
}

#[derive(Debug)]
pub struct Jump {
    seed: u64,
    memento: Memento,
    /// Node index owning each bucket (NONE for removed buckets).
    owner: Vec<u32>,
    /// Buckets of each node, in the order it got them.
    buckets: Vec<Vec<u32>>,
    node_hash: Vec<u64>,
    seen: Seen,
}

impl Jump {
    pub fn new(seed: u64) -> Jump {
        Jump {
            seed,
            memento: Memento::new(),
            owner: Vec::new(),
            buckets: Vec::new(),
            node_hash: Vec::new(),
            seen: Seen::default(),
        }
    }

    fn check(&self, weight: f64, what: &str, extra: u64) -> Result<u32> {
        validate_whole_weight(weight, what, WHOLE_WEIGHTS)?;
        let total = self.memento.working() as u64 + extra;
        if total > MAX_BUCKETS {
            return Err(Error::new(
                Code::TooLarge,
                format!(
                    "jump would have {total} buckets (the sum of the weights); at most {MAX_BUCKETS} are supported"
                ),
            ));
        }
        Ok(weight as u32)
    }

    fn grow(&mut self, idx: usize, count: u32) {
        for _ in 0..count {
            let b = self.memento.add();
            if b as usize >= self.owner.len() {
                self.owner.resize(b as usize + 1, NONE);
            }
            self.owner[b as usize] = idx as u32;
            self.buckets[idx].push(b);
        }
    }

    fn shrink(&mut self, idx: usize, count: usize) {
        for _ in 0..count {
            if let Some(b) = self.buckets[idx].pop() {
                self.memento.remove(b);
                self.owner[b as usize] = NONE;
            }
        }
        self.owner.truncate(self.memento.n as usize);
    }

    fn lookup(&self, h: u64) -> Option<usize> {
        if self.memento.working() == 0 {
            return None;
        }
        Some(self.owner[self.memento.lookup(h) as usize] as usize)
    }
}

/// Peak bytes per bucket: its owner (4) and its place in its node's list (4), times the growth slack of both lists
/// (a list doubles, and holds the old and the new block while it moves): 24.6 measured, by tests/memory.rs.
pub const BYTES_PER_BUCKET: u64 = 32;

impl Strategy for Jump {
    fn footprint(&self, nodes: &[NodeState]) -> Footprint {
        Footprint {
            items: nodes.iter().map(|n| n.weight as u64).sum(),
            item: "jump buckets",
            bytes_each: BYTES_PER_BUCKET,
            // A bucket list and a hash per node.
            extra: 32 * nodes.len() as u64,
        }
    }

    fn add(&mut self, nodes: &[NodeState], idx: usize) -> Result<()> {
        let w = nodes[idx].weight;
        let count = self.check(w, &format!("the weight of node {:?}", nodes[idx].id), w as u64)?;
        self.buckets.push(Vec::new());
        self.node_hash.push(xxh3_key(nodes[idx].id.as_bytes(), self.seed));
        self.seen.resize(nodes.len());
        self.grow(idx, count);
        Ok(())
    }

    fn remove(&mut self, _: &[NodeState], idx: usize) {
        // Newest bucket first, so re-adding the node restores the same buckets in the same order.
        let count = self.buckets[idx].len();
        self.shrink(idx, count);
        self.buckets.remove(idx);
        self.node_hash.remove(idx);
        self.seen.resize(self.buckets.len());
        for o in self.owner.iter_mut() {
            if *o != NONE && *o as usize > idx {
                *o -= 1;
            }
        }
    }

    fn reweight(&mut self, nodes: &[NodeState], idx: usize, _: f64) -> Result<()> {
        let w = nodes[idx].weight;
        let have = self.buckets[idx].len() as u64;
        let count = self.check(
            w,
            &format!("the weight of node {:?}", nodes[idx].id),
            (w as u64).saturating_sub(have),
        )?;
        if count as u64 > have {
            self.grow(idx, count - have as u32);
        } else {
            self.shrink(idx, (have - count as u64) as usize);
        }
        Ok(())
    }

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        if !cx.all_usable {
            return super::first_usable(self, nodes, cx);
        }
        self.lookup(cx.key_hash)
    }

    fn direct(&self, _: &[NodeState], key_hash: u64) -> Option<usize> {
        self.lookup(key_hash)
    }

    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        super::pick_n_by_walk(self, nodes, cx, n, out);
    }

    fn walk_picks(&mut self) -> Option<&mut dyn Preference> {
        Some(self)
    }
}

impl Preference for Jump {
    /// The key's bucket, then the buckets of rehashes `mix64(key, attempt)` for attempts 1, 2, ... (up to
    /// 8 per node), each new owner once; any node still unmet follows, by `mix64(key, node hash)` descending.
    fn walk(&mut self, nodes: &[NodeState], key_hash: u64, visit: &mut dyn FnMut(usize) -> bool) {
        let Some(first) = self.lookup(key_hash) else {
            return;
        };
        self.seen.first(first);
        let mut stopped = visit(first);
        let mut attempt = 1u64;
        while !stopped && self.seen.count() < nodes.len() && attempt <= 8 * nodes.len() as u64 {
            if let Some(o) = self.lookup(mix64(key_hash, attempt)) {
                if self.seen.first(o) {
                    stopped = visit(o);
                }
            }
            attempt += 1;
        }
        if !stopped && self.seen.count() < nodes.len() {
            let node_hash = &self.node_hash;
            self.seen.visit_rest(
                nodes.len(),
                |i| core::cmp::Reverse((mix64(key_hash, node_hash[i]), i)),
                visit,
            );
        }
        self.seen.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outputs for 1 to 20 buckets generated from the paper's reference C++ code, as published in dgryski's
    /// go-jump tests.
    #[test]
    fn jump_hash_matches_published_outputs() {
        let cases: [(u64, &[u32]); 4] = [
            (0, &[0; 20]),
            (1, &[0, 0, 0, 0, 0, 0, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 17, 17]),
            (
                0xdead_beef,
                &[0, 1, 2, 3, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 16, 16, 16],
            ),
            (
                0x0ddc_0ffe_ebad_f00d,
                &[0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 15, 15, 15, 15],
            ),
        ];
        for (key, want) in cases {
            for (i, &b) in want.iter().enumerate() {
                assert_eq!(jump_hash(key, i as u32 + 1), b, "key {key:#x}, {} buckets", i + 1);
            }
        }
    }

    #[test]
    fn memento_moves_only_the_removed_buckets_keys_and_restores_lifo() {
        let mut m = Memento::new();
        for _ in 0..50 {
            m.add();
        }
        let keys: Vec<u64> = (0..200_000u64).map(|k| mix64(k, 77)).collect();
        let before: Vec<u32> = keys.iter().map(|&k| m.lookup(k)).collect();
        let mut gone = vec![];
        for b in [7u32, 31, 0, 49, 12] {
            let prev: Vec<u32> = keys.iter().map(|&k| m.lookup(k)).collect();
            m.remove(b);
            gone.push(b);
            let now: Vec<u32> = keys.iter().map(|&k| m.lookup(k)).collect();
            let mut counts = [0u32; 50];
            for (p, q) in prev.iter().zip(&now) {
                assert!(!gone.contains(q), "a key landed on removed bucket {q}");
                if p != q {
                    assert_eq!(*p, b, "a key moved off bucket {p}, which stayed");
                }
                counts[*q as usize] += 1;
            }
            // Balance over the working buckets: each within 6 binomial sd of the mean.
            let w = m.working() as f64;
            let mean = keys.len() as f64 / w;
            let sd = (mean * (1.0 - 1.0 / w)).sqrt();
            for (i, &c) in counts.iter().enumerate() {
                if !gone.contains(&(i as u32)) {
                    assert!((c as f64 - mean).abs() < 6.0 * sd, "bucket {i}: {c} vs {mean}");
                }
            }
        }
        // Restoring in reverse order brings every key home.
        for b in gone.iter().rev() {
            assert_eq!(m.add(), *b);
        }
        assert_eq!(keys.iter().map(|&k| m.lookup(k)).collect::<Vec<_>>(), before);
    }

    #[test]
    fn memento_survives_removing_almost_everything_in_random_order() {
        let mut m = Memento::new();
        for _ in 0..200 {
            m.add();
        }
        let keys: Vec<u64> = (0..20_000u64).map(|k| mix64(k, 5)).collect();
        let mut rng = crate::base::rng::Rng::new(11);
        let mut working: Vec<u32> = (0..200).collect();
        let mut prev: Vec<u32> = keys.iter().map(|&k| m.lookup(k)).collect();
        while working.len() > 10 {
            let b = working.swap_remove(rng.below(working.len()));
            m.remove(b);
            let now: Vec<u32> = keys.iter().map(|&k| m.lookup(k)).collect();
            for (p, q) in prev.iter().zip(&now) {
                assert!(working.contains(q), "key on non-working bucket {q}");
                assert!(p == q || *p == b, "key moved off {p} though only {b} left");
            }
            prev = now;
        }
        let mut counts = [0u32; 200];
        for &b in &prev {
            counts[b as usize] += 1;
        }
        for &b in &working {
            // 2000 expected per bucket, binomial sd about 42.
            assert!(
                (counts[b as usize] as f64 - 2000.0).abs() < 300.0,
                "bucket {b}: {}",
                counts[b as usize]
            );
        }
    }
}
