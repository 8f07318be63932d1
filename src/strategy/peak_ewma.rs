//! Least latency: a peak-sensitive EWMA of reported latency per node, choosing by the power of two random
//! choices.
//!
//! The estimator follows the peak-EWMA idea of Finagle and tower's `load::PeakEwma`: a sample above the
//! estimate replaces it at once (react to trouble fast); a sample below it is blended in with weight
//! 1 - e^(-Δt/τ), so the estimate falls with elapsed time, not with request count. Between samples the estimate
//! also decays toward zero with the same time constant, so a node that was slow once is tried again later.
//! Time is always passed in by the caller.
//!
//! The cost of a node is `estimate × (in_flight + 1) / weight`. A pick draws two distinct nodes at random and
//! takes the cheaper (Mitzenmacher, "The power of two choices in randomized load balancing", 2001): nearly the
//! balance of a full scan, without herding every isolate onto the same node. A node with no sample yet costs 0
//! while it has nothing in flight, so new nodes are explored at once; once it has requests in flight it is
//! costed at the mean estimate of the sampled nodes.

use super::{fill_by_score, two_choices, Ctx, Strategy};
use crate::detmath;
use crate::error::Result;
use crate::node::NodeState;

/// A time-decayed, peak-sensitive latency estimate in ms.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PeakEwma {
    est_ms: f64,
    at_ms: f64,
    sampled: bool,
}

impl PeakEwma {
    pub fn is_sampled(&self) -> bool {
        self.sampled
    }

    /// The estimate at `now_ms`, decayed for the time since the last sample; `None` before the first sample.
    pub fn estimate(&self, now_ms: f64, tau_ms: f64) -> Option<f64> {
        if !self.sampled {
            return None;
        }
        let dt = (now_ms - self.at_ms).max(0.0);
        Some(self.est_ms * detmath::exp(-dt / tau_ms))
    }

    /// Adds a latency sample taken at `now_ms`. A clock that moves backwards is treated as no time passing.
    pub fn observe(&mut self, rtt_ms: f64, now_ms: f64, tau_ms: f64) {
        if !self.sampled || rtt_ms >= self.est_ms {
            self.est_ms = rtt_ms;
        } else {
            let dt = (now_ms - self.at_ms).max(0.0);
            let keep = detmath::exp(-dt / tau_ms);
            self.est_ms = self.est_ms * keep + rtt_ms * (1.0 - keep);
        }
        self.sampled = true;
        self.at_ms = self.at_ms.max(now_ms);
    }
}

#[derive(Debug)]
pub struct LeastLatency {
    tau_ms: f64,
}

impl LeastLatency {
    pub fn new(tau_ms: f64) -> LeastLatency {
        LeastLatency { tau_ms }
    }

    fn costs<'a>(&self, nodes: &'a [NodeState], now_ms: f64) -> impl Fn(usize) -> f64 + 'a {
        let (mut sum, mut k) = (0.0, 0u32);
        for n in nodes {
            if let Some(e) = n.latency.estimate(now_ms, self.tau_ms) {
                sum += e;
                k += 1;
            }
        }
        let unsampled = if k == 0 { 0.0 } else { sum / k as f64 };
        let tau = self.tau_ms;
        move |i: usize| {
            let n = &nodes[i];
            let est = match n.latency.estimate(now_ms, tau) {
                Some(e) => e,
                None if n.inflight == 0 => 0.0,
                None => unsampled,
            };
            est * (n.inflight as f64 + 1.0) / n.weight
        }
    }
}

impl Strategy for LeastLatency {
    fn add(&mut self, _: &[NodeState], _: usize) -> Result<()> {
        Ok(())
    }
    fn remove(&mut self, _: &[NodeState], _: usize) {}
    fn reweight(&mut self, _: &[NodeState], _: usize, _: f64) -> Result<()> {
        Ok(())
    }

    fn pick(&mut self, nodes: &[NodeState], cx: &mut Ctx) -> Option<usize> {
        let cost = self.costs(nodes, cx.now_ms);
        two_choices(nodes, cx, cost)
    }

    /// The two-choice pick first, then every other node from cheapest to dearest.
    fn pick_n(&mut self, nodes: &[NodeState], cx: &mut Ctx, n: usize, out: &mut Vec<usize>) {
        if let Some(first) = self.pick(nodes, cx) {
            out.push(first);
            fill_by_score(nodes, n, out, self.costs(nodes, cx.now_ms));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_then_time_decay() {
        let mut e = PeakEwma::default();
        assert_eq!(e.estimate(0.0, 1000.0), None);
        e.observe(10.0, 0.0, 1000.0);
        assert_eq!(e.estimate(0.0, 1000.0), Some(10.0));
        // A higher sample takes over at once.
        e.observe(100.0, 1.0, 1000.0);
        assert_eq!(e.estimate(1.0, 1000.0), Some(100.0));
        // A lower sample one time-constant later moves the estimate by 1 - 1/e of the gap.
        e.observe(0.0, 1001.0, 1000.0);
        let want = 100.0 * detmath::exp(-1.0);
        assert!((e.estimate(1001.0, 1000.0).unwrap() - want).abs() < 1e-9);
        // With no samples the estimate decays toward zero.
        let later = e.estimate(1001.0 + 5000.0, 1000.0).unwrap();
        assert!(later < want * 0.01);
        // A clock going backwards neither panics nor inflates the estimate.
        e.observe(1.0, 0.0, 1000.0);
        assert!(e.estimate(0.0, 1000.0).unwrap() <= want);
    }
}
