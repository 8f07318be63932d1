//! Passive health, manual marks, panic, least-outstanding and snapshots, on the native core with an explicit
//! clock.

use edgeroute::node::health::HealthConfig;
use edgeroute::{Config, NodeSpec, Outcome, Router, StrategyKind};

const FAIL: Outcome = Outcome {
    ok: false,
    latency_ms: Some(5.0),
};
const OK: Outcome = Outcome {
    ok: true,
    latency_ms: Some(5.0),
};

fn build(kind: StrategyKind, n: usize, f: impl FnOnce(&mut Config)) -> Router {
    let nodes = (0..n).map(|i| NodeSpec::new(&format!("n{i}"), 1.0)).collect();
    let mut cfg = Config::new(kind, nodes);
    cfg.health = HealthConfig {
        base_ejection_ms: 1000.0,
        max_ejection_ms: 8000.0,
        ..HealthConfig::default()
    };
    f(&mut cfg);
    Router::new(cfg, || 42).unwrap()
}

fn state(r: &Router, id: &str, now: f64) -> &'static str {
    r.stats(now).into_iter().find(|s| s.id == id).unwrap().state
}

fn owners(r: &mut Router, keys: &[String], now: f64) -> Vec<String> {
    keys.iter()
        .map(|k| {
            let i = r.pick(Some(k.as_bytes()), now).unwrap().unwrap();
            r.id(i).to_owned()
        })
        .collect()
}

#[test]
fn ejection_probe_backoff_and_recovery_timeline() {
    let mut r = build(StrategyKind::Ring, 4, |_| ());
    let mut now = 1_000_000.0;
    for _ in 0..4 {
        r.report("n1", FAIL, now).unwrap();
    }
    assert_eq!(state(&r, "n1", now), "healthy", "4 failures are not 5");
    r.report("n1", FAIL, now).unwrap();
    assert_eq!(state(&r, "n1", now), "ejected");
    let keys: Vec<String> = (0..2000).map(|i| format!("k{i}")).collect();
    assert!(
        owners(&mut r, &keys, now).iter().all(|o| o != "n1"),
        "an ejected node was picked"
    );
    // Still ejected just before the base time, probing right after it.
    assert_eq!(state(&r, "n1", now + 999.0), "ejected");
    now += 1000.0;
    assert_eq!(state(&r, "n1", now), "probing");
    // Exactly one probe goes out: the first key that maps to n1 gets it, later ones go elsewhere.
    let own = owners(&mut r, &keys, now);
    assert_eq!(own.iter().filter(|o| *o == "n1").count(), 1, "more than one probe");
    // The probe fails: ejected again for twice as long.
    r.report("n1", FAIL, now).unwrap();
    assert_eq!(state(&r, "n1", now + 1999.0), "ejected");
    assert_eq!(state(&r, "n1", now + 2000.0), "probing");
    now += 2000.0;
    owners(&mut r, &keys, now);
    r.report("n1", OK, now).unwrap();
    assert_eq!(state(&r, "n1", now), "healthy");
    assert!(
        owners(&mut r, &keys, now).iter().any(|o| o == "n1"),
        "n1's keys did not come home"
    );
    assert_eq!(r.stats(now)[1].ejections, 2);
}

#[test]
fn a_probe_that_never_answers_is_retried_after_the_probe_timeout() {
    let mut r = build(StrategyKind::RoundRobin, 3, |c| c.health.probe_timeout_ms = 500.0);
    let t = 50_000.0;
    for _ in 0..5 {
        r.report("n0", FAIL, t).unwrap();
    }
    let picks = |r: &mut Router, now: f64| -> Vec<String> {
        (0..6)
            .map(|_| {
                let i = r.pick(None, now).unwrap().unwrap();
                r.id(i).to_owned()
            })
            .collect()
    };
    assert!(!picks(&mut r, t + 10.0).contains(&"n0".to_string()));
    assert_eq!(picks(&mut r, t + 1000.0).iter().filter(|o| *o == "n0").count(), 1);
    assert_eq!(picks(&mut r, t + 1400.0).iter().filter(|o| *o == "n0").count(), 0);
    assert_eq!(picks(&mut r, t + 1500.0).iter().filter(|o| *o == "n0").count(), 1);
}

#[test]
fn healthy_keys_never_move_during_a_flap_and_return_after() {
    let keys: Vec<String> = (0..20_000).map(|i| format!("/obj/{i}")).collect();
    for (kind, bounded) in [
        (StrategyKind::Ring, false),
        (StrategyKind::Maglev, false),
        (StrategyKind::Rendezvous, false),
        (StrategyKind::Jump, false),
        (StrategyKind::Ring, true),
    ] {
        let mut r = build(kind, 8, |c| {
            if bounded {
                c.bounded_load = Some(1.25)
            }
        });
        let t = 10_000.0;
        let home = owners(&mut r, &keys, t);
        for _ in 0..5 {
            r.report("n3", FAIL, t).unwrap();
        }
        let during = owners(&mut r, &keys, t + 1.0);
        for (h, d) in home.iter().zip(&during) {
            if h == "n3" {
                assert_ne!(d, "n3", "{kind:?}: an ejected node kept a key");
            } else {
                assert_eq!(h, d, "{kind:?}: a healthy node's key moved during the flap");
            }
        }
        // pickN leaves the ejected node out.
        for k in keys.iter().take(300) {
            assert!(!r
                .pick_n_ids(Some(k.as_bytes()), 8, t + 1.0)
                .unwrap()
                .contains(&"n3".to_string()));
        }
        r.mark_up("n3", t + 2.0).unwrap();
        assert_eq!(
            owners(&mut r, &keys, t + 3.0),
            home,
            "{kind:?}: keys did not return home"
        );
    }
}

#[test]
fn every_strategy_skips_unusable_nodes() {
    for kind in StrategyKind::ALL {
        let mut r = build(kind, 5, |_| ());
        r.mark_down("n2", None, 0.0).unwrap();
        r.mark_down("n4", Some(100.0), 0.0).unwrap();
        for k in 0..500 {
            let key = format!("{k}");
            let i = r.pick(Some(key.as_bytes()), 1.0).unwrap().unwrap();
            assert!(!["n2", "n4"].contains(&r.id(i)), "{kind:?} picked a node marked down");
            let all = r.pick_n_ids(Some(key.as_bytes()), 5, 1.0).unwrap();
            assert_eq!(all.len(), 3, "{kind:?}: {all:?}");
        }
        // The timed mark ends by itself; the other lasts until markUp.
        let ids: Vec<String> = (0..200)
            .map(|k| {
                let i = r.pick(Some(format!("{k}").as_bytes()), 200.0).unwrap().unwrap();
                r.id(i).to_owned()
            })
            .collect();
        assert!(ids.contains(&"n4".to_string()), "{kind:?}: n4 not back after its mark");
        assert!(!ids.contains(&"n2".to_string()));
    }
}

#[test]
fn at_most_the_max_share_is_ejected_and_panic_routes_to_all() {
    let mut r = build(StrategyKind::Ring, 4, |_| ());
    for id in ["n0", "n1", "n2", "n3"] {
        for _ in 0..5 {
            r.report(id, FAIL, 100.0).unwrap();
        }
    }
    let ejected = r.stats(100.0).iter().filter(|s| s.state == "ejected").count();
    assert_eq!(ejected, 2, "default maxEjectedShare is 50% of 4");

    // Allow ejecting everything; with 3 of 4 ejected only 25% are healthy, under the 50% panic threshold.
    let mut r = build(StrategyKind::Rendezvous, 4, |c| c.health.max_ejected_share = 1.0);
    let keys: Vec<String> = (0..4000).map(|i| format!("p{i}")).collect();
    let home = owners(&mut r, &keys, 0.0);
    for id in ["n0", "n1", "n2"] {
        for _ in 0..5 {
            r.report(id, FAIL, 100.0).unwrap();
        }
    }
    assert_eq!(r.stats(101.0).iter().filter(|s| s.state == "ejected").count(), 3);
    assert_eq!(
        owners(&mut r, &keys, 101.0),
        home,
        "in panic every node is used, as if all were healthy"
    );
    assert!(r.in_panic());
    // One node recovers: 2 of 4 healthy is not below 50%, so panic ends and ejected nodes are avoided again.
    r.mark_up("n0", 102.0).unwrap();
    let own = owners(&mut r, &keys, 103.0);
    assert!(!r.in_panic());
    assert!(own.iter().all(|o| o == "n0" || o == "n3"));
}

#[test]
fn failure_rate_ejects_without_a_streak() {
    let mut r = build(StrategyKind::RoundRobin, 5, |c| {
        c.health.consecutive_failures = 0;
        c.health.min_requests = 10;
        c.health.failure_rate = 0.5;
    });
    for i in 0..9 {
        r.report("n0", if i % 2 == 0 { FAIL } else { OK }, i as f64).unwrap();
    }
    assert_eq!(state(&r, "n0", 9.0), "healthy");
    r.report("n0", OK, 9.0).unwrap();
    r.report("n0", FAIL, 10.0).unwrap();
    assert_eq!(state(&r, "n0", 10.0), "ejected", "6 of 11 failed");
}

#[test]
fn least_outstanding_steers_away_from_a_slow_node() {
    let mut r = build(StrategyKind::LeastOutstanding, 4, |c| c.seed = Some(3));
    // Requests to n0 take 10 ticks, to the others 1 tick; 3 new requests per tick.
    let mut live: Vec<(u32, String)> = vec![];
    let mut count = std::collections::BTreeMap::new();
    for tick in 0..3000u32 {
        live.retain(|(due, id)| {
            if *due <= tick {
                r.end(id, Some(OK), tick as f64).unwrap();
                false
            } else {
                true
            }
        });
        for _ in 0..3 {
            let i = r.acquire(None, tick as f64).unwrap().unwrap();
            let id = r.id(i).to_owned();
            *count.entry(id.clone()).or_insert(0u32) += 1;
            live.push((tick + if id == "n0" { 10 } else { 1 }, id));
        }
    }
    let slow = count["n0"] as f64 / 9000.0;
    assert!(
        slow < 0.15,
        "the slow node got {slow} of the requests (a fair share is 0.25)"
    );
}

#[test]
fn snapshot_round_trips_mapping_and_health() {
    let mut r = build(StrategyKind::Maglev, 6, |c| {
        c.secret = Some(edgeroute::hash::Secret(*b"abcdefghijklmnop"));
        c.table_size = 1009;
    });
    r.add(NodeSpec::new("late", 2.0)).unwrap();
    for _ in 0..5 {
        r.report("n2", FAIL, 5000.0).unwrap();
    }
    r.mark_down("n4", None, 5000.0).unwrap();
    r.mark_down("n5", Some(60_000.0), 5000.0).unwrap();
    let snap = r.snapshot();
    let json = serde_json::to_string(&snap).unwrap();
    let back: edgeroute::Value = serde_json::from_str(&json).unwrap();
    let mut r2 = Router::from_snapshot(&back, || 1, 0.0).unwrap();
    let keys: Vec<String> = (0..3000).map(|i| format!("s{i}")).collect();
    assert_eq!(owners(&mut r, &keys, 6000.0), owners(&mut r2, &keys, 6000.0));
    let states = |r: &Router| {
        r.stats(6000.0)
            .into_iter()
            .map(|s| (s.id, s.state, s.ejected_until))
            .collect::<Vec<_>>()
    };
    assert_eq!(states(&r), states(&r2));
    // Both routed the same keys since, so their counters (which snapshots carry) agree too.
    assert_eq!(
        serde_json::to_string(&r2.snapshot()).unwrap(),
        serde_json::to_string(&r.snapshot()).unwrap()
    );
    assert_ne!(
        serde_json::to_string(&r2.snapshot()).unwrap(),
        json,
        "the picks since were counted"
    );
    // Tampered snapshots are errors.
    for bad in [
        r#"{"format":"edgeroute/0","options":{}}"#,
        r#"{"format":"edgeroute/1"}"#,
        r#"{"format":"edgeroute/1","options":{"strategy":"ring","nodes":[{"id":"a"}]},"health":[{"id":"zz"}]}"#,
        r#"{"format":"edgeroute/1","options":{"strategy":"ring","nodes":[{"id":"a"}]},"health":[{"id":"a","ejectedUntil":-1}]}"#,
        r#"{"format":"edgeroute/1","options":{"strategy":"ring","nodes":[{"id":"a"}]},"extra":1}"#,
    ] {
        let v: edgeroute::Value = serde_json::from_str(bad).unwrap();
        assert!(Router::from_snapshot(&v, || 1, 0.0).is_err(), "{bad}");
    }
}

/// A clock at or below zero, NaN, or going backwards never makes a healthy pool look marked down.
#[test]
fn odd_clocks_never_empty_a_healthy_pool() {
    for kind in edgeroute::StrategyKind::ALL {
        let nodes = vec![edgeroute::NodeSpec::new("a", 1.0), edgeroute::NodeSpec::new("b", 2.0)];
        let mut r = edgeroute::Router::new(edgeroute::Config::new(kind, nodes), || 5).unwrap();
        for now in [1.7e12, -5.0, 0.0, f64::NAN, -1e15, 3.0, 1.0e12] {
            assert!(r.pick(Some(b"k"), now).unwrap().is_some(), "{kind:?} at {now}");
            let mut out = Vec::new();
            r.pick_n(Some(b"k"), 2, now, &mut out).unwrap();
            assert_eq!(out.len(), 2, "{kind:?} pickN at {now}");
        }
    }
}

/// Every strategy: a Router whose nodes were all removed round-trips through its snapshot (empty), and takes
/// nodes again afterwards.
#[test]
fn an_emptied_router_round_trips() {
    for kind in StrategyKind::ALL {
        let mut r = build(kind, 3, |_| {});
        for id in ["n0", "n1", "n2"] {
            assert!(r.remove(id));
        }
        let back: edgeroute::Value = serde_json::from_str(&serde_json::to_string(&r.snapshot()).unwrap()).unwrap();
        let mut r2 = Router::from_snapshot(&back, || 1, 1000.0).unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
        assert!(r2.is_empty());
        let key = kind.needs_key().then_some(&b"k"[..]);
        assert_eq!(r2.pick(key, 1000.0).unwrap(), None, "{kind:?}");
        r2.add(NodeSpec::new("x", 1.0)).unwrap();
        assert_eq!(
            r2.pick(key, 1000.0).unwrap().map(|i| r2.id(i).to_owned()).as_deref(),
            Some("x")
        );
    }
    // A snapshot is no way around the rule for new Routers: options with no nodes still fail there.
    let v: edgeroute::Value = serde_json::from_str(r#"{"strategy":"ring","nodes":[]}"#).unwrap();
    assert_eq!(Router::from_value(&v, || 1).unwrap_err().code, edgeroute::Code::NoNodes);
}

/// A snapshot cannot take a node out for longer than the live Router could: a restored ejection ends within
/// maxEjectionMs of now, a restored timed mark within the longest markDown.
#[test]
fn restored_ejections_and_marks_are_bounded_from_now() {
    let now = 1_000_000.0;
    let snap = |field: &str, v: f64| -> edgeroute::Value {
        serde_json::from_str(&format!(
            r#"{{"format":"edgeroute/1","options":{{"strategy":"ring","nodes":[{{"id":"a"}},{{"id":"b"}},{{"id":"c"}}],"health":{{"maxEjectionMs":60000}}}},"health":[{{"id":"a","{field}":{v:e}}}]}}"#
        ))
        .unwrap()
    };
    let r = Router::from_snapshot(&snap("ejectedUntil", 1e308), || 1, now).unwrap();
    let a = r.stats(now).into_iter().find(|s| s.id == "a").unwrap();
    assert_eq!(a.state, "ejected");
    assert_eq!(a.ejected_until, Some(now + 60_000.0));
    assert_eq!(state(&r, "a", now + 60_001.0), "probing");
    let r = Router::from_snapshot(&snap("downUntil", 1e308), || 1, now).unwrap();
    assert_eq!(state(&r, "a", now + 1e9 - 1.0), "down");
    assert_eq!(state(&r, "a", now + 1e9 + 1.0), "healthy");
    // Times within the bounds restore as they were.
    let r = Router::from_snapshot(&snap("ejectedUntil", now + 5000.0), || 1, now).unwrap();
    let a = r.stats(now).into_iter().find(|s| s.id == "a").unwrap();
    assert_eq!(a.ejected_until, Some(now + 5000.0));
}

/// `null` is not a value any option or node field takes (it used to read as absent: `weight: null` became 1),
/// and weights below MIN_WEIGHT (subnormal ones above all, whose shares drift) are refused.
#[test]
fn null_fields_and_tiny_weights_are_refused() {
    let code = |json: &str| {
        let v: edgeroute::Value = serde_json::from_str(json).unwrap();
        Router::from_value(&v, || 1).unwrap_err().code
    };
    use edgeroute::Code;
    assert_eq!(
        code(r#"{"strategy":"ring","nodes":[{"id":"a","weight":null}]}"#),
        Code::InvalidWeight
    );
    assert_eq!(code(r#"{"strategy":"ring","nodes":[{"id":null}]}"#), Code::InvalidId);
    assert_eq!(
        code(r#"{"strategy":"ring","nodes":[{"id":"a"}],"seed":null}"#),
        Code::InvalidOption
    );
    assert_eq!(
        code(r#"{"strategy":"ring","nodes":[{"id":"a"}],"health":{"windowMs":null}}"#),
        Code::InvalidOption
    );
    assert_eq!(code(r#"{"strategy":null,"nodes":[{"id":"a"}]}"#), Code::InvalidOption);
    for w in ["5e-324", "1e-323", "2.2250738585072014e-308", "9.99e-7"] {
        let json = format!(r#"{{"strategy":"rendezvous","nodes":[{{"id":"a","weight":{w}}}]}}"#);
        assert_eq!(code(&json), Code::InvalidWeight, "{w}");
    }
    let ok: edgeroute::Value =
        serde_json::from_str(r#"{"strategy":"rendezvous","nodes":[{"id":"a","weight":1e-6},{"id":"b","weight":1e6}]}"#)
            .unwrap();
    let mut r = Router::from_value(&ok, || 1).unwrap();
    assert_eq!(r.set_weight("a", 5e-324).unwrap_err().code, Code::InvalidWeight);
    r.set_weight("a", 1e-6).unwrap();
}

/// At the smallest weights shares still follow the weights (with subnormal weights they drifted to 31/25/44 %).
#[test]
fn smallest_weights_keep_their_shares() {
    for kind in [StrategyKind::Rendezvous, StrategyKind::Random, StrategyKind::Maglev] {
        let nodes = vec![
            NodeSpec::new("a", 1e-6),
            NodeSpec::new("b", 1e-6),
            NodeSpec::new("c", 2e-6),
        ];
        let mut cfg = Config::new(kind, nodes);
        cfg.seed = Some(3);
        let mut r = Router::new(cfg, || 1).unwrap();
        let mut n = [0u32; 3];
        let total = 40_000;
        for i in 0..total {
            let i = r.pick(Some(format!("key-{i}").as_bytes()), 1.0).unwrap().unwrap();
            n[i] += 1;
        }
        for (got, want) in n.iter().zip([0.25, 0.25, 0.5]) {
            let share = *got as f64 / total as f64;
            assert!((share - want).abs() < 0.02, "{kind:?}: shares {n:?}");
        }
    }
}

/// `forMs` is checked in the core, not only in the JS facade: a Rust caller gets the same refusal.
#[test]
fn mark_down_checks_its_duration_in_the_core() {
    let mut r = Router::new(
        Config::new(
            StrategyKind::Ring,
            vec![NodeSpec::new("a", 1.0), NodeSpec::new("b", 1.0)],
        ),
        || 1,
    )
    .unwrap();
    for bad in [0.0, -5.0, f64::NAN, f64::INFINITY, 2e9] {
        let e = r.mark_down("a", Some(bad), 10.0).unwrap_err();
        assert_eq!(e.code, edgeroute::Code::InvalidOption, "{bad}");
        assert!(
            e.message.contains("forMs must be a number of milliseconds > 0"),
            "{}",
            e.message
        );
    }
    assert_eq!(r.stats(10.0)[0].state, "healthy", "a refused mark changed nothing");
    r.mark_down("a", Some(1000.0), 10.0).unwrap();
    assert_eq!(r.stats(10.0)[0].state, "down");
}
