//! Zones, priority levels and slow start (docs/traffic.md) on the native core, each against the model's own
//! formula computed here, independently of `src/router/traffic.rs`.

use edgeroute::node::ramp::SlowStart;
use edgeroute::{Code, Config, NodeSpec, Router, StrategyKind};

const T0: f64 = 1_000_000.0;
const KEYED: [StrategyKind; 5] = [
    StrategyKind::Ring,
    StrategyKind::Rendezvous,
    StrategyKind::Maglev,
    StrategyKind::Jump,
    StrategyKind::Hash,
];
const KEYLESS: [StrategyKind; 5] = [
    StrategyKind::Random,
    StrategyKind::RoundRobin,
    StrategyKind::WeightedRoundRobin,
    StrategyKind::LeastLatency,
    StrategyKind::LeastOutstanding,
];

fn node(id: &str, zone: Option<&str>, priority: u8) -> NodeSpec {
    NodeSpec {
        zone: zone.map(Into::into),
        priority,
        ..NodeSpec::new(id, 1.0)
    }
}

/// Zones a, b, c with `per` nodes each ("a0", "a1", …), all priority 0.
fn zoned(kind: StrategyKind, per: usize) -> Router {
    let mut nodes = Vec::new();
    for z in ["a", "b", "c"] {
        for i in 0..per {
            nodes.push(node(&format!("{z}{i}"), Some(z), 0));
        }
    }
    let mut cfg = Config::new(kind, nodes);
    cfg.seed = Some(7);
    Router::new(cfg, || 1).unwrap()
}

fn keys(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("user:{i}")).collect()
}

fn pick_id(r: &mut Router, key: Option<&str>, zone: u32) -> String {
    let i = r.pick_in(key.map(str::as_bytes), zone, T0).unwrap().unwrap();
    r.id(i).to_owned()
}

/// The model's local share: min(1, 1.4 × healthy share), 0 with no healthy local node.
fn model_share(healthy: f64) -> f64 {
    (1.4 * healthy).min(1.0)
}

#[test]
fn zone_spill_matches_the_model_at_every_local_health() {
    for kind in KEYED.into_iter().chain(KEYLESS) {
        let mut r = zoned(kind, 4);
        let a = r.zone_index("a").unwrap();
        let ks = keys(20_000);
        for down in 0..=4 {
            if down > 0 {
                r.mark_down(&format!("a{}", down - 1), None, T0).unwrap();
            }
            let local = ks
                .iter()
                .filter(|k| {
                    let key = kind.needs_key().then_some(k.as_str());
                    pick_id(&mut r, key, a).starts_with('a')
                })
                .count() as f64
                / ks.len() as f64;
            let want = if down == 4 {
                0.0
            } else {
                model_share((4 - down) as f64 / 4.0)
            };
            assert!(
                (local - want).abs() < 0.02,
                "{}: {down} of 4 local nodes down: local share {local}, model {want}",
                kind.name()
            );
        }
    }
}

#[test]
fn a_keys_choice_never_flaps_and_survivors_keep_their_keys() {
    for kind in KEYED {
        let mut r = zoned(kind, 4);
        let a = r.zone_index("a").unwrap();
        let ks = keys(3_000);
        let before: Vec<String> = ks.iter().map(|k| pick_id(&mut r, Some(k), a)).collect();
        r.mark_down("a0", None, T0).unwrap(); // 75 % healthy: still all local (1.4 × 0.75 ≥ 1)
        r.mark_down("a1", None, T0).unwrap(); // 50 %: 70 % local
        for (k, was) in ks.iter().zip(&before) {
            let now = pick_id(&mut r, Some(k), a);
            for _ in 0..5 {
                assert_eq!(pick_id(&mut r, Some(k), a), now, "{}: {k} flapped", kind.name());
            }
            // A key of a surviving local node either stays on it or spills out of the zone: never to another
            // local node.
            if (was == "a2" || was == "a3") && now.starts_with('a') {
                assert_eq!(
                    &now,
                    was,
                    "{}: {k} moved from {was} to {now} inside the zone",
                    kind.name()
                );
            }
        }
    }
}

#[test]
fn keys_spill_only_at_the_margin_as_health_drops() {
    // From 50 % to 25 % healthy the local share drops from 0.7 to 0.35: keys local at 25 % were local at 50 %.
    for kind in KEYED {
        let mut r = zoned(kind, 4);
        let a = r.zone_index("a").unwrap();
        let ks = keys(5_000);
        r.mark_down("a0", None, T0).unwrap();
        r.mark_down("a1", None, T0).unwrap();
        let half: Vec<bool> = ks
            .iter()
            .map(|k| pick_id(&mut r, Some(k), a).starts_with('a'))
            .collect();
        r.mark_down("a2", None, T0).unwrap();
        for (k, was_local) in ks.iter().zip(half) {
            if pick_id(&mut r, Some(k), a).starts_with('a') {
                assert!(
                    was_local,
                    "{}: {k} came back into the zone as it lost health",
                    kind.name()
                );
            }
        }
    }
}

#[test]
fn no_zone_and_an_unknown_zone_pick_as_without_zones() {
    for kind in KEYED {
        let mut r = zoned(kind, 3);
        assert_eq!(r.zone_index("mars"), None);
        let mut plain = {
            let nodes = r.nodes().into_iter().map(|n| NodeSpec::new(&n.id, 1.0)).collect();
            let mut cfg = Config::new(kind, nodes);
            cfg.seed = Some(7);
            Router::new(cfg, || 1).unwrap()
        };
        for k in keys(500) {
            let want = pick_id(&mut plain, Some(&k), edgeroute::router::NO_ZONE);
            assert_eq!(
                pick_id(&mut r, Some(&k), edgeroute::router::NO_ZONE),
                want,
                "{}",
                kind.name()
            );
        }
    }
}

#[test]
fn backups_take_nothing_while_primaries_are_healthy_and_everything_when_they_are_down() {
    for kind in KEYED.into_iter().chain(KEYLESS) {
        let nodes = vec![
            node("p0", None, 0),
            node("p1", None, 0),
            node("p2", None, 0),
            node("p3", None, 0),
            node("b0", None, 1),
            node("b1", None, 1),
        ];
        let mut cfg = Config::new(kind, nodes);
        cfg.seed = Some(3);
        let mut r = Router::new(cfg, || 1).unwrap();
        let ks = keys(20_000);
        let backup_share = |r: &mut Router| {
            ks.iter()
                .filter(|k| {
                    let key = kind.needs_key().then_some(k.as_str());
                    pick_id(r, key, edgeroute::router::NO_ZONE).starts_with('b')
                })
                .count() as f64
                / ks.len() as f64
        };
        assert_eq!(backup_share(&mut r), 0.0, "{}", kind.name());
        for (down, want) in [(1, 0.0), (2, 0.3), (3, 0.65), (4, 1.0)] {
            r.mark_down(&format!("p{}", down - 1), None, T0).unwrap();
            let got = backup_share(&mut r);
            assert!(
                (got - want).abs() < 0.02,
                "{}: {down} primaries down: backups {got}, model {want}",
                kind.name()
            );
        }
        for i in 0..4 {
            r.mark_up(&format!("p{i}"), T0).unwrap();
        }
        assert_eq!(
            backup_share(&mut r),
            0.0,
            "{}: traffic returns when primaries recover",
            kind.name()
        );
    }
}

#[test]
fn levels_that_cannot_take_it_all_share_in_proportion() {
    // Level 0 at 25 % (availability 0.35), level 1 at 25 % (0.35): total 0.7 < 1, so each takes half.
    let mut nodes: Vec<NodeSpec> = (0..4).map(|i| node(&format!("p{i}"), None, 0)).collect();
    nodes.extend((0..4).map(|i| node(&format!("b{i}"), None, 1)));
    let mut cfg = Config::new(StrategyKind::Rendezvous, nodes);
    cfg.health.panic_threshold = 0.0;
    let mut r = Router::new(cfg, || 1).unwrap();
    for id in ["p0", "p1", "p2", "b0", "b1", "b2"] {
        r.mark_down(id, None, T0).unwrap();
    }
    let ks = keys(20_000);
    let p = ks.iter().filter(|k| pick_id(&mut r, Some(k), u32::MAX) == "p3").count() as f64 / ks.len() as f64;
    assert!((p - 0.5).abs() < 0.02, "primary share {p}");
}

#[test]
fn zones_compose_with_priorities() {
    // Level 0: a0, a1, b0, b1; level 1: a9 (zone a), c9 (zone c). A caller in a: level first, then zone.
    let nodes = vec![
        node("a0", Some("a"), 0),
        node("a1", Some("a"), 0),
        node("b0", Some("b"), 0),
        node("b1", Some("b"), 0),
        node("a9", Some("a"), 1),
        node("c9", Some("c"), 1),
    ];
    let mut r = Router::new(Config::new(StrategyKind::Ring, nodes), || 1).unwrap();
    let a = r.zone_index("a").unwrap();
    let ks = keys(20_000);
    let count = |r: &mut Router| {
        let mut c = std::collections::BTreeMap::new();
        for k in &ks {
            *c.entry(pick_id(r, Some(k), a)).or_insert(0usize) += 1;
        }
        c
    };
    let c = count(&mut r);
    assert_eq!(
        c.keys().cloned().collect::<Vec<_>>(),
        ["a0", "a1"],
        "all local, level 0"
    );
    // Both a nodes of level 0 down: level 0 is 50 % healthy, so 70 % stay on level 0 (all in b, as a has no
    // usable node there) and 30 % go to level 1, where zone a is healthy: a9.
    r.mark_down("a0", None, T0).unwrap();
    r.mark_down("a1", None, T0).unwrap();
    let c = count(&mut r);
    let share = |id: &str| *c.get(id).unwrap_or(&0) as f64 / ks.len() as f64;
    assert!((share("b0") + share("b1") - 0.7).abs() < 0.02, "{c:?}");
    assert!((share("a9") - 0.3).abs() < 0.02, "{c:?}");
    assert_eq!(share("c9"), 0.0, "{c:?}");
}

#[test]
fn pick_n_takes_the_chosen_part_first_then_falls_back_through_every_usable_node() {
    for kind in KEYED.into_iter().chain(KEYLESS) {
        let nodes = vec![
            node("a0", Some("a"), 0),
            node("a1", Some("a"), 0),
            node("b0", Some("b"), 0),
            node("n0", None, 0),
            node("x0", Some("a"), 1),
            node("x1", None, 1),
        ];
        let mut cfg = Config::new(kind, nodes);
        cfg.seed = Some(5);
        let mut r = Router::new(cfg, || 1).unwrap();
        let a = r.zone_index("a").unwrap();
        let mut out = Vec::new();
        for k in keys(200) {
            let key = kind.needs_key().then_some(k.as_bytes());
            r.pick_n_in(key, a, 6, T0, &mut out).unwrap();
            let ids: Vec<String> = out.iter().map(|&i| r.id(i).to_owned()).collect();
            let mut sorted = ids.clone();
            sorted.sort();
            assert_eq!(sorted, ["a0", "a1", "b0", "n0", "x0", "x1"], "{}: {ids:?}", kind.name());
            assert!(
                ids[0].starts_with('a') && ids[1].starts_with('a'),
                "{}: local first: {ids:?}",
                kind.name()
            );
            assert_eq!(
                &ids[4..],
                ["x0", "x1"],
                "{}: backups last, local first: {ids:?}",
                kind.name()
            );
            if kind.needs_key() {
                assert_eq!(
                    pick_id(&mut r, Some(&k), a),
                    ids[0],
                    "{}: pickN's first is pick",
                    kind.name()
                );
            }
        }
    }
}

#[test]
fn slow_start_ramps_a_new_node_linearly_from_its_floor() {
    for kind in KEYLESS {
        let mut cfg = Config::new(kind, (0..3).map(|i| NodeSpec::new(&format!("n{i}"), 1.0)).collect());
        cfg.seed = Some(11);
        cfg.slow_start = Some(SlowStart {
            window_ms: 10_000.0,
            min_percent: 10.0,
        });
        let mut r = Router::new(cfg, || 1).unwrap();
        // Warm every node's latency so least-latency compares like with like.
        for i in 0..3 {
            r.report(
                &format!("n{i}"),
                edgeroute::Outcome {
                    ok: true,
                    latency_ms: Some(10.0),
                },
                T0,
            )
            .unwrap();
        }
        r.add(NodeSpec::new("new", 1.0)).unwrap();
        let _ = r.pick(None, T0).unwrap(); // the ramp begins at the first pick after the add
        r.report(
            "new",
            edgeroute::Outcome {
                ok: true,
                latency_ms: Some(10.0),
            },
            T0,
        )
        .unwrap();
        for (at, factor) in [
            (0.0, 0.1),
            (2_500.0, 0.25),
            (5_000.0, 0.5),
            (7_500.0, 0.75),
            (10_000.0, 1.0),
        ] {
            let n = 40_000;
            let mut got = 0;
            for _ in 0..n {
                let i = r.pick(None, T0 + at).unwrap().unwrap();
                if r.id(i) == "new" {
                    got += 1;
                }
            }
            let share = got as f64 / n as f64;
            let want = factor / (3.0 + factor);
            assert!(
                (share - want).abs() < 0.02 + 0.1 * want,
                "{}: at {at} ms the new node took {share}, the ramp says {want}",
                kind.name()
            );
            let ew = r
                .stats(T0 + at)
                .into_iter()
                .find(|s| s.id == "new")
                .unwrap()
                .effective_weight;
            assert!(
                (ew - factor).abs() < 1e-9,
                "{}: effectiveWeight {ew} at {at}",
                kind.name()
            );
        }
    }
}

#[test]
fn slow_start_ramps_a_node_back_from_a_mark() {
    let mut cfg = Config::new(
        StrategyKind::Random,
        (0..2).map(|i| NodeSpec::new(&format!("n{i}"), 1.0)).collect(),
    );
    cfg.seed = Some(1);
    cfg.slow_start = Some(SlowStart {
        window_ms: 1_000.0,
        min_percent: 20.0,
    });
    let mut r = Router::new(cfg, || 1).unwrap();
    assert_eq!(
        r.stats(T0)[0].effective_weight,
        1.0,
        "nodes given at construction do not ramp"
    );
    r.mark_down("n0", None, T0).unwrap();
    let _ = r.pick(None, T0).unwrap();
    r.mark_up("n0", T0 + 100.0).unwrap();
    let _ = r.pick(None, T0 + 100.0).unwrap();
    assert_eq!(r.stats(T0 + 100.0)[0].effective_weight, 0.2);
    assert_eq!(r.stats(T0 + 600.0)[0].effective_weight, 0.5);
    let _ = r.pick(None, T0 + 1_200.0).unwrap();
    assert_eq!(r.stats(T0 + 1_200.0)[0].effective_weight, 1.0);
    assert!(!r.needs_clock(), "a finished ramp stops asking for the clock");
}

fn options(json: &str) -> Result<Router, edgeroute::Error> {
    let v: edgeroute::Value = serde_json::from_str(json).unwrap();
    Router::from_value(&v, || 1)
}

#[test]
fn bad_zones_priorities_and_slow_start_options_are_coded_errors() {
    let cases = [
        (
            r#"{"strategy":"ring","nodes":[{"id":"a","zone":""}]}"#,
            Code::InvalidOption,
        ),
        (
            r#"{"strategy":"ring","nodes":[{"id":"a","zone":7}]}"#,
            Code::InvalidOption,
        ),
        (
            r#"{"strategy":"ring","nodes":[{"id":"a","priority":-1}]}"#,
            Code::InvalidOption,
        ),
        (
            r#"{"strategy":"ring","nodes":[{"id":"a","priority":1.5}]}"#,
            Code::InvalidOption,
        ),
        (
            r#"{"strategy":"ring","nodes":[{"id":"a","priority":256}]}"#,
            Code::InvalidOption,
        ),
        (
            r#"{"strategy":"ring","compat":"nginx","nodes":[{"id":"a","zone":"x"}]}"#,
            Code::UnknownField,
        ),
        (
            r#"{"strategy":"ring","compat":"nginx","nodes":[{"id":"a","priority":1}]}"#,
            Code::UnknownField,
        ),
        (
            r#"{"strategy":"ring","nodes":[{"id":"a"}],"slowStartMs":1000}"#,
            Code::UnknownOption,
        ),
        (
            r#"{"strategy":"random","nodes":[{"id":"a"}],"slowStartMs":0}"#,
            Code::InvalidOption,
        ),
        (
            r#"{"strategy":"random","nodes":[{"id":"a"}],"slowStartMinPercent":5}"#,
            Code::InvalidOption,
        ),
        (
            r#"{"strategy":"random","nodes":[{"id":"a"}],"slowStartMs":5,"slowStartMinPercent":0}"#,
            Code::InvalidOption,
        ),
        (
            r#"{"strategy":"random","nodes":[{"id":"a"}],"slowStartMs":5,"slowStartMinPercent":101}"#,
            Code::InvalidOption,
        ),
    ];
    for (json, code) in cases {
        match options(json) {
            Ok(_) => panic!("{json} was accepted"),
            Err(e) => assert_eq!(e.code, code, "{json}: {}", e.message),
        }
    }
    let mut r = options(r#"{"strategy":"ring","nodes":[{"id":"a"}]}"#).unwrap();
    let z = NodeSpec {
        zone: Some("x".into()),
        ..NodeSpec::new("b", 1.0)
    };
    r.add(z).unwrap();
    assert_eq!(r.zones(), [Box::<str>::from("x")]);
}

#[test]
fn zones_priorities_and_slow_start_survive_a_snapshot_and_set_nodes() {
    let mut r = options(
        r#"{"strategy":"least-outstanding","seed":1,"slowStartMs":500,"slowStartMinPercent":25,
            "nodes":[{"id":"a","zone":"x"},{"id":"b","zone":"y","priority":2},{"id":"c"}]}"#,
    )
    .unwrap();
    let snap = r.snapshot();
    let back = Router::from_snapshot(&snap, || 1, T0).unwrap();
    assert_eq!(back.nodes(), r.nodes());
    assert_eq!(back.snapshot(), snap);
    // A node whose zone changed leaves and joins again.
    let mut specs = r.nodes();
    specs[0].zone = Some("y".into());
    let c = r.set_nodes(specs).unwrap();
    assert_eq!((c.added, c.removed), (1, 1));
    assert_eq!(r.zones(), [Box::<str>::from("y")]);
    assert_eq!(
        r.stats(T0)[2].effective_weight,
        0.25,
        "the rejoined node ramps from 25 %"
    );
}

#[test]
fn round_robin_keeps_a_turn_per_part_so_interleaved_parts_spread_evenly() {
    // Zone a half down: 70 % of picks local (a2, a3), 30 % to b0..c3. With one turn for every part, each remote
    // pick would start after a local node and land on b0.
    let mut r = zoned(StrategyKind::RoundRobin, 4);
    let a = r.zone_index("a").unwrap();
    r.mark_down("a0", None, T0).unwrap();
    r.mark_down("a1", None, T0).unwrap();
    let mut count = std::collections::BTreeMap::new();
    for _ in 0..20_000 {
        *count.entry(pick_id(&mut r, None, a)).or_insert(0usize) += 1;
    }
    let share = |id: &str| *count.get(id).unwrap_or(&0) as f64 / 20_000.0;
    for id in ["a2", "a3"] {
        assert!((share(id) - 0.35).abs() < 0.02, "{id}: {count:?}");
    }
    for id in ["b0", "b1", "b2", "b3", "c0", "c1", "c2", "c3"] {
        assert!((share(id) - 0.3 / 8.0).abs() < 0.01, "{id}: {count:?}");
    }
}

#[test]
fn a_probe_taken_moves_the_zone_threshold() {
    // Zone a: a0, a1; zone b: b0, b1. a0 is ejected, then probing (usable: zone a at 100 %); the pick that
    // sends its probe makes it unusable again, so zone a is at 50 % and keeps 70 % of its keys (the model),
    // not all of them.
    for kind in [StrategyKind::Ring, StrategyKind::Rendezvous, StrategyKind::Maglev] {
        let nodes = ["a0", "a1", "b0", "b1"]
            .iter()
            .map(|id| node(id, Some(&id[..1]), 0))
            .collect();
        let mut r = Router::new(Config::new(kind, nodes), || 1).unwrap();
        let a = r.zone_index("a").unwrap();
        for _ in 0..5 {
            let fail = edgeroute::Outcome {
                ok: false,
                latency_ms: None,
            };
            r.report("a0", fail, T0).unwrap();
        }
        let t = T0 + 30_001.0; // the ejection is over: a0 is probing
        let ks = keys(20_000);
        let probe = ks
            .iter()
            .find(|k| {
                let i = r.pick_in(Some(k.as_bytes()), a, t).unwrap().unwrap();
                r.id(i) == "a0"
            })
            .expect("a key picks the probing node");
        let again = r.pick_in(Some(probe.as_bytes()), a, t).unwrap().unwrap();
        assert_ne!(r.id(again), "a0", "{kind:?}: the probe is out");
        let local = ks
            .iter()
            .filter(|k| {
                let i = r.pick_in(Some(k.as_bytes()), a, t).unwrap().unwrap();
                r.id(i).starts_with('a')
            })
            .count() as f64
            / ks.len() as f64;
        assert!(
            (local - 0.7).abs() < 0.02,
            "{kind:?}: zone a at 50 % kept {local} of its keys local"
        );
    }
}
