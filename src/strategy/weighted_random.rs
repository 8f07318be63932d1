//! Weighted random: node i is chosen with probability w_i / Σw.
//!
//! `pick` draws u in [0, Σw) and binary-searches the prefix sums (O(log N)). `pickN` starts with that pick and
//! orders the rest by weighted sampling without replacement: Efraimidis & Spirakis, "Weighted random sampling with a reservoir" (IPL 2006): each node
//! gets the score ln(u_i) / w_i and the n highest scores win, which is exactly sequential weighted sampling
//! without replacement.
//!
//! # Examples
//!
//! ```
//! use edgeroute::{Config, NodeSpec, Router, StrategyKind};
//! let nodes = |ids: &[&str]| ids.iter().map(|id| NodeSpec::new(id, 1.0)).collect::<Vec<_>>();
//! // A seeded Router draws the same sequence every time; weights set the odds.
//! let cfg = || {
//!     let mut c = Config::new(StrategyKind::Random, vec![NodeSpec::new("a", 9.0), NodeSpec::new("b", 1.0)]);
//!     c.seed = Some(7);
//!     c
//! };
//! let (mut r1, mut r2) = (Router::new(cfg(), || 0).unwrap(), Router::new(cfg(), || 0).unwrap());
//! let draws: Vec<_> = (0..1000).map(|_| r1.pick(None, 0.0).unwrap()).collect();
//! assert!(draws.iter().all(|&d| d == r2.pick(None, 0.0).unwrap()));
//! let on_a = draws.iter().filter(|d| r1.id(d.unwrap()) == "a").count();
//! assert!((850..950).contains(&on_a), "{on_a}");
//! # let _ = nodes;
//! ```

use super::{Ctx, Strategy};
use crate::base::detmath;
use crate::base::error::Result;
use crate::node::NodeState;

#[derive(Debug, Default)]
pub struct WeightedRandom {
    /// prefix[i] = w_0 + ... + w_i
    prefix: Vec<f64>,
}

impl WeightedRandom {
    fn rebuild(&mut self, nodes: &[NodeState]) {
        self.prefix.clear();
        let mut sum = 0.0;
        for n in nodes {
            sum += n.weight;
            self.prefix.push(sum);
        }
    }
}

impl Strategy for WeightedRandom {
    fn build(&mut self, nodes: &[NodeState]) -> Result<()> {
        self.rebuild(nodes);
        Ok(())
    }
    fn add(&mut self, nodes: &[NodeState], _: usize) -> Result<()> {
        self.rebuild(nodes);
        Ok(())
    }
    fn remove(&mut self, nodes: &[NodeState], _: usize) {
        self.rebuild(nodes);
    }
    fn reweight(&mut self, nodes: &[NodeState], _: usize, _: f64) -> Result<()> {
        self.rebuild(nodes);
        Ok(())
    }

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        if cx.all_usable && cx.ramp.is_none() {
            let total = *self.prefix.last()?;
            let u = cx.rng.next_f64() * total;
            let i = self.prefix.partition_point(|&p| p <= u);
            return Some(i.min(self.prefix.len() - 1));
        }
        // Some nodes are unusable: draw over the usable weights only (O(N), while unhealthy nodes exist).
        let total: f64 = (0..nodes.len())
            .filter(|&i| cx.usable(nodes, i))
            .map(|i| cx.weight(nodes, i))
            .sum();
        let last = (0..nodes.len()).rposition(|i| cx.usable(nodes, i))?;
        let u = cx.rng.next_f64() * total;
        let mut acc = 0.0;
        for i in 0..nodes.len() {
            if cx.usable(nodes, i) {
                acc += cx.weight(nodes, i);
                if u < acc {
                    return Some(i);
                }
            }
        }
        Some(last)
    }

    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        let Some(first) = self.pick(nodes, cx) else {
            return;
        };
        out.push(first);
        if n == 1 {
            return;
        }
        // The rest: weighted sampling without replacement among the others, which is what sequential draws
        // would give after the first.
        let mut scored: Vec<(f64, usize)> = Vec::new();
        for i in 0..nodes.len() {
            if i != first && cx.usable(nodes, i) {
                let w = cx.weight(nodes, i);
                scored.push((detmath::ln(cx.rng.next_f64_nonzero()) / w, i));
            }
        }
        crate::base::sort::sort_by(&mut scored, &|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        out.extend(scored.into_iter().take(n - 1).map(|(_, i)| i));
    }
}
