//! Zones, priority levels and slow start: which part of the pool a pick chooses from, and how much weight a
//! node that just joined or came back carries. The model, with its references, is docs/traffic.md.
//!
//! A pick first chooses a priority level, then (when the caller names its zone) the caller's zone of that level
//! or the level's other zones, and the strategy then picks as usual among the usable nodes of that part
//! (`Ctx::only`). Both choices are thresholds on a number drawn once per key (from the key's hash, salted; from
//! the PRNG for keyless strategies), so a key's choice changes only when the health behind a threshold moves
//! past it, and then only for the keys between the old and new threshold.
//!
//! - Level loads follow Envoy's priority levels: level p's availability is `a_p = min(1, 1.4 × h_p)`, with `h_p`
//!   its usable weight over its weight and 1.4 the overprovisioning factor; level 0 takes `a_0`, each next
//!   level `min(a_p, 1 − what the levels before took)`; if the levels take less than 1 in all, each share is
//!   divided by their sum.
//! - Within the level, a caller in zone z keeps `s = min(1, 1.4 × h_z)` of its keys local (`h_z`: the zone's
//!   usable weight share in that level), and sends the rest to the level's other nodes (other zones and nodes
//!   in no zone); `s` is 0 when no local node is usable and 1 when no other node is.

use crate::hash::mix64;
use crate::node::ramp::SlowStart;
use crate::node::{NodeState, RAMP_PENDING};

/// Envoy's default overprovisioning factor (`overprovisioning_factor`, 140, in the
/// `ClusterLoadAssignment.Policy` of api/envoy/config/endpoint/v3/endpoint.proto): a level or zone keeps all
/// its traffic while 1.4 × its healthy share ≥ 1.
pub const OVERPROVISIONING: f64 = 1.4;

/// Salts of the per-key draws (the first 16 hex digits of the fractional parts of √3 and √5; any fixed odd
/// constants would do): the level and the zone draws must be independent of each other and of the strategy's
/// own use of the key hash.
const SALT_LEVEL: u64 = 0xbb67_ae85_84ca_a73b;
const SALT_ZONE: u64 = 0x3c6e_f372_fe94_f82b;

/// A zone index meaning "no zone" (the caller named none, or one no node has).
pub const NO_ZONE: u32 = u32::MAX;

/// How many part masks are kept at once (each is one byte a node): more than a few zones' callers on a few
/// levels use, and a bound on what callers cycling through thousands of zones can make the Router hold.
const MAX_MASKS: usize = 64;

/// Which part of a level a pick chooses from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Side {
    /// The whole level.
    Level,
    /// The caller's zone in the level.
    Local,
    /// The level's nodes outside the caller's zone.
    Remote,
}

/// A part of the pool: (level index, zone index, side).
pub(super) type Part = (u16, u32, Side);

/// The grouping of the node table into levels and zones, the health behind the thresholds, and slow start.
#[derive(Debug, Default)]
pub(super) struct Traffic {
    /// Zone names, sorted; a node's zone is an index into it.
    zones: Vec<Box<str>>,
    node_zone: Vec<u32>,
    /// Distinct priorities, ascending; a node's level is an index into it.
    levels: Vec<u8>,
    node_level: Vec<u16>,
    /// Some node has a zone, or more than one level exists.
    grouped: bool,
    /// The (level, zone) pairs some node is in, sorted: at most one per node, where a level × zone table
    /// would hold 256 × 65,535 cells for 65,536 nodes.
    cells: Vec<(u16, u32)>,
    /// Each node's index into `cells`, or [`NO_ZONE`] for a node in no zone.
    node_cell: Vec<u32>,
    /// The thresholds need recomputing from the usable flags.
    stale: bool,
    /// Cumulative level loads (the last is 1 when any level has a usable node; empty when none has).
    level_cum: Vec<f64>,
    /// `share[c]`: the share of its zone's callers' keys that `cells[c]` keeps local.
    share: Vec<f64>,
    /// Membership masks of the parts used lately (at most [`MAX_MASKS`]), sorted by part (they change only with
    /// membership).
    masks: Vec<(Part, Box<[bool]>)>,
    /// Slow start: each node's weight factor (1 = full), valid while `ramping > 0`.
    pub(super) ramp: Vec<f64>,
    /// Nodes whose ramp is not over.
    pub(super) ramping: usize,
}

impl Traffic {
    /// Re-reads zones and levels after a membership change: O(N) when no node has a zone or a priority.
    pub(super) fn reindex(&mut self, nodes: &[NodeState]) {
        self.ramping = nodes.iter().filter(|n| n.ramp_since != 0.0).count();
        self.ramp.resize(nodes.len(), 1.0);
        if !self.grouped && !nodes.iter().any(|n| n.zone.is_some() || n.priority != 0) {
            return;
        }
        let mut names: Vec<&str> = nodes.iter().filter_map(|n| n.zone.as_deref()).collect();
        crate::base::sort::sort_by(&mut names, &|a, b| a.cmp(b));
        names.dedup();
        let zones: Vec<Box<str>> = names.into_iter().map(Into::into).collect();
        let mut levels: Vec<u8> = nodes.iter().map(|n| n.priority).collect();
        crate::base::sort::sort_by(&mut levels, &|a, b| a.cmp(b));
        levels.dedup();
        self.node_zone = nodes
            .iter()
            .map(|n| match &n.zone {
                Some(z) => zones.binary_search(z).map_or(NO_ZONE, |i| i as u32),
                None => NO_ZONE,
            })
            .collect();
        self.node_level = nodes
            .iter()
            .map(|n| levels.binary_search(&n.priority).unwrap_or(0) as u16)
            .collect();
        self.grouped = !zones.is_empty() || levels.len() > 1;
        let pair = |i: usize| (self.node_level[i], self.node_zone[i]);
        let mut cells: Vec<(u16, u32)> = (0..nodes.len()).map(pair).filter(|c| c.1 != NO_ZONE).collect();
        crate::base::sort::sort_by(&mut cells, &|a, b| a.cmp(b));
        cells.dedup();
        self.node_cell = (0..nodes.len())
            .map(|i| cells.binary_search(&pair(i)).map_or(NO_ZONE, |c| c as u32))
            .collect();
        self.cells = cells;
        self.zones = zones;
        self.levels = levels;
        self.masks.clear();
        self.stale = true;
    }

    /// The usable flags changed: recompute the thresholds before the next grouped pick.
    pub(super) fn health_changed(&mut self) {
        self.stale = true;
    }

    /// Zone names in index order.
    pub(super) fn zones(&self) -> &[Box<str>] {
        &self.zones
    }

    /// The index of zone `name`, if some node has it.
    pub(super) fn zone_index(&self, name: &str) -> Option<u32> {
        self.zones.binary_search_by(|z| (**z).cmp(name)).ok().map(|i| i as u32)
    }

    /// Whether picks with this zone may choose a part of the pool (else they choose from all of it).
    #[inline]
    pub(super) fn active(&self, zone: u32) -> bool {
        self.levels.len() > 1 || (zone != NO_ZONE && self.grouped)
    }

    fn refresh(&mut self, nodes: &[NodeState]) {
        // (weight, usable weight) of each level and of each (level, zone) cell: O(N + cells + levels).
        let mut level_w = vec![(0.0f64, 0.0f64); self.levels.len()];
        let mut cell_w = vec![(0.0f64, 0.0f64); self.cells.len()];
        for (i, n) in nodes.iter().enumerate() {
            let up = if n.usable { n.weight } else { 0.0 };
            let lw = &mut level_w[self.node_level[i] as usize];
            lw.0 += n.weight;
            lw.1 += up;
            if let Some(cw) = cell_w.get_mut(self.node_cell[i] as usize) {
                cw.0 += n.weight;
                cw.1 += up;
            }
        }
        let mut loads = Vec::with_capacity(level_w.len());
        let mut taken = 0.0;
        for &(total, up) in &level_w {
            let a = if total > 0.0 {
                (OVERPROVISIONING * up / total).min(1.0)
            } else {
                0.0
            };
            let l = a.min(1.0 - taken).max(0.0);
            taken += l;
            loads.push(l);
        }
        self.level_cum.clear();
        if taken > 0.0 {
            let mut cum = 0.0;
            for l in loads {
                cum += l / taken;
                self.level_cum.push(cum);
            }
            if let Some(last) = self.level_cum.last_mut() {
                *last = 1.0;
            }
        }
        self.share.clear();
        for (c, &(total, up)) in cell_w.iter().enumerate() {
            let level_up = level_w[self.cells[c].0 as usize].1;
            let s = if up <= 0.0 {
                0.0
            } else if level_up - up <= 0.0 {
                1.0
            } else {
                (OVERPROVISIONING * up / total).min(1.0)
            };
            self.share.push(s);
        }
        self.stale = false;
    }

    /// The part a pick with this zone chooses from, given its two draws in [0, 1); `None` = the whole pool.
    pub(super) fn choose(&mut self, nodes: &[NodeState], zone: u32, u_level: f64, u_zone: f64) -> Option<Part> {
        if self.stale {
            self.refresh(nodes);
        }
        let level = match self.level_cum.iter().position(|&c| u_level < c) {
            Some(l) => l,
            None if self.level_cum.is_empty() => return None,
            None => self.level_cum.len() - 1,
        };
        let Some(c) = self.cell(level, zone) else {
            return (self.levels.len() > 1).then_some((level as u16, NO_ZONE, Side::Level));
        };
        let s = self.share[c];
        let side = if u_zone < s { Side::Local } else { Side::Remote };
        Some((level as u16, zone, side))
    }

    /// The cell of level `l` and zone `z`, if a node is in it.
    fn cell(&self, l: usize, z: u32) -> Option<usize> {
        if z == NO_ZONE {
            return None;
        }
        self.cells.binary_search(&(l as u16, z)).ok()
    }

    /// Whether level `l` has a node in zone `z`.
    fn has(&self, l: usize, z: u32) -> bool {
        self.cell(l, z).is_some()
    }

    /// Builds the membership mask of a part, the first time it is used (kept until membership changes, or
    /// until [`MAX_MASKS`] parts were used: the cache then starts again, so a caller cycling through many
    /// zones costs O(N) per pick, never O(parts × N) of memory).
    pub(super) fn ensure_mask(&mut self, part: Part) {
        let Err(mut at) = self.masks.binary_search_by(|m| m.0.cmp(&part)) else {
            return;
        };
        if self.masks.len() >= MAX_MASKS {
            self.masks.clear();
            at = 0;
        }
        let (level, zone, side) = part;
        let (nz, nl) = (&self.node_zone, &self.node_level);
        let mask = (0..nz.len())
            .map(|i| {
                nl[i] == level
                    && match side {
                        Side::Level => true,
                        Side::Local => nz[i] == zone,
                        Side::Remote => nz[i] != zone,
                    }
            })
            .collect();
        self.masks.insert(at, (part, mask));
    }

    /// The membership mask of a part that [`Traffic::ensure_mask`] built.
    pub(super) fn mask(&self, part: Part) -> &[bool] {
        match self.masks.binary_search_by(|m| m.0.cmp(&part)) {
            Ok(i) => &self.masks[i].1,
            Err(_) => &[],
        }
    }

    /// The slow-start factors, while some node ramps.
    pub(super) fn ramp(&self) -> Option<&[f64]> {
        (self.ramping > 0).then_some(&self.ramp[..])
    }

    /// The parts a `pickN` falls back to after `first`, in order: the other side of its level, then every other
    /// level from the lowest (the caller's zone first where the level has it).
    pub(super) fn fallbacks(&self, first: Part) -> Vec<Part> {
        let (level, zone, side) = first;
        let mut out = Vec::new();
        match side {
            Side::Local => out.push((level, zone, Side::Remote)),
            Side::Remote => out.push((level, zone, Side::Local)),
            Side::Level => {}
        }
        for l in 0..self.levels.len() {
            if l as u16 == level {
                continue;
            }
            if self.has(l, zone) {
                out.push((l as u16, zone, Side::Local));
                out.push((l as u16, zone, Side::Remote));
            } else {
                out.push((l as u16, NO_ZONE, Side::Level));
            }
        }
        out
    }

    /// Updates the slow-start factors at `now`: a pending ramp begins now, a finished one ends.
    pub(super) fn update_ramp(&mut self, nodes: &mut [NodeState], slow: &SlowStart, now: f64) {
        let mut left = 0;
        for (i, n) in nodes.iter_mut().enumerate() {
            if n.ramp_since == RAMP_PENDING {
                n.ramp_since = now;
            }
            self.ramp[i] = if n.ramp_since == 0.0 {
                1.0
            } else {
                let f = slow.factor(n.ramp_since, now);
                if f >= 1.0 {
                    n.ramp_since = 0.0;
                } else {
                    left += 1;
                }
                f
            };
        }
        self.ramping = left;
    }
}

/// A part as `Ctx::part`'s tag: never 0 (the whole pool).
pub(super) fn tag((level, zone, side): Part) -> u64 {
    1 + ((u64::from(level) << 34) | (u64::from(zone) << 2) | side as u64)
}

/// The per-key draws of a keyed pick: two numbers in [0, 1) from the key's hash.
pub(super) fn key_draws(key_hash: u64) -> (f64, f64) {
    let unit = |x: u64| (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
    (unit(mix64(key_hash, SALT_LEVEL)), unit(mix64(key_hash, SALT_ZONE)))
}
