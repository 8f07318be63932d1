//! Membership changes (`add`, `remove`, `set_weight`) and the memory limit they are checked against.

use super::Router;
use crate::base::error::{Code, Error, Result};
use crate::base::limits::{validate_id, validate_weight, MAX_NODES, MAX_WEIGHT, MIN_WEIGHT};
use crate::base::numfmt::fmt_num;
use crate::compat::Compat;
use crate::node::NodeSpec;
use crate::node::NodeState;

impl Router {
    /// Adds a node. Errors leave the Router unchanged.
    pub fn add(&mut self, spec: NodeSpec) -> Result<()> {
        check_spec(&spec, self.cfg.compat)?;
        let Err(at) = self.by_id.find(&self.nodes, &spec.id) else {
            return Err(dup(&spec.id));
        };
        if self.nodes.len() >= MAX_NODES {
            return Err(Error::new(
                Code::TooLarge,
                format!("at most {MAX_NODES} nodes are supported"),
            ));
        }
        self.nodes.push(self.joining(&spec));
        let idx = self.nodes.len() - 1;
        if let Err(e) = self
            .check_memory(&self.nodes)
            .and_then(|_| self.strategy.add(&self.nodes, idx))
        {
            self.nodes.pop();
            return Err(e);
        }
        self.by_id.0.insert(at, idx as u32);
        self.dirty = true;
        self.traffic.reindex(&self.nodes);
        Ok(())
    }

    /// Makes the node set equal to `specs` in one call: nodes not listed leave, listed ones keep their state
    /// and take the listed weight, new ones join at the end in the given order (a listed node whose other
    /// fields changed leaves and joins again). The same result as the `remove`, `set_weight` and `add` calls
    /// it stands for, in that order, but checked whole first: a bad spec, a repeated id or a final table over
    /// the memory limit leaves the Router unchanged. A strategy that rebuilds on every change rebuilds once.
    pub fn set_nodes(&mut self, specs: Vec<NodeSpec>) -> Result<NodeChanges> {
        if specs.len() > MAX_NODES {
            return Err(Error::new(
                Code::TooLarge,
                format!(
                    "setNodes(nodes): {} nodes; at most {MAX_NODES} are supported",
                    specs.len()
                ),
            ));
        }
        for spec in &specs {
            check_spec(spec, self.cfg.compat)?;
        }
        let (index, repeat) = super::ids::IdIndex::build(specs.len(), &|i| &specs[i].id);
        if let Some(i) = repeat {
            return Err(dup(&specs[i].id));
        }
        let listed = |id: &str| {
            let at = index
                .0
                .binary_search_by(|&i| specs[i as usize].id.as_str().cmp(id))
                .ok()?;
            Some(index.0[at] as usize)
        };
        let mut kept = vec![false; specs.len()];
        let (mut gone, mut reweigh) = (Vec::new(), Vec::new());
        let mut table = Vec::with_capacity(specs.len());
        for n in &self.nodes {
            match listed(&n.id) {
                Some(i) if same_fields(n, &specs[i]) => {
                    kept[i] = true;
                    let mut n = n.clone();
                    if n.weight != specs[i].weight {
                        n.weight = specs[i].weight;
                        reweigh.push(i);
                    }
                    table.push(n);
                }
                _ => gone.push(n.id.clone()),
            }
        }
        let added: Vec<usize> = (0..specs.len()).filter(|&i| !kept[i]).collect();
        table.extend(added.iter().map(|&i| self.joining(&specs[i])));
        let changes = NodeChanges {
            added: added.len() as u32,
            removed: gone.len() as u32,
            reweighted: reweigh.len() as u32,
        };
        if changes == NodeChanges::default() {
            return Ok(changes);
        }
        self.check_memory(&table)?;
        if self.strategy.rebuilds() {
            self.strategy.build(&table)?;
            for id in &gone {
                if let Ok(i) = self.index_of(id) {
                    self.removed.add_node(&self.nodes[i]);
                }
            }
            self.by_id = super::ids::IdIndex::build(table.len(), &|i| &table[i].id).0;
            self.nodes = table;
            self.dirty = true;
            self.traffic.reindex(&self.nodes);
            return Ok(changes);
        }
        drop(table);
        for id in &gone {
            self.remove(id);
        }
        for &i in &reweigh {
            self.set_weight(&specs[i].id, specs[i].weight)?;
        }
        for &i in &added {
            self.add(specs[i].clone())?;
        }
        Ok(changes)
    }

    /// The cost model's figure for this Router: the bytes its tables and node table take at their peak (while
    /// built or changed), which `maxMemoryBytes` bounds.
    pub fn memory_cost(&self) -> u64 {
        self.cost(&self.nodes).0
    }

    /// The figure `add(spec)` is checked against: the peak of this Router with that node added (a ring's change
    /// may lay its points out again, so this can exceed `memory_cost` after the change).
    pub fn add_cost(&self, spec: &NodeSpec) -> u64 {
        let mut nodes = self.nodes.clone();
        nodes.push(NodeState::from_spec(spec));
        self.cost(&nodes).0
    }

    /// The figure `set_weight(id, weight)` is checked against (see [`Router::add_cost`]).
    pub fn set_weight_cost(&self, id: &str, weight: f64) -> Result<u64> {
        let mut nodes = self.nodes.clone();
        nodes[self.index_of(id)?].weight = weight;
        Ok(self.cost(&nodes).0)
    }

    pub(super) fn cost(&self, nodes: &[NodeState]) -> (u64, crate::strategy::Footprint, u64) {
        let f = self.strategy.footprint(nodes);
        let table: u64 = nodes.iter().map(|n| NODE_BYTES + 2 * n.id.len() as u64).sum();
        (f.bytes().saturating_add(table), f, table)
    }

    /// Refuses a node table whose peak memory (the strategy's [`crate::strategy::Footprint`] plus the table
    /// itself) passes `maxMemoryBytes`, before the strategy allocates any of it.
    pub(super) fn check_memory(&self, nodes: &[NodeState]) -> Result<()> {
        let (total, f, table) = self.cost(nodes);
        let limit = self.cfg.max_memory_bytes;
        if total <= limit {
            return Ok(());
        }
        let tables = if f.items > 0 {
            format!("{} {} × {} bytes, plus ", f.items, f.item, f.bytes_each)
        } else {
            String::new()
        };
        Err(Error::new(
            Code::TooLarge,
            format!(
                "this Router would need about {} of memory at its peak ({tables}{table} bytes for {} nodes), over its limit of {}; lower vnodes, the weights or the number of nodes, or raise options.maxMemoryBytes (docs/reliability.md has the cost model)",
                mib(total),
                nodes.len(),
                mib(limit)
            ),
        ))
    }

    /// Removes a node; `false` when no node has this id.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(idx) = self.by_id.remove(&self.nodes, id) else {
            return false;
        };
        let gone = self.nodes.remove(idx);
        self.removed.add_node(&gone);
        self.dirty = true;
        self.strategy.remove_node(&self.nodes, idx, &gone);
        self.traffic.reindex(&self.nodes);
        true
    }

    pub(super) fn index_of(&self, id: &str) -> Result<usize> {
        self.by_id.find(&self.nodes, id).ok().ok_or_else(|| {
            Error::new(
                Code::UnknownNode,
                format!("no node has id {id:?}; r.nodes() lists the ids this Router holds"),
            )
        })
    }

    /// Changes a node's weight. Errors leave the Router unchanged.
    pub fn set_weight(&mut self, id: &str, weight: f64) -> Result<()> {
        let idx = self.index_of(id)?;
        let weight = validate_weight(weight, &format!("weight of node {id:?}"))?;
        let old = core::mem::replace(&mut self.nodes[idx].weight, weight);
        if let Err(e) = self
            .check_memory(&self.nodes)
            .and_then(|_| self.strategy.reweight(&self.nodes, idx, old))
        {
            self.nodes[idx].weight = old;
            return Err(e);
        }
        self.traffic.health_changed();
        Ok(())
    }

    /// A node that joins now: under slow start its ramp begins at the next pick (which has the clock).
    fn joining(&self, spec: &NodeSpec) -> NodeState {
        let mut n = NodeState::from_spec(spec);
        if self.cfg.slow_start.is_some() {
            n.ramp_since = crate::node::RAMP_PENDING;
        }
        n
    }
}

/// What [`Router::set_nodes`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeChanges {
    pub added: u32,
    pub removed: u32,
    pub reweighted: u32,
}

/// Whether a node keeps its place under `spec`: every field but the weight is the same.
fn same_fields(n: &NodeState, spec: &NodeSpec) -> bool {
    n.name.as_deref() == spec.name.as_deref()
        && n.zone.as_deref() == spec.zone.as_deref()
        && n.priority == spec.priority
        && n.server_id == spec.server_id
        && n.hash_string.as_deref() == spec.hash_string.as_deref()
}

/// Bytes of one node besides its id (counted twice, as the id is while a Router is built from its config): its
/// state, its spec while parsed and built (with growth slack), its place in the id index and per-node strategy
/// state (a hash, a weight), and its latency histogram once it has one.
pub(super) const NODE_BYTES: u64 = (core::mem::size_of::<NodeState>()
    + core::mem::size_of::<NodeSpec>()
    + core::mem::size_of::<crate::load::histogram::LatencyHistogram>()) as u64
    + 128;

/// Bytes in MiB for messages, to a tenth.
fn mib(bytes: u64) -> String {
    format!("{} MiB", fmt_num((bytes as f64 / 1_048_576.0 * 10.0).round() / 10.0))
}

/// Checks a node spec built in Rust (specs from JS or JSON were checked by `config` already); the message is
/// formatted only when something is wrong.
pub(super) fn check_spec(spec: &NodeSpec, compat: Option<Compat>) -> Result<()> {
    validate_id(&spec.id, "node id")?;
    crate::compat::check_node_fields(spec, compat, &format_args!("node {:?}", spec.id))?;
    if !(MIN_WEIGHT..=MAX_WEIGHT).contains(&spec.weight) {
        validate_weight(spec.weight, &format!("weight of node {:?}", spec.id))?;
    }
    Ok(())
}

pub(super) fn dup(id: &str) -> Error {
    Error::new(
        Code::DuplicateId,
        format!("a node with id {id:?} already exists; ids must be unique"),
    )
}
