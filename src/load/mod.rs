//! Layer 2: what the balancer measures about each node, apart from how a strategy chooses (as tower separates
//! `load` from `balance`). In-flight counts are plain counters in `NodeState`; latency needs an estimator.

pub mod peak_ewma;
