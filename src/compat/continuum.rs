//! The 32-bit hash ring ("continuum") shared by the consistent modes of nginx, twemproxy, libketama, HAProxy and
//! Varnish's shard director.
//!
//! Each system puts its own points on the ring (`RingProfile::points`, written in the system's module) and
//! looks a key up its own way (`Lookup`). Points are sorted by hash; equal hashes keep the order in which the
//! system generates them (server order, then point order), as glibc's merge-sorting `qsort` and HAProxy's
//! ebtree (duplicates after existing ones) do. Every change rebuilds the ring from the node table: the point
//! counts of twemproxy and libketama depend on the total weight and the server count, and HAProxy's automatic
//! server ids on the server positions, so a change can move points of other servers too, exactly as a reload
//! of the daemon would.
//!
//! Preference order (`pickN`, health): from the key's point, clockwise, each server the first time it is met,
//! which is the order of nginx's next tries and of HAProxy's redispatch walk.

use super::{haproxy, ketama, nginx, varnish};
use crate::base::error::{Code, Error, Result};
use crate::base::sort::sort_by;
use crate::node::NodeState;
use crate::strategy::ring::MAX_RING_POINTS;
use crate::strategy::{first_usable, pick_n_by_walk, Ctx, Footprint, Preference, Seen, Strategy};

/// Whose ring this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RingProfile {
    Nginx,
    Twemproxy,
    Libketama,
    Haproxy,
    /// The shard director, with `reconfigure()`'s `replicas`.
    Varnish(u32),
}

/// How a key's hash finds its point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    /// The first point at or after the hash, wrapping to the first point (nginx, ketama).
    Successor,
    /// The nearer of the points before and after the hash, the earlier one on a tie (HAProxy's
    /// `chash_get_server_hash`: `dp <= dn` picks the previous point).
    Nearest,
    /// The first point at or after the hash, but the last point for a hash above it (Varnish's `shard_lookup`
    /// does not wrap).
    SuccessorOrLast,
}

impl RingProfile {
    fn lookup(self) -> Lookup {
        match self {
            RingProfile::Haproxy => Lookup::Nearest,
            RingProfile::Varnish(_) => Lookup::SuccessorOrLast,
            _ => Lookup::Successor,
        }
    }

    /// How many points `points` generates for these nodes (whole weights assumed; `points` checks them).
    fn point_count(self, nodes: &[NodeState]) -> u64 {
        match self {
            RingProfile::Nginx => nodes.iter().map(|n| n.weight as u64 * nginx::POINTS_PER_WEIGHT).sum(),
            RingProfile::Haproxy => nodes
                .iter()
                .map(|n| n.weight as u64 * haproxy::POINTS_PER_WEIGHT as u64)
                .sum(),
            RingProfile::Varnish(r) => nodes
                .iter()
                .map(|n| varnish::point_count(n.weight, nodes.len(), r))
                .sum(),
            RingProfile::Twemproxy | RingProfile::Libketama => {
                let flavor = if self == RingProfile::Twemproxy {
                    ketama::Flavor::Twemproxy
                } else {
                    ketama::Flavor::Libketama
                };
                let total = nodes.iter().map(|n| n.weight as u64).sum();
                nodes
                    .iter()
                    .map(|n| flavor.points(n.weight as u64, total, nodes.len()))
                    .sum()
            }
        }
    }

    /// The points of every node in generation order, as (hash, node index).
    fn points(self, nodes: &[NodeState], out: &mut Vec<(u32, u32)>) -> Result<()> {
        match self {
            RingProfile::Nginx => nginx::ring_points(nodes, out),
            RingProfile::Twemproxy => ketama::ring_points(nodes, ketama::Flavor::Twemproxy, out),
            RingProfile::Libketama => ketama::ring_points(nodes, ketama::Flavor::Libketama, out),
            RingProfile::Haproxy => haproxy::ring_points(nodes, out),
            RingProfile::Varnish(r) => varnish::ring_points(nodes, r, out),
        }
    }
}

/// What the compat rings (this one and [`super::ring64`]) share: owners in point order, and where a key starts.
pub(crate) trait OwnerRing {
    /// The key's point.
    fn start(&self, key_hash: u64) -> usize;
    /// The owners in point order, and the walk's bookkeeping.
    fn parts(&mut self) -> (&[u32], &mut Seen);
}

/// `pick` on a compat ring: the owner of the key's point, or the first usable node clockwise from it.
pub(crate) fn ring_pick<R: OwnerRing + Preference>(r: &mut R, nodes: &[NodeState], cx: &Ctx) -> Option<usize> {
    if r.parts().0.is_empty() {
        return None;
    }
    if !cx.all_usable {
        return first_usable(r, nodes, cx);
    }
    let s = r.start(cx.key_hash);
    Some(r.parts().0[s] as usize)
}

/// The preference walk on a compat ring: clockwise from the key's point, each owner once.
pub(crate) fn ring_walk<R: OwnerRing>(r: &mut R, key_hash: u64, visit: &mut dyn FnMut(usize) -> bool) {
    if r.parts().0.is_empty() {
        return;
    }
    let start = r.start(key_hash);
    let (owners, seen) = r.parts();
    seen.walk_circle(owners, start, visit);
}

/// Fails when a ring would hold more than [`MAX_RING_POINTS`] points.
pub(crate) fn check_points(total: u64, system: &str) -> Result<()> {
    if total > MAX_RING_POINTS {
        return Err(Error::new(
            Code::TooLarge,
            format!("the {system} ring would hold {total} points; at most {MAX_RING_POINTS} are supported. Lower the weights"),
        ));
    }
    Ok(())
}

#[derive(Debug)]
pub struct Continuum {
    profile: RingProfile,
    hashes: Vec<u32>,
    owners: Vec<u32>,
    seen: Seen,
}

impl Continuum {
    pub fn new(profile: RingProfile) -> Continuum {
        Continuum {
            profile,
            hashes: Vec::new(),
            owners: Vec::new(),
            seen: Seen::default(),
        }
    }

    fn rebuild(&mut self, nodes: &[NodeState]) -> Result<()> {
        let mut pts = Vec::new();
        self.profile.points(nodes, &mut pts)?;
        // (hash, generation index): sorting these is a stable sort by hash.
        let mut order: Vec<u64> = pts
            .iter()
            .enumerate()
            .map(|(i, p)| ((p.0 as u64) << 32) | i as u64)
            .collect();
        sort_by(&mut order, &|a, b| a.cmp(b));
        // New arrays before the old ones go: a failed allocation leaves the ring as it was.
        let (mut hashes, mut owners) = (Vec::new(), Vec::new());
        crate::base::alloc::reserve(&mut hashes, pts.len(), "ring points")?;
        crate::base::alloc::reserve(&mut owners, pts.len(), "ring points")?;
        for k in order {
            let (h, o) = pts[(k & 0xffff_ffff) as usize];
            // nginx keeps one point per hash value, the first (`ngx_http_upstream_init_chash`).
            if self.profile == RingProfile::Nginx && hashes.last() == Some(&h) {
                continue;
            }
            hashes.push(h);
            owners.push(o);
        }
        self.hashes = hashes;
        self.owners = owners;
        self.seen.resize(nodes.len());
        Ok(())
    }

    /// The index of the key's point.
    fn start_point(&self, key_hash: u64) -> usize {
        let h = key_hash as u32;
        let len = self.hashes.len();
        let i = self.hashes.partition_point(|&p| p < h);
        let next = if i == len { 0 } else { i };
        match self.profile.lookup() {
            Lookup::Successor => next,
            Lookup::SuccessorOrLast => i.min(len - 1),
            Lookup::Nearest => {
                let prev = (next + len - 1) % len;
                let dp = h.wrapping_sub(self.hashes[prev]);
                let dn = self.hashes[next].wrapping_sub(h);
                if dp <= dn {
                    prev
                } else {
                    next
                }
            }
        }
    }
}

/// Peak bytes per point of a compat ring: the generated (hash, owner) pairs (8, with growth slack 16), the sort
/// keys (8) and the final arrays (8).
pub const BYTES_PER_POINT: u64 = 32;

/// The `Strategy` and `Preference` impls of a compat ring (`$t` has `profile.point_count`, `hashes` and `owners`),
/// shared by this ring and [`super::ring64`].
macro_rules! compat_ring_strategy {
    ($t:ty, $bytes_per_point:expr) => {
        impl Strategy for $t {
            crate::strategy::rebuild_on_every_change!();

            fn footprint(&self, nodes: &[NodeState]) -> Footprint {
                Footprint {
                    items: self.profile.point_count(nodes),
                    item: "ring points",
                    bytes_each: $bytes_per_point,
                    extra: 0,
                }
            }

            fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
                super::continuum::ring_pick(self, nodes, cx)
            }

            fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
                pick_n_by_walk(self, nodes, cx, n, out);
            }

            fn ring_points(&self) -> Option<Vec<(u64, usize)>> {
                Some(
                    self.hashes
                        .iter()
                        .zip(&self.owners)
                        .map(|(&h, &o)| (u64::from(h), o as usize))
                        .collect(),
                )
            }
        }

        impl super::continuum::OwnerRing for $t {
            fn start(&self, key_hash: u64) -> usize {
                self.start_point(key_hash)
            }

            fn parts(&mut self) -> (&[u32], &mut Seen) {
                (&self.owners, &mut self.seen)
            }
        }

        impl Preference for $t {
            fn walk(&mut self, _: &[NodeState], key_hash: u64, visit: &mut dyn FnMut(usize) -> bool) {
                super::continuum::ring_walk(self, key_hash, visit)
            }
        }
    };
}
pub(crate) use compat_ring_strategy;

compat_ring_strategy!(Continuum, BYTES_PER_POINT);

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(profile: RingProfile, hashes: &[u32]) -> Continuum {
        let mut c = Continuum::new(profile);
        c.hashes = hashes.to_vec();
        c.owners = (0..hashes.len() as u32).collect();
        c
    }

    #[test]
    fn successor_wraps_and_nearest_prefers_the_earlier_point_on_a_tie() {
        let s = ring(RingProfile::Nginx, &[100, 200, 300]);
        assert_eq!(s.start_point(100), 0);
        assert_eq!(s.start_point(101), 1);
        assert_eq!(s.start_point(301), 0);
        assert_eq!(s.start_point(0), 0);
        let v = ring(RingProfile::Varnish(varnish::REPLICAS), &[100, 200, 300]);
        assert_eq!(v.start_point(301), 2, "Varnish does not wrap");
        assert_eq!(v.start_point(300), 2);
        assert_eq!(v.start_point(0), 0);
        let n = ring(RingProfile::Haproxy, &[100, 200, 300]);
        assert_eq!(n.start_point(149), 0);
        assert_eq!(n.start_point(150), 0, "equal distances go to the previous point");
        assert_eq!(n.start_point(151), 1);
        assert_eq!(n.start_point(200), 1);
        // Wrapping: 10 is 10 past the top point (300 → 2^32 + 10) on one side and 90 before 100 on the other.
        let w = ring(RingProfile::Haproxy, &[100, u32::MAX - 20]);
        assert_eq!(w.start_point(10), 1);
        assert_eq!(w.start_point(50), 0);
        assert_eq!(w.start_point(u32::MAX as u64), 1);
    }
}
