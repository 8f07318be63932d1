//! `compat: "envoy"`: Envoy's ring hash (`strategy: "ring"`) and Maglev (`strategy: "maglev"`) load balancers,
//! written from `source/extensions/load_balancing_policies/{ring_hash/ring_hash_lb.cc,maglev/maglev_lb.cc}`,
//! `source/extensions/load_balancing_policies/common/thread_aware_lb_impl.cc` (`normalizeHostWeights`) and
//! `source/common/common/hash.cc` of Envoy, and checked against the expected hosts of Envoy's unit tests
//! (`ring_hash_lb_test.cc`, `maglev_lb_test.cc`; the golden vectors name each test).
//!
//! - Identity: the host's hash key (`hashKey()`): the `envoy.lb` `hash_key` metadata when set, else the
//!   address `ip:port` (or the hostname with `use_hostname_for_hashing`): the node id.
//! - Key: a hash policy's 64-bit hash, XXH64 with seed 0 of the header value (or cookie, or source IP).
//! - Weights: whole numbers from 1 (`load_balancing_weight`), normalized as `weight / sum` in doubles, the sum
//!   at most 2^32 − 1.
//! - Ring: `scale = min(ceil(min_w × minRingSize) / min_w, maxRingSize)`; host by host, a running target
//!   `Σ scale × w` and one point per whole step of a running count below it, so a host gets ⌈…⌉ or ⌊…⌋
//!   points. Point i of a host is `hashFunction` of `"<key>_<i>"`: XXH64 seed 0 (`"xxhash"`, the default) or
//!   libstdc++'s MurmurHash2 with seed 0xc70f6907 (`"murmur2"`). Lookup and retries: [`super::ring64`].
//! - Maglev: hosts sorted by hash key; offset `xxh64(key, 0) % M`, skip `xxh64(key, 1) % (M − 1) + 1`;
//!   rounds in which a host takes its next free slot when `round × w ≥ its target`, the target then growing
//!   by the largest normalized weight. A key takes slot `hash % M`; retry attempt a takes
//!   slot `(hash ^ (2^64 − a)) % M` (`chooseHost(hash, attempt)`).

use super::continuum::check_points;
use crate::base::error::{Code, Error, Result};
use crate::base::numfmt::fmt_num;
use crate::hash::wide::{murmur2_64, xxh64, STD_HASH_SEED};
use crate::node::NodeState;
use crate::strategy::{first_usable, pick_n_by_walk, Ctx, Footprint, Preference, Seen, Strategy};

/// `RingHashLoadBalancer`'s `DefaultMinRingSize` (ring_hash_lb.h).
pub const DEFAULT_MIN_RING_SIZE: u64 = 1024;
/// `DefaultMaxRingSize` (ring_hash_lb.h), also the proto's limit on both sizes (ring_hash.proto: `lte: 8388608`).
pub const MAX_RING_SIZE: u64 = 8 * 1024 * 1024;
/// The largest maglev `table_size` Envoy's config accepts (maglev.proto: `lte: 5000011`).
pub const MAX_MAGLEV_TABLE: u32 = 5_000_011;

/// The ring's options: `minRingSize`, `maxRingSize`, `hashFunction`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RingOptions {
    pub min: u64,
    pub max: u64,
    pub murmur2: bool,
}

impl Default for RingOptions {
    fn default() -> RingOptions {
        RingOptions {
            min: DEFAULT_MIN_RING_SIZE,
            max: MAX_RING_SIZE,
            murmur2: false,
        }
    }
}

/// `normalizeHostWeights`: each weight over the sum, and the smallest and largest of them.
fn normalized(nodes: &[NodeState]) -> Result<(Vec<f64>, f64, f64)> {
    let mut sum: u64 = 0;
    for n in nodes {
        if n.weight.fract() != 0.0 || n.weight < 1.0 {
            return Err(Error::new(
                Code::InvalidWeight,
                format!(
                    "the weight of node {:?} is {}, but Envoy's load_balancing_weight is a whole number of 1 or more",
                    n.id,
                    fmt_num(n.weight)
                ),
            ));
        }
        sum += n.weight as u64;
    }
    if sum > u32::MAX as u64 {
        return Err(Error::new(
            Code::InvalidWeight,
            format!(
                "the weights add up to {sum}, but Envoy refuses hosts whose weights add up to more than {}",
                u32::MAX
            ),
        ));
    }
    let w: Vec<f64> = nodes.iter().map(|n| n.weight / sum as f64).collect();
    let min = w.iter().fold(1.0f64, |a, &b| a.min(b));
    let max = w.iter().fold(0.0f64, |a, &b| a.max(b));
    Ok((w, min, max))
}

/// The ring's `scale`: points per unit of normalized weight.
fn scale(min_w: f64, o: &RingOptions) -> f64 {
    ((min_w * o.min as f64).ceil() / min_w).min(o.max as f64)
}

/// The ring's size for the footprint: `ceil(scale)` (a bound; no weights are checked here).
pub(super) fn ring_point_count(nodes: &[NodeState], o: &RingOptions) -> u64 {
    let sum: f64 = nodes.iter().map(|n| n.weight).sum();
    let min_w = nodes.iter().map(|n| n.weight / sum).fold(1.0f64, f64::min);
    if nodes.is_empty() || min_w.is_nan() || min_w <= 0.0 {
        return 0;
    }
    scale(min_w, o).ceil() as u64 + nodes.len() as u64
}

pub(super) fn ring_points(nodes: &[NodeState], o: &RingOptions, out: &mut Vec<(u64, u32)>) -> Result<()> {
    if nodes.is_empty() {
        return Ok(());
    }
    let (w, min_w, _) = normalized(nodes)?;
    let scale = scale(min_w, o);
    check_points(scale.ceil() as u64, "envoy")?;
    crate::base::alloc::reserve(out, scale.ceil() as usize + nodes.len(), "ring points")?;
    let (mut current, mut target) = (0.0f64, 0.0f64);
    let mut buf = Vec::new();
    for (idx, n) in nodes.iter().enumerate() {
        target += scale * w[idx];
        let mut i = 0u64;
        while current < target {
            buf.clear();
            buf.extend_from_slice(n.id.as_bytes());
            buf.push(b'_');
            super::varnish::push_decimal(&mut buf, i);
            let h = if o.murmur2 {
                murmur2_64(&buf, STD_HASH_SEED)
            } else {
                xxh64(&buf, 0)
            };
            out.push((h, idx as u32));
            i += 1;
            current += 1.0;
        }
    }
    Ok(())
}

/// Envoy's Maglev table over the node table.
#[derive(Debug)]
pub struct EnvoyMaglev {
    m: u64,
    table: Vec<u32>,
    seen: Seen,
}

/// Bytes per table slot (the owner index) and per node while building (offset, skip, next, weight, target,
/// sort key).
const BYTES_PER_SLOT: u64 = 4;
const BYTES_PER_NODE: u64 = 56;

impl EnvoyMaglev {
    pub fn new(table_size: u32) -> EnvoyMaglev {
        EnvoyMaglev {
            m: table_size as u64,
            table: Vec::new(),
            seen: Seen::default(),
        }
    }

    fn rebuild(&mut self, nodes: &[NodeState]) -> Result<()> {
        self.seen.resize(nodes.len());
        if nodes.is_empty() {
            self.table = Vec::new();
            return Ok(());
        }
        let (w, _, max_w) = normalized(nodes)?;
        // Filled in the order of the hosts' hash keys (`std::sort` of the (key, host, weight) tuples).
        let mut order: Vec<usize> = (0..nodes.len()).collect();
        crate::base::sort::sort_by(&mut order, &|&a, &b| nodes[a].id.as_bytes().cmp(nodes[b].id.as_bytes()));
        let m = self.m;
        struct Entry {
            node: u32,
            offset: u64,
            skip: u64,
            next: u64,
            weight: f64,
            target: f64,
        }
        let mut entries: Vec<Entry> = order
            .iter()
            .map(|&i| {
                let key = nodes[i].id.as_bytes();
                Entry {
                    node: i as u32,
                    offset: xxh64(key, 0) % m,
                    skip: xxh64(key, 1) % (m - 1) + 1,
                    next: 0,
                    weight: w[i],
                    target: 0.0,
                }
            })
            .collect();
        let mut table = Vec::new();
        crate::base::alloc::reserve(&mut table, m as usize, "maglev table slots")?;
        table.resize(m as usize, u32::MAX);
        let mut filled = 0u64;
        let mut round = 1u32;
        while filled < m {
            for e in entries.iter_mut() {
                if filled == m {
                    break;
                }
                if (round as f64) * e.weight < e.target {
                    continue;
                }
                e.target += max_w;
                let mut c = (e.offset + e.skip * e.next) % m;
                while table[c as usize] != u32::MAX {
                    e.next += 1;
                    c = (e.offset + e.skip * e.next) % m;
                }
                table[c as usize] = e.node;
                e.next += 1;
                filled += 1;
            }
            round += 1;
        }
        self.table = table;
        Ok(())
    }

    /// The slot of retry attempt `a` (0 = the first try): `chooseHost` XORs the hash with `~0 - a + 1`.
    fn slot(&self, key_hash: u64, a: u64) -> usize {
        ((key_hash ^ a.wrapping_neg()) % self.m) as usize
    }
}

impl Strategy for EnvoyMaglev {
    crate::strategy::rebuild_on_every_change!();

    fn footprint(&self, nodes: &[NodeState]) -> Footprint {
        Footprint {
            items: self.m,
            item: "maglev table slots",
            bytes_each: BYTES_PER_SLOT,
            extra: BYTES_PER_NODE * nodes.len() as u64,
        }
    }

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        if self.table.is_empty() {
            return None;
        }
        if !cx.all_usable {
            return first_usable(self, nodes, cx);
        }
        self.direct(nodes, cx.key_hash)
    }

    fn direct(&self, _: &[NodeState], key_hash: u64) -> Option<usize> {
        if self.table.is_empty() {
            return None;
        }
        Some(self.table[self.slot(key_hash, 0)] as usize)
    }

    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        pick_n_by_walk(self, nodes, cx, n, out);
    }

    fn walk_picks(&mut self) -> Option<&mut dyn Preference> {
        Some(self)
    }
}

impl Preference for EnvoyMaglev {
    /// Envoy's retry attempts 0, 1, 2, … (each host the first time one lands on it), for as many attempts as
    /// the table has slots; hosts no attempt reached follow in node order.
    fn walk(&mut self, nodes: &[NodeState], key_hash: u64, visit: &mut dyn FnMut(usize) -> bool) {
        if self.table.is_empty() {
            return;
        }
        let mut done = false;
        for a in 0..self.m {
            let o = self.table[self.slot(key_hash, a)] as usize;
            if self.seen.first(o) && visit(o) {
                done = true;
                break;
            }
            if self.seen.count() == nodes.len() {
                done = true;
                break;
            }
        }
        if !done {
            for i in 0..nodes.len() {
                if self.seen.first(i) && visit(i) {
                    break;
                }
            }
        }
        self.seen.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(ids: &[&str], weights: &[f64]) -> Vec<NodeState> {
        ids.iter().zip(weights).map(|(id, &w)| NodeState::new(id, w)).collect()
    }

    const ADDRS: [&str; 6] = [
        "127.0.0.1:90",
        "127.0.0.1:91",
        "127.0.0.1:92",
        "127.0.0.1:93",
        "127.0.0.1:94",
        "127.0.0.1:95",
    ];

    fn table(ids: &[&str], weights: &[f64], m: u32) -> Vec<u32> {
        let mut t = EnvoyMaglev::new(m);
        t.rebuild(&hosts(ids, weights)).unwrap();
        t.table
    }

    // The expected slot owners below are the `expected_assignments` of Envoy's
    // test/extensions/load_balancing_policies/maglev/maglev_lb_test.cc, whose keys are the slot numbers.
    #[test]
    fn maglev_matches_envoy_basic_and_hostname_tests() {
        let addrs = ADDRS;
        // TEST_F(MaglevLoadBalancerTest, Basic)
        assert_eq!(table(&addrs, &[1.0; 6], 7), [2, 4, 0, 1, 5, 0, 3]);
        // TEST_F(MaglevLoadBalancerTest, BasicWithHostName)
        assert_eq!(
            table(&["90", "91", "92", "93", "94", "95"], &[1.0; 6], 7),
            [2, 5, 0, 3, 4, 1, 0]
        );
        // TEST_F(MaglevLoadBalancerTest, Weighted)
        assert_eq!(
            table(&addrs[..2], &[1.0, 2.0], 17),
            [1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1]
        );
    }

    #[test]
    fn maglev_retries_match_envoy_retry_host_predicate_test() {
        // TEST_F(MaglevLoadBalancerTest, BasicWithRetryHostPredicate): hash 10 takes slot 3 (host 1); with host 1
        // rejected the retry takes host 0; with every host rejected, the last attempt's host 5.
        let addrs = ADDRS;
        let nodes = hosts(&addrs, &[1.0; 6]);
        let mut t = EnvoyMaglev::new(7);
        t.rebuild(&nodes).unwrap();
        assert_eq!(t.table[t.slot(10, 0)], 1);
        assert_eq!(t.table[t.slot(10, 1)], 0);
        assert_eq!(t.table[t.slot(10, 2)], 5);
        let mut order = Vec::new();
        t.walk(&nodes, 10, &mut |i| {
            order.push(i);
            false
        });
        assert_eq!(&order[..2], [1, 0]);
        assert_eq!(order.len(), 6);
    }

    fn ring(ids: &[&str], weights: &[f64], o: RingOptions) -> Vec<(u64, u32)> {
        let mut pts = Vec::new();
        ring_points(&hosts(ids, weights), &o, &mut pts).unwrap();
        pts.sort();
        pts
    }

    #[test]
    fn ring_matches_envoy_hostname_and_murmur2_tests() {
        let o = RingOptions {
            min: 12,
            ..RingOptions::default()
        };
        // TEST_P(RingHashLoadBalancerTest, BasicWithHostname): the ring listed in the test.
        let r = ring(&["90", "91", "92", "93", "94", "95"], &[1.0; 6], o);
        // Its first, a middle and its last point, and every point's owner in ring order.
        assert_eq!(r[0], (1975508444536362413, 5));
        assert_eq!(r[5], (7225015537174310577, 2));
        assert_eq!(r[11], (15364271037087512980, 4));
        let owners: Vec<u32> = r.iter().map(|p| p.1).collect();
        assert_eq!(owners, [5, 5, 3, 4, 3, 2, 0, 2, 1, 0, 1, 4]);
        // TEST_P(RingHashLoadBalancerTest, BasicWithMurmur2)
        let addrs: Vec<String> = ADDRS.iter().map(|a| a.replace(":9", ":8")).collect();
        let addrs: Vec<&str> = addrs.iter().map(|a| a.as_str()).collect();
        let r = ring(&addrs, &[1.0; 6], RingOptions { murmur2: true, ..o });
        let owners: Vec<u32> = r.iter().map(|p| p.1).collect();
        assert_eq!(owners, [5, 3, 4, 1, 2, 4, 1, 2, 3, 0, 5, 0]);
        assert_eq!(r[0].0, 1358027074129602068);
        assert_eq!(r[11].0, 17613279263364193813);
    }
}
