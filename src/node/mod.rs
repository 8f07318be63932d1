//! Layer 3: a node as given ([`NodeSpec`]), as the Router keeps it ([`NodeState`], read by the strategies), and
//! what a request's end reports about it ([`Outcome`]). Parsing them from options is the options layer's job (`src/options/node.rs`).

pub mod health;
pub mod ramp;

use self::health::Health;
use crate::base::value::Value;
use crate::load::histogram::LatencyHistogram;
use crate::load::peak_ewma::PeakEwma;

#[derive(Debug, Clone)]
pub struct NodeState {
    pub id: Box<str>,
    pub weight: f64,
    /// Times this node was the first choice of `pick` or `pickN`.
    pub picks: u64,
    pub successes: u64,
    pub failures: u64,
    /// Requests picked but not yet reported (counted for latency-aware strategies).
    pub inflight: u32,
    pub latency: PeakEwma,
    /// Reported latencies, for `metrics()`: allocated at the first one, so the node table (which a change may
    /// copy whole) stays small.
    pub latency_hist: Option<Box<LatencyHistogram>>,
    /// Ejections ever (unlike `health.ejections`, which drives the backoff and is forgotten after a while).
    pub ejections_total: u64,
    pub health: Health,
    /// Whether a pick may return this node now (kept up to date by the Router from `health`).
    pub usable: bool,
    /// twemproxy's server name (`compat: "twemproxy"`), hashed instead of the address.
    pub name: Option<Box<str>>,
    /// HAProxy's numeric server id (`compat: "haproxy"`); `None` = numbered automatically.
    pub server_id: Option<u32>,
    /// ATS's `&hash_string` (`compat: "ats"`), hashed instead of the hostname.
    pub hash_string: Option<Box<str>>,
    /// The node's zone (locality), for zone-aware picks; `None` = in no zone.
    pub zone: Option<Box<str>>,
    /// The node's priority level: 0 = primary, 1, 2, … backups.
    pub priority: u8,
    /// Slow start: when the node's ramp began (ms), 0 = not ramping, [`RAMP_PENDING`] = begins at the next
    /// clocked pick (a node added by `add`, which takes no clock).
    pub ramp_since: f64,
}

/// [`NodeState::ramp_since`] of a node whose ramp begins at the next pick that has the clock.
pub const RAMP_PENDING: f64 = -1.0;

impl NodeState {
    pub fn new(id: &str, weight: f64) -> NodeState {
        NodeState {
            id: id.into(),
            weight,
            picks: 0,
            successes: 0,
            failures: 0,
            inflight: 0,
            latency: PeakEwma::default(),
            latency_hist: None,
            ejections_total: 0,
            health: Health::default(),
            usable: true,
            name: None,
            server_id: None,
            hash_string: None,
            zone: None,
            priority: 0,
            ramp_since: 0.0,
        }
    }

    /// The latency histogram (empty before the first reported latency).
    pub fn latency_histogram(&self) -> LatencyHistogram {
        self.latency_hist.as_deref().copied().unwrap_or_default()
    }

    /// A node as given by the user.
    pub fn from_spec(spec: &NodeSpec) -> NodeState {
        let mut n = NodeState::new(&spec.id, spec.weight);
        n.name = spec.name.as_deref().map(Into::into);
        n.server_id = spec.server_id;
        n.hash_string = spec.hash_string.as_deref().map(Into::into);
        n.zone = spec.zone.as_deref().map(Into::into);
        n.priority = spec.priority;
        n
    }
}

/// One node as given by the user.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSpec {
    pub id: String,
    pub weight: f64,
    /// twemproxy's server name (`compat: "twemproxy"` only).
    pub name: Option<String>,
    /// HAProxy's numeric server id (`compat: "haproxy"` only).
    pub server_id: Option<u32>,
    /// ATS's `&hash_string` (`compat: "ats"` only).
    pub hash_string: Option<String>,
    /// The node's zone (docs/traffic.md); not with a compat profile.
    pub zone: Option<String>,
    /// The node's priority level, 0 (primary, the default) to [`crate::base::limits::MAX_PRIORITY`].
    pub priority: u8,
}

impl NodeSpec {
    /// The spec as `nodes()` and `toJSON()` give it to JS: `id`, `weight`, and `name`/`serverId`/`hashString`/`zone`
    /// when set, `priority` when not 0.
    pub fn to_value(&self) -> Value {
        let mut f = vec![("id", self.id.as_str().into()), ("weight", self.weight.into())];
        if let Some(name) = &self.name {
            f.push(("name", name.as_str().into()));
        }
        if let Some(s) = self.server_id {
            f.push(("serverId", (s as f64).into()));
        }
        if let Some(h) = &self.hash_string {
            f.push(("hashString", h.as_str().into()));
        }
        if let Some(z) = &self.zone {
            f.push(("zone", z.as_str().into()));
        }
        if self.priority != 0 {
            f.push(("priority", f64::from(self.priority).into()));
        }
        Value::obj(f)
    }

    pub fn new(id: &str, weight: f64) -> NodeSpec {
        NodeSpec {
            id: id.to_owned(),
            weight,
            name: None,
            server_id: None,
            hash_string: None,
            zone: None,
            priority: 0,
        }
    }
}

/// An outcome reported for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub ok: bool,
    pub latency_ms: Option<f64>,
}
