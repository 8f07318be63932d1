//! One property suite over every strategy configuration, in the style of memchr's tests: the configurations are
//! one list ([`CONFIGS`]), each entry giving the options (JSON, as `new Router(options)` takes them) and what
//! that configuration promises, as data. Every property runs over every entry whose declared promises it
//! needs, so a new strategy or profile gets the whole suite by adding one line to the list.
//!
//! Besides the properties, naive oracles written from the papers and the documented definitions check the
//! strategies that had none (the ring and rendezvous oracles live in tests/properties.rs and tests/hashing.rs):
//! maglev's lookup table (Eisenbud et al., NSDI 2016, §3.4), modulo hashing (`hash`), and consistent hashing with
//! bounded loads (Mirrokni, Thorup & Zadimoghaddam, SODA 2018).
//!
//! Internal paths used (to update if the crate's modules move): `edgeroute::hash::xxh3_key`,
//! `edgeroute::hash::point_hash`, `edgeroute::hash::siphash24`, `edgeroute::hash::Secret`, all in the oracles'
//! key and permutation hashes. Everything else is the public API (`Router`, `NodeSpec`, `Value`, `names`).

use edgeroute::hash::{point_hash, siphash24, xxh3_key, Secret};
use edgeroute::router::NO_ZONE;
use edgeroute::{NodeSpec, Outcome, Router, Value};
use serde_json::{json, Value as Json};
use std::collections::{HashMap, HashSet};

// ---------------------------------------------------------------------------------------------------------------
// The list.

/// Which keys a change may move, as the strategy documents it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Moves {
    /// Only keys to or from the changed node (the minimum).
    Minimal,
    /// At most this many times the ideal share w/Σw (or the share gained or lost) of the keys move.
    AtMost(f64),
    /// No promise (modulo hashing, and profiles whose point counts or server ids depend on the whole pool).
    Any,
}

/// How node specs are written for a configuration, so ids satisfy each profile's rules.
#[derive(Debug, Clone, Copy, PartialEq)]
enum IdStyle {
    /// `node-<i>/ü`: any UTF-8.
    Names,
    /// `10.0.<i>.1:11211`: host:port (twemproxy leaves the 11211 port out of the identity; nginx, libketama
    /// hash it whole).
    HostPort,
    /// `10.0.<i>.1:22122` with twemproxy's `name` `cache-<i>`.
    Named,
    /// `s<i>` with HAProxy's explicit `serverId` (so removing a server renumbers no other).
    ServerId,
}

/// A naive oracle to compare the configuration with.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Oracle {
    None,
    /// [`naive_maglev`]; with `boundedLoad`, for the mapping with nothing in flight.
    Maglev,
    /// [`NaiveModulo`].
    Modulo,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    name: &'static str,
    /// Options without `nodes` (JSON text); the suite adds the pools.
    options: &'static str,
    ids: IdStyle,
    /// Node weights, cycled over the pool (whole numbers where the strategy needs them).
    weights: &'static [f64],
    /// `pick` is a function of the key and the pool (and `pickN(key, n)[0]` is `pick(key)`). Bounded loads
    /// are, while nothing is in flight, which is how the suite picks from them.
    keyed: bool,
    /// What removing, adding, and raising the weight of one node may move.
    on_remove: Moves,
    on_add: Moves,
    on_reweight: Moves,
    /// Adding a node and removing it again restores every key's node.
    add_remove_undoes: bool,
    /// A Router built from the final node list maps like one that reached it by add/remove/setWeight (so also
    /// one restored from a snapshot taken after changes). Jump's mapping depends on the order of changes.
    history_free: bool,
    /// The mapping does not depend on the order of the node list (ring, rendezvous and maglev order by id;
    /// jump numbers buckets and modulo slots in node order).
    order_free: bool,
    oracle: Oracle,
    /// The system has no weights (compat caddy): every node weighs 1 and `setWeight` to another value fails.
    weightless: bool,
    /// A node going down sends only its own keys elsewhere, each to the first healthy node of its pickN order.
    /// Varnish's hash director spreads every key over the healthy weights again, so its keys on other nodes
    /// move too; only the down node's keys are promised their next choice (`pickN(key, 2)[1]`).
    failover_keeps_others: bool,
}

/// Ring, rendezvous, and the profiles whose points depend only on the node itself.
const CONSISTENT: Entry = Entry {
    name: "",
    options: "",
    ids: IdStyle::Names,
    weights: &[1.0, 0.5, 2.5, 1.25],
    keyed: true,
    on_remove: Moves::Minimal,
    on_add: Moves::Minimal,
    on_reweight: Moves::Minimal,
    add_remove_undoes: true,
    history_free: true,
    order_free: true,
    oracle: Oracle::None,
    weightless: false,
    failover_keeps_others: true,
};

/// Maglev: a change moves a little more than the minimum; docs/quality.md documents (and measures) a bound of
/// twice the ideal share for pools of 10 to 100 nodes.
const MAGLEV: Entry = Entry {
    on_remove: Moves::AtMost(2.0),
    on_add: Moves::AtMost(2.0),
    on_reweight: Moves::AtMost(2.0),
    oracle: Oracle::Maglev,
    ..CONSISTENT
};

/// Modulo hashing and the other keyed mappings that promise nothing on a change.
const KEYED_ANY: Entry = Entry {
    weights: &[1.0, 2.0, 1.0, 3.0],
    on_remove: Moves::Any,
    on_add: Moves::Any,
    on_reweight: Moves::Any,
    order_free: false,
    ..CONSISTENT
};

/// Strategies that ignore the key.
const UNKEYED: Entry = Entry {
    keyed: false,
    on_remove: Moves::Any,
    on_add: Moves::Any,
    on_reweight: Moves::Any,
    add_remove_undoes: false,
    history_free: false,
    order_free: false,
    ..CONSISTENT
};

const WHOLE: &[f64] = &[1.0, 2.0, 1.0, 3.0];

#[rustfmt::skip]
const CONFIGS: &[Entry] = &[
    Entry { name: "random", options: r#"{"strategy":"random","seed":11}"#, ..UNKEYED },
    Entry { name: "round-robin", options: r#"{"strategy":"round-robin"}"#, ..UNKEYED },
    Entry { name: "weighted-round-robin", options: r#"{"strategy":"weighted-round-robin"}"#, ..UNKEYED },
    Entry { name: "least-latency", options: r#"{"strategy":"least-latency","seed":3,"decayMs":5000}"#, ..UNKEYED },
    Entry { name: "least-outstanding", options: r#"{"strategy":"least-outstanding","seed":4}"#, ..UNKEYED },
    Entry { name: "ring", options: r#"{"strategy":"ring","seed":7}"#, ..CONSISTENT },
    Entry { name: "ring-40-vnodes", options: r#"{"strategy":"ring","vnodes":40}"#, ..CONSISTENT },
    Entry { name: "rendezvous", options: r#"{"strategy":"rendezvous","seed":7}"#, ..CONSISTENT },
    Entry { name: "rendezvous-equal", options: r#"{"strategy":"rendezvous"}"#, weights: &[2.0], ..CONSISTENT },
    Entry { name: "maglev", options: r#"{"strategy":"maglev","seed":7}"#, ..MAGLEV },
    Entry { name: "maglev-1009", options: r#"{"strategy":"maglev","tableSize":1009}"#, weights: &[1.0], ..MAGLEV },
    Entry { name: "jump", options: r#"{"strategy":"jump","seed":7}"#, weights: WHOLE, history_free: false, order_free: false, ..CONSISTENT },
    Entry { name: "hash", options: r#"{"strategy":"hash","seed":5}"#, oracle: Oracle::Modulo, ..KEYED_ANY },
    Entry { name: "ring-bounded", options: r#"{"strategy":"ring","boundedLoad":true}"#, ..CONSISTENT },
    Entry { name: "rendezvous-bounded-1.5", options: r#"{"strategy":"rendezvous","boundedLoad":1.5,"seed":2}"#, ..CONSISTENT },
    Entry { name: "maglev-bounded", options: r#"{"strategy":"maglev","boundedLoad":true,"tableSize":4099}"#, ..MAGLEV },
    Entry { name: "ring-secret", options: r#"{"strategy":"ring","secret":"000102030405060708090a0b0c0d0e0f"}"#, ..CONSISTENT },
    Entry { name: "maglev-secret", options: r#"{"strategy":"maglev","secret":"f0e1d2c3b4a5968778695a4b3c2d1e0f"}"#, ..MAGLEV },
    Entry { name: "jump-secret", options: r#"{"strategy":"jump","secret":"00112233445566778899aabbccddeeff"}"#, weights: WHOLE, history_free: false, order_free: false, ..CONSISTENT },
    Entry { name: "redis", options: r#"{"strategy":"rendezvous","compat":"redis","seed":7}"#, ..CONSISTENT },
    Entry { name: "nginx-ring", options: r#"{"strategy":"ring","compat":"nginx"}"#, ids: IdStyle::HostPort, weights: WHOLE, order_free: false, ..CONSISTENT },
    Entry { name: "nginx-hash", options: r#"{"strategy":"hash","compat":"nginx"}"#, ids: IdStyle::HostPort, ..KEYED_ANY },
    // twemproxy's and libketama's point counts depend on Σw and the server count: a change can move any key.
    Entry { name: "twemproxy-ring", options: r#"{"strategy":"ring","compat":"twemproxy"}"#, ids: IdStyle::HostPort, ..KEYED_ANY },
    Entry { name: "twemproxy-ring-md5-named", options: r#"{"strategy":"ring","compat":"twemproxy","hash":"md5"}"#, ids: IdStyle::Named, ..KEYED_ANY },
    Entry { name: "twemproxy-hash-murmur", options: r#"{"strategy":"hash","compat":"twemproxy","hash":"murmur"}"#, ids: IdStyle::HostPort, order_free: true, ..KEYED_ANY },
    Entry { name: "twemproxy-hash-hsieh-named", options: r#"{"strategy":"hash","compat":"twemproxy","hash":"hsieh"}"#, ids: IdStyle::Named, order_free: true, ..KEYED_ANY },
    Entry { name: "libketama", options: r#"{"strategy":"ring","compat":"libketama"}"#, ids: IdStyle::HostPort, ..KEYED_ANY },
    // Squid's CARP continues the URL hash from peer to peer in weight order, and every multiplier depends on
    // all weights: a change can move any key. Caddy hashes key + address: plain rendezvous, but no weights.
    Entry { name: "squid", options: r#"{"strategy":"rendezvous","compat":"squid"}"#, ids: IdStyle::HostPort, ..KEYED_ANY },
    Entry { name: "squid-named-equal", options: r#"{"strategy":"rendezvous","compat":"squid"}"#, ids: IdStyle::Named, weights: &[1.0], ..KEYED_ANY },
    // Varnish's shard ring: replicas × weight points per backend, hashed from the ident alone: a change moves
    // only the changed backend's keys. Fractional weights are allowed (the point count is truncated).
    Entry { name: "varnish", options: r#"{"strategy":"ring","compat":"varnish"}"#, weights: &[1.0, 1.5, 2.5, 1.25], ..CONSISTENT },
    Entry { name: "varnish-url", options: r#"{"strategy":"ring","compat":"varnish","hash":"url"}"#, ids: IdStyle::HostPort, weights: WHOLE, ..CONSISTENT },
    Entry { name: "varnish-replicas-7", options: r#"{"strategy":"ring","compat":"varnish","replicas":7}"#, weights: &[1.0, 1.5, 2.5, 1.25], ..CONSISTENT },
    // Varnish's hash director: weight ranges in backend order, so a change shifts the ranges after it.
    Entry { name: "varnish-hash", options: r#"{"strategy":"hash","compat":"varnish"}"#, weights: &[1.0, 1.5, 2.5, 1.25], failover_keeps_others: false, ..KEYED_ANY },
    Entry { name: "caddy", options: r#"{"strategy":"rendezvous","compat":"caddy"}"#, ids: IdStyle::HostPort, weights: &[1.0], weightless: true, ..CONSISTENT },
    // ATS: roundf(1024 × weight) points per parent, hashed from its hostname alone (distinct here): a change moves
    // only the changed parent's keys.
    Entry { name: "ats", options: r#"{"strategy":"ring","compat":"ats"}"#, ids: IdStyle::HostPort, ..CONSISTENT },
    // Envoy's ring scales every host's point count by the smallest normalized weight, with running sums in host
    // order, and its Maglev table interleaves all hosts: a change can move any key.
    Entry { name: "envoy-ring", options: r#"{"strategy":"ring","compat":"envoy"}"#, ids: IdStyle::HostPort, ..KEYED_ANY },
    Entry { name: "envoy-ring-murmur2-small", options: r#"{"strategy":"ring","compat":"envoy","hashFunction":"murmur2","minRingSize":64,"maxRingSize":512}"#, ..KEYED_ANY },
    Entry { name: "envoy-maglev", options: r#"{"strategy":"maglev","compat":"envoy","tableSize":1009}"#, ids: IdStyle::HostPort, order_free: true, ..KEYED_ANY },
    // Automatic server ids renumber the servers after a removed one; a server appended takes the next id.
    Entry { name: "haproxy-ring", options: r#"{"strategy":"ring","compat":"haproxy"}"#, on_add: Moves::Minimal, on_reweight: Moves::Minimal, ..KEYED_ANY },
    Entry { name: "haproxy-ring-ids-djb2", options: r#"{"strategy":"ring","compat":"haproxy","hash":"djb2"}"#, ids: IdStyle::ServerId, weights: WHOLE, order_free: false, ..CONSISTENT },
    Entry { name: "haproxy-ring-wt6-avalanche", options: r#"{"strategy":"ring","compat":"haproxy","hash":"wt6","avalanche":true}"#, ids: IdStyle::ServerId, weights: WHOLE, order_free: false, ..CONSISTENT },
    Entry { name: "haproxy-hash", options: r#"{"strategy":"hash","compat":"haproxy"}"#, ..KEYED_ANY },
    Entry { name: "haproxy-hash-crc32-avalanche", options: r#"{"strategy":"hash","compat":"haproxy","hash":"crc32","avalanche":true}"#, ids: IdStyle::ServerId, ..KEYED_ANY },
];

// ---------------------------------------------------------------------------------------------------------------
// Building Routers from an entry.

const NOW: f64 = 1_000.0;

fn entropy() -> u64 {
    0x5EED
}

fn options(e: &Entry) -> Json {
    serde_json::from_str(e.options).unwrap_or_else(|err| panic!("{}: bad options JSON: {err}", e.name))
}

/// The spec of node `i` of a pool, as JSON.
fn node(e: &Entry, i: usize, weight: f64) -> Json {
    let weight = if e.weightless { 1.0 } else { weight };
    match e.ids {
        IdStyle::Names => json!({ "id": format!("node-{i}/ü"), "weight": weight }),
        IdStyle::HostPort => json!({ "id": format!("10.0.{i}.1:11211"), "weight": weight }),
        IdStyle::Named => json!({ "id": format!("10.0.{i}.1:22122"), "name": format!("cache-{i}"), "weight": weight }),
        IdStyle::ServerId => json!({ "id": format!("s{i}"), "serverId": 100 + 3 * i, "weight": weight }),
    }
}

fn pool(e: &Entry, n: usize) -> Vec<Json> {
    (0..n).map(|i| node(e, i, e.weights[i % e.weights.len()])).collect()
}

fn id_of(spec: &Json) -> String {
    spec["id"].as_str().unwrap().to_owned()
}

fn to_value(j: Json) -> Value {
    serde_json::from_value(j).unwrap()
}

fn build_with(e: &Entry, mut opts: Json, nodes: &[Json]) -> Router {
    opts["nodes"] = Json::Array(nodes.to_vec());
    Router::from_value(&to_value(opts), entropy).unwrap_or_else(|err| panic!("{}: {err:?}", e.name))
}

fn build(e: &Entry, nodes: &[Json]) -> Router {
    build_with(e, options(e), nodes)
}

fn spec(j: &Json) -> NodeSpec {
    NodeSpec::from_value(&to_value(j.clone()), &"node").unwrap()
}

fn restore(e: &Entry, r: &Router) -> Router {
    Router::from_snapshot(&r.snapshot(), entropy, NOW).unwrap_or_else(|err| panic!("{}: {err:?}", e.name))
}

fn keys(n: usize, tag: &str) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| match i % 4 {
            0 => format!("/{tag}/user/{i}"),
            1 => format!("{tag}:{i}"),
            2 => format!("{tag}-ключ-{i}"),
            _ => format!("{tag}{i}?v=3&x={}", i * 7),
        })
        .map(String::into_bytes)
        .collect()
}

fn pick_id(r: &mut Router, key: &[u8]) -> Option<String> {
    r.pick(Some(key), NOW).unwrap().map(|i| r.id(i).to_owned())
}

fn owners(r: &mut Router, keys: &[Vec<u8>]) -> Vec<String> {
    keys.iter()
        .map(|k| pick_id(r, k).expect("a healthy pool picks"))
        .collect()
}

fn orders(r: &mut Router, keys: &[Vec<u8>], n: usize) -> Vec<Vec<String>> {
    keys.iter().map(|k| r.pick_n_ids(Some(k), n, NOW).unwrap()).collect()
}

/// A small deterministic generator for the tests' own choices (SplitMix64).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A membership change, on node indices of [`pool`] (new nodes take fresh indices).
#[derive(Debug, Clone, Copy)]
enum Op {
    Remove(usize),
    Add(usize),
    Weight(usize, f64),
}

/// Changes that reach every kind of state: a hole in the middle, a newcomer, a reweight, the first node gone.
const CHURN: [Op; 5] = [
    Op::Remove(3),
    Op::Add(50),
    Op::Weight(1, 3.0),
    Op::Remove(0),
    Op::Add(51),
];

/// Applies `op` to the Router and to the node list kept beside it.
fn apply(e: &Entry, r: &mut Router, nodes: &mut Vec<Json>, op: Op) {
    let id = |i: usize| id_of(&node(e, i, 1.0));
    match op {
        Op::Remove(i) => {
            assert!(r.remove(&id(i)), "{}: remove {}", e.name, id(i));
            nodes.retain(|n| id_of(n) != id(i));
        }
        Op::Add(i) => {
            let n = node(e, i, 2.0);
            r.add(spec(&n)).unwrap_or_else(|err| panic!("{}: add: {err:?}", e.name));
            nodes.push(n);
        }
        Op::Weight(i, w) if e.weightless => {
            let err = r
                .set_weight(&id(i), w)
                .expect_err("a weightless profile refuses a weight");
            assert_eq!(err.code, edgeroute::Code::InvalidWeight, "{}", e.name);
        }
        Op::Weight(i, w) => {
            r.set_weight(&id(i), w)
                .unwrap_or_else(|err| panic!("{}: setWeight: {err:?}", e.name));
            let n = nodes.iter_mut().find(|n| id_of(n) == id(i)).unwrap();
            n["weight"] = json!(w);
        }
    }
}

/// A request workload for strategies that ignore keys: acquire, report an outcome whose latency depends on the
/// node, end most requests. Returns the ids picked.
fn drive(r: &mut Router, steps: usize) -> Vec<String> {
    let mut live: Vec<String> = vec![];
    let mut out = Vec::with_capacity(steps);
    for step in 0..steps {
        let now = NOW + step as f64;
        let i = r.acquire(Some(b"ignored"), now).unwrap().expect("a healthy pool picks");
        let id = r.id(i).to_owned();
        let latency = 5.0 + (id.len() * 7 + i * 13) as f64 % 40.0;
        r.report(
            &id,
            Outcome {
                ok: true,
                latency_ms: Some(latency),
            },
            now,
        )
        .unwrap();
        live.push(id.clone());
        if step % 3 != 0 {
            let gone = live.swap_remove(step % live.len());
            r.end(&gone, None, now).unwrap();
        }
        out.push(id);
    }
    out
}

// ---------------------------------------------------------------------------------------------------------------
// The properties.

#[test]
fn the_list_covers_every_strategy_and_profile() {
    let used: Vec<Json> = CONFIGS.iter().map(options).collect();
    for s in edgeroute::names::strategies() {
        assert!(used.iter().any(|o| o["strategy"] == s), "no entry uses strategy {s:?}");
    }
    for c in edgeroute::names::compats() {
        assert!(used.iter().any(|o| o["compat"] == c), "no entry uses compat {c:?}");
    }
    for s in ["ring", "rendezvous", "maglev"] {
        assert!(
            used.iter().any(|o| o["strategy"] == s && !o["boundedLoad"].is_null()),
            "no bounded {s}"
        );
    }
    assert!(used.iter().any(|o| !o["secret"].is_null()));
    let mut names: Vec<&str> = CONFIGS.iter().map(|e| e.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), CONFIGS.len(), "entry names must be unique");
    // Every entry builds, with its pool and with the churn's new nodes.
    for e in CONFIGS {
        let mut nodes = pool(e, 8);
        let mut r = build(e, &nodes);
        for op in CHURN {
            apply(e, &mut r, &mut nodes, op);
        }
    }
}

#[test]
fn determinism_twins_and_snapshots() {
    let ks = keys(2000, "det");
    for e in CONFIGS {
        let nodes = pool(e, 7);
        let mut a = build(e, &nodes);
        let mut b = build(e, &nodes);
        let mut c = restore(e, &a);
        if e.keyed {
            let want = owners(&mut a, &ks);
            assert_eq!(owners(&mut b, &ks), want, "{}: twins differ", e.name);
            assert_eq!(
                owners(&mut c, &ks),
                want,
                "{}: restored from a snapshot differs",
                e.name
            );
            let want_n = orders(&mut a, &ks[..300], 3);
            assert_eq!(
                orders(&mut c, &ks[..300], 3),
                want_n,
                "{}: restored pickN differs",
                e.name
            );
            if e.history_free {
                let mut nodes = nodes.clone();
                for op in CHURN {
                    apply(e, &mut a, &mut nodes, op);
                }
                let mut d = restore(e, &a);
                assert_eq!(
                    owners(&mut d, &ks),
                    owners(&mut a, &ks),
                    "{}: restored after changes differs",
                    e.name
                );
            }
        } else {
            let want = drive(&mut a, 2000);
            assert_eq!(drive(&mut b, 2000), want, "{}: twins differ", e.name);
            assert_eq!(
                drive(&mut c, 2000),
                want,
                "{}: restored from a snapshot differs",
                e.name
            );
        }
    }
}

/// Entries whose strategy has no direct lookup (`Strategy::direct`): they read loads (bounded loads), or scan
/// every node anyway (Squid's CARP, Caddy, Varnish's hash director).
const NOT_DIRECT: &[&str] = &[
    "ring-bounded",
    "rendezvous-bounded-1.5",
    "maglev-bounded",
    "squid",
    "squid-named-equal",
    "varnish-hash",
    "caddy",
];

/// Entries whose `pickN` is not their preference walk over usable nodes (`Strategy::walk_picks`): those above,
/// rendezvous (a sort of scores) and nginx's hash (its own retries).
const NOT_DIRECT_N: &[&str] = &["rendezvous", "rendezvous-equal", "redis", "nginx-hash"];

#[test]
fn the_direct_pick_agrees_with_the_ctx_path() {
    // `pick` takes `Router::pick_direct` while the state is plain: it must give what the full path (a `Ctx` and
    // the strategy's `pick`) gives, for every keyed configuration, built and after every kind of change, and it
    // must count the pick as the full path does.
    let ks = keys(600, "direct");
    for e in CONFIGS.iter().filter(|e| e.keyed) {
        let mut nodes = pool(e, 7);
        let mut r = build(e, &nodes);
        let check = |r: &mut Router, stage: &str| {
            let mut taken = 0;
            for k in &ks {
                let full = r.pick_by_ctx(Some(k), NO_ZONE, NOW).unwrap();
                let before = r.stats(NOW).iter().map(|s| s.picks).sum::<f64>();
                if let Some(i) = r.pick_direct(k, NO_ZONE) {
                    taken += 1;
                    assert_eq!(
                        Some(i),
                        full,
                        "{} {stage}: direct and full paths differ for {k:?}",
                        e.name
                    );
                    let after = r.stats(NOW).iter().map(|s| s.picks).sum::<f64>();
                    assert_eq!(after, before + 1.0, "{} {stage}: a direct pick is counted once", e.name);
                }
            }
            let want = if NOT_DIRECT.contains(&e.name) { 0 } else { ks.len() };
            assert_eq!(taken, want, "{} {stage}: direct picks taken", e.name);
            let (mut full, mut direct) = (Vec::new(), Vec::new());
            let mut taken = 0;
            for (j, k) in ks.iter().enumerate().step_by(5) {
                let n = [1, 2, 3, 9][j % 4];
                r.pick_n_by_ctx(Some(k), NO_ZONE, n, NOW, &mut full).unwrap();
                if r.pick_n_direct(k, NO_ZONE, n, &mut direct) {
                    taken += 1;
                    assert_eq!(
                        direct, full,
                        "{} {stage}: direct and full pickN({n}) differ for {k:?}",
                        e.name
                    );
                }
            }
            let direct_n = !NOT_DIRECT.contains(&e.name) && !NOT_DIRECT_N.contains(&e.name);
            assert_eq!(
                taken,
                if direct_n { ks.len().div_ceil(5) } else { 0 },
                "{} {stage}: direct pickNs taken",
                e.name
            );
        };
        check(&mut r, "built");
        for op in CHURN {
            apply(e, &mut r, &mut nodes, op);
            check(&mut r, &format!("after {op:?}"));
        }
        // Not plain while a node is down: the full path only; plain again once it is back.
        let id = id_of(&nodes[0]);
        r.mark_down(&id, None, NOW).unwrap();
        assert_eq!(
            r.pick_direct(&ks[0], NO_ZONE),
            None,
            "{}: direct pick with a node down",
            e.name
        );
        assert!(
            !r.pick_n_direct(&ks[0], NO_ZONE, 2, &mut Vec::new()),
            "{}: direct pickN with a node down",
            e.name
        );
        r.mark_up(&id, NOW).unwrap();
        check(&mut r, "after a mark down and up");
    }
}

#[test]
fn picks_are_live_and_a_healthy_pool_always_picks() {
    let ks = keys(500, "live");
    for e in CONFIGS {
        let mut nodes = pool(e, 6);
        let mut r = build(e, &nodes);
        for (step, op) in CHURN.into_iter().enumerate() {
            apply(e, &mut r, &mut nodes, op);
            let live: HashSet<String> = nodes.iter().map(id_of).collect();
            assert_eq!(r.len(), live.len());
            let picked: Vec<String> = if e.keyed {
                owners(&mut r, &ks)
            } else {
                drive(&mut r, 500)
            };
            for id in &picked {
                assert!(
                    live.contains(id),
                    "{} after change {step}: picked {id}, not in the pool",
                    e.name
                );
            }
            // Even a pool of one picks it.
            if step == 0 {
                let only = &nodes[0];
                let mut one = build(e, std::slice::from_ref(only));
                let got = if e.keyed {
                    owners(&mut one, &ks[..50])
                } else {
                    drive(&mut one, 50)
                };
                assert!(got.iter().all(|g| *g == id_of(only)), "{}: pool of one", e.name);
            }
        }
    }
}

#[test]
fn pick_n_is_distinct_sized_and_led_by_pick() {
    let ks = keys(300, "pn");
    for e in CONFIGS {
        let nodes = pool(e, 6);
        let mut r = build(e, &nodes);
        for (k, key) in ks.iter().enumerate() {
            let n = 1 + k % (nodes.len() + 2);
            let got = r.pick_n_ids(Some(key), n, NOW).unwrap();
            assert_eq!(got.len(), n.min(nodes.len()), "{}: pickN({n}) gave {got:?}", e.name);
            let distinct: HashSet<&String> = got.iter().collect();
            assert_eq!(distinct.len(), got.len(), "{}: duplicates in {got:?}", e.name);
            if e.keyed {
                assert_eq!(
                    Some(&got[0]),
                    pick_id(&mut r, key).as_ref(),
                    "{}: pickN[0] is not pick",
                    e.name
                );
                // A longer list extends a shorter one: one preference order.
                let all = r.pick_n_ids(Some(key), nodes.len(), NOW).unwrap();
                assert_eq!(all[..got.len()], got[..], "{}: pickN prefixes differ", e.name);
            }
        }
        if !e.keyed {
            // The next pick depends on the state, so compare twins brought to the same state.
            for warm in 0..40 {
                let mut a = build(e, &nodes);
                let mut b = build(e, &nodes);
                drive(&mut a, warm);
                drive(&mut b, warm);
                let first = a.pick_n_ids(Some(b"k"), 3, NOW).unwrap()[0].clone();
                assert_eq!(Some(first), pick_id(&mut b, b"k"), "{} after {warm} requests", e.name);
            }
        }
    }
}

/// The node a change concerns, and which way its keys may move: `To` it (added, or its weight raised) or `From`
/// it (removed, or its weight lowered).
enum Changed<'a> {
    To(&'a str),
    From(&'a str),
}

/// Checks the keys that moved between `before` and `after` against a promise; `ideal` is the share of keys that
/// must move at the least.
fn check_moves(
    e: &Entry,
    what: &str,
    promise: Moves,
    before: &[String],
    after: &[String],
    changed: Changed,
    ideal: f64,
) {
    let moved: Vec<usize> = (0..before.len()).filter(|&i| before[i] != after[i]).collect();
    match promise {
        Moves::Minimal => {
            for &i in &moved {
                let ok = match changed {
                    Changed::To(id) => after[i] == id,
                    Changed::From(id) => before[i] == id,
                };
                assert!(ok, "{} {what}: a key moved {} -> {}", e.name, before[i], after[i]);
            }
        }
        Moves::AtMost(factor) => {
            let frac = moved.len() as f64 / before.len() as f64;
            assert!(
                frac <= factor * ideal,
                "{} {what}: {frac:.4} of the keys moved, over {factor} × the ideal {ideal:.4}",
                e.name
            );
        }
        Moves::Any => {}
    }
}

#[test]
fn changes_move_only_what_is_promised() {
    let ks = keys(20_000, "mv");
    for e in CONFIGS.iter().filter(|e| e.keyed) {
        let mut nodes = pool(e, 10);
        let total = |nodes: &[Json]| nodes.iter().map(|n| n["weight"].as_f64().unwrap()).sum::<f64>();
        let weight_of = |nodes: &[Json], id: &str| {
            nodes.iter().find(|n| id_of(n) == id).unwrap()["weight"]
                .as_f64()
                .unwrap()
        };
        let mut r = build(e, &nodes);
        let mut before = owners(&mut r, &ks);

        let gone = id_of(&nodes[4]);
        let ideal = weight_of(&nodes, &gone) / total(&nodes);
        apply(e, &mut r, &mut nodes, Op::Remove(4));
        let after = owners(&mut r, &ks);
        assert!(
            after.iter().all(|o| *o != gone),
            "{}: the removed node still picked",
            e.name
        );
        check_moves(e, "remove", e.on_remove, &before, &after, Changed::From(&gone), ideal);
        before = after;

        apply(e, &mut r, &mut nodes, Op::Add(60));
        let new = id_of(&node(e, 60, 1.0));
        let after = owners(&mut r, &ks);
        let ideal = weight_of(&nodes, &new) / total(&nodes);
        check_moves(e, "add", e.on_add, &before, &after, Changed::To(&new), ideal);
        before = after;

        let up = id_of(&nodes[2]);
        let (w0, t0) = (weight_of(&nodes, &up), total(&nodes));
        if e.weightless {
            apply(e, &mut r, &mut nodes, Op::Weight(2, w0 + 2.0));
            assert_eq!(owners(&mut r, &ks), before, "{}: a refused weight moved keys", e.name);
        } else {
            apply(e, &mut r, &mut nodes, Op::Weight(2, w0 + 2.0));
            let after = owners(&mut r, &ks);
            let ideal = (w0 + 2.0) / (t0 + 2.0) - w0 / t0;
            check_moves(
                e,
                "raise a weight",
                e.on_reweight,
                &before,
                &after,
                Changed::To(&up),
                ideal,
            );
            before = after;

            apply(e, &mut r, &mut nodes, Op::Weight(2, w0));
            let after = owners(&mut r, &ks);
            check_moves(
                e,
                "lower a weight",
                e.on_reweight,
                &before,
                &after,
                Changed::From(&up),
                ideal,
            );
            before = after;
        }

        // The first node: no neighbour on its left in the node table.
        let first = id_of(&nodes[0]);
        let ideal = weight_of(&nodes, &first) / total(&nodes);
        apply(e, &mut r, &mut nodes, Op::Remove(0));
        let after = owners(&mut r, &ks);
        check_moves(
            e,
            "remove the first",
            e.on_remove,
            &before,
            &after,
            Changed::From(&first),
            ideal,
        );
    }
}

#[test]
fn health_filtering_keeps_healthy_keys_and_fails_over_in_pick_n_order() {
    let ks = keys(2000, "hf");
    for e in CONFIGS {
        let nodes = pool(e, 8);
        let mut r = build(e, &nodes);
        let down = id_of(&nodes[2]);
        if e.keyed {
            let before = orders(&mut r, &ks, nodes.len());
            r.mark_down(&down, None, NOW).unwrap();
            for (k, pref) in ks.iter().zip(&before) {
                let want = pref.iter().find(|id| **id != down).unwrap();
                if !e.failover_keeps_others && pref[0] != down {
                    let got = pick_id(&mut r, k);
                    assert!(
                        got.as_ref().is_some_and(|g| *g != down),
                        "{}: picked a node marked down",
                        e.name
                    );
                    assert_eq!(
                        r.pick_n_ids(Some(k), 1, NOW).unwrap().first(),
                        got.as_ref(),
                        "{}",
                        e.name
                    );
                    continue;
                }
                assert_eq!(
                    pick_id(&mut r, k).as_ref(),
                    Some(want),
                    "{}: {pref:?} with {down} down",
                    e.name
                );
                let n = r.pick_n_ids(Some(k), nodes.len(), NOW).unwrap();
                assert_eq!(n.len(), nodes.len() - 1, "{}: pickN with a node down", e.name);
                assert!(!n.contains(&down), "{}: pickN lists a node marked down", e.name);
            }
            r.mark_up(&down, NOW).unwrap();
            let back: Vec<String> = before.iter().map(|p| p[0].clone()).collect();
            assert_eq!(
                owners(&mut r, &ks),
                back,
                "{}: keys did not come home after markUp",
                e.name
            );
        } else {
            r.mark_down(&down, None, NOW).unwrap();
            let picked = drive(&mut r, 1000);
            assert!(
                picked.iter().all(|p| *p != down),
                "{}: picked a node marked down",
                e.name
            );
            r.mark_up(&down, NOW).unwrap();
            assert!(
                drive(&mut r, 1000).contains(&down),
                "{}: never picked after markUp",
                e.name
            );
        }
    }
}

#[test]
fn add_then_remove_restores_and_rebuilds_agree() {
    let ks = keys(2000, "rb");
    for e in CONFIGS.iter().filter(|e| e.keyed) {
        let mut nodes = pool(e, 8);
        let mut r = build(e, &nodes);
        for phase in ["fresh", "after changes"] {
            if e.add_remove_undoes {
                let before = (owners(&mut r, &ks), orders(&mut r, &ks[..300], 3));
                let extra = node(e, 70, 2.0);
                r.add(spec(&extra)).unwrap();
                assert!(r.remove(&id_of(&extra)));
                let after = (owners(&mut r, &ks), orders(&mut r, &ks[..300], 3));
                assert!(
                    before == after,
                    "{} {phase}: add then remove changed the mapping",
                    e.name
                );
            }
            if phase == "fresh" {
                for op in CHURN {
                    apply(e, &mut r, &mut nodes, op);
                }
            }
        }
        if e.order_free {
            let mut reversed: Vec<Json> = nodes.iter().rev().cloned().collect();
            reversed.rotate_left(2);
            let mut shuffled = build(e, &reversed);
            assert_eq!(
                owners(&mut shuffled, &ks),
                owners(&mut r, &ks),
                "{}: node order matters",
                e.name
            );
            assert_eq!(
                orders(&mut shuffled, &ks[..300], 4),
                orders(&mut r, &ks[..300], 4),
                "{}: node order matters to pickN",
                e.name
            );
        }
        if e.history_free {
            let mut direct = build(e, &nodes);
            assert_eq!(
                owners(&mut direct, &ks),
                owners(&mut r, &ks),
                "{}: built directly differs",
                e.name
            );
            assert_eq!(
                orders(&mut direct, &ks[..300], 4),
                orders(&mut r, &ks[..300], 4),
                "{}: pickN built directly differs",
                e.name
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Oracles.

/// The key hash the entry's options select: XXH3-64 with `seed` (0 by default), or SipHash-2-4 under `secret`.
fn oracle_key_hash(opts: &Json, key: &[u8]) -> u64 {
    match opts["secret"].as_str() {
        Some(hex) => {
            let mut k = [0u8; 16];
            for (i, b) in k.iter_mut().enumerate() {
                *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
            }
            siphash24(&Secret(k), key)
        }
        None => xxh3_key(key, opts["seed"].as_u64().unwrap_or(0)),
    }
}

fn weights(nodes: &[Json]) -> Vec<(String, f64)> {
    nodes
        .iter()
        .map(|n| (id_of(n), n["weight"].as_f64().unwrap()))
        .collect()
}

/// Maglev's lookup table, Pseudocode 1 of Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
/// Balancer" (NSDI 2016, §3.4), written out as plainly as possible, with the node hashes and weighted turns that
/// src/strategy/maglev.rs documents:
/// - node i's preference list is permutation[i][j] = (offset + j × skip) mod M, offset = h1(id) mod M and
///   skip = h2(id) mod (M − 1) + 1, with h1, h2 = ring point hashes 0 and 1 of the id;
/// - nodes take turns in id (byte) order; at each turn a node gains w / w_max credit and, per whole credit,
///   claims its next preferred slot that is still empty; the table is done when every slot is claimed.
///
/// Equal weights give one claim per node per round: the paper's loop unchanged.
fn naive_maglev(nodes: &[(String, f64)], m: u64, seed: u64) -> Vec<String> {
    let mut order: Vec<&(String, f64)> = nodes.iter().collect();
    order.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let offset: Vec<u64> = order.iter().map(|n| point_hash(n.0.as_bytes(), 0, seed) % m).collect();
    let skip: Vec<u64> = order
        .iter()
        .map(|n| point_hash(n.0.as_bytes(), 1, seed) % (m - 1) + 1)
        .collect();
    let permutation = |i: usize, j: u64| (offset[i] + j * skip[i]) % m;
    let w_max = order.iter().map(|n| n.1).fold(0.0, f64::max);
    let mut next = vec![0u64; order.len()];
    let mut credit = vec![0.0f64; order.len()];
    let mut entry: Vec<Option<usize>> = vec![None; m as usize];
    let mut filled = 0;
    'populate: loop {
        for i in 0..order.len() {
            credit[i] += order[i].1 / w_max;
            while credit[i] >= 1.0 {
                credit[i] -= 1.0;
                let mut c = permutation(i, next[i]);
                while entry[c as usize].is_some() {
                    next[i] += 1;
                    c = permutation(i, next[i]);
                }
                entry[c as usize] = Some(i);
                next[i] += 1;
                filled += 1;
                if filled == m {
                    break 'populate;
                }
            }
        }
    }
    entry.into_iter().map(|o| order[o.unwrap()].0.clone()).collect()
}

/// Compares a maglev Router with the naive table: every slot when the table is small (a key is found for each
/// slot), else `sample` keys.
fn compare_maglev(what: &str, r: &mut Router, opts: &Json, nodes: &[Json], sample: usize) {
    let m = opts["tableSize"].as_u64().unwrap_or(65537);
    let seed = opts["seed"].as_u64().unwrap_or(0);
    let table = naive_maglev(&weights(nodes), m, seed);
    if m <= 5000 {
        let mut covered = vec![false; m as usize];
        let mut left = m;
        let mut k = 0u64;
        while left > 0 {
            let key = format!("slot-{k}");
            k += 1;
            let slot = (oracle_key_hash(opts, key.as_bytes()) % m) as usize;
            if covered[slot] {
                continue;
            }
            covered[slot] = true;
            left -= 1;
            let got = pick_id(r, key.as_bytes()).unwrap();
            assert_eq!(got, table[slot], "{what}: slot {slot} of {m}");
            assert!(k < 100 * m, "{what}: keys do not reach every slot");
        }
    } else {
        for key in keys(sample, "mg") {
            let slot = (oracle_key_hash(opts, &key) % m) as usize;
            assert_eq!(pick_id(r, &key).unwrap(), table[slot], "{what}: slot {slot} of {m}");
        }
    }
}

#[test]
fn maglev_matches_the_papers_table() {
    // Every maglev entry of the list (bounded ones with nothing in flight), through the churn.
    for e in CONFIGS.iter().filter(|e| e.oracle == Oracle::Maglev) {
        let opts = options(e);
        let mut nodes = pool(e, 9);
        let mut r = build(e, &nodes);
        compare_maglev(e.name, &mut r, &opts, &nodes, 20_000);
        for (step, op) in CHURN.into_iter().enumerate() {
            apply(e, &mut r, &mut nodes, op);
            compare_maglev(&format!("{} after change {step}", e.name), &mut r, &opts, &nodes, 5000);
        }
    }
    // Random pools on small tables, every slot compared, through random changes with fractional weights.
    let mut g = Gen(16);
    for round in 0..24 {
        let m = [7u64, 13, 101, 1009][round % 4];
        let seed = g.next() >> 12;
        let opts = json!({ "strategy": "maglev", "tableSize": m, "seed": seed });
        let w = [0.25, 1.0, 1.5, 3.0, 0.001];
        let max_nodes = (m as usize - 1).min(12);
        let mut nodes: Vec<Json> = (0..1 + g.below(max_nodes))
            .map(|i| json!({ "id": format!("r{round}n{i}"), "weight": w[g.below(5)] }))
            .collect();
        let e = &CONFIGS.iter().find(|e| e.name == "maglev").unwrap();
        let mut r = build_with(e, opts.clone(), &nodes);
        for step in 0..6 {
            compare_maglev(&format!("round {round} step {step} M {m}"), &mut r, &opts, &nodes, 0);
            match g.below(3) {
                0 if nodes.len() < max_nodes => {
                    let n = json!({ "id": format!("r{round}new{step}"), "weight": w[g.below(5)] });
                    r.add(spec(&n)).unwrap();
                    nodes.push(n);
                }
                1 if nodes.len() > 1 => {
                    let gone = nodes.remove(g.below(nodes.len()));
                    assert!(r.remove(&id_of(&gone)));
                }
                _ => {
                    let i = g.below(nodes.len());
                    let nw = w[g.below(5)];
                    r.set_weight(&id_of(&nodes[i]), nw).unwrap();
                    nodes[i]["weight"] = json!(nw);
                }
            }
        }
    }
}

/// Modulo hashing as src/strategy/modulo.rs defines it: node i owns `weight_i` consecutive slots, in node order;
/// a key goes to slot hash mod Σ weights; the preference order is the owner, then the following nodes in node
/// order, wrapping.
struct NaiveModulo {
    ids: Vec<String>,
    /// One entry per slot: the index of the node that owns it.
    slots: Vec<usize>,
}

impl NaiveModulo {
    fn new(nodes: &[(String, f64)]) -> NaiveModulo {
        let mut slots = vec![];
        for (i, (_, w)) in nodes.iter().enumerate() {
            for _ in 0..*w as usize {
                slots.push(i);
            }
        }
        NaiveModulo {
            ids: nodes.iter().map(|n| n.0.clone()).collect(),
            slots,
        }
    }

    fn order(&self, h: u64) -> Vec<String> {
        let owner = self.slots[(h % self.slots.len() as u64) as usize];
        (0..self.ids.len())
            .map(|k| self.ids[(owner + k) % self.ids.len()].clone())
            .collect()
    }
}

fn compare_modulo(what: &str, r: &mut Router, opts: &Json, nodes: &[Json], ks: &[Vec<u8>]) {
    let naive = NaiveModulo::new(&weights(nodes));
    for (k, key) in ks.iter().enumerate() {
        let want = naive.order(oracle_key_hash(opts, key));
        assert_eq!(pick_id(r, key).as_ref(), Some(&want[0]), "{what}: key {k}");
        if k % 4 == 0 {
            let n = 1 + k % want.len();
            assert_eq!(
                r.pick_n_ids(Some(key), n, NOW).unwrap(),
                want[..n],
                "{what}: pickN key {k}"
            );
        }
    }
}

#[test]
fn hash_matches_naive_modulo() {
    let ks = keys(2000, "mod");
    for e in CONFIGS.iter().filter(|e| e.oracle == Oracle::Modulo) {
        let opts = options(e);
        let mut nodes = pool(e, 7);
        let mut r = build(e, &nodes);
        compare_modulo(e.name, &mut r, &opts, &nodes, &ks);
        for (step, op) in CHURN.into_iter().enumerate() {
            apply(e, &mut r, &mut nodes, op);
            compare_modulo(&format!("{} after change {step}", e.name), &mut r, &opts, &nodes, &ks);
        }
    }
    let mut g = Gen(5);
    let e = &CONFIGS.iter().find(|e| e.name == "hash").unwrap();
    for round in 0..20 {
        let opts = json!({ "strategy": "hash", "seed": g.next() >> 12 });
        let mut nodes: Vec<Json> = (0..1 + g.below(9))
            .map(|i| json!({ "id": format!("m{round}-{i}"), "weight": 1 + g.below(5) }))
            .collect();
        let mut r = build_with(e, opts.clone(), &nodes);
        for step in 0..5 {
            compare_modulo(&format!("round {round} step {step}"), &mut r, &opts, &nodes, &ks[..300]);
            if nodes.len() > 1 && g.below(2) == 0 {
                let gone = nodes.remove(g.below(nodes.len()));
                assert!(r.remove(&id_of(&gone)));
            } else {
                let n = json!({ "id": format!("m{round}-new{step}"), "weight": 1 + g.below(5) });
                r.add(spec(&n)).unwrap();
                nodes.push(n);
            }
        }
    }
}

/// Consistent hashing with bounded loads (Mirrokni, Thorup & Zadimoghaddam, "Consistent Hashing with Bounded
/// Loads", SODA 2018), over a preference order, with the capacity src/strategy/bounded_load.rs documents: with
/// L requests in flight on the usable nodes, the request being placed may go to node i only while
/// `inflight_i < ceil(c × (L + 1) × w_i / Σw)` (Σw over the usable nodes); it goes to the first node in the
/// key's preference order with room. Nodes marked down have no room and do not count in L or Σw.
struct NaiveBounded {
    c: f64,
    /// (id, weight) in node-table order (the order the Router sums them in).
    nodes: Vec<(String, f64)>,
    inflight: HashMap<String, u32>,
    down: HashSet<String>,
}

impl NaiveBounded {
    fn has_room(&self, id: &str) -> bool {
        if self.down.contains(id) {
            return false;
        }
        let usable = self.nodes.iter().filter(|n| !self.down.contains(&n.0));
        let (mut l, mut w_sum) = (0u64, 0.0);
        for (nid, w) in usable {
            l += self.inflight[nid] as u64;
            w_sum += w;
        }
        let w = self.nodes.iter().find(|n| n.0 == id).unwrap().1;
        let cap = (self.c * (l + 1) as f64 * w / w_sum).ceil();
        (self.inflight[id] as f64) < cap
    }

    fn pick(&self, preference: &[String]) -> Option<String> {
        preference.iter().find(|id| self.has_room(id)).cloned()
    }

    /// pickN: the usable nodes with room in preference order, then the usable full ones in preference order.
    fn pick_n(&self, preference: &[String], n: usize) -> Vec<String> {
        let usable: Vec<&String> = preference.iter().filter(|id| !self.down.contains(*id)).collect();
        let (room, full): (Vec<&String>, Vec<&String>) = usable.into_iter().partition(|id| self.has_room(id));
        room.into_iter().chain(full).take(n).cloned().collect()
    }
}

#[test]
fn bounded_loads_match_the_naive_rule() {
    let bounded: Vec<&Entry> = CONFIGS
        .iter()
        .filter(|e| !options(e)["boundedLoad"].is_null())
        .collect();
    assert!(bounded.len() >= 3);
    for e in bounded {
        let opts = options(e);
        let c = match &opts["boundedLoad"] {
            Json::Bool(true) => 1.25, // README: `boundedLoad: true` is c = 1.25
            v => v.as_f64().unwrap(),
        };
        let nodes = pool(e, 6);
        let mut r = build(e, &nodes);
        let mut plain_opts = opts.clone();
        plain_opts.as_object_mut().unwrap().remove("boundedLoad");
        // The inner strategy's preference order: pickN of the unbounded Router, which stays healthy and idle.
        let mut plain = build_with(e, plain_opts, &nodes);
        let mut naive = NaiveBounded {
            c,
            nodes: weights(&nodes),
            inflight: nodes.iter().map(|n| (id_of(n), 0)).collect(),
            down: HashSet::new(),
        };
        let mut g = Gen(77);
        let mut live: Vec<String> = vec![];
        let mut spilled = 0;
        let down = id_of(&nodes[1]);
        for step in 0..6000 {
            if step == 2000 {
                r.mark_down(&down, None, NOW).unwrap();
                naive.down.insert(down.clone());
            }
            if step == 4000 {
                r.mark_up(&down, NOW).unwrap();
                naive.down.clear();
            }
            // Hot keys: half the requests share 3 keys, which unbounded hashing would pile onto few nodes.
            let key = if g.below(2) == 0 {
                format!("hot{}", g.below(3))
            } else {
                format!("k{}", g.below(5000))
            };
            let pref = plain.pick_n_ids(Some(key.as_bytes()), nodes.len(), NOW).unwrap();
            if step % 7 == 0 {
                let n = 1 + g.below(nodes.len());
                let got = r.pick_n_ids(Some(key.as_bytes()), n, NOW).unwrap();
                assert_eq!(
                    got,
                    naive.pick_n(&pref, n),
                    "{} step {step}: pickN({n}) of {key}",
                    e.name
                );
            }
            let i = r.acquire(Some(key.as_bytes()), NOW).unwrap();
            let got = i.map(|i| r.id(i).to_owned());
            let want = naive.pick(&pref);
            assert_eq!(
                got, want,
                "{} step {step}: {key} with loads {:?}",
                e.name, naive.inflight
            );
            let id = got.unwrap();
            spilled += (id != pref[0]) as usize;
            *naive.inflight.get_mut(&id).unwrap() += 1;
            live.push(id);
            // Leases end at random; a few dozen stay in flight, so the caps bind.
            while live.len() > 60 || (!live.is_empty() && g.below(3) == 0) {
                let gone = live.swap_remove(g.below(live.len()));
                r.end(&gone, None, NOW).unwrap();
                *naive.inflight.get_mut(&gone).unwrap() -= 1;
            }
        }
        assert!(spilled > 500, "{}: the bound rarely engaged ({spilled} spills)", e.name);
        for id in live.drain(..) {
            r.end(&id, None, NOW).unwrap();
        }
        let ks = keys(1000, "home");
        assert_eq!(
            owners(&mut r, &ks),
            owners(&mut plain, &ks),
            "{}: keys did not come home",
            e.name
        );
    }
}

/// A fractional weight is refused, when building, adding and reweighting alike, in the words of what the
/// strategy or the copied system does with a weight: jump's buckets, hash's slots, each profile's integer weight
/// and its points or slots. (Every profile used to say "buckets", which none of them has.)
#[test]
fn fractional_weights_are_refused_in_each_strategy_and_profile_own_words() {
    let cases = [
        (
            json!({ "strategy": "jump" }),
            "strategy \"jump\" gives each node `weight` buckets",
        ),
        (
            json!({ "strategy": "hash" }),
            "strategy \"hash\" gives each node `weight` slots",
        ),
        (
            json!({ "strategy": "ring", "compat": "libketama" }),
            "compat \"libketama\" copies libketama, whose weight is the integer memory column",
        ),
        (
            json!({ "strategy": "ring", "compat": "twemproxy" }),
            "compat \"twemproxy\" copies nutcracker, whose weight is the integer after host:port: (distribution ketama",
        ),
        (
            json!({ "strategy": "hash", "compat": "twemproxy" }),
            "compat \"twemproxy\" copies nutcracker, whose weight is the integer after host:port: (distribution modula",
        ),
        (
            json!({ "strategy": "ring", "compat": "nginx" }),
            "compat \"nginx\" copies nginx, whose weight= is an integer (hash consistent",
        ),
        (
            json!({ "strategy": "hash", "compat": "nginx" }),
            "compat \"nginx\" copies nginx, whose weight= is an integer (hash without consistent",
        ),
        (
            json!({ "strategy": "ring", "compat": "haproxy" }),
            "compat \"haproxy\" copies HAProxy, whose weight is an integer from 1 to 256 (hash-type consistent",
        ),
        (
            json!({ "strategy": "hash", "compat": "haproxy" }),
            "compat \"haproxy\" copies HAProxy, whose weight is an integer from 1 to 256 (hash-type map-based",
        ),
    ];
    let node = |id: &str, w: f64| json!({ "id": id, "weight": w });
    for (opts, why) in cases {
        let with = |nodes: Vec<Json>| {
            let mut o = opts.clone();
            o["nodes"] = Json::Array(nodes);
            Router::from_value(&to_value(o), entropy)
        };
        let built = with(vec![node("10.0.0.1:11211", 1.5)]).unwrap_err();
        let mut r = with(vec![node("10.0.0.1:11211", 1.0)]).unwrap();
        let added = r.add(spec(&node("10.0.0.2:11211", 2.5))).unwrap_err();
        let reweighted = r.set_weight("10.0.0.1:11211", 0.5).unwrap_err();
        for (what, err) in [("build", built), ("add", added), ("setWeight", reweighted)] {
            assert_eq!(err.code, edgeroute::Code::InvalidWeight, "{opts} {what}");
            assert!(
                err.message.contains(why) && err.message.ends_with(", so weights must be whole numbers"),
                "{opts} {what}: {}",
                err.message
            );
        }
        assert_eq!(r.len(), 1, "{opts}: a refused change changes nothing");
    }
}

/// `set_nodes` gives what the `remove`, `set_weight` and `add` calls it stands for give, in its documented
/// order (removals, reweights, then additions in the listed order), for every strategy and profile (one rebuild
/// for the rebuilding ones, the incremental calls for the others; jump's slot reuse makes the order matter), and
/// a refused batch changes nothing.
#[test]
fn set_nodes_equals_the_calls_it_stands_for() {
    let ks = keys(1500, "sn");
    let differ = |a: &[String], b: &[String]| a.iter().zip(b).filter(|(x, y)| x != y).count();
    for e in CONFIGS.iter() {
        let start = pool(e, 8);
        let mut nodes = start.clone();
        let mut one_by_one = build(e, &nodes);
        for op in [
            Op::Remove(0),
            Op::Remove(3),
            Op::Weight(1, 3.0),
            Op::Add(50),
            Op::Add(51),
        ] {
            apply(e, &mut one_by_one, &mut nodes, op);
        }
        let mut batch = build(e, &start);
        let specs: Vec<NodeSpec> = nodes.iter().map(spec).collect();
        let c = batch
            .set_nodes(specs.clone())
            .unwrap_or_else(|err| panic!("{}: set_nodes: {err:?}", e.name));
        let reweighted = u32::from(!e.weightless);
        assert_eq!((c.added, c.removed, c.reweighted), (2, 2, reweighted), "{}", e.name);
        assert_eq!(batch.nodes(), one_by_one.nodes(), "{}: node tables differ", e.name);
        if e.keyed {
            let (a, b) = (owners(&mut batch, &ks), owners(&mut one_by_one, &ks));
            assert_eq!(differ(&a, &b), 0, "{}: keys whose owner differs", e.name);
            assert!(
                orders(&mut batch, &ks[..300], 3) == orders(&mut one_by_one, &ks[..300], 3),
                "{}: pickN differs",
                e.name
            );
        }
        // The same set again changes nothing; a repeated id is refused and changes nothing.
        assert_eq!(
            batch.set_nodes(specs.clone()).unwrap(),
            edgeroute::NodeChanges::default()
        );
        let before = batch.nodes();
        let mut bad = specs.clone();
        bad.truncate(2);
        bad.push(specs[0].clone());
        let err = batch.set_nodes(bad).unwrap_err();
        assert_eq!(err.code, edgeroute::Code::DuplicateId, "{}", e.name);
        assert_eq!(batch.nodes(), before, "{}: a refused batch changed the table", e.name);
        if e.keyed {
            let (a, b) = (owners(&mut batch, &ks), owners(&mut one_by_one, &ks));
            assert_eq!(differ(&a, &b), 0, "{}: after a refusal", e.name);
        }
    }
}
