//! Config parsing and validation from arbitrary bytes: as JSON text, and as a compact binary encoding of any
//! JSON-shaped value (so the fuzzer reaches deep shapes JSON text rarely hits). Invariants: no panic; an error
//! has a non-empty message; an accepted config builds a Router (or fails with a coded size error), survives
//! to_value/from_value unchanged, and its snapshot restores the same mapping.
#![no_main]
use edgeroute::{Config, Router, Value};
use libfuzzer_sys::fuzz_target;

/// Decodes bytes into a Value: a tag byte picks the kind, the next bytes its content.
fn decode(data: &mut &[u8], depth: u32) -> Value {
    let Some((&tag, rest)) = data.split_first() else {
        return Value::Null;
    };
    *data = rest;
    let take = |data: &mut &[u8], n: usize| {
        let n = n.min(data.len());
        let (a, b) = data.split_at(n);
        *data = b;
        a.to_vec()
    };
    const NAMES: [&str; 32] = [
        "strategy",
        "nodes",
        "id",
        "weight",
        "seed",
        "vnodes",
        "secret",
        "tableSize",
        "boundedLoad",
        "health",
        "compat",
        "decayMs",
        "ring",
        "rendezvous",
        "maglev",
        "jump",
        "hash",
        "redis",
        "random",
        "consecutiveFailures",
        "failureRate",
        "baseEjectionMs",
        "least-latency",
        "__proto__",
        "ats",
        "envoy",
        "minRingSize",
        "maxRingSize",
        "hashFunction",
        "hashString",
        "varnish",
        "replicas",
    ];
    match tag % 8 {
        0 => Value::Null,
        1 => Value::Bool(tag & 0x80 != 0),
        2 => {
            let b = take(data, 8);
            let mut a = [0u8; 8];
            a[..b.len()].copy_from_slice(&b);
            Value::Num(f64::from_le_bytes(a))
        }
        3 => Value::Num((tag >> 3) as f64),
        4 => Value::Str(NAMES[(tag as usize >> 3) % NAMES.len()].to_owned()),
        5 => {
            let n = (tag >> 3) as usize;
            Value::Str(String::from_utf8_lossy(&take(data, n)).into_owned())
        }
        6 if depth < 6 => Value::Arr((0..(tag >> 4)).map(|_| decode(data, depth + 1)).collect()),
        7 if depth < 6 => Value::Obj(
            (0..(tag >> 4))
                .map(|_| {
                    let k = match decode(data, depth + 1) {
                        Value::Str(s) => s,
                        other => format!("{other:?}"),
                    };
                    (k, decode(data, depth + 1))
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn check(v: &Value) {
    match Config::from_value(v) {
        Err(e) => assert!(!e.message.is_empty()),
        Ok(cfg) => {
            let again = Config::from_value(&cfg.to_value(&cfg.nodes)).expect("to_value gives accepted options");
            assert_eq!(again, cfg, "to_value/from_value round trip");
            // Keep each input fast: skip building the very large tables the limits allow (tens of millions of
            // points or slots take seconds, and their validation is what is being fuzzed here).
            let weight: f64 = cfg.nodes.iter().map(|n| n.weight).sum();
            if weight * cfg.vnodes as f64 > 2e5 || cfg.table_size > 200_000 || weight > 2e5 {
                return;
            }
            let Ok(mut r) = Router::new(cfg, || 42) else { return };
            let snap = r.snapshot();
            let mut copy = Router::from_snapshot(&snap, || 42, 1.0).expect("a snapshot restores");
            if r.strategy().needs_key() {
                for k in 0..16u32 {
                    let key = k.to_le_bytes();
                    let a = r.pick(Some(&key), 0.0).unwrap().map(|i| r.id(i).to_owned());
                    let b = copy.pick(Some(&key), 0.0).unwrap().map(|i| copy.id(i).to_owned());
                    assert_eq!(a, b, "snapshot keeps the mapping");
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = serde_json::from_slice::<Value>(data) {
        check(&v);
    }
    let mut d = data;
    check(&decode(&mut d, 0));
});
