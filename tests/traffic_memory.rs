//! Zones and priority levels must cost memory in proportion to the node table, whatever the caller does: a
//! counting allocator measures the heap that picks add (the per-part masks, the health thresholds). One test,
//! so no other thread allocates while it measures.

use edgeroute::{Config, NodeSpec, Router, StrategyKind};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static NOW: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = NOW.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        NOW.fetch_sub(l.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            let now = NOW.fetch_add(new, Relaxed) + new;
            PEAK.fetch_max(now, Relaxed);
            NOW.fetch_sub(l.size(), Relaxed);
        }
        q
    }
}

#[global_allocator]
static A: Counting = Counting;

const T0: f64 = 1_000_000.0;
const MIB: usize = 1 << 20;

fn router(kind: StrategyKind, n: usize, zone: impl Fn(usize) -> String, priority: impl Fn(usize) -> u8) -> Router {
    let nodes = (0..n)
        .map(|i| NodeSpec {
            zone: Some(zone(i)),
            priority: priority(i),
            ..NodeSpec::new(&format!("n{i:05}"), 1.0)
        })
        .collect();
    let mut cfg = Config::new(kind, nodes);
    cfg.seed = Some(1);
    Router::new(cfg, || 1).unwrap()
}

#[test]
fn zones_and_levels_cost_memory_in_proportion_to_the_nodes() {
    // 1. Masks: 4,096 nodes, each in a zone of its own; a caller cycling through every zone must not leave a
    //    mask per part behind (2 × 4,096 masks of 4,096 bytes = 32 MiB; with 65,536 nodes, 8 GiB).
    let n = 4096;
    let mut r = router(StrategyKind::Random, n, |i| format!("z{i:05}"), |_| 0);
    let mut out = Vec::new();
    r.pick_n_in(None, 0, 2, T0, &mut out).unwrap();
    let base = NOW.load(Relaxed);
    for z in 0..n as u32 {
        r.pick_n_in(None, z, 2, T0, &mut out).unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0], z as usize, "a caller in a healthy zone of one node stays in it");
    }
    let kept = NOW.load(Relaxed).saturating_sub(base);
    assert!(kept < 2 * MIB, "picks in {n} zones kept {} KiB of masks", kept / 1024);
    drop(r);

    // 2. Thresholds: 8,192 nodes over 128 levels, each node in a zone of its own. The health behind the
    //    thresholds is per (level, zone) that has nodes (at most one per node), not per level × zone
    //    (128 × 8,192 cells: 1 MiB of flags, 8 MiB of shares, 16 MiB of weights at every health change).
    let n = 8192;
    let base = NOW.load(Relaxed);
    PEAK.store(base, Relaxed);
    let mut r = router(StrategyKind::Random, n, |i| format!("z{i:05}"), |i| (i % 128) as u8);
    r.mark_down("n00000", None, T0).unwrap();
    r.pick_in(None, 5, T0).unwrap().unwrap();
    let peak = PEAK.load(Relaxed) - base;
    let table = NOW.load(Relaxed) - base;
    assert!(
        peak < table + 4 * MIB,
        "a Router of {n} nodes ({} KiB) peaked {} KiB above its start at its first pick",
        table / 1024,
        peak / 1024
    );
}
