//! The 64-bit hash ring of Apache Traffic Server's `round_robin=consistent_hash` ([`super::ats`]) and Envoy's
//! ring hash ([`super::envoy`]).
//!
//! Kept apart from the 32-bit [`super::continuum`] because both the points and the key hashes are 64 bits wide
//! here: widening the continuum would double the point memory of the five 32-bit profiles. Both systems look a
//! key up the same way: the first point at or after the key's hash, wrapping to the first point (ATS:
//! `std::map::lower_bound` in `ATSConsistentHash::lookup_by_hashval`; Envoy: the ketama-style binary search of
//! `RingHashLoadBalancer::Ring::chooseHost`). Points sort by hash; of equal points only the first generated is
//! kept: ATS inserts into a `std::map`, whose `insert` keeps the existing entry (two parents with the same
//! hostname share every point, and the later one gets none). Envoy keeps both and orders them with an unstable
//! `std::sort`; equal 64-bit points there are a 1-in-2^64 event per pair, so the rule does not matter for it.
//!
//! Preference order (`pickN`, health): clockwise from the key's point, each node the first time it is met.
//! For ATS this is `nextParent`'s walk (the iterator moves on past the failed parent's points); for Envoy, the
//! retry host that the `previous_hosts` predicate gets (`chooseHost(hash, attempt)` looks at the point
//! `attempt` places on, and rejected hosts move it further).

use super::{ats, envoy};
use crate::base::error::Result;
use crate::base::sort::sort_by;
use crate::node::NodeState;
use crate::strategy::{pick_n_by_walk, Ctx, Footprint, Preference, Seen, Strategy};

/// Whose 64-bit ring this is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Ring64Profile {
    Ats,
    Envoy(envoy::RingOptions),
}

impl Ring64Profile {
    fn point_count(self, nodes: &[NodeState]) -> u64 {
        match self {
            Ring64Profile::Ats => nodes.iter().map(|n| ats::point_count(n.weight)).sum(),
            Ring64Profile::Envoy(o) => envoy::ring_point_count(nodes, &o),
        }
    }

    fn points(self, nodes: &[NodeState], out: &mut Vec<(u64, u32)>) -> Result<()> {
        match self {
            Ring64Profile::Ats => ats::ring_points(nodes, out),
            Ring64Profile::Envoy(o) => envoy::ring_points(nodes, &o, out),
        }
    }
}

/// Peak bytes per point: the generated (hash, owner) pairs (16), the sort keys (16) and the final arrays (12).
pub const BYTES_PER_POINT: u64 = 44;

#[derive(Debug)]
pub struct Ring64 {
    profile: Ring64Profile,
    hashes: Vec<u64>,
    owners: Vec<u32>,
    seen: Seen,
}

impl Ring64 {
    pub fn new(profile: Ring64Profile) -> Ring64 {
        Ring64 {
            profile,
            hashes: Vec::new(),
            owners: Vec::new(),
            seen: Seen::default(),
        }
    }

    // Every change rebuilds: ATS's and Envoy's points are regenerated from the whole table (Envoy's from weights
    // normalised over it).
    fn add_node(&mut self, nodes: &[NodeState], _: usize) -> Result<()> {
        self.rebuild(nodes)
    }

    fn remove_node_points(&mut self, nodes: &[NodeState], _: usize) {
        let _ = self.rebuild(nodes);
    }

    fn reweight_node(&mut self, nodes: &[NodeState], _: usize) -> Result<()> {
        self.rebuild(nodes)
    }

    fn rebuild(&mut self, nodes: &[NodeState]) -> Result<()> {
        let mut pts = Vec::new();
        self.profile.points(nodes, &mut pts)?;
        // (hash, generation index): sorting these orders equal hashes by generation.
        let mut order: Vec<(u64, u32)> = Vec::new();
        crate::base::alloc::reserve(&mut order, pts.len(), "ring points")?;
        order.extend(pts.iter().enumerate().map(|(i, p)| (p.0, i as u32)));
        sort_by(&mut order, &|a, b| a.cmp(b));
        let (mut hashes, mut owners) = (Vec::new(), Vec::new());
        crate::base::alloc::reserve(&mut hashes, pts.len(), "ring points")?;
        crate::base::alloc::reserve(&mut owners, pts.len(), "ring points")?;
        for (h, i) in order {
            if hashes.last() == Some(&h) {
                continue;
            }
            hashes.push(h);
            owners.push(pts[i as usize].1);
        }
        self.hashes = hashes;
        self.owners = owners;
        self.seen.resize(nodes.len());
        Ok(())
    }

    /// The index of the key's point: the first at or after the hash, or the first point.
    fn start_point(&self, key_hash: u64) -> usize {
        let i = self.hashes.partition_point(|&p| p < key_hash);
        if i == self.hashes.len() {
            0
        } else {
            i
        }
    }
}

super::continuum::compat_ring_strategy!(Ring64, BYTES_PER_POINT);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor_wraps_to_the_first_point() {
        let mut r = Ring64::new(Ring64Profile::Ats);
        r.hashes = vec![100, 200, u64::MAX - 5];
        r.owners = vec![0, 1, 2];
        assert_eq!(r.start_point(0), 0);
        assert_eq!(r.start_point(100), 0);
        assert_eq!(r.start_point(101), 1);
        assert_eq!(r.start_point(u64::MAX - 5), 2);
        assert_eq!(r.start_point(u64::MAX), 0);
    }
}
