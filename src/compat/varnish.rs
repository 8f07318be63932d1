//! `compat: "varnish"` with `strategy: "ring"`: Varnish 7.1's shard director (`directors.shard()`), written from
//! `vmod/vmod_directors_shard_cfg.c` (`shardcfg_hashcircle`, `shardcfg_reconfigure`), `vmod_directors_shard_dir.c`
//! (`shard_lookup`, `shard_next`), `vmod_directors_shard.c` (`shard_get_key`) and `bin/varnishd/cache/cache_vrt.c`
//! (`VRT_HashStrands32`) of Varnish 7.1.1, and checked against the Debian daemon (`test-js/compat/`).
//!
//! - Identity: the backend's ident (`add_backend(b, ident=…)`, default the VCL backend name): the node id.
//! - Ring: `replicas` (the `replicas` option: `reconfigure(replicas = N)`, default 67) × weight points per backend, truncated to an integer and
//!   capped at `(2^32 − 2) / backends`; point j is `VRT_HashStrands32(ident, "<j>")`: the last 4 bytes of
//!   SHA-256 of the ident followed by j in decimal, little-endian. Points sort by value; equal ones keep their
//!   generation order (glibc's `qsort` merge-sorts).
//! - Lookup: the first point at or after the key, **except** that a key above the last point takes the last
//!   point (`shard_lookup` does not wrap); the walk to later backends (`alt`, unhealthy ones) wraps.
//! - Key (`hash` option): `"hash"` (Varnish's default `by=HASH`, resolved at fetch): the first 4 bytes of the
//!   request's SHA-256 digest, big-endian, so the key is what `vcl_hash` feeds it, by default the URL then the
//!   Host header, joined with nothing between; `"url"` (`by=URL`, or `by=KEY` with `key(<string>)`): the
//!   string's `VRT_HashStrands32`.
//! - Weights: any number ≥ 1 (`add_backend`'s `weight`, a REAL; VCL refuses less).
//!
//! `compat: "varnish"` with `strategy: "hash"`: the hash director (`directors.hash()`), from
//! `vmod/vmod_directors_hash.c` (`vmod_hash_backend`) and `vmod/vmod_directors.c` (`vdir_pick_be`,
//! `vdir_pick_by_weight`) of Varnish 7.1.1: weighted, not consistent.
//!
//! - Key: the string `h.backend(<string>)` hashes, by `VRT_HashStrands32` (last 4 bytes of its SHA-256,
//!   little-endian), scaled to `r = hash / 2^32` in [0, 1).
//! - Pick: `r × Σ w` over the healthy backends (summed in `add_backend` order), then the first healthy backend,
//!   in that order, whose running sum of weights exceeds it. Backends are positions, not names: removing one
//!   shifts the ranges of all after it.
//! - Next choice: what Varnish picks when the chosen backends are unhealthy (the same `r` over the weights left).
//! - Weights: any positive number (`add_backend`'s `weight`, a REAL).

use super::continuum::check_points;
use crate::base::error::{Code, Error, Result};
use crate::base::numfmt::fmt_num;
use crate::hash::systems::Hash32;
use crate::node::NodeState;
use crate::strategy::{Ctx, Strategy};

/// `reconfigure()`'s default `replicas`.
pub const REPLICAS: u32 = 67;
/// The largest `replicas` option: one backend of weight 1 then fills the largest ring supported.
pub const MAX_REPLICAS: u64 = crate::strategy::ring::MAX_RING_POINTS;

/// A backend's point count: `replicas × weight` as `uint32_t` (truncated), capped at `(UINT32_MAX − 1) / n`.
pub(super) fn point_count(weight: f64, backends: usize, replicas: u32) -> u64 {
    let r = (replicas as f64 * weight).min(u32::MAX as f64) as u64;
    r.min((u32::MAX as u64 - 1) / backends.max(1) as u64)
}

pub(super) fn ring_points(nodes: &[NodeState], replicas: u32, out: &mut Vec<(u32, u32)>) -> Result<()> {
    if let Some(n) = nodes.iter().find(|n| n.weight < 1.0) {
        check_node(n)?;
    }
    let total: u64 = nodes.iter().map(|n| point_count(n.weight, nodes.len(), replicas)).sum();
    check_points(total, "varnish")?;
    crate::base::alloc::reserve(out, total as usize, "ring points")?;
    for (idx, n) in nodes.iter().enumerate() {
        node_points(n, idx, point_count(n.weight, nodes.len(), replicas), out);
    }
    Ok(())
}

/// A backend's weight as the shard director takes it: 1 or more.
pub(super) fn check_node(n: &NodeState) -> Result<()> {
    if n.weight < 1.0 {
        return Err(Error::new(
            Code::InvalidWeight,
            format!(
                "the weight of node {:?} is {}, but Varnish's shard director takes weights of 1 or more",
                n.id,
                fmt_num(n.weight)
            ),
        ));
    }
    Ok(())
}

/// One backend's `count` points: the SHA-256 tail of its ident followed by the point's number in decimal.
pub(super) fn node_points(n: &NodeState, idx: usize, count: u64, out: &mut Vec<(u32, u32)>) {
    let mut buf = Vec::new();
    for j in 0..count {
        buf.clear();
        buf.extend_from_slice(n.id.as_bytes());
        push_decimal(&mut buf, j);
        out.push((Hash32::Sha256Tail.hash(&buf), idx as u32));
    }
}

/// Whether no backend's point count is cut by the cap for `backends` backends: then every count depends on its
/// own backend alone, and a change touches only that backend's points.
pub(super) fn uncapped(nodes: &[NodeState], backends: usize, replicas: u32) -> bool {
    nodes
        .iter()
        .all(|n| point_count(n.weight, 1, replicas) == point_count(n.weight, backends, replicas))
}

pub(super) fn push_decimal(buf: &mut Vec<u8>, mut v: u64) {
    let start = buf.len();
    loop {
        buf.push(b'0' + (v % 10) as u8);
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf[start..].reverse();
}

/// The hash director. Its state is the node table itself: weights in `add_backend` order.
#[derive(Debug, Default)]
pub struct VarnishHash;

/// `vdir_pick_be` for `r` (the key's hash / 2^32), skipping unhealthy backends and those already in `skip`.
fn pick_be(nodes: &[NodeState], r: f64, skip: &[usize]) -> Option<usize> {
    let ok = |i: usize| nodes[i].usable && !skip.contains(&i);
    // vdir_update_health: the total in backend order, as the running sum below adds it.
    let total: f64 = (0..nodes.len())
        .filter(|&i| ok(i))
        .fold(0.0, |a, i| a + nodes[i].weight);
    if total <= 0.0 {
        return None;
    }
    let w = r * total;
    let mut a = 0.0;
    let mut last = None;
    for i in (0..nodes.len()).filter(|&i| ok(i)) {
        a += nodes[i].weight;
        last = Some(i);
        if w < a {
            return Some(i);
        }
    }
    // r < 1 and a ends at `total`, so this is not reached (Varnish asserts it is not).
    last
}

/// `scalbn(VRT_HashStrands32(s), -32)`.
fn unit(key_hash: u64) -> f64 {
    key_hash as u32 as f64 / 4_294_967_296.0
}

impl Strategy for VarnishHash {
    crate::strategy::no_node_state!();

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        pick_be(nodes, unit(cx.key_hash), &[])
    }

    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        let r = unit(cx.key_hash);
        while out.len() < n {
            match pick_be(nodes, r, out) {
                Some(i) => out.push(i),
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_director_walks_the_weights_in_order() {
        let nodes: Vec<NodeState> = [1.0, 2.0, 1.0]
            .iter()
            .enumerate()
            .map(|(i, &w)| NodeState::new(&format!("b{i}"), w))
            .collect();
        // Σw = 4: [0, 1) → b0, [1, 3) → b1, [3, 4) → b2.
        assert_eq!(pick_be(&nodes, 0.0, &[]), Some(0));
        assert_eq!(pick_be(&nodes, 0.25, &[]), Some(1));
        assert_eq!(pick_be(&nodes, 0.7499, &[]), Some(1));
        assert_eq!(pick_be(&nodes, 0.75, &[]), Some(2));
        // Without b1, Σw = 2: 0.25 × 2 = 0.5 → b0, 0.75 × 2 = 1.5 → b2.
        assert_eq!(pick_be(&nodes, 0.25, &[1]), Some(0));
        assert_eq!(pick_be(&nodes, 0.75, &[1]), Some(2));
        assert_eq!(pick_be(&nodes, 0.5, &[0, 1, 2]), None);
        assert_eq!(unit(u32::MAX as u64), 1.0 - 1.0 / 4_294_967_296.0);
    }

    #[test]
    fn replicas_scale_with_weight_and_truncate() {
        assert_eq!(point_count(1.0, 3, REPLICAS), 67);
        assert_eq!(point_count(1.5, 3, REPLICAS), 100);
        assert_eq!(point_count(2.0, 3, REPLICAS), 134);
        assert_eq!(point_count(1.5, 3, 3), 4);
        let mut v = Vec::new();
        push_decimal(&mut v, 0);
        push_decimal(&mut v, 66);
        assert_eq!(v, b"066");
    }
}
