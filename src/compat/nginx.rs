//! `compat: "nginx"`: nginx's `hash $key consistent;` (`strategy: "ring"`) and `hash $key;` (`strategy:
//! "hash"`), from `ngx_http_upstream_hash_module.c` (nginx 1.22, checked against the Debian daemon).
//!
//! - Identity: the `server` address exactly as written (the node id). It is split into host and port: a
//!   `unix:` prefix (any case) leaves the path as host and no port; otherwise a `:` followed only by digits at
//!   the end separates the port; otherwise the whole text is the host (a name or address with no port).
//! - Ring: node with weight w gets 160·w points; point j is `CRC32(host ‖ 0x00 ‖ port ‖ prev)` where prev is
//!   point j−1 as 4 little-endian bytes (0 for the first), so each server's points form a chain. Sorted, and of
//!   equal hashes only the first is kept. A key goes to the first point ≥ CRC32(key), wrapping.
//! - Hash: `CRC32(key) >> 16 & 0x7fff` picks a slot among Σw whole-weight slots in server order. Each next try
//!   adds `CRC32(decimal(n) ‖ key) >> 16 & 0x7fff` for n = 1, 2, … to the running value; a server already tried
//!   or down costs one of 20 tries, after which nginx falls back to round robin.
//! - nginx sends a request whose key is empty to round robin; edgeroute routes it by its hash (CRC32 of no
//!   bytes is 0) so that it stays deterministic.

use super::continuum::check_points;
use crate::base::error::Result;
use crate::base::limits::validate_whole_weight;
use crate::hash::systems::{crc32, crc32_update};
use crate::node::NodeState;
use crate::strategy::modulo::Modulo;
use crate::strategy::{Ctx, Seen, Strategy};

/// Points per unit of weight (`ngx_http_upstream_init_chash`).
pub(super) const POINTS_PER_WEIGHT: u64 = 160;

/// nginx's retry budget in `ngx_http_upstream_get_hash_peer` (`hp->tries > 20`).
const MAX_TRIES: u32 = 20;

/// Splits a `server` address into the (host, port) nginx hashes.
pub fn split(server: &str) -> (&[u8], &[u8]) {
    let b = server.as_bytes();
    if b.len() >= 5 && b[..5].eq_ignore_ascii_case(b"unix:") {
        return (&b[5..], &[]);
    }
    for j in 0..b.len() {
        let c = b[b.len() - j - 1];
        if c == b':' {
            return (&b[..b.len() - j - 1], &b[b.len() - j..]);
        }
        if !c.is_ascii_digit() {
            break;
        }
    }
    (b, &[])
}

/// What nginx does with a weight, for the message that refuses a fractional one.
const RING_WEIGHTS: &str = "compat \"nginx\" copies nginx, whose weight= is an integer (hash consistent gives each server 160 ring points per unit of weight)";
const HASH_WEIGHTS: &str = "compat \"nginx\" copies nginx, whose weight= is an integer (hash without consistent gives each server `weight` slots)";

fn whole_weight(n: &NodeState, why: &str) -> Result<u64> {
    validate_whole_weight(n.weight, &format!("the weight of node {:?}", n.id), why)?;
    Ok(n.weight as u64)
}

pub(super) fn ring_points(nodes: &[NodeState], out: &mut Vec<(u32, u32)>) -> Result<()> {
    let mut total = 0u64;
    for n in nodes {
        total += whole_weight(n, RING_WEIGHTS)? * POINTS_PER_WEIGHT;
    }
    check_points(total, "nginx")?;
    crate::base::alloc::reserve(out, total as usize, "ring points")?;
    for (idx, n) in nodes.iter().enumerate() {
        node_points(n, idx, out);
    }
    Ok(())
}

/// The points of one server (`weight` × 160, each the CRC32 of the server's host, a 0 byte, its port and the
/// previous point: `ngx_http_upstream_update_chash`), owned by `idx`. Its weight was checked whole.
pub(super) fn node_points(n: &NodeState, idx: usize, out: &mut Vec<(u32, u32)>) {
    let (host, port) = split(&n.id);
    let base = crc32_update(crc32_update(crc32_update(!0, host), &[0]), port);
    let mut prev = 0u32;
    for _ in 0..n.weight as u64 * POINTS_PER_WEIGHT {
        let h = !crc32_update(base, &prev.to_le_bytes());
        out.push((h, idx as u32));
        prev = h;
    }
}

/// Checks one server's weight as [`ring_points`] does (an `add` or `setWeight` on the kept ring).
pub(super) fn check_node(n: &NodeState) -> Result<()> {
    whole_weight(n, RING_WEIGHTS).map(|_| ())
}

/// `hash $key;` without `consistent`.
#[derive(Debug, Default)]
pub struct NginxHash {
    slots: Modulo,
    seen: Seen,
}

/// The 15 bits one step of nginx's hash adds: `CRC32([decimal(rehash)] ‖ key) >> 16 & 0x7fff`.
fn step(key: &[u8], rehash: u32) -> u64 {
    let crc = if rehash == 0 {
        crc32(key)
    } else {
        let mut digits = [0u8; 10];
        let mut at = digits.len();
        let mut v = rehash;
        while v > 0 || at == digits.len() {
            at -= 1;
            digits[at] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        !crc32_update(crc32_update(!0, &digits[at..]), key)
    };
    ((crc >> 16) & 0x7fff) as u64
}

impl NginxHash {
    fn rebuild(&mut self, nodes: &[NodeState]) -> Result<()> {
        for n in nodes {
            whole_weight(n, HASH_WEIGHTS)?;
        }
        self.slots.rebuild(nodes)?;
        self.seen.resize(nodes.len());
        Ok(())
    }

    /// nginx's tries for `key`: up to `want` distinct usable nodes. After 20 skipped tries nginx switches to
    /// round robin, which depends on the worker's state; here the remaining usable nodes follow in node order.
    fn choose(&mut self, nodes: &[NodeState], key: &[u8], first: u64, want: usize, out: &mut Vec<usize>) {
        let want = want.min(nodes.len());
        let mut acc = first;
        let mut rehash = 1u32;
        let mut tries = 0u32;
        while out.len() < want {
            let Some(p) = self.slots.owner(acc) else { break };
            if nodes[p].usable && self.seen.first(p) {
                out.push(p);
            } else {
                tries += 1;
                if tries > MAX_TRIES {
                    break;
                }
            }
            if out.len() < want {
                acc += step(key, rehash);
                rehash += 1;
            }
        }
        for (i, n) in nodes.iter().enumerate() {
            if out.len() >= want {
                break;
            }
            if n.usable && self.seen.first(i) {
                out.push(i);
            }
        }
        self.seen.clear();
    }
}

impl Strategy for NginxHash {
    crate::strategy::rebuild_on_every_change!();

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        // The Router's key hash is CRC32(key); the first try needs only its 15 bits.
        if cx.all_usable {
            return self.direct(nodes, cx.key_hash);
        }
        let first = (cx.key_hash >> 16) & 0x7fff;
        let mut out = Vec::with_capacity(1);
        self.choose(nodes, cx.key, first, 1, &mut out);
        out.first().copied()
    }

    fn direct(&self, _: &[NodeState], key_hash: u64) -> Option<usize> {
        self.slots.owner((key_hash >> 16) & 0x7fff)
    }

    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        self.choose(nodes, cx.key, (cx.key_hash >> 16) & 0x7fff, n, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_follows_nginx() {
        let s = |x: &'static str| {
            let (h, p) = split(x);
            (core::str::from_utf8(h).unwrap(), core::str::from_utf8(p).unwrap())
        };
        assert_eq!(s("127.0.0.1:8080"), ("127.0.0.1", "8080"));
        assert_eq!(s("backend"), ("backend", ""));
        assert_eq!(s("UNIX:/tmp/a.sock"), ("/tmp/a.sock", ""));
        assert_eq!(s("[::1]:81"), ("[::1]", "81"));
        assert_eq!(s("host:"), ("host", ""));
        assert_eq!(s("a:b"), ("a:b", ""));
    }

    #[test]
    fn rehash_steps_prefix_the_decimal_count() {
        assert_eq!(step(b"key", 0), ((crc32(b"key") >> 16) & 0x7fff) as u64);
        assert_eq!(step(b"key", 12), ((crc32(b"12key") >> 16) & 0x7fff) as u64);
    }
}
