//! Smooth weighted round robin, as in nginx's `ngx_http_upstream_get_peer` (upstream round robin module,
//! 2012): every pick adds each node's weight to its current weight, takes the node with the greatest current
//! weight (the first one on ties), and subtracts the total weight from it. The sequence interleaves nodes
//! instead of bursting: weights {5,1,1} give a a b a c a a, exactly as nginx does.
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
//! // Weights 5, 1, 1 give nginx's sequence: a a b a c a a, then again.
//! let mut r = Router::new(
//!     Config::new(
//!         StrategyKind::WeightedRoundRobin,
//!         vec![NodeSpec::new("a", 5.0), NodeSpec::new("b", 1.0), NodeSpec::new("c", 1.0)],
//!     ),
//!     || 0,
//! )
//! .unwrap();
//! let seq: String = (0..7).map(|_| pick(&mut r, None, 0.0).to_owned()).collect();
//! assert_eq!(seq, "aabacaa");
//! # let _ = nodes;
//! ```

use super::{fill_by_score, Ctx, Strategy};
use crate::base::error::Result;
use crate::node::NodeState;

#[derive(Debug, Default)]
pub struct SmoothWrr {
    current: Vec<f64>,
}

impl Strategy for SmoothWrr {
    fn add(&mut self, _: &[NodeState], idx: usize) -> Result<()> {
        debug_assert_eq!(idx, self.current.len());
        self.current.push(0.0);
        Ok(())
    }

    fn remove(&mut self, _: &[NodeState], idx: usize) {
        self.current.remove(idx);
    }

    fn reweight(&mut self, _: &[NodeState], _: usize, _: f64) -> Result<()> {
        Ok(())
    }

    /// Unusable nodes sit out the round entirely (their current weight is frozen), as nginx skips down peers.
    /// Under slow start a ramping node adds its ramped weight (`cx.weight`).
    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        let mut best: Option<usize> = None;
        let mut total = 0.0;
        for i in 0..nodes.len() {
            if !cx.usable(nodes, i) {
                continue;
            }
            let w = cx.weight(nodes, i);
            self.current[i] += w;
            total += w;
            if best.is_none_or(|b| self.current[i] > self.current[b]) {
                best = Some(i);
            }
        }
        let b = best?;
        self.current[b] -= total;
        Some(b)
    }

    /// The pick, then the others by how soon they would be picked (greatest current weight first).
    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        if let Some(first) = self.pick(nodes, cx) {
            out.push(first);
            let current = &self.current;
            fill_by_score(nodes, cx, n, out, |i| -current[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rng::Rng;

    fn run(weights: &[f64], picks: usize) -> String {
        let ids = ["a", "b", "c", "d", "e"];
        let nodes: Vec<NodeState> = weights
            .iter()
            .enumerate()
            .map(|(i, &w)| NodeState::new(ids[i], w))
            .collect();
        let mut s = SmoothWrr::default();
        s.build(&nodes).unwrap();
        let mut rng = Rng::new(0);
        let mut cx = Ctx {
            key_hash: 0,
            key: &[],
            now_ms: 0.0,
            rng: &mut rng,
            all_usable: true,
            only: None,
            part: 0,
            ramp: None,
        };
        (0..picks)
            .map(|_| ids[s.pick(&nodes, &mut cx).unwrap()])
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn nginx_sequence_for_5_1_1() {
        assert_eq!(run(&[5.0, 1.0, 1.0], 7), "a a b a c a a");
        // The cycle repeats with period sum(weights).
        assert_eq!(run(&[5.0, 1.0, 1.0], 14), "a a b a c a a a a b a c a a");
    }

    #[test]
    fn shares_are_exact_over_a_cycle() {
        let seq = run(&[3.0, 2.0, 4.0, 1.0], 100);
        let count = |c: &str| seq.split(' ').filter(|s| *s == c).count();
        assert_eq!((count("a"), count("b"), count("c"), count("d")), (30, 20, 40, 10));
    }
}
