//! The quality report of the consistent-hashing strategies: balance, disruption and cost, as Markdown.
//!
//! `cargo run --release --example quality > build/quality-native.md` (make quality runs it and the Node half,
//! and writes docs/quality.md). Takes a few minutes on 2 cores. Uses the public API only.

use std::time::Instant;

use edgeroute::base::rng::Rng;
use edgeroute::strategy::maglev::DEFAULT_TABLE_SIZE;
use edgeroute::{Config, NodeSpec, Router, StrategyKind};

const KEYS: usize = 1_000_000;
/// Bounded variants place every key as a request that stays in flight; their walk is costlier, so fewer keys.
const BOUNDED_KEYS: usize = 100_000;

#[derive(Clone, Copy)]
struct Variant {
    name: &'static str,
    kind: StrategyKind,
    vnodes: u32,
    bounded: bool,
}

const VARIANTS: [Variant; 9] = [
    Variant {
        name: "ring, 40 points",
        kind: StrategyKind::Ring,
        vnodes: 40,
        bounded: false,
    },
    Variant {
        name: "ring, 160 points",
        kind: StrategyKind::Ring,
        vnodes: 160,
        bounded: false,
    },
    Variant {
        name: "ring, 1000 points",
        kind: StrategyKind::Ring,
        vnodes: 1000,
        bounded: false,
    },
    Variant {
        name: "maglev, M = 65537",
        kind: StrategyKind::Maglev,
        vnodes: 0,
        bounded: false,
    },
    Variant {
        name: "rendezvous",
        kind: StrategyKind::Rendezvous,
        vnodes: 0,
        bounded: false,
    },
    Variant {
        name: "jump",
        kind: StrategyKind::Jump,
        vnodes: 0,
        bounded: false,
    },
    Variant {
        name: "ring 160 + bounded c=1.25",
        kind: StrategyKind::Ring,
        vnodes: 160,
        bounded: true,
    },
    Variant {
        name: "maglev + bounded c=1.25",
        kind: StrategyKind::Maglev,
        vnodes: 0,
        bounded: true,
    },
    Variant {
        name: "rendezvous + bounded c=1.25",
        kind: StrategyKind::Rendezvous,
        vnodes: 0,
        bounded: true,
    },
];

fn pool(n: usize, skewed: bool) -> Vec<NodeSpec> {
    (0..n)
        .map(|i| {
            NodeSpec::new(
                &format!("origin-{i}.pool.internal:8080"),
                if skewed { (1 + i % 10) as f64 } else { 1.0 },
            )
        })
        .collect()
}

fn router(v: Variant, nodes: &[NodeSpec]) -> Router {
    let mut cfg = Config::new(v.kind, nodes.to_vec());
    if v.vnodes > 0 {
        cfg.vnodes = v.vnodes;
    }
    if v.bounded {
        cfg.bounded_load = Some(1.25);
    }
    Router::new(cfg, || 0).expect("valid config")
}

fn keys(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("/objects/{i:010}/chunk").into_bytes()).collect()
}

/// Owner id of every key. Bounded variants acquire each key and keep it in flight.
fn assign(r: &mut Router, v: Variant, ks: &[Vec<u8>]) -> Vec<String> {
    ks.iter()
        .map(|k| {
            let i = if v.bounded {
                r.acquire(Some(k), 0.0)
            } else {
                r.pick(Some(k), 0.0)
            };
            r.id(i.unwrap().unwrap()).to_owned()
        })
        .collect()
}

/// (max/mean, sd) of the load relative to each node's fair share (keys × w / W).
fn balance(owner: &[String], nodes: &[NodeSpec]) -> (f64, f64) {
    let wsum: f64 = nodes.iter().map(|n| n.weight).sum();
    let mut count = std::collections::HashMap::new();
    for o in owner {
        *count.entry(o.as_str()).or_insert(0usize) += 1;
    }
    let rel: Vec<f64> = nodes
        .iter()
        .map(|n| *count.get(n.id.as_str()).unwrap_or(&0) as f64 / (owner.len() as f64 * n.weight / wsum))
        .collect();
    let max = rel.iter().cloned().fold(0.0, f64::max);
    let sd = (rel.iter().map(|r| (r - 1.0) * (r - 1.0)).sum::<f64>() / rel.len() as f64).sqrt();
    (max, sd)
}

/// The same figures for a perfect assignment: each key independently to node i with probability wᵢ/W.
fn ideal_balance(nodes: &[NodeSpec], k: usize) -> (f64, f64) {
    let wsum: f64 = nodes.iter().map(|n| n.weight).sum();
    let mut prefix = vec![];
    let mut acc = 0.0;
    for n in nodes {
        acc += n.weight;
        prefix.push(acc);
    }
    let mut rng = Rng::new(2024);
    let owner: Vec<String> = (0..k)
        .map(|_| {
            let u = rng.next_f64() * wsum;
            nodes[prefix.partition_point(|&p| p <= u).min(nodes.len() - 1)]
                .id
                .clone()
        })
        .collect();
    balance(&owner, nodes)
}

struct Change {
    moved: f64,
    minimum: f64,
    ideal: f64,
}

fn change(v: Variant, nodes: &[NodeSpec], ks: &[Vec<u8>], before: &[String], what: &str) -> Change {
    let mut r = router(v, nodes);
    let wsum: f64 = nodes.iter().map(|n| n.weight).sum();
    let target = &nodes[nodes.len() / 2];
    let (ideal, changed) = match what {
        "remove" => {
            r.remove(&target.id);
            (target.weight / wsum, target.id.clone())
        }
        "add" => {
            let w = (wsum / nodes.len() as f64).round().max(1.0);
            r.add(NodeSpec::new("newcomer.pool.internal:8080", w)).unwrap();
            (w / (wsum + w), "newcomer.pool.internal:8080".to_owned())
        }
        _ => {
            r.set_weight(&target.id, target.weight * 2.0).unwrap();
            // The node's share grows from w/W to 2w/(W+w); that gain is what has to move.
            let w = target.weight;
            (2.0 * w / (wsum + w) - w / wsum, target.id.clone())
        }
    };
    let after = assign(&mut r, v, ks);
    let n = ks.len() as f64;
    let moved = before.iter().zip(&after).filter(|(b, a)| b != a).count() as f64 / n;
    // The fewest keys any algorithm could have moved to reach this assignment: those that had to leave the
    // removed node, or that the grown node now holds and did not before.
    let minimum = match what {
        "remove" => before.iter().filter(|b| **b == changed).count() as f64 / n,
        _ => {
            before
                .iter()
                .zip(&after)
                .filter(|(b, a)| **a == changed && **b != changed)
                .count() as f64
                / n
        }
    };
    Change { moved, minimum, ideal }
}

fn memory_per_node(v: Variant, nodes: &[NodeSpec]) -> f64 {
    let n = nodes.len() as f64;
    let wsum: f64 = nodes.iter().map(|n| n.weight).sum();
    let node_table = 80.0; // NodeState plus the id index entry, without the id bytes
    node_table
        + match v.kind {
            StrategyKind::Ring => 12.0 * (wsum * v.vnodes as f64) / n, // 8-byte hash + 4-byte owner per point
            StrategyKind::Maglev => 4.0 * DEFAULT_TABLE_SIZE as f64 / n,
            StrategyKind::Rendezvous => 8.0,
            StrategyKind::Jump => 4.0 * wsum / n + 8.0 + 24.0 + 8.0,
            _ => 0.0,
        }
}

fn main() {
    println!("## Native measurements\n");
    println!(
        "Generated by `cargo run --release --example quality` ({} keys; bounded variants {} keys kept in flight).\n",
        KEYS, BOUNDED_KEYS
    );
    let all_keys = keys(KEYS);
    for skewed in [false, true] {
        for n in [10usize, 100, 1000] {
            let nodes = pool(n, skewed);
            let (imax, isd) = ideal_balance(&nodes, KEYS);
            let (bimax, bisd) = ideal_balance(&nodes, BOUNDED_KEYS);
            println!(
                "### {n} nodes, {} weights\n",
                if skewed { "skewed (1..10)" } else { "equal" }
            );
            println!("Perfect random assignment for reference: max/mean {imax:.4}, sd {isd:.4} at {KEYS} keys; {bimax:.4}, {bisd:.4} at {BOUNDED_KEYS}.\n");
            println!("| strategy | max/mean | sd | remove one: moved / minimum / ideal | add one | double one's weight | build ms | lookup ns | bytes/node |");
            println!("|---|---|---|---|---|---|---|---|---|");
            for v in VARIANTS {
                let ks = if v.bounded {
                    &all_keys[..BOUNDED_KEYS]
                } else {
                    &all_keys[..]
                };
                let t = Instant::now();
                let mut r = router(v, &nodes);
                let build_ms = t.elapsed().as_secs_f64() * 1e3;
                let t = Instant::now();
                let before = assign(&mut r, v, ks);
                let lookup_ns = t.elapsed().as_secs_f64() * 1e9 / ks.len() as f64;
                let (max, sd) = balance(&before, &nodes);
                let fmt = |c: Change| {
                    format!(
                        "{:.4}% / {:.4}% / {:.4}%",
                        c.moved * 100.0,
                        c.minimum * 100.0,
                        c.ideal * 100.0
                    )
                };
                let rm = fmt(change(v, &nodes, ks, &before, "remove"));
                let add = fmt(change(v, &nodes, ks, &before, "add"));
                let dbl = fmt(change(v, &nodes, ks, &before, "double"));
                println!(
                    "| {} | {max:.4} | {sd:.4} | {rm} | {add} | {dbl} | {build_ms:.2} | {lookup_ns:.0} | {:.0} |",
                    v.name,
                    memory_per_node(v, &nodes)
                );
                eprintln!("done: {} nodes{} {}", n, if skewed { " skewed" } else { "" }, v.name);
            }
            println!();
        }
    }
}
