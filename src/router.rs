//! The Router: a node table, a strategy, and the checks between the caller and both.
//!
//! Flow of a pick: [`Router::pick`] checks the key against the strategy, hashes it once with
//! [`crate::hash::key_hash`], seeds the PRNG on first use if the strategy draws random numbers, and hands the
//! node table plus a [`Ctx`] to the strategy, which returns an index into the table. The caller maps that index
//! to an id (the JS wrapper keeps the ids in an array, so no string crosses the boundary per pick).

use serde::Serialize;

use crate::base::error::{Code, Error, Result};
use crate::base::limits::{validate_id, validate_weight, MAX_MS, MAX_NODES, MAX_WEIGHT, MIN_WEIGHT};
use crate::base::numfmt::fmt_num;
use crate::base::rng::Rng;
use crate::base::value::Value;
use crate::compat::continuum::{Continuum, RingProfile};
use crate::compat::haproxy::HaproxyMap;
use crate::compat::nginx::NginxHash;
use crate::compat::twemproxy::Modula;
use crate::compat::Compat;
use crate::hash::{KeyHasher, DEFAULT_SEED};
use crate::node::health::{Health, HealthConfig, State};
use crate::node::NodeState;
use crate::node::{NodeSpec, Outcome};
use crate::options::Config;
use crate::strategy::bounded_load::BoundedLoad;
use crate::strategy::jump::Jump;
use crate::strategy::kind::StrategyKind;
use crate::strategy::least_latency::LeastLatency;
use crate::strategy::least_outstanding::LeastOutstanding;
use crate::strategy::maglev::Maglev;
use crate::strategy::modulo::Modulo;
use crate::strategy::rendezvous::Rendezvous;
use crate::strategy::ring::HashRing;
use crate::strategy::round_robin::RoundRobin;
use crate::strategy::smooth_wrr::SmoothWrr;
use crate::strategy::weighted_random::WeightedRandom;
use crate::strategy::{Ctx, Strategy};

/// A source of fresh entropy for unseeded random strategies; called at most once per Router, lazily.
pub type Entropy = fn() -> u64;

/// Per-node figures returned by [`Router::stats`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeStats {
    pub id: String,
    pub weight: f64,
    pub picks: f64,
    pub successes: f64,
    pub failures: f64,
    pub inflight: u32,
    /// The decayed latency estimate now, or `None` before the first latency sample.
    pub ewma_ms: Option<f64>,
    /// "healthy", "ejected", "probing" or "down".
    pub state: &'static str,
    /// When the current ejection ends (ms since the epoch, like `Date.now()`), if ejected.
    pub ejected_until: Option<f64>,
    /// When a timed manual mark ends, if marked down for a time.
    pub down_until: Option<f64>,
    /// Ejections so far (ejection time doubles with each; forgotten after `maxEjectionMs` of health).
    pub ejections: u32,
    pub consecutive_failures: u32,
}

impl NodeStats {
    /// The figures as `stats()` gives them to JS (camelCase fields; `null` for an absent time or estimate).
    pub fn to_value(&self) -> Value {
        let opt = |v: Option<f64>| v.map_or(Value::Null, Value::Num);
        Value::obj(vec![
            ("id", self.id.as_str().into()),
            ("weight", self.weight.into()),
            ("picks", self.picks.into()),
            ("successes", self.successes.into()),
            ("failures", self.failures.into()),
            ("inflight", (self.inflight as f64).into()),
            ("ewmaMs", opt(self.ewma_ms)),
            ("state", self.state.into()),
            ("ejectedUntil", opt(self.ejected_until)),
            ("downUntil", opt(self.down_until)),
            ("ejections", (self.ejections as f64).into()),
            ("consecutiveFailures", (self.consecutive_failures as f64).into()),
        ])
    }
}

/// Node indices sorted by id, for the calls that name a node (`begin`, `report`, `remove`, ...). A sorted
/// permutation keeps each id once (in its `NodeState`) and is far smaller in wasm than a `BTreeMap`.
#[derive(Default)]
struct IdIndex(Vec<u32>);

impl IdIndex {
    /// The index of `n` ids, and the first position whose id repeats an earlier one.
    fn build<'a>(n: usize, id: impl Fn(usize) -> &'a str) -> (IdIndex, Option<usize>) {
        let mut v: Vec<u32> = (0..n as u32).collect();
        // Ties by position, so each repeat sorts after the id's first occurrence.
        crate::base::sort::sort_by(&mut v, &|a, b| id(*a as usize).cmp(id(*b as usize)).then(a.cmp(b)));
        let first_dup = v
            .windows(2)
            .filter(|w| id(w[0] as usize) == id(w[1] as usize))
            .map(|w| w[1] as usize)
            .min();
        (IdIndex(v), first_dup)
    }

    /// `Ok(node index)`, or `Err(where the id would be inserted)`.
    fn find(&self, nodes: &[NodeState], id: &str) -> core::result::Result<usize, usize> {
        self.0
            .binary_search_by(|&i| (*nodes[i as usize].id).cmp(id))
            .map(|at| self.0[at] as usize)
    }

    /// Takes `id` out (call before removing its node) and renumbers the nodes after it.
    fn remove(&mut self, nodes: &[NodeState], id: &str) -> Option<usize> {
        let at = self.0.binary_search_by(|&i| (*nodes[i as usize].id).cmp(id)).ok()?;
        let idx = self.0.remove(at);
        for v in &mut self.0 {
            if *v > idx {
                *v -= 1;
            }
        }
        Some(idx as usize)
    }
}

pub struct Router {
    kind: StrategyKind,
    nodes: Vec<NodeState>,
    by_id: IdIndex,
    strategy: Box<dyn Strategy>,
    hasher: KeyHasher,
    rng: Rng,
    /// False until `rng` holds a real seed (the `seed` option, or entropy drawn on first use).
    rng_seeded: bool,
    entropy: Entropy,
    decay_ms: f64,
    scratch: Vec<usize>,
    /// The validated options (nodes excluded; the table holds them), for `snapshot`.
    cfg: Config,
    health: HealthConfig,
    /// Nodes with `usable == false`.
    unusable: usize,
    /// The earliest time at which some node's usability changes by itself (an ejection or mark ending).
    next_change: f64,
    /// Usability must be recomputed before the next pick.
    dirty: bool,
    /// Too few nodes are healthy: route as if all were (except nodes marked down by hand).
    panic: bool,
    /// Nodes whose ejection ended and whose probe is not out yet: the next pick of one takes its probe.
    probing: usize,
}

impl core::fmt::Debug for Router {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Router")
            .field("strategy", &self.kind.name())
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

impl Router {
    /// Builds a Router from a validated config. `entropy` seeds random strategies when `cfg.seed` is `None`.
    pub fn new(cfg: Config, entropy: Entropy) -> Result<Router> {
        if cfg.nodes.is_empty() {
            return Err(Error::new(Code::NoNodes, "a Router needs at least one node"));
        }
        Router::build(cfg, entropy)
    }

    /// [`Router::new`] without the at-least-one-node rule: a snapshot of an emptied Router restores empty.
    fn build(cfg: Config, entropy: Entropy) -> Result<Router> {
        if cfg.nodes.len() > MAX_NODES {
            return Err(Error::new(
                Code::TooLarge,
                format!("at most {MAX_NODES} nodes are supported"),
            ));
        }
        let seed = cfg.seed.unwrap_or(DEFAULT_SEED);
        let hasher = match (cfg.compat, cfg.secret) {
            (Some(Compat::Redis), _) => KeyHasher::Murmur3(seed as u32),
            (Some(c), _) => match c.system_hash(cfg.strategy, cfg.hash, cfg.avalanche) {
                Some(h) => KeyHasher::System(h),
                None => KeyHasher::Xxh3(seed),
            },
            (None, Some(s)) => KeyHasher::Sip(s),
            (None, None) => KeyHasher::Xxh3(seed),
        };
        let rendezvous = || match cfg.compat {
            Some(Compat::Redis) => Rendezvous::redis_lua(seed as u32),
            _ => Rendezvous::new(seed),
        };
        let compat_ring = |p| -> Box<dyn Strategy> { Box::new(Continuum::new(p)) };
        let strategy: Box<dyn Strategy> = match (cfg.compat, cfg.strategy, cfg.bounded_load) {
            // Config allows each profile only with the strategies it reproduces, and no bounded loads.
            (Some(Compat::Nginx), StrategyKind::Hash, _) => Box::<NginxHash>::default(),
            (Some(Compat::Haproxy), StrategyKind::Hash, _) => Box::<HaproxyMap>::default(),
            (Some(Compat::Nginx), _, _) => compat_ring(RingProfile::Nginx),
            (Some(Compat::Twemproxy), StrategyKind::Hash, _) => Box::<Modula>::default(),
            (Some(Compat::Twemproxy), _, _) => compat_ring(RingProfile::Twemproxy),
            (Some(Compat::Libketama), _, _) => compat_ring(RingProfile::Libketama),
            (Some(Compat::Haproxy), _, _) => compat_ring(RingProfile::Haproxy),
            (_, StrategyKind::Random, _) => Box::<WeightedRandom>::default(),
            (_, StrategyKind::RoundRobin, _) => Box::<RoundRobin>::default(),
            (_, StrategyKind::WeightedRoundRobin, _) => Box::<SmoothWrr>::default(),
            (_, StrategyKind::LeastLatency, _) => Box::new(LeastLatency::new(cfg.decay_ms)),
            (_, StrategyKind::LeastOutstanding, _) => Box::<LeastOutstanding>::default(),
            (_, StrategyKind::Jump, _) => Box::new(Jump::new(seed)),
            (_, StrategyKind::Hash, _) => Box::<Modulo>::default(),
            (_, StrategyKind::Ring, None) => Box::new(HashRing::new(cfg.vnodes, seed)),
            (_, StrategyKind::Ring, Some(c)) => Box::new(BoundedLoad::new(HashRing::new(cfg.vnodes, seed), c)),
            (_, StrategyKind::Rendezvous, None) => Box::new(rendezvous()),
            (_, StrategyKind::Rendezvous, Some(c)) => Box::new(BoundedLoad::new(rendezvous(), c)),
            (_, StrategyKind::Maglev, None) => Box::new(Maglev::new(cfg.table_size, seed)),
            (_, StrategyKind::Maglev, Some(c)) => Box::new(BoundedLoad::new(Maglev::new(cfg.table_size, seed), c)),
        };
        let mut r = Router {
            kind: cfg.strategy,
            nodes: Vec::with_capacity(cfg.nodes.len()),
            by_id: IdIndex::default(),
            strategy,
            hasher,
            rng: Rng::new(cfg.seed.unwrap_or(0)),
            rng_seeded: cfg.seed.is_some(),
            entropy,
            decay_ms: cfg.decay_ms,
            scratch: Vec::new(),
            cfg: Config {
                nodes: Vec::new(),
                ..cfg.clone()
            },
            health: cfg.health,
            unusable: 0,
            next_change: f64::INFINITY,
            dirty: false,
            panic: false,
            probing: 0,
        };
        let (index, first_dup) = IdIndex::build(cfg.nodes.len(), |i| &cfg.nodes[i].id);
        // Errors in node order: the first node that fails its checks or repeats an earlier id.
        for (i, spec) in cfg.nodes.iter().enumerate() {
            check_spec(spec, cfg.compat)?;
            if first_dup == Some(i) {
                return Err(dup(&spec.id));
            }
            r.nodes.push(NodeState::from_spec(spec));
        }
        r.by_id = index;
        r.check_memory(&r.nodes)?;
        r.strategy.build(&r.nodes)?;
        Ok(r)
    }

    /// Validates options given as a [`Value`](crate::base::value::Value) and builds the Router.
    pub fn from_value(v: &crate::base::value::Value, entropy: Entropy) -> Result<Router> {
        Router::new(Config::from_value(v)?, entropy)
    }

    pub fn strategy(&self) -> StrategyKind {
        self.kind
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The id of the node at `idx` (as returned by `pick`).
    pub fn id(&self, idx: usize) -> &str {
        &self.nodes[idx].id
    }

    /// Node ids in table order; index i is what `pick` returns for that node.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.nodes.iter().map(|n| &*n.id)
    }

    /// The current pool, as node specs.
    pub fn nodes(&self) -> Vec<NodeSpec> {
        self.nodes
            .iter()
            .map(|n| NodeSpec {
                name: n.name.as_deref().map(Into::into),
                server_id: n.server_id,
                ..NodeSpec::new(&n.id, n.weight)
            })
            .collect()
    }

    /// Whether a pick on this Router reads the clock (the facade then passes one in): for least-latency, and
    /// while any node's health is not plain healthy. A healthy pool never reads the clock.
    pub fn needs_clock(&self) -> bool {
        self.kind.caps().reads_clock
            || self.dirty
            || self.unusable > 0
            || self.probing > 0
            || self.next_change.is_finite()
    }

    /// Recomputes every node's `usable` flag, the panic state and the next change time, if anything may have
    /// changed. O(N), but only after a health event or when an ejection or mark ends.
    fn refresh(&mut self, now: f64) {
        if !self.dirty && now < self.next_change {
            return;
        }
        let pt = self.health.probe_timeout_ms;
        let mut next = f64::INFINITY;
        let mut usable = 0usize;
        for n in self.nodes.iter_mut() {
            n.usable = n.health.usable(now, pt);
            usable += n.usable as usize;
            next = next.min(n.health.next_change(now, pt));
        }
        let len = self.nodes.len();
        self.panic = len > 0 && usable < len && (usable as f64) < self.health.panic_threshold * len as f64;
        if self.panic {
            for n in self.nodes.iter_mut() {
                n.usable = n.health.state(now) != State::Down;
            }
        }
        self.unusable = self.nodes.iter().filter(|n| !n.usable).count();
        self.probing = self
            .nodes
            .iter()
            .filter(|n| n.usable && n.health.state(now) == State::Probing)
            .count();
        self.next_change = next;
        self.dirty = false;
    }

    /// After a pick at `now`: a probing node's one probe is now out, so it takes no more until it answers.
    fn take_probe(&mut self, i: usize, now: f64) {
        let n = &mut self.nodes[i];
        if !self.panic && n.health.state(now) == State::Probing {
            n.health.probe_since = now.max(f64::MIN_POSITIVE);
            n.usable = false;
            self.unusable += 1;
            self.probing = self.probing.saturating_sub(1);
            self.next_change = self.next_change.min(now + self.health.probe_timeout_ms);
        }
    }

    /// Whether the pool is in panic (too few healthy nodes, so all are used).
    pub fn in_panic(&self) -> bool {
        self.panic
    }

    /// The in-flight count of the node at `idx`.
    pub fn inflight(&self, idx: usize) -> u32 {
        self.nodes[idx].inflight
    }

    fn ctx_parts(&mut self, key: Option<&[u8]>) -> Result<u64> {
        let needs_key = self.kind.needs_key();
        let h = match key {
            Some(k) if needs_key => self.hasher.hash(k),
            Some(_) => 0,
            None if needs_key => {
                return Err(Error::new(
                    Code::InvalidKey,
                    format!(
                        "strategy {:?} routes by key: pass a string or Uint8Array key to pick/pickN",
                        self.kind.name()
                    ),
                ))
            }
            None => 0,
        };
        if self.needs_entropy() {
            // Lazily: Workers forbid drawing randomness while a module is being evaluated.
            self.seed_rng((self.entropy)());
        }
        Ok(h)
    }

    /// Whether the next pick draws fresh entropy: an unseeded strategy that draws random numbers, before its
    /// first pick. A caller that supplies entropy itself (the JS facade) calls [`Router::seed_rng`] first.
    pub fn needs_entropy(&self) -> bool {
        !self.rng_seeded && self.kind.caps().random
    }

    /// Seeds the PRNG of an unseeded Router with fresh entropy (once; later calls do nothing).
    pub fn seed_rng(&mut self, entropy: u64) {
        if !self.rng_seeded {
            self.rng = Rng::new(entropy);
            self.rng_seeded = true;
        }
    }

    /// The hash a hashing strategy routes `key` by (XXH3, SipHash under a secret, or a compat profile's hash);
    /// on a ring, the key goes to the first point at or after it. For inspection and visualisation.
    pub fn key_hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash(key)
    }

    /// The ring's points as (hash, node index), ascending; `None` for strategies without a ring.
    pub fn ring_points(&self) -> Option<Vec<(u64, usize)>> {
        self.strategy.ring_points()
    }

    /// The node for this request, as an index (see [`Router::id`]); `None` when the pool is empty.
    pub fn pick(&mut self, key: Option<&[u8]>, now_ms: f64) -> Result<Option<usize>> {
        let now_ms = clock(now_ms);
        let key_hash = self.ctx_parts(key)?;
        self.refresh(now_ms);
        let mut cx = Ctx {
            key_hash,
            key: key.unwrap_or(&[]),
            now_ms,
            rng: &mut self.rng,
            all_usable: self.unusable == 0,
        };
        let got = self.strategy.pick(&self.nodes, &mut cx);
        if let Some(i) = got {
            self.note_pick(i, now_ms);
        }
        Ok(got)
    }

    /// Up to `n` distinct nodes in preference (failover) order, written to `out` (cleared first).
    pub fn pick_n(&mut self, key: Option<&[u8]>, n: usize, now_ms: f64, out: &mut Vec<usize>) -> Result<()> {
        let now_ms = clock(now_ms);
        if n == 0 {
            return Err(Error::new(Code::InvalidCount, "pickN needs n >= 1"));
        }
        let key_hash = self.ctx_parts(key)?;
        self.refresh(now_ms);
        out.clear();
        let mut cx = Ctx {
            key_hash,
            key: key.unwrap_or(&[]),
            now_ms,
            rng: &mut self.rng,
            all_usable: self.unusable == 0,
        };
        self.strategy.pick_n(&self.nodes, &mut cx, n, out);
        debug_assert!(out.len() <= n.min(self.nodes.len()));
        if let Some(&i) = out.first() {
            self.note_pick(i, now_ms);
        }
        Ok(())
    }

    /// Convenience over [`Router::pick_n`] returning ids.
    pub fn pick_n_ids(&mut self, key: Option<&[u8]>, n: usize, now_ms: f64) -> Result<Vec<String>> {
        let mut out = core::mem::take(&mut self.scratch);
        let r = self.pick_n(key, n, now_ms, &mut out);
        let ids = out.iter().map(|&i| self.nodes[i].id.to_string()).collect();
        self.scratch = out;
        r.map(|_| ids)
    }

    fn note_pick(&mut self, i: usize, now_ms: f64) {
        self.nodes[i].picks += 1;
        if self.probing > 0 {
            self.take_probe(i, now_ms);
        }
    }

    /// `pick`, then [`Router::begin`] on the node: the request now counts as in flight until `end`.
    pub fn acquire(&mut self, key: Option<&[u8]>, now_ms: f64) -> Result<Option<usize>> {
        let now_ms = clock(now_ms);
        let got = self.pick(key, now_ms)?;
        if let Some(i) = got {
            self.nodes[i].inflight = self.nodes[i].inflight.saturating_add(1);
        }
        Ok(got)
    }

    /// One more request in flight to `id` (read by least-latency and bounded loads).
    pub fn begin(&mut self, id: &str) -> Result<()> {
        let idx = self.index_of(id)?;
        let n = &mut self.nodes[idx];
        n.inflight = n.inflight.saturating_add(1);
        Ok(())
    }

    /// One request to `id` finished; with an outcome, also [`Router::report`]s it. Ending more requests than
    /// were begun leaves the count at 0.
    pub fn end(&mut self, id: &str, outcome: Option<Outcome>, now_ms: f64) -> Result<()> {
        let now_ms = clock(now_ms);
        let idx = self.index_of(id)?;
        let n = &mut self.nodes[idx];
        n.inflight = n.inflight.saturating_sub(1);
        match outcome {
            Some(o) => self.report(id, o, now_ms),
            None => Ok(()),
        }
    }

    /// Adds a node. Errors leave the Router unchanged.
    pub fn add(&mut self, spec: NodeSpec) -> Result<()> {
        check_spec(&spec, self.cfg.compat)?;
        let Err(at) = self.by_id.find(&self.nodes, &spec.id) else {
            return Err(dup(&spec.id));
        };
        if self.nodes.len() >= MAX_NODES {
            return Err(Error::new(
                Code::TooLarge,
                format!("at most {MAX_NODES} nodes are supported"),
            ));
        }
        self.nodes.push(NodeState::from_spec(&spec));
        let idx = self.nodes.len() - 1;
        if let Err(e) = self
            .check_memory(&self.nodes)
            .and_then(|_| self.strategy.add(&self.nodes, idx))
        {
            self.nodes.pop();
            return Err(e);
        }
        self.by_id.0.insert(at, idx as u32);
        self.dirty = true;
        Ok(())
    }

    /// The cost model's figure for this Router: the bytes its tables and node table take at their peak (while
    /// built or changed), which `maxMemoryBytes` bounds.
    pub fn memory_cost(&self) -> u64 {
        self.cost(&self.nodes).0
    }

    fn cost(&self, nodes: &[NodeState]) -> (u64, crate::strategy::Footprint, u64) {
        let f = self.strategy.footprint(nodes);
        let table: u64 = nodes.iter().map(|n| NODE_BYTES + 2 * n.id.len() as u64).sum();
        (f.bytes().saturating_add(table), f, table)
    }

    /// Refuses a node table whose peak memory (the strategy's [`crate::strategy::Footprint`] plus the table
    /// itself) passes `maxMemoryBytes`, before the strategy allocates any of it.
    fn check_memory(&self, nodes: &[NodeState]) -> Result<()> {
        let (total, f, table) = self.cost(nodes);
        let limit = self.cfg.max_memory_bytes;
        if total <= limit {
            return Ok(());
        }
        let tables = if f.items > 0 {
            format!("{} {} × {} bytes, plus ", f.items, f.item, f.bytes_each)
        } else {
            String::new()
        };
        Err(Error::new(
            Code::TooLarge,
            format!(
                "this Router would need about {} of memory at its peak ({tables}{table} bytes for {} nodes), over its limit of {}; lower vnodes, the weights or the number of nodes, or raise options.maxMemoryBytes (docs/reliability.md has the cost model)",
                mib(total),
                nodes.len(),
                mib(limit)
            ),
        ))
    }

    /// Removes a node; `false` when no node has this id.
    pub fn remove(&mut self, id: &str) -> bool {
        let Some(idx) = self.by_id.remove(&self.nodes, id) else {
            return false;
        };
        self.nodes.remove(idx);
        self.dirty = true;
        self.strategy.remove(&self.nodes, idx);
        true
    }

    fn index_of(&self, id: &str) -> Result<usize> {
        self.by_id.find(&self.nodes, id).ok().ok_or_else(|| {
            Error::new(
                Code::UnknownNode,
                format!("no node has id {id:?}; r.nodes() lists the ids this Router holds"),
            )
        })
    }

    /// Changes a node's weight. Errors leave the Router unchanged.
    pub fn set_weight(&mut self, id: &str, weight: f64) -> Result<()> {
        let idx = self.index_of(id)?;
        let weight = validate_weight(weight, &format!("weight of node {id:?}"))?;
        let old = core::mem::replace(&mut self.nodes[idx].weight, weight);
        if let Err(e) = self
            .check_memory(&self.nodes)
            .and_then(|_| self.strategy.reweight(&self.nodes, idx, old))
        {
            self.nodes[idx].weight = old;
            return Err(e);
        }
        Ok(())
    }

    /// Records the outcome of one request sent to `id`, at time `now_ms`. In-flight counts are not touched
    /// (see [`Router::end`]).
    pub fn report(&mut self, id: &str, outcome: Outcome, now_ms: f64) -> Result<()> {
        let now_ms = clock(now_ms);
        let idx = self.index_of(id)?;
        let tau = self.decay_ms;
        let n = &mut self.nodes[idx];
        if outcome.ok {
            n.successes += 1;
        } else {
            n.failures += 1;
        }
        if let Some(ms) = outcome.latency_ms {
            n.latency.observe(ms, now_ms, tau);
        }
        let before = n.health;
        if n.health.record(outcome.ok, now_ms, &self.health) && self.may_eject(idx, now_ms) {
            self.nodes[idx].health.eject(now_ms, &self.health);
        }
        if self.nodes[idx].health != before
            && (before.ejected_until > 0.0 || self.nodes[idx].health.ejected_until > 0.0)
        {
            self.dirty = true;
        }
        Ok(())
    }

    /// Whether node `idx` may be ejected: at most `maxEjectedShare` of the pool is ejected at once (a node
    /// already ejected or probing does not count against itself).
    fn may_eject(&self, idx: usize, now: f64) -> bool {
        let ejected = (0..self.nodes.len())
            .filter(|&i| i != idx && matches!(self.nodes[i].health.state(now), State::Ejected | State::Probing))
            .count();
        (ejected + 1) as f64 <= (self.health.max_ejected_share * self.nodes.len() as f64).floor()
    }

    /// Takes a node out of rotation by hand, for `for_ms` or until [`Router::mark_up`].
    pub fn mark_down(&mut self, id: &str, for_ms: Option<f64>, now_ms: f64) -> Result<()> {
        let now_ms = clock(now_ms);
        let idx = self.index_of(id)?;
        self.nodes[idx].health.down_until = match for_ms {
            Some(ms) => now_ms + ms,
            None => f64::INFINITY,
        };
        self.dirty = true;
        Ok(())
    }

    /// Puts a node back at once: clears a manual mark, an ejection and its failure streak.
    pub fn mark_up(&mut self, id: &str, now_ms: f64) -> Result<()> {
        let now_ms = clock(now_ms);
        let idx = self.index_of(id)?;
        let h = &mut self.nodes[idx].health;
        h.down_until = 0.0;
        h.ejected_until = 0.0;
        h.probe_since = 0.0;
        h.consecutive = 0;
        h.healthy_since = now_ms;
        self.dirty = true;
        Ok(())
    }

    /// Per-node figures, in table order.
    pub fn stats(&self, now_ms: f64) -> Vec<NodeStats> {
        let now_ms = clock(now_ms);
        self.nodes
            .iter()
            .map(|n| NodeStats {
                id: n.id.to_string(),
                weight: n.weight,
                picks: n.picks as f64,
                successes: n.successes as f64,
                failures: n.failures as f64,
                inflight: n.inflight,
                ewma_ms: n.latency.estimate(now_ms, self.decay_ms),
                state: n.health.state(now_ms).name(),
                ejected_until: (n.health.ejected_until > now_ms).then_some(n.health.ejected_until),
                down_until: (n.health.down_until > now_ms && n.health.down_until.is_finite())
                    .then_some(n.health.down_until),
                ejections: n.health.ejections,
                consecutive_failures: n.health.consecutive,
            })
            .collect()
    }
}

/// The format tag of [`Router::snapshot`].
pub const SNAPSHOT_FORMAT: &str = "edgeroute/1";

impl Router {
    /// The options, nodes and each node's health as a plain value (`toJSON`), to persist or share between
    /// isolates (KV, a Durable Object, Redis) and restore with [`Router::from_snapshot`]. Times are absolute
    /// (`Date.now()` milliseconds), so an ejection keeps its end time across isolates. It contains the secret,
    /// if any. Counters and latency estimates are not included.
    pub fn snapshot(&self) -> Value {
        let health: Vec<Value> = self
            .nodes
            .iter()
            .filter(|n| n.health != Health::default())
            .map(|n| {
                let h = &n.health;
                let mut e: Vec<(&str, Value)> = vec![("id", (*n.id).into())];
                if h.ejections > 0 {
                    e.push(("ejections", (h.ejections as f64).into()));
                }
                if h.ejected_until > 0.0 {
                    e.push(("ejectedUntil", h.ejected_until.into()));
                }
                if h.down_until.is_infinite() {
                    e.push(("down", Value::Bool(true)));
                } else if h.down_until > 0.0 {
                    e.push(("downUntil", h.down_until.into()));
                }
                if h.consecutive > 0 {
                    e.push(("consecutiveFailures", (h.consecutive as f64).into()));
                }
                Value::obj(e)
            })
            .collect();
        Value::obj(vec![
            ("format", SNAPSHOT_FORMAT.into()),
            ("options", self.cfg.to_value(&self.nodes())),
            ("health", Value::Arr(health)),
        ])
    }

    /// Rebuilds a Router from [`Router::snapshot`]'s value (`Router.fromJSON`) at time `now_ms`. A Router
    /// emptied by `remove` round-trips (empty). Restored times are bounded from `now_ms`: an ejection ends
    /// within `maxEjectionMs`, a timed mark within the longest `markDown` (1e9 ms), whatever the snapshot says,
    /// so a corrupt or hostile snapshot cannot take a node out for ever (`down: true`, a mark until `markUp`,
    /// is the one unbounded state, as it is live).
    pub fn from_snapshot(v: &Value, entropy: Entropy, now_ms: f64) -> Result<Router> {
        let now_ms = clock(now_ms);
        let bad = |msg: String| Error::new(Code::InvalidOptions, msg);
        let Value::Obj(top) = v else {
            return Err(bad(format!(
                "a snapshot must be the object toJSON() returned, got {}",
                v.kind()
            )));
        };
        let field = |k: &str| top.iter().find(|(key, _)| key == k).map(|(_, v)| v);
        for (k, _) in top {
            if !["format", "options", "health"].contains(&k.as_str()) {
                return Err(Error::new(
                    Code::UnknownField,
                    format!("snapshot has unknown field {k:?}"),
                ));
            }
        }
        if field("format") != Some(&Value::Str(SNAPSHOT_FORMAT.into())) {
            return Err(bad(format!(
                "snapshot.format must be {SNAPSHOT_FORMAT:?} (made by toJSON() of this version)"
            )));
        }
        let options = field("options").ok_or_else(|| bad("snapshot.options is missing".into()))?;
        let mut r = Router::build(Config::from_snapshot_value(options)?, entropy)?;
        let entries = match field("health") {
            None => return Ok(r),
            Some(Value::Arr(a)) => a,
            Some(other) => return Err(bad(format!("snapshot.health must be an array, got {}", other.kind()))),
        };
        for e in entries {
            let Value::Obj(e) = e else {
                return Err(bad("snapshot.health entries must be objects".into()));
            };
            let get = |k: &str| e.iter().find(|(key, _)| key == k).map(|(_, v)| v);
            let Some(Value::Str(id)) = get("id") else {
                return Err(bad("snapshot.health entry without an id".into()));
            };
            let idx = r.index_of(id)?;
            let max_ejection = r.health.max_ejection_ms;
            let h = &mut r.nodes[idx].health;
            for (k, v) in e {
                let num = || match v {
                    Value::Num(n) if n.is_finite() && *n >= 0.0 => Ok(*n),
                    _ => Err(bad(format!("snapshot.health[{id:?}].{k} must be a finite number >= 0"))),
                };
                match k.as_str() {
                    "id" => {}
                    "ejections" => h.ejections = num()?.min(u32::MAX as f64) as u32,
                    "ejectedUntil" => h.ejected_until = num()?.min(now_ms + max_ejection),
                    "downUntil" => h.down_until = num()?.min(now_ms + MAX_MS),
                    "consecutiveFailures" => h.consecutive = num()?.min(u32::MAX as f64) as u32,
                    "down" if *v == Value::Bool(true) => h.down_until = f64::INFINITY,
                    "down" => return Err(bad(format!("snapshot.health[{id:?}].down must be true"))),
                    other => {
                        return Err(Error::new(
                            Code::UnknownField,
                            format!("snapshot.health entry has unknown field {other:?}"),
                        ))
                    }
                }
            }
        }
        r.dirty = true;
        Ok(r)
    }
}

/// Checks a node spec built in Rust (specs from JS or JSON were checked by `config` already); the message is
/// formatted only when something is wrong.
/// The caller's clock, kept above 0: health state uses 0 for "no mark" and "not ejected", so a clock at or
/// below 0 (or NaN) would make every node look marked down. Real clocks (`Date.now()`) are far above.
fn clock(now_ms: f64) -> f64 {
    now_ms.max(1.0)
}

/// Bytes of one node besides its id (counted twice, as the id is while a Router is built from its config): its
/// state, its spec while parsed and built (with growth slack), its place in the id index and per-node strategy
/// state (a hash, a weight).
const NODE_BYTES: u64 = (core::mem::size_of::<NodeState>() + core::mem::size_of::<NodeSpec>()) as u64 + 128;

/// Bytes in MiB for messages, to a tenth.
fn mib(bytes: u64) -> String {
    format!("{} MiB", fmt_num((bytes as f64 / 1_048_576.0 * 10.0).round() / 10.0))
}

fn check_spec(spec: &NodeSpec, compat: Option<Compat>) -> Result<()> {
    validate_id(&spec.id, "node id")?;
    crate::compat::check_node_fields(spec, compat, &format_args!("node {:?}", spec.id))?;
    if !(MIN_WEIGHT..=MAX_WEIGHT).contains(&spec.weight) {
        validate_weight(spec.weight, &format!("weight of node {:?}", spec.id))?;
    }
    Ok(())
}

fn dup(id: &str) -> Error {
    Error::new(
        Code::DuplicateId,
        format!("a node with id {id:?} already exists; ids must be unique"),
    )
}
