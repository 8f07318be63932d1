//! A fixed-bucket latency histogram: what `metrics()` exports per node (reported outcomes) and per routed
//! request (end-to-end), recorded in O(1) with no allocation.
//!
//! The bounds are the Prometheus client libraries' default buckets (5 ms to 10 s, roughly ×2.5 apart): they
//! cover an edge worker's range from a cache hit near the origin (a few ms) to `routedFetch`'s default attempt
//! timeout (10 s), and dashboards written for the usual defaults work unchanged. Counts are kept per bucket (not
//! cumulative); exporters make them cumulative (Prometheus) or keep them as they are (OTLP).

/// Upper bounds of the buckets, in milliseconds (exported in seconds); a last bucket counts everything above.
pub const BOUNDS_MS: [f64; 11] = [
    5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0,
];

/// Buckets: one per bound, plus the overflow bucket (`+Inf`).
pub const BUCKETS: usize = BOUNDS_MS.len() + 1;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LatencyHistogram {
    /// Observations per bucket: `counts[i]` for `BOUNDS_MS[i-1] < ms <= BOUNDS_MS[i]`; the last for above all.
    pub counts: [u64; BUCKETS],
    /// The sum of all observations, in milliseconds.
    pub sum_ms: f64,
}

impl LatencyHistogram {
    /// Records one observation (a latency in ms, already checked to be finite and >= 0).
    pub fn observe(&mut self, ms: f64) {
        let i = BOUNDS_MS.iter().position(|&b| ms <= b).unwrap_or(BOUNDS_MS.len());
        self.counts[i] = self.counts[i].saturating_add(1);
        self.sum_ms += ms;
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, &c| a.saturating_add(c))
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// The counts, then the sum: `BUCKETS + 1` numbers (snapshots and `metrics()` carry histograms so).
    pub fn extend_into(&self, out: &mut Vec<f64>) {
        out.extend(self.counts.iter().map(|&c| c as f64));
        out.push(self.sum_ms);
    }

    /// The inverse of [`LatencyHistogram::extend_into`], from `BUCKETS + 1` checked numbers.
    pub fn from_slice(v: &[f64]) -> LatencyHistogram {
        let mut h = LatencyHistogram::default();
        for (c, x) in h.counts.iter_mut().zip(v) {
            *c = *x as u64;
        }
        h.sum_ms = v.get(BUCKETS).copied().unwrap_or(0.0);
        h
    }

    /// Adds another histogram's observations (a removed node's into the pool's).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a = a.saturating_add(b);
        }
        self.sum_ms += other.sum_ms;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_upper_inclusive() {
        let mut h = LatencyHistogram::default();
        for ms in [0.0, 5.0, 5.000001, 10.0, 10_000.0, 10_000.5, 1e12] {
            h.observe(ms);
        }
        assert_eq!(h.counts[0], 2); // 0 and 5 (le="0.005")
        assert_eq!(h.counts[1], 2); // just above 5, and 10
        assert_eq!(h.counts[BUCKETS - 2], 1); // 10 s exactly
        assert_eq!(h.counts[BUCKETS - 1], 2); // above every bound
        assert_eq!(h.count(), 7);
        assert!((h.sum_ms - (20.000001 + 10_000.0 + 10_000.5 + 1e12)).abs() < 1e-3);
        let mut g = LatencyHistogram::default();
        g.merge(&h);
        g.merge(&h);
        assert_eq!(g.count(), 14);
    }

    #[test]
    fn bounds_ascend() {
        assert!(BOUNDS_MS.windows(2).all(|w| w[0] < w[1]));
    }
}
