//! `compat: "caddy"` with `strategy: "rendezvous"`: the hashing selection policies of Caddy 2.6's
//! `reverse_proxy` (`uri_hash`, `header`, `ip_hash`), written from
//! `modules/caddyhttp/reverseproxy/selectionpolicies.go` of Caddy v2.6.2 (`hostByHashing`, `hash`) and checked
//! against the Debian daemon (`test-js/compat/`).
//!
//! - Identity: the upstream's dial address as written (`Upstream.String()`: `Dial`), the node id here.
//! - Score: 32-bit FNV-1a (Go's `hash/fnv`, unsigned bytes) of the key followed by the address; the key is
//!   hashed once ([`crate::hash::systems::Hash32::Fnv1a32Go`]) and the hash continued per upstream.
//! - Choice: the first highest score in upstream order among available upstreams; a score must beat the
//!   starting 0, so an upstream whose score is 0 is never chosen.
//! - No weights: Caddy 2.6's upstreams have none, so a weight other than 1 is refused.
//! - `cookie` does not hash a key (it compares an HMAC of each address with the cookie), so it has no mapping
//!   to reproduce; `header` falls back to `random` when the header is absent, `ip_hash` hashes the client IP
//!   without its port, `uri_hash` the request target as received (`RequestURI`).

use crate::base::error::{Code, Error, Result};
use crate::base::numfmt::fmt_num;
use crate::hash::systems::fnv1a32_go;
use crate::node::NodeState;
use crate::strategy::{fill_by_score, Ctx, Footprint, Strategy};

/// Caddy's rendezvous over the node table (no state: an upstream's score is its address hashed after the key).
#[derive(Debug, Default)]
pub struct CaddyHash;

impl CaddyHash {
    fn rebuild(&mut self, nodes: &[NodeState]) -> Result<()> {
        if let Some(n) = nodes.iter().find(|n| n.weight != 1.0) {
            return Err(Error::new(
                Code::InvalidWeight,
                format!(
                    "node {:?} has weight {}, but Caddy 2.6's reverse_proxy upstreams have no weights, so compat \"caddy\" takes none; remove it",
                    n.id,
                    fmt_num(n.weight)
                ),
            ));
        }
        Ok(())
    }
}

/// An upstream's score for a key whose FNV-1a state is `key_state`.
#[inline]
pub fn score(key_state: u32, dial: &str) -> u32 {
    fnv1a32_go(key_state, dial.as_bytes())
}

impl Strategy for CaddyHash {
    crate::strategy::rebuild_on_every_change!();

    fn footprint(&self, nodes: &[NodeState]) -> Footprint {
        Footprint {
            items: nodes.len() as u64,
            item: "Caddy upstream scores",
            bytes_each: 8,
            extra: 0,
        }
    }

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        let mut best = None;
        let mut high = 0u32;
        for (i, n) in nodes.iter().enumerate() {
            if !n.usable {
                continue;
            }
            let h = score(cx.key_hash as u32, &n.id);
            if h > high {
                high = h;
                best = Some(i);
            }
        }
        best
    }

    /// Caddy's choice, then its choice with that upstream unavailable, and so on (scores descending, the
    /// earlier upstream first on a tie); upstreams scoring 0, which Caddy never chooses, last.
    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        let key_state = cx.key_hash as u32;
        fill_by_score(nodes, cx, n, out, |i| -(score(key_state, &nodes[i].id) as f64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::systems::Hash32;

    #[test]
    fn fnv_continues_over_the_address() {
        // Go: fnv.New32a() over "/a" + "127.0.0.1:9001" in one write.
        let whole = Hash32::Fnv1a32Go.hash(b"/a127.0.0.1:9001");
        assert_eq!(score(Hash32::Fnv1a32Go.hash(b"/a"), "127.0.0.1:9001"), whole);
        // FNV-1a 32 of "a" is 0xe40c292c (the FNV test vectors), unsigned bytes: "é" differs from twemproxy's.
        assert_eq!(Hash32::Fnv1a32Go.hash(b"a"), 0xe40c_292c);
        assert_ne!(
            Hash32::Fnv1a32Go.hash("é".as_bytes()),
            Hash32::Fnv1a32.hash("é".as_bytes())
        );
    }

    #[test]
    fn weights_are_refused() {
        let mut c = CaddyHash;
        let ns = [NodeState::new("a:1", 1.0), NodeState::new("b:1", 2.0)];
        assert_eq!(c.rebuild(&ns).unwrap_err().code, Code::InvalidWeight);
        assert!(c.rebuild(&ns[..1]).is_ok());
    }
}
