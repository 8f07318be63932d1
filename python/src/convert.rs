//! Python values in and out: keyword arguments and dicts into the core's [`Value`] tree (with the snake_case
//! names turned into the JS option names), keys into bytes, and [`Value`]s back into Python data.
//!
//! The options arrive as a `Value`, as they do from JS (`src/wasm/interop.rs`), so the core validates them with
//! the same code and the same messages. Only what JS's `plain()` (js/router.js) checks before the core is
//! checked here: depth, array and string sizes, and values that are not plain data.

use std::borrow::Cow;
use std::fmt;

use edgeroute::base::protocol::{MAX_ARRAY, MAX_DEPTH, MAX_KEY_BYTES, MAX_STRING};
use edgeroute::{Code, Value};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::errors::{coded, core_error};

/// `tableSize` → `table_size`: the Python name of a JS option or field.
pub fn snake(js: &str) -> String {
    let mut out = String::with_capacity(js.len() + 4);
    for c in js.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Where a dict's keys come from, for renaming: the Router's options, a node spec, or `options.health`. The
/// names are the core's own lists (`edgeroute::names`), so a new option gets its snake_case name here unasked.
#[derive(Clone, Copy, PartialEq)]
pub enum Names {
    Options,
    Node,
    Health,
}

impl Names {
    fn js(self) -> Vec<&'static str> {
        match self {
            Names::Options => edgeroute::names::options(),
            Names::Node => edgeroute::names::node_fields(),
            Names::Health => edgeroute::names::health_fields(),
        }
    }

    /// The JS name for a Python key: `Ok(js)` for a known snake_case name (or a key no list holds, passed on
    /// unchanged for the core to refuse in its own words), `Err(python name)` for a JS spelling that differs
    /// from its Python one (`tableSize`), which Python refuses.
    fn rename(self, key: &str) -> Result<Cow<'static, str>, String> {
        let names = self.js();
        if let Some(js) = names.iter().find(|js| snake(js) == key) {
            return Ok(Cow::Borrowed(js));
        }
        match names.iter().find(|js| **js == key) {
            Some(js) => Err(snake(js)),
            None => Ok(Cow::Owned(key.to_owned())),
        }
    }

    fn unknown_code(self) -> Code {
        match self {
            Names::Node => Code::UnknownField,
            _ => Code::UnknownOption,
        }
    }
}

/// What a value is, for renaming and for the id checks.
#[derive(Clone, Copy, PartialEq)]
pub enum Shape {
    /// The Router's options: keyword arguments (`rename`) or a snapshot's `options` (JS names, as is).
    Options {
        rename: bool,
    },
    Nodes {
        rename: bool,
    },
    Node {
        rename: bool,
    },
    Health {
        rename: bool,
    },
    /// `Router.from_json`'s dict: `options` inside it is [`Shape::Options`] without renaming.
    Snapshot,
    /// A node's `id` or `name`: a lone surrogate is ERR_INVALID_ID, not replaced.
    Id,
    Plain,
}

impl Shape {
    /// The shape of the value under `key` of a dict of this shape.
    fn field(self, key: &str) -> Shape {
        match (self, key) {
            (Shape::Options { rename }, "nodes") => Shape::Nodes { rename },
            (Shape::Options { rename }, "health") => Shape::Health { rename },
            (Shape::Node { .. }, "id" | "name") => Shape::Id,
            (Shape::Snapshot, "options") => Shape::Options { rename: false },
            _ => Shape::Plain,
        }
    }

    fn names(self) -> Option<Names> {
        match self {
            Shape::Options { rename: true } => Some(Names::Options),
            Shape::Node { rename: true } => Some(Names::Node),
            Shape::Health { rename: true } => Some(Names::Health),
            _ => None,
        }
    }
}

/// A path into the options for messages (`options.nodes[2].id`), built on the stack and rendered only for an
/// error: a 10,000-node config formats nothing when it is valid.
pub enum Path<'a> {
    Root(&'a str),
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root(s) => f.write_str(s),
            Path::Key(p, k) => write!(f, "{p}.{k}"),
            Path::Index(p, i) => write!(f, "{p}[{i}]"),
        }
    }
}

/// The Python type name of `v`, for messages: `int`, `NoneType`, `bytes`...
pub fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".into())
}

/// What a value is, in words, for "got ..." in messages: `None`, `a bool`, `the number 3`, `a str`...
pub fn describe(v: &Bound<'_, PyAny>) -> String {
    if v.is_none() {
        "None".into()
    } else if let Ok(n) = number(v) {
        format!("the number {}", edgeroute::base::numfmt::fmt_num(n))
    } else {
        type_name(v)
    }
}

/// A Python int or float (not a bool) as the number JS would hold: an int too large for a double reads as
/// ±infinity, as `Number(10n ** 400n)` does.
pub fn number(v: &Bound<'_, PyAny>) -> Result<f64, ()> {
    if v.is_instance_of::<PyBool>() {
        return Err(());
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        return Ok(f.value());
    }
    if v.is_instance_of::<PyInt>() {
        return match v.extract::<f64>() {
            Ok(n) => Ok(n),
            Err(_) => Ok(if v.lt(0).unwrap_or(false) {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }),
        };
    }
    Err(())
}

fn not_plain(path: &Path, what: &str) -> PyErr {
    coded(
        Code::InvalidOptions.as_str(),
        format!("{path} is {what}; pass plain data: numbers, strings, booleans, None, lists and dicts"),
    )
}

/// Reads Python data into a [`Value`]: None, bools, ints, floats, strs, lists and tuples, and dicts with str
/// keys. Keys of option, node and health dicts are renamed to the JS names when `shape` says so.
pub fn to_value(v: &Bound<'_, PyAny>, shape: Shape, path: &Path, depth: u32) -> PyResult<Value> {
    if v.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(n) = number(v) {
        return Ok(Value::Num(n));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return string_value(s, shape, path).map(Value::Str);
    }
    if depth >= MAX_DEPTH {
        return Err(coded(
            Code::InvalidOptions.as_str(),
            format!("{path} nests deeper than {MAX_DEPTH} levels (a cycle?); pass plain data"),
        ));
    }
    let item = match shape {
        Shape::Nodes { rename } => Shape::Node { rename },
        _ => Shape::Plain,
    };
    if let Ok(list) = v.cast::<PyList>() {
        return seq_value(list.len(), list.iter(), item, path, depth);
    }
    if let Ok(t) = v.cast::<PyTuple>() {
        return seq_value(t.len(), t.iter(), item, path, depth);
    }
    if let Ok(d) = v.cast::<PyDict>() {
        return dict_value(d, shape, path, depth);
    }
    Err(not_plain(path, &format!("a {}", type_name(v))))
}

fn string_value(s: &Bound<'_, PyString>, shape: Shape, path: &Path) -> PyResult<String> {
    let len = s.len()?;
    if len > MAX_STRING as usize {
        return Err(coded(
            Code::InvalidOptions.as_str(),
            format!("{path} is a string of {len} characters; strings in options are at most {MAX_STRING}"),
        ));
    }
    match s.to_cow() {
        Ok(c) => Ok(c.into_owned()),
        // A lone surrogate has no UTF-8 form: an id must not be silently changed; elsewhere it reads as U+FFFD,
        // as a JS string does in the wasm facade.
        Err(_) if shape == Shape::Id => Err(coded(
            Code::InvalidId.as_str(),
            format!("{path} contains a lone UTF-16 surrogate, which has no UTF-8 form; fix the string"),
        )),
        Err(_) => Ok(s.to_string_lossy().into_owned()),
    }
}

fn seq_value<'py>(
    n: usize,
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    item: Shape,
    path: &Path,
    depth: u32,
) -> PyResult<Value> {
    if n > MAX_ARRAY as usize {
        return Err(coded(
            Code::InvalidOptions.as_str(),
            format!("{path} is a list of length {n}; at most {MAX_ARRAY} elements are read"),
        ));
    }
    let mut out = Vec::with_capacity(n);
    for (i, x) in items.enumerate() {
        out.push(to_value(&x, item, &Path::Index(path, i), depth + 1)?);
    }
    Ok(Value::Arr(out))
}

fn dict_value(d: &Bound<'_, PyDict>, shape: Shape, path: &Path, depth: u32) -> PyResult<Value> {
    let names = shape.names();
    let mut out = Vec::with_capacity(d.len());
    for (k, x) in d.iter() {
        let Ok(k) = k.cast::<PyString>() else {
            return Err(not_plain(path, &format!("a dict with a key of type {}", type_name(&k))));
        };
        let key = string_value(k, Shape::Plain, path)?;
        let key = match names {
            None => key,
            Some(names) => match names.rename(&key) {
                Ok(js) => js.into_owned(),
                Err(py_name) => {
                    return Err(coded(
                        names.unknown_code().as_str(),
                        format!("{path} has unknown field {key:?}; in Python it is {py_name}"),
                    ))
                }
            },
        };
        let x = to_value(&x, shape.field(&key), &Path::Key(path, &key), depth + 1)?;
        out.push((key, x));
    }
    Ok(Value::Obj(out))
}

/// The Router's keyword arguments as the options object JS would pass. A keyword set to None is absent, as a
/// JS property set to `undefined` is; inside lists and dicts None is JSON null, which no option takes.
pub fn options_value(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Value> {
    let mut out = Vec::new();
    let root = Path::Root("options");
    for (k, x) in kwargs.into_iter().flat_map(|d| d.iter()) {
        if x.is_none() {
            continue;
        }
        let key: String = k.extract()?;
        let js = match Names::Options.rename(&key) {
            Ok(js) => js.into_owned(),
            Err(py_name) => {
                return Err(coded(
                    Code::UnknownOption.as_str(),
                    format!("unknown option {key:?}; in Python it is {py_name}"),
                ))
            }
        };
        let shape = Shape::Options { rename: true }.field(&js);
        let x = to_value(&x, shape, &Path::Key(&root, &key), 1)?;
        out.push((js, x));
    }
    Ok(Value::Obj(out))
}

/// A node given to `add`: a dict shaped like an entry of `nodes`, or anything else for the core to refuse.
pub fn node_value(v: &Bound<'_, PyAny>) -> PyResult<Value> {
    to_value(v, Shape::Node { rename: true }, &Path::Root("node"), 0)
}

/// A key's bytes: a str as UTF-8, or bytes, bytearray or memoryview as they are. Owned only when the object
/// cannot lend its bytes (bytearray, memoryview, and str on the limited API before 3.10).
pub enum Key<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
}

impl Key<'_> {
    pub fn bytes(&self) -> &[u8] {
        match self {
            Key::Borrowed(b) => b,
            Key::Owned(v) => v,
        }
    }
}

fn key_too_long(n: usize) -> PyErr {
    coded(
        Code::InvalidKey.as_str(),
        format!("the key is {n} bytes; keys are at most {MAX_KEY_BYTES} bytes (1 MiB): route by a shorter key, such as a hash of it"),
    )
}

/// Reads a key (`pick`, `pick_n`, `pick_many`, `acquire`, `key_position`, and the Registry's checks).
pub fn key<'a>(v: &'a Bound<'_, PyAny>) -> PyResult<Key<'a>> {
    let k = if let Ok(b) = v.cast::<PyBytes>() {
        Key::Borrowed(b.as_bytes())
    } else if let Ok(s) = v.cast::<PyString>() {
        match crate::utf8::str_bytes(s) {
            Some(k) => k,
            None => return Err(coded(
                Code::InvalidKey.as_str(),
                "the key contains a lone UTF-16 surrogate, which has no UTF-8 form; fix the string or pass its bytes",
            )),
        }
    } else if let Ok(b) = v.cast::<PyByteArray>() {
        Key::Owned(b.to_vec())
    } else if type_name(v) == "memoryview" {
        Key::Owned(v.call_method0("tobytes")?.cast_into::<PyBytes>()?.as_bytes().to_vec())
    } else {
        return Err(coded(
            Code::InvalidKey.as_str(),
            format!("a key must be a str or bytes, got {}", type_name(v)),
        ));
    };
    if k.bytes().len() > MAX_KEY_BYTES as usize {
        return Err(key_too_long(k.bytes().len()));
    }
    Ok(k)
}

/// A node id argument (`remove`, `set_weight`, `report`...): a str that has a UTF-8 form.
pub fn id_arg(v: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    let Ok(s) = v.cast::<PyString>() else {
        return Err(coded(
            Code::InvalidId.as_str(),
            format!("{what} must be a string, got {}", describe(v)),
        ));
    };
    s.to_cow().map(Cow::into_owned).map_err(|_| {
        coded(
            Code::InvalidId.as_str(),
            format!("{what} contains a lone UTF-16 surrogate, which has no UTF-8 form; fix the string"),
        )
    })
}

/// `pick_n`'s count: a whole number >= 1 (an int, or a float with no fraction, as JS numbers are). The
/// message is JS's (src/wasm/interop.rs `count_arg`), with Python's type names.
pub fn count_arg(v: &Bound<'_, PyAny>) -> PyResult<usize> {
    let got = match number(v) {
        Ok(f) if f >= 1.0 && f.fract() == 0.0 => {
            return Ok(if f >= usize::MAX as f64 { usize::MAX } else { f as usize })
        }
        Ok(f) => edgeroute::base::numfmt::fmt_num(f),
        Err(()) => describe(v),
    };
    Err(coded(
        Code::InvalidCount.as_str(),
        format!("pickN's n must be a whole number >= 1, got {got}"),
    ))
}

/// A [`Value`] as Python data. `snake_keys` renames object keys to snake_case (`stats()`, `nodes()`); JSON
/// snapshots keep the JS names so that they stay interchangeable with the npm package. Whole numbers become
/// ints (as JSON.stringify prints them), others floats.
pub fn to_py<'py>(py: Python<'py>, v: &Value, snake_keys: bool) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Num(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 => {
            (*n as i64).into_pyobject(py)?.into_any()
        }
        Value::Num(n) => PyFloat::new(py, *n).into_any(),
        Value::Str(s) => PyString::new(py, s).into_any(),
        Value::Arr(a) => {
            let items = a
                .iter()
                .map(|x| to_py(py, x, snake_keys))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Obj(o) => {
            let d = PyDict::new(py);
            for (k, x) in o {
                let x = to_py(py, x, snake_keys)?;
                if snake_keys {
                    d.set_item(snake(k), x)?;
                } else {
                    d.set_item(k, x)?;
                }
            }
            d.into_any()
        }
    })
}

/// The core's error for a bad `for_ms`, as `markDown` raises it.
pub fn for_ms_arg(v: Option<&Bound<'_, PyAny>>) -> PyResult<Option<f64>> {
    match v {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => match number(v) {
            Ok(n) => Ok(Some(n)),
            Err(()) => Err(core_error(edgeroute::router::for_ms_error(&describe(v)))),
        },
    }
}

/// The `zone=` keyword of the picks: None (no zone), or a zone name (a str). A name no node has picks as no zone
/// does, as in JS; so does a str with a lone surrogate (no node's zone can hold one): it reads as `""`, which no
/// zone is named. `call` names the method in the message, as JS's `#zoneOf` does.
pub fn zone_arg(v: Option<&Bound<'_, PyAny>>, call: &str) -> PyResult<Option<String>> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let Ok(s) = v.cast::<PyString>() else {
        return Err(coded(
            Code::InvalidOption.as_str(),
            format!("{call}: zone must be a zone name (a str) or None, got {}", describe(v)),
        ));
    };
    Ok(Some(s.to_cow().map(Cow::into_owned).unwrap_or_default()))
}
