//! `compat: "twemproxy"`: what nutcracker 0.5 (`nc_conf.c`, `nc_server.c`, `nc_modula.c`) decides besides the
//! ketama continuum ([`super::ketama`]): which string identifies a server, the order of the servers, and the
//! `modula` distribution (`strategy: "hash"`).
//!
//! - Identity: the server's name when it has one (`- 127.0.0.1:11211:1 name`), else the address with its
//!   port, except that the port is left out when it is 11211 (libmemcached's rule). A unix socket without a
//!   name is identified as its path followed by `:` (the parser takes "address length + 1 + port length" bytes
//!   with an empty port).
//! - Order: nutcracker sorts a pool's servers by identity (shorter first, then bytewise) to reject duplicates,
//!   and keeps that order, so `modula`'s slots follow it, not the order of the config file.
//! - modula: each server owns `weight` consecutive slots in that order; a key takes slot `hash mod Σw`. This is
//!   [`crate::strategy::modulo::Modulo`] over [`order`] ([`modula`]).
//! - An empty key hashes to 0 (`server_pool_hash`).

use crate::base::error::{Code, Error, Result};
use crate::node::NodeState;
use crate::strategy::modulo::Modulo;
use core::cmp::Ordering;
use std::borrow::Cow;

/// libmemcached's default port, which twemproxy leaves out of the identity (`CONF_DEFAULT_KETAMA_PORT`).
const MEMCACHED_PORT: u64 = 11211;

/// The string twemproxy hashes for a server: its name, or its address per the rules above.
pub fn identity(n: &NodeState) -> Result<Cow<'_, str>> {
    if let Some(name) = &n.name {
        return Ok(Cow::Borrowed(name));
    }
    let id: &str = &n.id;
    if id.starts_with('/') {
        return Ok(Cow::Owned(format!("{id}:")));
    }
    let bad = || {
        Error::new(
            Code::InvalidId,
            format!(
                "node {id:?}: twemproxy servers are \"host:port\" (port 1 to 65535, the weight goes in weight) or a unix socket \"/path\"; give the id in that form, or the twemproxy server name in name"
            ),
        )
    };
    let (host, port) = id.rsplit_once(':').ok_or_else(bad)?;
    let port_ok = !port.is_empty() && port.bytes().all(|c| c.is_ascii_digit());
    let p: u64 = if port_ok { port.parse().unwrap_or(u64::MAX) } else { 0 };
    if !(1..=65535).contains(&p) || host.is_empty() {
        return Err(bad());
    }
    Ok(if p == MEMCACHED_PORT {
        Cow::Borrowed(host)
    } else {
        Cow::Borrowed(id)
    })
}

/// What `distribution: modula` does with a weight, for the message that refuses a fractional one.
const MODULA_WEIGHTS: &str =
    "compat \"twemproxy\" copies nutcracker, whose weight is the integer after host:port: (distribution modula gives each server `weight` slots)";

/// `distribution: modula`: modulo hashing over nutcracker's server order.
pub fn modula() -> Modulo {
    Modulo::ordered(order, MODULA_WEIGHTS)
}

/// Node indices in nutcracker's server order: by identity, shorter first, then bytewise
/// (`conf_server_name_cmp`). Two servers with one identity are an error, as in nutcracker.
pub fn order(nodes: &[NodeState]) -> Result<Vec<usize>> {
    let mut keyed: Vec<(Cow<'_, str>, usize)> = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        keyed.push((identity(n)?, i));
    }
    let mut idx: Vec<usize> = (0..keyed.len()).collect();
    crate::base::sort::sort_by(&mut idx, &|&a, &b| name_cmp(&keyed[a].0, &keyed[b].0));
    if let Some(w) = idx.windows(2).find(|w| keyed[w[0]].0 == keyed[w[1]].0) {
        return Err(same_identity(nodes, keyed[w[0]].1, keyed[w[1]].1, &keyed[w[0]].0));
    }
    Ok(idx.into_iter().map(|k| keyed[k].1).collect())
}

/// `conf_server_name_cmp`: shorter first, then bytewise.
fn name_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

fn same_identity(nodes: &[NodeState], a: usize, b: usize, ident: &str) -> Error {
    Error::new(
        Code::DuplicateId,
        format!(
            "nodes {:?} and {:?} are both identified as {ident:?} by twemproxy, which refuses servers with the same name; give them distinct names",
            nodes[a].id, nodes[b].id
        ),
    )
}

/// Two servers in nutcracker's order (servers whose identity is checked already; by id should one not be).
pub fn order_cmp(a: &NodeState, b: &NodeState) -> Ordering {
    match (identity(a), identity(b)) {
        (Ok(x), Ok(y)) => name_cmp(&x, &y),
        _ => a.id.cmp(&b.id),
    }
}

/// Checks server `idx` as [`order`] checks every server (a valid identity that no other server has), in O(N):
/// for a change to one server.
pub fn check_one(nodes: &[NodeState], idx: usize) -> Result<()> {
    let ident = identity(&nodes[idx])?;
    for (i, n) in nodes.iter().enumerate() {
        if i != idx && identity(n).is_ok_and(|x| x == ident) {
            let (a, b) = if i < idx { (i, idx) } else { (idx, i) };
            return Err(same_identity(nodes, a, b, &ident));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twemproxy_identities() {
        let id = |id: &str, name: Option<&str>| {
            let mut n = NodeState::new(id, 1.0);
            n.name = name.map(Into::into);
            identity(&n).map(|c| c.into_owned())
        };
        assert_eq!(id("127.0.0.1:11211", None).unwrap(), "127.0.0.1");
        assert_eq!(id("127.0.0.1:11212", None).unwrap(), "127.0.0.1:11212");
        assert_eq!(id("127.0.0.1:11212", Some("cache-a")).unwrap(), "cache-a");
        assert_eq!(id("/tmp/mc.sock", None).unwrap(), "/tmp/mc.sock:");
        assert_eq!(id("127.0.0.1:011211", None).unwrap(), "127.0.0.1");
        for bad in [
            "cache-a",
            "h:0",
            "h:65536",
            "h:x1",
            ":80",
            "h:",
            "h:99999999999999999999999",
        ] {
            assert_eq!(id(bad, None).unwrap_err().code, Code::InvalidId, "{bad}");
        }
    }

    #[test]
    fn servers_sort_by_identity_length_then_bytes() {
        let nodes: Vec<NodeState> = ["10.0.0.10:5000", "10.0.0.2:5000", "b:1", "a:11211"]
            .iter()
            .map(|id| NodeState::new(id, 1.0))
            .collect();
        // Identities: "10.0.0.10:5000", "10.0.0.2:5000", "b:1", "a".
        assert_eq!(order(&nodes).unwrap(), [3, 2, 1, 0]);
        let dup = [NodeState::new("a:11211", 1.0), NodeState::new("a:11211x", 1.0)];
        assert!(order(&dup).is_err());
        let same = [NodeState::new("h:11211", 1.0), NodeState::new("/x", 1.0)];
        let mut named = same.clone();
        named[1].name = Some("h".into());
        assert_eq!(order(&named).unwrap_err().code, Code::DuplicateId);
    }
}
