//! Weighted rendezvous (highest random weight) hashing, Thaler & Ravishankar 1998, with the logarithmic
//! weighting of Schindelhauer & Schomaker, "Weighted distributed hash tables" (SPAA 2005).
//!
//! For key k and node i with weight wᵢ: uᵢ = [`unit_open`]`(`[`crate::hash::mix64`]`(hash(k), hash(idᵢ)))` in (0, 1) and
//! scoreᵢ = −wᵢ / ln uᵢ. The highest score wins; equal scores go to the smaller id (bytes). Since −ln uᵢ is
//! exponential with rate 1, scoreᵢ⁻¹ is exponential with rate wᵢ, and the node with the smallest is node i with
//! probability exactly wᵢ / Σw. Every node's score depends only on the key and that node, so adding, removing
//! or reweighting one node moves only keys to or from it, the minimum possible. `ln` is [`detmath::ln`], so the
//! scores are bit-identical on every platform.
//!
//! Node hashes are XXH3-64 of the id with the Router's seed. Costs: O(N) per `pick`; `pickN` O(N log n);
//! membership changes O(1) (plus the node-table shift on remove).
//!
//! With `compat: "redis"` the hashes and the variate are the 32-bit ones of [`murmur3`], so the Lua script
//! in Redis (`lua/pick.lua`) computes the same scores with the same steps (`ln` uses only `+ − × /`); the order
//! and tie rule are the same.
//!
//! # Examples
//!
//! ```
//! use edgeroute::{Config, NodeSpec, Router, StrategyKind};
//! let nodes = |ids: &[&str]| ids.iter().map(|id| NodeSpec::new(id, 1.0)).collect::<Vec<_>>();
//! # fn pick(r: &mut Router, key: Option<&[u8]>, now: f64) -> String {
//! #     let i = r.pick(key, now).unwrap().unwrap();
//! #     r.id(i).to_owned()
//! # }
//! // Weights are shares: "a" gets about three quarters of the keys.
//! let mut r = Router::new(
//!     Config::new(StrategyKind::Rendezvous, vec![NodeSpec::new("a", 3.0), NodeSpec::new("b", 1.0)]),
//!     || 0,
//! )
//! .unwrap();
//! let on_a = (0..4000).filter(|i| pick(&mut r, Some(format!("{i}").as_bytes()), 0.0) == "a").count();
//! assert!((2800..3200).contains(&on_a), "{on_a}");
//! # let _ = nodes;
//! ```

use super::{Ctx, Preference, Strategy};
use crate::base::detmath;
use crate::base::error::Result;
use crate::hash::{fmix64, murmur3, unit_open, xxh3_key};
use crate::node::NodeState;
use core::cmp::Ordering;

/// Which hashes make the variates.
#[derive(Debug, Clone, Copy)]
enum Flavor {
    /// 64-bit: XXH3 node hashes, [`fmix64`], [`unit_open`].
    Xxh3(u64),
    /// 32-bit, as the Redis Lua script computes them ([`murmur3`]).
    RedisLua(u32),
}

#[derive(Debug)]
pub struct Rendezvous {
    flavor: Flavor,
    /// Per node: `fmix64(xxh3(id, seed))`, so `mix64(key, xxh3(id))` is one `fmix64(key ^ node_hash)`; or the
    /// 32-bit [`murmur3::node_hash`].
    node_hash: Vec<u64>,
    /// All weights equal: then the score is strictly increasing in u, so `pick` compares the 52 bits u is made
    /// of (ties by id, as for scores) and computes no logarithm. Same winner, bit for bit. (64-bit flavor only:
    /// the Lua script always computes scores, and near-equal scores must tie there exactly as here.)
    uniform: bool,
    scratch: Vec<(f64, usize)>,
}

impl Rendezvous {
    pub fn new(seed: u64) -> Rendezvous {
        Rendezvous::with_flavor(Flavor::Xxh3(seed))
    }

    /// The mapping of the Redis Lua script (`compat: "redis"`).
    pub fn redis_lua(seed: u32) -> Rendezvous {
        Rendezvous::with_flavor(Flavor::RedisLua(seed))
    }

    fn with_flavor(flavor: Flavor) -> Rendezvous {
        Rendezvous {
            flavor,
            node_hash: Vec::new(),
            uniform: true,
            scratch: Vec::new(),
        }
    }

    fn refresh_uniform(&mut self, nodes: &[NodeState]) {
        self.uniform = matches!(self.flavor, Flavor::Xxh3(_)) && nodes.windows(2).all(|w| w[0].weight == w[1].weight);
    }

    /// The score of node `i` for a key.
    #[inline]
    pub fn score(&self, nodes: &[NodeState], i: usize, key_hash: u64) -> f64 {
        match self.flavor {
            Flavor::Xxh3(_) => -nodes[i].weight / detmath::ln(unit_open(fmix64(key_hash ^ self.node_hash[i]))),
            Flavor::RedisLua(_) => score32(key_hash as u32, self.node_hash[i] as u32, nodes[i].weight),
        }
    }

    /// Better first: higher score, then smaller id.
    fn order(nodes: &[NodeState], a: (f64, usize), b: (f64, usize)) -> Ordering {
        b.0.total_cmp(&a.0)
            .then_with(|| nodes[a.1].id.as_bytes().cmp(nodes[b.1].id.as_bytes()))
    }

    fn scored(&mut self, nodes: &[NodeState], key_hash: u64) -> Vec<(f64, usize)> {
        let mut v = core::mem::take(&mut self.scratch);
        v.clear();
        v.extend((0..nodes.len()).map(|i| (self.score(nodes, i, key_hash), i)));
        v
    }
}

impl Strategy for Rendezvous {
    fn add(&mut self, nodes: &[NodeState], idx: usize) -> Result<()> {
        let id = nodes[idx].id.as_bytes();
        self.node_hash.push(match self.flavor {
            Flavor::Xxh3(seed) => fmix64(xxh3_key(id, seed)),
            Flavor::RedisLua(seed) => murmur3::node_hash(id, seed) as u64,
        });
        self.refresh_uniform(nodes);
        Ok(())
    }

    fn remove(&mut self, nodes: &[NodeState], idx: usize) {
        self.node_hash.remove(idx);
        self.refresh_uniform(nodes);
    }

    fn reweight(&mut self, nodes: &[NodeState], _: usize, _: f64) -> Result<()> {
        self.refresh_uniform(nodes);
        Ok(())
    }

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        if !cx.all_usable {
            return super::first_usable(self, nodes, cx);
        }
        self.direct(nodes, cx.key_hash)
    }

    fn direct(&self, nodes: &[NodeState], key_hash: u64) -> Option<usize> {
        if self.uniform {
            let mut best: Option<(u64, usize)> = None;
            for (i, &nh) in self.node_hash.iter().enumerate() {
                let u = fmix64(key_hash ^ nh) >> 12;
                let better = match best {
                    None => true,
                    Some((bu, bi)) => u > bu || (u == bu && nodes[i].id.as_bytes() < nodes[bi].id.as_bytes()),
                };
                if better {
                    best = Some((u, i));
                }
            }
            return best.map(|b| b.1);
        }
        let mut best: Option<(f64, usize)> = None;
        for i in 0..nodes.len() {
            let cand = (self.score(nodes, i, key_hash), i);
            if best.is_none_or(|b| Self::order(nodes, cand, b) == Ordering::Less) {
                best = Some(cand);
            }
        }
        best.map(|b| b.1)
    }

    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        let mut v = self.scored(nodes, cx.key_hash);
        v.retain(|p| cx.usable(nodes, p.1));
        crate::base::sort::sort_by(&mut v, &|a, b| Self::order(nodes, *a, *b));
        v.truncate(n);
        out.extend(v.iter().map(|p| p.1));
        self.scratch = v;
    }
}

impl Preference for Rendezvous {
    fn walk(&mut self, nodes: &[NodeState], key_hash: u64, visit: &mut dyn FnMut(usize) -> bool) {
        let mut v = self.scored(nodes, key_hash);
        crate::base::sort::sort_by(&mut v, &|a, b| Self::order(nodes, *a, *b));
        for &(_, i) in &v {
            if visit(i) {
                break;
            }
        }
        self.scratch = v;
    }
}
/// The score of compat "redis": `−weight / ln u` with the 32-bit variate of [`murmur3::unit`], as `lua/pick.lua`
/// computes it step for step.
#[inline]
pub fn score32(key_hash: u32, node_hash: u32, weight: f64) -> f64 {
    -weight / detmath::ln(murmur3::unit(key_hash, node_hash))
}
