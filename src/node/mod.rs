//! Layer 3: a node as given ([`NodeSpec`]), as the Router keeps it ([`NodeState`], read by the strategies), and
//! what a request's end reports about it ([`Outcome`]). Parsing them from options is the options layer's job (`src/options/node.rs`).

pub mod health;

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
}

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
}

impl NodeSpec {
    /// The spec as `nodes()` and `toJSON()` give it to JS: `id`, `weight`, and `name`/`serverId`/`hashString` when set.
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
        Value::obj(f)
    }

    pub fn new(id: &str, weight: f64) -> NodeSpec {
        NodeSpec {
            id: id.to_owned(),
            weight,
            name: None,
            server_id: None,
            hash_string: None,
        }
    }
}

/// An outcome reported for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    pub ok: bool,
    pub latency_ms: Option<f64>,
}
