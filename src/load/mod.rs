//! Layer 2: what the balancer measures about each node, apart from how a strategy chooses (as tower separates
//! `load` from `balance`). In-flight counts are plain counters in `NodeState`; latency needs an estimator
//! (`peak_ewma`) for routing and a histogram (`histogram`) for monitoring.

pub mod histogram;
pub mod peak_ewma;
