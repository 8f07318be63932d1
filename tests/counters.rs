//! The counters `metrics()` exports, on the native core: monotonic across pool changes and snapshots, removed
//! nodes kept in the pool's totals, `metrics_raw`'s layout, and tampered snapshot counters refused.

use edgeroute::load::histogram::{BOUNDS_MS, BUCKETS};
use edgeroute::router::{RequestResult, RequestStats, Totals};
use edgeroute::{Code, Config, NodeSpec, Outcome, Router, StrategyKind, Value};

const B: usize = BOUNDS_MS.len();
/// Numbers per node in `metrics_raw`: nine figures, then the histogram (counts and sum).
const NODE: usize = 9 + BUCKETS + 1;

fn ring(ids: &[&str]) -> Router {
    let nodes = ids.iter().map(|id| NodeSpec::new(id, 1.0)).collect();
    Router::new(Config::new(StrategyKind::Ring, nodes), || 1).unwrap()
}

struct Raw {
    since: f64,
    panic: f64,
    removed: Vec<f64>,
    requests: Vec<f64>,
    nodes: Vec<Vec<f64>>,
}

fn raw(r: &mut Router, now: f64) -> Raw {
    let v = r.metrics_raw(now);
    assert_eq!(v[2] as usize, B);
    assert_eq!(&v[3..3 + B], &BOUNDS_MS[..]);
    let mut at = 3 + B;
    let removed = v[at..at + Totals::LEN].to_vec();
    at += Totals::LEN;
    let requests = v[at..at + RequestStats::LEN].to_vec();
    at += RequestStats::LEN;
    let nodes: Vec<Vec<f64>> = v[at..].chunks(NODE).map(|c| c.to_vec()).collect();
    assert_eq!(nodes.len(), r.len(), "one block per node");
    assert!(nodes.iter().all(|n| n.len() == NODE));
    Raw {
        since: v[0],
        panic: v[1],
        removed,
        requests,
        nodes,
    }
}

fn pick_many(r: &mut Router, n: u32, now: f64) {
    for i in 0..n {
        r.pick(Some(format!("k{i}").as_bytes()), now).unwrap();
    }
}

#[test]
fn counters_stay_monotonic_across_pool_changes() {
    let mut r = ring(&["a", "b", "c"]);
    pick_many(&mut r, 3000, 10.0);
    r.report(
        "b",
        Outcome {
            ok: true,
            latency_ms: Some(7.0),
        },
        11.0,
    )
    .unwrap();
    r.report(
        "b",
        Outcome {
            ok: false,
            latency_ms: Some(20_000.0),
        },
        12.0,
    )
    .unwrap();
    let before = raw(&mut r, 13.0);
    let b = &before.nodes[1];
    assert_eq!((b[3], b[4]), (1.0, 1.0), "successes and failures");
    assert_eq!(b[9 + 1], 1.0, "7 ms lands in the le=10ms bucket");
    assert_eq!(b[9 + BUCKETS - 1], 1.0, "20 s lands above every bound");
    assert_eq!(b[9 + BUCKETS], 20_007.0, "the sum in ms");
    assert_eq!(
        before.since, 11.0,
        "counters start at the first report or export, not at a pick"
    );

    r.set_weight("b", 3.0).unwrap();
    r.add(NodeSpec::new("d", 1.0)).unwrap();
    let after = raw(&mut r, 14.0);
    for i in 0..3 {
        assert_eq!(
            after.nodes[i][2..7],
            before.nodes[i][2..7],
            "node {i}'s counters survive set_weight and add"
        );
    }
    assert_eq!(after.nodes[1][0], 3.0);

    let picks_b = after.nodes[1][2];
    assert!(r.remove("b"));
    let gone = raw(&mut r, 15.0);
    assert_eq!(gone.removed[0], picks_b, "b's picks move to the removed totals");
    assert_eq!(gone.removed[1], 1.0);
    assert_eq!(gone.removed[2], 1.0);
    let total = |x: &Raw| x.removed[0] + x.nodes.iter().map(|n| n[2]).sum::<f64>();
    assert_eq!(total(&gone), 3000.0, "the pool's picks stay whole");
    assert_eq!(gone.panic, 0.0);
}

#[test]
fn snapshot_round_trips_every_counter() {
    let mut r = ring(&["a", "b"]);
    pick_many(&mut r, 500, 100.0);
    r.report(
        "a",
        Outcome {
            ok: true,
            latency_ms: Some(3.5),
        },
        101.0,
    )
    .unwrap();
    r.record_request(RequestResult::Response, 1, 0, 12.0, 102.0);
    r.record_request(RequestResult::Failed, 3, 2, 9000.0, 103.0);
    r.record_request(RequestResult::Aborted, 1, 0, 2.0, 104.0);
    r.remove("b");
    let json = serde_json::to_string(&r.snapshot()).unwrap();
    let back: Value = serde_json::from_str(&json).unwrap();
    let mut r2 = Router::from_snapshot(&back, || 1, 200.0).unwrap();
    let (x, y) = (raw(&mut r, 300.0), raw(&mut r2, 300.0));
    assert_eq!((x.since, &x.removed, &x.requests), (y.since, &y.removed, &y.requests));
    assert_eq!(x.nodes[0][2..7], y.nodes[0][2..7], "counters");
    assert_eq!(
        x.nodes[0][8..],
        y.nodes[0][8..],
        "state and histogram (the EWMA estimate is not carried)"
    );
    assert_eq!(
        &x.requests[..6],
        &[1.0, 1.0, 1.0, 5.0, 2.0, 2.0],
        "results, attempts, failovers, timeouts"
    );
}

#[test]
fn ejections_total_outlives_the_backoff_count() {
    let mut cfg = Config::new(
        StrategyKind::Ring,
        vec![
            NodeSpec::new("a", 1.0),
            NodeSpec::new("b", 1.0),
            NodeSpec::new("c", 1.0),
        ],
    );
    cfg.health.base_ejection_ms = 100.0;
    cfg.health.max_ejection_ms = 200.0;
    let mut r = Router::new(cfg, || 1).unwrap();
    let fail = Outcome {
        ok: false,
        latency_ms: None,
    };
    for _ in 0..5 {
        r.report("a", fail, 1000.0).unwrap();
    }
    let s = r.stats(1001.0);
    assert_eq!(
        (s[0].ejections, s[0].ejections_total, s[0].effective_weight),
        (1, 1, 0.0)
    );
    assert_eq!(raw(&mut r, 1001.0).nodes[0][8], 1.0, "state index 1: ejected");
    // Healthy again for longer than maxEjectionMs: the backoff count is forgotten, the counter is not.
    r.mark_up("a", 1200.0).unwrap();
    r.report(
        "a",
        Outcome {
            ok: true,
            latency_ms: None,
        },
        5000.0,
    )
    .unwrap();
    let s = r.stats(5000.0);
    assert_eq!(s[0].ejections_total, 1);
    assert_eq!(s[0].effective_weight, 1.0);
}

#[test]
fn tampered_counters_are_refused() {
    let mut r = ring(&["a"]);
    pick_many(&mut r, 10, 1.0);
    let good = serde_json::to_value(r.snapshot()).unwrap();
    let cases: Vec<(serde_json::Value, Code)> = vec![
        (serde_json::json!({ "bogus": 1 }), Code::UnknownField),
        (serde_json::json!({ "removed": [1, 2] }), Code::InvalidOptions),
        (
            serde_json::json!({ "removed": vec![-1.0; Totals::LEN] }),
            Code::InvalidOptions,
        ),
        (
            serde_json::json!({ "requests": vec![0.5; RequestStats::LEN] }),
            Code::InvalidOptions,
        ),
        (
            serde_json::json!({ "nodes": [{ "id": "zz", "counts": vec![0; Totals::LEN] }] }),
            Code::UnknownNode,
        ),
        (
            serde_json::json!({ "nodes": [{ "id": "a", "counts": vec![0; Totals::LEN], "x": 1 }] }),
            Code::InvalidOptions,
        ),
        (serde_json::json!({ "since": "yesterday" }), Code::InvalidOptions),
        (serde_json::json!([]), Code::InvalidOptions),
    ];
    for (counters, code) in cases {
        let mut snap = good.clone();
        snap["counters"] = counters.clone();
        let v: Value = serde_json::from_value(snap).unwrap();
        let err = Router::from_snapshot(&v, || 1, 2.0).unwrap_err();
        assert_eq!(err.code, code, "{counters}: {}", err.message);
    }
    // A snapshot from before counters existed still loads, with counters at zero.
    let mut old = good.clone();
    old.as_object_mut().unwrap().remove("counters");
    let mut r2 = Router::from_snapshot(&serde_json::from_value(old).unwrap(), || 1, 2.0).unwrap();
    assert_eq!(raw(&mut r2, 3.0).nodes[0][2], 0.0);
}
