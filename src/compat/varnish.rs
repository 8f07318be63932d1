//! `compat: "varnish"` with `strategy: "ring"`: Varnish 7.1's shard director (`directors.shard()`), written from
//! `vmod/vmod_directors_shard_cfg.c` (`shardcfg_hashcircle`, `shardcfg_reconfigure`), `vmod_directors_shard_dir.c`
//! (`shard_lookup`, `shard_next`), `vmod_directors_shard.c` (`shard_get_key`) and `bin/varnishd/cache/cache_vrt.c`
//! (`VRT_HashStrands32`) of Varnish 7.1.1, and checked against the Debian daemon (`test-js/compat/`).
//!
//! - Identity: the backend's ident (`add_backend(b, ident=…)`, default the VCL backend name): the node id.
//! - Ring: `replicas` (67, `reconfigure()`'s default) × weight points per backend, truncated to an integer and
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

use super::continuum::check_points;
use crate::base::error::{Code, Error, Result};
use crate::base::numfmt::fmt_num;
use crate::hash::systems::Hash32;
use crate::node::NodeState;

/// `reconfigure()`'s default `replicas`.
pub(super) const REPLICAS: f64 = 67.0;

/// A backend's point count: `replicas × weight` as `uint32_t` (truncated), capped at `(UINT32_MAX − 1) / n`.
pub(super) fn point_count(weight: f64, backends: usize) -> u64 {
    let r = (REPLICAS * weight).min(u32::MAX as f64) as u64;
    r.min((u32::MAX as u64 - 1) / backends.max(1) as u64)
}

pub(super) fn ring_points(nodes: &[NodeState], out: &mut Vec<(u32, u32)>) -> Result<()> {
    if let Some(n) = nodes.iter().find(|n| n.weight < 1.0) {
        return Err(Error::new(
            Code::InvalidWeight,
            format!(
                "the weight of node {:?} is {}, but Varnish's shard director takes weights of 1 or more",
                n.id,
                fmt_num(n.weight)
            ),
        ));
    }
    let total: u64 = nodes.iter().map(|n| point_count(n.weight, nodes.len())).sum();
    check_points(total, "varnish")?;
    crate::base::alloc::reserve(out, total as usize, "ring points")?;
    let mut buf = Vec::new();
    for (idx, n) in nodes.iter().enumerate() {
        for j in 0..point_count(n.weight, nodes.len()) {
            buf.clear();
            buf.extend_from_slice(n.id.as_bytes());
            push_decimal(&mut buf, j);
            out.push((Hash32::Sha256Tail.hash(&buf), idx as u32));
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replicas_scale_with_weight_and_truncate() {
        assert_eq!(point_count(1.0, 3), 67);
        assert_eq!(point_count(1.5, 3), 100);
        assert_eq!(point_count(2.0, 3), 134);
        let mut v = Vec::new();
        push_decimal(&mut v, 0);
        push_decimal(&mut v, 66);
        assert_eq!(v, b"066");
    }
}
