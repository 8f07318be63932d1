//! Layer 0: what every other layer uses and which uses nothing above it.
//!
//! Errors with stable codes, numbers printed as JS prints them, the shared limits, portable math and
//! randomness, the one sort, fallible allocation, the JSON-shaped [`value::Value`] all input arrives as, and the
//! JS/wasm protocol's constants.

pub mod alloc;
pub mod detmath;
pub mod error;
pub mod limits;
pub mod numfmt;
pub mod packed;
pub mod protocol;
pub mod rng;
pub mod sort;
pub mod value;
