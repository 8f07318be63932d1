//! Consistent hashing with bounded loads (Mirrokni, Thorup & Zadimoghaddam, SODA 2018), as a wrapper over any
//! strategy with a [`Preference`] order.
//!
//! With load factor c > 1 and L requests in flight, the request being placed may go to node i only while
//! `inflight_i < ceil(c × (L + 1) × w_i / Σw)` (the paper's capacity ⌈c·m/n⌉, split by weight). The pick is
//! the first node in the key's preference order with room. Since the capacities sum to at least c(L + 1) > L,
//! some node always has room. When loads drop, the capacity test passes again at the key's first choice, so
//! keys return home by themselves; nothing is remembered between picks.
//!
//! In-flight counts come from the Router (`begin`/`end`, or `acquire` and its lease); a plain `pick` does not
//! change them.
//!
//! # Examples
//!
//! ```
//! use edgeroute::{Config, NodeSpec, Router, StrategyKind};
//! let nodes = |ids: &[&str]| ids.iter().map(|id| NodeSpec::new(id, 1.0)).collect::<Vec<_>>();
//! // With c = 1.25 and 4 nodes, no node holds more than ceil(1.25 × in-flight / 4) leases at once.
//! let mut cfg = Config::new(StrategyKind::Ring, nodes(&["a", "b", "c", "d"]));
//! cfg.bounded_load = Some(1.25);
//! let mut r = Router::new(cfg, || 0).unwrap();
//! let mut held = [0u32; 4];
//! for i in 0..400 {
//!     let n = r.acquire(Some(b"one hot key"), 0.0).unwrap().unwrap();
//!     held[n] += 1;
//!     let cap = (1.25 * (i + 1) as f64 / 4.0).ceil() as u32;
//!     assert!(held.iter().all(|&h| h <= cap), "{held:?} over {cap}");
//! }
//! ```

use super::{Ctx, Footprint, Preference, Strategy};
use crate::base::error::Result;
use crate::node::NodeState;

/// The load factor c of bounded loads when `boundedLoad: true` (Mirrokni, Thorup & Zadimoghaddam, SODA 2018,
/// evaluate c = 1.25 as the practical middle ground).
pub const DEFAULT_LOAD_FACTOR: f64 = 1.25;
/// Largest load factor (beyond it bounded loads never engage).
pub const MAX_LOAD_FACTOR: f64 = 100.0;

#[derive(Debug)]
pub struct BoundedLoad<S> {
    inner: S,
    c: f64,
}

impl<S> BoundedLoad<S> {
    pub fn new(inner: S, c: f64) -> Self {
        BoundedLoad { inner, c }
    }
}

/// Whether node `i` is usable (`cx.usable`: healthy, and in the zone or level picked from) and has room for one
/// more request: `inflight_i < ceil(c × (L + 1) × w_i / Σw)`, with L and Σw over those usable nodes.
fn capacity<'a>(nodes: &'a [NodeState], cx: &Ctx<'a>, c: f64) -> impl Fn(usize) -> bool + 'a {
    let only = cx.only;
    let usable = move |i: usize| nodes[i].usable && only.is_none_or(|m| m[i]);
    let (mut total, mut wsum) = (0u64, 0.0);
    for i in (0..nodes.len()).filter(|&i| usable(i)) {
        total += u64::from(nodes[i].inflight);
        wsum += nodes[i].weight;
    }
    let num = c * (total + 1) as f64;
    move |i: usize| usable(i) && f64::from(nodes[i].inflight) < (num * nodes[i].weight / wsum).ceil()
}

impl<S: Strategy + Preference> Strategy for BoundedLoad<S> {
    fn footprint(&self, nodes: &[NodeState]) -> Footprint {
        self.inner.footprint(nodes)
    }

    fn build(&mut self, nodes: &[NodeState]) -> Result<()> {
        self.inner.build(nodes)
    }
    fn add(&mut self, nodes: &[NodeState], idx: usize) -> Result<()> {
        self.inner.add(nodes, idx)
    }
    fn remove(&mut self, nodes: &[NodeState], idx: usize) {
        self.inner.remove(nodes, idx)
    }
    fn rebuilds(&self) -> bool {
        self.inner.rebuilds()
    }
    fn remove_node(&mut self, nodes: &[NodeState], idx: usize, gone: &NodeState) {
        self.inner.remove_node(nodes, idx, gone)
    }
    fn reweight(&mut self, nodes: &[NodeState], idx: usize, old_weight: f64) -> Result<()> {
        self.inner.reweight(nodes, idx, old_weight)
    }

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        let room = capacity(nodes, cx, self.c);
        let mut got = None;
        self.inner.walk(nodes, cx.key_hash, &mut |i| {
            let ok = room(i);
            if ok {
                got = Some(i);
            }
            ok
        });
        got
    }

    /// Nodes with room in preference order, then the full ones in preference order.
    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        let room = capacity(nodes, cx, self.c);
        let want = n.min(nodes.len());
        let mut full = Vec::new();
        self.inner.walk(nodes, cx.key_hash, &mut |i| {
            if room(i) {
                out.push(i);
            } else if cx.usable(nodes, i) {
                full.push(i);
            }
            out.len() == want
        });
        out.extend(full.into_iter().take(want - out.len()));
    }

    fn ring_points(&self) -> Option<Vec<(u64, usize)>> {
        self.inner.ring_points()
    }
}
