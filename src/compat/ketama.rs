//! The ketama continuum of twemproxy (`distribution: ketama`, nutcracker 0.5 `nc_ketama.c`) and of libketama
//! (`ketama.c`, the original C library, which npm `hashring` follows).
//!
//! Both hash `"<identity>-<k>"` with MD5 for k = 0, 1, … and take the digest's four little-endian words as
//! four points; a key goes to the first point ≥ its hash, wrapping. They differ in the point count and the
//! identity:
//!
//! - libketama: identity = the server address as written (`host:port`, the node id). Per server,
//!   `ks = floorf(pct × 40.0 × (float)n)` 4-point groups, with `pct = (float)w / (float)Σw` in single
//!   precision and the product in double, rounded to float by `floorf`'s parameter.
//! - twemproxy: identity per [`twemproxy::identity`]. Per server,
//!   `floorf((float)(pct × 160 / 4 × (float)n + 1e-10)) × 4` points, single precision until the double
//!   addition, then rounded back to float.
//!
//! Single precision matters: with 7 equal servers libketama computes 40.0f (160 points) where double
//! arithmetic, as in npm `hashring`, gives 39.999… and 156 points.

use super::continuum::check_points;
use super::twemproxy;
use crate::base::error::Result;
use crate::base::limits::validate_whole_weight;
use crate::hash::systems::{md5, md5_word};
use crate::node::NodeState;
use core::cmp::Ordering;
use std::borrow::Cow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Twemproxy,
    Libketama,
}

impl Flavor {
    pub(super) fn name(self) -> &'static str {
        match self {
            Flavor::Twemproxy => "twemproxy",
            Flavor::Libketama => "libketama",
        }
    }

    /// What the flavor does with a weight, for the message that refuses a fractional one.
    fn whole_weights(self) -> &'static str {
        match self {
            Flavor::Twemproxy => "compat \"twemproxy\" copies nutcracker, whose weight is the integer after host:port: (distribution ketama gives each server floorf(weight / Σweight × 40 × n) × 4 ring points)",
            Flavor::Libketama => "compat \"libketama\" copies libketama, whose weight is the integer memory column of its server file (each server gets floorf(weight / Σweight × 40 × n) × 4 ring points)",
        }
    }

    /// Points of one server of weight `w` among `n` servers of total weight `total`.
    pub fn points(self, w: u64, total: u64, n: usize) -> u64 {
        match self {
            Flavor::Libketama => {
                let pct = w as f32 / total as f32;
                let ks = ((pct as f64) * 40.0 * (n as f32 as f64)) as f32;
                ks.floor() as u64 * 4
            }
            Flavor::Twemproxy => {
                let pct = w as u32 as f32 / total as u32 as f32;
                let t = pct * 160.0 / 4.0 * n as u32 as f32;
                let t = (t as f64 + 0.000_000_000_1) as f32;
                t.floor() as u64 * 4
            }
        }
    }
}

pub(super) fn ring_points(nodes: &[NodeState], flavor: Flavor, out: &mut Vec<(u32, u32)>) -> Result<()> {
    let counts = counts(nodes, flavor)?;
    crate::base::alloc::reserve(out, counts.iter().sum::<u64>() as usize, "ring points")?;
    // twemproxy generates points in its sorted server order (which decides only equal hashes' order).
    let order = match flavor {
        Flavor::Twemproxy => twemproxy::order(nodes)?,
        Flavor::Libketama => (0..nodes.len()).collect(),
    };
    for idx in order {
        node_points(nodes, idx, flavor, 0..counts[idx] / 4, out)?;
    }
    Ok(())
}

/// Each server's point count (whole weights checked), and their sum checked against the ring's limit.
pub(super) fn counts(nodes: &[NodeState], flavor: Flavor) -> Result<Vec<u64>> {
    let mut total = 0u64;
    for n in nodes {
        if n.weight.fract() != 0.0 {
            // Only then: the message names the node, and formatting it for every node cost a change 2-5 ms at
            // 10,000 servers.
            validate_whole_weight(
                n.weight,
                &format!("the weight of node {:?}", n.id),
                flavor.whole_weights(),
            )?;
        }
        total += n.weight as u64;
    }
    let counts: Vec<u64> = nodes
        .iter()
        .map(|n| flavor.points(n.weight as u64, total, nodes.len()))
        .collect();
    check_points(counts.iter().sum(), flavor.name())?;
    Ok(counts)
}

/// The points of server `idx`'s groups of four `groups` (group k hashes `"<identity>-<k>"`), in generation
/// order, appended to `out`.
pub(super) fn node_points(
    nodes: &[NodeState],
    idx: usize,
    flavor: Flavor,
    groups: core::ops::Range<u64>,
    out: &mut Vec<(u32, u32)>,
) -> Result<()> {
    let n = &nodes[idx];
    let ident = match flavor {
        Flavor::Twemproxy => twemproxy::identity(n)?,
        Flavor::Libketama => Cow::Borrowed(&*n.id),
    };
    let mut text = String::new();
    for k in groups {
        use core::fmt::Write;
        text.clear();
        let _ = write!(text, "{ident}-{k}");
        let d = md5(text.as_bytes());
        for x in 0..4 {
            out.push((md5_word(&d, x), idx as u32));
        }
    }
    Ok(())
}

/// The order of two servers' points on one hash: generation order, which is the table order for libketama and
/// nutcracker's server order (by identity) for twemproxy. Both are orders of the servers alone, so adding or
/// removing another server keeps them.
pub(super) fn tie(nodes: &[NodeState], flavor: Flavor, a: u32, b: u32) -> Ordering {
    match flavor {
        Flavor::Libketama => a.cmp(&b),
        Flavor::Twemproxy => twemproxy::order_cmp(&nodes[a as usize], &nodes[b as usize]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_precision_point_counts() {
        // Seven equal servers: 40.0f in C's float path, 39.999… in doubles.
        assert_eq!(Flavor::Libketama.points(1, 7, 7), 160);
        assert!(((1.0f64 / 7.0) * 40.0 * 7.0).floor() < 40.0);
        assert_eq!(Flavor::Twemproxy.points(1, 7, 7), 160);
        // Unequal weights: 3 of 6 among 3 servers → 0.5 × 40 × 3 = 60 groups.
        assert_eq!(Flavor::Libketama.points(3, 6, 3), 240);
        assert_eq!(Flavor::Twemproxy.points(3, 6, 3), 240);
    }
}
