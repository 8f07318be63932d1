//! Arbitrary sequences of operations on one Router: add, remove, setWeight, pick, pickN, acquire/begin/end,
//! report, markDown/markUp, and a clock that moves forward, jumps or goes backwards; for every strategy, with and
//! without bounded loads, a secret, compat "redis" and the nginx/twemproxy/libketama/haproxy/squid/caddy/varnish/ats/envoy profiles. Invariants checked after every step: picks return live
//! nodes, pickN is distinct, bounded by n and by the pool, and starts with pick for the hashing strategies; a
//! Router rebuilt from the same nodes maps keys the same way (while no health or load state is in play).
//! Without a profile, nodes may have zones and priority levels, keyless strategies may slow-start, and picks
//! name a zone (an index, a stale one past the end, or none): `pick_in`/`pick_n_in` hold the same invariants.
#![no_main]
use edgeroute::compat::Compat;
use edgeroute::hash::Secret;
use edgeroute::node::ramp::SlowStart;
use edgeroute::router::NO_ZONE;
use edgeroute::Outcome;
use edgeroute::{Config, NodeSpec, Router, StrategyKind};
use libfuzzer_sys::fuzz_target;

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&b, rest)) = self.0.split_first() else {
            return 0;
        };
        self.0 = rest;
        b
    }
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = (self.byte() as usize % (max + 1)).min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a.to_vec()
    }
    fn f64(&mut self) -> f64 {
        let mut a = [0u8; 8];
        for x in a.iter_mut() {
            *x = self.byte();
        }
        f64::from_le_bytes(a)
    }
}

// Small weights keep each input fast (a weight of 1e6 is a million jump buckets); config.rs fuzzes the limits.
const WEIGHTS: [f64; 7] = [1.0, 2.0, 3.0, 0.5, 7.0, 1.0 / 3.0, 40.0];

/// A zone and a priority level for a node from one byte: zones a, b, c or none, levels 0 to 2.
fn place(spec: &mut NodeSpec, b: u8) {
    spec.zone = [None, Some("a"), Some("b"), Some("c")][b as usize % 4].map(Into::into);
    spec.priority = (b / 4) % 3;
}

/// The zone index a pick names: one of the Router's (or past them: a stale index), past every zone, or none.
fn zone_of(r: &Router, b: u8) -> u32 {
    match b % 6 {
        5 => NO_ZONE,
        4 => r.zones().len() as u32 + u32::from(b >> 7),
        z => z as u32,
    }
}

/// Ids are `host:port` so that compat ats (whose parents are) takes them too.
fn id(b: u8) -> String {
    format!("n{}:80", b % 24)
}

fn config(inp: &mut Input) -> Config {
    let kind = StrategyKind::ALL[inp.byte() as usize % StrategyKind::ALL.len()];
    let flags = inp.byte();
    // The other systems' profiles (ring or hash, whole weights, no tuning options).
    let compat = match (flags >> 4) % 11 {
        1 if matches!(kind, StrategyKind::Ring | StrategyKind::Hash) => Some(Compat::Nginx),
        2 if matches!(kind, StrategyKind::Ring | StrategyKind::Hash) => Some(Compat::Twemproxy),
        3 if kind == StrategyKind::Ring => Some(Compat::Libketama),
        4 if matches!(kind, StrategyKind::Ring | StrategyKind::Hash) => Some(Compat::Haproxy),
        5 if kind == StrategyKind::Rendezvous => Some(Compat::Squid),
        6 if kind == StrategyKind::Rendezvous => Some(Compat::Caddy),
        7 if matches!(kind, StrategyKind::Ring | StrategyKind::Hash) => Some(Compat::Varnish),
        8 if kind == StrategyKind::Ring => Some(Compat::Ats),
        9 if matches!(kind, StrategyKind::Ring | StrategyKind::Maglev) => Some(Compat::Envoy),
        _ => None,
    };
    let whole = matches!(kind, StrategyKind::Jump | StrategyKind::Hash) || compat.is_some();
    let nodes: Vec<NodeSpec> = (0..1 + inp.byte() % 8)
        .map(|i| {
            let w = WEIGHTS[inp.byte() as usize % 5];
            // Caddy's upstreams have no weights.
            let w = if compat == Some(Compat::Caddy) { 1.0 } else { w };
            NodeSpec::new(&id(i), if whole { w.ceil() } else { w })
        })
        .collect();
    let mut cfg = Config::new(kind, nodes);
    cfg.vnodes = 1 + (inp.byte() as u32 % 64);
    cfg.table_size = [101, 251, 1009, 65537][inp.byte() as usize % 4];
    if flags & 1 != 0 {
        cfg.seed = Some(inp.byte() as u64);
    }
    if flags & 2 != 0 && kind.can_bound() {
        cfg.bounded_load = Some(1.0 + (1 + inp.byte() % 100) as f64 / 50.0);
    }
    if let Some(c) = compat {
        cfg.compat = Some(c);
        if c == Compat::Twemproxy {
            // Ids like "n3" are no host:port; a name is the identity twemproxy hashes.
            for n in cfg.nodes.iter_mut() {
                n.name = Some(n.id.clone());
            }
        }
        if c == Compat::Haproxy && flags & 1 != 0 {
            cfg.nodes[0].server_id = Some(2);
        }
        if c == Compat::Varnish && kind == StrategyKind::Ring && flags & 1 != 0 {
            cfg.replicas = 1 + inp.byte() as u32;
        }
        cfg.vnodes = edgeroute::strategy::ring::DEFAULT_VNODES;
        cfg.seed = None;
        cfg.bounded_load = None;
    } else if flags & 4 != 0 && kind == StrategyKind::Rendezvous {
        cfg.compat = Some(Compat::Redis);
    } else if flags & 8 != 0 && kind.needs_key() {
        cfg.secret = Some(Secret([inp.byte(); 16]));
    }
    if cfg.compat.is_none() && inp.byte() & 1 != 0 {
        for n in cfg.nodes.iter_mut() {
            place(n, inp.byte());
        }
        if !kind.needs_key() && inp.byte() & 1 != 0 {
            cfg.slow_start = Some(SlowStart {
                window_ms: 1.0 + inp.byte() as f64 * 50.0,
                min_percent: 1.0 + (inp.byte() % 100) as f64,
            });
        }
    }
    // Config::from_value is the gate in production; round-trip through it so only accepted configs run.
    Config::from_value(&cfg.to_value(&cfg.nodes)).expect("a config built from valid parts is accepted")
}

fn live(r: &Router, i: usize) -> String {
    assert!(i < r.len(), "index {i} out of {}", r.len());
    r.id(i).to_owned()
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let cfg = config(&mut inp);
    let kind = cfg.strategy;
    let zoned = cfg.compat.is_none();
    let rebuildable = matches!(
        kind,
        StrategyKind::Ring | StrategyKind::Rendezvous | StrategyKind::Maglev | StrategyKind::Hash
    ) && cfg.bounded_load.is_none();
    let trace = std::env::var_os("FUZZ_TRACE").is_some();
    if trace {
        eprintln!("config {:?}", cfg.to_value(&cfg.nodes));
    }
    let Ok(mut r) = Router::new(cfg.clone(), || 7) else {
        return;
    };
    let mut now = 1e12;
    let mut healthy = true; // no health event and nothing in flight since the start
    let mut out = Vec::new();
    for _ in 0..64 {
        if inp.0.is_empty() {
            break;
        }
        let op = inp.byte();
        let key = inp.bytes(40);
        let b = inp.byte();
        if trace {
            eprintln!("op {} key {key:?} b {b} nodes {:?}", op % 14, r.nodes());
        }
        match op % 14 {
            0 => {
                let w = WEIGHTS[inp.byte() as usize % WEIGHTS.len()];
                let mut spec = NodeSpec::new(&id(b), w);
                if zoned {
                    place(&mut spec, inp.byte());
                }
                let added = r.add(spec);
                if trace {
                    eprintln!("add {} {w}: {added:?}", id(b));
                }
            }
            1 => {
                r.remove(&id(b));
            }
            2 => {
                let _ = r.set_weight(&id(b), WEIGHTS[inp.byte() as usize % WEIGHTS.len()]);
            }
            3 | 4 => {
                let zone = zone_of(&r, inp.byte());
                let got = r.pick_in(Some(&key), zone, now).unwrap();
                // Empty pool: nothing. Healthy pool: always a node. (Marks and ejections may leave none usable.)
                assert!(!(r.is_empty() && got.is_some()));
                assert!(
                    !(healthy && !r.is_empty() && got.is_none()),
                    "a healthy pool picked nothing"
                );
                if let Some(i) = got {
                    live(&r, i);
                }
            }
            5 | 6 => {
                let n = 1 + b as usize % 12;
                let zone = zone_of(&r, inp.byte());
                r.pick_n_in(Some(&key), zone, n, now, &mut out).unwrap();
                assert!(out.len() <= n && out.len() <= r.len());
                let ids: Vec<String> = out.iter().map(|&i| live(&r, i)).collect();
                let mut d = ids.clone();
                d.sort();
                d.dedup();
                assert_eq!(d.len(), ids.len(), "pickN repeats a node: {ids:?}");
                if healthy && kind.needs_key() && !r.is_empty() {
                    assert_eq!(out.len(), n.min(r.len()));
                    let first = r.pick_in(Some(&key), zone, now).unwrap().unwrap();
                    assert_eq!(out[0], first, "pickN starts with pick");
                }
            }
            7 => {
                healthy = false;
                if let Ok(Some(i)) = r.acquire(Some(&key), now) {
                    let id = live(&r, i);
                    if b & 1 == 0 {
                        let _ = r.end(
                            &id,
                            Some(Outcome {
                                ok: b & 2 == 0,
                                latency_ms: Some((b % 50) as f64),
                            }),
                            now,
                        );
                    }
                }
            }
            8 => {
                healthy = false;
                let _ = r.begin(&id(b));
                let _ = r.end(&id(inp.byte()), None, now);
            }
            9 => {
                healthy = false;
                let lat = inp.f64();
                let _ = r.report(
                    &id(b),
                    Outcome {
                        ok: b & 1 == 0,
                        latency_ms: lat.is_finite().then_some(lat.abs() % 1e6),
                    },
                    now,
                );
            }
            10 => {
                healthy = false;
                let for_ms = (b & 1 == 0).then_some(1.0 + inp.byte() as f64 * 100.0);
                let _ = r.mark_down(&id(b), for_ms, now);
            }
            11 => {
                let _ = r.mark_up(&id(b), now);
            }
            12 => {
                // The clock: forward a little, a big jump, or backwards.
                now += match b % 4 {
                    0 => b as f64,
                    1 => 1e9,
                    2 => -(b as f64) * 1000.0,
                    _ => inp.f64().clamp(-1e12, 1e12).max(-now + 1.0),
                };
                if !now.is_finite() {
                    now = 1e12;
                }
            }
            13 if zoned && b & 1 == 0 => {
                // setNodes: the pool with every node moved to another zone or level (they leave and join).
                let mut specs = r.nodes();
                for s in specs.iter_mut() {
                    place(s, inp.byte());
                }
                r.set_nodes(specs).unwrap();
            }
            _ => {
                if rebuildable && healthy && !r.is_empty() {
                    let mut fresh_cfg = cfg.clone();
                    fresh_cfg.nodes = r.nodes();
                    let mut fresh = Router::new(fresh_cfg, || 7).unwrap();
                    for k in 0..8u8 {
                        let key = [k, b];
                        let a = r.pick(Some(&key), now).unwrap().map(|i| r.id(i).to_owned());
                        let f = fresh.pick(Some(&key), now).unwrap().map(|i| fresh.id(i).to_owned());
                        assert_eq!(a, f, "{kind:?}: a rebuild from the same nodes maps {key:?} elsewhere");
                    }
                }
            }
        }
    }
});
