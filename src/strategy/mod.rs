//! The strategy trait and one module per strategy.
//!
//! The Router owns the node table (`&[NodeState]`, in insertion order) and calls a strategy with it. A
//! strategy returns node indices into that table. Membership changes are passed as `add`/`remove`/`reweight`
//! so each strategy can keep its own state (ring points, smooth-WRR current weights) in step without a full
//! rebuild; `build` is the bulk form used at construction.

pub mod bounded_load;
pub mod gapped;
pub mod jump;
pub mod kind;
pub mod least_latency;
pub mod least_outstanding;
pub mod maglev;
pub mod modulo;
pub mod rendezvous;
pub mod ring;
pub mod round_robin;
pub mod smooth_wrr;
pub mod weighted_random;

use crate::base::error::Result;
use crate::base::rng::Rng;
use crate::node::NodeState;

/// What a pick knows besides the node table.
pub struct Ctx<'a> {
    /// The key's hash ([`crate::hash::KeyHasher::hash`]), or 0 for strategies that take no key.
    pub key_hash: u64,
    /// The key's bytes (empty for strategies that take no key), for strategies that rehash the key itself
    /// (nginx's `hash` retries).
    pub key: &'a [u8],
    /// The caller's clock in ms; only latency-aware strategies read it.
    pub now_ms: f64,
    /// Seeded randomness; only random strategies draw from it.
    pub rng: &'a mut Rng,
    /// Every node is usable (healthy) and `only` is `None`: strategies may skip the `usable` checks.
    pub all_usable: bool,
    /// Only these nodes may be picked now (a zone's or a priority level's; docs/traffic.md), or `None` for all.
    pub only: Option<&'a [bool]>,
    /// Which part `only` is, as a tag (0 = the whole pool), for strategies that keep a state per part (round
    /// robin's turn: one turn shared by interleaved parts would favour each part's first node).
    pub part: u64,
    /// Slow start: each node's weight factor in (0, 1], or `None` while no node ramps (docs/traffic.md).
    pub ramp: Option<&'a [f64]>,
}

impl Ctx<'_> {
    /// Whether node `i` may be picked: usable, and in `only`.
    #[inline]
    pub fn usable(&self, nodes: &[NodeState], i: usize) -> bool {
        nodes[i].usable && self.only.is_none_or(|m| m[i])
    }

    /// Node `i`'s weight now: its weight times its slow-start factor.
    #[inline]
    pub fn weight(&self, nodes: &[NodeState], i: usize) -> f64 {
        match self.ramp {
            None => nodes[i].weight,
            Some(r) => nodes[i].weight * r[i],
        }
    }
}

/// What a strategy's tables cost in memory at their peak (while they are built or changed): `items` of one kind
/// (ring points, table slots, buckets) at `bytes_each`, plus `extra` bytes. The Router adds the node table and
/// refuses a config or change whose total passes its limit (`maxMemoryBytes`) before allocating any of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    pub items: u64,
    pub item: &'static str,
    pub bytes_each: u64,
    pub extra: u64,
}

impl Footprint {
    /// A strategy whose state is a few words per node at most (counted with the node table).
    pub const NONE: Footprint = Footprint {
        items: 0,
        item: "",
        bytes_each: 0,
        extra: 0,
    };

    pub fn bytes(&self) -> u64 {
        self.items.saturating_mul(self.bytes_each).saturating_add(self.extra)
    }
}

pub trait Strategy {
    /// The peak memory of this strategy's state for the node table `nodes` (see [`Footprint`]); computed from
    /// the table without building anything, in O(N).
    fn footprint(&self, _nodes: &[NodeState]) -> Footprint {
        Footprint::NONE
    }
    /// Builds state for a whole node table (construction). The default adds the nodes one by one.
    fn build(&mut self, nodes: &[NodeState]) -> Result<()> {
        for i in 0..nodes.len() {
            self.add(&nodes[..=i], i)?;
        }
        Ok(())
    }
    /// `nodes[idx]` was just appended. On error the Router drops the node again and the strategy must be
    /// unchanged.
    fn add(&mut self, nodes: &[NodeState], idx: usize) -> Result<()>;
    /// The node that was at `idx` is gone; `nodes` is the table after removal (later indices moved down by one).
    fn remove(&mut self, nodes: &[NodeState], idx: usize);
    /// True when every change rebuilds the whole state (from the node table, history-free), so a batch of
    /// changes can be one `build` of the final table.
    fn rebuilds(&self) -> bool {
        false
    }
    /// What the Router calls: `remove` with the node that left, for a strategy that finds its state from the
    /// node (the ring regenerates its points) instead of scanning for it.
    fn remove_node(&mut self, nodes: &[NodeState], idx: usize, _gone: &NodeState) {
        self.remove(nodes, idx)
    }
    /// `nodes[idx].weight` changed (from `old_weight`). On error the Router restores the old weight.
    fn reweight(&mut self, nodes: &[NodeState], idx: usize, old_weight: f64) -> Result<()>;
    /// The preferred node among the usable ones (`NodeState::usable`), or `None` when there is none.
    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize>;
    /// `pick` when every node is usable and the whole pool may be chosen (`Ctx::all_usable`), from the key's
    /// hash alone; a strategy that has this shortcut takes it in `pick` too, so both are one code. The Router
    /// calls it without building a `Ctx` while its state is plain (`Router::pick_direct`). `None`: no node, or
    /// (the default) no such shortcut, as for strategies that read loads, the clock or randomness.
    fn direct(&self, _nodes: &[NodeState], _key_hash: u64) -> Option<usize> {
        None
    }
    /// This strategy as its preference walk, when its `pick_n` is that walk over the usable nodes
    /// ([`pick_n_by_walk`]): the Router then takes `pickN` in the plain state as [`walk_n`], without a `Ctx`.
    /// `None` (the default): `pick_n` is something else (a sort of scores, or a walk that reads loads).
    fn walk_picks(&mut self) -> Option<&mut dyn Preference> {
        None
    }
    /// Up to `n` distinct usable nodes in preference order; `out` is empty on entry. `out[0]` is what `pick`
    /// would have returned in the same state.
    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>);
    /// The ring's points as (hash, owner index), ascending, for strategies that have a ring (inspection only).
    fn ring_points(&self) -> Option<Vec<(u64, usize)>> {
        None
    }
}

/// `build`, `add`, `remove` and `reweight` for a strategy whose whole state is derived from the node table by
/// `self.rebuild(nodes)` (maglev's lookup table, hash's slots). Fewer nodes never fail a check that more passed,
/// so `remove` cannot fail.
macro_rules! rebuild_on_every_change {
    () => {
        fn build(&mut self, nodes: &[NodeState]) -> Result<()> {
            self.rebuild(nodes)
        }

        fn rebuilds(&self) -> bool {
            true
        }

        fn add(&mut self, nodes: &[NodeState], _: usize) -> Result<()> {
            self.rebuild(nodes)
        }

        fn remove(&mut self, nodes: &[NodeState], _: usize) {
            let _ = self.rebuild(nodes);
        }

        fn reweight(&mut self, nodes: &[NodeState], _: usize, _: f64) -> Result<()> {
            self.rebuild(nodes)
        }
    };
}
pub(crate) use rebuild_on_every_change;

/// `add`, `remove` and `reweight` for a strategy that keeps no state per node (it reads the node table at each
/// pick: least-latency, least-outstanding, Varnish's hash director).
macro_rules! no_node_state {
    () => {
        fn add(&mut self, _: &[NodeState], _: usize) -> Result<()> {
            Ok(())
        }

        fn remove(&mut self, _: &[NodeState], _: usize) {}

        fn reweight(&mut self, _: &[NodeState], _: usize, _: f64) -> Result<()> {
            Ok(())
        }
    };
}
pub(crate) use no_node_state;

/// A consistent-hashing strategy's order of preference for a key: the basis of `pickN`, of bounded loads
/// (the first node with room) and of health filtering (the first healthy node).
pub trait Preference {
    /// Calls `visit` with each node in this key's preference order, each node at most once, until `visit`
    /// returns true (stop) or every node was visited.
    fn walk(&mut self, nodes: &[NodeState], key_hash: u64, visit: &mut dyn FnMut(usize) -> bool);
}

/// Which nodes a preference walk has met, so each is visited once. Cleared after every walk in O(met), so
/// walks cost nothing per node they do not reach.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    flags: Vec<bool>,
    met: Vec<usize>,
}

impl Seen {
    /// Sets the node count (between walks every flag is false, so growing or shrinking is all it takes).
    pub(crate) fn resize(&mut self, nodes: usize) {
        self.flags.resize(nodes, false);
    }

    /// True the first time node `i` is met in this walk.
    pub(crate) fn first(&mut self, i: usize) -> bool {
        if self.flags[i] {
            return false;
        }
        self.flags[i] = true;
        self.met.push(i);
        true
    }

    pub(crate) fn count(&self) -> usize {
        self.met.len()
    }

    /// Visits the nodes not met yet, ordered by `order`, until `visit` returns true.
    pub(crate) fn visit_rest<K: Ord + Copy>(
        &self,
        nodes: usize,
        order: impl Fn(usize) -> K,
        visit: &mut dyn FnMut(usize) -> bool,
    ) {
        let mut rest: Vec<(K, usize)> = (0..nodes).filter(|&i| !self.flags[i]).map(|i| (order(i), i)).collect();
        crate::base::sort::sort_by(&mut rest, &|a, b| a.0.cmp(&b.0));
        for (_, i) in rest {
            if visit(i) {
                break;
            }
        }
    }

    /// A whole walk around a circular table of owners (ring points, map slots) from `start`: each owner the
    /// first time it is met, until `visit` returns true.
    pub(crate) fn walk_circle(&mut self, owners: &[u32], start: usize, visit: &mut dyn FnMut(usize) -> bool) {
        let len = owners.len();
        for step in 0..len {
            let o = owners[(start + step) % len] as usize;
            if self.first(o) && visit(o) {
                break;
            }
        }
        self.clear();
    }

    /// Ends the walk.
    pub(crate) fn clear(&mut self) {
        for &i in &self.met {
            self.flags[i] = false;
        }
        self.met.clear();
    }
}

/// `pickN` from a preference order: the first `n` distinct usable nodes.
pub(crate) fn pick_n_by_walk<P: Preference + ?Sized>(
    p: &mut P,
    nodes: &[NodeState],
    cx: &Ctx,
    n: usize,
    out: &mut Vec<usize>,
) {
    let want = n.min(nodes.len());
    if want == 0 {
        return;
    }
    p.walk(nodes, cx.key_hash, &mut |i| {
        if cx.usable(nodes, i) {
            out.push(i);
        }
        out.len() == want
    });
}

/// [`pick_n_by_walk`] with every node usable and the whole pool open: the first `n` distinct nodes of the key's
/// preference order.
pub(crate) fn walk_n(p: &mut dyn Preference, nodes: &[NodeState], key_hash: u64, n: usize, out: &mut Vec<usize>) {
    let want = n.min(nodes.len());
    if want == 0 {
        return;
    }
    p.walk(nodes, key_hash, &mut |i| {
        out.push(i);
        out.len() == want
    });
}

/// The first usable node in a key's preference order: how hashing strategies skip unhealthy nodes without
/// touching their tables.
pub(crate) fn first_usable<P: Preference + ?Sized>(p: &mut P, nodes: &[NodeState], cx: &Ctx) -> Option<usize> {
    let mut got = None;
    p.walk(nodes, cx.key_hash, &mut |i| {
        let ok = cx.usable(nodes, i);
        if ok {
            got = Some(i);
        }
        ok
    });
    got
}

/// The power of two choices (Mitzenmacher 2001) among the usable nodes: two distinct nodes at random, the lower
/// `cost` wins; on equal cost the one with fewer requests in flight, then the first draw.
pub(crate) fn two_choices(nodes: &[NodeState], cx: &mut Ctx, cost: impl Fn(usize) -> f64) -> Option<usize> {
    let usable: Vec<usize>;
    let (len, at): (usize, &dyn Fn(usize) -> usize) = if cx.all_usable {
        (nodes.len(), &|k| k)
    } else {
        usable = (0..nodes.len()).filter(|&i| cx.usable(nodes, i)).collect();
        (usable.len(), &|k| usable[k])
    };
    match len {
        0 => return None,
        1 => return Some(at(0)),
        _ => {}
    }
    let a = cx.rng.below(len);
    let mut b = cx.rng.below(len - 1);
    if b >= a {
        b += 1;
    }
    let (a, b) = (at(a), at(b));
    // Slow start: a ramping node at factor f stays in the contest with probability f, so it wins about f of
    // what it would at full weight (a cost-based ramp does nothing for a new node, whose latency is unknown).
    if let Some(r) = cx.ramp {
        let stays = |i: usize, rng: &mut crate::base::rng::Rng| r[i] >= 1.0 || rng.next_f64() < r[i];
        match (stays(a, cx.rng), stays(b, cx.rng)) {
            (true, false) => return Some(a),
            (false, true) => return Some(b),
            _ => {}
        }
    }
    let (ca, cb) = (cost(a), cost(b));
    if cb < ca || (cb == ca && nodes[b].inflight < nodes[a].inflight) {
        Some(b)
    } else {
        Some(a)
    }
}

/// Appends the usable nodes (`cx.usable`) not yet in `out`, ordered by `score` ascending (ties by index), until
/// `out` has `n`.
pub(crate) fn fill_by_score(
    nodes: &[NodeState],
    cx: &Ctx,
    n: usize,
    out: &mut Vec<usize>,
    mut score: impl FnMut(usize) -> f64,
) {
    let mut rest: Vec<(f64, usize)> = (0..nodes.len())
        .filter(|&i| cx.usable(nodes, i) && !out.contains(&i))
        .map(|i| (score(i), i))
        .collect();
    crate::base::sort::sort_by(&mut rest, &|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    out.extend(rest.into_iter().take(n.saturating_sub(out.len())).map(|(_, i)| i));
}
