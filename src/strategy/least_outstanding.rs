//! Least outstanding requests: the power of two choices (Mitzenmacher, "The power of two choices in randomized
//! load balancing", 2001) on requests in flight, weighted: of two random usable nodes, the one with the lower
//! `(in_flight + 1) / weight` wins. Envoy's LEAST_REQUEST balancer works the same way. In-flight counts come
//! from `acquire`/`begin`/`end`, so a slow node, whose requests stay in flight longer, receives fewer new ones.
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
//! // With two requests in flight on "a", the next request goes to idle "b".
//! let mut r = Router::new(Config::new(StrategyKind::LeastOutstanding, nodes(&["a", "b"])), || 1).unwrap();
//! r.begin("a").unwrap();
//! r.begin("a").unwrap();
//! assert_eq!(pick(&mut r, None, 0.0), "b");
//! ```

use super::{fill_by_score, two_choices, Ctx, Strategy};
use crate::base::error::Result;
use crate::node::NodeState;

#[derive(Debug, Default)]
pub struct LeastOutstanding;

fn cost(nodes: &[NodeState]) -> impl Fn(usize) -> f64 + '_ {
    move |i| (nodes[i].inflight as f64 + 1.0) / nodes[i].weight
}

impl Strategy for LeastOutstanding {
    super::no_node_state!();

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        two_choices(nodes, cx, cost(nodes))
    }

    /// The two-choice pick, then the others from least to most loaded.
    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        if let Some(first) = self.pick(nodes, cx) {
            out.push(first);
            fill_by_score(nodes, cx, n, out, cost(nodes));
        }
    }
}
