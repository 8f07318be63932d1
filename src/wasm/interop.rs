//! Converting and checking JS values: plain data into [`Value`]s, core values and errors back into JS.

use js_sys::{Array, ArrayBuffer, JsString, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::base::error::{Code, Error};
use crate::base::numfmt::fmt_num;
use crate::base::protocol::MAX_DEPTH;
use crate::base::value::Value;

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

pub(super) fn js_error(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name("EdgerouteError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(e.code.as_str()));
    err.into()
}

pub(super) type JsResult<T> = Result<T, JsValue>;

pub(super) fn to_value(v: &JsValue, code: Code, what: &str) -> JsResult<Value> {
    read_value(v, 0).map_err(|kind| {
        js_error(Error::new(
            code,
            format!("{what} must hold only plain JSON-like values (null, booleans, numbers, strings, arrays, plain objects), not {kind}"),
        ))
    })
}

/// Reads plain JS data (as `js/router.js` `plain` made it) into a [`Value`]; `undefined` reads as null. Errs
/// with the kind of value that has no JSON form. Strings read with lone surrogates replaced, like
/// `String::from`; ids are checked for them first (`check_spec_id`).
pub(super) fn read_value(v: &JsValue, depth: u32) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err("a structure nested this deep".into());
    }
    if v.is_null() || v.is_undefined() {
        return Ok(Value::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        return Ok(Value::Num(n));
    }
    if let Some(s) = v.as_string() {
        return Ok(Value::Str(s));
    }
    if let Some(a) = v.dyn_ref::<Array>() {
        let mut out = Vec::with_capacity(a.length() as usize);
        for i in 0..a.length() {
            out.push(read_value(&a.get(i), depth + 1)?);
        }
        return Ok(Value::Arr(out));
    }
    if v.is_object() && !ArrayBuffer::is_view(v) && !v.is_instance_of::<ArrayBuffer>() {
        let entries = Object::entries(v.unchecked_ref::<Object>());
        let mut out = Vec::with_capacity(entries.length() as usize);
        for i in 0..entries.length() {
            let pair: Array = entries.get(i).unchecked_into();
            let key = pair.get(0).as_string().unwrap_or_default();
            out.push((key, read_value(&pair.get(1), depth + 1)?));
        }
        return Ok(Value::Obj(out));
    }
    Err(js_type(v))
}

pub(super) fn string_arg(v: &JsValue, code: Code, what: &str) -> JsResult<String> {
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

pub(super) fn js_type(v: &JsValue) -> String {
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

/// Node ids, twemproxy names and zones inside an options object or a node spec must be well-formed too; reading
/// would replace a lone surrogate silently (two zones "\u{D800}" and "\u{DC00}" would become one zone "\u{FFFD}",
/// which no pick's `zone` names). `what` names the node, e.g. `nodes[2]`.
/// `keys` holds the JS strings "id", "name" and "zone" ([`spec_keys`]), made once per call rather than per node.
pub(super) fn check_spec_id(spec: &JsValue, what: &dyn core::fmt::Display, keys: &[JsValue; 3]) -> JsResult<()> {
    if spec.is_object() {
        let fields = [
            ("id", Code::InvalidId),
            ("name", Code::InvalidId),
            ("zone", Code::InvalidOption),
        ];
        for ((field, code), key) in fields.into_iter().zip(keys) {
            let v = Reflect::get(spec, key).unwrap_or(JsValue::UNDEFINED);
            if let Some(s) = v.dyn_ref::<JsString>() {
                if !s.unchecked_ref::<WellFormed>().is_well_formed() {
                    string_arg(&v, code, &format!("{what}.{field}"))?;
                }
            }
        }
    }
    Ok(())
}

/// The ids (and names) of `options.nodes`, checked for lone surrogates before anything reads them.
pub(super) fn check_node_ids(options: &JsValue) -> JsResult<()> {
    let nodes = Reflect::get(options, &JsValue::from_str("nodes")).unwrap_or(JsValue::UNDEFINED);
    if let Some(arr) = nodes.dyn_ref::<js_sys::Array>() {
        let keys = spec_keys();
        for (i, spec) in arr.iter().enumerate() {
            check_spec_id(&spec, &format_args!("nodes[{i}]"), &keys)?;
        }
    }
    Ok(())
}

pub(super) fn spec_keys() -> [JsValue; 3] {
    [
        JsValue::from_str("id"),
        JsValue::from_str("name"),
        JsValue::from_str("zone"),
    ]
}

/// The core's entropy source under the facade. JS seeds every Router that needs it before its first pick
/// ([`NEED_ENTROPY`], `seed_entropy`), so the core never calls this; if it did, it would get a counter mixed
/// with an address: no JS is called from inside wasm.
pub(super) fn entropy() -> u64 {
    static COUNTER: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    crate::hash::fmix64(n ^ ((&COUNTER as *const _ as usize as u64) << 32))
}

pub(super) fn count_arg(n: &JsValue) -> Result<usize, Error> {
    match n.as_f64() {
        Some(f) => count_num(f),
        None => Err(Error::new(
            Code::InvalidCount,
            format!("pickN's n must be a whole number >= 1, got {}", js_type(n)),
        )),
    }
}

/// `pickN`'s `n` given as a JS number.
pub(super) fn count_num(f: f64) -> Result<usize, Error> {
    if f >= 1.0 && f.fract() == 0.0 {
        Ok(if f > usize::MAX as f64 { usize::MAX } else { f as usize })
    } else {
        Err(Error::new(
            Code::InvalidCount,
            format!("pickN's n must be a whole number >= 1, got {}", fmt_num(f)),
        ))
    }
}

/// A [`Value`] as plain JS data: objects, arrays, strings, numbers, booleans and null.
pub(super) fn to_js(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Num(n) => JsValue::from_f64(*n),
        Value::Str(s) => JsValue::from_str(s),
        Value::Arr(a) => {
            let out = Array::new_with_length(a.len() as u32);
            for (i, x) in a.iter().enumerate() {
                out.set(i as u32, to_js(x));
            }
            out.into()
        }
        Value::Obj(o) => {
            let out = Object::new();
            for (k, x) in o {
                // Defining a data property on a fresh plain object cannot fail.
                let _ = Reflect::set(&out, &JsValue::from_str(k), &to_js(x));
            }
            out.into()
        }
    }
}
