//! Least latency: a peak-sensitive EWMA of reported latency per node, choosing by the power of two random
//! choices.
//!
//! Each node's estimate is a [`crate::load::peak_ewma::PeakEwma`], kept in its `NodeState` by the Router.
//!
//! The cost of a node is `estimate × (in_flight + 1) / weight`. A pick draws two distinct nodes at random and
//! takes the cheaper (Mitzenmacher, "The power of two choices in randomized load balancing", 2001): nearly the
//! balance of a full scan, without herding every isolate onto the same node. A node with no sample yet costs 0
//! while it has nothing in flight, so new nodes are explored at once; once it has requests in flight it is
//! costed at the mean estimate of the sampled nodes.
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
//! use edgeroute::Outcome;
//! // After "slow" reports 500 ms and "fast" 5 ms, new requests go to "fast".
//! let mut r = Router::new(Config::new(StrategyKind::LeastLatency, nodes(&["slow", "fast"])), || 1).unwrap();
//! r.report("slow", Outcome { ok: true, latency_ms: Some(500.0) }, 1000.0).unwrap();
//! r.report("fast", Outcome { ok: true, latency_ms: Some(5.0) }, 1000.0).unwrap();
//! for _ in 0..20 {
//!     assert_eq!(pick(&mut r, None, 1001.0), "fast");
//! }
//! ```

use super::{fill_by_score, two_choices, Ctx, Strategy};
use crate::base::error::Result;
use crate::node::NodeState;

/// Default time constant of the estimator (`decayMs`), in ms. Finagle and tower use 10 s for peak EWMA.
pub const DEFAULT_DECAY_MS: f64 = 10_000.0;

#[derive(Debug)]
pub struct LeastLatency {
    tau_ms: f64,
}

impl LeastLatency {
    pub fn new(tau_ms: f64) -> LeastLatency {
        LeastLatency { tau_ms }
    }

    fn costs<'a>(&self, nodes: &'a [NodeState], now_ms: f64) -> impl Fn(usize) -> f64 + 'a {
        let (mut sum, mut k) = (0.0, 0u32);
        for n in nodes {
            if let Some(e) = n.latency.estimate(now_ms, self.tau_ms) {
                sum += e;
                k += 1;
            }
        }
        let unsampled = if k == 0 { 0.0 } else { sum / k as f64 };
        let tau = self.tau_ms;
        move |i: usize| {
            let n = &nodes[i];
            let est = match n.latency.estimate(now_ms, tau) {
                Some(e) => e,
                None if n.inflight == 0 => 0.0,
                None => unsampled,
            };
            est * (n.inflight as f64 + 1.0) / n.weight
        }
    }
}

impl Strategy for LeastLatency {
    super::no_node_state!();

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        let cost = self.costs(nodes, cx.now_ms);
        two_choices(nodes, cx, cost)
    }

    /// The two-choice pick first, then every other node from cheapest to dearest.
    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        if let Some(first) = self.pick(nodes, cx) {
            out.push(first);
            fill_by_score(nodes, cx, n, out, self.costs(nodes, cx.now_ms));
        }
    }
}
