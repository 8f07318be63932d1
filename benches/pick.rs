//! Native pick cost, for the wasm/native ratio of docs/performance.md: the same lookups as bench/peers.mjs
//! (100 nodes, distinct 32-byte ASCII keys) through the core `Router`, without JS or wasm.
//!   cargo bench --bench pick
#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::Criterion;
    use edgeroute::{Config, NodeSpec, Router, StrategyKind};
    use std::hint::black_box;

    fn nodes(n: usize) -> Vec<NodeSpec> {
        (0..n)
            .map(|i| NodeSpec::new(&format!("origin-{i}.example.net:443"), 1.0))
            .collect()
    }

    fn keys() -> Vec<Vec<u8>> {
        (0..200_000)
            .map(|i| format!("/{i}/{}", "x".repeat(32)).as_bytes()[..32].to_vec())
            .collect()
    }

    pub fn run() {
        let mut c = Criterion::default().configure_from_args();
        let keys = keys();
        let mut g = c.benchmark_group("pick, 100 nodes, 32-byte keys");
        for kind in [
            StrategyKind::Ring,
            StrategyKind::Maglev,
            StrategyKind::Jump,
            StrategyKind::Hash,
            StrategyKind::Rendezvous,
        ] {
            let mut r = Router::new(Config::new(kind, nodes(100)), || 1).unwrap();
            let mut i = 0;
            g.bench_function(kind.name(), |b| {
                b.iter(|| {
                    i = (i + 1) % keys.len();
                    black_box(r.pick(Some(&keys[i]), 1.0).unwrap())
                })
            });
        }
        let mut r = Router::new(Config::new(StrategyKind::Ring, nodes(100)), || 1).unwrap();
        let mut out = Vec::new();
        let mut i = 0;
        g.bench_function("ring pickN 3", |b| {
            b.iter(|| {
                i = (i + 1) % keys.len();
                r.pick_n(Some(&keys[i]), 3, 1.0, &mut out).unwrap();
                black_box(out.len())
            })
        });
        g.finish();
        let mut g = c.benchmark_group("construction, 1000 nodes");
        g.sample_size(20);
        for kind in [StrategyKind::Ring, StrategyKind::Maglev] {
            let ns = nodes(1000);
            g.bench_function(kind.name(), |b| {
                b.iter(|| Router::new(Config::new(kind, ns.clone()), || 1).unwrap())
            });
        }
        g.finish();
        c.final_summary();
    }
}

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    native::run();
}
