//! Per-node state kept by the Router and read by the strategies.

use crate::health::Health;
use crate::strategy::peak_ewma::PeakEwma;

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
    pub health: Health,
    /// Whether a pick may return this node now (kept up to date by the Router from `health`).
    pub usable: bool,
    /// twemproxy's server name (`compat: "twemproxy"`), hashed instead of the address.
    pub name: Option<Box<str>>,
    /// HAProxy's numeric server id (`compat: "haproxy"`); `None` = numbered automatically.
    pub server_id: Option<u32>,
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
            health: Health::default(),
            usable: true,
            name: None,
            server_id: None,
        }
    }

    /// A node as given by the user.
    pub fn from_spec(spec: &crate::config::NodeSpec) -> NodeState {
        let mut n = NodeState::new(&spec.id, spec.weight);
        n.name = spec.name.as_deref().map(Into::into);
        n.server_id = spec.server_id;
        n
    }
}
