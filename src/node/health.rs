//! Passive health: outlier ejection from reported outcomes, half-open probes, manual marks, and the limits that
//! keep ejection from making things worse (a maximum ejected share and a panic threshold).
//!
//! The model follows Envoy's outlier detection (consecutive failures, failure rate over an interval, ejection
//! time growing with the number of ejections, a cap on the ejected share) and its healthy-panic threshold. A
//! node is ejected after `consecutiveFailures` failures in a row, or when at least `minRequests` outcomes in
//! the current `windowMs` interval fail at `failureRate` or more. An ejection lasts
//! `min(baseEjectionMs × 2^(times ejected before), maxEjectionMs)`; then one probe request may go to the node
//! (half-open): a success restores it, a failure ejects it again for longer. The count of past ejections is
//! forgotten after the node stays healthy for `maxEjectionMs`.
//!
//! Health never rebuilds a strategy's table: strategies skip unusable nodes at pick time, so keys of healthy
//! nodes never move when another node flaps, and keys return home when their node recovers.

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealthConfig {
    /// Passive ejection on; `false` leaves only manual marks.
    pub passive: bool,
    pub consecutive_failures: u32,
    pub failure_rate: f64,
    pub min_requests: u32,
    pub window_ms: f64,
    pub base_ejection_ms: f64,
    pub max_ejection_ms: f64,
    pub max_ejected_share: f64,
    pub panic_threshold: f64,
    pub probe_timeout_ms: f64,
}

impl Default for HealthConfig {
    /// Envoy's outlier-detection defaults where it has them (5 consecutive failures, a 10 s interval, a 30 s
    /// base and 300 s maximum ejection, a 50% healthy-panic threshold); the maximum ejected share is 50%, where
    /// Envoy uses 10%: edge pools are small (two to five origins), and 10% of those is no node at all.
    fn default() -> Self {
        HealthConfig {
            passive: true,
            consecutive_failures: 5,
            failure_rate: 0.5,
            min_requests: 20,
            window_ms: 10_000.0,
            base_ejection_ms: 30_000.0,
            max_ejection_ms: 300_000.0,
            max_ejected_share: 0.5,
            panic_threshold: 0.5,
            probe_timeout_ms: 10_000.0,
        }
    }
}

/// A node's health as seen from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Healthy,
    /// Ejected by outlier detection until `ejected_until`.
    Ejected,
    /// The ejection ended: the next request is a probe.
    Probing,
    /// Marked down by hand.
    Down,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Healthy => "healthy",
            State::Ejected => "ejected",
            State::Probing => "probing",
            State::Down => "down",
        }
    }
}

/// Per-node health bookkeeping.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Health {
    pub consecutive: u32,
    pub window_start: f64,
    pub window_ok: u32,
    pub window_failed: u32,
    /// Ejections so far (drives the backoff); forgotten after `maxEjectionMs` of health.
    pub ejections: u32,
    /// End of the current ejection (ms), or 0.
    pub ejected_until: f64,
    /// When the node last became healthy again.
    pub healthy_since: f64,
    /// Manual mark: down until this time (ms); `f64::INFINITY` for "until markUp"; 0 for none.
    pub down_until: f64,
    /// A probe request is out since this time (ms), or 0.
    pub probe_since: f64,
}

impl Health {
    /// The state at `now`.
    pub fn state(&self, now: f64) -> State {
        if self.down_until > now {
            State::Down
        } else if self.ejected_until > now {
            State::Ejected
        } else if self.ejected_until > 0.0 {
            State::Probing
        } else {
            State::Healthy
        }
    }

    /// Whether a request may go to the node at `now` (a probing node takes one request at a time).
    pub fn usable(&self, now: f64, probe_timeout_ms: f64) -> bool {
        match self.state(now) {
            State::Healthy => true,
            State::Probing => self.probe_since == 0.0 || now - self.probe_since >= probe_timeout_ms,
            State::Ejected | State::Down => false,
        }
    }

    /// The next time (ms) at which `usable` can change without any call, or infinity.
    pub fn next_change(&self, now: f64, probe_timeout_ms: f64) -> f64 {
        let mut t = f64::INFINITY;
        if self.down_until > now && self.down_until.is_finite() {
            t = t.min(self.down_until);
        }
        if self.ejected_until > now {
            t = t.min(self.ejected_until);
        }
        if self.probe_since > 0.0 {
            t = t.min(self.probe_since + probe_timeout_ms);
        }
        t
    }

    fn ejection_ms(&self, cfg: &HealthConfig) -> f64 {
        let factor = 2f64.powi(self.ejections.min(60) as i32);
        (cfg.base_ejection_ms * factor).min(cfg.max_ejection_ms)
    }

    /// Ejects now (the caller checked the ejected-share cap).
    pub fn eject(&mut self, now: f64, cfg: &HealthConfig) {
        self.ejected_until = now + self.ejection_ms(cfg);
        self.ejections = self.ejections.saturating_add(1);
        self.probe_since = 0.0;
        self.consecutive = 0;
        self.window_start = now;
        self.window_ok = 0;
        self.window_failed = 0;
    }

    /// Records an outcome. Returns true when the node should now be ejected (outlier detection fired).
    pub fn record(&mut self, ok: bool, now: f64, cfg: &HealthConfig) -> bool {
        if now - self.window_start >= cfg.window_ms || now < self.window_start {
            self.window_start = now;
            self.window_ok = 0;
            self.window_failed = 0;
        }
        let probing = self.ejected_until > 0.0 && self.ejected_until <= now;
        if ok {
            self.consecutive = 0;
            self.window_ok = self.window_ok.saturating_add(1);
            if probing {
                self.ejected_until = 0.0;
                self.probe_since = 0.0;
                self.healthy_since = now;
            } else if self.ejections > 0 && self.ejected_until == 0.0 && now - self.healthy_since >= cfg.max_ejection_ms
            {
                self.ejections = 0;
            }
            return false;
        }
        self.consecutive = self.consecutive.saturating_add(1);
        self.window_failed = self.window_failed.saturating_add(1);
        if !cfg.passive {
            return false;
        }
        if probing {
            return true;
        }
        if self.ejected_until > now {
            return false; // already ejected: a late outcome
        }
        let by_streak = cfg.consecutive_failures > 0 && self.consecutive >= cfg.consecutive_failures;
        let total = self.window_ok + self.window_failed;
        let by_rate = cfg.failure_rate > 0.0
            && total >= cfg.min_requests
            && self.window_failed as f64 >= cfg.failure_rate * total as f64;
        by_streak || by_rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streak_ejects_and_backoff_doubles_up_to_the_max() {
        let cfg = HealthConfig {
            base_ejection_ms: 100.0,
            max_ejection_ms: 350.0,
            ..HealthConfig::default()
        };
        let mut h = Health::default();
        for i in 0..4 {
            assert!(!h.record(false, i as f64, &cfg));
        }
        assert!(h.record(false, 4.0, &cfg));
        h.eject(4.0, &cfg);
        assert_eq!(h.state(50.0), State::Ejected);
        assert_eq!(h.state(104.0), State::Probing);
        assert!(h.usable(104.0, 10.0));
        // The probe fails: ejected again for 200 ms, then 350 (capped), not 400.
        assert!(h.record(false, 105.0, &cfg));
        h.eject(105.0, &cfg);
        assert_eq!(h.ejected_until, 305.0);
        h.eject(305.0, &cfg);
        assert_eq!(h.ejected_until, 655.0);
        // A successful probe restores it.
        assert!(!h.record(true, 700.0, &cfg));
        assert_eq!(h.state(700.0), State::Healthy);
    }

    #[test]
    fn failure_rate_needs_min_requests_in_the_window() {
        let cfg = HealthConfig {
            consecutive_failures: 0,
            failure_rate: 0.5,
            min_requests: 10,
            window_ms: 1000.0,
            ..HealthConfig::default()
        };
        let mut h = Health::default();
        let mut fired = false;
        for i in 0..10 {
            fired = h.record(i % 2 == 0, i as f64, &cfg);
        }
        assert!(fired, "5 of 10 failed");
        let mut h = Health::default();
        for i in 0..9 {
            assert!(!h.record(false, i as f64 * 200.0, &cfg) || i >= 9);
        }
    }
}
