//! Balance and disruption of the ATS and Envoy profiles beside edgeroute's own ring and maglev, as the Markdown
//! table of docs/compat.md: `cargo run --release --example compat_quality`. Uses the public API only.

use edgeroute::{Router, Value};

const KEYS: usize = 200_000;

fn router(options: &str, nodes: &[(String, f64)]) -> Router {
    let list: Vec<String> = nodes
        .iter()
        .map(|(id, w)| format!(r#"{{"id":"{id}","weight":{w}}}"#))
        .collect();
    let json = options.replace("NODES", &format!("[{}]", list.join(",")));
    let v: Value = serde_json::from_str(&json).expect("options JSON");
    Router::from_value(&v, || 1).expect("a valid config")
}

fn owners(r: &mut Router, keys: &[String]) -> Vec<String> {
    keys.iter()
        .map(|k| {
            let i = r.pick(Some(k.as_bytes()), 0.0).unwrap().unwrap();
            r.id(i).to_owned()
        })
        .collect()
}

fn main() {
    let keys: Vec<String> = (0..KEYS).map(|i| format!("/objects/{i}?v=2")).collect();
    let profiles = [
        (
            "ats (1024 × weight points)",
            r#"{"strategy":"ring","compat":"ats","nodes":NODES}"#,
        ),
        (
            "envoy ring (min 1024)",
            r#"{"strategy":"ring","compat":"envoy","nodes":NODES}"#,
        ),
        (
            "envoy maglev (M = 65537)",
            r#"{"strategy":"maglev","compat":"envoy","nodes":NODES}"#,
        ),
        ("edgeroute ring (160 × weight)", r#"{"strategy":"ring","nodes":NODES}"#),
        ("edgeroute maglev (M = 65537)", r#"{"strategy":"maglev","nodes":NODES}"#),
    ];
    println!("{KEYS} keys `/objects/<i>?v=2`. Balance: the most-loaded node's share over its weight's share (1.00 is");
    println!("perfect). Disruption: keys that moved when the 10th node was removed, and when an 11th was added, over");
    println!("the minimum (the keys the changed node owns).\n");
    println!("| profile | 10 equal: balance | 10 weights 1..10: balance | remove one: moved / minimum | add one: moved / minimum |");
    println!("|---|---|---|---|---|");
    for (name, opts) in profiles {
        let pool = |n: usize, skewed: bool| -> Vec<(String, f64)> {
            (0..n)
                .map(|i| (format!("10.0.{i}.1:8080"), if skewed { (i + 1) as f64 } else { 1.0 }))
                .collect()
        };
        let balance = |skewed: bool| {
            let nodes = pool(10, skewed);
            let total: f64 = nodes.iter().map(|n| n.1).sum();
            let got = owners(&mut router(opts, &nodes), &keys);
            nodes
                .iter()
                .map(|(id, w)| {
                    let share = got.iter().filter(|o| *o == id).count() as f64 / KEYS as f64;
                    share / (w / total)
                })
                .fold(0.0f64, f64::max)
        };
        let ten = owners(&mut router(opts, &pool(10, false)), &keys);
        let nine = owners(&mut router(opts, &pool(9, false)), &keys);
        let eleven = owners(&mut router(opts, &pool(11, false)), &keys);
        let last = pool(10, false)[9].0.clone();
        let new = pool(11, false)[10].0.clone();
        let moved = |a: &[String], b: &[String]| a.iter().zip(b).filter(|(x, y)| x != y).count() as f64;
        let removed = moved(&ten, &nine) / ten.iter().filter(|o| **o == last).count() as f64;
        let added = moved(&ten, &eleven) / eleven.iter().filter(|o| **o == new).count() as f64;
        println!(
            "| {name} | {:.3} | {:.3} | {removed:.2} | {added:.2} |",
            balance(false),
            balance(true)
        );
    }
}
