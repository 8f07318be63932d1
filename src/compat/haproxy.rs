//! `compat: "haproxy"`: HAProxy's `hash-type consistent` (`strategy: "ring"`) and `hash-type map-based`
//! (`strategy: "hash"`), from HAProxy 2.6 (`lb_chash.c`, `lb_map.c`, `backend.c`, `cfgparse.c`), checked
//! against the Debian daemon.
//!
//! - Key hash: `gen_hash` with the `hash` function (sdbm, djb2, wt6, crc32), then `full_hash` when
//!   `avalanche` is on. Defaults as HAProxy's parser sets them: `hash-type consistent` alone means sdbm with
//!   avalanche; `map-based` alone, or any explicit function, means no avalanche unless asked.
//! - Identity: the server's numeric id (`id` on the `server` line, `serverId` here). Servers without one get
//!   the first free id ≥ a counter that starts at 1 and advances by one per server in declaration order, so
//!   without explicit ids they are numbered 1, 2, 3… by position, and removing a server renumbers the servers
//!   after it (give ids to keep them stable).
//! - Ring: a server of weight w (1 to 256) has 16·w points, point j at `full_hash(id × 4096 + j)` in 32-bit
//!   arithmetic. A key goes to the nearer of the points around its hash (`chash_get_server_hash`), and a
//!   redispatch walks on clockwise from there.
//! - Map: weights are divided by their greatest common divisor; the table of Σw slots is filled by HAProxy's
//!   `recalc_server_map` (each round every server gains its weight, the first with the highest
//!   `(score + total) / total` takes the slot and loses `total`), and a key takes slot `hash mod Σw`.

use super::continuum::check_points;
use crate::base::error::{Code, Error, Result};
use crate::base::limits::{validate_whole_weight, MAX_BUCKETS};
use crate::hash::systems::full_hash;
use crate::node::NodeState;
use crate::strategy::{first_usable, pick_n_by_walk, Ctx, Footprint, Preference, Seen, Strategy};

/// `BE_WEIGHT_SCALE`: ring points per unit of weight.
pub(super) const POINTS_PER_WEIGHT: u32 = 16;
/// `SRV_EWGHT_RANGE` = `SRV_UWGHT_RANGE` (256) × `BE_WEIGHT_SCALE` (16): the id stride of ring point keys.
const ID_STRIDE: u32 = 4096;
/// `SRV_UWGHT_MAX`: the largest server weight.
pub const MAX_WEIGHT: u64 = 256;
/// The largest server id (`id` takes a positive `int`).
pub const MAX_SERVER_ID: u32 = i32::MAX as u32;
/// Bound on the map build's work (slots × servers), which HAProxy also pays at start-up.
const MAX_MAP_WORK: u64 = 1 << 28;

/// What HAProxy does with a weight, for the message that refuses a fractional one.
const RING_WEIGHTS: &str = "compat \"haproxy\" copies HAProxy, whose weight is an integer from 1 to 256 (hash-type consistent gives each server 16 ring points per unit of weight)";
const MAP_WEIGHTS: &str = "compat \"haproxy\" copies HAProxy, whose weight is an integer from 1 to 256 (hash-type map-based gives each server weight / gcd(all weights) slots)";

fn weight(n: &NodeState, why: &str) -> Result<u32> {
    validate_whole_weight(n.weight, &format!("the weight of node {:?}", n.id), why)?;
    if n.weight as u64 > MAX_WEIGHT {
        return Err(Error::new(
            Code::InvalidWeight,
            format!(
                "the weight of node {:?} is {}, but HAProxy weights go from 1 to {MAX_WEIGHT}",
                n.id,
                crate::base::numfmt::fmt_num(n.weight)
            ),
        ));
    }
    Ok(n.weight as u32)
}

/// Each node's server id: its `serverId`, or HAProxy's automatic numbering.
pub fn server_ids(nodes: &[NodeState]) -> Result<Vec<u32>> {
    let mut explicit: Vec<(u32, usize)> = nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| n.server_id.map(|s| (s, i)))
        .collect();
    crate::base::sort::sort_by(&mut explicit, &|a, b| a.cmp(b));
    if let Some(w) = explicit.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::new(
            Code::DuplicateId,
            format!(
                "nodes {:?} and {:?} both have serverId {}; HAProxy server ids must be unique",
                nodes[w[0].1].id, nodes[w[1].1].id, w[0].0
            ),
        ));
    }
    let taken = |id: u32| explicit.binary_search_by(|e| e.0.cmp(&id)).is_ok();
    // Automatic ids only grow, so only the explicit ones can be in the way (`get_next_id` in cfgparse.c).
    let mut next: u32 = 1;
    let mut ids = Vec::with_capacity(nodes.len());
    for n in nodes {
        match n.server_id {
            Some(id) => ids.push(id),
            None => {
                while taken(next) {
                    next += 1;
                }
                ids.push(next);
            }
        }
        next += 1;
    }
    Ok(ids)
}

pub(super) fn ring_points(nodes: &[NodeState], out: &mut Vec<(u32, u32)>) -> Result<()> {
    let mut total = 0u64;
    for n in nodes {
        total += (weight(n, RING_WEIGHTS)? * POINTS_PER_WEIGHT) as u64;
    }
    check_points(total, "haproxy")?;
    let ids = server_ids(nodes)?;
    crate::base::alloc::reserve(out, total as usize, "ring points")?;
    for (idx, n) in nodes.iter().enumerate() {
        let base = ids[idx].wrapping_mul(ID_STRIDE);
        for j in 0..n.weight as u32 * POINTS_PER_WEIGHT {
            out.push((full_hash(base.wrapping_add(j)), idx as u32));
        }
    }
    Ok(())
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `hash-type map-based`.
#[derive(Debug, Default)]
pub struct HaproxyMap {
    /// Slot → node index.
    map: Vec<u32>,
    seen: Seen,
}

impl HaproxyMap {
    fn rebuild(&mut self, nodes: &[NodeState]) -> Result<()> {
        let mut ws = Vec::with_capacity(nodes.len());
        for n in nodes {
            ws.push(weight(n, MAP_WEIGHTS)? as u64);
        }
        // The map does not use server ids, but HAProxy refuses a config that repeats one.
        server_ids(nodes)?;
        let g = ws.iter().fold(0, |g, &w| gcd(g, w)).max(1);
        let ew: Vec<i64> = ws.iter().map(|&w| (w / g) as i64).collect();
        let tot: i64 = ew.iter().sum();
        if tot as u64 > MAX_BUCKETS || (tot as u64).saturating_mul(nodes.len() as u64) > MAX_MAP_WORK {
            return Err(Error::new(
                Code::TooLarge,
                format!("the HAProxy map would have {tot} slots for {} servers; at most {MAX_MAP_WORK} slots × servers are supported. Lower the weights", nodes.len()),
            ));
        }
        let mut score = vec![0i64; nodes.len()];
        let mut map = Vec::with_capacity(tot as usize);
        for _ in 0..tot {
            let mut best = 0usize;
            let mut max = 0i64;
            for i in 0..nodes.len() {
                if tot == 1 {
                    best = i;
                    break;
                }
                score[i] += ew[i];
                // C's integer division truncates toward zero, as Rust's does.
                let v = (score[i] + tot) / tot;
                if i == 0 || v > max {
                    max = v;
                    best = i;
                }
            }
            map.push(best as u32);
            score[best] -= tot;
        }
        self.map = map;
        self.seen.resize(nodes.len());
        Ok(())
    }
}

impl Strategy for HaproxyMap {
    crate::strategy::rebuild_on_every_change!();

    /// At most Σ weights slots (fewer when the weights share a divisor), each a `u32` in the old and new maps.
    fn footprint(&self, nodes: &[NodeState]) -> Footprint {
        Footprint {
            items: nodes.iter().map(|n| n.weight as u64).sum(),
            item: "HAProxy map slots",
            bytes_each: 8,
            extra: 0,
        }
    }

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        if self.map.is_empty() {
            return None;
        }
        if !cx.all_usable {
            return first_usable(self, nodes, cx);
        }
        self.direct(nodes, cx.key_hash)
    }

    fn direct(&self, _: &[NodeState], key_hash: u64) -> Option<usize> {
        if self.map.is_empty() {
            return None;
        }
        Some(self.map[(key_hash % self.map.len() as u64) as usize] as usize)
    }

    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        pick_n_by_walk(self, nodes, cx, n, out);
    }

    fn walk_picks(&mut self) -> Option<&mut dyn Preference> {
        Some(self)
    }
}

impl Preference for HaproxyMap {
    /// The key's slot, then the following slots, each server the first time it is met.
    fn walk(&mut self, _: &[NodeState], key_hash: u64, visit: &mut dyn FnMut(usize) -> bool) {
        let len = self.map.len();
        if len == 0 {
            return;
        }
        let start = (key_hash % len as u64) as usize;
        self.seen.walk_circle(&self.map, start, visit);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(ws: &[f64], ids: &[Option<u32>]) -> Vec<NodeState> {
        ws.iter()
            .zip(ids)
            .enumerate()
            .map(|(i, (&w, &id))| {
                let mut n = NodeState::new(&format!("s{i}"), w);
                n.server_id = id;
                n
            })
            .collect()
    }

    #[test]
    fn automatic_ids_skip_explicit_ones() {
        let n = nodes(&[1.0; 4], &[None, Some(1), None, Some(3)]);
        // s0: first free ≥ 1 is 2; counter 3. s1: 1; counter 4. s2: 4; counter 5. s3: 3.
        assert_eq!(server_ids(&n).unwrap(), [2, 1, 4, 3]);
        assert_eq!(server_ids(&nodes(&[1.0; 3], &[None; 3])).unwrap(), [1, 2, 3]);
        let dup = nodes(&[1.0; 2], &[Some(5), Some(5)]);
        assert_eq!(server_ids(&dup).unwrap_err().code, Code::DuplicateId);
    }

    #[test]
    fn map_interleaves_by_weight() {
        let mut m = HaproxyMap::default();
        m.rebuild(&nodes(&[2.0, 4.0], &[None, None])).unwrap();
        // gcd 2 → weights 1 and 2, 3 slots.
        assert_eq!(m.map.len(), 3);
        assert_eq!(m.map.iter().filter(|&&o| o == 1).count(), 2);
        m.rebuild(&nodes(&[3.0, 1.0, 2.0], &[None; 3])).unwrap();
        let counts: Vec<usize> = (0..3).map(|i| m.map.iter().filter(|&&o| o == i).count()).collect();
        assert_eq!(counts, [3, 1, 2]);
        assert_eq!(
            m.rebuild(&nodes(&[257.0], &[None])).unwrap_err().code,
            Code::InvalidWeight
        );
    }
}
