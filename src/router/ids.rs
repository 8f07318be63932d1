//! The id index: node ids in sorted order, for lookups by id without hashing.

use crate::node::NodeState;

/// Node indices sorted by id, for the calls that name a node (`begin`, `report`, `remove`, ...). A sorted
/// permutation keeps each id once (in its `NodeState`) and is far smaller in wasm than a `BTreeMap`.
#[derive(Default)]
pub(super) struct IdIndex(pub(super) Vec<u32>);

impl IdIndex {
    /// The index of `n` ids, and the first position whose id repeats an earlier one.
    pub(super) fn build<'a>(n: usize, id: &dyn Fn(usize) -> &'a str) -> (IdIndex, Option<usize>) {
        let mut v: Vec<u32> = (0..n as u32).collect();
        // Ties by position, so each repeat sorts after the id's first occurrence.
        crate::base::sort::sort_by(&mut v, &|a, b| id(*a as usize).cmp(id(*b as usize)).then(a.cmp(b)));
        let first_dup = v
            .windows(2)
            .filter(|w| id(w[0] as usize) == id(w[1] as usize))
            .map(|w| w[1] as usize)
            .min();
        (IdIndex(v), first_dup)
    }

    /// `Ok(node index)`, or `Err(where the id would be inserted)`.
    pub(super) fn find(&self, nodes: &[NodeState], id: &str) -> core::result::Result<usize, usize> {
        self.0
            .binary_search_by(|&i| (*nodes[i as usize].id).cmp(id))
            .map(|at| self.0[at] as usize)
    }

    /// Takes `id` out (call before removing its node) and renumbers the nodes after it.
    pub(super) fn remove(&mut self, nodes: &[NodeState], id: &str) -> Option<usize> {
        let at = self.0.binary_search_by(|&i| (*nodes[i as usize].id).cmp(id)).ok()?;
        let idx = self.0.remove(at);
        for v in &mut self.0 {
            if *v > idx {
                *v -= 1;
            }
        }
        Some(idx as usize)
    }
}
