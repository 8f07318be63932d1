//! `edgeroute.Router` and `edgeroute.Lease`: the core's Router behind a mutex, shareable between threads.
//!
//! Locking: each Router holds its state in a `Mutex`. A thread never waits for that mutex while it holds the
//! GIL: it tries the lock, and when another thread has it, it waits detached from the interpreter and tries
//! again (`Shared::enter`). So a thread that holds the mutex may detach for long work (a build, a large
//! `pick_many`) and attach again without deadlock, and the node-id cache (Python strs, which need the GIL)
//! stays consistent with the core under the one lock. No Python code runs while the mutex is held: every
//! argument is read before, and results become Python objects after (except the cached id strs).

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use edgeroute::base::protocol::MAX_BATCH;
use edgeroute::router::NO_ZONE;
use edgeroute::{Code, Error, NodeSpec, Outcome, Value};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString, PyType};

use crate::convert::{self, count_arg, id_arg, key, node_value, options_value, to_py, to_value, zone_arg, Path, Shape};
use crate::errors::{coded, core_error, EdgerouteError};

/// The core Router, made `Send` so a Python object can own it.
///
/// SAFETY: `edgeroute::Router` is `!Send` only because it holds its strategy as `Box<dyn Strategy>` without a
/// `Send` bound. Every strategy the core builds is plain owned data (asserted `Send` below, type by type), and
/// the Router's other fields are vectors, numbers and a `fn` pointer: no `Rc`, no `Cell`, no thread-local
/// state. A `Core` is only ever used by one thread at a time (it lives inside `State`'s `Mutex`).
struct Core(edgeroute::Router);
unsafe impl Send for Core {}

const _: () = {
    use edgeroute::compat::{continuum::Continuum, haproxy::HaproxyMap, nginx::NginxHash};
    use edgeroute::strategy::{bounded_load::BoundedLoad, jump::Jump, least_latency::LeastLatency};
    use edgeroute::strategy::{least_outstanding::LeastOutstanding, maglev::Maglev, modulo::Modulo};
    use edgeroute::strategy::{rendezvous::Rendezvous, ring::HashRing, round_robin::RoundRobin};
    use edgeroute::strategy::{smooth_wrr::SmoothWrr, weighted_random::WeightedRandom};
    const fn send<T: Send>() {}
    send::<NginxHash>();
    send::<HaproxyMap>();
    send::<Continuum>();
    send::<Modulo>();
    send::<WeightedRandom>();
    send::<RoundRobin>();
    send::<SmoothWrr>();
    send::<LeastLatency>();
    send::<LeastOutstanding>();
    send::<Jump>();
    send::<HashRing>();
    send::<Rendezvous>();
    send::<Maglev>();
    send::<BoundedLoad<HashRing>>();
    send::<BoundedLoad<Rendezvous>>();
    send::<BoundedLoad<Maglev>>();
    send::<edgeroute::Value>();
};

/// Wall-clock milliseconds since the epoch, whole, as JS's `Date.now()`: health times in snapshots are
/// absolute, so they mean the same in Python and in JS.
fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64)
}

/// Fresh entropy for an unseeded random Router (called by the core once, on its first pick): the OS's
/// getrandom(2), which is what `os.urandom` reads.
fn entropy() -> u64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        // No OS entropy (never seen on Linux): the clock's nanoseconds, mixed.
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        return edgeroute::hash::fmix64(t ^ 0x9e37_79b9_7f4a_7c15);
    }
    u64::from_le_bytes(b)
}

struct State {
    core: Core,
    /// Node ids as Python strs, in index order, so a pick returns a cached str; rebuilt lazily when `gen`
    /// (bumped by every change of the node table) has moved past `ids_gen`.
    ids: Vec<Py<PyString>>,
    gen: u64,
    ids_gen: u64,
    out: Vec<usize>,
    /// The panic this Router hit, after which it refuses every call (as JS does after a trap).
    broken: Option<String>,
    /// Each live node's incarnation, made on the first `acquire`: a lease of a node removed since (even if a
    /// node of the same id was added again) ends with False instead of ending that node's request.
    serials: Option<HashMap<String, u64>>,
    next_serial: u64,
}

impl State {
    fn new(core: Core) -> State {
        State {
            core,
            ids: Vec::new(),
            gen: 1,
            ids_gen: 0,
            out: Vec::new(),
            broken: None,
            serials: None,
            next_serial: 0,
        }
    }

    fn r(&mut self) -> &mut edgeroute::Router {
        &mut self.core.0
    }

    /// The clock for a pick: read only when the core needs it (a healthy pool never does), as JS passes NaN.
    fn clock(&self) -> f64 {
        if self.core.0.needs_clock() {
            now_ms()
        } else {
            f64::NAN
        }
    }

    /// The index of the caller's zone for the core's `*_in` picks: `NO_ZONE` for none, and for a zone no node
    /// is in (which picks from every zone, as JS does).
    fn zone(&self, name: Option<&str>) -> u32 {
        name.and_then(|z| self.core.0.zone_index(z)).unwrap_or(NO_ZONE)
    }

    fn id(&mut self, py: Python<'_>, i: usize) -> Py<PyString> {
        if self.ids_gen != self.gen {
            self.ids = self.core.0.ids().map(|s| PyString::new(py, s).unbind()).collect();
            self.ids_gen = self.gen;
        }
        self.ids[i].clone_ref(py)
    }

    fn serial(&mut self, id: &str) -> u64 {
        if self.serials.is_none() {
            let mut m = HashMap::new();
            for id in self.core.0.ids() {
                m.insert(id.to_owned(), self.next_serial);
                self.next_serial += 1;
            }
            self.serials = Some(m);
        }
        self.serials
            .as_ref()
            .and_then(|m| m.get(id))
            .copied()
            .unwrap_or(u64::MAX)
    }
}

thread_local! {
    static THREAD: u64 = {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    };
}

struct Shared {
    state: Mutex<State>,
    /// The thread inside (0: none), to refuse a call made from inside a call of the same thread.
    owner: AtomicU64,
}

struct Entered<'a> {
    guard: MutexGuard<'a, State>,
    owner: &'a AtomicU64,
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        self.owner.store(0, Ordering::Relaxed);
    }
}

fn internal(what: &str) -> PyErr {
    coded(
        "ERR_INTERNAL",
        format!("edgeroute hit an internal error ({what}). This is a bug: please report it with this message. This Router can no longer be used: create a new Router."),
    )
}

impl Shared {
    fn new(core: Core) -> Shared {
        Shared {
            state: Mutex::new(State::new(core)),
            owner: AtomicU64::new(0),
        }
    }

    /// Takes the lock without ever waiting for it while attached to the interpreter (see the module doc).
    fn enter<'a>(&'a self, py: Python<'_>) -> PyResult<Entered<'a>> {
        let me = THREAD.with(|t| *t);
        loop {
            match self.state.try_lock() {
                Ok(guard) => {
                    self.owner.store(me, Ordering::Relaxed);
                    let e = Entered {
                        guard,
                        owner: &self.owner,
                    };
                    if let Some(msg) = &e.guard.broken {
                        return Err(coded(
                            "ERR_INTERNAL",
                            format!("this Router hit an internal error earlier and can no longer be used; create a new Router. ({msg})"),
                        ));
                    }
                    return Ok(e);
                }
                Err(TryLockError::WouldBlock) => {
                    if self.owner.load(Ordering::Relaxed) == me {
                        return Err(coded(
                            "ERR_REENTRANT",
                            "a Router method was called while another call on the same Router was still running in this thread (from a finalizer or a signal handler); make the call after the first one returns",
                        ));
                    }
                    py.detach(|| drop(self.state.lock()));
                }
                Err(TryLockError::Poisoned(_)) => return Err(internal("a panic while the Router was locked")),
            }
        }
    }

    /// Runs `f` on the locked state; a panic becomes ERR_INTERNAL and retires the Router.
    fn run<R>(&self, py: Python<'_>, f: impl FnOnce(&mut State) -> PyResult<R>) -> PyResult<R> {
        let mut e = self.enter(py)?;
        let st = &mut *e.guard;
        match catch_unwind(AssertUnwindSafe(|| f(st))) {
            Ok(r) => r,
            Err(p) => {
                let msg = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".into());
                st.broken = Some(msg.clone());
                Err(internal(&msg))
            }
        }
    }
}

/// An outcome from keyword arguments, checked by the core as JS's `{ ok, latencyMs }` is. `None` when neither
/// is given (`end(id)` reports nothing).
fn outcome(ok: Option<&Bound<'_, PyAny>>, latency_ms: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Outcome>> {
    let mut fields = Vec::new();
    let root = Path::Root("outcome");
    for (name, v) in [("ok", ok), ("latencyMs", latency_ms)] {
        if let Some(v) = v.filter(|v| !v.is_none()) {
            fields.push((name.to_owned(), to_value(v, Shape::Plain, &Path::Key(&root, name), 1)?));
        }
    }
    if fields.is_empty() {
        return Ok(None);
    }
    Outcome::from_value(&Value::Obj(fields)).map(Some).map_err(core_error)
}

fn optional_key<'a>(k: Option<&'a Bound<'_, PyAny>>) -> PyResult<Option<convert::Key<'a>>> {
    k.filter(|k| !k.is_none()).map(key).transpose()
}

/// A key error of `pick_many`, with the key's index in front of its message.
fn with_index(py: Python<'_>, e: PyErr, i: usize) -> PyErr {
    if !e.is_instance_of::<EdgerouteError>(py) {
        return e;
    }
    let v = e.value(py);
    let code: String = v.getattr("code").and_then(|c| c.extract()).unwrap_or_default();
    coded(
        &code,
        format!(
            "pickMany(keys): keys[{i}]: {}",
            v.str().map(|s| s.to_string()).unwrap_or_default()
        ),
    )
}

/// A 64-bit hash as a position on the unit circle, in [0, 1), as JS's `keyPosition` and `ringPoints` give it.
fn unit_position(h: u64) -> f64 {
    (h >> 11) as f64 / 9_007_199_254_740_992.0
}

/// Routes requests to nodes: the same strategies, options and answers as the JS package's Router.
#[pyclass(frozen, weakref, module = "edgeroute", name = "Router")]
pub struct PyRouter {
    shared: Shared,
    strategy: &'static str,
}

impl PyRouter {
    fn wrap(core: Core) -> PyRouter {
        let strategy = core.0.strategy().name();
        PyRouter {
            shared: Shared::new(core),
            strategy,
        }
    }

    /// Ends a request counted in flight by `acquire` (for `Lease.end`): False if the node was removed since.
    fn end_lease(&self, py: Python<'_>, id: &str, serial: u64, o: Option<Outcome>) -> PyResult<bool> {
        self.shared.run(py, |st| {
            if st.serials.as_ref().and_then(|m| m.get(id)) != Some(&serial) {
                return Ok(false);
            }
            match st.r().end(id, o, now_ms()) {
                Ok(()) => Ok(true),
                Err(e) if e.code == Code::UnknownNode => Ok(false),
                Err(e) => Err(core_error(e)),
            }
        })
    }
}

#[pymethods]
impl PyRouter {
    /// `Router(strategy="ring", nodes=[{"id": "a", "weight": 2}], seed=7, ...)`: the JS Router's options as
    /// keyword arguments, multi-word names in snake_case (`table_size`, `bounded_load`, `decay_ms`,
    /// `max_memory_bytes`, `health={"consecutive_failures": 3}`, nodes' `server_id`). A keyword set to None is
    /// absent.
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<PyRouter> {
        let v = options_value(options)?;
        // The build (a ring's points, a maglev table) runs detached: other threads keep running meanwhile.
        let core = py
            .detach(|| edgeroute::Router::from_value(&v, entropy).map(Core))
            .map_err(core_error)?;
        Ok(PyRouter::wrap(core))
    }

    /// Rebuilds a Router from `to_json()`'s dict, its JSON text, or a JS Router's `toJSON()`.
    #[classmethod]
    fn from_json(_cls: &Bound<'_, PyType>, py: Python<'_>, snapshot: &Bound<'_, PyAny>) -> PyResult<PyRouter> {
        let v = if let Ok(s) = snapshot.cast::<PyString>() {
            let text = s.to_cow().map_err(|_| {
                coded(
                    Code::InvalidOptions.as_str(),
                    "Router.from_json: the text holds a lone surrogate, so it is not JSON",
                )
            })?;
            parse_json(text.as_bytes())?
        } else if let Ok(b) = snapshot.cast::<PyBytes>() {
            parse_json(b.as_bytes())?
        } else if let Ok(b) = snapshot.cast::<PyByteArray>() {
            parse_json(&b.to_vec())?
        } else {
            to_value(snapshot, Shape::Snapshot, &Path::Root("the snapshot"), 0)?
        };
        let now = now_ms();
        let core = py
            .detach(|| edgeroute::Router::from_snapshot(&v, entropy, now).map(Core))
            .map_err(core_error)?;
        Ok(PyRouter::wrap(core))
    }

    /// The strategy name given at construction.
    #[getter]
    fn strategy(&self) -> &'static str {
        self.strategy
    }

    /// The node for this request (`key`: str, hashed as its UTF-8, or bytes), or None when no node is usable.
    /// `zone`: the caller's zone, whose nodes are preferred while they are healthy enough (docs/traffic.md).
    #[pyo3(signature = (key=None, *, zone=None))]
    fn pick(
        &self,
        py: Python<'_>,
        key: Option<&Bound<'_, PyAny>>,
        zone: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyString>>> {
        let k = optional_key(key)?;
        let zone = zone_arg(zone, "pick(key, zone)")?;
        self.shared.run(py, |st| {
            let now = st.clock();
            let z = st.zone(zone.as_deref());
            match st.r().pick_in(k.as_ref().map(|k| k.bytes()), z, now) {
                Ok(Some(i)) => Ok(Some(st.id(py, i))),
                Ok(None) => Ok(None),
                Err(e) => Err(core_error(e)),
            }
        })
    }

    /// Up to `n` distinct node ids in preference (failover) order; `[0]` is what `pick` returns. With `zone`, the
    /// part of the pool `pick` chooses from comes first, then every other usable node.
    #[pyo3(signature = (key, n, *, zone=None))]
    fn pick_n(
        &self,
        py: Python<'_>,
        key: Option<&Bound<'_, PyAny>>,
        n: &Bound<'_, PyAny>,
        zone: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Py<PyString>>> {
        let k = optional_key(key)?;
        let n = count_arg(n)?;
        let zone = zone_arg(zone, "pickN(key, n, zone)")?;
        self.shared.run(py, |st| {
            let now = st.clock();
            let z = st.zone(zone.as_deref());
            let mut out = std::mem::take(&mut st.out);
            let got = st.r().pick_n_in(k.as_ref().map(|k| k.bytes()), z, n, now, &mut out);
            let ids = got.map(|()| out.iter().map(|&i| st.id(py, i)).collect());
            st.out = out;
            ids.map_err(core_error)
        })
    }

    /// `pick` of each key in order, in one call: the same answers (and counts) as `[r.pick(k) for k in keys]`.
    /// A large batch runs detached from the interpreter. `zone` as in `pick`, for every key.
    #[pyo3(signature = (keys, *, zone=None))]
    fn pick_many(
        &self,
        py: Python<'_>,
        keys: &Bound<'_, PyAny>,
        zone: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyList>> {
        let zone = zone_arg(zone, "pickMany(keys, zone)")?;
        let not_keys = || {
            coded(
                Code::InvalidKey.as_str(),
                format!(
                    "pickMany(keys): keys must be a list of str or bytes keys, got {}",
                    convert::type_name(keys)
                ),
            )
        };
        if keys.is_instance_of::<PyString>()
            || keys.is_instance_of::<PyBytes>()
            || keys.is_instance_of::<PyByteArray>()
            || keys.is_instance_of::<PyDict>()
        {
            return Err(not_keys());
        }
        let iter = keys.try_iter().map_err(|_| not_keys())?;
        // Every key is read and checked before anything is picked: a bad key leaves the Router as it was.
        let mut buf = Vec::new();
        let mut lens = Vec::new();
        for (i, k) in iter.enumerate() {
            let k = k?;
            let kb = key(&k).map_err(|e| with_index(py, e, i))?;
            buf.extend_from_slice(kb.bytes());
            lens.push(kb.bytes().len());
            if lens.len() > MAX_BATCH as usize {
                return Err(coded(
                    Code::InvalidKey.as_str(),
                    format!("pickMany(keys): at most {MAX_BATCH} keys in one call; split larger batches"),
                ));
            }
        }
        let now = now_ms();
        let out = self.shared.run(py, |st| {
            let z = st.zone(zone.as_deref());
            let picks = |st: &mut State| -> Result<Vec<Option<usize>>, Error> {
                let mut got = Vec::with_capacity(lens.len());
                let mut off = 0;
                for &len in &lens {
                    got.push(st.r().pick_in(Some(&buf[off..off + len]), z, now)?);
                    off += len;
                }
                Ok(got)
            };
            let got = if lens.len() >= 256 {
                py.detach(|| picks(st))
            } else {
                picks(st)
            };
            let got = got.map_err(core_error)?;
            Ok(got.into_iter().map(|i| i.map(|i| st.id(py, i))).collect::<Vec<_>>())
        })?;
        Ok(PyList::new(py, out)?.unbind())
    }

    /// `pick`, and counts the request in flight until the lease's `end()` (or the end of a `with` block).
    /// `zone` as in `pick`.
    #[pyo3(signature = (key=None, *, zone=None))]
    fn acquire(
        slf: &Bound<'_, Self>,
        key: Option<&Bound<'_, PyAny>>,
        zone: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<Lease>> {
        let py = slf.py();
        let k = optional_key(key)?;
        let zone = zone_arg(zone, "acquire(key, zone)")?;
        let got = slf.get().shared.run(py, |st| {
            let now = st.clock();
            let z = st.zone(zone.as_deref());
            match st.r().acquire_in(k.as_ref().map(|k| k.bytes()), z, now) {
                Ok(Some(i)) => {
                    let id = st.id(py, i);
                    let name = st.core.0.id(i).to_owned();
                    Ok(Some((id, st.serial(&name))))
                }
                Ok(None) => Ok(None),
                Err(e) => Err(core_error(e)),
            }
        })?;
        Ok(got.map(|(id, serial)| Lease {
            router: slf.clone().unbind(),
            id,
            serial,
            open: AtomicBool::new(true),
            started: Instant::now(),
        }))
    }

    /// Counts a request in flight by hand (e.g. when failing over to `pick_n`'s next node).
    fn begin(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = id_arg(id, "begin(id): id")?;
        self.shared.run(py, |st| st.r().begin(&id).map_err(core_error))
    }

    /// Ends a request counted by `begin`, with its outcome if given.
    #[pyo3(signature = (id, ok=None, latency_ms=None))]
    fn end(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        ok: Option<&Bound<'_, PyAny>>,
        latency_ms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let id = id_arg(id, "end(id, outcome): id")?;
        let o = outcome(ok, latency_ms)?;
        self.shared
            .run(py, |st| st.r().end(&id, o, now_ms()).map_err(core_error))
    }

    /// Adds a node: `add("c", weight=2)`, or a dict shaped as an entry of `nodes`.
    #[pyo3(signature = (node, weight=None, *, name=None, server_id=None, hash_string=None, zone=None, priority=None))]
    #[allow(clippy::too_many_arguments)]
    fn add(
        &self,
        py: Python<'_>,
        node: &Bound<'_, PyAny>,
        weight: Option<&Bound<'_, PyAny>>,
        name: Option<&Bound<'_, PyAny>>,
        server_id: Option<&Bound<'_, PyAny>>,
        hash_string: Option<&Bound<'_, PyAny>>,
        zone: Option<&Bound<'_, PyAny>>,
        priority: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let extra = [
            ("weight", weight),
            ("name", name),
            ("server_id", server_id),
            ("hash_string", hash_string),
            ("zone", zone),
            ("priority", priority),
        ];
        let v = if node.is_instance_of::<PyString>() {
            let d = PyDict::new(py);
            d.set_item("id", node)?;
            for (k, v) in extra {
                if let Some(v) = v.filter(|v| !v.is_none()) {
                    d.set_item(k, v)?;
                }
            }
            node_value(d.as_any())?
        } else {
            if let Some((k, _)) = extra.iter().find(|(_, v)| v.is_some_and(|v| !v.is_none())) {
                return Err(coded(
                    Code::InvalidOption.as_str(),
                    format!("add(node, {k}=...): give {k} inside the node dict, or pass the id as a str"),
                ));
            }
            node_value(node)?
        };
        let spec = NodeSpec::from_value(&v, &"node").map_err(core_error)?;
        self.shared.run(py, |st| {
            let id = spec.id.clone();
            py.detach(|| st.r().add(spec)).map_err(core_error)?;
            st.gen += 1;
            if let Some(m) = st.serials.as_mut() {
                m.insert(id, st.next_serial);
                st.next_serial += 1;
            }
            Ok(())
        })
    }

    /// Makes the pool equal to `nodes` in one call: the same result as removing the nodes not listed, setting
    /// the listed weights and adding the new ones in the given order, but checked whole first (nothing changes
    /// if any of it is refused). Returns {"added", "removed", "reweighted"}.
    fn set_nodes<'py>(&self, py: Python<'py>, nodes: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        if nodes.is_instance_of::<PyString>() || nodes.is_instance_of::<PyDict>() {
            return Err(coded(
                Code::InvalidOption.as_str(),
                format!(
                    "setNodes(nodes): nodes must be a list of node dicts or ids, got {}",
                    convert::describe(nodes)
                ),
            ));
        }
        let mut specs = Vec::new();
        for (i, n) in nodes.try_iter()?.enumerate() {
            let n = n?;
            let v = if n.is_instance_of::<PyString>() {
                let d = PyDict::new(py);
                d.set_item("id", &n)?;
                node_value(d.as_any())?
            } else {
                node_value(&n)?
            };
            let what = format!("setNodes(nodes): nodes[{i}]");
            specs.push(NodeSpec::from_value(&v, &what).map_err(core_error)?);
        }
        let c = self.shared.run(py, |st| {
            let before = st.serials.is_some().then(|| st.r().nodes());
            let c = py.detach(|| st.r().set_nodes(specs)).map_err(core_error)?;
            if c.added + c.removed > 0 {
                st.gen += 1;
                let after = st.r().nodes();
                if let (Some(before), Some(m)) = (before, st.serials.as_mut()) {
                    // A node that left, or left and joined again with other fields, is a new incarnation.
                    let old: HashMap<&str, &NodeSpec> = before.iter().map(|n| (n.id.as_str(), n)).collect();
                    let mut next = HashMap::with_capacity(after.len());
                    for n in &after {
                        let same = old.get(n.id.as_str()).is_some_and(|b| {
                            b.name == n.name
                                && b.server_id == n.server_id
                                && b.hash_string == n.hash_string
                                && b.zone == n.zone
                                && b.priority == n.priority
                        });
                        let serial = match m.get(&n.id) {
                            Some(&s) if same => s,
                            _ => {
                                st.next_serial += 1;
                                st.next_serial - 1
                            }
                        };
                        next.insert(n.id.clone(), serial);
                    }
                    *m = next;
                }
            }
            Ok(c)
        })?;
        let d = PyDict::new(py);
        d.set_item("added", c.added)?;
        d.set_item("removed", c.removed)?;
        d.set_item("reweighted", c.reweighted)?;
        Ok(d)
    }

    /// Removes a node; False if there is none with that id.
    fn remove(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<bool> {
        let id = id_arg(id, "remove(id): id")?;
        self.shared.run(py, |st| {
            let removed = py.detach(|| st.r().remove(&id));
            if removed {
                st.gen += 1;
                if let Some(m) = st.serials.as_mut() {
                    m.remove(&id);
                }
            }
            Ok(removed)
        })
    }

    /// Changes a node's weight.
    fn set_weight(&self, py: Python<'_>, id: &Bound<'_, PyAny>, weight: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = id_arg(id, "setWeight(id, weight): id")?;
        let w = convert::number(weight).map_err(|()| {
            coded(
                Code::InvalidWeight.as_str(),
                format!(
                    "setWeight(id, weight): weight must be a number > 0, got {}",
                    convert::describe(weight)
                ),
            )
        })?;
        self.shared
            .run(py, |st| py.detach(|| st.r().set_weight(&id, w)).map_err(core_error))
    }

    /// Records an outcome: feeds least-latency and passive health. In-flight counts are not touched.
    #[pyo3(signature = (id, ok=None, latency_ms=None))]
    fn report(
        &self,
        py: Python<'_>,
        id: &Bound<'_, PyAny>,
        ok: Option<&Bound<'_, PyAny>>,
        latency_ms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let id = id_arg(id, "report(id, outcome): id")?;
        let o = outcome(ok, latency_ms)?.ok_or_else(|| {
            core_error(
                Outcome::from_value(&Value::Obj(Vec::new()))
                    .err()
                    .unwrap_or_else(|| Error::new(Code::InvalidReport, "report needs ok")),
            )
        })?;
        self.shared
            .run(py, |st| st.r().report(&id, o, now_ms()).map_err(core_error))
    }

    /// Takes a node out of rotation for `for_ms` milliseconds, or until `mark_up`.
    #[pyo3(signature = (id, for_ms=None))]
    fn mark_down(&self, py: Python<'_>, id: &Bound<'_, PyAny>, for_ms: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let id = id_arg(id, "markDown(id, forMs): id")?;
        let ms = convert::for_ms_arg(for_ms)?;
        self.shared
            .run(py, |st| st.r().mark_down(&id, ms, now_ms()).map_err(core_error))
    }

    /// Puts a node back at once, clearing a mark or an ejection.
    fn mark_up(&self, py: Python<'_>, id: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = id_arg(id, "markUp(id): id")?;
        self.shared
            .run(py, |st| st.r().mark_up(&id, now_ms()).map_err(core_error))
    }

    /// `[{"id": ..., "weight": ...}]` in insertion order (plus `name` or `server_id` under a compat profile).
    fn nodes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = self.shared.run(py, |st| {
            Ok(Value::Arr(st.core.0.nodes().iter().map(NodeSpec::to_value).collect()))
        })?;
        to_py(py, &v, true)
    }

    /// Per node: id, weight, effective_weight, picks, successes, failures, inflight, ewma_ms, state,
    /// ejected_until, down_until, ejections, ejections_total, consecutive_failures.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let now = now_ms();
        let v = self.shared.run(py, |st| {
            Ok(Value::Arr(st.core.0.stats(now).iter().map(|s| s.to_value()).collect()))
        })?;
        to_py(py, &v, true)
    }

    /// Options, nodes and health as JSON data (a dict with the JS names), interchangeable with the JS
    /// package's `toJSON()`: `json.dumps` it, and `Router.from_json` or JS's `Router.fromJSON` restores it.
    fn to_json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = self.shared.run(py, |st| Ok(st.core.0.snapshot()))?;
        to_py(py, &v, false)
    }

    /// Inspection: the ring's points as `{"positions": [...], "owners": [...]}` (positions in [0, 1),
    /// ascending), or None for strategies without a ring.
    fn ring_points<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let got = self.shared.run(py, |st| {
            let Some(points) = st.core.0.ring_points() else {
                return Ok(None);
            };
            let pos: Vec<f64> = points.iter().map(|p| unit_position(p.0)).collect();
            let owners: Vec<Py<PyString>> = points.iter().map(|p| st.id(py, p.1)).collect();
            Ok(Some((pos, owners)))
        })?;
        got.map(|(pos, owners)| {
            let d = PyDict::new(py);
            d.set_item("positions", pos)?;
            d.set_item("owners", owners)?;
            Ok(d)
        })
        .transpose()
    }

    /// Inspection: the key's hash as a position in [0, 1); on a ring the key goes to the first point at or
    /// after it.
    fn key_position(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<f64> {
        let k = convert::key(key)?;
        self.shared
            .run(py, |st| Ok(unit_position(st.core.0.key_hash(k.bytes()))))
    }

    fn __len__(&self, py: Python<'_>) -> PyResult<usize> {
        self.shared.run(py, |st| Ok(st.core.0.len()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let n = self.__len__(py)?;
        Ok(format!("<edgeroute.Router strategy={:?} nodes={n}>", self.strategy))
    }
}

fn parse_json(text: &[u8]) -> PyResult<Value> {
    serde_json::from_slice::<Value>(text).map_err(|e| {
        coded(
            Code::InvalidOptions.as_str(),
            format!("Router.from_json: the text is not JSON ({e})"),
        )
    })
}

/// One request in flight, from `Router.acquire`: `end()` finishes it once, or the `with` block does (ok unless
/// it raised, with the block's duration as the latency).
#[pyclass(frozen, module = "edgeroute", name = "Lease")]
pub struct Lease {
    router: Py<PyRouter>,
    id: Py<PyString>,
    serial: u64,
    open: AtomicBool,
    started: Instant,
}

#[pymethods]
impl Lease {
    /// The node serving this request.
    #[getter]
    fn id(&self, py: Python<'_>) -> Py<PyString> {
        self.id.clone_ref(py)
    }

    /// Ends the request, reporting the outcome if given. False if it had ended or its node was removed since.
    #[pyo3(signature = (ok=None, latency_ms=None))]
    fn end(
        &self,
        py: Python<'_>,
        ok: Option<&Bound<'_, PyAny>>,
        latency_ms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let o = outcome(ok, latency_ms)?;
        if !self.open.swap(false, Ordering::AcqRel) {
            return Ok(false);
        }
        let id = self.id.bind(py).to_cow()?.into_owned();
        self.router.get().end_lease(py, &id, self.serial, o).inspect_err(|_| {
            // A refused call (a broken Router): the request is still in flight.
            self.open.store(true, Ordering::Release);
        })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    /// Ends the request: ok unless the block raised, with the block's duration in ms as its latency.
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: &Bound<'_, PyAny>,
        _exc: &Bound<'_, PyAny>,
        _tb: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let ok = pyo3::types::PyBool::new(py, exc_type.is_none()).to_owned().into_any();
        let ms = pyo3::types::PyFloat::new(py, ms).into_any();
        self.end(py, Some(&ok), Some(&ms))?;
        Ok(false)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "<edgeroute.Lease id={:?} open={}>",
            self.id.bind(py).to_string(),
            self.open.load(Ordering::Relaxed)
        )
    }
}
