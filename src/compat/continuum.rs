//! The 32-bit hash ring ("continuum") shared by the consistent modes of nginx, twemproxy, libketama, HAProxy and
//! Varnish's shard director.
//!
//! Each system puts its own points on the ring (`RingProfile::points`, written in the system's module) and
//! looks a key up its own way (`Lookup`). Points are sorted by hash; equal hashes keep the order in which the
//! system generates them (server order, then point order), as glibc's merge-sorting `qsort` and HAProxy's
//! ebtree (duplicates after existing ones) do. nginx's and Varnish's points depend on their own server only
//! (Varnish's while no count meets its cap), so a change merges or drops that server's points in one pass.
//! twemproxy's and libketama's point counts depend on the total weight and the server count, so a change can
//! change other servers' counts; each server's points are a prefix of its sequence of groups, so a change
//! hashes only the groups that servers gained or lost and merges or drops them in one pass each (`recount`).
//! HAProxy rebuilds the ring from the node table on every change: its automatic server ids follow the server
//! positions, so a change can move points of other servers too, exactly as a reload of the daemon would.
//!
//! Preference order (`pickN`, health): from the key's point, clockwise, each server the first time it is met,
//! which is the order of nginx's next tries and of HAProxy's redispatch walk.

use super::{haproxy, ketama, nginx, twemproxy, varnish};
use crate::base::error::{Code, Error, Result};
use crate::base::sort::{sort_by, sort_by_high_half};
use crate::node::NodeState;
use crate::strategy::ring::MAX_RING_POINTS;
use crate::strategy::{first_usable, pick_n_by_walk, Ctx, Footprint, Preference, Seen, Strategy};
use core::cmp::Ordering;

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
pub(crate) fn ring_pick<R: OwnerRing + Preference + Strategy>(
    r: &mut R,
    nodes: &[NodeState],
    cx: &Ctx,
) -> Option<usize> {
    if !cx.all_usable {
        return first_usable(r, nodes, cx);
    }
    r.direct(nodes, cx.key_hash)
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
    /// nginx only: the points its one-point-per-hash rule dropped, as `hash << 32 | owner`, sorted, one per
    /// owner and hash, so removing a point's owner can hand the hash to the next server that has it. (Points
    /// as u64s here use the u64 sort and vector code the ring has already, instead of more for pairs.)
    shadow: Vec<u64>,
    /// twemproxy and libketama: each server's point count, in table order, as the ring holds them now.
    counts: Vec<u64>,
    seen: Seen,
}

impl Continuum {
    pub fn new(profile: RingProfile) -> Continuum {
        Continuum {
            profile,
            hashes: Vec::new(),
            owners: Vec::new(),
            shadow: Vec::new(),
            counts: Vec::new(),
            seen: Seen::default(),
        }
    }

    /// The ketama flavour of a twemproxy or libketama ring.
    fn flavor(&self) -> Option<ketama::Flavor> {
        match self.profile {
            RingProfile::Twemproxy => Some(ketama::Flavor::Twemproxy),
            RingProfile::Libketama => Some(ketama::Flavor::Libketama),
            _ => None,
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
        // Stable by hash: the generation indices (the low halves) were ascending, so ties stay in that order.
        sort_by_high_half(&mut order)?;
        // New arrays before the old ones go: a failed allocation leaves the ring as it was.
        let (mut hashes, mut owners, mut shadow) = (Vec::new(), Vec::new(), Vec::new());
        crate::base::alloc::reserve(&mut hashes, pts.len(), "ring points")?;
        crate::base::alloc::reserve(&mut owners, pts.len(), "ring points")?;
        for k in order {
            let (h, o) = pts[(k & 0xffff_ffff) as usize];
            // nginx keeps one point per hash value, the first (`ngx_http_upstream_init_chash`): the lowest
            // server's. The others are kept aside for when that server leaves.
            if self.profile == RingProfile::Nginx && hashes.last() == Some(&h) {
                let p = point(h, o);
                if owners.last() != Some(&o) && shadow.last() != Some(&p) {
                    shadow.push(p);
                }
                continue;
            }
            hashes.push(h);
            owners.push(o);
        }
        self.counts = match self.flavor() {
            Some(f) => ketama::counts(nodes, f)?,
            None => Vec::new(),
        };
        self.hashes = hashes;
        self.owners = owners;
        self.shadow = shadow;
        self.seen.resize(nodes.len());
        Ok(())
    }

    /// Whether a change to the table `nodes` (with `before` servers before it) updates the ring in place
    /// instead of rebuilding it: nginx, whose points depend on the server alone, and Varnish's shard director
    /// while no backend's point count is cut by its cap (which depends on the backend count). The ketama flavours
    /// count points from the total weight and HAProxy numbers servers by position: they rebuild.
    fn incremental(&self, nodes: &[NodeState], before: usize) -> bool {
        match self.profile {
            RingProfile::Nginx | RingProfile::Twemproxy | RingProfile::Libketama => true,
            RingProfile::Varnish(r) => varnish::uncapped(nodes, nodes.len(), r) && varnish::uncapped(nodes, before, r),
            _ => false,
        }
    }

    /// `add`: merges the new server's points (it is last in table order, so it owns only hashes no other server
    /// has). O(ring) for one pass over the arrays, instead of regenerating and sorting every server's points.
    fn add_node(&mut self, nodes: &[NodeState], idx: usize) -> Result<()> {
        if !self.incremental(nodes, nodes.len() - 1) {
            return self.rebuild(nodes);
        }
        if let Some(f) = self.flavor() {
            if f == ketama::Flavor::Twemproxy {
                twemproxy::check_one(nodes, idx)?;
            }
            self.counts.push(0);
            if let Err(e) = self.recount(nodes, f, None) {
                self.counts.pop();
                return Err(e);
            }
            self.seen.resize(nodes.len());
            return Ok(());
        }
        let pts = self.node_points(nodes, idx)?;
        self.place(pts);
        self.seen.resize(nodes.len());
        Ok(())
    }

    /// `remove`: drops the server's points, hands each hash it owned to the next server that has it, and
    /// renumbers the servers after it.
    fn remove_node_points(&mut self, nodes: &[NodeState], idx: usize) {
        if !self.incremental(nodes, nodes.len() + 1) {
            let _ = self.rebuild(nodes);
            return;
        }
        self.seen.resize(nodes.len());
        if let Some(f) = self.flavor() {
            // The server's points leave, and the others are renumbered, in recount's one pass.
            self.counts.remove(idx);
            if self.recount(nodes, f, Some(idx as u32)).is_err() {
                let _ = self.rebuild(nodes);
            }
            return;
        }
        self.drop_owner(idx as u32);
        self.renumber_above(idx as u32);
    }

    /// The servers after `idx` moved down one place in the table.
    fn renumber_above(&mut self, idx: u32) {
        for o in &mut self.owners {
            if *o > idx {
                *o -= 1;
            }
        }
        // Lowering owners above idx keeps the (hash, owner) order: idx itself is not aside any more.
        for p in &mut self.shadow {
            if (*p as u32) > idx {
                *p -= 1;
            }
        }
    }

    /// `reweight`: the server's points replaced by its new ones, at its own place in the server order.
    fn reweight_node(&mut self, nodes: &[NodeState], idx: usize) -> Result<()> {
        if !self.incremental(nodes, nodes.len()) {
            return self.rebuild(nodes);
        }
        if let Some(f) = self.flavor() {
            return self.recount(nodes, f, None);
        }
        let pts = self.node_points(nodes, idx)?;
        self.drop_owner(idx as u32);
        self.place(pts);
        Ok(())
    }

    /// The points of server `idx`, sorted by hash, one per hash; checks its weight and the ring's size, and
    /// reserves room for them on the ring and aside, so that nothing after this can fail (a failed change
    /// leaves the ring as it was).
    fn node_points(&mut self, nodes: &[NodeState], idx: usize) -> Result<Vec<u64>> {
        let n = &nodes[idx];
        let mut gen = Vec::new();
        if let RingProfile::Varnish(r) = self.profile {
            varnish::check_node(n)?;
            check_points(self.profile.point_count(nodes), "varnish")?;
            varnish::node_points(n, idx, varnish::point_count(n.weight, nodes.len(), r), &mut gen);
        } else {
            nginx::check_node(n)?;
            check_points(self.profile.point_count(nodes), "nginx")?;
            nginx::node_points(n, idx, &mut gen);
        }
        let mut pts: Vec<u64> = gen.iter().map(|&(h, o)| point(h, o)).collect();
        sort_by(&mut pts, &|a, b| a.cmp(b));
        if self.profile == RingProfile::Nginx {
            pts.dedup_by_key(|p| *p >> 32);
        }
        crate::base::alloc::reserve(&mut self.hashes, pts.len(), "ring points")?;
        crate::base::alloc::reserve(&mut self.owners, pts.len(), "ring points")?;
        crate::base::alloc::reserve(&mut self.shadow, pts.len(), "ring points")?;
        Ok(pts)
    }

    /// twemproxy and libketama, after a change (`counts` already aligned with `nodes`, a new server at 0): gives
    /// every server the point count its weight now has. Counts depend on Σw and the server count, so a change
    /// can change other servers' counts too: with equal weights, single precision makes every count 156 or 160
    /// depending on the server count alone. A server's points are a prefix of its groups of four, so only the
    /// groups past the smaller of its two counts are hashed: those it lost leave the ring in one pass, those it
    /// gained merge in one more. Rebuilds when they are more than half the ring. Fails (weights, limits,
    /// identities, memory) before changing anything. `removed`: the server that left the table (`nodes` is the
    /// table without it), whose points the same pass drops while it renumbers the servers after it.
    fn recount(&mut self, nodes: &[NodeState], f: ketama::Flavor, removed: Option<u32>) -> Result<()> {
        let counts = ketama::counts(nodes, f)?;
        let moved: u64 = (0..nodes.len()).map(|i| counts[i].abs_diff(self.counts[i])).sum();
        if moved > self.hashes.len() as u64 / 2 + 1024 {
            return self.rebuild(nodes);
        }
        let (mut gained, mut lost) = (Vec::new(), Vec::new());
        for (i, (&new, &old)) in counts.iter().zip(&self.counts).enumerate() {
            match new.cmp(&old) {
                Ordering::Greater => ketama::node_points(nodes, i, f, old / 4..new / 4, &mut gained)?,
                Ordering::Less => ketama::node_points(nodes, i, f, new / 4..old / 4, &mut lost)?,
                Ordering::Equal => {}
            }
        }
        let tie = |a: u32, b: u32| ketama::tie(nodes, f, a, b);
        let sorted = |pts: Vec<(u32, u32)>| -> Result<Vec<u64>> {
            let mut v: Vec<u64> = pts.iter().map(|&(h, o)| point(h, o)).collect();
            sort_by_high_half(&mut v)?;
            // Equal hashes (a few hundred on a 10,000-server ring) in the servers' order.
            let mut at = 0;
            while at < v.len() {
                let end = at + v[at..].iter().take_while(|&&p| p >> 32 == v[at] >> 32).count();
                sort_by(&mut v[at..end], &|a, b| tie(*a as u32, *b as u32));
                at = end;
            }
            Ok(v)
        };
        let (gained, lost) = (sorted(gained)?, sorted(lost)?);
        crate::base::alloc::reserve(&mut self.hashes, gained.len(), "ring points")?;
        crate::base::alloc::reserve(&mut self.owners, gained.len(), "ring points")?;
        // The ring and `lost` are in one order and `lost` is part of the ring: walking both, each lost point is
        // met where the ring holds it.
        let (mut w, mut d) = (0, 0);
        let gone = removed.unwrap_or(u32::MAX);
        for r in 0..self.hashes.len() {
            let o = self.owners[r];
            if o == gone {
                continue;
            }
            let o = if o > gone { o - 1 } else { o };
            if lost.get(d) == Some(&point(self.hashes[r], o)) {
                d += 1;
                continue;
            }
            self.hashes[w] = self.hashes[r];
            self.owners[w] = o;
            w += 1;
        }
        self.hashes.truncate(w);
        self.owners.truncate(w);
        self.merge_by(&gained, &tie);
        self.counts = counts;
        debug_assert_eq!(d, lost.len(), "every lost point was on the ring");
        if d < lost.len() {
            // Not reachable while the ring holds what `counts` says; should it not, a rebuild puts it right.
            return self.rebuild(nodes);
        }
        Ok(())
    }

    /// Puts one server's points (sorted; room reserved by `node_points`) on the ring. nginx: a hash already there
    /// goes to the lower server, the other point aside. Varnish keeps every point, equal hashes in server order.
    fn place(&mut self, pts: Vec<u64>) {
        if self.profile != RingProfile::Nginx {
            self.merge(&pts);
            return;
        }
        let mut fresh = Vec::with_capacity(pts.len());
        for p in pts {
            let (h, o) = ((p >> 32) as u32, p as u32);
            match self.hashes.binary_search(&h) {
                Ok(i) => {
                    let aside = if self.owners[i] < o {
                        p
                    } else {
                        point(h, core::mem::replace(&mut self.owners[i], o))
                    };
                    let at = self.shadow.partition_point(|&q| q < aside);
                    self.shadow.insert(at, aside);
                }
                Err(_) => fresh.push(p),
            }
        }
        self.merge(&fresh);
    }

    /// Removes server `o`'s points, handing each hash it owned to the lowest server set aside with it.
    fn drop_owner(&mut self, o: u32) {
        let mut gone = Vec::new();
        let mut w = 0;
        for r in 0..self.hashes.len() {
            if self.owners[r] == o {
                gone.push(self.hashes[r]);
            } else {
                self.hashes[w] = self.hashes[r];
                self.owners[w] = self.owners[r];
                w += 1;
            }
        }
        self.hashes.truncate(w);
        self.owners.truncate(w);
        self.shadow.retain(|&p| p as u32 != o);
        let mut heirs = Vec::new();
        for h in gone {
            // The shadow is sorted by (hash, owner): the first entry of the hash is its lowest server.
            let at = self.shadow.partition_point(|&p| ((p >> 32) as u32) < h);
            if self.shadow.get(at).is_some_and(|&p| (p >> 32) as u32 == h) {
                heirs.push(self.shadow.remove(at));
            }
        }
        // Within the capacity the dropped points left.
        self.merge(&heirs);
    }

    /// Merges points (sorted) into the ring by (hash, server), so equal hashes stay in server order as a rebuild
    /// leaves them, in one pass from the back. Callers made room for them first.
    fn merge(&mut self, pts: &[u64]) {
        self.merge_by(pts, &|a, b| a.cmp(&b));
    }

    /// [`Continuum::merge`] with equal hashes ordered by `tie` of their servers instead of table order (points
    /// sorted the same way).
    fn merge_by(&mut self, pts: &[u64], tie: &dyn Fn(u32, u32) -> Ordering) {
        if pts.is_empty() {
            return;
        }
        let old = self.hashes.len();
        self.hashes.resize(old + pts.len(), 0);
        self.owners.resize(old + pts.len(), 0);
        let (mut i, mut j) = (old, pts.len());
        for w in (0..old + pts.len()).rev() {
            let later = |p: u64, h: u32, o: u32| {
                (p >> 32).cmp(&u64::from(h)).then_with(|| tie(p as u32, o)) == Ordering::Greater
            };
            if j > 0 && (i == 0 || later(pts[j - 1], self.hashes[i - 1], self.owners[i - 1])) {
                j -= 1;
                self.hashes[w] = (pts[j] >> 32) as u32;
                self.owners[w] = pts[j] as u32;
            } else {
                i -= 1;
                self.hashes[w] = self.hashes[i];
                self.owners[w] = self.owners[i];
            }
        }
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

/// A point as `hash << 32 | owner`: sorting these sorts by hash, then owner.
fn point(hash: u32, owner: u32) -> u64 {
    (u64::from(hash) << 32) | u64::from(owner)
}

/// Peak bytes per point of a compat ring: the generated (hash, owner) pairs (8; every profile reserves them
/// exactly), the sort keys (8) and the radix sort's buffer (8), then the final arrays (8) once the buffer is gone.
pub const BYTES_PER_POINT: u64 = 32;

/// The `Strategy` and `Preference` impls of a compat ring (`$t` has `profile.point_count`, `hashes` and `owners`),
/// shared by this ring and [`super::ring64`].
macro_rules! compat_ring_strategy {
    ($t:ty, $bytes_per_point:expr) => {
        impl Strategy for $t {
            fn build(&mut self, nodes: &[NodeState]) -> Result<()> {
                self.rebuild(nodes)
            }

            /// The ring is a function of the node table (no history), so a batch is one build.
            fn rebuilds(&self) -> bool {
                true
            }

            fn add(&mut self, nodes: &[NodeState], idx: usize) -> Result<()> {
                self.add_node(nodes, idx)
            }

            fn remove(&mut self, nodes: &[NodeState], idx: usize) {
                self.remove_node_points(nodes, idx)
            }

            fn reweight(&mut self, nodes: &[NodeState], idx: usize, _: f64) -> Result<()> {
                self.reweight_node(nodes, idx)
            }

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

            fn direct(&self, _: &[NodeState], key_hash: u64) -> Option<usize> {
                if self.owners.is_empty() {
                    return None;
                }
                Some(self.owners[self.start_point(key_hash)] as usize)
            }

            fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
                pick_n_by_walk(self, nodes, cx, n, out);
            }

            fn walk_picks(&mut self) -> Option<&mut dyn Preference> {
                Some(self)
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

    /// The nginx ring as the rule defines it: per hash, the lowest owner; every other (hash, owner) aside.
    fn model(pairs: &[(u32, u32)]) -> (Vec<u32>, Vec<u32>, Vec<u64>) {
        let mut p = pairs.to_vec();
        p.sort();
        p.dedup();
        let (mut h, mut o, mut aside) = (Vec::new(), Vec::new(), Vec::new());
        for (hash, owner) in p {
            if h.last() == Some(&hash) {
                aside.push(point(hash, owner));
            } else {
                h.push(hash);
                o.push(owner);
            }
        }
        (h, o, aside)
    }

    #[test]
    fn kept_nginx_ring_hands_a_shared_hash_to_the_lowest_server_through_every_change() {
        // Twelve servers drawing points from 40 hash values: most hashes are shared, which a real ring of a
        // few thousand servers meets only a few hundred times.
        let mut rng = crate::base::rng::Rng::new(5);
        let mut servers: Vec<Vec<u32>> = Vec::new();
        let mut c = Continuum::new(RingProfile::Nginx);
        let points = |rng: &mut crate::base::rng::Rng| -> Vec<u32> { (0..6).map(|_| rng.below(40) as u32).collect() };
        for step in 0..400 {
            match rng.below(3) {
                0 | 1 if servers.len() < 12 || step % 7 == 0 => {
                    let idx = servers.len() as u32;
                    let mut pts: Vec<(u32, u32)> = points(&mut rng).into_iter().map(|h| (h, idx)).collect();
                    servers.push(pts.iter().map(|p| p.0).collect());
                    pts.sort();
                    pts.dedup_by_key(|p| p.0);
                    c.place(pts.iter().map(|&(h, o)| point(h, o)).collect());
                }
                0 | 1 => {
                    // A reweight: new points at the same place in the order.
                    let idx = rng.below(servers.len()) as u32;
                    let mut pts: Vec<(u32, u32)> = points(&mut rng).into_iter().map(|h| (h, idx)).collect();
                    servers[idx as usize] = pts.iter().map(|p| p.0).collect();
                    pts.sort();
                    pts.dedup_by_key(|p| p.0);
                    c.drop_owner(idx);
                    c.place(pts.iter().map(|&(h, o)| point(h, o)).collect());
                }
                _ if !servers.is_empty() => {
                    let idx = rng.below(servers.len());
                    servers.remove(idx);
                    c.drop_owner(idx as u32);
                    c.renumber_above(idx as u32);
                }
                _ => {}
            }
            let pairs: Vec<(u32, u32)> = servers
                .iter()
                .enumerate()
                .flat_map(|(o, hs)| hs.iter().map(move |&h| (h, o as u32)))
                .collect();
            let (h, o, aside) = model(&pairs);
            assert_eq!((&c.hashes, &c.owners, &c.shadow), (&h, &o, &aside), "step {step}");
        }
    }

    #[test]
    fn kept_rings_equal_a_rebuild_after_adds_removes_and_reweights() {
        for profile in [
            RingProfile::Nginx,
            RingProfile::Varnish(7),
            RingProfile::Twemproxy,
            RingProfile::Libketama,
        ] {
            kept_ring_equals_a_rebuild(profile, 3);
        }
        // Equal weights, where twemproxy's and libketama's counts mostly stay: the in-place path, not a rebuild.
        for profile in [RingProfile::Twemproxy, RingProfile::Libketama] {
            kept_ring_equals_a_rebuild(profile, 1);
        }
    }

    #[test]
    fn merge_by_orders_equal_hashes_by_the_tie_order() {
        // Points on shared hashes (a real ring meets a few hundred at 10,000 servers) with a tie order that runs
        // against the table order, as twemproxy's order by identity may: merging one server's points into the
        // others' must give the order a full sort by (hash, tie) gives.
        let tie = |a: u32, b: u32| b.cmp(&a);
        let sorted = |mut v: Vec<u64>| {
            sort_by(&mut v, &|a, b| {
                (a >> 32).cmp(&(b >> 32)).then_with(|| tie(*a as u32, *b as u32))
            });
            v
        };
        let mut rng = crate::base::rng::Rng::new(3);
        for _ in 0..50 {
            let all: Vec<u64> = (0..60).map(|k| point(rng.below(12) as u32, (k % 6) as u32)).collect();
            let one = rng.below(6) as u32;
            let (mine, rest): (Vec<u64>, Vec<u64>) = all.iter().partition(|&&p| p as u32 == one);
            let mut c = Continuum::new(RingProfile::Libketama);
            for p in sorted(rest) {
                c.hashes.push((p >> 32) as u32);
                c.owners.push(p as u32);
            }
            c.merge_by(&sorted(mine), &tie);
            let got: Vec<u64> = c.hashes.iter().zip(&c.owners).map(|(&h, &o)| point(h, o)).collect();
            assert_eq!(got, sorted(all));
        }
    }

    fn kept_ring_equals_a_rebuild(profile: RingProfile, weights: usize) {
        let node = |i: u32, w: f64| NodeState::new(&format!("10.0.{}.{}:80", i / 250, i % 250), w);
        let mut nodes: Vec<NodeState> = (0..60).map(|i| node(i, 1.0 + f64::from(i % weights as u32))).collect();
        let mut c = Continuum::new(profile);
        c.build(&nodes).unwrap();
        let mut rng = crate::base::rng::Rng::new(9);
        let mut next = 60;
        for step in 0..60 {
            match rng.below(3) {
                0 => {
                    nodes.push(node(next, 1.0 + rng.below(weights) as f64));
                    next += 1;
                    c.add(&nodes, nodes.len() - 1).unwrap();
                }
                1 => {
                    let i = rng.below(nodes.len());
                    nodes.remove(i);
                    c.remove(&nodes, i);
                }
                _ => {
                    let i = rng.below(nodes.len());
                    let old = nodes[i].weight;
                    nodes[i].weight = 1.0 + rng.below(weights + 1) as f64;
                    c.reweight(&nodes, i, old).unwrap();
                }
            }
            let mut fresh = Continuum::new(profile);
            fresh.build(&nodes).unwrap();
            let got = (&c.hashes, &c.owners, &c.shadow);
            assert_eq!(
                got,
                (&fresh.hashes, &fresh.owners, &fresh.shadow),
                "{profile:?} step {step}"
            );
        }
        // A refused change leaves the ring as it was.
        let before = (c.hashes.clone(), c.owners.clone());
        nodes.push(NodeState::new("10.9.9.9:80", 0.5));
        assert!(c.add(&nodes, nodes.len() - 1).is_err());
        assert_eq!((c.hashes.clone(), c.owners.clone()), before);
    }

    #[test]
    fn varnish_changes_rebuild_while_the_cap_cuts_a_point_count() {
        // (2^32 - 2) / 3 backends is 1,431,655,764 points each: replicas 10^9 × weight 2 is cut with 3 backends
        // but not with 1, so counts depend on the backend count and a change must rebuild.
        let r = 1_000_000_000;
        let nodes: Vec<NodeState> = ["a", "b", "c"].iter().map(|id| NodeState::new(id, 2.0)).collect();
        assert!(!varnish::uncapped(&nodes, 3, r));
        let c = Continuum::new(RingProfile::Varnish(r));
        assert!(!c.incremental(&nodes, 2));
        let small = Continuum::new(RingProfile::Varnish(67));
        assert!(small.incremental(&nodes, 2) && small.incremental(&nodes, 4));
    }
}
