//! `hash`: modulo hashing, the non-consistent kind (nginx `hash $key;` without `consistent`, twemproxy
//! `distribution: modula`, HAProxy `hash-type map-based`).
//!
//! Node i owns `weight_i` consecutive slots (weights are whole numbers) in node order; a key goes to the owner
//! of slot `hash(key) mod Σ weight`. It balances well and costs O(log N) per pick, but a change to the pool
//! renumbers the slots, so nearly every key moves (1 − 1/(N+1) of them when a node joins). It is here for
//! compatibility with those systems and as the contrast that shows what consistent hashing saves.
//!
//! Slots follow node order, or a server order a compat profile supplies (twemproxy's `modula` sorts its servers
//! by identity: [`Modulo::ordered`]).
//!
//! Preference order (`pickN`, health): the owner, then the following nodes in slot order, wrapping.
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
//! // Node "b" has weight 2: slots a, b, b, c, so about half the keys go to "b".
//! let mut r = Router::new(
//!     Config::new(
//!         StrategyKind::Hash,
//!         vec![NodeSpec::new("a", 1.0), NodeSpec::new("b", 2.0), NodeSpec::new("c", 1.0)],
//!     ),
//!     || 0,
//! )
//! .unwrap();
//! let on_b = (0..4000).filter(|i| pick(&mut r, Some(format!("{i}").as_bytes()), 0.0) == "b").count();
//! assert!((1800..2200).contains(&on_b), "{on_b}");
//! # let _ = nodes;
//! ```

use super::{first_usable, pick_n_by_walk, Ctx, Preference, Strategy};
use crate::base::error::{Code, Error, Result};
use crate::base::limits::{validate_whole_weight, MAX_BUCKETS};
use crate::node::NodeState;

/// What `hash` does with a weight, for the message that refuses a fractional one.
pub const WHOLE_WEIGHTS: &str = "strategy \"hash\" gives each node `weight` slots";

/// A server order: node indices in the order their slots are laid out.
pub type Ordering = fn(&[NodeState]) -> Result<Vec<usize>>;

#[derive(Debug)]
pub struct Modulo {
    /// `ends[k]` = Σ weights of the first k+1 nodes in slot order: the k-th owns slots `ends[k-1]..ends[k]`.
    ends: Vec<u64>,
    /// Node indices in slot order; empty when it is node order.
    order: Vec<usize>,
    /// Where a profile's server order comes from (`None`: node order).
    ordering: Option<Ordering>,
    /// What the owner does with a weight, for the message that refuses a fractional one ([`WHOLE_WEIGHTS`], or a
    /// profile's).
    whole_weights: &'static str,
}

impl Default for Modulo {
    fn default() -> Modulo {
        Modulo {
            ends: Vec::new(),
            order: Vec::new(),
            ordering: None,
            whole_weights: WHOLE_WEIGHTS,
        }
    }
}

impl Modulo {
    /// Modulo over a profile's server order; `whole_weights` says what the profile does with a weight.
    pub fn ordered(ordering: Ordering, whole_weights: &'static str) -> Modulo {
        Modulo {
            ordering: Some(ordering),
            whole_weights,
            ..Modulo::default()
        }
    }

    pub(crate) fn rebuild(&mut self, nodes: &[NodeState]) -> Result<()> {
        let order = match self.ordering {
            Some(f) => f(nodes)?,
            None => Vec::new(),
        };
        let mut ends = Vec::with_capacity(nodes.len());
        let mut total = 0u64;
        for k in 0..nodes.len() {
            let n = &nodes[order.get(k).copied().unwrap_or(k)];
            validate_whole_weight(n.weight, &format!("the weight of node {:?}", n.id), self.whole_weights)?;
            total += n.weight as u64;
            ends.push(total);
        }
        if total > MAX_BUCKETS {
            return Err(Error::new(
                Code::TooLarge,
                format!("hash would have {total} slots (the sum of the weights); at most {MAX_BUCKETS} are supported"),
            ));
        }
        self.ends = ends;
        self.order = order;
        Ok(())
    }

    /// The position in slot order of the owner of the key's slot.
    fn position(&self, key_hash: u64) -> Option<usize> {
        let total = *self.ends.last()?;
        let slot = key_hash % total;
        Some(self.ends.partition_point(|&e| e <= slot))
    }

    /// The node at position `k` of slot order.
    #[inline]
    fn node_at(&self, k: usize) -> usize {
        if self.order.is_empty() {
            k
        } else {
            self.order[k]
        }
    }

    pub(crate) fn owner(&self, key_hash: u64) -> Option<usize> {
        self.position(key_hash).map(|k| self.node_at(k))
    }
}

impl Strategy for Modulo {
    super::rebuild_on_every_change!();

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        if cx.all_usable {
            return self.owner(cx.key_hash);
        }
        first_usable(self, nodes, cx)
    }

    fn direct(&self, _: &[NodeState], key_hash: u64) -> Option<usize> {
        self.owner(key_hash)
    }

    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        pick_n_by_walk(self, nodes, cx, n, out);
    }

    fn walk_picks(&mut self) -> Option<&mut dyn Preference> {
        Some(self)
    }
}

impl Preference for Modulo {
    fn walk(&mut self, nodes: &[NodeState], key_hash: u64, visit: &mut dyn FnMut(usize) -> bool) {
        let Some(first) = self.position(key_hash) else { return };
        for k in 0..nodes.len() {
            if visit(self.node_at((first + k) % nodes.len())) {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_whole_weights() {
        let nodes: Vec<NodeState> = [("a", 2.0), ("b", 1.0), ("c", 3.0)]
            .iter()
            .map(|(id, w)| NodeState::new(id, *w))
            .collect();
        let mut m = Modulo::default();
        m.build(&nodes).unwrap();
        let owners: Vec<usize> = (0..12).map(|h| m.owner(h).unwrap()).collect();
        assert_eq!(owners, [0, 0, 1, 2, 2, 2, 0, 0, 1, 2, 2, 2]);
        let mut order = Vec::new();
        m.walk(&nodes, 9, &mut |i| {
            order.push(i);
            false
        });
        assert_eq!(order, [2, 0, 1]);
        let bad = [NodeState::new("x", 1.5)];
        assert_eq!(m.build(&bad).unwrap_err().code, Code::InvalidWeight);
    }
}
