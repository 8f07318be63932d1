//! The JS facade: the only module that uses wasm-bindgen. Every JS value is converted and checked here, and
//! every core [`Error`] becomes a JS `Error` with `name = "EdgerouteError"` and a stable `code`.
//!
//! The public JS `Router` class lives in `js/router.js`; it wraps [`WasmRouter`], dispatches keys by type,
//! and maps the node indices returned here to ids it caches, so no string is decoded per pick.

mod interop;
mod panic;
mod scratch;

use interop::*;
use panic::*;
use scratch::*;

use js_sys::{Array, Float64Array, Reflect, Uint32Array};
use wasm_bindgen::prelude::*;

use crate::base::error::{Code, Error};
use crate::base::protocol::{align4, FAILED, NEED_CLOCK, NEED_ENTROPY, NONE};
use crate::base::value::Value;
use crate::node::{NodeSpec, Outcome};
use crate::router::{RequestResult, Router, NO_ZONE};

/// The wasm side of `Router`. Not meant to be used directly: `js/router.js` wraps it.
#[wasm_bindgen]
pub struct WasmRouter {
    inner: Router,
    out: Vec<usize>,
    /// The error behind the last `FAILED` from a pick export, until `take_error`.
    error: Option<JsValue>,
}

#[wasm_bindgen]
impl WasmRouter {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> JsResult<WasmRouter> {
        install_panic_hook();
        if options.is_object() {
            check_node_ids(&options)?;
        } else {
            return Err(js_error(Error::new(
                Code::InvalidOptions,
                format!(
                    "Router options must be an object like {{ strategy: \"ring\", nodes: [{{ id: \"a\" }}] }}, got {}",
                    js_type(&options)
                ),
            )));
        }
        router_from(&to_value(&options, Code::InvalidOptions, "Router options")?, None)
    }

    /// `new` of options that `js/router.js` packed (`src/base/packed.rs`): two arguments instead of one call per
    /// value. The packer sends only well-formed strings and plain data, so the checks `new` makes of the JS values
    /// themselves have nothing to find; the core's checks and messages are the same.
    pub fn new_packed(text: &str, numbers: &[f64]) -> JsResult<WasmRouter> {
        install_panic_hook();
        router_from(&unpacked(text, numbers)?, None)
    }

    pub fn strategy(&self) -> String {
        self.inner.strategy().name().to_owned()
    }

    /// Node ids in index order, back to back: one string to decode instead of one per node (`id_lengths`
    /// splits it).
    pub fn ids_joined(&self) -> String {
        self.inner.ids().collect()
    }

    /// The length of each id in `ids_joined`, in UTF-16 units (JS string indices).
    pub fn id_lengths(&self) -> Vec<u32> {
        self.inner.ids().map(|id| id.encode_utf16().count() as u32).collect()
    }

    /// What must happen before a pick at `now` (NaN: JS did not read the clock): `Some(NEED_ENTROPY)` or
    /// `Some(NEED_CLOCK)`, or `None` to go ahead. A healthy pool never needs the clock.
    fn before_pick(&self, now: f64) -> Option<i32> {
        if self.inner.needs_entropy() {
            Some(NEED_ENTROPY)
        } else if now.is_nan() && self.inner.needs_clock() {
            Some(NEED_CLOCK)
        } else {
            None
        }
    }

    /// Whether the next pick will ask for entropy (pickMany asks before it starts a batch).
    pub fn needs_entropy(&self) -> bool {
        self.inner.needs_entropy()
    }

    /// Seeds an unseeded random Router with 64 bits of entropy JS drew (`crypto.getRandomValues`).
    pub fn seed_entropy(&mut self, lo: u32, hi: u32) {
        self.inner.seed_rng((hi as u64) << 32 | lo as u64);
    }

    /// The pick protocol of every `pick_*`/`acquire_*` export: a node index, -1 for none, or -2 for an error
    /// that `take_error` returns. A plain `i32` crosses the boundary as a number; a `Result` would come back as
    /// an array allocated per call. Keys always come through the scratch buffer (see [`scratch`]), never as a
    /// caller's typed array: wasm-bindgen would size its copy by the array's `length`, which a subclass can fake.
    /// `hashed`: the key's hash, when `pick_scratch`'s direct attempt computed it and did not pick (the full
    /// path then skips both the attempt and the hash).
    fn pick_key(&mut self, key: Option<&[u8]>, acquire: bool, zone: i32, now: f64, hashed: Option<u64>) -> i32 {
        // Debug builds only: a way for the tests to reach a panic through the public API.
        #[cfg(debug_assertions)]
        if key == Some(DEBUG_PANIC_KEY) {
            panic!("a test asked for a panic with the debug key");
        }
        if let Some(code) = self.before_pick(now) {
            return code;
        }
        let zone = zone_arg(zone);
        let got = if acquire {
            self.inner.acquire_in(key, zone, now)
        } else if hashed.is_some() {
            self.inner.pick_hashed(key, zone, now, hashed)
        } else {
            self.inner.pick_in(key, zone, now)
        };
        self.code(got)
    }

    fn code(&mut self, got: Result<Option<usize>, Error>) -> i32 {
        match got {
            Ok(Some(i)) => i as i32,
            Ok(None) => NONE,
            Err(e) => self.fail(js_error(e)),
        }
    }

    /// Keeps `e` for `take_error` and returns the error sentinel.
    fn fail(&mut self, e: JsValue) -> i32 {
        self.error = Some(e);
        FAILED
    }

    /// The error behind the last -2 from a pick export, as a JS `EdgerouteError`.
    pub fn take_error(&mut self) -> JsValue {
        self.error
            .take()
            .unwrap_or_else(|| js_error(Error::new(Code::Internal, "internal: no pick error is pending")))
    }

    /// `pick` of the key JS wrote into the scratch buffer (see [`scratch`]): no allocation, one call. `zone` is
    /// the caller's zone as an index into `zones()`, or -1 for none (docs/traffic.md).
    pub fn pick_scratch(&mut self, len: usize, zone: i32, now: f64) -> i32 {
        // The plain state's direct lookup first (`Router::pick_direct`): the same node, without the clock and
        // entropy protocol or a `Ctx`. Anything else, a bad length included, takes the full path, with the
        // key's hash if the attempt computed it.
        let direct = with_scratch(|s| {
            let key = bytes_of(s).get(..len).ok_or(None)?;
            #[cfg(debug_assertions)]
            if key == DEBUG_PANIC_KEY {
                return Err(None);
            }
            self.inner.try_direct(key, zone_arg(zone))
        });
        match direct {
            Ok(i) => i as i32,
            Err(hashed) => self.pick_scratch_key(len, false, zone, now, hashed),
        }
    }

    pub fn acquire_scratch(&mut self, len: usize, zone: i32, now: f64) -> i32 {
        self.pick_scratch_key(len, true, zone, now, None)
    }

    fn pick_scratch_key(&mut self, len: usize, acquire: bool, zone: i32, now: f64, hashed: Option<u64>) -> i32 {
        match scratch_bytes(len) {
            Ok(()) => with_scratch(|s| self.pick_key(Some(&bytes_of(s)[..len]), acquire, zone, now, hashed)),
            Err(e) => self.code(Err(e)),
        }
    }

    pub fn pick_none(&mut self, zone: i32, now: f64) -> i32 {
        self.pick_key(None, false, zone, now, None)
    }

    pub fn acquire_none(&mut self, zone: i32, now: f64) -> i32 {
        self.pick_key(None, true, zone, now, None)
    }

    /// The zone names, in the order of the indices the pick exports take.
    pub fn zones(&self) -> JsValue {
        to_js(&Value::Arr(
            self.inner.zones().iter().map(|z| Value::Str(z.to_string())).collect(),
        ))
    }

    /// The error `pickN` gives for an `n` that is not a JS number (numbers go straight to `pick_n_scratch`, which
    /// checks them: a number crosses as an `f64`, where a `JsValue` cost a table slot and a call back to JS).
    pub fn count_error(&self, n: JsValue) -> JsValue {
        js_error(
            count_arg(&n)
                .err()
                .unwrap_or_else(|| Error::new(Code::Internal, "internal: count_error was given a valid count")),
        )
    }

    /// `pickN` of the key in the scratch buffer (`len` bytes), or of no key when `len` is -1: the node indices
    /// are written as `u32`s into the scratch at byte offset `align4(len)` (JS made room for `n` of them) and
    /// their count is returned; -2 is an error.
    pub fn pick_n_scratch(&mut self, len: i32, n: f64, zone: i32, now: f64) -> i32 {
        let n = match count_num(n) {
            Ok(n) => n,
            Err(e) => return self.code(Err(e)),
        };
        let (keyed, len) = (len >= 0, len.max(0) as usize);
        let at = align4(len);
        let room = match scratch_bytes(at) {
            Ok(()) => with_scratch(|s| (s.len() * 4 - at) / 4),
            Err(e) => return self.code(Err(e)),
        };
        if let Some(code) = self.before_pick(now) {
            return code;
        }
        let got = with_scratch(|s| {
            let key = keyed.then(|| &bytes_of(s)[..len]);
            self.inner
                .pick_n_in(key, zone_arg(zone), n.min(room), now, &mut self.out)
        });
        if let Err(e) = got {
            return self.code(Err(e));
        }
        with_scratch(|s| {
            for (slot, &i) in s[at / 4..].iter_mut().zip(&self.out) {
                *slot = u32::to_le(i as u32);
            }
        });
        self.out.len() as i32
    }

    /// `pickMany`: the scratch holds the keys' UTF-8 bytes back to back (`bytes` in all), then at byte offset
    /// `align4(bytes)` one `u32` length per key (`n` keys). Each key is picked in order, as `pick` would, and
    /// its result (index, or -1) replaces its length. Returns 0, or -2 for an error (keys before it were
    /// picked).
    /// `now` must be the clock: a batch may start healthy and meet a probing node midway.
    pub fn pick_many_scratch(&mut self, bytes: usize, n: usize, zone: i32, now: f64) -> i32 {
        let zone = zone_arg(zone);
        let at = align4(bytes);
        if let Err(e) = scratch_bytes(at + 4 * n) {
            return self.code(Err(e));
        }
        if let Some(code) = self.before_pick(now) {
            return code;
        }
        with_scratch(|s| {
            let (keys, lens) = s.split_at_mut(at / 4);
            let keys = &bytes_of(keys)[..bytes];
            let mut off = 0usize;
            for slot in &mut lens[..n] {
                let len = u32::from_le(*slot) as usize;
                let Some(key) = keys.get(off..off + len) else {
                    return self.code(Err(Error::new(
                        Code::Internal,
                        "internal: pickMany key lengths overrun",
                    )));
                };
                off += len;
                match self.inner.pick_in(Some(key), zone, now) {
                    Ok(got) => *slot = (got.map_or(NONE, |i| i as i32) as u32).to_le(),
                    Err(e) => return self.code(Err(e)),
                }
            }
            0
        })
    }

    pub fn begin(&mut self, id: JsValue) -> JsResult<()> {
        let id = string_arg(&id, Code::InvalidId, "begin(id): id")?;
        self.inner.begin(&id).map_err(js_error)
    }

    /// `end(id, outcome?)`: `outcome` undefined means none.
    pub fn end(&mut self, id: JsValue, outcome: JsValue, now: f64) -> JsResult<()> {
        let id = string_arg(&id, Code::InvalidId, "end(id, outcome): id")?;
        let o = if outcome.is_undefined() {
            None
        } else {
            let v = to_value(&outcome, Code::InvalidReport, "the outcome")?;
            Some(Outcome::from_value(&v).map_err(js_error)?)
        };
        self.inner.end(&id, o, now).map_err(js_error)
    }

    pub fn add(&mut self, spec: JsValue) -> JsResult<()> {
        check_spec_id(&spec, &"node", &spec_keys())?;
        let v = to_value(&spec, Code::InvalidOption, "the node")?;
        let spec = NodeSpec::from_value(&v, &"node").map_err(js_error)?;
        self.inner.add(spec).map_err(js_error)
    }

    /// `setNodes(nodes)`: `[added, removed, reweighted]`.
    pub fn set_nodes(&mut self, nodes: JsValue) -> JsResult<Vec<u32>> {
        let Some(arr) = nodes.dyn_ref::<Array>() else {
            return Err(js_error(Error::new(
                Code::InvalidOption,
                format!(
                    "setNodes(nodes): nodes must be an array of {{ id, weight? }}, got {}",
                    js_type(&nodes)
                ),
            )));
        };
        if arr.length() as usize > crate::base::limits::MAX_NODES {
            let max = crate::base::limits::MAX_NODES;
            return Err(js_error(Error::new(
                Code::TooLarge,
                format!("setNodes(nodes): {} nodes; at most {max} are supported", arr.length()),
            )));
        }
        let keys = spec_keys();
        let mut specs = Vec::with_capacity(arr.length() as usize);
        for (i, spec) in arr.iter().enumerate() {
            let what = format!("setNodes(nodes): nodes[{i}]");
            check_spec_id(&spec, &what, &keys)?;
            let v = to_value(&spec, Code::InvalidOption, &what)?;
            specs.push(NodeSpec::from_value(&v, &what).map_err(js_error)?);
        }
        let c = self.inner.set_nodes(specs).map_err(js_error)?;
        Ok(vec![c.added, c.removed, c.reweighted])
    }

    pub fn remove(&mut self, id: JsValue) -> JsResult<bool> {
        let id = string_arg(&id, Code::InvalidId, "remove(id): id")?;
        Ok(self.inner.remove(&id))
    }

    pub fn set_weight(&mut self, id: JsValue, weight: JsValue) -> JsResult<()> {
        let id = string_arg(&id, Code::InvalidId, "setWeight(id, weight): id")?;
        let Some(w) = weight.as_f64() else {
            return Err(js_error(Error::new(
                Code::InvalidWeight,
                format!(
                    "setWeight(id, weight): weight must be a number > 0, got {}",
                    js_type(&weight)
                ),
            )));
        };
        self.inner.set_weight(&id, w).map_err(js_error)
    }

    pub fn report(&mut self, id: JsValue, outcome: JsValue, now: f64) -> JsResult<()> {
        let id = string_arg(&id, Code::InvalidId, "report(id, outcome): id")?;
        let v = to_value(&outcome, Code::InvalidReport, "the outcome")?;
        let o = Outcome::from_value(&v).map_err(js_error)?;
        self.inner.report(&id, o, now).map_err(js_error)
    }

    /// `markDown(id, forMs?)`: `for_ms` undefined means until `markUp`.
    pub fn mark_down(&mut self, id: JsValue, for_ms: JsValue, now: f64) -> JsResult<()> {
        let id = string_arg(&id, Code::InvalidId, "markDown(id, forMs): id")?;
        let ms = match (for_ms.is_undefined(), for_ms.as_f64()) {
            (true, _) => None,
            (false, Some(ms)) => Some(ms), // the core checks the range
            (false, None) => return Err(js_error(crate::router::for_ms_error(&js_type(&for_ms)))),
        };
        self.inner.mark_down(&id, ms, now).map_err(js_error)
    }

    pub fn mark_up(&mut self, id: JsValue, now: f64) -> JsResult<()> {
        let id = string_arg(&id, Code::InvalidId, "markUp(id): id")?;
        self.inner.mark_up(&id, now).map_err(js_error)
    }

    /// The snapshot of `toJSON()`.
    pub fn snapshot(&self) -> JsValue {
        to_js(&self.inner.snapshot())
    }

    /// `Router.fromJSON(snapshot)`.
    /// `from_snapshot` of a snapshot `js/router.js` packed (see [`WasmRouter::new_packed`]).
    pub fn from_snapshot_packed(text: &str, numbers: &[f64], now: f64) -> JsResult<WasmRouter> {
        install_panic_hook();
        router_from(&unpacked(text, numbers)?, Some(now))
    }

    pub fn from_snapshot(snapshot: JsValue, now: f64) -> JsResult<WasmRouter> {
        let options = Reflect::get(&snapshot, &JsValue::from_str("options")).unwrap_or(JsValue::UNDEFINED);
        if options.is_object() {
            check_node_ids(&options)?;
        }
        router_from(&to_value(&snapshot, Code::InvalidOptions, "the snapshot")?, Some(now))
    }

    pub fn nodes(&self) -> JsValue {
        to_js(&Value::Arr(self.inner.nodes().iter().map(NodeSpec::to_value).collect()))
    }

    /// `[positions, owners]`: ring points as positions in [0, 1) (ascending) and owner indices; `null`
    /// without a ring.
    pub fn ring_points(&self) -> JsValue {
        let Some(points) = self.inner.ring_points() else {
            return JsValue::NULL;
        };
        let pos: Vec<f64> = points.iter().map(|p| unit_position(p.0)).collect();
        let owners: Vec<u32> = points.iter().map(|p| p.1 as u32).collect();
        Array::of2(&Float64Array::from(&pos[..]), &Uint32Array::from(&owners[..])).into()
    }

    /// `keyPosition` of the key in the scratch buffer (`len` bytes); NaN if JS did not write it there.
    pub fn key_position_scratch(&self, len: usize) -> f64 {
        if scratch_bytes(len).is_err() {
            return f64::NAN;
        }
        with_scratch(|s| unit_position(self.inner.key_hash(&bytes_of(s)[..len])))
    }

    pub fn stats(&self, now: f64) -> JsValue {
        to_js(&Value::Arr(
            self.inner.stats(now).iter().map(|s| s.to_value()).collect(),
        ))
    }

    /// `metrics()`'s numbers (`Router::metrics_raw`); `js/metrics.js` formats them.
    pub fn metrics_raw(&mut self, now: f64) -> Float64Array {
        Float64Array::from(&self.inner.metrics_raw(now)[..])
    }

    /// `routedFetch`'s record of one request: `result` indexes `RequestResult::ALL` (response, failed,
    /// aborted; `js/metrics.js` RESULTS names them in that order), which only `js/fetch.js` passes.
    pub fn record_request(&mut self, result: u32, attempts: u32, timeouts: u32, ms: f64, now: f64) {
        let r = RequestResult::ALL[(result as usize).min(RequestResult::ALL.len() - 1)];
        self.inner.record_request(r, attempts, timeouts, ms, now);
    }
}

/// For the wasm-bindgen tests, which call the facade from Rust: a byte key through the same path as JS's keys.
/// Not exported to JS (JS keys always go through the scratch buffer).
impl WasmRouter {
    #[doc(hidden)]
    pub fn pick_bytes(&mut self, key: &[u8]) -> i32 {
        self.pick_key(Some(key), false, -1, js_sys::Date::now(), None)
    }

    #[doc(hidden)]
    pub fn pick_n_bytes(&mut self, key: &[u8], n: JsValue) -> JsResult<Vec<u32>> {
        let n = count_arg(&n).map_err(js_error)?;
        self.inner
            .pick_n(Some(key), n, js_sys::Date::now(), &mut self.out)
            .map_err(js_error)?;
        Ok(self.out.iter().map(|&i| i as u32).collect())
    }
}

/// A Router from options (`snapshot_at: None`) or from a snapshot restored at that time: one body for the four
/// constructors, so the core's construction is compiled once.
#[inline(never)]
fn router_from(v: &Value, snapshot_at: Option<f64>) -> JsResult<WasmRouter> {
    let inner = match snapshot_at {
        None => Router::from_value(v, entropy),
        Some(now) => Router::from_snapshot(v, entropy, now),
    }
    .map_err(js_error)?;
    Ok(WasmRouter {
        inner,
        out: Vec::new(),
        error: None,
    })
}

/// Packed data as a [`Value`]; a malformed packing is a bug of `js/router.js`'s packer.
fn unpacked(text: &str, numbers: &[f64]) -> JsResult<Value> {
    crate::base::packed::unpack(text, numbers).map_err(|why| {
        js_error(Error::new(
            Code::Internal,
            format!("internal: packed options unreadable ({why})"),
        ))
    })
}

/// A zone index from JS (-1: none).
fn zone_arg(zone: i32) -> u32 {
    u32::try_from(zone).unwrap_or(NO_ZONE)
}

/// A 64-bit hash as a position on the unit circle, in [0, 1) (53 bits, so it never rounds up to 1).
fn unit_position(h: u64) -> f64 {
    (h >> 11) as f64 / 9_007_199_254_740_992.0
}

/// Bytes of WebAssembly memory this module holds (linear memory only grows), for leak monitoring.
#[wasm_bindgen]
pub fn wasm_memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) * 65536) as f64
}

/// The crate version, for diagnostics.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
