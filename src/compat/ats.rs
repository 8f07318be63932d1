//! `compat: "ats"` with `strategy: "ring"`: Apache Traffic Server 9.2's parent selection with
//! `round_robin=consistent_hash` (parent.config), written from `proxy/ParentConsistentHash.cc` (`getPathHash`,
//! `selectParent`), `proxy/ParentSelection.cc` (`ParentRecord::ProcessParents`), `src/tscore/ConsistentHash.cc`
//! (`ATSConsistentHash::insert`, `lookup_by_hashval`) and `src/tscore/HashSip.cc` of ATS 9.2.9, and checked
//! against Debian's `traffic_server` (`test-js/compat/ats.test.mjs`).
//!
//! - Identity: a parent is `host:port[|weight][&hash_string]`; the node id is `host:port`. What is hashed is
//!   the `hash_string` when given (node field `hashString`), otherwise the **hostname alone**, without the port
//!   (`pRecord::name` is the hostname): two parents on one host share all their points, and the later one gets
//!   none (the ring keeps the first of equal points, see [`super::ring64`]).
//! - Points: `roundf(1024 × weight)` per parent (`ATSConsistentHash`'s default `replicas`, 1024, times the
//!   `float` weight); point i is SipHash-2-4 under the zero key of `"<i>-<name>"`.
//! - Key: SipHash-2-4 under the zero key of what `getPathHash` feeds it: `/`, the path up to (not including)
//!   the first `;`, then `?` and the query when the URL has a `?` (even an empty query); the host, the
//!   `;params` and any `#fragment` are not hashed (`qstring=ignore` drops the query too). The Router's key is
//!   that string.
//! - Lookup: the first point at or after the key, wrapping. The next parent (`nextParent`, after a failed
//!   connection or while the first is marked down) continues clockwise past the first's points.

use crate::base::error::{Code, Error, Result};
use crate::base::numfmt::fmt_num;
use crate::hash::siphash24;
use crate::hash::wide::ATS_SIP_KEY;
use crate::node::NodeState;

/// `ATSConsistentHash`'s default `replicas` (`include/tscore/ConsistentHash.h`), multiplied by a parent's weight.
pub const REPLICAS: f32 = 1024.0;

/// The bytes `ProcessParents` splits the `parent=` list on (`Tokenizer pTok(",; \t\r")`): none may appear in an
/// id or a hash string.
const SEPARATORS: &[u8] = b",; \t\r";

/// `host:port` split at the first colon, as `ProcessParents` reads a parent (so an IPv6 address cannot be one).
fn host_port(id: &str) -> Option<(&str, &str)> {
    let colon = id.bytes().position(|b| b == b':')?;
    Some((&id[..colon], &id[colon + 1..]))
}

fn has_any(s: &str, bytes: &[u8]) -> bool {
    s.bytes().any(|b| bytes.contains(&b))
}

/// A parent's point count: `static_cast<int>(roundf(replicas * weight))`, with the weight as a `float`.
pub fn point_count(weight: f64) -> u64 {
    (REPLICAS * weight as f32).round() as u64
}

/// The string ATS hashes for a parent's points: the hash string, or the hostname of `host:port`.
fn point_name(n: &NodeState) -> &str {
    match &n.hash_string {
        Some(s) => s,
        None => host_port(&n.id).map_or(&*n.id, |(host, _)| host),
    }
}

/// Checks what `ProcessParents` would refuse or could not express: an id that is not `host:port`, a separator
/// inside an id or hash string, a weight that earns no point.
fn check_node(n: &NodeState) -> Result<()> {
    let bad_id = |why: &str| {
        Error::new(
            Code::InvalidId,
            format!("node id {:?} is not a parent ATS can read ({why}); give host:port, as in parent.config's parent=\"host:port|weight\"", n.id),
        )
    };
    let (host, port) = host_port(&n.id).ok_or_else(|| bad_id("no port"))?;
    if host.is_empty() {
        return Err(bad_id("no hostname"));
    }
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_id("the port must be a number"));
    }
    if has_any(&n.id, SEPARATORS) || has_any(&n.id, b"|&") {
        return Err(bad_id("it holds a separator of the parent list"));
    }
    if let Some(s) = &n.hash_string {
        if has_any(s, SEPARATORS) {
            return Err(Error::new(
                Code::InvalidId,
                format!(
                    "the hashString of node {:?} holds one of , ; space tab CR, which end a parent in parent.config",
                    n.id
                ),
            ));
        }
    }
    if point_count(n.weight) == 0 {
        return Err(Error::new(
            Code::InvalidWeight,
            format!(
                "the weight of node {:?} is {}, which gives it roundf(1024 × weight) = 0 points: ATS would never choose it. Use a weight of at least 0.00049 (1/2048)",
                n.id,
                fmt_num(n.weight)
            ),
        ));
    }
    Ok(())
}

pub(super) fn ring_points(nodes: &[NodeState], out: &mut Vec<(u64, u32)>) -> Result<()> {
    for n in nodes {
        check_node(n)?;
    }
    let total: u64 = nodes.iter().map(|n| point_count(n.weight)).sum();
    super::continuum::check_points(total, "ats")?;
    crate::base::alloc::reserve(out, total as usize, "ring points")?;
    let mut buf = Vec::new();
    for (idx, n) in nodes.iter().enumerate() {
        let name = point_name(n).as_bytes();
        for i in 0..point_count(n.weight) {
            buf.clear();
            super::varnish::push_decimal(&mut buf, i);
            buf.push(b'-');
            buf.extend_from_slice(name);
            out.push((siphash24(&ATS_SIP_KEY, &buf), idx as u32));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_follow_roundf_of_the_float_weight() {
        assert_eq!(point_count(1.0), 1024);
        assert_eq!(point_count(0.5), 512);
        assert_eq!(point_count(2.5), 2560);
        // 1024 × 0.0004 = 0.41 rounds to 0; 1024 × 0.0005 = 0.512 rounds to 1.
        assert_eq!(point_count(0.0004), 0);
        assert_eq!(point_count(0.0005), 1);
    }

    #[test]
    fn the_port_is_not_hashed() {
        let mut a = NodeState::new("10.0.0.1:8080", 1.0);
        assert_eq!(point_name(&a), "10.0.0.1");
        a.hash_string = Some("cache-a".into());
        assert_eq!(point_name(&a), "cache-a");
        for bad in ["nohost", ":80", "h:", "h:80x", "h:80;x", "h:80|2"] {
            assert!(check_node(&NodeState::new(bad, 1.0)).is_err(), "{bad}");
        }
    }
}
