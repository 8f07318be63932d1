//! Slow start: a node that just joined, or just came back from an ejection or a mark, takes a growing share of
//! its weight over a window instead of its full share at once (a cold cache, a JIT still warming).
//!
//! The factor follows Envoy's slow start (`slow_start_config`, with aggression 1): at age `t` into a window of
//! `W` ms the node's effective weight is `weight × max(min, t / W)`, and its full weight from `t ≥ W` on. `min`
//! is Envoy's `min_weight_percent` (default 10 %), so the first requests are not starved to zero.

/// `slowStartMinPercent`'s default: Envoy's `min_weight_percent` default (10 %).
pub const DEFAULT_MIN_PERCENT: f64 = 10.0;

/// The slow-start window and floor (`slowStartMs`, `slowStartMinPercent`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlowStart {
    pub window_ms: f64,
    /// The floor of the factor, in percent: (0, 100].
    pub min_percent: f64,
}

impl SlowStart {
    /// The weight factor of a node whose ramp began at `since` (ms), at `now`: in `[min_percent / 100, 1]`.
    pub fn factor(&self, since: f64, now: f64) -> f64 {
        let age = now - since;
        if age >= self.window_ms {
            1.0
        } else {
            (age.max(0.0) / self.window_ms).max(self.min_percent / 100.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramps_linearly_from_the_floor_to_one() {
        let s = SlowStart {
            window_ms: 1000.0,
            min_percent: 10.0,
        };
        assert_eq!(s.factor(5000.0, 5000.0), 0.1);
        assert_eq!(s.factor(5000.0, 5050.0), 0.1);
        assert_eq!(s.factor(5000.0, 5500.0), 0.5);
        assert_eq!(s.factor(5000.0, 5999.0), 0.999);
        assert_eq!(s.factor(5000.0, 6000.0), 1.0);
        // A clock that went back counts as age 0.
        assert_eq!(s.factor(5000.0, 4000.0), 0.1);
    }
}
