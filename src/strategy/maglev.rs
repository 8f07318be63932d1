//! Maglev hashing: Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer", NSDI 2016,
//! section 3.4.
//!
//! Each node has a permutation of the M table slots (M prime): `offset = h1(id) mod M`,
//! `skip = h2(id) mod (M − 1) + 1`, slot j = `(offset + j × skip) mod M` (the paper's equations in 3.4). Nodes
//! take turns claiming their next preferred free slot until the table is full (the paper's Pseudocode 1); a key
//! goes to `table[hash(key) mod M]`. Here h1 and h2 are ring point hashes 0 and 1 of the id
//! ([`crate::hash::point_hash`]), and nodes take turns in id order, so the table does not depend on insertion
//! order.
//!
//! Weights: the paper notes that turns can be weighted. Each round a node gains `w / w_max` credits and claims
//! one slot per whole credit, so slot counts follow the weights; with equal weights every node claims exactly
//! one slot per round, which is the paper's loop unchanged.
//!
//! Balance is near perfect (slot counts differ by at most one at equal weights); disruption on a change is
//! small but above the minimum (the paper measures it). `pickN` probes the table from the key's slot with a
//! key-dependent stride (coprime with M, so it visits every slot once) and takes owners as first met.
//! Costs: build O(M log M) expected; every membership change rebuilds; lookup O(1).
//!
//! # Examples
//!
//! ```
//! use edgeroute::{Config, NodeSpec, Router, StrategyKind};
//! let nodes = |ids: &[&str]| ids.iter().map(|id| NodeSpec::new(id, 1.0)).collect::<Vec<_>>();
//! // A small prime table; every key lands on a node, and the same one each time.
//! let mut cfg = Config::new(StrategyKind::Maglev, nodes(&["a", "b", "c"]));
//! cfg.table_size = 251;
//! let mut r = Router::new(cfg, || 0).unwrap();
//! let first = r.pick(Some(b"/video/1"), 0.0).unwrap();
//! assert_eq!(r.pick(Some(b"/video/1"), 0.0).unwrap(), first);
//! ```

use super::{first_usable, pick_n_by_walk, Ctx, Footprint, Preference, Seen, Strategy};
use crate::base::error::{Code, Error, Result};
use crate::hash::{mix64, point_hash};
use crate::node::NodeState;

/// Default maglev lookup table size: the prime the Maglev paper uses in its evaluation (NSDI 2016, section
/// 5.3, M = 65537), about 650 slots per node at 100 nodes.
pub const DEFAULT_TABLE_SIZE: u32 = 65_537;
/// Largest maglev table (16 Mi slots, 64 MiB).
pub const MAX_TABLE_SIZE: u32 = 1 << 24;

const EMPTY: u32 = u32::MAX;
/// Mixed with the key hash to derive the probe stride of `pickN` ("maglev" in ASCII).
const STRIDE_SALT: u64 = 0x6d61_676c_6576;

#[derive(Debug)]
pub struct Maglev {
    m: u32,
    seed: u64,
    table: Vec<u32>,
    seen: Seen,
}

/// Fills a table of `m` slots from each node's `(offset, skip)` and weight, nodes taking turns in the order
/// given. Returns the owner index of every slot (into `perms`).
pub fn populate(m: u32, perms: &[(u32, u32)], weights: &[f64]) -> Result<Vec<u32>> {
    let mut table = crate::base::alloc::filled(m as usize, EMPTY, "the maglev table")?;
    if perms.is_empty() {
        return Ok(table);
    }
    let wmax = weights.iter().cloned().fold(0.0, f64::max);
    // Each node's position in its permutation, stepped by `skip` (mod m) without a division per probe.
    let mut pos: Vec<u32> = perms.iter().map(|p| p.0).collect();
    let mut credit = vec![0.0f64; perms.len()];
    let mut filled = 0u32;
    while filled < m {
        for (i, &(_, skip)) in perms.iter().enumerate() {
            credit[i] += weights[i] / wmax;
            while credit[i] >= 1.0 && filled < m {
                credit[i] -= 1.0;
                // The node's next preferred slot that is still free.
                let slot = loop {
                    let c = pos[i];
                    pos[i] = if c >= m - skip { c - (m - skip) } else { c + skip };
                    if table[c as usize] == EMPTY {
                        break c as usize;
                    }
                };
                table[slot] = i as u32;
                filled += 1;
            }
            if filled == m {
                break;
            }
        }
    }
    Ok(table)
}

impl Maglev {
    pub fn new(m: u32, seed: u64) -> Maglev {
        Maglev {
            m,
            seed,
            table: Vec::new(),
            seen: Seen::default(),
        }
    }

    /// The lookup table: owner node index of each slot.
    pub fn table(&self) -> &[u32] {
        &self.table
    }

    fn rebuild(&mut self, nodes: &[NodeState]) -> Result<()> {
        if nodes.len() >= self.m as usize {
            return Err(maglev_too_small(nodes.len(), self.m));
        }
        let mut order: Vec<usize> = (0..nodes.len()).collect();
        crate::base::sort::sort_by(&mut order, &|&a, &b| nodes[a].id.as_bytes().cmp(nodes[b].id.as_bytes()));
        let m = self.m as u64;
        let perms: Vec<(u32, u32)> = order
            .iter()
            .map(|&i| {
                let id = nodes[i].id.as_bytes();
                let offset = point_hash(id, 0, self.seed) % m;
                let skip = point_hash(id, 1, self.seed) % (m - 1) + 1;
                (offset as u32, skip as u32)
            })
            .collect();
        let weights: Vec<f64> = order.iter().map(|&i| nodes[i].weight).collect();
        self.table = populate(self.m, &perms, &weights)?
            .into_iter()
            .map(|o| if o == EMPTY { EMPTY } else { order[o as usize] as u32 })
            .collect();
        self.seen.resize(nodes.len());
        Ok(())
    }
}

/// Peak bytes per table slot: a rebuild fills a new `u32` table while the old one still routes.
pub const BYTES_PER_SLOT: u64 = 8;
/// Peak bytes per node during a rebuild: its permutation, position, credit, order and weight.
const BYTES_PER_NODE: u64 = 40;

impl Strategy for Maglev {
    super::rebuild_on_every_change!();

    fn footprint(&self, nodes: &[NodeState]) -> Footprint {
        Footprint {
            items: self.m as u64,
            item: "maglev table slots",
            bytes_each: BYTES_PER_SLOT,
            extra: BYTES_PER_NODE * nodes.len() as u64,
        }
    }

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        if nodes.is_empty() {
            return None;
        }
        if !cx.all_usable {
            return first_usable(self, nodes, cx);
        }
        self.direct(nodes, cx.key_hash)
    }

    fn direct(&self, nodes: &[NodeState], key_hash: u64) -> Option<usize> {
        if nodes.is_empty() {
            return None;
        }
        let o = self.table[(key_hash % self.m as u64) as usize];
        (o != EMPTY).then_some(o as usize)
    }

    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        pick_n_by_walk(self, nodes, cx, n, out);
    }

    fn walk_picks(&mut self) -> Option<&mut dyn Preference> {
        Some(self)
    }
}

impl Preference for Maglev {
    fn walk(&mut self, nodes: &[NodeState], key_hash: u64, visit: &mut dyn FnMut(usize) -> bool) {
        if nodes.is_empty() {
            return;
        }
        let m = self.m as u64;
        let start = key_hash % m;
        let stride = mix64(key_hash, STRIDE_SALT) % (m - 1) + 1;
        let mut stopped = false;
        for j in 0..m {
            let o = self.table[((start + j * stride) % m) as usize];
            if o != EMPTY && self.seen.first(o as usize) {
                if visit(o as usize) {
                    stopped = true;
                    break;
                }
                if self.seen.count() == nodes.len() {
                    break;
                }
            }
        }
        // Nodes whose weight was too small to win a slot come last, in id order.
        if !stopped && self.seen.count() < nodes.len() {
            self.seen.visit_rest(nodes.len(), |i| nodes[i].id.as_bytes(), visit);
        }
        self.seen.clear();
    }
}

/// The error for a pool with no room in the table.
pub fn maglev_too_small(nodes: usize, m: u32) -> Error {
    Error::new(
        Code::TooLarge,
        format!("{nodes} nodes do not fit a maglev table of {m} slots; use a prime tableSize well above the node count (the paper suggests 100 times it)"),
    )
}

/// Deterministic primality by trial division (tables are at most 2^24, so at most 2^12 divisions).
pub fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2u32;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of the Maglev paper (Table 1): M = 7, B0 offset 3 skip 4, B1 offset 0 skip 2,
    /// B2 offset 3 skip 1. Running Pseudocode 1 by hand gives B1 B0 B1 B0 B2 B2 B0, as the paper shows;
    /// without B1 it gives B0 B0 B0 B0 B2 B2 B2.
    #[test]
    fn paper_table_1_worked_by_hand() {
        let before = populate(7, &[(3, 4), (0, 2), (3, 1)], &[1.0, 1.0, 1.0]).unwrap();
        assert_eq!(before, [1, 0, 1, 0, 2, 2, 0]);
        let after = populate(7, &[(3, 4), (3, 1)], &[1.0, 1.0]).unwrap();
        assert_eq!(after, [0, 0, 0, 0, 1, 1, 1]);
    }

    #[test]
    fn weighted_turns_follow_weights() {
        let t = populate(10007, &[(1, 3), (5, 7), (11, 13)], &[1.0, 2.0, 3.0]).unwrap();
        let count = |i: u32| t.iter().filter(|&&o| o == i).count() as f64;
        let total = 10007.0;
        for (i, w) in [(0, 1.0), (1, 2.0), (2, 3.0)] {
            assert!((count(i) - total * w / 6.0).abs() <= 2.0, "node {i}: {}", count(i));
        }
    }

    #[test]
    fn equal_weights_differ_by_at_most_one_slot() {
        let perms: Vec<(u32, u32)> = (0..13)
            .map(|i| ((i * 7919) % 65537, (i * 104_729) % 65536 + 1))
            .collect();
        let t = populate(65537, &perms, &[1.0; 13]).unwrap();
        let counts: Vec<usize> = (0..13).map(|i| t.iter().filter(|&&o| o == i).count()).collect();
        assert!(
            counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1,
            "{counts:?}"
        );
    }
}
