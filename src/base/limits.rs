//! The limits every layer shares, and the checks of the values they bound (ids and weights).
//!
//! A strategy's own limits and defaults live in its file (`strategy/ring.rs`: vnodes and ring points,
//! `strategy/maglev.rs`: table sizes, ...); these are the ones that hold whatever the strategy.

use crate::base::error::{Code, Error, Result};
use crate::base::numfmt::fmt_num;

/// Longest node id, in UTF-8 bytes.
pub const MAX_ID_BYTES: usize = 256;
/// Most nodes one Router holds.
pub const MAX_NODES: usize = 65_536;
/// Largest weight. Weights are relative; this bound keeps ring sizes and sums well inside f64 precision.
pub const MAX_WEIGHT: f64 = 1_000_000.0;
/// Smallest weight. Weights are relative, so their ratio is at most 1e12 and every share computation (rendezvous
/// scores `w / -ln u`, random's prefix sums, maglev's credits) stays far from subnormal numbers, where division
/// loses precision and shares drift (5e-324 vs 1e-323 gave 31/25/44 % instead of 25/25/50).
pub const MIN_WEIGHT: f64 = 1e-6;
/// Largest `decayMs` and `latencyMs` accepted (about 11.6 days); beyond that the number is surely a unit mistake.
pub const MAX_MS: f64 = 1e9;
/// Default memory limit of one Router (`maxMemoryBytes`): half of a Workers isolate's 128 MB.
pub const DEFAULT_MAX_MEMORY: u64 = 64 << 20;
/// Range of `maxMemoryBytes`: 1 MiB to 4 GiB (all a wasm32 memory can hold).
pub const MIN_MAX_MEMORY: u64 = 1 << 20;
pub const MAX_MAX_MEMORY: u64 = 1 << 32;
/// Largest `seed`: JS's `Number.MAX_SAFE_INTEGER`, so every seed survives a round-trip through a JS number.
pub const MAX_SEED: f64 = 9_007_199_254_740_991.0;
/// Most buckets or slots of the whole-weight tables (jump, hash, HAProxy's map): the sum of the weights.
pub const MAX_BUCKETS: u64 = 1 << 24;

/// Checks an id: non-empty and at most [`MAX_ID_BYTES`] bytes of UTF-8.
pub fn validate_id(id: &str, what: &str) -> Result<()> {
    if id.is_empty() {
        return Err(Error::new(
            Code::InvalidId,
            format!("{what} is empty; give each node a non-empty id"),
        ));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(Error::new(
            Code::InvalidId,
            format!(
                "{what} is {} bytes of UTF-8; ids may be at most {MAX_ID_BYTES} bytes",
                id.len()
            ),
        ));
    }
    Ok(())
}

/// Checks a weight: from [`MIN_WEIGHT`] to [`MAX_WEIGHT`] (NaN fails both bounds).
pub fn validate_weight(w: f64, what: &str) -> Result<f64> {
    if (MIN_WEIGHT..=MAX_WEIGHT).contains(&w) {
        Ok(w)
    } else {
        Err(Error::new(
            Code::InvalidWeight,
            format!(
                "{what} must be a finite number from 0.000001 to {} (weights are relative), got {}; to stop sending traffic to a node, remove it",
                fmt_num(MAX_WEIGHT),
                fmt_num(w)
            ),
        ))
    }
}

/// Refuses a fractional weight where weights count something (jump's buckets, hash's slots) or where the system a
/// profile copies takes only integers. `why` says which, completing "{what} is 1.5, but {why}, so weights must be
/// whole numbers": each strategy and profile names what it does with a weight.
pub fn validate_whole_weight(w: f64, what: &str, why: &str) -> Result<()> {
    if w.fract() != 0.0 {
        return Err(Error::new(
            Code::InvalidWeight,
            format!("{what} is {}, but {why}, so weights must be whole numbers", fmt_num(w)),
        ));
    }
    Ok(())
}

/// The highest node `priority` (levels 0 = primary to 255; docs/traffic.md).
pub const MAX_PRIORITY: u8 = 255;
