// The JS half of the JS/wasm protocol: what js/router.js and the wasm facade (src/wasm/) agree on. The Rust
// half is src/base/protocol.rs (`edgeroute::base::protocol`); tests/surface.rs reads this file and fails when a constant
// below is missing, renamed or has another value than there. The build copies this file to protocol.cjs for
// require(), rewriting its export line.
//
// Return values. A pick export (`pick_scratch`, `acquire_scratch`, `pick_none`, `acquire_none`,
// `pick_n_scratch`, `pick_many_scratch`) returns a plain i32: a node index (>= 0; for pick_n_scratch a count,
// for pick_many_scratch 0) or one of the four sentinels. A Result would cross the boundary as an array made per
// call, a number costs nothing.
//
// Clock and entropy. The module imports neither Date.now nor crypto, so no JS runs while a wasm frame is live:
// an export that may need the clock takes `now` (ms since the epoch, NaN when JS did not read it) and answers
// NEED_CLOCK when it needed it; a random strategy with no seed answers NEED_ENTROPY until JS calls
// `seed_entropy(lo, hi)` with 64 random bits. JS then calls again, key and all.
//
// Scratch buffer. One per module instance, owned by wasm and grown only by the `scratch(len)` export (which
// returns its address, 4-byte aligned, or 0 when memory is full). JS writes a key's UTF-8 bytes at offset 0 and
// passes their length:
// - pick_scratch(len), acquire_scratch(len), key_position_scratch(len): the key is bytes [0, len).
// - pick_n_scratch(len, n): the key is [0, len), or no key when len is NO_KEY; the answer's node indices are
//   written as little-endian u32 words from byte align4(len) (align4(0) for NO_KEY), and their count returned.
//   JS makes room for min(n, node count) words there first.
// - pick_many_scratch(bytes, n): n keys back to back in [0, bytes), then from byte align4(bytes) one u32 length
//   per key; wasm overwrites each length with that key's node index, or NONE as a u32.
// wasm memory is little-endian; js/router.js converts words on a big-endian host.

/** No node: the pool is empty or every node is down. */
const NONE = -1;
/** The call failed: JS takes the error with `take_error()` and throws it. */
const FAILED = -2;
/** The call needs the clock and `now` was NaN: call again with Date.now(). */
const NEED_CLOCK = -3;
/** A random strategy has no seed yet: call `seed_entropy(lo, hi)` with 64 random bits, then call again. */
const NEED_ENTROPY = -4;

/** Deepest nesting of objects and arrays in options, nodes and outcomes (a deeper value is a cycle or hostile). */
const MAX_DEPTH = 32;
/** Most elements read from one array in options: more than any valid option holds (65,536 nodes), so a lying
 * `length` cannot hang the copy. */
const MAX_ARRAY = 1 << 20;
/** Longest string read in options, in UTF-16 units (an id is at most 256 bytes): a huge one would only grow wasm
 * memory for good. */
const MAX_STRING = 1 << 16;
/** Longest key, in UTF-8 bytes. The scratch buffer a key is copied into never shrinks (wasm memory does not). */
const MAX_KEY_BYTES = 1 << 20;
/** Most keys in one pickMany call. */
const MAX_BATCH = 1 << 24;

/**
 * pick_n_scratch's `len` for "no key" (the Rust side reads any negative len so; src/base/protocol.rs documents -1).
 * Not one of the named constants of src/base/protocol.rs, so tests/surface.rs checks its value on its own.
 */
const NO_KEY = -1;

/** Where the u32 words after `len` bytes of keys start (src/base/protocol.rs `align4`). */
const align4 = (len) => (len + 3) & ~3;

export { NONE, FAILED, NEED_CLOCK, NEED_ENTROPY, MAX_DEPTH, MAX_ARRAY, MAX_STRING, MAX_KEY_BYTES, MAX_BATCH, NO_KEY, align4 };
