//! Golden vectors: fixed keys to fixed nodes for every consistent-hashing strategy (ring, rendezvous, maglev,
//! jump, with and without a secret), pinned in `tests/golden/vectors.json`.
//!
//! The same file is asserted by the wasm-bindgen tests (Node and Chromium) and by the JS tests of the packed
//! package (Node, Deno, workerd, a page), so one mapping holds on every platform. To change the mapping on
//! purpose, run `EDGEROUTE_BLESS=1 cargo test --test golden` and review the diff: it is a breaking change for
//! every user whose caches are keyed by it.

use edgeroute::{NodeSpec, Router, Value};
use serde_json::{json, Value as Json};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/vectors.json");

fn key_bytes(k: &Json) -> Vec<u8> {
    match k {
        Json::String(s) => s.as_bytes().to_vec(),
        Json::Object(o) => {
            let hex = o["hex"].as_str().expect("hex key");
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect()
        }
        other => panic!("bad key {other}"),
    }
}

fn apply(r: &mut Router, op: &Json) {
    match op["op"].as_str().unwrap() {
        "add" => {
            let n: Value = serde_json::from_value(op["node"].clone()).unwrap();
            r.add(NodeSpec::from_value(&n, &"node").unwrap()).unwrap()
        }
        "remove" => assert!(r.remove(op["id"].as_str().unwrap())),
        "setWeight" => r
            .set_weight(op["id"].as_str().unwrap(), op["weight"].as_f64().unwrap())
            .unwrap(),
        other => panic!("unknown op {other}"),
    }
}

fn build(case: &Json) -> Router {
    let opts: Value = serde_json::from_value(case["options"].clone()).unwrap();
    let mut r = Router::from_value(&opts, || unreachable!("hashing strategies draw no randomness")).unwrap();
    for op in case["ops"].as_array().unwrap() {
        apply(&mut r, op);
    }
    r
}

fn pick(r: &mut Router, k: &Json) -> Json {
    let i = r.pick(Some(&key_bytes(k)), 0.0).unwrap().unwrap();
    json!(r.id(i))
}

/// The configurations and keys the vectors cover (used only when blessing).
fn spec() -> Vec<Json> {
    let mut keys: Vec<Json> = (0..40).map(|i| json!(format!("key-{i}"))).collect();
    for k in [
        "",
        "a",
        "/user/42",
        "/static/app.css?v=3",
        "東京",
        "emoji 🎉 key",
        "ünïcödé/παράδειγμα",
    ] {
        keys.push(json!(k));
    }
    keys.push(json!("x".repeat(300)));
    keys.push(json!({ "hex": "00ff10fe" }));
    keys.push(json!({ "hex": "" }));
    let base =
        json!({ "strategy": "ring", "nodes": [{ "id": "a", "weight": 2 }, { "id": "b" }, { "id": "c" }], "seed": 7 });
    let five: Vec<Json> = (1..=5)
        .map(|i| json!({ "id": format!("origin-{i}.example:8080") }))
        .collect();
    let secret = "000102030405060708090a0b0c0d0e0f";
    let skewed = json!([{ "id": "a", "weight": 1 }, { "id": "b", "weight": 2 }, { "id": "c", "weight": 3 }, { "id": "d", "weight": 4 }]);
    let churn = json!([{ "op": "remove", "id": "b" }, { "op": "add", "node": { "id": "e", "weight": 2 } },
                       { "op": "setWeight", "id": "c", "weight": 1 }, { "op": "remove", "id": "a" }]);
    let churn2 = churn.clone();
    let cases = vec![
        ("readme-example", base.clone(), json!([])),
        (
            "default-seed-five-origins",
            json!({ "strategy": "ring", "nodes": five.clone() }),
            json!([]),
        ),
        (
            "unicode-ids-fractional-weights-40-vnodes",
            json!({ "strategy": "ring", "vnodes": 40, "seed": 123456789,
                    "nodes": [{ "id": "東京-1", "weight": 1 }, { "id": "zürich", "weight": 0.5 }, { "id": "a b/c", "weight": 3 }] }),
            json!([]),
        ),
        (
            "after-remove-add-reweight",
            base,
            json!([{ "op": "remove", "id": "b" }, { "op": "add", "node": { "id": "d", "weight": 1.5 } },
                   { "op": "setWeight", "id": "c", "weight": 3 }]),
        ),
        (
            "ring-secret",
            json!({ "strategy": "ring", "nodes": five.clone(), "secret": secret }),
            json!([]),
        ),
        (
            "rendezvous-skewed",
            json!({ "strategy": "rendezvous", "nodes": skewed.clone(), "seed": 7 }),
            json!([]),
        ),
        (
            "rendezvous-secret-churn",
            json!({ "strategy": "rendezvous", "nodes": skewed.clone(), "secret": secret }),
            churn.clone(),
        ),
        (
            "maglev-default-table",
            json!({ "strategy": "maglev", "nodes": five.clone() }),
            json!([]),
        ),
        (
            "maglev-small-table-skewed-churn",
            json!({ "strategy": "maglev", "nodes": skewed.clone(), "tableSize": 101, "seed": 3 }),
            churn.clone(),
        ),
        (
            "jump-skewed",
            json!({ "strategy": "jump", "nodes": skewed.clone() }),
            json!([]),
        ),
        (
            "jump-secret-churn",
            json!({ "strategy": "jump", "nodes": skewed, "secret": secret, "seed": 9 }),
            churn,
        ),
        (
            "ring-bounded-idle",
            json!({ "strategy": "ring", "nodes": five, "boundedLoad": true }),
            json!([]),
        ),
        (
            "rendezvous-redis-compat-churn",
            json!({ "strategy": "rendezvous", "compat": "redis", "seed": 7,
                    "nodes": [{ "id": "a", "weight": 1 }, { "id": "b", "weight": 2.5 }, { "id": "東京", "weight": 0.3333333333333333 },
                              { "id": "c", "weight": 3 }, { "id": "d", "weight": 4 }] }),
            churn2,
        ),
        (
            "hash-modulo-churn",
            json!({ "strategy": "hash", "nodes": [{ "id": "a", "weight": 1 }, { "id": "b", "weight": 2 }, { "id": "c", "weight": 3 }, { "id": "d", "weight": 4 }], "seed": 5 }),
            json!([{ "op": "remove", "id": "b" }, { "op": "add", "node": { "id": "e", "weight": 2 } },
                   { "op": "setWeight", "id": "c", "weight": 1 }]),
        ),
        // The compat profiles (each checked against its daemon by test-js/compat), pinned for every platform.
        (
            "nginx-consistent-churn",
            json!({ "strategy": "ring", "compat": "nginx",
                    "nodes": [{ "id": "10.0.0.1:8080", "weight": 2 }, { "id": "backend" }, { "id": "unix:/run/app.sock" },
                              { "id": "[::1]:81", "weight": 3 }] }),
            json!([{ "op": "remove", "id": "backend" }, { "op": "add", "node": { "id": "10.0.0.2:8080", "weight": 1 } },
                   { "op": "setWeight", "id": "[::1]:81", "weight": 1 }]),
        ),
        (
            "nginx-hash",
            json!({ "strategy": "hash", "compat": "nginx",
                    "nodes": [{ "id": "10.0.0.1:8080", "weight": 3 }, { "id": "10.0.0.2:8080" }, { "id": "10.0.0.3" }] }),
            json!([]),
        ),
        (
            "twemproxy-ketama-named-11211",
            json!({ "strategy": "ring", "compat": "twemproxy",
                    "nodes": [{ "id": "10.0.0.1:11211", "weight": 2 }, { "id": "10.0.0.2:22122" },
                              { "id": "10.0.0.3:22122", "name": "cache-c" }, { "id": "/run/mc.sock", "weight": 3 }] }),
            json!([{ "op": "remove", "id": "10.0.0.2:22122" }, { "op": "add", "node": { "id": "10.0.0.4:11211", "weight": 1 } }]),
        ),
        (
            "twemproxy-modula-murmur",
            json!({ "strategy": "hash", "compat": "twemproxy", "hash": "murmur",
                    "nodes": [{ "id": "10.0.0.10:11211" }, { "id": "10.0.0.2:11211", "weight": 2 }, { "id": "10.0.0.3:5000", "name": "z" }] }),
            json!([]),
        ),
        (
            "libketama-skewed",
            json!({ "strategy": "ring", "compat": "libketama",
                    "nodes": [{ "id": "10.0.0.1:11211", "weight": 100 }, { "id": "10.0.0.2:11211", "weight": 300 },
                              { "id": "10.0.0.3:11211", "weight": 150 }] }),
            json!([]),
        ),
        (
            "haproxy-consistent-ids-churn",
            json!({ "strategy": "ring", "compat": "haproxy",
                    "nodes": [{ "id": "s1", "weight": 2 }, { "id": "s2", "serverId": 1 }, { "id": "s3" }, { "id": "s4", "weight": 5 }] }),
            json!([{ "op": "remove", "id": "s3" }, { "op": "add", "node": { "id": "s5", "serverId": 9, "weight": 2 } },
                   { "op": "setWeight", "id": "s4", "weight": 1 }]),
        ),
        (
            "haproxy-map-djb2-avalanche",
            json!({ "strategy": "hash", "compat": "haproxy", "hash": "djb2", "avalanche": true,
                    "nodes": [{ "id": "s1", "weight": 4 }, { "id": "s2", "weight": 2 }, { "id": "s3", "weight": 6 }] }),
            json!([]),
        ),
        (
            "squid-carp-names-churn",
            json!({ "strategy": "rendezvous", "compat": "squid",
                    "nodes": [{ "id": "10.0.0.1:3128", "weight": 3 }, { "id": "10.0.0.2:3128" },
                              { "id": "[::1]:3128", "weight": 2 }, { "id": "cache-d", "name": "δ-peer", "weight": 5 }] }),
            json!([{ "op": "remove", "id": "10.0.0.2:3128" }, { "op": "add", "node": { "id": "10.0.0.5:8080", "weight": 2 } },
                   { "op": "setWeight", "id": "cache-d", "weight": 1 }]),
        ),
        (
            "squid-carp-a-weight-under-a-thousandth",
            json!({ "strategy": "rendezvous", "compat": "squid",
                    "nodes": [{ "id": "a", "weight": 1000 }, { "id": "b", "weight": 1 }, { "id": "c", "weight": 1000 },
                              { "id": "d", "weight": 500 }] }),
            json!([]),
        ),
        (
            "varnish-shard-hash-churn",
            json!({ "strategy": "ring", "compat": "varnish",
                    "nodes": [{ "id": "b0" }, { "id": "b1", "weight": 2 }, { "id": "βeta", "weight": 1.5 }, { "id": "d" }] }),
            json!([{ "op": "remove", "id": "b1" }, { "op": "add", "node": { "id": "e", "weight": 3 } },
                   { "op": "setWeight", "id": "d", "weight": 2.25 }]),
        ),
        (
            "varnish-shard-url",
            json!({ "strategy": "ring", "compat": "varnish", "hash": "url",
                    "nodes": [{ "id": "origin-1" }, { "id": "origin-2" }, { "id": "origin-3", "weight": 2 }] }),
            json!([]),
        ),
        (
            "caddy-upstreams-churn",
            json!({ "strategy": "rendezvous", "compat": "caddy",
                    "nodes": [{ "id": "10.0.0.1:8080" }, { "id": "10.0.0.2:8080" }, { "id": "backend.internal:80" },
                              { "id": "unix//run/app.sock" }] }),
            json!([{ "op": "remove", "id": "10.0.0.2:8080" }, { "op": "add", "node": { "id": "10.0.0.9:8080" } }]),
        ),
    ];
    cases
        .into_iter()
        .map(|(name, options, ops)| json!({ "name": name, "options": options, "ops": ops, "keys": keys }))
        .collect()
}

fn compute(case: &Json) -> Json {
    let mut r = build(case);
    let keys = case["keys"].as_array().unwrap();
    let picks: Vec<Json> = keys.iter().map(|k| json!([k, pick(&mut r, k)])).collect();
    let pick_n: Vec<Json> = keys
        .iter()
        .take(12)
        .map(|k| json!([k, 3, r.pick_n_ids(Some(&key_bytes(k)), 3, 0.0).unwrap()]))
        .collect();
    json!({ "name": case["name"], "options": case["options"], "ops": case["ops"], "picks": picks, "pickN": pick_n })
}

#[test]
fn ring_golden_vectors() {
    if std::env::var_os("EDGEROUTE_BLESS").is_some() {
        let cases: Vec<Json> = spec().iter().map(compute).collect();
        let doc = json!({
            "about": "Golden vectors for strategy \"ring\": each case builds a Router from options, applies ops in order, then every key in picks must map to its node and every pickN entry [key, n, ids] must match. A key is a string (hashed as UTF-8) or {hex} bytes. Written by `EDGEROUTE_BLESS=1 cargo test --test golden`; asserted natively, in wasm (Node, Chromium) and through the npm package (Node, Deno, workerd, Chromium).",
            "cases": cases,
        });
        std::fs::write(PATH, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
    }
    let doc: Json = serde_json::from_str(&std::fs::read_to_string(PATH).expect("golden file")).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 26);
    for case in cases {
        let mut r = build(case);
        for p in case["picks"].as_array().unwrap() {
            assert_eq!(pick(&mut r, &p[0]), p[1], "case {} key {}", case["name"], p[0]);
        }
        for p in case["pickN"].as_array().unwrap() {
            let got = r
                .pick_n_ids(Some(&key_bytes(&p[0])), p[1].as_u64().unwrap() as usize, 0.0)
                .unwrap();
            assert_eq!(json!(got), p[2], "case {} pickN key {}", case["name"], p[0]);
        }
    }
}
