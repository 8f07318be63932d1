//! `compat: "squid"` with `strategy: "rendezvous"`: Squid 5.7's CARP parent selection (`cache_peer ... parent
//! carp`), written from `src/carp.cc` (`carpInit`, `carpSelectParent`) and `src/cache_cf.cc` (`parse_peer`) of
//! Squid 5.7, and checked against the Debian daemon (`test-js/compat/`).
//!
//! - Identity: the peer's name (`name=` on the `cache_peer` line, the node's `name` here). Without `name=`
//!   Squid names a peer by its host as written; here the default is the node id's host when the id is
//!   `host:port` (or `[v6]:port`), else the whole id. Names repeated case-insensitively are refused, as
//!   `parse_peer` refuses them ("specified twice").
//! - Peer hash (`carpInit`): the CARP string hash of the name, then `h += h × 0x62531965`, `h = rotl(h, 21)`.
//! - Load factors and multipliers (`carpInit`): `p = w / Σw` (`0` when `floor(p × 1000) == 0`), peers sorted by
//!   weight ascending (glibc's `qsort` is a merge sort here, so equal weights keep their order), then
//!   `X_k = ((K−k+1)(p_k − p_{k−1}) / (X_1⋯X_{k−1}) + X_{k−1}^(K−k+1))^(1/(K−k+1))` in doubles, with C's `pow`
//!   ([`pow_int`], [`pow_recip`]: correctly rounded, as glibc's `pow` is but for rare hard cases).
//! - Key (`carpSelectParent`): the URL hash is *not* restarted per peer: peer k of the sorted list sees the
//!   hash continued over the key k+1 times. Score = `rotl((u ^ peer) + (u ^ peer) × 0x62531965, 21) × X`, in
//!   doubles; the first highest score above 0 wins, so ties go to the earlier peer in sorted order. When no
//!   score is above 0, Squid takes the first usable peer in config order (`getFirstUpParent`).
//! - Weights: whole numbers ≥ 1 (`weight=`, read as an `int`), whose sum must fit an `int` (`W` in `carpInit`).

use crate::base::detmath;
use crate::base::error::{Code, Error, Result};
use crate::base::limits::validate_whole_weight;
use crate::base::sort::sort_by;
use crate::hash::systems::carp_url_step;
use crate::node::NodeState;
use crate::strategy::{Ctx, Footprint, Strategy};

/// The multiplier of CARP's hash combination (`carpInit`, `carpSelectParent`).
const CARP_MULT: u32 = 0x6253_1965;
/// The final rotation of CARP's hash combination.
const CARP_ROT: u32 = 21;
/// `W` in `carpInit` is a C `int`.
const MAX_TOTAL_WEIGHT: f64 = i32::MAX as f64;

const WEIGHTS: &str = "compat \"squid\" copies Squid, whose cache_peer weight= is an integer (1 or more)";

/// CARP's final mix of a 32-bit hash.
#[inline]
fn carp_mix(h: u32) -> u32 {
    h.wrapping_add(h.wrapping_mul(CARP_MULT)).rotate_left(CARP_ROT)
}

/// The name Squid gives a peer without `name=`: its host. Here: the id's host when the id is `host:port` or
/// `[v6]:port`, else the id.
pub fn default_name(id: &str) -> &str {
    let b = id.as_bytes();
    // The last ':' followed only by digits (at least one).
    let Some(colon) = b.iter().rposition(|&c| c == b':') else {
        return id;
    };
    if colon + 1 == b.len() || !b[colon + 1..].iter().all(u8::is_ascii_digit) {
        return id;
    }
    let host = &id[..colon];
    if b[0] == b'[' {
        return match host.strip_suffix(']') {
            Some(h) => &h[1..],
            None => id,
        };
    }
    if host.is_empty() || host.bytes().any(|c| c == b':') {
        return id;
    }
    host
}

/// A node's CARP name: its `name`, or [`default_name`] of its id.
pub fn peer_name(n: &NodeState) -> &str {
    n.name.as_deref().unwrap_or_else(|| default_name(&n.id))
}

/// `carpInit`'s per-peer hash of a name.
pub fn peer_hash(name: &str) -> u32 {
    carp_mix(carp_url_step(0, name.as_bytes()))
}

// Double-double arithmetic (Dekker 1971, with basic operations only), for `pow` rounded as C's.
type Dd = (f64, f64);

fn split(a: f64) -> Dd {
    let c = 134_217_729.0 * a;
    let hi = c - (c - a);
    (hi, a - hi)
}

fn two_prod(a: f64, b: f64) -> Dd {
    let p = a * b;
    if !p.is_finite() || a.abs() > 1e290 || b.abs() > 1e290 {
        return (p, 0.0);
    }
    let (ah, al) = split(a);
    let (bh, bl) = split(b);
    (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
}

fn quick_two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    if !s.is_finite() {
        return (s, 0.0);
    }
    (s, b - (s - a))
}

fn dd_mul(x: Dd, y: Dd) -> Dd {
    let (p, e) = two_prod(x.0, y.0);
    if !p.is_finite() {
        return (p, 0.0);
    }
    quick_two_sum(p, e + (x.0 * y.1 + x.1 * y.0))
}

fn dd_powi(x: f64, mut n: u32) -> Dd {
    let mut base = (x, 0.0);
    let mut acc = (1.0, 0.0);
    while n > 0 {
        if n & 1 == 1 {
            acc = dd_mul(acc, base);
        }
        n >>= 1;
        if n > 0 {
            base = dd_mul(base, base);
        }
    }
    acc
}

/// C's `pow(x, n)` for a whole `n ≥ 1` and `x ≥ 0`, correctly rounded.
pub fn pow_int(x: f64, n: u32) -> f64 {
    if x.is_nan() || x == 0.0 || x.is_infinite() || x == 1.0 || n == 1 {
        return x;
    }
    let r = dd_powi(x, n);
    r.0 + r.1
}

/// C's `pow(x, 1.0 / n)` (the exponent rounded to a double first, as `carpInit` computes it) for `x ≥ 0`,
/// correctly rounded but for results within about 2^-100 of a rounding boundary.
pub fn pow_recip(x: f64, n: u32) -> f64 {
    if n == 1 || x.is_nan() || x == 0.0 || x.is_infinite() || x == 1.0 {
        return x;
    }
    if x < 0.0 {
        return f64::NAN;
    }
    let nf = n as f64;
    // r ≈ x^(1/n) within an ulp or two, then one Newton step in double-double: r − (rⁿ − x) / (n rⁿ⁻¹).
    let r = detmath::exp(detmath::ln(x) / nf);
    let rn1 = dd_powi(r, n - 1);
    let rn = dd_mul(rn1, (r, 0.0));
    let (d, de) = quick_two_sum(rn.0 - x, rn.1);
    let corr = (d + de) / (nf * rn1.0);
    let root = quick_two_sum(r, -corr);
    // The exponent is y = fl(1/n) = 1/n + δ, so x^y = x^(1/n) · (1 + δ ln x) to far below an ulp.
    let y = 1.0 / nf;
    let (p, e) = two_prod(y, nf);
    let delta = ((p - 1.0) + e) / nf;
    let adj = root.0 * (delta * detmath::ln(x));
    root.0 + (root.1 + adj)
}

/// Each node's CARP load multiplier, and the peers' order (indices sorted by weight, stable).
fn multipliers(nodes: &[NodeState]) -> Result<(Vec<u32>, Vec<f64>)> {
    let mut total = 0.0;
    for n in nodes {
        // Weights are ≥ 1e-6, so a whole one is ≥ 1.
        validate_whole_weight(n.weight, &format!("the weight of node {:?}", n.id), WEIGHTS)?;
        total += n.weight;
    }
    if total > MAX_TOTAL_WEIGHT {
        return Err(Error::new(
            Code::InvalidWeight,
            format!(
                "the weights add up to {}, but Squid adds them in an int: at most 2147483647 in all",
                crate::base::numfmt::fmt_num(total)
            ),
        ));
    }
    let mut order: Vec<(f64, usize)> = nodes.iter().enumerate().map(|(i, n)| (n.weight, i)).collect();
    sort_by(&mut order, &|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let order: Vec<u32> = order.into_iter().map(|o| o.1 as u32).collect();
    let mut mult = vec![0.0; nodes.len()];
    let k_total = nodes.len() as u32;
    let (mut p_last, mut xn, mut x_last) = (0.0f64, 1.0f64, 0.0f64);
    for (k, &i) in order.iter().enumerate() {
        let mut factor = nodes[i as usize].weight / total;
        if (factor * 1000.0).floor() == 0.0 {
            factor = 0.0;
        }
        let kk1 = k_total - k as u32;
        let mut x = (kk1 as f64 * (factor - p_last)) / xn;
        x += pow_int(x_last, kk1);
        x = pow_recip(x, kk1);
        xn *= x;
        x_last = x;
        p_last = factor;
        mult[i as usize] = x;
    }
    Ok((order, mult))
}

/// Squid's CARP over the node table.
#[derive(Debug, Default)]
pub struct SquidCarp {
    /// Node indices in Squid's peer order (weight ascending, ties in node order).
    order: Vec<u32>,
    /// Per node: the peer hash of its name.
    hash: Vec<u32>,
    /// Per node: the load multiplier.
    mult: Vec<f64>,
    /// Scratch for `pick_n`: (score, position in `order`), or (-1, node index) for a peer CARP never chooses.
    scores: Vec<(f64, usize)>,
}

impl SquidCarp {
    fn rebuild(&mut self, nodes: &[NodeState]) -> Result<()> {
        let lower = |i: usize| peer_name(&nodes[i]).bytes().map(|c| c.to_ascii_lowercase());
        let mut names: Vec<usize> = (0..nodes.len()).collect();
        sort_by(&mut names, &|&a, &b| lower(a).cmp(lower(b)));
        if let Some(w) = names.windows(2).find(|w| lower(w[0]).eq(lower(w[1]))) {
            return Err(Error::new(
                Code::DuplicateId,
                format!(
                    "nodes {:?} and {:?} have the same CARP name {:?}; Squid refuses a cache_peer name given twice (names compare case-insensitively), so give one a distinct name",
                    nodes[w[0]].id, nodes[w[1]].id, peer_name(&nodes[w[1]])
                ),
            ));
        }
        let (order, mult) = multipliers(nodes)?;
        self.hash = nodes.iter().map(|n| peer_hash(peer_name(n))).collect();
        self.order = order;
        self.mult = mult;
        Ok(())
    }

    /// Calls `f(position, node, score)` for each peer in Squid's order, the URL hash continued per peer.
    fn scores_each(&self, cx: &Ctx, mut f: impl FnMut(usize, usize, f64)) {
        let mut u = 0u32;
        for (pos, &i) in self.order.iter().enumerate() {
            u = if pos == 0 {
                cx.key_hash as u32
            } else {
                carp_url_step(u, cx.key)
            };
            let i = i as usize;
            let score = carp_mix(u ^ self.hash[i]) as f64 * self.mult[i];
            f(pos, i, score);
        }
    }
}

impl Strategy for SquidCarp {
    crate::strategy::rebuild_on_every_change!();

    fn footprint(&self, nodes: &[NodeState]) -> Footprint {
        Footprint {
            items: nodes.len() as u64,
            item: "CARP peers",
            bytes_each: 48 + 16,
            extra: 0,
        }
    }

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        let mut best = None;
        let mut high = 0.0;
        self.scores_each(cx, |_, i, score| {
            if score > high && nodes[i].usable {
                high = score;
                best = Some(i);
            }
        });
        // No score above 0 (a weight under a thousandth with the next lightest peer down): Squid's
        // `selectSomeParent` falls back to `getFirstUpParent`, the first usable peer in config order.
        best.or_else(|| nodes.iter().position(|n| n.usable))
    }

    /// Squid's choice, then the choice with it down, and so on: scores above 0 descending (earlier peer first
    /// on a tie); then the peers CARP never chooses (a score of 0 or NaN) in config order, as
    /// `getFirstUpParent` takes them.
    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        let mut scores = core::mem::take(&mut self.scores);
        scores.clear();
        self.scores_each(cx, |pos, i, score| {
            if nodes[i].usable {
                // The tie-breaker: the position in peer order, or for the fallback the node's index.
                scores.push(if score > 0.0 { (score, pos) } else { (-1.0, i) });
            }
        });
        sort_by(&mut scores, &|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        out.extend(
            scores
                .iter()
                .take(n)
                .map(|s| if s.0 > 0.0 { self.order[s.1] as usize } else { s.1 }),
        );
        self.scores = scores;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_hosts() {
        assert_eq!(default_name("10.0.0.1:3128"), "10.0.0.1");
        assert_eq!(default_name("[::1]:80"), "::1");
        assert_eq!(default_name("cache-a"), "cache-a");
        assert_eq!(default_name("a:b:c"), "a:b:c");
        assert_eq!(default_name("host:"), "host:");
        assert_eq!(default_name(":80"), ":80");
    }

    #[test]
    fn pow_matches_exact_cases() {
        assert_eq!(pow_recip(8.0, 3), 2.0);
        assert_eq!(pow_recip(1.0, 7), 1.0);
        assert_eq!(pow_recip(0.0, 7), 0.0);
        assert_eq!(pow_recip(f64::INFINITY, 2), f64::INFINITY);
        assert_eq!(pow_int(3.0, 4), 81.0);
        assert_eq!(pow_int(1.1, 2), 1.1 * 1.1);
        // pow(x, 1.0/2) is sqrt only up to δ = fl(1/2) - 1/2 = 0: exactly the correctly rounded sqrt.
        for x in [2.0, 3.0, 0.7, 1e-5, 12345.678] {
            assert_eq!(pow_recip(x, 2), f64::sqrt(x), "{x}");
        }
    }

    #[test]
    fn pow_is_within_an_ulp_of_the_platform_libm() {
        // glibc's pow is not always correctly rounded (within about 0.0005 ulp of a midpoint it can round the
        // other way): ours may differ from it in the last bit, rarely (21 of these 28,000 on glibc 2.36). Flipping a key then takes two peers'
        // scores within 2^-52 of each other.
        let ulps = |a: f64, b: f64| (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs();
        let (mut x, mut same, mut all) = (0.013, 0, 0);
        for _ in 0..2000 {
            x = (x * 1.618_033_988_749_895 + 0.001) % 7.0;
            for n in [3u32, 5, 7, 10, 49, 100, 1000] {
                for (ours, libm) in [
                    (pow_recip(x, n), x.powf(1.0 / n as f64)),
                    (pow_int(x, n), x.powf(n as f64)),
                ] {
                    assert!(ours == libm || ulps(ours, libm) <= 1, "{x} {n}: {ours} {libm}");
                    same += (ours == libm) as u32;
                    all += 1;
                }
            }
        }
        assert!(same * 100 >= all * 99, "{same} of {all}");
    }

    fn nodes(ws: &[f64]) -> Vec<NodeState> {
        ws.iter()
            .enumerate()
            .map(|(i, &w)| NodeState::new(&format!("127.0.0.{}:80", i + 2), w))
            .collect()
    }

    #[test]
    fn scores_match_squids_debug_log() {
        // Squid 5.7 with `debug_options 39,3`, peers 127.0.0.2 (weight 1), .3 (2), .4 (3), for
        // GET http://Example.COM:80/a%20b/é?x=1 (Squid hashes the URL with the host lowercased, port 80 dropped).
        let key = "http://example.com/a%20b/é?x=1".as_bytes();
        let ns: Vec<NodeState> = [(2, 1.0), (3, 2.0), (4, 3.0)]
            .iter()
            .map(|&(h, w)| NodeState::new(&format!("127.0.0.{h}:9001"), w))
            .collect();
        let mut c = SquidCarp::default();
        c.rebuild(&ns).unwrap();
        let mut rng = crate::base::rng::Rng::new(1);
        let cx = Ctx {
            key_hash: crate::hash::systems::Hash32::Carp.hash(key) as u64,
            key,
            now_ms: 0.0,
            rng: &mut rng,
            all_usable: true,
            only: None,
            part: 0,
            ramp: None,
        };
        let mut got = vec![];
        c.scores_each(&cx, |_, i, score| {
            got.push((i, score.round() as u64));
        });
        assert_eq!(got, [(0, 3_156_812_485), (1, 2_518_512_917), (2, 4_906_049_745)]);
    }

    #[test]
    fn equal_weights_multiply_by_one() {
        for k in 1..=12 {
            let (_, m) = multipliers(&nodes(&vec![1.0; k])).unwrap();
            assert!(m.iter().all(|&x| (x - 1.0).abs() < 1e-15), "{k}: {m:?}");
        }
    }

    #[test]
    fn removing_a_peer_rescores_the_peers_after_it() {
        // The URL hash carries over from peer to peer, so removing the first peer changes every other peer's
        // score: keys move between peers that stayed (not so in plain rendezvous).
        let ns = nodes(&[1.0; 5]);
        let mut all = SquidCarp::default();
        all.rebuild(&ns).unwrap();
        let mut rest = SquidCarp::default();
        rest.rebuild(&ns[1..]).unwrap();
        let mut rng = crate::base::rng::Rng::new(1);
        let mut between = 0;
        for k in 0..1000 {
            let key = format!("http://example.com/{k}");
            let key = key.as_bytes();
            let mut cx = Ctx {
                key_hash: crate::hash::systems::Hash32::Carp.hash(key) as u64,
                key,
                now_ms: 0.0,
                rng: &mut rng,
                all_usable: true,
                only: None,
                part: 0,
                ramp: None,
            };
            let before = all.pick(&ns, &mut cx).unwrap();
            let after = rest.pick(&ns[1..], &mut cx).unwrap() + 1;
            between += (before != 0 && before != after) as u32;
        }
        assert!(between > 300, "{between}");
    }

    #[test]
    fn a_weight_under_a_thousandth_sends_everything_to_the_next_lightest() {
        // p_1 = 0 makes X_1 = 0, X_2 = +inf, and X_1 × X_2 = NaN for every later peer.
        let (order, m) = multipliers(&nodes(&[1000.0, 1.0, 1000.0, 500.0])).unwrap();
        assert_eq!(order, [1, 3, 0, 2]);
        assert_eq!(m[1], 0.0);
        assert_eq!(m[3], f64::INFINITY);
        assert!(m[0].is_nan() && m[2].is_nan());
    }

    #[test]
    fn weights_are_squid_ints() {
        assert_eq!(multipliers(&nodes(&[1.5, 1.0])).unwrap_err().code, Code::InvalidWeight);
        assert_eq!(multipliers(&nodes(&[1e6; 2148])).unwrap_err().code, Code::InvalidWeight);
        let mut c = SquidCarp::default();
        let mut dup = nodes(&[1.0, 1.0]);
        dup[1].name = Some("127.0.0.2".into());
        assert_eq!(c.rebuild(&dup).unwrap_err().code, Code::DuplicateId);
    }
}
