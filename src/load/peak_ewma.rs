//! The peak-EWMA latency estimator (the `load` layer: what a balancer measures, apart from how it chooses).
//!
//! It follows the peak-EWMA idea of Finagle and tower's `load::PeakEwma`: a sample above the estimate replaces
//! it at once (react to trouble fast); a sample below it is blended in with weight 1 - e^(-Δt/τ), so the
//! estimate falls with elapsed time, not with request count. Between samples the estimate also decays toward
//! zero with the same time constant, so a node that was slow once is tried again later. Time is always passed in
//! by the caller.

use crate::base::detmath;

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
