//! The JS/wasm protocol: what `js/protocol.js` and the facade (`src/wasm.rs`) agree on, in one place.
//!
//! The JS side mirrors every constant here by name in `js/protocol.js`; `tests/surface.rs` reads that file and
//! fails on any difference, so neither side can drift.
//!
//! **Scratch buffer.** One buffer per module instance, owned by wasm, grown only by the `scratch(len)` export
//! (which returns its 4-byte-aligned address, or 0 when memory is full). JS writes a key's bytes at offset 0 and
//! calls a `*_scratch` export with the byte length:
//! - `pick_scratch(len)`, `acquire_scratch(len)`: the key is `[0, len)`.
//! - `pick_n_scratch(len, n)`: the key is `[0, len)` (no key when `len` is -1); the answer's node indices are
//!   written as little-endian `u32`s from byte [`align4`]`(len)`, and their count is returned.
//! - `pick_many_scratch(bytes, n)`: `n` keys back to back in `[0, bytes)`, then from [`align4`]`(bytes)` one `u32`
//!   length per key; each length is overwritten by that key's node index (or [`NONE`] as `u32`).
//!
//! **Return values.** Pick exports return a node index `>= 0`, or one of the sentinels below.
//!
//! **Clock and entropy.** Exports that may need the clock take `now` (ms since the epoch, NaN when JS did not
//! read it); the module imports neither `Date.now` nor `crypto`, so no JS runs while a wasm frame is live.

/// No node: the pool is empty or every node is down.
pub const NONE: i32 = -1;
/// The call failed; JS fetches the error with `take_error()`.
pub const FAILED: i32 = -2;
/// The call needs the clock and `now` was NaN: JS calls again with `Date.now()`.
pub const NEED_CLOCK: i32 = -3;
/// A random strategy has no seed yet: JS calls `seed_entropy(lo, hi)` with 64 random bits and calls again.
pub const NEED_ENTROPY: i32 = -4;

/// Deepest nesting of objects and arrays in options, nodes and outcomes.
pub const MAX_DEPTH: u32 = 32;
/// Most elements read from one array in options (more than any valid option holds: 65,536 nodes).
pub const MAX_ARRAY: u32 = 1 << 20;
/// Longest string read in options, in UTF-16 units (an id is at most 256 bytes).
pub const MAX_STRING: u32 = 1 << 16;
/// Longest key, in UTF-8 bytes (the scratch buffer never shrinks, as wasm memory does not).
pub const MAX_KEY_BYTES: u32 = 1 << 20;
/// Most keys in one `pickMany` call.
pub const MAX_BATCH: u32 = 1 << 24;

/// Where the `u32` words after `len` bytes start.
pub fn align4(len: usize) -> usize {
    len.div_ceil(4) * 4
}

/// Every constant by its name, as `js/protocol.js` exports it (for the drift test).
pub const CONSTANTS: [(&str, i64); 9] = [
    ("NONE", NONE as i64),
    ("FAILED", FAILED as i64),
    ("NEED_CLOCK", NEED_CLOCK as i64),
    ("NEED_ENTROPY", NEED_ENTROPY as i64),
    ("MAX_DEPTH", MAX_DEPTH as i64),
    ("MAX_ARRAY", MAX_ARRAY as i64),
    ("MAX_STRING", MAX_STRING as i64),
    ("MAX_KEY_BYTES", MAX_KEY_BYTES as i64),
    ("MAX_BATCH", MAX_BATCH as i64),
];
