//! Per-node figures: [`NodeStats`] and `Router::stats`.

use super::{clock, Router};
use crate::base::value::Value;

/// Per-node figures returned by [`Router::stats`].
#[derive(Debug, Clone, PartialEq)]
pub struct NodeStats {
    pub id: String,
    pub weight: f64,
    pub picks: f64,
    pub successes: f64,
    pub failures: f64,
    pub inflight: u32,
    /// The decayed latency estimate now, or `None` before the first latency sample.
    pub ewma_ms: Option<f64>,
    /// "healthy", "ejected", "probing" or "down".
    pub state: &'static str,
    /// When the current ejection ends (ms since the epoch, like `Date.now()`), if ejected.
    pub ejected_until: Option<f64>,
    /// When a timed manual mark ends, if marked down for a time.
    pub down_until: Option<f64>,
    /// Ejections so far (ejection time doubles with each; forgotten after `maxEjectionMs` of health).
    pub ejections: u32,
    pub consecutive_failures: u32,
}

impl NodeStats {
    /// The figures as `stats()` gives them to JS (camelCase fields; `null` for an absent time or estimate).
    pub fn to_value(&self) -> Value {
        let opt = |v: Option<f64>| v.map_or(Value::Null, Value::Num);
        Value::obj(vec![
            ("id", self.id.as_str().into()),
            ("weight", self.weight.into()),
            ("picks", self.picks.into()),
            ("successes", self.successes.into()),
            ("failures", self.failures.into()),
            ("inflight", (self.inflight as f64).into()),
            ("ewmaMs", opt(self.ewma_ms)),
            ("state", self.state.into()),
            ("ejectedUntil", opt(self.ejected_until)),
            ("downUntil", opt(self.down_until)),
            ("ejections", (self.ejections as f64).into()),
            ("consecutiveFailures", (self.consecutive_failures as f64).into()),
        ])
    }
}

impl Router {
    /// Per-node figures, in table order.
    pub fn stats(&self, now_ms: f64) -> Vec<NodeStats> {
        let now_ms = clock(now_ms);
        self.nodes
            .iter()
            .map(|n| NodeStats {
                id: n.id.to_string(),
                weight: n.weight,
                picks: n.picks as f64,
                successes: n.successes as f64,
                failures: n.failures as f64,
                inflight: n.inflight,
                ewma_ms: n.latency.estimate(now_ms, self.decay_ms),
                state: n.health.state(now_ms).name(),
                ejected_until: (n.health.ejected_until > now_ms).then_some(n.health.ejected_until),
                down_until: (n.health.down_until > now_ms && n.health.down_until.is_finite())
                    .then_some(n.health.down_until),
                ejections: n.health.ejections,
                consecutive_failures: n.health.consecutive,
            })
            .collect()
    }
}
