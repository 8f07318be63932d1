//! Plain round robin: nodes in insertion order, one after another. Weights are ignored (use
//! `weighted-round-robin` for weights).
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
//! let mut r = Router::new(Config::new(StrategyKind::RoundRobin, nodes(&["a", "b", "c"])), || 0).unwrap();
//! let seq: String = (0..6).map(|_| pick(&mut r, None, 0.0).to_owned()).collect();
//! assert_eq!(seq, "abcabc");
//! ```

use super::{Ctx, Strategy};
use crate::base::error::Result;
use crate::node::NodeState;

/// The most parts whose turn is kept.
const MAX_PARTS: usize = 64;

#[derive(Debug, Default)]
pub struct RoundRobin {
    next: usize,
    /// The turn of each part of the pool picked from (zones, levels: `Ctx::part`), besides the whole pool's.
    parts: Vec<(u64, usize)>,
    /// Slow start: each ramping node's credit towards its next turn.
    credit: Vec<f64>,
}

impl Strategy for RoundRobin {
    fn add(&mut self, _: &[NodeState], _: usize) -> Result<()> {
        Ok(())
    }

    fn remove(&mut self, _: &[NodeState], idx: usize) {
        if idx < self.credit.len() {
            self.credit.remove(idx);
        }
        // Keep pointing at the same next node when an earlier one leaves.
        if idx < self.next {
            self.next -= 1;
        }
        for (_, next) in &mut self.parts {
            if idx < *next {
                *next -= 1;
            }
        }
    }

    fn reweight(&mut self, _: &[NodeState], _: usize, _: f64) -> Result<()> {
        Ok(())
    }

    /// The next usable node in rotation.
    ///
    /// Under slow start a ramping node takes its turn only when its credit, which grows by its weight factor
    /// at each turn, reaches 1: a node at factor f gets f of a full node's share, with no randomness.
    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        let len = nodes.len();
        let ramp = cx.ramp;
        let credit = &mut self.credit;
        credit.resize(len, 0.0);
        let slot = match cx.part {
            0 => None,
            tag => Some(match self.parts.iter().position(|p| p.0 == tag) {
                Some(at) => at,
                None => {
                    // Bounded: a caller cycling through many zones restarts the turns instead of growing this.
                    if self.parts.len() >= MAX_PARTS {
                        self.parts.clear();
                    }
                    self.parts.push((tag, 0));
                    self.parts.len() - 1
                }
            }),
        };
        let next = slot.map_or(self.next, |at| self.parts[at].1);
        let mut fallback = None;
        let i = (0..len).map(|k| (next + k) % len).find(|&i| {
            if !cx.usable(nodes, i) {
                return false;
            }
            let Some(f) = ramp.map(|r| r[i]).filter(|&f| f < 1.0) else {
                return true;
            };
            fallback.get_or_insert(i);
            credit[i] += f;
            if credit[i] >= 1.0 {
                credit[i] -= 1.0;
                return true;
            }
            false
        });
        // Only ramping nodes, none with credit yet: the first of them still serves (a pick never fails for it).
        let i = i.or(fallback)?;
        match slot {
            None => self.next = (i + 1) % len,
            Some(at) => self.parts[at].1 = (i + 1) % len,
        }
        Some(i)
    }

    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        if let Some(first) = self.pick(nodes, cx) {
            let len = nodes.len();
            out.extend(
                (0..len)
                    .map(|k| (first + k) % len)
                    .filter(|&i| cx.usable(nodes, i))
                    .take(n),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rng::Rng;

    #[test]
    fn cycles_in_order_and_survives_removal() {
        let mut nodes: Vec<NodeState> = ["a", "b", "c"].iter().map(|id| NodeState::new(id, 1.0)).collect();
        let mut rr = RoundRobin::default();
        rr.build(&nodes).unwrap();
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
        let seq: Vec<usize> = (0..4).map(|_| rr.pick(&nodes, &mut cx).unwrap()).collect();
        assert_eq!(seq, [0, 1, 2, 0]);
        // next is "b"; removing "a" must keep "b" next.
        nodes.remove(0);
        rr.remove(&nodes, 0);
        assert_eq!(&*nodes[rr.pick(&nodes, &mut cx).unwrap()].id, "b");
        let mut out = vec![];
        rr.pick_n(&nodes, &mut cx, 5, &mut out);
        assert_eq!(out, [1, 0]);
    }
}
