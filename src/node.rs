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
        }
    }
}
