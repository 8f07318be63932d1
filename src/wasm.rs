//! The JS facade: the only module that uses wasm-bindgen. Every JS value is converted and checked here, and
//! every core [`Error`] becomes a JS `Error` with `name = "EdgerouteError"` and a stable `code`.
//!
//! The public JS `Router` class lives in `js/router.js`; it wraps [`WasmRouter`], dispatches keys by type,
//! and maps the node indices returned here to ids it caches, so no string is decoded per pick.

use js_sys::{Array, Float64Array, JsString, Reflect, Uint32Array};
use wasm_bindgen::prelude::*;

use crate::config::{fmt_num, NodeSpec, Outcome};
use crate::error::{Code, Error};
use crate::router::Router;
use crate::value::Value;

#[wasm_bindgen]
extern "C" {
    /// A JS string primitive, seen through the methods we need.
    #[wasm_bindgen(js_name = String)]
    type WellFormed;
    /// `String.prototype.isWellFormed` (ES2024): false when the string holds a lone surrogate, which has no
    /// UTF-8 form and would otherwise be replaced by U+FFFD without a word.
    #[wasm_bindgen(method, js_name = isWellFormed)]
    fn is_well_formed(this: &WellFormed) -> bool;
}

fn js_error(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name("EdgerouteError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code.as_str()));
    err.into()
}

type JsResult<T> = Result<T, JsValue>;

fn to_value(v: &JsValue, code: Code, what: &str) -> JsResult<Value> {
    serde_wasm_bindgen::from_value::<Value>(v.clone()).map_err(|e| {
        js_error(Error::new(
            code,
            format!("{what} must hold only plain JSON-like values (no functions or symbols): {e}"),
        ))
    })
}

fn string_arg(v: &JsValue, code: Code, what: &str) -> JsResult<String> {
    let Some(s) = v.dyn_ref::<JsString>() else {
        return Err(js_error(Error::new(
            code,
            format!("{what} must be a string, got {}", js_type(v)),
        )));
    };
    if !s.unchecked_ref::<WellFormed>().is_well_formed() {
        return Err(js_error(Error::new(
            code,
            format!("{what} contains a lone UTF-16 surrogate, which has no UTF-8 form; fix the string"),
        )));
    }
    Ok(String::from(s))
}

fn js_type(v: &JsValue) -> String {
    if let Some(n) = v.as_f64() {
        format!("the number {}", fmt_num(n))
    } else if v.is_null() {
        "null".into()
    } else if v.is_array() {
        "an array".into()
    } else {
        v.js_typeof().as_string().unwrap_or_default()
    }
}

/// Node ids (and twemproxy names) inside an options object or a node spec must be well-formed too; serde would
/// replace a lone surrogate silently. `what` names the node, e.g. `nodes[2]`.
fn check_spec_id(spec: &JsValue, what: &str) -> JsResult<()> {
    if spec.is_object() {
        for field in ["id", "name"] {
            let v = Reflect::get(spec, &JsValue::from_str(field)).unwrap_or(JsValue::UNDEFINED);
            if v.is_string() {
                string_arg(&v, Code::InvalidId, &format!("{what}.{field}"))?;
            }
        }
    }
    Ok(())
}

fn entropy() -> u64 {
    let mut b = [0u8; 8];
    match getrandom::fill(&mut b) {
        Ok(()) => u64::from_le_bytes(b),
        // No crypto source (should not happen in any supported runtime): fall back to Math.random.
        Err(_) => (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64 ^ js_sys::Date::now().to_bits(),
    }
}

fn count_arg(n: &JsValue) -> JsResult<usize> {
    match n.as_f64() {
        Some(f) if f >= 1.0 && f.fract() == 0.0 => Ok(if f > usize::MAX as f64 { usize::MAX } else { f as usize }),
        Some(f) => Err(js_error(Error::new(
            Code::InvalidCount,
            format!("pickN's n must be a whole number >= 1, got {}", fmt_num(f)),
        ))),
        None => Err(js_error(Error::new(
            Code::InvalidCount,
            format!("pickN's n must be a whole number >= 1, got {}", js_type(n)),
        ))),
    }
}

fn to_js<T: serde::Serialize>(v: &T) -> JsValue {
    // Plain data (numbers, strings, null) always serializes.
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::UNDEFINED)
}

/// The wasm side of `Router`. Not meant to be used directly: `js/router.js` wraps it.
#[wasm_bindgen]
pub struct WasmRouter {
    inner: Router,
    out: Vec<usize>,
}

#[wasm_bindgen]
impl WasmRouter {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> JsResult<WasmRouter> {
        install_panic_hook();
        if options.is_object() {
            let nodes = Reflect::get(&options, &JsValue::from_str("nodes")).unwrap_or(JsValue::UNDEFINED);
            if let Some(arr) = nodes.dyn_ref::<js_sys::Array>() {
                for (i, spec) in arr.iter().enumerate() {
                    check_spec_id(&spec, &format!("nodes[{i}]"))?;
                }
            }
        } else {
            return Err(js_error(Error::new(
                Code::InvalidOptions,
                format!(
                    "Router options must be an object like {{ strategy: \"ring\", nodes: [{{ id: \"a\" }}] }}, got {}",
                    js_type(&options)
                ),
            )));
        }
        let v = to_value(&options, Code::InvalidOptions, "Router options")?;
        let inner = Router::from_value(&v, entropy).map_err(js_error)?;
        Ok(WasmRouter { inner, out: Vec::new() })
    }

    pub fn strategy(&self) -> String {
        self.inner.strategy().name().to_owned()
    }

    /// Node ids in index order.
    pub fn ids(&self) -> Vec<String> {
        self.inner.ids().map(str::to_owned).collect()
    }

    fn now(&self) -> f64 {
        if self.inner.needs_clock() {
            js_sys::Date::now()
        } else {
            0.0
        }
    }

    fn pick_key(&mut self, key: Option<&[u8]>, acquire: bool) -> JsResult<i32> {
        // Debug builds only: a way for the tests to reach a panic through the public API.
        #[cfg(debug_assertions)]
        if key == Some(DEBUG_PANIC_KEY) {
            panic!("a test asked for a panic with the debug key");
        }
        let now = self.now();
        let got = if acquire {
            self.inner.acquire(key, now)
        } else {
            self.inner.pick(key, now)
        };
        match got {
            Ok(Some(i)) => Ok(i as i32),
            Ok(None) => Ok(-1),
            Err(e) => Err(js_error(e)),
        }
    }

    pub fn pick_str(&mut self, key: &str) -> JsResult<i32> {
        self.pick_key(Some(key.as_bytes()), false)
    }

    /// `pick` of the key JS wrote into the scratch buffer (see [`scratch`]): no allocation, one call.
    pub fn pick_scratch(&mut self, len: usize) -> JsResult<i32> {
        with_scratch(len, |key| self.pick_key(Some(key), false))
    }

    pub fn acquire_scratch(&mut self, len: usize) -> JsResult<i32> {
        with_scratch(len, |key| self.pick_key(Some(key), true))
    }

    pub fn pick_n_scratch(&mut self, len: usize, n: JsValue) -> JsResult<Uint32Array> {
        with_scratch(len, |key| self.pick_n_key(Some(key), &n))
    }

    pub fn pick_bytes(&mut self, key: &[u8]) -> JsResult<i32> {
        self.pick_key(Some(key), false)
    }

    pub fn pick_none(&mut self) -> JsResult<i32> {
        self.pick_key(None, false)
    }

    pub fn acquire_str(&mut self, key: &str) -> JsResult<i32> {
        self.pick_key(Some(key.as_bytes()), true)
    }

    pub fn acquire_bytes(&mut self, key: &[u8]) -> JsResult<i32> {
        self.pick_key(Some(key), true)
    }

    pub fn acquire_none(&mut self) -> JsResult<i32> {
        self.pick_key(None, true)
    }

    pub fn begin(&mut self, id: JsValue) -> JsResult<()> {
        let id = string_arg(&id, Code::InvalidId, "begin(id): id")?;
        self.inner.begin(&id).map_err(js_error)
    }

    /// `end(id, outcome?)`: `outcome` undefined means none.
    pub fn end(&mut self, id: JsValue, outcome: JsValue) -> JsResult<()> {
        let id = string_arg(&id, Code::InvalidId, "end(id, outcome): id")?;
        let o = if outcome.is_undefined() {
            None
        } else {
            let v = to_value(&outcome, Code::InvalidReport, "the outcome")?;
            Some(Outcome::from_value(&v).map_err(js_error)?)
        };
        self.inner.end(&id, o, js_sys::Date::now()).map_err(js_error)
    }

    fn pick_n_key(&mut self, key: Option<&[u8]>, n: &JsValue) -> JsResult<Uint32Array> {
        let n = count_arg(n)?;
        let now = self.now();
        self.inner.pick_n(key, n, now, &mut self.out).map_err(js_error)?;
        let arr = Uint32Array::new_with_length(self.out.len() as u32);
        for (i, &v) in self.out.iter().enumerate() {
            arr.set_index(i as u32, v as u32);
        }
        Ok(arr)
    }

    pub fn pick_n_str(&mut self, key: &str, n: JsValue) -> JsResult<Uint32Array> {
        self.pick_n_key(Some(key.as_bytes()), &n)
    }

    pub fn pick_n_bytes(&mut self, key: &[u8], n: JsValue) -> JsResult<Uint32Array> {
        self.pick_n_key(Some(key), &n)
    }

    pub fn pick_n_none(&mut self, n: JsValue) -> JsResult<Uint32Array> {
        self.pick_n_key(None, &n)
    }

    pub fn add(&mut self, spec: JsValue) -> JsResult<()> {
        check_spec_id(&spec, "node")?;
        let v = to_value(&spec, Code::InvalidOption, "the node")?;
        let spec = NodeSpec::from_value(&v, "node").map_err(js_error)?;
        self.inner.add(spec).map_err(js_error)
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

    pub fn report(&mut self, id: JsValue, outcome: JsValue) -> JsResult<()> {
        let id = string_arg(&id, Code::InvalidId, "report(id, outcome): id")?;
        let v = to_value(&outcome, Code::InvalidReport, "the outcome")?;
        let o = Outcome::from_value(&v).map_err(js_error)?;
        self.inner.report(&id, o, js_sys::Date::now()).map_err(js_error)
    }

    /// `markDown(id, forMs?)`: `for_ms` undefined means until `markUp`.
    pub fn mark_down(&mut self, id: JsValue, for_ms: JsValue) -> JsResult<()> {
        let id = string_arg(&id, Code::InvalidId, "markDown(id, forMs): id")?;
        let ms = if for_ms.is_undefined() {
            None
        } else {
            match for_ms.as_f64() {
                Some(ms) if ms.is_finite() && ms > 0.0 && ms <= crate::config::MAX_MS => Some(ms),
                _ => {
                    return Err(js_error(Error::new(
                        Code::InvalidOption,
                        format!("markDown(id, forMs): forMs must be a number of milliseconds > 0, or omitted for 'until markUp', got {}", js_type(&for_ms)),
                    )))
                }
            }
        };
        self.inner.mark_down(&id, ms, js_sys::Date::now()).map_err(js_error)
    }

    pub fn mark_up(&mut self, id: JsValue) -> JsResult<()> {
        let id = string_arg(&id, Code::InvalidId, "markUp(id): id")?;
        self.inner.mark_up(&id, js_sys::Date::now()).map_err(js_error)
    }

    /// The snapshot of `toJSON()`.
    pub fn snapshot(&self) -> JsValue {
        to_js(&self.inner.snapshot())
    }

    /// `Router.fromJSON(snapshot)`.
    pub fn from_snapshot(snapshot: JsValue) -> JsResult<WasmRouter> {
        let v = to_value(&snapshot, Code::InvalidOptions, "the snapshot")?;
        let inner = Router::from_snapshot(&v, entropy).map_err(js_error)?;
        Ok(WasmRouter { inner, out: Vec::new() })
    }

    pub fn nodes(&self) -> JsValue {
        to_js(&self.inner.nodes())
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

    pub fn key_position_str(&self, key: &str) -> f64 {
        unit_position(self.inner.key_hash(key.as_bytes()))
    }

    pub fn key_position_bytes(&self, key: &[u8]) -> f64 {
        unit_position(self.inner.key_hash(key))
    }

    pub fn stats(&self) -> JsValue {
        to_js(&self.inner.stats(js_sys::Date::now()))
    }
}

/// A 64-bit hash as a position on the unit circle, in [0, 1) (53 bits, so it never rounds up to 1).
fn unit_position(h: u64) -> f64 {
    (h >> 11) as f64 / 9_007_199_254_740_992.0
}

thread_local! {
    /// Where JS writes a string key's UTF-8 bytes before a `*_scratch` call, so a pick passes no string through
    /// wasm-bindgen (which would allocate, copy and free per call).
    static SCRATCH: core::cell::RefCell<Vec<u8>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// Makes the scratch buffer hold at least `len` bytes and returns where it starts. JS calls this only when a key
/// does not fit; the address changes when the buffer grows, and JS re-reads it then.
#[wasm_bindgen]
pub fn scratch(len: usize) -> *mut u8 {
    SCRATCH.with(|s| {
        let mut s = s.borrow_mut();
        if s.len() < len {
            s.resize(len, 0);
        }
        s.as_mut_ptr()
    })
}

/// The module's memory, for JS to write keys into the scratch buffer.
#[wasm_bindgen]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

fn with_scratch<T>(len: usize, f: impl FnOnce(&[u8]) -> JsResult<T>) -> JsResult<T> {
    SCRATCH.with(|s| {
        let s = s.borrow();
        match s.get(..len) {
            Some(key) => f(key),
            None => Err(js_error(Error::new(
                Code::InvalidKey,
                "internal: the key was not written to the scratch buffer",
            ))),
        }
    })
}

/// In debug builds, picking this key panics (test-js/panic/ checks what JS then sees).
#[cfg(debug_assertions)]
const DEBUG_PANIC_KEY: &[u8] = b"__edgeroute_debug_panic__";

/// The message of the last panic, kept by the debug-build panic hook until JS takes it.
#[cfg(debug_assertions)]
static LAST_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Debug builds: record each panic's message, so the JS error that follows the trap can carry it. (Release builds
/// abort without one: the message formatting would cost size, and a trap is a bug to report either way.)
fn install_panic_hook() {
    #[cfg(debug_assertions)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            std::panic::set_hook(Box::new(|info| {
                if let Ok(mut last) = LAST_PANIC.lock() {
                    *last = Some(info.to_string());
                }
            }))
        });
    }
}

/// The message of the last panic, once (debug builds; always `undefined` in release builds).
#[wasm_bindgen]
pub fn take_panic_message() -> Option<String> {
    #[cfg(debug_assertions)]
    {
        LAST_PANIC.lock().ok().and_then(|mut m| m.take())
    }
    #[cfg(not(debug_assertions))]
    {
        None
    }
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
