//! Properties of the consistent-hashing strategies (ring, rendezvous, maglev, jump, bounded loads), with a
//! naive weighted rendezvous written from its formula as the oracle.

use edgeroute::base::detmath;
use edgeroute::base::rng::Rng;
use edgeroute::hash::murmur3::{fmix32, murmur3_32};
use edgeroute::hash::{mix64, unit_open, xxh3_key, Secret};
use edgeroute::Value;
use edgeroute::{Config, NodeSpec, Outcome, Router, StrategyKind};

const HASHING: [StrategyKind; 4] = [
    StrategyKind::Ring,
    StrategyKind::Rendezvous,
    StrategyKind::Maglev,
    StrategyKind::Jump,
];

fn build(kind: StrategyKind, nodes: &[(String, f64)], f: impl FnOnce(&mut Config)) -> Router {
    let mut cfg = Config::new(kind, nodes.iter().map(|(id, w)| NodeSpec::new(id, *w)).collect());
    f(&mut cfg);
    Router::new(cfg, || 1).unwrap()
}

fn pool(n: usize, weight: impl Fn(usize) -> f64) -> Vec<(String, f64)> {
    (0..n).map(|i| (format!("node-{i}"), weight(i))).collect()
}

fn owners(r: &mut Router, keys: &[Vec<u8>]) -> Vec<String> {
    keys.iter()
        .map(|k| {
            let i = r.pick(Some(k), 0.0).unwrap().unwrap();
            r.id(i).to_owned()
        })
        .collect()
}

fn keys(n: usize, tag: &str) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("{tag}:{i}").into_bytes()).collect()
}

/// Weighted rendezvous straight from the formula: score = -w / ln(u), u = unit_open(mix64(h(key), h(id))).
fn naive_rendezvous(nodes: &[(String, f64)], key: &[u8], seed: u64) -> Vec<String> {
    let h = xxh3_key(key, seed);
    let mut scored: Vec<(f64, &str)> = nodes
        .iter()
        .map(|(id, w)| {
            (
                -w / detmath::ln(unit_open(mix64(h, xxh3_key(id.as_bytes(), seed)))),
                id.as_str(),
            )
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.as_bytes().cmp(b.1.as_bytes())));
    scored.into_iter().map(|(_, id)| id.to_owned()).collect()
}

/// The `compat: "redis"` mapping from its definition (src/compat/redis_lua.rs, lua/pick.lua), term by term.
fn naive_redis_lua(nodes: &[(String, f64)], key: &[u8], seed: u32) -> Vec<String> {
    let k = murmur3_32(key, seed);
    let mut scored: Vec<(f64, &str)> = nodes
        .iter()
        .map(|(id, w)| {
            let mut tagged = id.as_bytes().to_vec();
            tagged.push(0xFF);
            let u = (fmix32(k ^ murmur3_32(&tagged, seed)) as f64 + 0.5) / 4_294_967_296.0;
            (-w / detmath::ln(u), id.as_str())
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.as_bytes().cmp(b.1.as_bytes())));
    scored.into_iter().map(|(_, id)| id.to_owned()).collect()
}

fn redis_router(nodes: &[(String, f64)], seed: u32) -> Router {
    let json = serde_json::json!({
        "strategy": "rendezvous", "compat": "redis", "seed": seed,
        "nodes": nodes.iter().map(|(id, w)| serde_json::json!({ "id": id, "weight": w })).collect::<Vec<_>>(),
    });
    let v: Value = serde_json::from_value(json).unwrap();
    Router::from_value(&v, || 1).unwrap()
}

/// Builds a Router per round (random seed and pool), then through four add-and-remove steps checks `pickN(3)` and
/// `pick` of 400 keys against `oracle`'s full order.
fn churn_against_oracle(
    rng_seed: u64,
    weights: [f64; 4],
    make: impl Fn(&[(String, f64)], u64) -> Router,
    oracle: impl Fn(&[(String, f64)], &[u8], u64) -> Vec<String>,
) {
    let mut rng = Rng::new(rng_seed);
    for round in 0..10 {
        let seed = rng.next_u64() >> 11;
        let mut nodes = pool(2 + rng.below(12), |i| weights[(i + round) % 4]);
        let mut r = make(&nodes, seed);
        for step in 0..4 {
            for k in 0..400 {
                let key = format!("r{round}s{step}k{k}/ü");
                let want = oracle(&nodes, key.as_bytes(), seed);
                let got = r.pick_n_ids(Some(key.as_bytes()), 3, 0.0).unwrap();
                assert_eq!(got, want[..3.min(want.len())], "round {round} step {step} key {key}");
                let first = r.pick(Some(key.as_bytes()), 0.0).unwrap().unwrap();
                assert_eq!(r.id(first), want[0]);
            }
            let id = format!("added-{round}-{step}");
            r.add(NodeSpec::new(&id, 1.5)).unwrap();
            nodes.push((id, 1.5));
            let gone = nodes.remove(rng.below(nodes.len() - 1)).0;
            assert!(r.remove(&gone));
        }
    }
}

#[test]
fn redis_compat_agrees_with_its_definition_through_churn() {
    churn_against_oracle(
        11,
        [0.5, 1.0, 1.0 / 3.0, 7.25],
        |nodes, seed| redis_router(nodes, seed as u32),
        |nodes, key, seed| naive_redis_lua(nodes, key, seed as u32),
    );
}

#[test]
fn redis_compat_shares_follow_weights_and_changes_move_the_minimum() {
    let nodes = pool(6, |i| (i + 1) as f64);
    let total: f64 = nodes.iter().map(|n| n.1).sum();
    let ks = keys(120_000, "rc");
    let mut r = redis_router(&nodes, 0);
    let before = owners(&mut r, &ks);
    for (id, w) in &nodes {
        let c = before.iter().filter(|o| *o == id).count() as f64;
        let p = w / total;
        let sd = (ks.len() as f64 * p * (1.0 - p)).sqrt();
        assert!(
            (c - ks.len() as f64 * p).abs() < 5.0 * sd,
            "{id}: {c} vs {}",
            ks.len() as f64 * p
        );
    }
    r.set_weight("node-2", 9.0).unwrap();
    let after = owners(&mut r, &ks);
    for (b, a) in before.iter().zip(&after) {
        assert!(
            b == a || a == "node-2",
            "a key moved from {b} to {a}, not to the reweighted node"
        );
    }
    assert!(r.remove("node-4"));
    let removed = owners(&mut r, &ks);
    for (b, a) in after.iter().zip(&removed) {
        assert!(b == a || b == "node-4", "a key of {b} moved when node-4 left");
    }
}

#[test]
fn rendezvous_agrees_with_the_naive_oracle() {
    churn_against_oracle(
        4,
        [0.5, 1.0, 2.0, 7.25],
        |nodes, seed| build(StrategyKind::Rendezvous, nodes, |c| c.seed = Some(seed)),
        naive_rendezvous,
    );
}

/// For each strategy with minimal disruption: a change moves only keys to or from the changed node.
#[test]
fn minimal_disruption_on_add_remove_reweight() {
    let ks = keys(60_000, "md");
    for kind in [StrategyKind::Ring, StrategyKind::Rendezvous, StrategyKind::Jump] {
        let nodes = pool(12, |i| (1 + i % 3) as f64);
        let mut r = build(kind, &nodes, |_| ());
        let mut before = owners(&mut r, &ks);
        let check = |r: &mut Router, changed: &str, what: &str, before: &mut Vec<String>| {
            let after = owners(r, &ks);
            for (b, a) in before.iter().zip(&after) {
                assert!(
                    b == a || b == changed || a == changed,
                    "{kind:?} {what}: a key moved {b} -> {a}"
                );
            }
            *before = after;
        };
        r.add(NodeSpec::new("newcomer", 2.0)).unwrap();
        check(&mut r, "newcomer", "add", &mut before);
        assert!(r.remove("node-5"));
        check(&mut r, "node-5", "remove from the middle", &mut before);
        r.set_weight("node-7", 4.0).unwrap();
        check(&mut r, "node-7", "raise weight", &mut before);
        r.set_weight("node-7", 1.0).unwrap();
        check(&mut r, "node-7", "lower weight", &mut before);
        assert!(r.remove("node-0"));
        check(&mut r, "node-0", "remove the first", &mut before);
        r.add(NodeSpec::new("node-0", 1.0)).unwrap();
        check(&mut r, "node-0", "re-add", &mut before);
    }
}

#[test]
fn maglev_disruption_within_twice_the_ideal() {
    let ks = keys(100_000, "mg");
    let nodes = pool(20, |_| 1.0);
    let mut r = build(StrategyKind::Maglev, &nodes, |_| ());
    let before = owners(&mut r, &ks);
    assert!(r.remove("node-3"));
    let after = owners(&mut r, &ks);
    let moved = before.iter().zip(&after).filter(|(b, a)| b != a).count() as f64 / ks.len() as f64;
    assert!(moved <= 2.0 * (1.0 / 20.0), "maglev moved {moved} on removing 1 of 20");
    assert!(after.iter().all(|o| o != "node-3"));
}

/// Shares follow the weights: binomial bounds for the strategies that are exact in expectation (rendezvous,
/// jump), slot-count bounds for maglev.
#[test]
fn weighted_shares_within_statistical_bounds() {
    let nodes = pool(6, |i| (i + 1) as f64);
    let total: f64 = nodes.iter().map(|n| n.1).sum();
    let ks = keys(300_000, "ws");
    for kind in [StrategyKind::Rendezvous, StrategyKind::Jump, StrategyKind::Maglev] {
        let mut r = build(kind, &nodes, |_| ());
        let own = owners(&mut r, &ks);
        for (id, w) in &nodes {
            let c = own.iter().filter(|o| *o == id).count() as f64;
            let p = w / total;
            let sd = (ks.len() as f64 * p * (1.0 - p)).sqrt();
            // Maglev's table quantizes shares to 1/65537: negligible next to 5 sd.
            assert!(
                (c - ks.len() as f64 * p).abs() < 5.0 * sd,
                "{kind:?} {id}: {c} vs {}",
                ks.len() as f64 * p
            );
        }
    }
}

#[test]
fn pick_n_distinct_and_pick_first_for_hashing_strategies() {
    for kind in HASHING {
        let nodes = pool(9, |i| (1 + i % 2) as f64);
        let mut r = build(kind, &nodes, |_| ());
        for k in 0..300 {
            let key = format!("p{k}");
            let all = r.pick_n_ids(Some(key.as_bytes()), 20, 0.0).unwrap();
            assert_eq!(all.len(), 9, "{kind:?}");
            let mut s = all.clone();
            s.sort();
            s.dedup();
            assert_eq!(s.len(), 9, "{kind:?}: duplicates in {all:?}");
            let i = r.pick(Some(key.as_bytes()), 0.0).unwrap().unwrap();
            assert_eq!(all[0], r.id(i));
        }
    }
}

#[test]
fn bounded_loads_cap_under_a_concurrent_simulation() {
    for kind in [StrategyKind::Ring, StrategyKind::Rendezvous, StrategyKind::Maglev] {
        for &c in &[1.25, 1.5] {
            let nodes = pool(10, |i| if i < 2 { 2.0 } else { 1.0 });
            let wsum: f64 = nodes.iter().map(|n| n.1).sum();
            let mut r = build(kind, &nodes, |cfg| cfg.bounded_load = Some(c));
            let mut plain = build(kind, &nodes, |_| ());
            let mut rng = Rng::new(7);
            let mut live: Vec<String> = vec![];
            for step in 0..20_000 {
                // Hot keys: half the requests use one of 3 keys, so unbounded hashing would overload a node.
                let key = if rng.below(2) == 0 {
                    format!("hot{}", rng.below(3))
                } else {
                    format!("k{}", rng.below(100_000))
                };
                let in_flight: u64 = (0..r.len()).map(|i| r.inflight(i) as u64).sum();
                let i = r.acquire(Some(key.as_bytes()), 0.0).unwrap().unwrap();
                let w = nodes.iter().find(|n| n.0 == r.id(i)).unwrap().1;
                let cap = (c * (in_flight + 1) as f64 * w / wsum).ceil() as u32;
                assert!(
                    r.inflight(i) <= cap,
                    "{kind:?} c={c} step {step}: load {} > cap {cap}",
                    r.inflight(i)
                );
                live.push(r.id(i).to_owned());
                // Requests finish at random; the pool of in-flight requests hovers around a few hundred.
                while live.len() > 300 || (!live.is_empty() && rng.below(2) == 0) {
                    let j = rng.below(live.len());
                    let id = live.swap_remove(j);
                    r.end(
                        &id,
                        Some(Outcome {
                            ok: true,
                            latency_ms: None,
                        }),
                        0.0,
                    )
                    .unwrap();
                }
            }
            // Every request ended: each key is back on its unbounded home.
            for id in live.drain(..) {
                r.end(&id, None, 0.0).unwrap();
            }
            let ks = keys(2000, "home");
            assert_eq!(
                owners(&mut r, &ks),
                owners(&mut plain, &ks),
                "{kind:?}: keys did not return home"
            );
        }
    }
}

#[test]
fn secret_defeats_keys_crafted_to_pile_onto_one_node() {
    let nodes = pool(10, |_| 1.0);
    let secret = Secret(*b"0123456789abcdef");
    for kind in HASHING {
        let mut open = build(kind, &nodes, |_| ());
        // The attacker knows the ids and the (public) hash: keep only candidate keys that land on node-0.
        let mut crafted = vec![];
        let mut i = 0u64;
        while crafted.len() < 2000 {
            let k = format!("attack-{i}").into_bytes();
            let o = open.pick(Some(&k), 0.0).unwrap().unwrap();
            if open.id(o) == "node-0" {
                crafted.push(k);
            }
            i += 1;
        }
        assert!(owners(&mut open, &crafted).iter().all(|o| o == "node-0"));
        let mut keyed = build(kind, &nodes, |c| c.secret = Some(secret));
        let on0 = owners(&mut keyed, &crafted).iter().filter(|o| *o == "node-0").count() as f64 / 2000.0;
        // Under the secret the crafted keys are ordinary keys: about 1/10 each (binomial sd 0.0067).
        assert!(on0 < 0.14, "{kind:?}: {on0} of the crafted keys still hit node-0");
    }
}

#[test]
fn jump_rejects_fractional_weights_and_maglev_tables_must_fit() {
    let cfg = Config::new(StrategyKind::Jump, vec![NodeSpec::new("a", 1.5)]);
    assert_eq!(Router::new(cfg, || 1).unwrap_err().code, edgeroute::Code::InvalidWeight);
    let mut r = build(StrategyKind::Jump, &pool(2, |_| 1.0), |_| ());
    assert_eq!(
        r.set_weight("node-0", 2.5).unwrap_err().code,
        edgeroute::Code::InvalidWeight
    );
    let mut m = build(StrategyKind::Maglev, &pool(4, |_| 1.0), |c| c.table_size = 5);
    assert_eq!(
        m.add(NodeSpec::new("x", 1.0)).unwrap_err().code,
        edgeroute::Code::TooLarge
    );
    assert_eq!(m.len(), 4);
}

#[test]
fn rendezvous_equal_weight_fast_path_matches_scores() {
    let nodes = pool(17, |_| 3.0);
    let mut r = build(StrategyKind::Rendezvous, &nodes, |c| c.seed = Some(5));
    for k in 0..20_000 {
        let key = format!("fast{k}");
        let i = r.pick(Some(key.as_bytes()), 0.0).unwrap().unwrap();
        let fast = r.id(i).to_owned();
        assert_eq!(fast, naive_rendezvous(&nodes, key.as_bytes(), 5)[0], "key {key}");
        assert_eq!(fast, r.pick_n_ids(Some(key.as_bytes()), 2, 0.0).unwrap()[0]);
    }
}

/// The key-size limit of the JS/wasm protocol holds in the core too, for every strategy, keyed or not.
#[test]
fn keys_over_the_protocol_limit_are_refused_by_the_core() {
    let limit = edgeroute::base::protocol::MAX_KEY_BYTES as usize;
    for kind in edgeroute::StrategyKind::ALL {
        let mut r = Router::new(
            Config::new(kind, vec![NodeSpec::new("a", 1.0), NodeSpec::new("b", 1.0)]),
            || 3,
        )
        .unwrap();
        assert!(
            r.pick(Some(&vec![7u8; limit]), 1.0).is_ok(),
            "{kind:?}: a key at the limit routes"
        );
        let e = r.pick(Some(&vec![7u8; limit + 1]), 1.0).unwrap_err();
        assert_eq!(e.code, edgeroute::Code::InvalidKey, "{kind:?}");
        let mut out = Vec::new();
        assert_eq!(
            r.pick_n(Some(&vec![7u8; limit + 1]), 2, 1.0, &mut out)
                .unwrap_err()
                .code,
            edgeroute::Code::InvalidKey
        );
    }
}
