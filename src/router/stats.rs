//! What the Router counts: per node ([`NodeStats`], `stats()`), removed nodes' [`Totals`] (so the pool's stay
//! monotonic) and `routedFetch`'s requests ([`RequestStats`]). `metrics_raw` hands them all to `metrics()`.

use super::health::usable_at;
use super::{clock, Router};
use crate::base::value::Value;
use crate::load::histogram::{LatencyHistogram, BOUNDS_MS, BUCKETS};
use crate::node::NodeState;

/// Per-node figures returned by [`Router::stats`].
#[derive(Debug, Clone, PartialEq)]
pub struct NodeStats {
    pub id: String,
    pub weight: f64,
    /// The weight a pick honours now: `weight` while the node can be picked, 0 while it is ejected, marked
    /// down, or has its one probe out.
    pub effective_weight: f64,
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
    /// Ejections that count towards the backoff (ejection time doubles with each; forgotten after
    /// `maxEjectionMs` of health).
    pub ejections: u32,
    /// Ejections ever: a counter.
    pub ejections_total: u64,
    pub consecutive_failures: u32,
    /// Reported latencies.
    pub latency: LatencyHistogram,
}

impl NodeStats {
    /// The figures as `stats()` gives them to JS (camelCase fields; `null` for an absent time or estimate).
    /// The latency histogram is left to `metrics()`.
    pub fn to_value(&self) -> Value {
        let opt = |v: Option<f64>| v.map_or(Value::Null, Value::Num);
        Value::obj(vec![
            ("id", self.id.as_str().into()),
            ("weight", self.weight.into()),
            ("effectiveWeight", self.effective_weight.into()),
            ("picks", self.picks.into()),
            ("successes", self.successes.into()),
            ("failures", self.failures.into()),
            ("inflight", (self.inflight as f64).into()),
            ("ewmaMs", opt(self.ewma_ms)),
            ("state", self.state.into()),
            ("ejectedUntil", opt(self.ejected_until)),
            ("downUntil", opt(self.down_until)),
            ("ejections", (self.ejections as f64).into()),
            ("ejectionsTotal", (self.ejections_total as f64).into()),
            ("consecutiveFailures", (self.consecutive_failures as f64).into()),
        ])
    }
}

/// A node's counters, or the sum of several (the removed nodes').
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Totals {
    pub picks: u64,
    pub successes: u64,
    pub failures: u64,
    pub ejections: u64,
    pub latency: LatencyHistogram,
}

impl Totals {
    pub fn of(n: &NodeState) -> Totals {
        Totals {
            picks: n.picks,
            successes: n.successes,
            failures: n.failures,
            ejections: n.ejections_total,
            latency: n.latency_histogram(),
        }
    }

    /// Numbers in a snapshot: picks, successes, failures, ejections, then the latency histogram.
    pub const LEN: usize = 4 + BUCKETS + 1;

    pub fn to_vec(&self) -> Vec<f64> {
        let mut v = vec![
            self.picks as f64,
            self.successes as f64,
            self.failures as f64,
            self.ejections as f64,
        ];
        self.latency.extend_into(&mut v);
        v
    }

    /// From [`Totals::LEN`] checked numbers (missing ones read as 0).
    pub fn from_slice(v: &[f64]) -> Totals {
        let n = |i: usize| v.get(i).copied().unwrap_or(0.0) as u64;
        Totals {
            picks: n(0),
            successes: n(1),
            failures: n(2),
            ejections: n(3),
            latency: LatencyHistogram::from_slice(v.get(4..).unwrap_or(&[])),
        }
    }

    /// Sets a node's counters to these.
    pub fn apply(&self, n: &mut NodeState) {
        n.picks = self.picks;
        n.successes = self.successes;
        n.failures = self.failures;
        n.ejections_total = self.ejections;
        n.latency_hist = (!self.latency.is_empty()).then(|| Box::new(self.latency));
    }

    pub fn add_node(&mut self, n: &NodeState) {
        self.add(&Totals::of(n));
    }

    pub fn add(&mut self, o: &Totals) {
        self.picks = self.picks.saturating_add(o.picks);
        self.successes = self.successes.saturating_add(o.successes);
        self.failures = self.failures.saturating_add(o.failures);
        self.ejections = self.ejections.saturating_add(o.ejections);
        self.latency.merge(&o.latency);
    }

    pub fn is_zero(&self) -> bool {
        *self == Totals::default()
    }
}

/// How a routed request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestResult {
    /// A response was returned to the caller.
    Response,
    /// Every attempt failed (or the deadline passed first): the caller got `ERR_ALL_ATTEMPTS_FAILED` or
    /// `ERR_DEADLINE_EXCEEDED`.
    Failed,
    /// The caller's signal aborted it.
    Aborted,
}

impl RequestResult {
    pub const ALL: [RequestResult; 3] = [RequestResult::Response, RequestResult::Failed, RequestResult::Aborted];

    pub fn name(self) -> &'static str {
        match self {
            RequestResult::Response => "response",
            RequestResult::Failed => "failed",
            RequestResult::Aborted => "aborted",
        }
    }
}

/// `routedFetch`'s requests through this Router.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct RequestStats {
    /// Requests by [`RequestResult`], in its `ALL` order.
    pub results: [u64; 3],
    /// Requests sent to an origin (a request that fails over sends more than one).
    pub attempts: u64,
    /// Attempts after the first of their request.
    pub failovers: u64,
    /// Attempts cut short by `timeoutMs` or the deadline.
    pub timeouts: u64,
    /// From the call to the response headers (or the error), failovers included.
    pub duration: LatencyHistogram,
}

impl RequestStats {
    /// Numbers in a snapshot and in `metrics()`'s export: requests by result, attempts, failovers, timeouts,
    /// then the duration histogram.
    pub const LEN: usize = 3 + 3 + BUCKETS + 1;

    pub fn to_vec(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self.results.iter().map(|&c| c as f64).collect();
        v.extend([self.attempts as f64, self.failovers as f64, self.timeouts as f64]);
        self.duration.extend_into(&mut v);
        v
    }

    /// From [`RequestStats::LEN`] checked numbers (missing ones read as 0).
    pub fn from_slice(v: &[f64]) -> RequestStats {
        let n = |i: usize| v.get(i).copied().unwrap_or(0.0) as u64;
        RequestStats {
            results: [n(0), n(1), n(2)],
            attempts: n(3),
            failovers: n(4),
            timeouts: n(5),
            duration: LatencyHistogram::from_slice(v.get(6..).unwrap_or(&[])),
        }
    }
}

impl Router {
    /// The weight picks honour now: 0 while the node cannot be picked, else its weight times its slow-start
    /// factor (1 when it is not ramping).
    fn effective_weight(&self, n: &crate::node::NodeState, now_ms: f64, pt: f64, panic: bool) -> f64 {
        if !usable_at(&n.health, now_ms, pt, panic) {
            return 0.0;
        }
        n.weight
            * match self.cfg.slow_start {
                Some(s) if n.ramp_since == crate::node::RAMP_PENDING => s.factor(now_ms, now_ms),
                Some(s) if n.ramp_since != 0.0 => s.factor(n.ramp_since, now_ms),
                _ => 1.0,
            }
    }

    /// Per-node figures, in table order, at `now_ms`.
    pub fn stats(&self, now_ms: f64) -> Vec<NodeStats> {
        let now_ms = clock(now_ms);
        let (pt, panic) = (self.health.probe_timeout_ms, self.panic_at(now_ms));
        self.nodes
            .iter()
            .map(|n| NodeStats {
                id: n.id.to_string(),
                weight: n.weight,
                effective_weight: self.effective_weight(n, now_ms, pt, panic),
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
                ejections_total: n.ejections_total,
                consecutive_failures: n.health.consecutive,
                latency: n.latency_histogram(),
            })
            .collect()
    }

    /// Everything `metrics()` exports, as one array of numbers (`js/metrics.js` names and formats them):
    ///
    /// - the head: when the counters started (ms), the panic flag (0 or 1), `B` (the histograms' bounds), the
    ///   `B` bounds in ms, the removed nodes' [`Totals::to_vec`], and [`RequestStats::to_vec`];
    /// - then per node, in table order (the order of `ids_joined`): weight, effective weight, picks, successes,
    ///   failures, ejections ever, in flight, the EWMA latency in ms (NaN before the first), the health state's
    ///   index (healthy, ejected, probing, down), then its latency histogram (`B + 1` counts and the sum).
    pub fn metrics_raw(&mut self, now_ms: f64) -> Vec<f64> {
        let now_ms = clock(now_ms);
        self.start_counters(now_ms);
        let (pt, panic) = (self.health.probe_timeout_ms, self.panic_at(now_ms));
        let mut v = vec![self.counters_since, panic as u8 as f64, BOUNDS_MS.len() as f64];
        v.extend(BOUNDS_MS);
        v.extend(self.removed.to_vec());
        v.extend(self.requests.to_vec());
        for n in &self.nodes {
            v.extend([
                n.weight,
                self.effective_weight(n, now_ms, pt, panic),
                n.picks as f64,
                n.successes as f64,
                n.failures as f64,
                n.ejections_total as f64,
                n.inflight as f64,
                n.latency.estimate(now_ms, self.decay_ms).unwrap_or(f64::NAN),
                n.health.state(now_ms) as u8 as f64,
            ]);
            n.latency_histogram().extend_into(&mut v);
        }
        v
    }

    /// Records one routed request (`routedFetch` calls it once per request): how it ended, how many attempts
    /// it sent, how many of those timed out, and how long it took.
    pub fn record_request(&mut self, result: RequestResult, attempts: u32, timeouts: u32, ms: f64, now_ms: f64) {
        self.start_counters(clock(now_ms));
        let q = &mut self.requests;
        let i = RequestResult::ALL.iter().position(|&r| r == result).unwrap_or(0);
        q.results[i] = q.results[i].saturating_add(1);
        q.attempts = q.attempts.saturating_add(attempts as u64);
        q.failovers = q.failovers.saturating_add(attempts.saturating_sub(1) as u64);
        q.timeouts = q.timeouts.saturating_add(timeouts.min(attempts) as u64);
        if ms.is_finite() && ms >= 0.0 {
            q.duration.observe(ms);
        }
    }

    pub(super) fn start_counters(&mut self, now_ms: f64) {
        if self.counters_since == 0.0 {
            self.counters_since = now_ms;
        }
    }
}
