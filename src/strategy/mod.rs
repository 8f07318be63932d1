//! The strategy trait and one module per strategy.
//!
//! The Router owns the node table (`&[NodeState]`, in insertion order) and calls a strategy with it. A
//! strategy returns node indices into that table. Membership changes are passed as `add`/`remove`/`reweight`
//! so each strategy can keep its own state (ring points, smooth-WRR current weights) in step without a full
//! rebuild; `build` is the bulk form used at construction.

pub mod bounded_load;
pub mod jump;
pub mod ketama_ring;
pub mod maglev;
pub mod peak_ewma;
pub mod rendezvous;
pub mod round_robin;
pub mod smooth_wrr;
pub mod weighted_random;

use crate::error::Result;
use crate::node::NodeState;
use crate::rng::Rng;

/// What a pick knows besides the node table.
pub struct Ctx<'a> {
    /// The key's hash ([`crate::hash::key_hash`]), or 0 for strategies that take no key.
    pub key_hash: u64,
    /// The caller's clock in ms; only latency-aware strategies read it.
    pub now_ms: f64,
    /// Seeded randomness; only random strategies draw from it.
    pub rng: &'a mut Rng,
}

pub trait Strategy {
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
    /// `nodes[idx].weight` changed (from `old_weight`). On error the Router restores the old weight.
    fn reweight(&mut self, nodes: &[NodeState], idx: usize, old_weight: f64) -> Result<()>;
    /// The preferred node, or `None` when there is none.
    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize>;
    /// Up to `n` distinct nodes in preference order; `out` is empty on entry. `out[0]` is what `pick` would
    /// have returned in the same state.
    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>);
}

/// A consistent-hashing strategy's order of preference for a key: the basis of `pickN`, of bounded loads
/// (the first node with room) and of health filtering (the first healthy node).
pub trait Preference {
    /// Calls `visit` with each node in this key's preference order, each node at most once, until `visit`
    /// returns true (stop) or every node was visited.
    fn walk(&mut self, nodes: &[NodeState], key_hash: u64, visit: &mut dyn FnMut(usize) -> bool);
}

/// `pickN` from a preference order: the first `n` distinct nodes.
pub(crate) fn pick_n_by_walk<P: Preference + ?Sized>(
    p: &mut P,
    nodes: &[NodeState],
    key_hash: u64,
    n: usize,
    out: &mut Vec<usize>,
) {
    let want = n.min(nodes.len());
    if want == 0 {
        return;
    }
    p.walk(nodes, key_hash, &mut |i| {
        out.push(i);
        out.len() == want
    });
}

/// Appends the nodes not yet in `out`, ordered by `score` ascending (ties by index), until `out` has `n`.
pub(crate) fn fill_by_score(nodes: usize, n: usize, out: &mut Vec<usize>, mut score: impl FnMut(usize) -> f64) {
    let mut rest: Vec<(f64, usize)> = (0..nodes).filter(|i| !out.contains(i)).map(|i| (score(i), i)).collect();
    rest.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    out.extend(rest.into_iter().take(n.saturating_sub(out.len())).map(|(_, i)| i));
}
